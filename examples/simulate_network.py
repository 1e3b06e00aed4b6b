"""Simulate a small network on the article's scheme, save it, replay it into a Book.

Grows a network of 500 participants (seed guides -> grow -> spread) for 180 days,
writes its events to a temporary JSON Lines file, reads them back, applies them
to a Book and prints what happened and where the money sits.  Standard library
only; the same output every run.

    python examples/simulate_network.py
"""

from __future__ import annotations

import tempfile
from collections import Counter
from decimal import Decimal
from pathlib import Path

from socialcommerce_rules import load_plan
from socialcommerce_rules.book import Book
from socialcommerce_rules.events import OrderPaid, read_events, write_events
from socialcommerce_rules.ledger import MERCHANT
from socialcommerce_rules.money import EXACT_CONTEXT, exact_sum
from socialcommerce_rules.simulate import SimulationConfig, generate_events

PLAN = Path(__file__).with_name("article_scheme.toml")


def main() -> None:
    plan = load_plan(PLAN)
    config = SimulationConfig(seed=2026, participants_max=500, days=180)
    book = Book(plan)
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "events.jsonl"
        write_events(generate_events(plan, config), path)
        kinds: Counter[str] = Counter()
        goods: list[Decimal] = []
        for number, event in read_events(path):
            if isinstance(event, Exception):
                raise SystemExit(f"line {number}: {event}")
            kinds[event.type] += 1
            if isinstance(event, OrderPaid):
                order = event.order
                lines = (
                    EXACT_CONTEXT.multiply(item.unit_price, item.quantity) for item in order.items
                )
                goods.append(EXACT_CONTEXT.subtract(exact_sum(lines), order.coupons))
            book.apply(event)
    print(f"{sum(kinds.values())} events simulated, saved and replayed:")
    for kind, count in sorted(kinds.items()):
        print(f"    {kind:<28} {count:>6}")
    print(f"paid for goods: {exact_sum(goods)} {plan.currency}")
    totals: dict[tuple[str, str], Decimal] = {}
    for balance in book.balances():
        if balance.holder != MERCHANT:
            key = (balance.unit, balance.state)
            totals[key] = exact_sum([totals.get(key, Decimal(0)), balance.amount])
    print("owed to participants:")
    for (unit, state), amount in sorted(totals.items()):
        print(f"    {unit:<6} {state:<10} {amount}")


if __name__ == "__main__":
    main()
