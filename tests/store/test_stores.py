"""Both stores keep exactly what a book applied, give it back exactly, and honour transactions."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import pytest

from socialcommerce_rules import Plan
from socialcommerce_rules.book import Book
from socialcommerce_rules.errors import EventConflictError, SocialCommerceError, StoreError
from socialcommerce_rules.events import Event, event_from_mapping, event_to_dict
from socialcommerce_rules.ledger import Entry, Posting
from socialcommerce_rules.store import MemoryStore, SQLiteStore

from .conftest import Store


def apply_all(book: Book, events: Sequence[Event]) -> list[str]:
    """Each event's status, or the code it was refused with."""
    results: list[str] = []
    for event in events:
        try:
            results.append(book.apply(event).status)
        except StoreError:
            raise
        except SocialCommerceError as error:
            results.append(error.code)
    return results


def joined(event_id: str, participant: str, *, inviter: str | None = None) -> Event:
    data = {
        "type": "participant_joined",
        "event_id": event_id,
        "at": "2026-01-05T09:00:00+08:00",
        "participant": participant,
        "role": "guide" if inviter is None else "member",
    }
    if inviter is not None:
        data["inviter"] = inviter
    return event_from_mapping(data)


def append_then_fail(store: Store, events: list[Event], *, nested: bool = False) -> None:
    """Append inside a transaction (each in an inner one if ``nested``), then fail."""
    with store.transaction():
        for event in events:
            if nested:
                with store.transaction():
                    store.append(event, ())
            else:
                store.append(event, ())
        raise RuntimeError("refused")


def append_in_bulk(
    store: SQLiteStore,
    count: int,
    *,
    commit_every: int,
    each_in_a_transaction: bool,
    seen: Callable[[], None],
) -> None:
    """Append ``count`` joins in a bulk context (one transaction each, or none), then fail."""
    with store.bulk(commit_every=commit_every):
        for number in range(count):
            event = joined(f"j{number}", f"p{number}")
            if each_in_a_transaction:
                with store.transaction():
                    store.append(event, ())
            else:
                store.append(event, ())
            seen()
        raise RuntimeError("stop")


def test_the_stream_exercises_every_kind_of_entry(plan: Plan, stream: list[Event]) -> None:
    book = Book(plan)
    results = apply_all(book, stream)

    assert {"applied", "duplicate", "event-refund-exceeds-paid"} <= set(results)
    kinds = {entry.kind for entry in book.entries}
    assert {"accrual", "hold", "release", "clawback", "invite"} <= kinds


def test_memory_and_sqlite_keep_identical_entries(
    plan: Plan, stream: list[Event], tmp_path: Path
) -> None:
    memory = MemoryStore()
    in_memory = Book(plan, store=memory)
    # Without a store the book keeps each order as it came; with one, a compact
    # copy that refunds rebuild orders from: the same ledger either way.
    storeless = Book(plan)
    with SQLiteStore(tmp_path / "ledger.sqlite") as sqlite:
        on_disk = Book(plan, store=sqlite)

        results = apply_all(storeless, stream)
        assert apply_all(in_memory, stream) == apply_all(on_disk, stream) == results
        assert list(memory.entries()) == list(sqlite.entries()) == list(in_memory.entries)
        assert list(storeless.entries) == list(in_memory.entries)
        assert [entry.to_dict() for entry in sqlite.entries()] == [
            entry.to_dict() for entry in in_memory.entries
        ]
        assert list(memory.events()) == list(sqlite.events()) == list(in_memory.events)
        assert len(memory) == len(sqlite) == len(in_memory.events)


def test_reopening_replays_to_the_same_book(
    plan: Plan, stream: list[Event], make_store: Callable[[], Store]
) -> None:
    first = Book(plan, store=make_store())
    results = apply_all(first, stream)

    again = Book(plan, store=make_store())

    assert again.entries == first.entries
    assert again.events == first.events
    assert again.balances() == first.balances()
    # A second delivery of the whole stream: duplicates, and the same refusals.
    assert apply_all(again, stream) == [
        "duplicate" if result in ("applied", "unchanged", "duplicate") else result
        for result in results
    ]
    assert again.entries == first.entries
    assert len(make_store()) == len(first.events)


