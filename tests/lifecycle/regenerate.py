"""Rewrite the lifecycle vectors' expected.jsonl and outcomes.jsonl from the book.

Usage::

    python tests/lifecycle/regenerate.py                 # every vector
    python tests/lifecycle/regenerate.py 004-cancellation [...]

Only for intentional changes: both files stand for the hand computation in each
vector's README.md.  After regenerating, read ``git diff tests/lifecycle`` against
that computation and update the README where the intended result changed; the
tests compare the README's tables with both files.
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def regenerate(directory: Path) -> tuple[int, int]:
    """Write both files of ``directory``; return (deliveries, entries)."""
    # Imported here, so that collecting this file (pytest --doctest-modules) has
    # no side effect and does not depend on sys.path.
    if str(HERE) not in sys.path:
        sys.path.insert(0, str(HERE))
    from _runner import entry_lines, outcome_record, run_vector, to_json

    run = run_vector(directory)
    entries = entry_lines(run)
    outcomes = [to_json(outcome_record(delivery)) for delivery in run.deliveries]
    (directory / "expected.jsonl").write_text("".join(f"{line}\n" for line in entries), "utf-8")
    (directory / "outcomes.jsonl").write_text("".join(f"{line}\n" for line in outcomes), "utf-8")
    return len(outcomes), len(entries)


def main(names: list[str]) -> int:
    """Regenerate the named vectors, or all of them."""
    vectors = HERE / "vectors"
    directories = [vectors / name.rstrip("/").split("/")[-1] for name in names]
    missing = [path.name for path in directories if not (path / "events.jsonl").is_file()]
    if missing:
        print(f"no such vector: {', '.join(missing)}", file=sys.stderr)
        return 2
    everything = sorted(path for path in vectors.iterdir() if (path / "events.jsonl").is_file())
    for directory in directories or everything:
        deliveries, entries = regenerate(directory)
        print(f"{directory.name}: {deliveries} deliveries, {entries} entries")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
