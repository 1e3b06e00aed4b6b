"""Strategies for the lifecycle properties: plans, referral trees and event streams.

A :class:`Stream` is a shop's whole event stream as data: joins, then for every
order its payment and the steps that follow it (refunds, a completion, a
cancellation) before one settlement run, then the steps after it.  Every stream
is valid when delivered in order: refunds never add up to more than was paid,
and nothing follows an order's cancellation or full refund.

Plans carry no gift packs and streams no share clicks, so that no order changes
how another one is evaluated: each order depends only on the joins, which is
what lets the permutation property deliver orders in any interleaving.

Payouts (``payout_made``) come at two fixed points: right after the settlement
run and after every other event, each at most the participant's available
balance at that point, read from a book the strategy runs over the stream.
Both points follow a whole phase, so any interleaving within a phase leaves the
same balances for them: the payouts stay valid whatever the delivery order.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from socialcommerce_rules import Plan
from socialcommerce_rules.book import Book
from socialcommerce_rules.events import Event, event_from_mapping
from socialcommerce_rules.ledger import AVAILABLE, MERCHANT, POINTS

__all__ = [
    "QUANTUM",
    "Stream",
    "examples",
    "instant",
    "plan_mappings",
    "streams",
]

QUANTUM = Decimal("0.01")
START = datetime(2026, 1, 1, tzinfo=UTC)
SETTLEMENT_DAY = 20  # every phase-one step falls before it, every later step after
LAST_DAY = 40  # every step falls before it: the final payouts
RATES = ("0", "0.01", "0.0333", "0.05", "0.07", "0.08", "0.1", "0.125", "0.15")
SKUS = (("TEA", "food"), ("RICE", "food"), ("SOAP", "home"))
ROLES = (("member", 0, "points"), ("maker", 1, "money"), ("guide", 2, "money"))

_PROFILE = os.environ.get("HYPOTHESIS_PROFILE", "quick")
_SCALE = 10 if _PROFILE == "thorough" else 1


def examples(count: int) -> settings:
    """Settings for one property: ``count`` examples (ten times as many under the
    ``thorough`` profile), no deadline, derandomized under the ``ci`` profile."""
    return settings(
        max_examples=count * _SCALE,
        deadline=None,
        derandomize=_PROFILE == "ci",
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
        print_blob=True,
    )


def instant(minutes: int) -> str:
    """The ISO time ``minutes`` after the start of 2026 (UTC)."""
    return (START + timedelta(minutes=minutes)).isoformat()


# ------------------------------------------------------------------------ plans


@st.composite
def plan_mappings(draw: st.DrawFn) -> dict[str, Any]:
    """Valid plans over member / maker / guide, as the mapping a plan file holds.

    Level rates with fractional cents, an optional role differential, an optional
    fixed amount per unit, purchase and invite points; every rounding mode, both
    remainders, retain and compress, optional caps, after-sales windows of 0 to 3
    days.
    """
    max_depth = draw(st.integers(1, 3))
    rules: list[dict[str, Any]] = []
    levels = []
    for level in range(max_depth + 1):
        rates = {
            role: draw(st.sampled_from(RATES))
            for role, _, earns in ROLES
            if earns == "money" and draw(st.booleans())
        }
        if any(Decimal(rate) for rate in rates.values()):
            levels.append({"level": level, "rates": rates})
    if levels:
        rules.append({"kind": "level", "id": "sales", "levels": levels})
    if draw(st.booleans()):
        low, high = sorted(draw(st.lists(st.sampled_from(RATES[1:]), min_size=2, max_size=2)))
        rules.append(
            {"kind": "differential", "id": "differential", "rates": {"maker": low, "guide": high}}
        )
    if draw(st.booleans()):
        amount = draw(st.sampled_from(("0.01", "0.99", "5.00")))
        rules.append(
            {
                "kind": "level",
                "id": "rebate",
                "skus": ["SOAP"],
                "levels": [{"level": 1, "amounts": {"maker": amount, "guide": amount}}],
            }
        )
    if draw(st.booleans()):
        per_yuan = draw(st.sampled_from(("1", "0.5", "2")))
        rules.append(
            {
                "kind": "points",
                "id": "purchase-points",
                "trigger": "purchase",
                "levels": [{"level": 0, "points": {"member": per_yuan}}],
            }
        )
    if draw(st.booleans()):
        rules.append(
            {
                "kind": "points",
                "id": "invite-points",
                "trigger": "invite",
                "levels": [{"level": 1, "points": {"member": "5", "maker": "5", "guide": "5"}}],
            }
        )
    caps: dict[str, str] = {}
    if draw(st.booleans()):
        caps["order_ratio"] = draw(st.sampled_from(("0.05", "0.1", "0.2", "0.35")))
    if draw(st.booleans()):
        caps["beneficiary_ratio"] = draw(st.sampled_from(("0.03", "0.08", "0.15")))
    return {
        "id": "lifecycle-under-test",
        "version": 1,
        "effective_from": START.isoformat(),
        "currency": "CNY",
        "quantum": str(QUANTUM),
        "rounding": draw(st.sampled_from(("down", "half-even", "half-up"))),
        "remainder": draw(st.sampled_from(("merchant", "beneficiaries"))),
        "roles": [{"name": name, "rank": rank, "earns": earns} for name, rank, earns in ROLES],
        "performance_role": "guide",
        "max_depth": max_depth,
        "ineligible": draw(st.sampled_from(("retain", "compress"))),
        "caps": caps,
        "after_sales_days": draw(st.integers(0, 3)),
        "rules": rules,
    }


# ---------------------------------------------------------------------- streams


@dataclass
class OrderStory:
    """One order: its payment mapping and the steps around the settlement run."""

    order_id: str
    payment: dict[str, Any]
    goods_q: int  # what the buyer paid for goods, in quanta
    before: list[dict[str, Any]] = field(default_factory=list)
    after: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class Stream:
    """A valid event stream, as mappings; :meth:`in_order` gives the events."""

    plan: dict[str, Any]
    joins: list[dict[str, Any]]
    orders: list[OrderStory]
    settlement: dict[str, Any]
    payouts: list[dict[str, Any]] = field(default_factory=list)  # after the settlement
    final_payouts: list[dict[str, Any]] = field(default_factory=list)  # after everything

    def build_plan(self) -> Plan:
        return Plan.from_mapping(self.plan)

    def phase_one(self) -> list[list[Event]]:
        """Each order's payment and steps before the settlement run, in causal order."""
        return [_events([story.payment, *story.before]) for story in self.orders]

    def settlement_run(self) -> Event:
        """The one settlement run, between the two phases."""
        return event_from_mapping(self.settlement)

    def phase_two(self) -> list[list[Event]]:
        """Each order's steps after the settlement run, in causal order."""
        return [_events(story.after) for story in self.orders if story.after]

    def payout_events(self) -> list[Event]:
        """The payouts right after the settlement run, in order."""
        return _events(self.payouts)

    def final_payout_events(self) -> list[Event]:
        """The payouts after every other event, in order."""
        return _events(self.final_payouts)

    def in_order(self) -> list[Event]:
        """Every event in time order (ties keep the order of the orders)."""
        return [
            *self._up_to_settlement(),
            *self.payout_events(),
            *self._second(),
            *self.final_payout_events(),
        ]

    def _up_to_settlement(self) -> list[Event]:
        first = sorted((e for chain in self.phase_one() for e in chain), key=_at)
        return [*_events(self.joins), *first, self.settlement_run()]

    def _second(self) -> list[Event]:
        return sorted((e for chain in self.phase_two() for e in chain), key=_at)


