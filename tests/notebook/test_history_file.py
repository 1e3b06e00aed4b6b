"""examples/history_events.jsonl is the simulation's stream for a fixed config.

Regenerate it with the command in docs/plan-design.md if the simulation changes.
"""

from __future__ import annotations

from pathlib import Path

from socialcommerce_rules import load_plan
from socialcommerce_rules.events import write_events
from socialcommerce_rules.simulate import SimulationConfig, simulate

ROOT = Path(__file__).resolve().parents[2]
HISTORY = ROOT / "examples" / "history_events.jsonl"
HISTORY_BYTES_MAX = 2_000_000


def test_history_file_is_the_seeded_simulation(tmp_path: Path) -> None:
    plan = load_plan(ROOT / "examples" / "article_scheme.toml")
    events = simulate(plan, SimulationConfig(seed=20260101, participants_max=500, days=240))
    write_events(events, tmp_path / "history.jsonl")

    assert HISTORY.stat().st_size < HISTORY_BYTES_MAX
    assert (tmp_path / "history.jsonl").read_bytes() == HISTORY.read_bytes()
