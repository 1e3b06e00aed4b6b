"""An order's life on the article's scheme: paid, partly refunded, completed, settled.

Feeds a Book the events a shop would send and prints the ledger entries each one
records and the balances at the end.  Standard library only; the same output every
run.

    python examples/lifecycle_demo.py
"""

from __future__ import annotations

from pathlib import Path

from socialcommerce_rules import load_plan
from socialcommerce_rules.book import Book
from socialcommerce_rules.events import event_from_mapping

PLAN = Path(__file__).with_name("article_scheme.toml")
JOINED = "2026-01-05T09:00:00+08:00"
PAID = "2026-01-06T20:00:00+08:00"

EVENTS = [
    {"type": "participant_joined", "event_id": "join-li", "at": JOINED,
     "participant": "guide-li", "role": "guide", "store": "hangzhou-01"},
    {"type": "participant_joined", "event_id": "join-wang", "at": JOINED,
     "participant": "wang", "role": "maker", "inviter": "guide-li"},
    {"type": "participant_joined", "event_id": "join-zhao", "at": JOINED,
     "participant": "zhao", "role": "member", "inviter": "wang"},
    {"type": "order_paid", "event_id": "pay-1", "at": PAID,
     "order": {"order_id": "order-1", "buyer": "zhao", "paid_at": PAID, "currency": "CNY",
               "items": [{"item_id": "1", "sku": "TEA-250G", "unit_price": "100.00",
                          "quantity": 3}]}},
    {"type": "order_refunded", "event_id": "refund-1", "at": "2026-01-07T10:00:00+08:00",
     "order_id": "order-1", "items": [{"item_id": "1", "quantity": 1}]},
    {"type": "order_completed", "event_id": "done-1", "at": "2026-01-08T10:00:00+08:00",
     "order_id": "order-1"},
    {"type": "settlement_run", "event_id": "settle-1", "at": "2026-01-20T00:00:00+08:00"},
]


def main() -> None:
    book = Book(load_plan(PLAN))
    for data in EVENTS:
        outcome = book.apply(event_from_mapping(data))
        print(f"{outcome.event_id}: {outcome.message}")
        for entry in outcome.entries:
            postings = ", ".join(f"{p.holder}/{p.state} {p.amount}" for p in entry.postings)
            print(f"    {entry.kind:<9} {entry.unit:<6} {postings}")
    # Redelivering an event changes nothing and returns its first outcome.
    print(f"pay-1 again: {book.apply(event_from_mapping(EVENTS[3])).status}")
    print("\nBalances:")
    for balance in book.balances():
        print(f"    {balance.holder:<9} {balance.unit:<6} {balance.state:<10} {balance.amount}")


if __name__ == "__main__":
    main()
