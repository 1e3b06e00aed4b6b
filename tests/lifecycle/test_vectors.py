"""Lifecycle golden vectors: deliveries in, every outcome and ledger entry pinned.

The format is described in ``tests/lifecycle/vectors/README.md``. Each vector is
checked four ways: the book's outcomes and entries against ``outcomes.jsonl`` and
``expected.jsonl``; the README's hand-computed tables against those two files;
a replay of the applied events from empty against the same entries, byte for
byte; and a redelivery of every event against no change at all.
"""

from __future__ import annotations

import difflib
from pathlib import Path

import pytest

from socialcommerce_rules.book import Book
from socialcommerce_rules.events import event_to_json

from ._runner import (
    Delivery,
    VectorFormatError,
    balance_rows,
    delivery_row,
    entry_lines,
    entry_row,
    load_vector_plan,
    outcome_record,
    read_events,
    read_jsonl,
    readme_tables,
    run_vector,
    to_json,
    vector_directories,
)

DIRECTORIES = vector_directories()
ids = [path.name for path in DIRECTORIES]


def _expected_entries(directory: Path) -> list[str]:
    return [to_json(entry) for entry in read_jsonl(directory / "expected.jsonl")]


def _applied(deliveries: list[Delivery]) -> list[Delivery]:
    return [d for d in deliveries if d.outcome is not None and d.outcome.status != "duplicate"]


def test_vectors_are_present() -> None:
    assert len(DIRECTORIES) >= 12, ids


@pytest.mark.parametrize("directory", DIRECTORIES, ids=ids)
def test_outcomes(directory: Path) -> None:
    run = run_vector(directory)
    expected = list(read_jsonl(directory / "outcomes.jsonl"))
    actual = [outcome_record(delivery) for delivery in run.deliveries]
    assert len(actual) == len(expected), "outcomes.jsonl needs one line per delivery"
    for delivery, wanted, got in zip(run.deliveries, expected, actual, strict=True):
        assert got == wanted, f"{directory.name}/events.jsonl line {delivery.line}"


@pytest.mark.parametrize("directory", DIRECTORIES, ids=ids)
def test_entries(directory: Path) -> None:
    expected = _expected_entries(directory)
    actual = entry_lines(run_vector(directory))
    if actual != expected:
        diff = "\n".join(
            difflib.unified_diff(expected, actual, "expected", "book", lineterm="", n=1)
        )
        pytest.fail(f"{directory.name}: the ledger differs\n{diff}", pytrace=False)


@pytest.mark.parametrize("directory", DIRECTORIES, ids=ids)
def test_readme_tables_match_the_pinned_files(directory: Path) -> None:
    """The hand computation and the pinned files agree on every outcome and amount."""
    tables = readme_tables(directory)
    assert set(tables) == {"Deliveries", "Entries", "Balances at the end"}
    outcomes = list(read_jsonl(directory / "outcomes.jsonl"))
    entries = list(read_jsonl(directory / "expected.jsonl"))
    lines = [number for number, _ in read_events(directory)]
    # Left: the README's hand computation; right: the pinned files.
    assert tables["Deliveries"][1] == [
        delivery_row(line, record) for line, record in zip(lines, outcomes, strict=True)
    ]
    assert tables["Entries"][1] == [entry_row(entry) for entry in entries]
    assert tables["Balances at the end"][1] == balance_rows(entries)


@pytest.mark.parametrize("directory", DIRECTORIES, ids=ids)
def test_replay_of_the_applied_events_is_byte_identical(directory: Path) -> None:
    run = run_vector(directory)
    replayed = Book(load_vector_plan(directory))
    for delivery in _applied(run.deliveries):
        replayed.apply(delivery.event)
    assert [to_json(e.to_dict()) for e in replayed.entries] == entry_lines(run)
    assert [event_to_json(e) for e in replayed.events] == [
        event_to_json(e) for e in run.book.events
    ]


@pytest.mark.parametrize("directory", DIRECTORIES, ids=ids)
def test_every_event_delivered_twice_changes_nothing(directory: Path) -> None:
    run = run_vector(directory)
    book = Book(load_vector_plan(directory))
    for delivery in run.deliveries:
        for attempt in range(2):
            if delivery.error is not None:
                with pytest.raises(type(delivery.error)) as caught:
                    book.apply(delivery.event)
                assert caught.value.code == delivery.error.code
                continue
            outcome = book.apply(delivery.event)
            assert delivery.outcome is not None
            assert outcome.entries == delivery.outcome.entries
            assert outcome.status == ("duplicate" if attempt else delivery.outcome.status)
    assert entry_lines(run) == [to_json(e.to_dict()) for e in book.entries]


def test_a_retried_refund_gives_the_in_order_ledger() -> None:
    """006: refused early, delivered again later, the ledger is the in-order one."""
    directory = next(path for path in DIRECTORIES if path.name.startswith("006-"))
    run = run_vector(directory)
    in_order = Book(load_vector_plan(directory))
    for delivery in sorted(_applied(run.deliveries), key=lambda d: d.event.at):
        in_order.apply(delivery.event)
    assert [to_json(e.to_dict()) for e in in_order.entries] == entry_lines(run)


def test_readme_tables_refuse_a_missing_section(tmp_path: Path) -> None:
    (tmp_path / "README.md").write_text("# nothing here\n", encoding="utf-8")
    with pytest.raises(VectorFormatError, match="Expected amounts"):
        readme_tables(tmp_path)
