"""A book without history (``history=False``), or without entries too (``entries=False``),
keeps the same ledger figures as one with it."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given

from socialcommerce_rules import load_plan
from socialcommerce_rules.book import Book, Outcome
from socialcommerce_rules.errors import EventConflictError, EventError, SocialCommerceError
from socialcommerce_rules.events import Event, event_from_mapping, event_to_dict
from socialcommerce_rules.ledger import AVAILABLE, MERCHANT
from socialcommerce_rules.store import MemoryStore

from .strategies import Stream, examples, streams

ARTICLE = Path(__file__).resolve().parents[2] / "examples" / "article_scheme.toml"


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
    _assert_same_order_lines(lean, full, stream)


@examples(120)
@given(streams(payouts=True))
def test_a_book_without_entries_keeps_the_same_balances_lines_and_outcomes(
    stream: Stream,
) -> None:
    full = Book(stream.build_plan())
    bare = Book(stream.build_plan(), history=False, entries=False)
    for event in stream.in_order():
        expected, got = _outcome(full, event), _outcome(bare, event)
        if isinstance(expected, SocialCommerceError):
            assert isinstance(got, SocialCommerceError)
            assert (got.code, str(got)) == (expected.code, str(expected))
            continue
        assert isinstance(got, Outcome)
        assert (got.status, got.entries, got.message, got.evaluation) == (
            expected.status,
            (),
            expected.message,
            expected.evaluation,
        )
        assert bare.balances() == full.balances()
    _assert_same_order_lines(bare, full, stream)
    again = bare.apply(stream.in_order()[0])
    assert (again.status, again.entries) == ("duplicate", ())
    # What may be paid out is kept alike: a payout of more is refused alike.
    for index, balance in enumerate(full.balances()):
        if balance.state == AVAILABLE and balance.holder != MERCHANT:
            payout = event_from_mapping(
                {
                    "type": "payout_made",
                    "event_id": f"too-much-{index}",
                    "at": "2030-01-01T00:00:00Z",
                    "participant": balance.holder,
                    "unit": balance.unit,
                    "amount": f"{abs(balance.amount) + 1:f}",
                }
            )
            errors = []
            for book in (full, bare):
                with pytest.raises(EventError) as caught:
                    book.apply(payout)
                errors.append(str(caught.value))
            assert errors[0] == errors[1]


def _outcome(book: Book, event: Event) -> Outcome | SocialCommerceError:
    try:
        return book.apply(event)
    except SocialCommerceError as error:
        return error


@examples(5)
@given(streams())
def test_a_book_without_entries_keeps_no_history(stream: Stream) -> None:
    with pytest.raises(ValueError, match="entries=False"):
        Book(stream.build_plan(), entries=False)
    with pytest.raises(ValueError, match="store"):
        Book(stream.build_plan(), store=MemoryStore(), history=False, entries=False)
    bare = Book(stream.build_plan(), history=False, entries=False)
    with pytest.raises(ValueError, match="history=False"):
        _ = bare.entries


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


@pytest.mark.parametrize("entries", [True, False])
def test_a_payment_written_otherwise_is_a_duplicate_and_another_a_conflict(
    entries: bool,
) -> None:
    """Without history a payment's fingerprint leaves its order out (the book keeps the
    order): the order is compared in full, with values written otherwise still equal."""
    book = Book(load_plan(ARTICLE), history=False, entries=entries)
    at = "2026-01-05T09:00:00+08:00"
    for event in (
        {"participant": "guide-li", "role": "guide", "store": "store-1"},
        {"participant": "zhao", "role": "member", "inviter": "guide-li"},
    ):
        book.apply(
            event_from_mapping(
                {"type": "participant_joined", "event_id": event["participant"], "at": at} | event
            )
        )
    paid = {
        "type": "order_paid",
        "event_id": "p1",
        "at": "2026-01-06T20:00:00+08:00",
        "order": {
            "order_id": "o1",
            "buyer": "zhao",
            "paid_at": "2026-01-06T20:00:00+08:00",
            "currency": "CNY",
            "items": [{"item_id": "1", "sku": "TEA", "unit_price": "100.00"}],
        },
    }
    book.apply(event_from_mapping(paid))
    before = book.balances()
    same = paid | {
        "at": "2026-01-06T12:00:00Z",
        "order": paid["order"]
        | {
            "paid_at": "2026-01-06T12:00:00+00:00",
            "items": [{"item_id": "1", "sku": "TEA", "unit_price": "100"}],
        },
    }
    assert book.apply(event_from_mapping(same)).status == "duplicate"
    for other in (
        paid | {"order": paid["order"] | {"items": [{**paid["order"]["items"][0], "quantity": 2}]}},
        paid | {"order": paid["order"] | {"order_id": "o2"}},
        paid | {"order": paid["order"] | {"coupons": "1.00"}},
        paid
        | {
            "at": "2026-01-06T20:00:01+08:00",
            "order": paid["order"] | {"paid_at": "2026-01-06T20:00:01+08:00"},
        },
        paid | {"sharer": "guide-li"},
    ):
        with pytest.raises(EventConflictError):
            book.apply(event_from_mapping(other))
    assert book.balances() == before


def _assert_same_order_lines(got: Book, expected: Book, stream: Stream) -> None:
    """Every order the stream names holds the same lines in both books."""
    for event in stream.in_order():
        order_id = getattr(event, "order_id", None)
        if order_id is not None:
            assert got.order_lines(order_id) == expected.order_lines(order_id)
