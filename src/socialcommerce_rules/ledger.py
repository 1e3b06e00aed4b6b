"""The ledger's values: postings and entries, balanced per unit, and balances.

An :class:`Entry` is one balanced transaction in one unit (a currency or
``"points"``): its postings add up to exactly zero.  Entries are never edited; a
clawback is a new entry that names the entries it reverses.  Balances are sums of
postings per (holder, unit, state), as of any time.

Holders are participant ids and :data:`MERCHANT`.  A participant's money or points
sit in one of three states: ``pending`` (order paid), ``held`` (order completed,
inside the after-sales window) and ``available`` (settled, withdrawable); what the
shop has paid out of ``available`` is recorded in ``paid_out``.  The
merchant's side of every commission is posted to ``commission`` (money) or
``points`` (points); its balance is negative: what the merchant has granted.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal
from typing import Any, Final, NamedTuple

from ._time import format_instant, to_instant
from .errors import InternalInvariantError
from .money import ZERO, exact_sum, format_decimal

__all__ = [
    "AVAILABLE",
    "COMMISSION",
    "HELD",
    "MERCHANT",
    "PAID_OUT",
    "PENDING",
    "POINTS",
    "Balance",
    "Entry",
    "Posting",
    "balances",
    "check_entry",
]

MERCHANT: Final = "merchant"
"""The holder that funds every commission."""
PENDING: Final = "pending"
"""State of money from a paid order that is not completed yet."""
HELD: Final = "held"
"""State of money from a completed order inside its after-sales window."""
AVAILABLE: Final = "available"
"""State of settled, withdrawable money (may go negative after a late clawback)."""
PAID_OUT: Final = "paid_out"
"""State of what a participant has been paid (``payout_made``): the sum of payouts."""
COMMISSION: Final = "commission"
"""The merchant's account for money commissions granted."""
POINTS: Final = "points"
"""The unit of points, and the merchant's account for points granted."""


class Posting(NamedTuple):
    """One side of an entry.

    Attributes:
        holder: a participant id or ``"merchant"``.
        state: ``pending``, ``held``, ``available``, or the merchant's
            ``commission`` / ``points``.
        amount: signed; positive adds to the holder's balance in that state.
    """

    holder: str
    state: str
    amount: Decimal


class Entry(NamedTuple):
    """One balanced transaction in one unit.

    Attributes:
        entry_id: ``"{event_id}#{n}"``, unique and stable across replays.
        event_id: the event that made it.
        order_id: the order it concerns, or None.
        at: the event's time.
        kind: ``accrual`` (order paid), ``hold`` (completed), ``release``
            (settled), ``clawback`` (refund or cancellation takes back),
            ``adjustment`` (a refund's recomputation gives back), ``invite``,
            ``payout`` (paid out of ``available``).
        unit: the currency code or ``"points"``.
        postings: the postings; their amounts add up to zero.
        reverses: ids of the entries this one reverses in part or in whole.
        memo: one sentence saying why.
    """

    entry_id: str
    event_id: str
    order_id: str | None
    at: datetime
    kind: str
    unit: str
    postings: tuple[Posting, ...]
    reverses: tuple[str, ...]
    memo: str

    def to_dict(self) -> dict[str, Any]:
        """Plain data: amounts as decimal strings, the time in UTC."""
        return {
            "entry_id": self.entry_id,
            "event_id": self.event_id,
            "order_id": self.order_id,
            "at": format_instant(to_instant(self.at)),
            "kind": self.kind,
            "unit": self.unit,
            "postings": [
                {"holder": p.holder, "state": p.state, "amount": format_decimal(p.amount)}
                for p in self.postings
            ],
            "reverses": list(self.reverses),
            "memo": self.memo,
        }


class Balance(NamedTuple):
    """A holder's balance in one unit and state.

    Attributes:
        holder: a participant id or ``"merchant"``.
        unit: the currency code or ``"points"``.
        state: the state (see :class:`Posting`).
        amount: the sum of the postings.
    """

    holder: str
    unit: str
    state: str
    amount: Decimal


def check_entry(entry: Entry) -> None:
    """Raise InternalInvariantError unless the entry balances to exactly zero."""
    postings = entry.postings
    if len(postings) == 2 and postings[0].amount == postings[1].amount.copy_negate():
        return  # the common case, exactly: two opposite amounts
    total = exact_sum(posting.amount for posting in postings)
    if total != ZERO or not entry.postings:
        raise InternalInvariantError(
            f"entry {entry.entry_id} does not balance: its postings add up to {total}",
            event_id=entry.event_id,
        )


def balances(entries: Iterable[Entry], *, as_of: datetime | None = None) -> list[Balance]:
    """Balances per (holder, unit, state) from ``entries``, as of an instant.

    Zero balances are left out; the result is sorted by holder, unit and state.
    """
    limit = None if as_of is None else to_instant(as_of)
    totals: dict[tuple[str, str, str], Decimal] = {}
    for entry in entries:
        if limit is not None and to_instant(entry.at) > limit:
            continue
        for posting in entry.postings:
            key = (posting.holder, entry.unit, posting.state)
            totals[key] = exact_sum((totals.get(key, ZERO), posting.amount))
    return [
        Balance(holder, unit, state, amount)
        for (holder, unit, state), amount in sorted(totals.items())
        if amount != ZERO
    ]
