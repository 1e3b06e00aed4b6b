"""Plans, configs and cached streams shared by the simulation tests."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from socialcommerce_rules import Plan, load_plan
from socialcommerce_rules.events import Event
from socialcommerce_rules.simulate import SimulationConfig, simulate

ROOT = Path(__file__).resolve().parents[2]
ARTICLE = ROOT / "examples" / "article_scheme.toml"
DAY_SECONDS = 86_400


@cache
def article_plan() -> Plan:
    """The article's guide -> maker -> member scheme."""
    return load_plan(ARTICLE)


SMALL = SimulationConfig(seed=3, participants_max=300, days=150, transplant_every_days=15)
"""A small network that reaches its cap, transplants teams and settles several times."""

MID = SimulationConfig(seed=11, stores=4, guides_per_store=3, participants_max=4_000, days=240)
"""A mid-size network for checking that draws follow the configured distributions."""


@cache
def small_stream() -> tuple[Event, ...]:
    """The events of SMALL on the article's plan."""
    return tuple(simulate(article_plan(), SMALL))


@cache
def mid_stream() -> tuple[Event, ...]:
    """The events of MID on the article's plan."""
    return tuple(simulate(article_plan(), MID))
