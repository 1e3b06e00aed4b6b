"""Invariant checkers: a plan, the events applied and the book in; violations out.

Each check reads the book's ledger and compares it with what the plan promises,
recomputed by the reference model (:mod:`._reference`) from the same events.  A
check never raises for a broken invariant: it returns :class:`Violation` records,
so that one run can report every problem it finds.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Sequence
from decimal import Decimal
from fractions import Fraction
from typing import Final, NamedTuple

from ..book import Book
from ..errors import EventNotReadyError, SocialCommerceError
from ..events import Event, OrderRefunded, RefundedItem
from ..ledger import AVAILABLE, COMMISSION, HELD, MERCHANT, PENDING, POINTS, Entry
from ..limits import DEPTH_MAX
from ..money import EXACT_CONTEXT
from ..plan import Plan
from ._reference import ReferenceBook, item_bases, quanta

__all__ = ["INVARIANTS", "Violation", "check_invariants"]

INVARIANTS: Final = (
    "conservation",
    "depth",
    "path",
    "eligibility",
    "cap",
    "refund",
    "refund-path",
    "balance",
    "determinism",
    "no-float",
    "model",
    "idempotency",
    "readiness",
    "acceptance",
)
"""The invariants the toolkit checks, by name (see ``docs/auditing.md``).

