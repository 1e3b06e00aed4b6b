"""A book without history (``history=False``) keeps the same ledger figures as one with it."""

from __future__ import annotations

import pytest
from hypothesis import given

from socialcommerce_rules.book import Book
from socialcommerce_rules.errors import EventConflictError
from socialcommerce_rules.events import event_from_mapping, event_to_dict
from socialcommerce_rules.store import MemoryStore

from .strategies import Stream, examples, streams


@examples(120)
@given(streams(payouts=True))
def test_balances_lines_and_outcomes_match_a_book_with_history(stream: Stream) -> None:
    full = Book(stream.build_plan())
    lean = Book(stream.build_plan(), history=False)
    for event in stream.in_order():
        expected = full.apply(event)
        got = lean.apply(event)
        assert (got.status, got.entries, got.message) == (
            expected.status,
            expected.entries,
            expected.message,
        )
    assert lean.balances() == full.balances()
    for event in stream.in_order():
        order_id = getattr(event, "order_id", None)
        if order_id is not None:
            assert lean.order_lines(order_id) == full.order_lines(order_id)


@examples(40)
@given(streams())
def test_a_redelivery_is_a_duplicate_and_other_content_a_conflict(stream: Stream) -> None:
    lean = Book(stream.build_plan(), history=False)
    events = stream.in_order()
    for event in events:
        lean.apply(event)
    before = lean.balances()
    first = events[0]
    again = lean.apply(event_from_mapping(event_to_dict(first)))
    assert (again.status, again.entries) == ("duplicate", ())
    changed = event_to_dict(first) | {"at": "2030-01-01T00:00:00Z"}
    with pytest.raises(EventConflictError) as caught:
        lean.apply(event_from_mapping(changed))
    assert caught.value.event_id == first.event_id
    assert lean.balances() == before


@examples(10)
@given(streams())
def test_what_needs_the_history_is_refused(stream: Stream) -> None:
    lean = Book(stream.build_plan(), history=False)
    events = stream.in_order()
    for event in events:
        lean.apply(event)
    for read in (lambda: lean.events, lambda: lean.entries):
        with pytest.raises(ValueError, match="history=False"):
            read()
    with pytest.raises(ValueError, match="history=False"):
        lean.balances(as_of=events[-1].at)
    with pytest.raises(ValueError, match="history=False"):
        lean.apply_batch(events[:1], atomic=True)
    with pytest.raises(ValueError, match="store"):
        Book(stream.build_plan(), store=MemoryStore(), history=False)
