"""The benchmark scripts still run: at a small size, each prints the figures it promises."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

BENCHMARKS = Path(__file__).parents[1] / "benchmarks"


def test_bench_run_prints_the_run_and_its_parts() -> None:
    result = subprocess.run(
        [sys.executable, str(BENCHMARKS / "bench_run.py"), "--events", "3000", "--parts"],
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    )
    out = result.stdout
    assert re.search(r"^run +[\d,]+ events/s .*3,000 applied, 0 unchanged, 0 refused", out, re.M)
    parts = dict(re.findall(r"^  (read|book|canonical|sqlite|rest) +(-?[\d.]+)  ", out, re.M))
    assert sorted(parts) == ["book", "canonical", "read", "rest", "sqlite"]
    for name in ("read", "book", "canonical", "sqlite"):
        assert float(parts[name]) > 0, name
    # The canonical JSON is part of the book's time, not added to it.
    assert float(parts["canonical"]) < float(parts["book"])