def test_load_gives_back_decimals_and_times_exactly(tmp_path: Path) -> None:
    china = datetime.fromisoformat("2026-01-06T20:15:00.000001+08:00")
    entry = Entry(
        "e1#0",
        "e1",
        "o1",
        china,
        "accrual",
        "CNY",
        (
            Posting("wang", "pending", Decimal("33.60")),
            Posting("merchant", "commission", Decimal("-33.60")),
        ),
        (),
        'wang earns 33.60 CNY "quoted", 会员\n',
    )
    event = event_from_mapping(
        {"type": "order_completed", "event_id": "e1", "at": china.isoformat(), "order_id": "o1"}
    )
    with SQLiteStore(tmp_path / "ledger.sqlite") as store:
        store.append(event, (entry,))
    with SQLiteStore(tmp_path / "ledger.sqlite") as store:
        [(loaded_event, (loaded,))] = list(store.load())

    assert loaded_event == event
    assert loaded == entry
    assert [str(posting.amount) for posting in loaded.postings] == ["33.60", "-33.60"]
    assert loaded.at.utcoffset() == china.utcoffset()
    assert loaded.at.isoformat() == china.isoformat()
    assert loaded.memo == entry.memo


def test_an_append_outside_a_transaction_is_committed_at_once(
    make_store: Callable[[], Store],
) -> None:
    store = make_store()
    store.append(joined("j1", "guide-li"), ())

    assert [event.event_id for event in make_store().events()] == ["j1"]


def test_an_inner_transaction_that_fails_undoes_only_its_own_appends(
    make_store: Callable[[], Store],
) -> None:
    store = make_store()
    with store.transaction():
        store.append(joined("j1", "a"), ())
        with pytest.raises(RuntimeError):
            append_then_fail(store, [joined("j2", "b")])
        store.append(joined("j3", "c"), ())

    assert [event.event_id for event in make_store().events()] == ["j1", "j3"]


def test_an_outer_transaction_that_fails_undoes_everything_inside(
    make_store: Callable[[], Store],
) -> None:
    store = make_store()
    store.append(joined("j0", "z"), ())
    with pytest.raises(RuntimeError):
        append_then_fail(store, [joined("j1", "a"), joined("j2", "b")], nested=True)

    assert [event.event_id for event in make_store().events()] == ["j0"]
    store.append(joined("j1", "a"), ())
    assert [event.event_id for event in make_store().events()] == ["j0", "j1"]


def test_an_atomic_batch_that_fails_leaves_the_store_as_it_was(
    plan: Plan, make_store: Callable[[], Store]
) -> None:
    book = Book(plan, store=make_store())
    book.apply(joined("j1", "guide-li"))
    batch = [joined("j2", "wang", inviter="guide-li"), joined("j3", "chen", inviter="nobody")]

    with pytest.raises(SocialCommerceError):
        book.apply_batch(batch, atomic=True)

    assert [event.event_id for event in make_store().events()] == ["j1"]
    assert [event.event_id for event in Book(plan, store=make_store()).events] == ["j1"]


def test_a_refused_event_is_not_stored(plan: Plan, make_store: Callable[[], Store]) -> None:
    book = Book(plan, store=make_store())
    book.apply(joined("j1", "guide-li"))
    with pytest.raises(SocialCommerceError):
        book.apply(joined("j2", "wang", inviter="nobody"))

    assert [event.event_id for event in make_store().events()] == ["j1"]


def test_entries_and_events_of_one_order(
    plan: Plan, stream: list[Event], make_store: Callable[[], Store]
) -> None:
    book = Book(plan, store=make_store())
    apply_all(book, stream)
    store = make_store()

    entries = list(store.entries(order_id="o3"))
    assert entries == [entry for entry in book.entries if entry.order_id == "o3"]
    assert entries
    events = [event_to_dict(event) for event in store.events(order_id="o3")]
    assert events[0]["type"] == "order_paid"
    assert all(event.get("order_id", "o3") == "o3" for event in events)


def test_meta_values_are_kept(make_store: Callable[[], Store]) -> None:
    make_store().write_meta("plans", "article-scheme v1")

    assert make_store().read_meta("plans") == "article-scheme v1"
    assert make_store().read_meta("missing") is None


@pytest.mark.parametrize("each_in_a_transaction", [True, False])
def test_bulk_commits_every_n_events_and_keeps_them_on_error(
    tmp_path: Path, each_in_a_transaction: bool
) -> None:
    path = tmp_path / "ledger.sqlite"
    with SQLiteStore(path) as store, SQLiteStore(path) as reader:
        seen: list[int] = []
        with pytest.raises(RuntimeError):
            append_in_bulk(
                store,
                7,
                commit_every=3,
                each_in_a_transaction=each_in_a_transaction,
                seen=lambda: seen.append(len(reader)),
            )
        # After 1, 2, ... 7 events another connection saw the commits of every 3.
        assert seen == [0, 0, 3, 3, 3, 6, 6]
        # The error ends the bulk context; every complete event is committed.
        assert len(reader) == 7


def test_bulk_rejects_a_commit_interval_below_one(make_store: Callable[[], Store]) -> None:
    with pytest.raises(ValueError, match="at least 1"), make_store().bulk(commit_every=0):
        pass


