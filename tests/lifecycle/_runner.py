"""Play a lifecycle vector through a Book and read its pinned results.

A vector ``tests/lifecycle/vectors/NNN-name/`` holds:

- ``plan.toml``: the plan;
- ``events.jsonl``: the deliveries, one event per line, in the order a shop's
  queue hands them over (redeliveries, conflicts and early arrivals included);
- ``outcomes.jsonl``: what each delivery does, one line per line of
  ``events.jsonl``: ``{"event_id", "status"}``, and for a refused delivery
  ``"code"`` and ``"path"`` of the error;
- ``expected.jsonl``: every ledger entry, in ledger order, as ``Entry.to_dict()``;
- ``README.md``: the scenario and the hand computation, ending with the tables
  under ``## Expected amounts`` that the tests compare with the two files above.

This module imports nothing from the test package, so that ``regenerate.py`` can
load it as a plain module.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any, NamedTuple

from socialcommerce_rules import Plan, SocialCommerceError, load_plan
from socialcommerce_rules.book import Book, Outcome
from socialcommerce_rules.events import Event, event_from_json

VECTORS = Path(__file__).resolve().parent / "vectors"


class VectorFormatError(ValueError):
    """A vector's files do not follow the format in tests/lifecycle/vectors/README.md."""


class Delivery(NamedTuple):
    """One line of ``events.jsonl`` and what applying it did."""

    line: int
    event: Event
    outcome: Outcome | None
    error: SocialCommerceError | None


class VectorRun(NamedTuple):
    """A vector played through a fresh book."""

    book: Book
    deliveries: list[Delivery]


def vector_directories() -> list[Path]:
    """Every vector directory, in name order."""
    return sorted(path for path in VECTORS.iterdir() if (path / "events.jsonl").is_file())


def load_vector_plan(directory: Path) -> Plan:
    """The vector's ``plan.toml``."""
    return load_plan(directory / "plan.toml")


def read_events(directory: Path) -> list[tuple[int, Event]]:
    """(line number, event) for each non-blank line of ``events.jsonl``."""
    events = []
    path = directory / "events.jsonl"
    for number, text in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not text.strip():
            continue
        try:
            events.append((number, event_from_json(text)))
        except SocialCommerceError as error:
            raise VectorFormatError(f"{directory.name}/events.jsonl:{number}: {error}") from None
    return events


def run_vector(directory: Path) -> VectorRun:
    """Deliver every event in file order; refused deliveries are recorded, not retried."""
    book = Book(load_vector_plan(directory))
    deliveries = []
    for number, event in read_events(directory):
        try:
            outcome = book.apply(event)
        except SocialCommerceError as error:
            deliveries.append(Delivery(number, event, None, error))
        else:
            deliveries.append(Delivery(number, event, outcome, None))
    return VectorRun(book, deliveries)


def outcome_record(delivery: Delivery) -> dict[str, Any]:
    """A delivery as a line of ``outcomes.jsonl``."""
    if delivery.error is not None:
        return {
            "event_id": delivery.event.event_id,
            "status": "refused",
            "code": delivery.error.code,
            "path": delivery.error.path,
        }
    assert delivery.outcome is not None
    return {"event_id": delivery.event.event_id, "status": delivery.outcome.status}


def entry_lines(run: VectorRun) -> list[str]:
    """The book's entries as the lines of ``expected.jsonl`` (no line ends)."""
    return [to_json(entry.to_dict()) for entry in run.book.entries]


def to_json(value: Any) -> str:
    """Canonical JSON: fixed key order as given, no spaces, UTF-8 kept."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def read_jsonl(path: Path) -> Iterator[dict[str, Any]]:
    """Each non-blank line of a JSON Lines file; floats are refused."""
    for number, text in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not text.strip():
            continue
        value = json.loads(text, parse_float=_refuse_float)
        if not isinstance(value, dict):
            raise VectorFormatError(f"{path.name}:{number}: expected a JSON object")
        yield value


def _refuse_float(text: str) -> Any:
    raise VectorFormatError(f"{text} is a float; write amounts as strings")


# ------------------------------------------------------- the README's tables


def readme_tables(directory: Path) -> dict[str, tuple[list[str], list[dict[str, str]]]]:
    """Each markdown table under ``## Expected amounts``, by the ``###`` heading above it."""
    text = (directory / "README.md").read_text(encoding="utf-8")
    _, found, section = text.partition("\n## Expected amounts\n")
    if not found:
        raise VectorFormatError(f"{directory.name}/README.md has no '## Expected amounts'")
    section = section.split("\n## ", 1)[0]
    tables: dict[str, tuple[list[str], list[dict[str, str]]]] = {}
    heading = ""
    rows: list[list[str]] = []
    for line in [*section.splitlines(), ""]:
        if line.startswith("### "):
            heading = line[4:].strip()
        elif line.startswith("|"):
            rows.append([cell.strip() for cell in line.strip().strip("|").split("|")])
        elif rows:
            header, body = rows[0], rows[2:]
            tables[heading] = (header, [dict(zip(header, row, strict=True)) for row in body])
            rows = []
    return tables


def delivery_row(line: int, record: dict[str, Any]) -> dict[str, str]:
    """A line of ``outcomes.jsonl`` as the README's deliveries table writes it."""
    outcome = record["status"]
    if outcome == "refused":
        outcome = f"refused: {record['code']} at {record['path']}"
    return {"line": str(line), "event": record["event_id"], "outcome": outcome}


def entry_row(entry: dict[str, Any]) -> dict[str, str]:
    """A line of ``expected.jsonl`` as the README's entries table writes it."""
    postings = "; ".join(
        f"{posting['holder']} {posting['state']} {posting['amount']}"
        for posting in entry["postings"]
    )
    return {
        "entry": entry["entry_id"],
        "kind": entry["kind"],
        "unit": entry["unit"],
        "postings": postings,
        "reverses": ", ".join(entry["reverses"]) or "-",
    }


def balance_rows(entries: list[dict[str, Any]]) -> list[dict[str, str]]:
    """Balances summed from ``expected.jsonl`` itself, non-zero, sorted."""
    totals: dict[tuple[str, str, str], Decimal] = {}
    for entry in entries:
        for posting in entry["postings"]:
            key = (posting["holder"], entry["unit"], posting["state"])
            totals[key] = totals.get(key, Decimal(0)) + Decimal(posting["amount"])
    return [
        {"holder": holder, "unit": unit, "state": state, "amount": f"{amount:f}"}
        for (holder, unit, state), amount in sorted(totals.items())
        if amount
    ]
