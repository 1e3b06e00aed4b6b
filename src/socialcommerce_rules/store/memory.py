"""An in-memory store: a book's events and entries in a list, for tests and notebooks.

It keeps exactly what :class:`~socialcommerce_rules.store.SQLiteStore` keeps, with
the same transactions (nested ones join the outer one) and the same reading
methods, which see every event appended except those of a transaction nested in
another until it ends; code written against one runs against the other.
Nothing survives the process.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager

from ..errors import StoreError
from ..events import Event
from ..ledger import Entry
from ._codec import event_order_id
from ._transaction import Transaction

__all__ = ["MemoryStore"]


class MemoryStore:
    """Events and entries in memory, in the order applied.

    >>> from socialcommerce_rules import load_plan
    >>> from socialcommerce_rules.book import Book
    >>> from socialcommerce_rules.events import event_from_mapping
    >>> store = MemoryStore()
    >>> book = Book(load_plan("examples/article_scheme.toml"), store=store)
    >>> _ = book.apply(event_from_mapping({"type": "participant_joined", "event_id": "j1",
    ...     "at": "2026-01-05T09:00:00+08:00", "participant": "guide-li", "role": "guide"}))
    >>> len(store), [event.event_id for event in store.events()]
    (1, ['j1'])
    >>> len(Book(load_plan("examples/article_scheme.toml"), store=store).events)
    1
    """

    def __init__(self) -> None:
        self._records: list[tuple[Event, tuple[Entry, ...]]] = []
        self._ids: dict[str, int] = {}  # event id -> its place in _records
        self._meta: dict[str, str] = {}
        self._marks: list[int] = []
        self._transaction = Transaction(self)

    # ------------------------------------------------------------------ the protocol

    def load(self) -> Iterator[tuple[Event, tuple[Entry, ...]]]:
        """Every stored event with its entries, in the order applied."""
        return iter(self._visible())

    def append(
        self,
        event: Event,
        entries: tuple[Entry, ...],
        *,
        canonical: str | None = None,
    ) -> None:
        """Record an applied event and its entries (``canonical`` is not needed here).

        Raises:
            StoreError: the event id is stored already (``store-unavailable``).
        """
        if event.event_id in self._ids:
            raise StoreError(
                "store-unavailable",
                "this event id is stored already: another writer shares the store",
                event_id=event.event_id,
            )
        self._ids[event.event_id] = len(self._records)
        self._records.append((event, tuple(entries)))

    def transaction(self) -> AbstractContextManager[None]:
        """A context in which appends stay together, or are undone on error.

        Inside another transaction it joins it: an error undoes only its own
        appends (and propagates), the outer one decides about the rest.
        """
        return self._transaction

    @contextmanager
    def bulk(self, *, commit_every: int = 10_000) -> Iterator[None]:
        """The :meth:`SQLiteStore.bulk` context: every whole event appended inside is
        kept, even when the context ends by an error (in memory, nothing to commit)."""
        if commit_every < 1:
            raise ValueError(f"commit_every = {commit_every} must be at least 1")
        self._begin()
        try:
            yield
        finally:
            self._end(failed=False)

    # ------------------------------------------------------------------ reading

    def __len__(self) -> int:
        """The number of events stored."""
        return len(self._visible())

    def find(self, event_id: str) -> tuple[Event, tuple[Entry, ...]] | None:
        """The stored event with this id and its entries, or None."""
        position = self._ids.get(event_id)
        visible = self._marks[1] if len(self._marks) > 1 else len(self._records)
        return None if position is None or position >= visible else self._records[position]

    def events(self, *, order_id: str | None = None) -> Iterator[Event]:
        """The stored events in the order applied, or those concerning one order."""
        for event, _ in self._visible():
            if order_id is None or event_order_id(event) == order_id:
                yield event

    def entries(self, *, order_id: str | None = None) -> Iterator[Entry]:
        """The stored entries in the order recorded, or those of one order."""
        for _, entries in self._visible():
            for entry in entries:
                if order_id is None or entry.order_id == order_id:
                    yield entry

    def read_meta(self, key: str) -> str | None:
        """A value the caller stored with :meth:`write_meta`, or None."""
        return self._meta.get(key)

    def write_meta(self, key: str, value: str) -> None:
        """Keep a small text value with the ledger (e.g. which plan wrote it)."""
        self._meta[key] = value

    # ------------------------------------------------------------------ transactions

    def _visible(self) -> list[tuple[Event, tuple[Entry, ...]]]:
        """What reads see: not the appends of a transaction nested in another (yet)."""
        if len(self._marks) > 1:
            return self._records[: self._marks[1]]
        return list(self._records)

    def _begin(self) -> None:
        self._marks.append(len(self._records))

    def _end(self, failed: bool) -> None:
        mark = self._marks.pop()
        if failed:
            for event, _ in self._records[mark:]:
                self._ids.pop(event.event_id, None)
            del self._records[mark:]
