"""Shared inputs: the bundled article stream measured under two plans, and a small
simulated network with a book, so that every conversion can be checked against the
plain data the metrics give."""

from __future__ import annotations

from pathlib import Path

import pytest

from socialcommerce_rules import Evaluation, Plan, load_plan
from socialcommerce_rules.book import Book
from socialcommerce_rules.events import Event, read_events
from socialcommerce_rules.metrics import Comparison, compare
from socialcommerce_rules.simulate import SimulationConfig, simulate

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
ARTICLE_EVENTS = ROOT / "src" / "socialcommerce_rules" / "data" / "article_events.jsonl"


@pytest.fixture(scope="session")
def article() -> Plan:
    return load_plan(EXAMPLES / "article_scheme.toml")


@pytest.fixture(scope="session")
def compliant() -> Plan:
    return load_plan(EXAMPLES / "two_level_compliant.toml")


@pytest.fixture(scope="session")
def article_events() -> list[Event]:
    return [event for _, event in read_events(ARTICLE_EVENTS)]


@pytest.fixture(scope="session")
def simulated(article: Plan) -> list[Event]:
    return simulate(article, SimulationConfig(seed=11, participants_max=150, days=120))


@pytest.fixture(scope="session")
def comparison(article: Plan, compliant: Plan, simulated: list[Event]) -> Comparison:
    return compare({"article": article, "compliant": compliant}, simulated)


@pytest.fixture(scope="session")
def book(article: Plan, simulated: list[Event]) -> tuple[Book, list[Evaluation]]:
    book = Book(article)
    evaluations = []
    for event in simulated:
        outcome = book.apply(event)
        if outcome.evaluation is not None:
            evaluations.append(outcome.evaluation)
    return book, evaluations
