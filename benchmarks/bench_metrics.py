"""Benchmark: what ``metrics.measure`` costs beyond the book it drives.

Generates a year of events in memory (deterministic for a seed: guides with their
stores, members and makers joining by invitation, gift packs bought, orders of one
to three items with coupons now and then, completions, refunds by units and by
amount, cancellations, a settlement run each month), then times, on the same
event objects:

- the book alone: a fresh in-memory ``Book`` applying every event, kept as
  ``measure`` keeps it (``history=False, entries=False``);
- ``measure``: the same through the metrics collector, and the result built.

The difference is the metrics' overhead.  One process, one core.

    python benchmarks/bench_metrics.py --orders 50000
"""

from __future__ import annotations

import argparse
import contextlib
import random
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from socialcommerce_rules import load_plan
from socialcommerce_rules.book import Book
from socialcommerce_rules.errors import SocialCommerceError
from socialcommerce_rules.events import Event, event_from_mapping
from socialcommerce_rules.metrics import measure

PLAN = Path(__file__).parents[1] / "examples" / "article_scheme.toml"
START = datetime(2026, 1, 1, 1, tzinfo=UTC)
PRICES_CENTS = (990, 1990, 4990, 9990, 15900, 29900)


def _money(cents: int) -> str:
    return f"{cents // 100}.{cents % 100:02d}"


def generate(orders: int, seed: int) -> list[dict[str, Any]]:
    """A year of events, as mappings in time order, with ``orders`` payments."""
    rng = random.Random(seed)
    guides = max(5, orders // 1000)
    members = max(20, orders // 5)
    step = timedelta(days=360) / (orders + members)
    clock = START
    events: list[dict[str, Any]] = []
    participants: list[str] = []
    promoters: list[str] = []
    followups: list[tuple[datetime, dict[str, Any]]] = []
    month = 1

    def at(moment: datetime) -> str:
        return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")

    for number in range(guides):
        participant = f"g{number}"
        events.append(
            {
                "type": "participant_joined",
                "event_id": f"j-{participant}",
                "at": at(clock),
                "participant": participant,
                "role": "guide",
                "store": f"store-{number % 40}",
            }
        )
        participants.append(participant)
        promoters.append(participant)
    joined = 0
    for number in range(orders + members):
        clock += step
        while followups and followups[0][0] <= clock:
            events.append(followups.pop(0)[1])
        if clock.month != month and clock.year == START.year:
            month = clock.month
            events.append(
                {"type": "settlement_run", "event_id": f"settle-{month}", "at": at(clock)}
            )
        if joined < members and rng.random() < members / (orders + members):
            joined += 1
            participant = f"m{joined}"
            inviter = rng.choice(promoters) if rng.random() < 0.8 else rng.choice(participants)
            events.append(
                {
                    "type": "participant_joined",
                    "event_id": f"j-{participant}",
                    "at": at(clock),
                    "participant": participant,
                    "role": "member",
                    "inviter": inviter,
                }
            )
            participants.append(participant)
            continue
        order_id = f"o{number}"
        buyer = rng.choice(participants)
        if rng.random() < 0.03:
            items = [
                {"item_id": "1", "sku": "GIFT-399", "category": "gift-pack", "unit_price": "399.00"}
            ]
            promoters.append(buyer)
        else:
            items = [
                {
                    "item_id": str(index + 1),
                    "sku": f"SKU-{rng.randrange(300)}",
                    "category": "tea",
                    "quantity": rng.randint(1, 3),
                    "unit_price": _money(rng.choice(PRICES_CENTS)),
                }
                for index in range(rng.randint(1, 3))
            ]
        order: dict[str, Any] = {
            "order_id": order_id,
            "buyer": buyer,
            "paid_at": at(clock),
            "currency": "CNY",
            "items": items,
        }
        if rng.random() < 0.2:
            order["coupons"] = "5.00"
        events.append(
            {"type": "order_paid", "event_id": f"p-{order_id}", "at": at(clock), "order": order}
        )
        later = clock + timedelta(hours=rng.randint(1, 200))
        draw = rng.random()
        if draw < 0.03:
            step_event = {
                "type": "order_cancelled",
                "event_id": f"c-{order_id}",
                "at": at(later),
                "order_id": order_id,
            }
        elif draw < 0.08:
            step_event = {
                "type": "order_refunded",
                "event_id": f"r-{order_id}",
                "at": at(later),
                "order_id": order_id,
                "items": [{"item_id": "1", "quantity": 1}],
            }
        elif draw < 0.11:
            step_event = {
                "type": "order_refunded",
                "event_id": f"r-{order_id}",
                "at": at(later),
                "order_id": order_id,
                "amount": "1.00",
            }
        else:
            step_event = {
                "type": "order_completed",
                "event_id": f"d-{order_id}",
                "at": at(later),
                "order_id": order_id,
            }
        followups.append((later, step_event))
        followups.sort(key=lambda pair: pair[0])
    events += [event for _, event in followups]
    return events


def _book_alone(plan: Any, events: list[Event]) -> float:
    book = Book(plan, history=False, entries=False)  # the book measure drives
    started = time.process_time()
    for event in events:
        with contextlib.suppress(SocialCommerceError):
            book.apply(event)
    return time.process_time() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--orders", type=int, default=50_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--repeat", type=int, default=1)
    options = parser.parse_args()
    plan = load_plan(PLAN)
    events = [event_from_mapping(data) for data in generate(options.orders, options.seed)]
    book_seconds = []
    measure_seconds = []
    metrics = None
    for _ in range(options.repeat):
        book_seconds.append(_book_alone(plan, events))
        started = time.process_time()
        metrics = measure(plan, events)
        measure_seconds.append(time.process_time() - started)
    assert metrics is not None
    book, total = min(book_seconds), min(measure_seconds)
    print(
        f"stream        {len(events):>10,} events, {metrics.orders:,} orders, "
        f"{metrics.regulator.participants:,} participants, {metrics.events.refused} refused"
    )
    print(f"book alone    {book:>10.2f} s CPU  ({len(events) / book:,.0f} events/s)")
    print(f"measure       {total:>10.2f} s CPU  ({len(events) / total:,.0f} events/s)")
    print(f"overhead      {total - book:>10.2f} s CPU  ({(total - book) / book:.1%} of the book)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
