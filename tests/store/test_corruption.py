"""A SQLite ledger changed behind the library's back is refused when opened, with a clear error.

Each test writes a small ledger through a book, changes the file with the
standard ``sqlite3`` module (as someone with a database tool would), and opens
it again.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from socialcommerce_rules import Plan
from socialcommerce_rules.book import Book
from socialcommerce_rules.errors import StoreCorruptError, StoreError
from socialcommerce_rules.events import Event
from socialcommerce_rules.store import SQLiteStore

from .test_stores import apply_all


@pytest.fixture
def ledger(plan: Plan, stream: list[Event], tmp_path: Path) -> Path:
    path = tmp_path / "ledger.sqlite"
    with SQLiteStore(path) as store:
        apply_all(Book(plan, store=store), stream[:400])
    return path


@pytest.fixture
def db(ledger: Path) -> Iterator[sqlite3.Connection]:
    connection = sqlite3.connect(ledger, isolation_level=None)
    yield connection
    connection.close()


def refusal(path: Path) -> StoreCorruptError:
    with pytest.raises(StoreCorruptError) as caught:
        SQLiteStore(path, create=False)
    assert caught.value.code == "store-corrupt"
    return caught.value


def an_accrual(db: sqlite3.Connection) -> str:
    (entry_id,) = db.execute(
        "SELECT entry_id FROM entries WHERE kind = 'accrual' AND unit = 'CNY' LIMIT 1"
    ).fetchone()
    return str(entry_id)


def test_the_untouched_ledger_opens(plan: Plan, ledger: Path) -> None:
    with SQLiteStore(ledger, create=False) as store:
        assert len(Book(plan, store=store).events) == len(store) > 300


def test_an_edited_amount_is_refused(ledger: Path, db: sqlite3.Connection) -> None:
    entry_id = an_accrual(db)
    db.execute(
        "UPDATE entries SET postings = json_set(postings, '$[0].amount', '999.00') "
        "WHERE entry_id = ?",
        (entry_id,),
    )

    error = refusal(ledger)

    assert entry_id in str(error)
    assert "add up to" in str(error)


def test_an_amount_written_as_a_number_is_refused(ledger: Path, db: sqlite3.Connection) -> None:
    entry_id = an_accrual(db)
    db.execute(
        "UPDATE entries SET postings = json_set(postings, '$[0].amount', 8.5) WHERE entry_id = ?",
        (entry_id,),
    )

    assert "not a string" in str(refusal(ledger))


def test_a_deleted_entry_is_refused(ledger: Path, db: sqlite3.Connection) -> None:
    entry_id = an_accrual(db)
    db.execute("DELETE FROM entries WHERE entry_id = ?", (entry_id,))

    assert "missing" in str(refusal(ledger))


def test_a_deleted_event_is_refused(ledger: Path, db: sqlite3.Connection) -> None:
    db.execute("DELETE FROM entries WHERE event_seq = 7")
    db.execute("DELETE FROM events WHERE seq = 7")

    assert "events are missing" in str(refusal(ledger))


def test_the_last_event_deleted_is_refused(ledger: Path, db: sqlite3.Connection) -> None:
    (last,) = db.execute("SELECT max(seq) FROM events").fetchone()
    db.execute("DELETE FROM entries WHERE event_seq = ?", (last,))
    db.execute("DELETE FROM events WHERE seq = ?", (last,))

    assert "the file records" in str(refusal(ledger))


def test_an_entry_moved_to_another_event_is_refused(ledger: Path, db: sqlite3.Connection) -> None:
    entry_id = an_accrual(db)
    db.execute("UPDATE entries SET event_id = 'elsewhere' WHERE entry_id = ?", (entry_id,))

    assert "belongs to no stored event" in str(refusal(ledger))


def test_a_clawback_of_an_unknown_entry_is_refused(ledger: Path, db: sqlite3.Connection) -> None:
    (entry_id,) = db.execute(
        "SELECT entry_id FROM entries WHERE kind = 'clawback' LIMIT 1"
    ).fetchone()
    db.execute("UPDATE entries SET reverses = '[\"nowhere#0\"]' WHERE entry_id = ?", (entry_id,))

    assert "nowhere#0" in str(refusal(ledger))


def test_an_unreadable_event_is_refused_when_loaded(
    plan: Plan, ledger: Path, db: sqlite3.Connection
) -> None:
    db.execute('UPDATE events SET json = \'{"type": "order_paid"\' WHERE seq = 3')

    with SQLiteStore(ledger, create=False) as store, pytest.raises(StoreCorruptError) as caught:
        Book(plan, store=store)

    assert "cannot be read back" in str(caught.value)


def test_an_edit_that_keeps_the_balance_is_caught_by_the_replay(
    plan: Plan, ledger: Path, db: sqlite3.Connection
) -> None:
    # Both sides changed alike: the entry still balances, so the file opens;
    # the book's replay computes other entries from the events and refuses it.
    entry_id = an_accrual(db)
    db.execute(
        "UPDATE entries SET postings = json_set(postings, '$[0].amount', '1.00', "
        "'$[1].amount', '-1.00') WHERE entry_id = ?",
        (entry_id,),
    )

    with SQLiteStore(ledger, create=False) as store, pytest.raises(StoreCorruptError) as caught:
        Book(plan, store=store)

    assert caught.value.event_id == entry_id.split("#")[0]


def test_another_schema_version_is_refused_as_unavailable(
    ledger: Path, db: sqlite3.Connection
) -> None:
    db.execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'")

    with pytest.raises(StoreError) as caught:
        SQLiteStore(ledger, create=False)

    assert caught.value.code == "store-unavailable"
    assert "schema version 99" in str(caught.value)


def test_a_file_that_is_not_a_database_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "ledger.sqlite"
    path.write_bytes(b"this is not a database, it only has the name of one\n" * 100)

    assert "not a readable SQLite database" in str(refusal(path))


def test_another_applications_database_is_left_alone(tmp_path: Path) -> None:
    path = tmp_path / "other.sqlite"
    with sqlite3.connect(path) as other:
        other.execute("CREATE TABLE customers (name TEXT)")

    with pytest.raises(StoreError) as caught:
        SQLiteStore(path)

    assert caught.value.code == "store-unavailable"
    assert "not a socialcommerce_rules store" in str(caught.value)
    with sqlite3.connect(path) as other:
        tables = other.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()
    assert tables == [("customers",)]
