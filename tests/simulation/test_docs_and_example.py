"""The example runs and the reference documents every parameter."""

from __future__ import annotations

import subprocess
import sys

from socialcommerce_rules.simulate._config import _parameter_names

from ._support import ROOT


def test_the_example_runs_and_prints_the_same_totals_every_time() -> None:
    command = [sys.executable, str(ROOT / "examples" / "simulate_network.py")]
    first = subprocess.run(command, capture_output=True, text=True, check=True, timeout=60)
    second = subprocess.run(command, capture_output=True, text=True, check=True, timeout=60)

    assert first.stdout == second.stdout
    assert "events simulated, saved and replayed" in first.stdout
    assert "available" in first.stdout


def test_every_parameter_is_documented() -> None:
    text = (ROOT / "docs" / "simulation.md").read_text(encoding="utf-8")

    assert [name for name in _parameter_names() if f"`{name}`" not in text] == []
