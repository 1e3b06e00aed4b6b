"""The article's guide -> maker -> member scheme, run end to end on three orders.

Loads ``article_scheme.toml`` (beside this file), builds a small referral graph
and evaluates three paid orders against it, printing for each order who is
credited with the sale, how its commission base was derived, every payout line
with its reason, and what the merchant keeps:

1. Wang, a member invited by guide Li of store ``store-hz-01``, buys the 399.00
   gift pack: Li earns the gift-pack commission and Wang becomes a maker from the
   instant after payment (the evaluation's ``effects``, applied to the graph).
2. Zhao, a member invited by maker Wang, buys tea and a cup: Wang earns sales
   commission at level 1, Li at level 2; Zhao earns points.
3. Chen, a member invited directly by Li, buys with a 20.00 coupon: the coupon
   is spread over the items, and Li earns sales commission at level 1.

Run it from anywhere with the package installed::

    python examples/article_demo.py

The output is the same on every run and every machine.
"""

from __future__ import annotations

import sys
import textwrap
from collections.abc import Sequence
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

from socialcommerce_rules import Evaluation, Order, Plan, ReferralGraph, evaluate, load_plan

SCHEME = Path(__file__).resolve().parent / "article_scheme.toml"
CHINA = timezone(timedelta(hours=8))
WIDTH = 96


def at(day: int, hour: int, minute: int = 0) -> datetime:
    """An instant in January 2026, China Standard Time."""
    return datetime(2026, 1, day, hour, minute, tzinfo=CHINA)


def orders() -> list[tuple[str, Order]]:
    """The three orders of the story, each with a one-line caption."""
    gift_pack = Order.from_mapping(
        {
            "order_id": "order-1001",
            "buyer": "wang",
            "paid_at": "2026-01-03T10:30:00+08:00",
            "currency": "CNY",
            "items": [
                {"item_id": "1", "sku": "GIFT-399", "category": "gift-pack", "unit_price": "399.00"}
            ],
        }
    )
    makers_member = Order.from_mapping(
        {
            "order_id": "order-1002",
            "buyer": "zhao",
            "paid_at": "2026-01-06T20:15:00+08:00",
            "currency": "CNY",
            "shipping": "10.00",
            "items": [
                {
                    "item_id": "1",
                    "sku": "TEA-250G",
                    "category": "tea",
                    "quantity": 2,
                    "unit_price": "168.00",
                },
                {"item_id": "2", "sku": "CUP-WHITE", "category": "teaware", "unit_price": "59.90"},
            ],
        }
    )
    guides_member = Order.from_mapping(
        {
            "order_id": "order-1003",
            "buyer": "chen",
            "paid_at": "2026-01-08T12:40:00+08:00",
            "currency": "CNY",
            "coupons": "20.00",
            "items": [
                {"item_id": "1", "sku": "TEA-250G", "category": "tea", "unit_price": "168.00"},
                {"item_id": "2", "sku": "CUP-WHITE", "category": "teaware", "unit_price": "59.90"},
            ],
        }
    )
    return [
        ("wang, a member invited by guide-li, buys the 399.00 gift pack", gift_pack),
        (
            "zhao, a member invited by maker wang, buys tea and a cup (+10.00 shipping)",
            makers_member,
        ),
        (
            "chen, a member invited by guide-li, buys tea and a cup with a 20.00 coupon",
            guides_member,
        ),
    ]


def build_graph(plan: Plan) -> ReferralGraph:
    """The referral graph before the orders: a guide in a store and three members."""
    graph = ReferralGraph(roles=plan.role_names)
    graph.join("guide-li", at=at(2, 9), role="guide", store="store-hz-01")
    graph.join("wang", at=at(3, 10), role="member", inviter="guide-li")
    graph.join("chen", at=at(4, 15), role="member", inviter="guide-li")
    # Zhao joins after Wang's gift pack; Wang counts as a maker for Zhao's orders only
    # once the gift pack's effect has been applied to the graph.
    graph.join("zhao", at=at(5, 18), role="member", inviter="wang")
    return graph