def _events(mappings: list[dict[str, Any]]) -> list[Event]:
    return [event_from_mapping(mapping) for mapping in mappings]


def _at(event: Event) -> datetime:
    return event.at


@st.composite
def streams(
    draw: st.DrawFn,
    *,
    max_participants: int = 7,
    max_orders: int = 4,
    max_steps: int = 4,
    payouts: bool = True,
) -> Stream:
    """Valid streams: a referral forest, up to ``max_orders`` orders and their steps,
    and (``payouts``) payouts of available balances after the settlement and at the end."""
    plan = draw(plan_mappings())
    joins = _draw_joins(draw, max_participants)
    participants = [join["participant"] for join in joins]
    orders = [
        _draw_order(draw, index, participants, max_steps)
        for index in range(draw(st.integers(1, max_orders)))
    ]
    settlement = {
        "type": "settlement_run",
        "event_id": "settle",
        "at": instant(SETTLEMENT_DAY * 1440),
    }
    stream = Stream(plan, joins, orders, settlement)
    if payouts:
        # Run the stream so far to learn what is available at each payout point.
        book = Book(stream.build_plan())
        for event in stream._up_to_settlement():
            book.apply(event)
        stream.payouts = _draw_payouts(draw, book, "payout", SETTLEMENT_DAY * 1440 + 1)
        for event in [*stream.payout_events(), *stream._second()]:
            book.apply(event)
        stream.final_payouts = _draw_payouts(draw, book, "final-payout", LAST_DAY * 1440)
    return stream