def test_a_second_writer_on_the_same_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "ledger.sqlite"
    with SQLiteStore(path) as first, SQLiteStore(path) as second:
        first.append(joined("j1", "a"), ())

        with pytest.raises(StoreError) as caught:
            second.append(joined("j2", "b"), ())

    assert caught.value.code == "store-unavailable"
    assert "another process" in str(caught.value)
    with SQLiteStore(path) as store:
        assert [event.event_id for event in store.events()] == ["j1"]


def test_the_same_event_id_twice_is_refused_by_the_store(make_store: Callable[[], Store]) -> None:
    store = make_store()
    store.append(joined("j1", "a"), ())

    with pytest.raises(StoreError) as caught:
        store.append(joined("j1", "a"), ())

    assert caught.value.code == "store-unavailable"
    assert len(make_store()) == 1


def test_a_missing_file_is_refused_unless_created(tmp_path: Path) -> None:
    with pytest.raises(StoreError) as caught:
        SQLiteStore(tmp_path / "missing.sqlite", create=False)

    assert caught.value.code == "store-unavailable"
    assert not (tmp_path / "missing.sqlite").exists()


def fail_after_a_bulk_inside_a_transaction(store: SQLiteStore, seen: Callable[[], None]) -> None:
    with store.transaction():
        with store.bulk(commit_every=1):
            for number in range(3):
                store.append(joined(f"j{number}", f"p{number}"), ())
                seen()
        raise RuntimeError("refused")


def test_bulk_inside_a_transaction_joins_it(tmp_path: Path) -> None:
    path = tmp_path / "ledger.sqlite"
    with SQLiteStore(path) as store, SQLiteStore(path) as reader:
        seen: list[int] = []
        with pytest.raises(RuntimeError):
            fail_after_a_bulk_inside_a_transaction(store, lambda: seen.append(len(reader)))

        assert seen == [0, 0, 0]
        assert len(reader) == len(store) == 0


def ids(store: Store) -> list[str]:
    return [event.event_id for event in store.events()]


def test_reads_see_whole_events_appended_but_not_a_nested_transactions_yet(
    make_store: Callable[[], Store],
) -> None:
    store = make_store()
    seen: list[tuple[list[str], int, int]] = []

    def look() -> None:
        seen.append((ids(store), len(store), len(list(store.load()))))

    with store.transaction():
        store.append(joined("j1", "a"), ())
        look()
        with pytest.raises(RuntimeError):
            append_then_fail(store, [joined("j2", "b")])
        with store.transaction():
            store.append(joined("j3", "c"), ())
            look()
            with store.transaction():
                store.append(joined("j4", "d"), ())
            look()
        look()

    assert seen == [
        (["j1"], 1, 1),
        (["j1"], 1, 1),
        (["j1"], 1, 1),
        (["j1", "j3", "j4"], 3, 3),
    ]
    assert ids(make_store()) == ["j1", "j3", "j4"]


def test_a_failing_nested_transaction_after_a_read_undoes_only_its_own_appends(
    make_store: Callable[[], Store],
) -> None:
    store = make_store()
    with store.transaction():
        store.append(joined("j1", "a"), ())
        with pytest.raises(RuntimeError):
            read_inside_then_fail(store)
        store.append(joined("j3", "c"), ())

    assert ids(make_store()) == ["j1", "j3"]


def read_inside_then_fail(store: Store) -> None:
    with store.transaction():
        store.append(joined("j2", "b"), ())
        assert ids(store) == ["j1"]
        raise RuntimeError("refused")


def test_a_book_reloading_inside_a_bulk_sees_the_events_not_yet_committed(
    plan: Plan, stream: list[Event], make_store: Callable[[], Store]
) -> None:
    store = make_store()
    book = Book(plan, store=store)
    with store.bulk(commit_every=10_000):
        apply_all(book, stream[:200])
        reloaded = Book(plan, store=store)  # what Book does after a failed write

        assert reloaded.entries == book.entries
        apply_all(reloaded, stream[200:400])
    assert Book(plan, store=make_store()).entries == reloaded.entries


# ------------------------------------------------ a book with a store keeps no copy


class CountingStore:
    """A store's protocol and ``find``, counting the reads of each (a spy)."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.loads = 0
        self.finds: list[str] = []

    def load(self) -> Iterator[tuple[Event, tuple[Entry, ...]]]:
        self.loads += 1
        return iter(self.store.load())

    def append(
        self, event: Event, entries: tuple[Entry, ...], *, canonical: str | None = None
    ) -> None:
        self.store.append(event, entries, canonical=canonical)

    def transaction(self) -> AbstractContextManager[None]:
        return self.store.transaction()

    def find(self, event_id: str) -> tuple[Event, tuple[Entry, ...]] | None:
        self.finds.append(event_id)
        return self.store.find(event_id)


class ProtocolOnly:
    """A store with the protocol's three methods and nothing else: no ``find``."""

    def __init__(self, store: Store) -> None:
        self._store = store

    def load(self) -> Iterator[tuple[Event, tuple[Entry, ...]]]:
        return iter(self._store.load())

    def append(
        self, event: Event, entries: tuple[Entry, ...], *, canonical: str | None = None
    ) -> None:
        self._store.append(event, entries, canonical=canonical)

    def transaction(self) -> AbstractContextManager[None]:
        return self._store.transaction()


