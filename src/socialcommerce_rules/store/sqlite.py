"""An embedded SQLite store: a book's events and entries in one file, checked on open.

Standard library :mod:`sqlite3` only, in WAL mode with ``synchronous=NORMAL``: a
transaction is committed completely or not at all, even if the process is killed
while writing, so the file always holds a prefix of the events applied, each with
all of its entries.  Tables:

``meta``
    ``key``/``value`` text: ``schema_version``, ``events`` (how many are stored)
    and whatever a caller keeps with :meth:`SQLiteStore.write_meta`.
``events``
    ``seq`` (1, 2, ... in the order applied), ``event_id`` (unique), ``type``,
    ``order_id``, ``at`` (UTC), ``entry_count`` and ``json``: the canonical JSON
    of the event (:func:`~socialcommerce_rules.events.event_to_json`).
``entries``
    ``entry_id`` (unique), ``event_seq`` and ``position`` (the entry's place in
    its event), ``event_id``, ``order_id``, ``at`` (ISO 8601 with the event's
    offset), ``kind``, ``unit``, ``postings`` (JSON, amounts as decimal strings),
    ``reverses`` (JSON list of entry ids), ``memo``.

Opening a file checks what it holds: the schema version; events numbered 1..n
without gaps and as many as the file says; every entry belonging to a stored
event, numbered after it, balancing to exactly zero in its unit, reversing only
stored entries.  A file that fails is refused with
:class:`~socialcommerce_rules.errors.StoreCorruptError`; a file that cannot be
opened or written, or is not a store, with
:class:`~socialcommerce_rules.errors.StoreError` (``store-unavailable``).
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from types import TracebackType
from typing import Any, Final

from .._time import utc_text
from ..errors import EventError, StoreCorruptError, StoreError
from ..events import Event, event_from_json, event_to_json
from ..ledger import Entry
from ._codec import check_entry_row, entry_from_row, entry_row, event_order_id
from ._transaction import Transaction

__all__ = ["SCHEMA_VERSION", "SQLiteStore"]

SCHEMA_VERSION: Final = 1
"""The layout of the tables this module writes; a file of another version is refused."""

FLUSH_EVERY: Final = 10_000
"""Events kept in memory inside an open transaction before they are written to it."""

_TABLES: Final = ("meta", "events", "entries")

_SCHEMA: Final = """
CREATE TABLE IF NOT EXISTS meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS events (
    seq INTEGER PRIMARY KEY,
    event_id TEXT NOT NULL UNIQUE,
    type TEXT NOT NULL,
    order_id TEXT,
    at TEXT NOT NULL,
    entry_count INTEGER NOT NULL,
    json TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS events_by_order ON events (order_id) WHERE order_id IS NOT NULL;
CREATE TABLE IF NOT EXISTS entries (
    event_seq INTEGER NOT NULL REFERENCES events (seq),
    position INTEGER NOT NULL,
    entry_id TEXT NOT NULL UNIQUE,
    event_id TEXT NOT NULL,
    order_id TEXT,
    at TEXT NOT NULL,
    kind TEXT NOT NULL,
    unit TEXT NOT NULL,
    postings TEXT NOT NULL,
    reverses TEXT NOT NULL,
    memo TEXT NOT NULL,
    PRIMARY KEY (event_seq, position)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS entries_by_order ON entries (order_id) WHERE order_id IS NOT NULL;
"""

_ENTRY_COLUMNS: Final = "entry_id, event_id, order_id, at, kind, unit, postings, reverses, memo"

_JSON: Final = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))

_Mark = tuple[int, int, int]  # buffered events, buffered entries, last seq


class SQLiteStore:
    """A book's events and entries in a SQLite file.

    Args:
        path: the database file.
        create: make the file (and its tables) if it does not exist; if false,
            a missing file is refused.

    Raises:
        StoreCorruptError: the file fails the checks on open.
        StoreError: the file cannot be opened, is not a store, or was written
            by another schema version (``store-unavailable``).

    Appends are kept in memory until their transaction ends (or, inside
    :meth:`bulk`, until ``commit_every`` events are complete), then written and
    committed together.  Reads see every event appended, committed or not, but
    not those of a transaction nested in another until it ends (as
    :class:`MemoryStore`).

    >>> import tempfile, pathlib
    >>> from socialcommerce_rules import load_plan
    >>> from socialcommerce_rules.book import Book
    >>> from socialcommerce_rules.events import event_from_mapping
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "ledger.sqlite"
    >>> with SQLiteStore(path) as store:
    ...     book = Book(load_plan("examples/article_scheme.toml"), store=store)
    ...     _ = book.apply(event_from_mapping({"type": "participant_joined", "event_id": "j1",
    ...         "at": "2026-01-05T09:00:00+08:00", "participant": "guide-li", "role": "guide"}))
    >>> with SQLiteStore(path, create=False) as store:
    ...     [event.event_id for event in store.events()]
    ['j1']
    """

    def __init__(self, path: str | Path, *, create: bool = True) -> None:
        self.path = Path(path)
        if not create and not self.path.is_file():
            raise StoreError("store-unavailable", f"{self.path}: no such database file")
        self._event_rows: list[tuple[Any, ...]] = []
        self._entry_rows: list[tuple[Any, ...]] = []
        self._marks: list[_Mark] = []
        self._bulk_every: int | None = None
        self._open_transaction = False
        self._transaction = Transaction(self)
        try:
            self._db = sqlite3.connect(self.path, isolation_level=None, timeout=10.0)
        except sqlite3.Error as error:
            raise self._error(error) from None
        try:
            self._committed = self._open(create)
        except BaseException:
            self._db.close()
            raise
        self._seq = self._committed

    # ------------------------------------------------------------------ opening

    def _open(self, create: bool) -> int:
        try:
            self._db.execute("PRAGMA journal_mode = WAL")
            self._db.execute("PRAGMA synchronous = NORMAL")
            self._db.execute("PRAGMA cache_size = -65536")
            tables = self._tables()
            if not tables and create:
                self._create()
                tables = self._tables()
            return self._check(tables)
        except sqlite3.Error as error:
            raise self._error(error) from None

    def _tables(self) -> set[str]:
        rows = self._db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        return {name for (name,) in rows}

    def _create(self) -> None:
        self._db.execute("BEGIN IMMEDIATE")
        try:
            if not self._tables():
                for statement in _SCHEMA.split(";"):
                    if statement.strip():
                        self._db.execute(statement)
                self._db.executemany(
                    "INSERT INTO meta (key, value) VALUES (?, ?)",
                    [("schema_version", str(SCHEMA_VERSION)), ("events", "0")],
                )
            self._db.execute("COMMIT")
        except BaseException:
            self._db.execute("ROLLBACK")
            raise

    def _check(self, tables: set[str]) -> int:
        """Check the stored ledger's invariants; return how many events it holds."""
        if "meta" not in tables:
            raise StoreError(
                "store-unavailable",
                f"{self.path} is not a socialcommerce_rules store"
                + (" (it holds other tables)" if tables else " (it is empty)"),
            )
        meta = dict(self._db.execute("SELECT key, value FROM meta"))
        version = meta.get("schema_version")
        if version != str(SCHEMA_VERSION):
            raise StoreError(
                "store-unavailable",
                f"{self.path} has schema version {version}; this library reads {SCHEMA_VERSION}",
            )
        missing = [table for table in _TABLES if table not in tables]
        if missing:
            raise self._corrupt(f"the tables {', '.join(missing)} are missing")
        count, low, high = self._db.execute(
            "SELECT count(*), coalesce(min(seq), 1), coalesce(max(seq), 0) FROM events"
        ).fetchone()
        if low != 1 or high != count:
            raise self._corrupt(f"events are missing: {count} stored, numbered {low} to {high}")
        if meta.get("events") != str(count):
            recorded = meta.get("events")
            raise self._corrupt(f"{count} events are stored, but the file records {recorded}")
        self._check_entries()
        return int(count)

    def _check_entries(self) -> None:
        orphan = self._db.execute(
            "SELECT e.entry_id FROM entries e LEFT JOIN events v ON v.seq = e.event_seq "
            "WHERE v.seq IS NULL OR v.event_id IS NOT e.event_id LIMIT 1"
        ).fetchone()
        if orphan is not None:
            raise self._corrupt(f"entry {orphan[0]} belongs to no stored event")
        miscounted = self._db.execute(
            "SELECT v.event_id FROM events v LEFT JOIN "
            "(SELECT event_seq, count(*) AS n FROM entries GROUP BY event_seq) e "
            "ON e.event_seq = v.seq WHERE coalesce(e.n, 0) != v.entry_count LIMIT 1"
        ).fetchone()
        if miscounted is not None:
            raise self._corrupt(f"entries of event {miscounted[0]} are missing")
        for position, *row in self._db.execute(
            f"SELECT position, {_ENTRY_COLUMNS} FROM entries ORDER BY event_seq, position"
        ):
            check_entry_row(entry_from_row(row), position=position)
        dangling = self._db.execute(
            "SELECT e.entry_id, j.value FROM entries e, json_each(e.reverses) j "
            "WHERE NOT EXISTS (SELECT 1 FROM entries r WHERE r.entry_id = j.value) LIMIT 1"
        ).fetchone()
        if dangling is not None:
            raise self._corrupt(f"entry {dangling[0]} reverses {dangling[1]}, which is not stored")

    # ------------------------------------------------------------------ the protocol

    def load(self) -> Iterator[tuple[Event, tuple[Entry, ...]]]:
        """Every stored event with its entries, in the order applied.

        Raises:
            StoreCorruptError: a stored event or entry cannot be read back.
        """
        entries = self._rows(
            f"SELECT event_seq, {_ENTRY_COLUMNS} FROM entries ORDER BY event_seq, position"
        )
        pending = next(entries, None)
        for seq, event_id, kind, text in self._rows(
            "SELECT seq, event_id, type, json FROM events ORDER BY seq"
        ):
            event = _event(event_id, kind, text)
            built = []
            while pending is not None and pending[0] == seq:
                built.append(entry_from_row(pending[1:]))
                pending = next(entries, None)
            yield event, tuple(built)

    def append(
        self,
        event: Event,
        entries: tuple[Entry, ...],
        *,
        canonical: str | None = None,
    ) -> None:
        """Record an applied event and its entries, committed when the transaction ends.

        Outside a transaction, the append is a transaction of its own.

        Args:
            event: the event applied.
            entries: the entries it recorded.
            canonical: ``event_to_json(event)``, if the caller has it already.
        """
        if not self._marks:
            with self._transaction:
                self.append(event, entries, canonical=canonical)
            return
        self._seq += 1
        self._event_rows.append(
            (
                self._seq,
                event.event_id,
                event.type,
                event_order_id(event),
                utc_text(event.at),
                len(entries),
                event_to_json(event) if canonical is None else canonical,
            )
        )
        seq = self._seq
        at = event.at.isoformat()
        self._entry_rows.extend(
            (seq, position, *entry_row(entry, at=at if entry.at is event.at else None))
            for position, entry in enumerate(entries)
        )
        if len(self._marks) == 1:
            self._between_events()

    def transaction(self) -> AbstractContextManager[None]:
        """A context whose appends are committed together at its end, or not at all.

        Inside another transaction (or :meth:`bulk`) it joins it: an error undoes
        only its own appends and propagates; the outer one commits the rest.
        """
        return self._transaction

    @contextmanager
    def bulk(self, *, commit_every: int = 10_000) -> Iterator[None]:
        """A context for long runs: commit every ``commit_every`` events, not each one.

        Transactions inside it (one per applied event) join it; whenever one
        ends with ``commit_every`` or more events uncommitted, they are committed
        together.  At the end of the context, normally or by an error, every
        complete event is committed.  A process killed inside loses at most the
        uncommitted events; since events are idempotent by ``event_id``,
        applying the same events again completes the ledger.  Inside a
        transaction, ``bulk`` joins it and commits nothing early.

        Raises:
            ValueError: ``commit_every`` is below 1.
        """
        if commit_every < 1:
            raise ValueError(f"commit_every = {commit_every} must be at least 1")
        if self._marks:
            with self._transaction:
                yield
            return
        self._bulk_every = commit_every
        self._begin()
        try:
            yield
        except BaseException:
            self._marks.pop()
            self._commit()
            raise
        else:
            self._end(failed=False)
        finally:
            self._bulk_every = None

    # ------------------------------------------------------------------ reading

    def __len__(self) -> int:
        """The number of events stored."""
        return int(self._query_one("SELECT coalesce(max(seq), 0) FROM events")[0])

    def find(self, event_id: str) -> tuple[Event, tuple[Entry, ...]] | None:
        """The stored event with this id and its entries, or None."""
        row = self._query_one("SELECT seq, type, json FROM events WHERE event_id = ?", (event_id,))
        if row is None:
            return None
        seq, kind, text = row
        entries = tuple(
            entry_from_row(entry)
            for entry in self._rows(
                f"SELECT {_ENTRY_COLUMNS} FROM entries WHERE event_seq = ? ORDER BY position",
                (seq,),
            )
        )
        return _event(event_id, kind, text), entries

    def events(self, *, order_id: str | None = None) -> Iterator[Event]:
        """The stored events in the order applied, or those concerning one order."""
        where, parameters = _where(order_id)
        for event_id, kind, text in self._rows(
            f"SELECT event_id, type, json FROM events {where} ORDER BY seq", parameters
        ):
            yield _event(event_id, kind, text)

    def entries(self, *, order_id: str | None = None) -> Iterator[Entry]:
        """The stored entries in the order recorded, or those of one order."""
        where, parameters = _where(order_id)
        for row in self._rows(
            f"SELECT {_ENTRY_COLUMNS} FROM entries {where} ORDER BY event_seq, position",
            parameters,
        ):
            yield entry_from_row(row)

    def read_meta(self, key: str) -> str | None:
        """A value stored with :meth:`write_meta`, or None."""
        row = self._query_one("SELECT value FROM meta WHERE key = ?", (key,))
        return None if row is None else str(row[0])

    def write_meta(self, key: str, value: str) -> None:
        """Keep a small text value with the ledger (e.g. which plan wrote it).

        Raises:
            ValueError: ``key`` is one the store keeps itself.
        """
        if key in ("schema_version", "events"):
            raise ValueError(f"meta key {key!r} is kept by the store")
        try:
            self._db.execute(
                "INSERT INTO meta (key, value) VALUES (?, ?) "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (key, value),
            )
        except sqlite3.Error as error:
            raise self._error(error) from None

    def close(self) -> None:
        """Close the file; uncommitted appends are dropped."""
        if self._open_transaction:
            self._rollback()
        self._db.close()

    def __enter__(self) -> SQLiteStore:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    # ------------------------------------------------------------------ transactions

    def _begin(self) -> None:
        self._marks.append((len(self._event_rows), len(self._entry_rows), self._seq))

    def _end(self, failed: bool) -> None:
        events, entries, seq = self._marks.pop()
        if failed:
            if self._marks:
                del self._event_rows[events:]
                del self._entry_rows[entries:]
                self._seq = seq
            else:
                self._rollback()
        elif not self._marks:
            self._commit()
        elif len(self._marks) == 1:
            self._between_events()

    def _between_events(self) -> None:
        """Inside the outermost context, after a whole event: commit or write a batch."""
        if self._bulk_every is not None and self._seq - self._committed >= self._bulk_every:
            self._commit()
        elif len(self._event_rows) >= FLUSH_EVERY:
            self._flush()

    def _flush(self, events: int | None = None, entries: int | None = None) -> None:
        """Write buffered rows (all, or the first ``events`` and ``entries``) inside the
        open SQLite transaction, begun if need be."""
        event_rows = self._event_rows[:events]
        entry_rows = self._entry_rows[:entries]
        if not event_rows and not self._open_transaction:
            return
        try:
            if not self._open_transaction:
                self._db.execute("BEGIN IMMEDIATE")
                self._open_transaction = True
                (last,) = self._db.execute("SELECT coalesce(max(seq), 0) FROM events").fetchone()
                if last != self._committed:
                    raise StoreError(
                        "store-unavailable",
                        f"{self.path} was written by another process since it was opened",
                    )
            self._db.executemany("INSERT INTO events VALUES (?, ?, ?, ?, ?, ?, ?)", event_rows)
            self._db.executemany(
                f"INSERT INTO entries (event_seq, position, {_ENTRY_COLUMNS}) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                entry_rows,
            )
        except sqlite3.Error as error:
            self._rollback()
            raise self._error(error) from None
        except BaseException:
            self._rollback()
            raise
        del self._event_rows[: len(event_rows)]
        del self._entry_rows[: len(entry_rows)]
        # Open transactions marked their start in the buffer: it moved.
        self._marks = [
            (max(e - len(event_rows), 0), max(n - len(entry_rows), 0), seq)
            for e, n, seq in self._marks
        ]

    def _visible(self) -> None:
        """Before a read: write every whole event appended (not a nested transaction's)."""
        if not self._event_rows or not self._marks:
            return
        if len(self._marks) == 1:
            self._flush()
        else:
            events, entries, _ = self._marks[1]
            if events:
                self._flush(events, entries)

    def _commit(self) -> None:
        self._flush()
        if not self._open_transaction:
            return
        try:
            self._db.execute("UPDATE meta SET value = ? WHERE key = 'events'", (str(self._seq),))
            self._db.execute("COMMIT")
        except sqlite3.Error as error:
            self._rollback()
            raise self._error(error) from None
        self._open_transaction = False
        self._committed = self._seq

    def _rollback(self) -> None:
        """Undo everything uncommitted, including in the transactions still open."""
        self._marks = [(0, 0, self._committed) for _ in self._marks]
        if self._open_transaction:
            self._open_transaction = False
            # The transaction may be gone already: SQLite rolls back on some errors.
            with contextlib.suppress(sqlite3.Error):
                self._db.execute("ROLLBACK")
        self._event_rows.clear()
        self._entry_rows.clear()
        self._seq = self._committed

    # ------------------------------------------------------------------ helpers

    def _rows(self, sql: str, parameters: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
        self._visible()
        try:
            cursor = self._db.execute(sql, parameters)
            while rows := cursor.fetchmany(1024):
                yield from rows
        except sqlite3.Error as error:
            raise self._error(error) from None

    def _query_one(self, sql: str, parameters: tuple[Any, ...] = ()) -> Any:
        self._visible()
        try:
            return self._db.execute(sql, parameters).fetchone()
        except sqlite3.Error as error:
            raise self._error(error) from None

    def _corrupt(self, message: str) -> StoreCorruptError:
        return StoreCorruptError("store-corrupt", f"{self.path}: {message}")

    def _error(self, error: sqlite3.Error) -> StoreError:
        text = str(error)
        if isinstance(error, sqlite3.IntegrityError):
            return StoreError(
                "store-unavailable",
                f"{self.path}: {text}: an event or entry is stored already; "
                "another writer shares this file",
            )
        if isinstance(error, sqlite3.DatabaseError) and not isinstance(
            error, sqlite3.OperationalError
        ):
            return self._corrupt(f"not a readable SQLite database ({text})")
        if "malformed" in text:
            return self._corrupt(f"not a readable SQLite database ({text})")
        return StoreError("store-unavailable", f"{self.path}: {text}")


def _where(order_id: str | None) -> tuple[str, tuple[Any, ...]]:
    return ("", ()) if order_id is None else ("WHERE order_id = ?", (order_id,))


def _event(event_id: object, kind: object, text: object) -> Event:
    """A stored event, read back; refused unless it is the one its row names."""
    if not isinstance(text, str):
        raise StoreCorruptError("store-corrupt", f"event {event_id!s}: its JSON is not text")
    try:
        event = event_from_json(text)
    except EventError as error:
        raise StoreCorruptError(
            "store-corrupt", f"event {event_id!s} cannot be read back: {error}"
        ) from None
    if event.event_id != event_id or event.type != kind:
        raise StoreCorruptError(
            "store-corrupt", f"event {event_id!s}: its JSON names {event.event_id} ({event.type})"
        )
    return event
