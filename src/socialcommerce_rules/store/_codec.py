"""Ledger entries and events to stored text and back, exactly, with the checks on reading.

A stored entry keeps its amounts as decimal strings (``str(Decimal)``, so the
exponent survives: ``"8.00"`` comes back as ``Decimal("8.00")``) and its time as
ISO 8601 with the original offset, so that reading gives back an equal
:class:`~socialcommerce_rules.ledger.Entry` with the same ``Decimal`` and
``datetime`` values.  Reading refuses anything a writer of this module could not
have written, with :class:`~socialcommerce_rules.errors.StoreCorruptError`.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from ..errors import StoreCorruptError
from ..events import Event, OrderPaid
from ..ledger import Entry, Posting
from ..money import ZERO, exact_sum

__all__ = [
    "EntryRow",
    "check_entry_row",
    "entry_from_row",
    "entry_row",
    "event_order_id",
]

EntryRow = tuple[str, str, str | None, str, str, str, str, str, str]
"""An entry as stored: entry_id, event_id, order_id, at, kind, unit, postings JSON,
reverses JSON, memo."""

# A JSON string literal of a str (non-ASCII kept as is).
_text: Callable[[str], str] = json.encoder.encode_basestring


def event_order_id(event: Event) -> str | None:
    """The order an event concerns, or None (joins, binding changes, settlement runs)."""
    if isinstance(event, OrderPaid):
        return event.order.order_id
    order_id = getattr(event, "order_id", None)
    return order_id if isinstance(order_id, str) else None


def entry_row(entry: Entry, *, at: str | None = None) -> EntryRow:
    """The stored form of an entry (``at``: its time as ISO text, if known already)."""
    # Written by hand rather than by json.dumps: a ledger of a million events
    # writes this for every entry.  Holders and states are JSON-escaped; a
    # Decimal's str() never needs escaping.
    postings = entry.postings
    if len(postings) == 2:  # the common case, in one formatting step
        (h1, s1, a1), (h2, s2, a2) = postings
        text = (
            f'[{{"holder":{_text(h1)},"state":{_text(s1)},"amount":"{a1}"}},'
            f'{{"holder":{_text(h2)},"state":{_text(s2)},"amount":"{a2}"}}]'
        )
    else:
        text = "[" + ",".join(
            f'{{"holder":{_text(p.holder)},"state":{_text(p.state)},"amount":"{p.amount}"}}'
            for p in postings
        ) + "]"
    reverses = entry.reverses
    return (
        entry.entry_id,
        entry.event_id,
        entry.order_id,
        entry.at.isoformat() if at is None else at,
        entry.kind,
        entry.unit,
        text,
        f"[{_text(reverses[0])}]" if len(reverses) == 1 else _list(reverses),
        entry.memo,
    )


def _list(texts: tuple[str, ...]) -> str:
    return "[" + ",".join(map(_text, texts)) + "]"


def entry_from_row(row: EntryRow | tuple[Any, ...]) -> Entry:
    """Rebuild an entry from its stored form.

    Raises:
        StoreCorruptError: a field is not what :func:`entry_row` writes.
    """
    entry_id, event_id, order_id, at, kind, unit, postings, reverses, memo = row
    if not all(isinstance(text, str) for text in (entry_id, event_id, at, kind, unit, memo)):
        raise _corrupt(entry_id, "a text field holds another type")
    if order_id is not None and not isinstance(order_id, str):
        raise _corrupt(entry_id, "order_id holds another type")
    return Entry(
        entry_id,
        event_id,
        order_id,
        _instant(entry_id, at),
        kind,
        unit,
        _postings(entry_id, postings),
        _reverses(entry_id, reverses),
        memo,
    )


def check_entry_row(entry: Entry, *, position: int) -> None:
    """Refuse an entry whose id does not follow from its event, or that does not balance.

    Raises:
        StoreCorruptError: naming the entry.
    """
    if entry.entry_id != f"{entry.event_id}#{position}":
        raise _corrupt(
            entry.entry_id, f"its id does not match event {entry.event_id!r}, entry {position}"
        )
    if not entry.postings:
        raise _corrupt(entry.entry_id, "it has no postings")
    total = exact_sum(posting.amount for posting in entry.postings)
    if total != ZERO:
        raise _corrupt(
            entry.entry_id,
            f"its postings in {entry.unit} add up to {total}, not 0: an amount was changed",
        )


def _instant(entry_id: object, text: str) -> datetime:
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        raise _corrupt(entry_id, f"at = {text!r} is not an ISO 8601 time") from None
    if when.tzinfo is None or when.utcoffset() is None:
        raise _corrupt(entry_id, f"at = {text!r} has no time zone")
    return when


def _postings(entry_id: object, text: object) -> tuple[Posting, ...]:
    data = _json(entry_id, "postings", text)
    if not isinstance(data, list):
        raise _corrupt(entry_id, "postings is not a list")
    postings = []
    for item in data:
        if not isinstance(item, dict) or set(item) != {"holder", "state", "amount"}:
            raise _corrupt(entry_id, "a posting is not {holder, state, amount}")
        holder, state, amount = item["holder"], item["state"], item["amount"]
        if not (isinstance(holder, str) and isinstance(state, str) and isinstance(amount, str)):
            raise _corrupt(entry_id, "a posting's holder, state or amount is not a string")
        try:
            value = Decimal(amount)
        except InvalidOperation:
            raise _corrupt(entry_id, f"amount {amount!r} is not a decimal") from None
        if not value.is_finite():
            raise _corrupt(entry_id, f"amount {amount!r} is not finite")
        postings.append(Posting(holder, state, value))
    return tuple(postings)


def _reverses(entry_id: object, text: object) -> tuple[str, ...]:
    if text == "[]":
        return ()
    data = _json(entry_id, "reverses", text)
    if not isinstance(data, list) or not all(isinstance(item, str) for item in data):
        raise _corrupt(entry_id, "reverses is not a list of entry ids")
    return tuple(data)


def _json(entry_id: object, field: str, text: object) -> Any:
    if not isinstance(text, str):
        raise _corrupt(entry_id, f"{field} is not JSON text")
    try:
        return json.loads(text)
    except ValueError:
        raise _corrupt(entry_id, f"{field} is not valid JSON") from None


def _corrupt(entry_id: object, message: str) -> StoreCorruptError:
    return StoreCorruptError("store-corrupt", f"entry {entry_id!s}: {message}")
