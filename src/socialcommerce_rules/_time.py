"""Instants: aware datetimes to integer microseconds since the epoch, and back.

The library stores and compares times as integers (exact, cheap, hash-order
free); callers pass aware :class:`~datetime.datetime` values.  A naive datetime is
refused, since a payment time without a zone is ambiguous.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Final

__all__ = ["EPOCH", "format_instant", "to_instant", "utc_text"]

EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND: Final = timedelta(microseconds=1)
_NAIVE_EPOCH: Final = datetime(1970, 1, 1)  # EPOCH without its zone, for formatting


def to_instant(when: datetime) -> int:
    """Microseconds since 1970-01-01T00:00:00Z of an aware datetime.

    Raises:
        ValueError: ``when`` is not a datetime or has no time zone.
    """
    if not isinstance(when, datetime):
        raise ValueError(f"{when!r} is not a datetime")
    if when.tzinfo is None or when.utcoffset() is None:
        raise ValueError(f"{when.isoformat()} has no time zone")
    return (when - EPOCH) // _MICROSECOND


def format_instant(instant: int) -> str:
    """ISO 8601 text in UTC, e.g. ``2026-01-01T00:00:00Z`` (microseconds if any)."""
    return f"{(_NAIVE_EPOCH + timedelta(microseconds=instant)).isoformat()}Z"


def utc_text(when: datetime) -> str:
    """``format_instant(to_instant(when))`` for an aware datetime, computed directly."""
    offset = when.utcoffset()
    if not offset:
        if offset is None:
            raise ValueError(f"{when.isoformat()} has no time zone")
        return when.isoformat()[:-6] + "Z"  # in UTC already: "+00:00" becomes "Z"
    return f"{(when.replace(tzinfo=None) - offset).isoformat()}Z"