def _draw_payouts(draw: st.DrawFn, book: Book, prefix: str, minute: int) -> list[dict[str, Any]]:
    """Up to three payouts, each of 1 quantum up to what its participant has available
    now in its unit (read from the book's balances, applied as they are drawn)."""
    payouts: list[dict[str, Any]] = []
    for index in range(draw(st.integers(0, 3))):
        available = [
            (b.holder, b.unit, b.amount)
            for b in book.balances()
            if b.state == AVAILABLE and b.holder != MERCHANT and b.amount > 0
        ]
        if not available:
            break
        holder, unit, amount = draw(st.sampled_from(available))
        places = 0 if unit == POINTS else 2
        most = int(amount.scaleb(places))
        quanta = draw(st.sampled_from((most, 1)) | st.integers(1, most))
        payout: dict[str, Any] = {
            "type": "payout_made",
            "event_id": f"{prefix}-{index}",
            "at": instant(minute + index),
            "participant": holder,
            "amount": f"{Decimal(quanta).scaleb(-places):f}",
        }
        if unit == POINTS or draw(st.booleans()):
            payout["unit"] = unit
        payouts.append(payout)
        book.apply(event_from_mapping(payout))
    return payouts


def _draw_joins(draw: st.DrawFn, max_participants: int) -> list[dict[str, Any]]:
    joins = []
    for index in range(draw(st.integers(1, max_participants))):
        role = "guide" if index == 0 else draw(st.sampled_from([name for name, _, _ in ROLES]))
        join: dict[str, Any] = {
            "type": "participant_joined",
            "event_id": f"join-{index}",
            "at": instant(index),
            "participant": f"p{index}",
            "role": role,
        }
        if index and draw(st.integers(0, 4)):
            join["inviter"] = f"p{draw(st.integers(0, index - 1))}"
        joins.append(join)
    return joins


def order_mapping(
    draw: st.DrawFn, order_id: str, buyer: str, paid_at: str, *, plain: bool = False
) -> tuple[dict[str, Any], int]:
    """An order paid at ``paid_at`` and what was paid for its goods, in quanta.

    ``plain`` orders have no discount, coupon or shipping.
    """
    items = []
    net_q = 0
    for index in range(draw(st.integers(1, 3))):
        sku, category = draw(st.sampled_from(SKUS))
        price_q = draw(st.integers(1, 300) | st.integers(1, 50_000))
        quantity = draw(st.integers(1, 3))
        discount_q = 0 if plain else draw(st.just(0) | st.integers(0, price_q * quantity))
        items.append(
            {
                "item_id": str(index + 1),
                "sku": sku,
                "category": category,
                "unit_price": _money(price_q),
                "quantity": quantity,
                "discount": _money(discount_q),
            }
        )
        net_q += price_q * quantity - discount_q
    coupons_q = 0 if plain else draw(st.just(0) | st.integers(0, net_q))
    order = {
        "order_id": order_id,
        "buyer": buyer,
        "paid_at": paid_at,
        "currency": "CNY",
        "items": items,
        "coupons": _money(coupons_q),
        "shipping": _money(0 if plain else draw(st.sampled_from((0, 800)))),
    }
    return order, net_q - coupons_q