def outcomes(book: Book, events: Sequence[Event]) -> list[tuple[object, ...]]:
    """Each event's (status, entries, message), or (code, path) when refused."""
    results: list[tuple[object, ...]] = []
    for event in events:
        try:
            outcome = book.apply(event)
        except StoreError:
            raise
        except SocialCommerceError as error:
            results.append((error.code, error.path))
        else:
            results.append((outcome.status, outcome.entries, outcome.message))
    return results


def test_a_book_with_a_store_reads_events_and_entries_from_it(
    plan: Plan, stream: list[Event], make_store: Callable[[], Store]
) -> None:
    """Same stream, same outcomes, events and entries as a book without a store;
    the book keeps neither in memory: it reads them from the store."""
    events = stream[:400]
    alone = Book(plan)
    store = make_store()
    stored = Book(plan, store=store)

    assert outcomes(stored, events) == outcomes(alone, events)
    assert stored.entries == alone.entries
    assert stored.events == alone.events
    assert stored.balances() == alone.balances()
    # The book holds no copy: what it reads is what the store holds at the time, so
    # a record appended behind its back shows in book.events and book.entries at once.
    extra = joined("j-behind", "behind-the-back")
    entry = Entry(
        "j-behind#0",
        "j-behind",
        None,
        extra.at,
        "invite",
        "points",
        (
            Posting("behind-the-back", "available", Decimal(1)),
            Posting("merchant", "points", Decimal(-1)),
        ),
        (),
        "appended behind the book's back",
    )
    store.append(extra, (entry,))
    assert stored.events == (*alone.events, extra)
    assert stored.entries == (*alone.entries, entry)


def test_a_redelivery_returns_the_first_outcome_read_back_with_find(
    plan: Plan, stream: list[Event], make_store: Callable[[], Store]
) -> None:
    events = stream[:300]
    spy = CountingStore(make_store())
    book = Book(plan, store=spy)
    first = {}
    for event in events:
        try:
            outcome = book.apply(event)
        except SocialCommerceError:
            continue
        if outcome.status != "duplicate":
            first[event.event_id] = outcome
    spy.finds.clear()
    loads = spy.loads
    for event_id, outcome in list(first.items())[::7]:
        event = next(e for e in events if e.event_id == event_id)
        again = book.apply(event)
        assert again.status == "duplicate"
        assert (again.event_id, again.entries, again.message) == (
            outcome.event_id,
            outcome.entries,
            outcome.message,
        )
        assert spy.finds[-1] == event_id
    assert spy.loads == loads  # found by id, not by reading the whole store


def test_a_conflicting_redelivery_names_the_first_differing_field(
    plan: Plan, make_store: Callable[[], Store]
) -> None:
    Book(plan, store=make_store()).apply(joined("j1", "guide-li"))
    # Reopened, with find() and without it: the first event is read back from the store.
    for store in (make_store(), ProtocolOnly(make_store())):
        book = Book(plan, store=store)
        changed = event_from_mapping(event_to_dict(joined("j1", "guide-li")) | {"role": "maker"})
        with pytest.raises(EventConflictError) as caught:
            book.apply(changed)
        assert (caught.value.path, caught.value.event_id) == ("role", "j1")
        moved = event_from_mapping(
            event_to_dict(joined("j1", "guide-li")) | {"at": "2026-01-05T09:00:01+08:00"}
        )
        with pytest.raises(EventConflictError) as caught:
            book.apply(moved)
        assert caught.value.path == "at"
        assert [event.event_id for event in book.events] == ["j1"]


def test_a_store_without_find_is_read_through(
    plan: Plan, stream: list[Event], make_store: Callable[[], Store]
) -> None:
    """Only load/append/transaction: redeliveries read the store through, and the
    book behaves as with the full store, reopened or not."""
    events = stream[:300]
    reference = Book(plan)
    expected = outcomes(reference, events)
    store = ProtocolOnly(make_store())
    book = Book(plan, store=store)
    assert not hasattr(store, "find")

    assert outcomes(book, events) == expected
    assert book.entries == reference.entries
    assert book.events == reference.events
    reopened = Book(plan, store=ProtocolOnly(make_store()))
    assert outcomes(reopened, events) == outcomes(reference, events)
    assert reopened.entries == reference.entries