def table(header: Sequence[str], rows: Sequence[Sequence[str]], right: set[int]) -> list[str]:
    """Plain-text columns; the columns numbered in ``right`` are right-aligned."""
    widths = [max(len(row[index]) for row in [header, *rows]) for index in range(len(header))]

    def line(cells: Sequence[str]) -> str:
        padded = [
            cell.rjust(width) if index in right else cell.ljust(width)
            for index, (cell, width) in enumerate(zip(cells, widths, strict=True))
        ]
        return "  " + "  ".join(padded).rstrip()

    rule = "  " + "  ".join("-" * width for width in widths)
    return [line(header), rule, *(line(row) for row in rows)]


def money(amount: Decimal, quantum: Decimal) -> str:
    """A money amount (already a multiple of ``quantum``) with the quantum's places."""
    return f"{amount.quantize(quantum):f}"


def report(caption: str, result: Evaluation, quantum: Decimal) -> list[str]:
    """The lines printed for one evaluated order."""
    out = [
        "=" * WIDTH,
        f"Order {result.order_id}: {caption}",
        f"Paid at {result.paid_at.isoformat()}, plan {result.plan_id} v{result.plan_version}",
        "=" * WIDTH,
        f"Performance owner: {result.performance_owner}   store: {result.store}",
        f"Commission base:   {money(result.base, quantum)} {result.currency}",
        "",
    ]
    out += table(
        ["item", "sku", "qty", "gross", "discount", "deductions", "base"],
        [
            [
                item.item_id,
                item.sku,
                str(item.quantity),
                money(item.gross, quantum),
                money(item.discount, quantum),
                money(item.deductions, quantum),
                money(item.base, quantum),
            ]
            for item in result.items
        ],
        right={2, 3, 4, 5, 6},
    )
    out.append("")
    out += table(
        ["#", "beneficiary", "role", "level", "rule", "item", "amount", "unit"],
        [
            [
                str(number),
                line.beneficiary,
                line.role,
                str(line.level),
                line.rule_id,
                line.item_id,
                money(line.amount, quantum) if line.unit == result.currency else f"{line.amount:f}",
                line.unit,
            ]
            for number, line in enumerate(result.lines, start=1)
        ],
        right={0, 3, 6},
    )
    out += ["", "  Why:"]
    for number, line in enumerate(result.lines, start=1):
        out += textwrap.wrap(
            line.reason,
            WIDTH,
            initial_indent=f"  {number:>2}. ",
            subsequent_indent="      ",
            break_on_hyphens=False,
        )
    currency = result.currency
    out += [
        "",
        (
            f"  Pool {money(result.pool, quantum)} {currency}"
            f"  =  paid {money(result.paid, quantum)} {currency}"
            f"  +  merchant kept {money(result.merchant_kept, quantum)} {currency}"
            f"      (points awarded: {result.points:f})"
        ),
    ]
    for effect in result.effects:
        out += textwrap.wrap(
            f"Effect: {effect.reason} The new role holds from "
            f"{effect.effective_at.astimezone(CHINA).isoformat()} on, one microsecond "
            "after the payment.",
            WIDTH,
            initial_indent="  ",
            subsequent_indent="  ",
            break_on_hyphens=False,
        )
    out.append("")
    return out


def run(scheme: Path = SCHEME) -> list[str]:
    """Evaluate the story's orders in payment order; return the printed lines."""
    plan = load_plan(scheme)
    graph = build_graph(plan)
    printed = [f"Plan {plan.id} v{plan.version}: {plan.description}", ""]
    for caption, order in orders():
        result = evaluate(plan, graph, order)
        # A gift pack's upgrade is an effect of the payment: record it.
        graph.apply(result.effects)
        printed += report(caption, result, plan.quantum)
    return printed


def main() -> int:
    """Print the demo; exit status 0."""
    sys.stdout.write("\n".join(run()) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