def _draw_order(draw: st.DrawFn, index: int, participants: list[str], max_steps: int) -> OrderStory:
    order_id = f"o{index}"
    day = 2 + index
    paid_at = instant(day * 1440)
    buyer = draw(st.sampled_from(participants))
    order, goods_q = order_mapping(draw, order_id, buyer, paid_at)
    payment = {"type": "order_paid", "event_id": f"{order_id}-paid", "at": paid_at, "order": order}
    story = OrderStory(order_id, payment, goods_q)
    mode = draw(st.sampled_from(("units", "amount"))) if goods_q else "units"
    refunds = RefundPlanner(draw, order, goods_q, mode)
    count = draw(st.integers(0, max_steps))
    settled_from = draw(st.integers(0, count))  # steps from this one on follow the settlement
    complete_at = draw(st.integers(0, max_steps))  # completion takes this step, if before it
    completes = draw(st.booleans())
    minute = day * 1440
    for step in range(count):
        minute += 60
        before = step < settled_from
        phase = story.before if before else story.after
        at = instant(minute if before else (SETTLEMENT_DAY + 1) * 1440 + minute)
        if completes and step == complete_at and before:
            phase.append(_step("order_completed", f"{order_id}-completed", at, order_id))
            completes = False
            continue
        if draw(st.integers(0, 9)) == 0:
            phase.append(_step("order_cancelled", f"{order_id}-cancelled", at, order_id))
            return story
        refund = refunds.draw_refund(f"{order_id}-refund-{step}", at)
        phase.append(refund)
        if refunds.closed:
            return story
    if completes:
        at = instant(day * 1440 + 60 * (max_steps + 2))
        story.before.append(_step("order_completed", f"{order_id}-completed", at, order_id))
    return story


def _step(kind: str, event_id: str, at: str, order_id: str) -> dict[str, Any]:
    return {"type": kind, "event_id": event_id, "at": at, "order_id": order_id}


class RefundPlanner:
    """Draws refunds of one order that never add up to more than was paid."""

    def __init__(self, draw: st.DrawFn, order: dict[str, Any], goods_q: int, mode: str) -> None:
        self.draw = draw
        self.mode = mode
        self.units_left = {item["item_id"]: item["quantity"] for item in order["items"]}
        self.amount_left_q = goods_q
        self.order_id = order["order_id"]

    @property
    def closed(self) -> bool:
        if self.mode == "units":
            return not any(self.units_left.values())
        return self.amount_left_q == 0

    def draw_refund(self, event_id: str, at: str) -> dict[str, Any]:
        refund = _step("order_refunded", event_id, at, self.order_id)
        if self.mode == "units":
            refund["items"] = self.draw_units()
        else:
            refund["amount"] = _money(self.draw_amount_q())
        return refund

    def draw_units(self) -> list[dict[str, Any]]:
        left = sorted(item for item, count in self.units_left.items() if count)
        chosen = self.draw(st.lists(st.sampled_from(left), min_size=1, max_size=2, unique=True))
        refunded = []
        for item in chosen:
            quantity = self.draw(st.integers(1, self.units_left[item]))
            self.units_left[item] -= quantity
            refunded.append({"item_id": item, "quantity": quantity})
        return refunded

    def draw_amount_q(self) -> int:
        left = self.amount_left_q
        amount_q = self.draw(st.sampled_from((left, 1)) | st.integers(1, left)) if left else 0
        self.amount_left_q -= amount_q
        return amount_q


def _money(quanta: int) -> str:
    return f"{Decimal(quanta).scaleb(-2):f}"
