"""Rewrite a vector's expected.jsonl from what the engine computes now.

Usage::

    python tests/vectors/regenerate.py            # every vector
    python tests/vectors/regenerate.py 003-role-differential [...]

Only for intentional changes: the amounts in expected.jsonl stand for the hand
computation in each vector's README.md.  After regenerating, read the diff
(``git diff tests/vectors``) against that computation, and update the README
where the intended result changed; the test suite checks the README's amount
tables against expected.jsonl.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def regenerate(directory: Path) -> int:
    """Write ``directory/expected.jsonl``; return the number of orders."""
    # Imported here, so that collecting this file (pytest --doctest-modules) has
    # no side effect and does not depend on sys.path.
    if str(HERE) not in sys.path:
        sys.path.insert(0, str(HERE))
    from test_vectors import run_vector

    results = run_vector(directory)
    text = "".join(
        json.dumps(result, ensure_ascii=False, separators=(",", ":")) + "\n" for result in results
    )
    (directory / "expected.jsonl").write_text(text, encoding="utf-8")
    return len(results)


def main(names: list[str]) -> int:
    """Regenerate the named vectors, or all of them."""
    directories = [HERE / name.rstrip("/").split("/")[-1] for name in names]
    missing = [path.name for path in directories if not (path / "events.jsonl").is_file()]
    if missing:
        print(f"no such vector: {', '.join(missing)}", file=sys.stderr)
        return 2
    everything = sorted(path for path in HERE.iterdir() if (path / "events.jsonl").is_file())
    for directory in directories or everything:
        count = regenerate(directory)
        print(f"{directory.name}: {count} orders written to expected.jsonl")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
