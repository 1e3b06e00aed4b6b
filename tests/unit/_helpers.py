"""Small builders shared by the unit tests: a plan as data, times, a deadline."""

from __future__ import annotations

import copy
import signal
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def at(days: float) -> datetime:
    """``days`` after T0 (2026-01-01T00:00:00Z)."""
    return T0 + timedelta(days=days)


_PLAN: dict[str, Any] = {
    "id": "unit-plan",
    "version": 1,
    "effective_from": "2026-01-01T00:00:00+00:00",
    "currency": "CNY",
    "max_depth": 2,
    "roles": [
        {"name": "member", "rank": 0, "earns": "points"},
        {"name": "maker", "rank": 1},
        {"name": "guide", "rank": 2},
    ],
    "rules": [
        {
            "kind": "level",
            "id": "sales",
            "levels": [
                {"level": 1, "rates": {"maker": "0.10", "guide": "0.08"}},
                {"level": 2, "rates": {"guide": "0.05"}},
            ],
        }
    ],
}


def plan_data(**changes: Any) -> dict[str, Any]:
    """A fresh copy of a small valid plan, with top-level keys replaced."""
    data = copy.deepcopy(_PLAN)
    data.update(changes)
    return data


def order_data(**changes: Any) -> dict[str, Any]:
    """A small valid order by m1, with top-level keys replaced."""
    data: dict[str, Any] = {
        "order_id": "o-1",
        "buyer": "m1",
        "paid_at": "2026-02-01T00:00:00+00:00",
        "currency": "CNY",
        "items": [{"item_id": "1", "sku": "TEA", "unit_price": "100.00"}],
    }
    data.update(changes)
    return data


@contextmanager
def deadline(seconds: float) -> Iterator[None]:
    """Abort the block with TimeoutError after ``seconds`` of wall time."""

    def expire(signum: int, frame: object) -> None:
        raise TimeoutError(f"took more than {seconds} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
