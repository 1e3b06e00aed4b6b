"""Fixtures for the store tests: the article plan, a generated stream, a store of each kind."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from socialcommerce_rules import Plan, load_plan
from socialcommerce_rules.errors import EventError
from socialcommerce_rules.events import Event, event_from_json
from socialcommerce_rules.store import MemoryStore, SQLiteStore

from ._events import PLAN, generate

Store = MemoryStore | SQLiteStore


@pytest.fixture(scope="session")
def plan() -> Plan:
    return load_plan(PLAN)


@pytest.fixture(scope="session")
def stream() -> list[Event]:
    """About 1,500 events (duplicates kept, lines that are not events dropped)."""
    events = []
    for line in generate(1_500, seed=11):
        try:
            events.append(event_from_json(line))
        except EventError:
            continue
    return events


@pytest.fixture(params=["memory", "sqlite"])
def make_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Callable[[], Store]]:
    """Open the same store again with each call (the same list, or the same file)."""
    opened: list[SQLiteStore] = []
    memory = MemoryStore()

    def make() -> Store:
        if request.param == "memory":
            return memory
        store = SQLiteStore(tmp_path / "ledger.sqlite")
        opened.append(store)
        return store

    yield make
    for store in opened:
        store.close()
