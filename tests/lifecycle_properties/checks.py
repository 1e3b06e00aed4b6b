"""What the lifecycle properties assert about a book, and how they deliver events."""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from decimal import Decimal

from socialcommerce_rules import Plan
from socialcommerce_rules.book import Book
from socialcommerce_rules.errors import EventNotReadyError
from socialcommerce_rules.events import Event
from socialcommerce_rules.ledger import (
    AVAILABLE,
    COMMISSION,
    HELD,
    MERCHANT,
    PAID_OUT,
    PENDING,
    POINTS,
    Entry,
    Posting,
)

BENEFICIARY_STATES = {PENDING, HELD, AVAILABLE, PAID_OUT}
KINDS = {"accrual", "hold", "release", "clawback", "adjustment", "invite", "payout"}


def entries_json(book: Book) -> list[str]:
    """The ledger as the canonical JSON text of each entry."""
    return [json.dumps(entry.to_dict(), ensure_ascii=False) for entry in book.entries]


def deliver_with_retries(book: Book, events: Iterable[Event]) -> None:
    """Deliver in the given order; park events that are not ready and retry them
    after each applied event, as a shop's queue would redeliver them."""
    parked: list[Event] = []
    for event in events:
        try:
            book.apply(event)
        except EventNotReadyError:
            parked.append(event)
            continue
        progress = True
        while parked and progress:
            progress = False
            for waiting in list(parked):
                try:
                    book.apply(waiting)
                except EventNotReadyError:
                    continue
                parked.remove(waiting)
                progress = True
    assert not parked, f"never ready: {[event.event_id for event in parked]}"


def interleave(chains: Sequence[Sequence[Event]], picks: Sequence[int]) -> list[Event]:
    """Merge ``chains`` keeping each one's order: ``picks`` names the chain to take
    the next event from, once per event (a permutation of the chains' labels)."""
    positions = [0] * len(chains)
    merged = []
    for chain in picks:
        merged.append(chains[chain][positions[chain]])
        positions[chain] += 1
    assert positions == [len(chain) for chain in chains]
    return merged


def check_order_conservation(book: Book, currency: str) -> None:
    """Per order: the ledger holds exactly the order's current lines, line by line,
    each between zero and what the payment credited."""
    by_order: dict[str, list[Entry]] = defaultdict(list)
    for entry in book.entries:
        if entry.order_id is not None:
            by_order[entry.order_id].append(entry)
    for order_id, entries in by_order.items():
        accruals = {e.entry_id: e for e in entries if e.kind == "accrual"}
        held: dict[str, Decimal] = {}
        for entry_id, entry in accruals.items():
            held[entry_id] = _beneficiary_posting(entry).amount
        for entry in entries:
            if entry.kind in ("clawback", "adjustment"):
                (reversed_id,) = entry.reverses
                reversed_entry = accruals[reversed_id]
                posting = _beneficiary_posting(entry)
                assert posting.holder == _beneficiary_posting(reversed_entry).holder
                assert entry.unit == reversed_entry.unit
                held[reversed_id] += posting.amount
        for entry_id, amount in held.items():
            credited = _beneficiary_posting(accruals[entry_id]).amount
            assert 0 <= amount <= credited, (order_id, entry_id, amount, credited)
        from_ledger = Counter(
            (_beneficiary_posting(accruals[entry_id]).holder, amount)
            for entry_id, amount in held.items()
        )
        lines = book.order_lines(order_id)
        from_lines = Counter(
            (beneficiary, amount) for (_, _, beneficiary, _), amount in lines.items()
        )
        assert from_ledger == from_lines, (order_id, from_ledger, from_lines)
        # Every posting to a beneficiary, in every state, adds up to the lines.
        totals: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
        for entry in entries:
            for posting in entry.postings:
                if posting.holder != MERCHANT:
                    totals[(posting.holder, entry.unit)] += posting.amount
        expected: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
        for entry_id, amount in held.items():
            accrual = accruals[entry_id]
            expected[(_beneficiary_posting(accrual).holder, accrual.unit)] += amount
        assert _nonzero(totals) == _nonzero(expected), order_id
        assert all(unit in (currency, POINTS) for _, unit in totals)


def _nonzero(totals: dict[tuple[str, str], Decimal]) -> dict[tuple[str, str], Decimal]:
    return {key: amount for key, amount in totals.items() if amount}


def _beneficiary_posting(entry: Entry) -> Posting:
    (posting,) = [p for p in entry.postings if p.holder != MERCHANT]
    return posting


def check_entries_balance(book: Book, currency: str, quantum: Decimal) -> None:
    """Every entry balances in its one unit; money and points never meet."""
    seen: set[str] = set()
    for entry in book.entries:
        assert entry.entry_id not in seen
        seen.add(entry.entry_id)
        assert entry.kind in KINDS, entry.kind
        assert entry.unit in (currency, POINTS), entry.unit
        assert entry.postings
        assert sum(posting.amount for posting in entry.postings) == 0, entry
        for posting in entry.postings:
            assert isinstance(posting.amount, Decimal)
            if entry.unit == POINTS:
                assert posting.amount == posting.amount.to_integral_value(), entry
            else:
                assert posting.amount.as_tuple().exponent == quantum.as_tuple().exponent, entry
            if posting.holder == MERCHANT:
                assert posting.state == (POINTS if entry.unit == POINTS else COMMISSION), entry
            else:
                assert posting.state in BENEFICIARY_STATES, entry
        for reversed_id in entry.reverses:
            assert reversed_id in seen, entry
        if entry.kind == "payout":
            # One participant's available balance to their paid_out, nothing else.
            source, target = entry.postings
            assert entry.order_id is None, entry
            assert not entry.reverses, entry
            assert source.holder == target.holder != MERCHANT, entry
            assert (source.state, target.state) == (AVAILABLE, PAID_OUT), entry
            assert target.amount > 0, entry
        else:
            assert all(posting.state != PAID_OUT for posting in entry.postings), entry


def check_settled_credit(book: Book, plan: Plan, settled: Iterable[str]) -> None:
    """Each participant's available plus paid out, per unit, is what the ``settled``
    orders credit them now (their lines, net of every clawback) plus their invite
    points: money reaches ``available`` only by settlement or an invite, and leaves
    it only by a clawback of a settled order or a payout, which moves it to
    ``paid_out``."""
    points_rules = {rule.id for rule in plan.rules if rule.kind == "points"}
    expected: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for order_id in settled:
        for (rule_id, _, beneficiary, _), amount in book.order_lines(order_id).items():
            unit = POINTS if rule_id in points_rules else plan.currency
            expected[(beneficiary, unit)] += amount
    for entry in book.entries:
        if entry.kind == "invite":
            posting = _beneficiary_posting(entry)
            expected[(posting.holder, entry.unit)] += posting.amount
    actual: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for balance in book.balances():
        if balance.state in (AVAILABLE, PAID_OUT):
            actual[(balance.holder, balance.unit)] += balance.amount
    assert _nonzero(actual) == _nonzero(expected)
