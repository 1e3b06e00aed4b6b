"""Benchmark: build a referral graph and evaluate paid orders on a three-level plan.

Prints the graph build rate, the evaluation rate (orders/s, full explanations
read for every line), the end-to-end rate including validating each order, and
the process's peak memory.  Deterministic for a seed; one process, one core.

    python benchmarks/bench_engine.py --members 1000000 --orders 1000000
"""

from __future__ import annotations

import argparse
import platform
import random
import resource
import sys
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from socialcommerce_rules import Order, OrderItem, ReferralGraph, evaluate, load_plan

PLAN = Path(__file__).with_name("three_level_plan.toml")
STORES = 1_000
GUIDE_SHARE = 0.002  # one participant in 500 is a guide
MAKER_SHARE = 0.15
CHUNK = 10_000
PRICES = [Decimal(cents).scaleb(-2) for cents in (990, 1990, 4990, 9990, 15900, 29900)]


def draw_joins(members: int, rng: random.Random) -> list[tuple[str, datetime, str, str | None]]:
    """Guides at the roots of stores; makers and members invited mostly by promoters.

    Inviters are drawn from those already joined, promoters (guides and makers)
    four times as often as members, which gives a tree several levels deep.
    Returns (participant, joined at, role, inviter or store) in join order.
    """
    start = datetime(2026, 1, 1, tzinfo=UTC)
    joins: list[tuple[str, datetime, str, str | None]] = []
    ids: list[str] = []
    promoters: list[str] = []
    for number in range(members):
        participant = f"p{number}"
        at = start + timedelta(seconds=number)
        if number < 10 or rng.random() < GUIDE_SHARE:
            joins.append((participant, at, "guide", f"store-{number % STORES}"))
            promoters.append(participant)
        else:
            if rng.random() < 0.8:
                inviter = promoters[rng.randrange(len(promoters))]
            else:
                inviter = ids[rng.randrange(len(ids))]
            role = "maker" if rng.random() < MAKER_SHARE else "member"
            joins.append((participant, at, role, inviter))
            if role == "maker":
                promoters.append(participant)
        ids.append(participant)
    return joins


def build_graph(joins: list[tuple[str, datetime, str, str | None]]) -> ReferralGraph:
    """The graph of ``joins``: what the build figure times."""
    graph = ReferralGraph(roles=("member", "maker", "guide"))
    for participant, at, role, other in joins:
        if role == "guide":
            graph.join(participant, at=at, role=role, store=other)
        else:
            graph.join(participant, at=at, role=role, inviter=other)
    return graph


def make_orders(first: int, count: int, ids: list[str], rng: random.Random) -> list[Order]:
    paid = datetime(2026, 3, 1, tzinfo=UTC)
    orders = []
    for number in range(first, first + count):
        items = tuple(
            OrderItem(
                item_id=str(position),
                sku=f"SKU-{rng.randrange(500)}",
                unit_price=rng.choice(PRICES),
                quantity=rng.randint(1, 3),
            )
            for position in range(1 + (rng.random() < 0.3))
        )
        coupons = Decimal("5.00") if rng.random() < 0.2 else Decimal(0)
        orders.append(
            Order(
                order_id=f"o{number}",
                buyer=ids[rng.randrange(len(ids))],
                paid_at=paid + timedelta(milliseconds=number),
                currency="CNY",
                items=items,
                coupons=min(coupons, sum(i.unit_price * i.quantity for i in items)),
            )
        )
    return orders


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=1_000_000)
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=7)
    options = parser.parse_args()
    rng = random.Random(options.seed)
    plan = load_plan(PLAN)

    joins = draw_joins(options.members, rng)
    ids = [participant for participant, _, _, _ in joins]
    started = time.perf_counter()
    graph = build_graph(joins)
    build_seconds = time.perf_counter() - started
    del joins

    evaluate_seconds = construct_seconds = 0.0
    lines = explained = 0
    paid = Decimal(0)
    for first in range(0, options.orders, CHUNK):
        started = time.perf_counter()
        orders = make_orders(first, min(CHUNK, options.orders - first), ids, rng)
        construct_seconds += time.perf_counter() - started
        started = time.perf_counter()
        for order in orders:
            result = evaluate(plan, graph, order)
            paid += result.paid
            for line in result.lines:
                explained += len(line.reason)
            lines += len(result.lines)
        evaluate_seconds += time.perf_counter() - started

    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"python             {platform.python_version():>12}  ({sys.executable}, "
        f"built {platform.python_build()[1]} with {platform.python_compiler()})"
    )
    print(f"members            {options.members:>12,}")
    print(
        f"graph build        {options.members / build_seconds:>12,.0f} members/s "
        f"({build_seconds:.1f} s)"
    )
    print(
        f"orders             {options.orders:>12,}  ({lines:,} lines, "
        f"{lines / options.orders:.2f} per order, paid {paid} CNY)"
    )
    print(
        f"evaluation         {options.orders / evaluate_seconds:>12,.0f} orders/s "
        f"({evaluate_seconds:.1f} s, every line's reason read: {explained:,} characters)"
    )
    print(
        f"with validation    {options.orders / (evaluate_seconds + construct_seconds):>12,.0f} "
        f"orders/s (building and validating each Order included)"
    )
    print(f"peak memory        {peak_mb:>12,.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