The last three are checked by the state machine only, while it delivers events:
a redelivered event changes nothing (``idempotency``), an event delivered before
its prerequisite is refused as not ready and changes nothing (``readiness``), and
a valid event is never refused nor makes the engine fail (``acceptance``).
"""

_BENEFICIARY_STATES: Final = (PENDING, HELD, AVAILABLE)


class Violation(NamedTuple):
    """One broken invariant.

    Attributes:
        invariant: its name, one of :data:`INVARIANTS`.
        message: one sentence naming the values that break it.
        event_id: the event it was found at, when one is to blame.
        order_id: the order concerned, if any.
    """

    invariant: str
    message: str
    event_id: str | None = None
    order_id: str | None = None


def check_invariants(
    plan: Plan,
    events: Sequence[Event],
    book: Book,
    *,
    replay: bool = True,
) -> list[Violation]:
    """Check a book's ledger against every invariant; return what is broken.

    Args:
        plan: the plan the book applies (one version).
        events: the events the book applied, in the order it applied them
            (``book.events``); a redelivered event id is skipped.  Orders paid
            through a sharer and share-click bindings are not modelled.
        book: the book after applying them.
        replay: also replay the events into fresh books for the
            ``determinism`` and ``refund-path`` checks (slower).

    Returns:
        The violations found, in invariant then ledger order; empty if none.

    >>> from socialcommerce_rules import load_plan
    >>> from socialcommerce_rules.book import Book
    >>> plan = load_plan("examples/article_scheme.toml")
    >>> check_invariants(plan, [], Book(plan))
    []
    """
    reference = ReferenceBook(plan)
    seen: set[str] = set()
    applied = []
    for event in events:
        if event.event_id not in seen:
            seen.add(event.event_id)
            applied.append(event)
            reference.apply(event)
    found = state_violations(plan, reference, book)
    if replay:
        found += replay_violations(plan, applied, book)
    return found


def state_violations(plan: Plan, reference: ReferenceBook, book: Book) -> list[Violation]:
    """Every check that needs no replay, against a reference that followed the book."""
    entries = book.entries
    found: list[Violation] = []
    found += _entry_violations(plan, entries)
    found += _order_violations(plan, reference, book)
    found += _refund_violations(reference, entries)
    found += _model_violations(plan, reference, entries)
    return found


def replay_violations(plan: Plan, events: Sequence[Event], book: Book) -> list[Violation]:
    """The checks that replay the events: determinism and refund-path independence."""
    found = []
    again = _replay(plan, events)
    if _ledger_text(again.entries) != _ledger_text(book.entries):
        found.append(Violation("determinism", "replaying the same events gives a different ledger"))
    found += _refund_path_violations(plan, events, book)
    return found


# ------------------------------------------------------------------- entries


def _entry_violations(plan: Plan, entries: Iterable[Entry]) -> list[Violation]:
    found = []
    for entry in entries:
        where = {"event_id": entry.event_id, "order_id": entry.order_id}
        floats = [p.amount for p in entry.postings if not isinstance(p.amount, Decimal)]
        if floats or any(isinstance(value, float) for value in entry):
            found.append(
                Violation("no-float", f"entry {entry.entry_id} holds a float: {floats}", **where)
            )
            continue
        total = sum((Fraction(p.amount) for p in entry.postings), Fraction(0))
        if total or not entry.postings:
            found.append(
                Violation(
                    "balance",
                    f"entry {entry.entry_id} does not balance: its postings add up to "
                    f"{float(total)}",  # float-ok: a message, never an amount
                    **where,
                )
            )
        if entry.unit not in (plan.currency, POINTS):
            found.append(
                Violation("balance", f"entry {entry.entry_id} is in unit {entry.unit}", **where)
            )
        for posting in entry.postings:
            merchant_state = POINTS if entry.unit == POINTS else COMMISSION
            if (posting.holder == MERCHANT and posting.state != merchant_state) or (
                posting.holder != MERCHANT and posting.state not in _BENEFICIARY_STATES
            ):
                found.append(
                    Violation(
                        "balance",
                        f"entry {entry.entry_id} posts to {posting.holder} in state "
                        f"{posting.state}",
                        **where,
                    )
                )
            step = Fraction(1) if entry.unit == POINTS else Fraction(plan.quantum)
            if (Fraction(posting.amount) / step).denominator != 1:
                found.append(
                    Violation(
                        "conservation",
                        f"entry {entry.entry_id} posts {posting.amount} {entry.unit}, not a "
                        f"whole multiple of {step}",
                        **where,
                    )
                )
    return found


# -------------------------------------------------------------------- orders


def _order_violations(plan: Plan, reference: ReferenceBook, book: Book) -> list[Violation]:
    found = []
    credited: dict[str, dict[str, Fraction]] = {}
    for entry in book.entries:
        if entry.kind == "accrual" and entry.order_id is not None and entry.unit != POINTS:
            by_holder = credited.setdefault(entry.order_id, {})
            for posting in entry.postings:
                if posting.holder != MERCHANT and isinstance(posting.amount, Decimal):
                    by_holder[posting.holder] = by_holder.get(posting.holder, Fraction(0)) + (
                        Fraction(posting.amount) / Fraction(plan.quantum)
                    )
    for order_id, state in reference.orders.items():
        event_id = f"order {order_id}"
        paid = sum(credited.get(order_id, {}).values(), Fraction(0))
        if paid > state.pool:
            found.append(
                Violation(
                    "conservation",
                    f"the lines credit {paid} quanta from a pool of {state.pool}",
                    order_id=order_id,
                )
            )
        base = sum(item_bases(plan, state.order))
        cap = math.floor(base * Fraction(plan.caps.order_ratio))
        if paid > cap:
            found.append(
                Violation("cap", f"{paid} quanta paid above the order cap {cap}", None, order_id)
            )
        if plan.caps.beneficiary_ratio is not None:
            limit = math.floor(base * Fraction(plan.caps.beneficiary_ratio))
            for holder, amount in sorted(credited.get(order_id, {}).items()):
                if amount > limit:
                    found.append(
                        Violation(
                            "cap",
                            f"{holder} is paid {amount} quanta above the beneficiary cap {limit}",
                            None,
                            order_id,
                        )
                    )
        try:
            lines = book.order_lines(order_id)
        except LookupError:
            found.append(Violation("model", f"the book does not know {event_id}", None, order_id))
            continue
        found += _line_violations(plan, state.chain, lines, order_id)
    return found


def _line_violations(
    plan: Plan,
    chain: Sequence[object],
    lines: dict[tuple[str, str | None, str, int], Decimal],
    order_id: str,
) -> list[Violation]:
    found = []
    rule_units = {rule.id: getattr(rule, "kind", "") for rule in plan.rules}
    earns = {role.name: role.earns for role in plan.roles}
    for rule_id, item_id, beneficiary, level in sorted(lines):
        if level > plan.max_depth or level > DEPTH_MAX or level < 0:
            found.append(
                Violation(
                    "depth",
                    f"{beneficiary} is paid at level {level}, above max_depth "
                    f"{plan.max_depth} (rule {rule_id}, item {item_id})",
                    None,
                    order_id,
                )
            )
            continue
        if level >= len(chain) or getattr(chain[level], "participant", None) != beneficiary:
            found.append(
                Violation(
                    "path",
                    f"{beneficiary} is paid at level {level} but is not the buyer's "
                    f"ancestor {level} levels up at payment (rule {rule_id})",
                    None,
                    order_id,
                )
            )
            continue
        link = chain[level]
        role: str = getattr(link, "role", "")
        unit = "points" if rule_units.get(rule_id) == "points" else "money"
        allowed = earns.get(role) == "money" or (unit == "points" and earns.get(role) == "points")
        if not allowed or not getattr(link, "active", False):
            found.append(
                Violation(
                    "eligibility",
                    f"{beneficiary} earns {unit} under rule {rule_id} as {role}"
                    f"{'' if getattr(link, 'active', False) else ' while inactive'}, which "
                    "the plan does not allow",
                    None,
                    order_id,
                )
            )
    return found


# ------------------------------------------------------------------- refunds


def _refund_violations(reference: ReferenceBook, entries: Sequence[Entry]) -> list[Violation]:
    found = []
    credited: dict[str, Fraction] = {}
    held: dict[str, Fraction] = {}
    accruals: dict[str, Entry] = {}
    for entry in entries:
        amounts = [Fraction(p.amount) for p in entry.postings if p.holder != MERCHANT]
        if isinstance(entry.postings[0].amount, float) if entry.postings else False:
            continue
        if entry.kind == "accrual":
            accruals[entry.entry_id] = entry
            credited[entry.entry_id] = held[entry.entry_id] = sum(amounts, Fraction(0))
        elif entry.kind in ("clawback", "adjustment"):
            for reversed_id in entry.reverses:
                if reversed_id not in held:
                    found.append(
                        Violation(
                            "refund",
                            f"entry {entry.entry_id} reverses the unknown entry {reversed_id}",
                            entry.event_id,
                            entry.order_id,
                        )
                    )
                    continue
                held[reversed_id] += sum(amounts, Fraction(0))
                if not 0 <= held[reversed_id] <= credited[reversed_id]:
                    found.append(
                        Violation(
                            "refund",
                            f"after entry {entry.entry_id} the line of {reversed_id} holds "
                            f"{_text(held[reversed_id])} of the {_text(credited[reversed_id])} "
                            "its payment credited",
                            entry.event_id,
                            entry.order_id,
                        )
                    )
    for order_id, state in reference.orders.items():
        if not state.closed:
            continue
        left = {
            entry_id: amount
            for entry_id, amount in held.items()
            if accruals[entry_id].order_id == order_id and amount
        }
        if left:
            first = sorted(left)[0]
            found.append(
                Violation(
                    "refund",
                    f"order {order_id} is fully refunded or cancelled but the line of {first} "
                    f"still holds {_text(left[first])}",
                    None,
                    order_id,
                )
            )
    return found


def _text(value: Fraction) -> str:
    if value.denominator == 1:
        return str(value.numerator)
    return f"{value.numerator}/{value.denominator}"


def _refund_path_violations(plan: Plan, events: Sequence[Event], book: Book) -> list[Violation]:
    """Each order refunded in several steps ends where one refund of the total would."""
    refunds: dict[str, list[OrderRefunded]] = {}
    for event in events:
        if isinstance(event, OrderRefunded):
            refunds.setdefault(event.order_id, []).append(event)
    found = []
    for order_id, steps in sorted(refunds.items()):
        if len(steps) < 2:
            continue
        units: dict[str, int] = {}
        amount_q = 0
        for step in steps:
            for item in step.items:
                units[item.item_id] = units.get(item.item_id, 0) + item.quantity
            if step.amount is not None:
                amount_q += quanta(step.amount, plan.quantum)
        amount = EXACT_CONTEXT.multiply(Decimal(amount_q), plan.quantum)
        last = steps[-1]
        merged: list[Event] = []
        if units:
            merged.append(
                OrderRefunded(
                    event_id=f"{last.event_id}~units",
                    at=last.at,
                    order_id=order_id,
                    items=tuple(
                        RefundedItem(item_id=k, quantity=v) for k, v in sorted(units.items())
                    ),
                )
            )
        if amount_q:
            merged.append(
                OrderRefunded(
                    event_id=f"{last.event_id}~amount", at=last.at, order_id=order_id, amount=amount
                )
            )
        stream: list[Event] = []
        for event in events:
            if isinstance(event, OrderRefunded) and event.order_id == order_id:
                if event is last:
                    stream += merged
                continue
            stream.append(event)
        try:
            again = _replay(plan, stream)
            lines = again.order_lines(order_id)
        except (SocialCommerceError, LookupError) as error:
            found.append(
                Violation(
                    "refund-path",
                    f"the refunds of order {order_id} merged into one are refused: {error}",
                    last.event_id,
                    order_id,
                )
            )
            continue
        if lines != book.order_lines(order_id):
            found.append(
                Violation(
                    "refund-path",
                    f"order {order_id}'s {len(steps)} partial refunds leave other lines than "
                    "one refund of their total",
                    last.event_id,
                    order_id,
                )
            )
    return found


# --------------------------------------------------------------------- model


def ledger_holdings(
    plan: Plan, entries: Iterable[Entry]
) -> dict[tuple[str | None, str, str, str], Fraction]:
    """(order id, holder, unit, state) -> amount from the ledger, as the reference keys it."""
    found: dict[tuple[str | None, str, str, str], Fraction] = {}
    for entry in entries:
        unit = POINTS if entry.unit == POINTS else "money"
        step = Fraction(1) if unit == POINTS else Fraction(plan.quantum)
        for posting in entry.postings:
            if posting.holder == MERCHANT or isinstance(posting.amount, float):
                continue
            key = (entry.order_id, posting.holder, unit, posting.state)
            found[key] = found.get(key, Fraction(0)) + Fraction(posting.amount) / step
    return {key: value for key, value in found.items() if value}


def _model_violations(
    plan: Plan, reference: ReferenceBook, entries: Sequence[Entry]
) -> list[Violation]:
    actual = ledger_holdings(plan, entries)
    expected = reference.holdings()
    found = []
    for key in sorted(set(actual) | set(expected), key=_sort_key):
        if actual.get(key, 0) != expected.get(key, 0):
            order_id, holder, unit, state = key
            step = "1" if unit == POINTS else str(plan.quantum)
            what = f"order {order_id}" if order_id is not None else "invites"
            found.append(
                Violation(
                    "model",
                    f"{holder} holds {_text(Fraction(actual.get(key, 0)))} x {step} {unit} "
                    f"{state} from {what}; "
                    f"the plan gives {expected.get(key, 0)}",
                    None,
                    order_id,
                )
            )
    return found


def _sort_key(key: tuple[str | None, str, str, str]) -> tuple[str, str, str, str]:
    order_id, holder, unit, state = key
    return (order_id or "", holder, unit, state)


# ------------------------------------------------------------------- helpers


def _replay(plan: Plan, events: Iterable[Event]) -> Book:
    book = Book(plan)
    for event in events:
        try:
            book.apply(event)
        except EventNotReadyError:
            continue
    return book


def _ledger_text(entries: Iterable[Entry]) -> list[str]:
    texts = []
    for entry in entries:
        try:
            texts.append(json.dumps(entry.to_dict(), ensure_ascii=False, sort_keys=True))
        except (TypeError, ValueError):
            texts.append(repr(entry))
    return texts
