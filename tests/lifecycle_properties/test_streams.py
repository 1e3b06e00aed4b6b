"""Properties of whole event streams: conservation, balance, replay, redelivery, order."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from socialcommerce_rules.book import Book

from .checks import (
    check_entries_balance,
    check_order_conservation,
    check_settled_credit,
    deliver_with_retries,
    entries_json,
    interleave,
)
from .strategies import QUANTUM, Stream, examples, streams


def _run(stream: Stream) -> Book:
    book = Book(stream.build_plan())
    for event in stream.in_order():
        book.apply(event)
    return book


@examples(150)
@given(streams())
def test_every_order_holds_exactly_its_lines_after_every_event(stream: Stream) -> None:
    book = Book(stream.build_plan())
    for event in stream.in_order():
        book.apply(event)
        check_order_conservation(book, "CNY")


@examples(150)
@given(streams())
def test_every_entry_balances_in_one_unit(stream: Stream) -> None:
    book = _run(stream)
    check_entries_balance(book, "CNY", QUANTUM)
    # The merchant's accounts mirror every beneficiary's, unit by unit.
    totals: dict[tuple[str, bool], Decimal] = {}
    for balance in book.balances():
        key = (balance.unit, balance.holder == "merchant")
        totals[key] = totals.get(key, Decimal(0)) + balance.amount
    for (unit, is_merchant), amount in totals.items():
        assert amount == -totals.get((unit, not is_merchant), Decimal(0))


@examples(150)
@given(streams())
def test_replay_from_empty_is_byte_identical(stream: Stream) -> None:
    book = _run(stream)
    replayed = Book(stream.build_plan())
    for event in book.events:
        replayed.apply(event)
    assert entries_json(replayed) == entries_json(book)


@examples(150)
@given(streams(), st.data())
def test_redelivering_any_subset_changes_nothing(stream: Stream, data: st.DataObject) -> None:
    events = stream.in_order()
    reference = _run(stream)
    again = data.draw(st.lists(st.integers(0, len(events) - 1), max_size=len(events)))
    deliveries = list(events)
    for index in again:
        # Redelivered anywhere after the first delivery, however late.
        position = data.draw(st.integers(deliveries.index(events[index]) + 1, len(deliveries)))
        deliveries.insert(position, events[index])
    book = Book(stream.build_plan())
    first: dict[str, tuple[object, ...]] = {}
    for event in deliveries:
        outcome = book.apply(event)
        if event.event_id in first:
            assert outcome.status == "duplicate"
            assert outcome.entries == first[event.event_id]
        else:
            first[event.event_id] = outcome.entries
    assert entries_json(book) == entries_json(reference)


@examples(150)
@given(streams(), st.data())
def test_any_delivery_order_keeping_each_orders_causal_order_gives_the_same_ledger(
    stream: Stream, data: st.DataObject
) -> None:
    reference = _run(stream)
    book = Book(stream.build_plan())
    # Joins in any order (a newcomer before their inviter is not ready yet);
    # payments possibly before their buyer joined; each order's own steps in order.
    joins = [[event] for event in stream.in_order()[: len(stream.joins)]]
    before = joins + stream.phase_one()
    picks = data.draw(st.permutations([i for i, chain in enumerate(before) for _ in chain]))
    deliver_with_retries(book, interleave(before, picks))
    book.apply(stream.settlement_run())
    for payout in stream.payout_events():
        book.apply(payout)
    after = stream.phase_two()
    picks = data.draw(st.permutations([i for i, chain in enumerate(after) for _ in chain]))
    deliver_with_retries(book, interleave(after, picks))
    for payout in stream.final_payout_events():
        book.apply(payout)
    assert book.balances() == reference.balances()
    for story in stream.orders:
        assert book.order_lines(story.order_id) == reference.order_lines(story.order_id)
    # Entry ids are stable, so the very same entries exist, in another order.
    assert sorted(entries_json(book)) == sorted(entries_json(reference))


@examples(150)
@given(streams())
def test_available_plus_paid_out_is_what_settled_orders_and_invites_credit(
    stream: Stream,
) -> None:
    """Every completion falls before the settlement run and its window (at most 3
    days) ends before it: the completed orders are exactly the settled ones."""
    plan = stream.build_plan()
    book = Book(plan)
    settled = [
        story.order_id
        for story in stream.orders
        if any(step["type"] == "order_completed" for step in story.before)
    ]
    events = stream.in_order()
    for event in events:
        book.apply(event)
        if event.event_id == "settle":
            check_settled_credit(book, plan, settled)
    check_settled_credit(book, plan, settled)
    if stream.payouts or stream.final_payouts:
        assert any(entry.kind == "payout" for entry in book.entries)
