"""The auditor's toolkit on the unbroken engine: strategies, checkers, counterexamples."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings

from socialcommerce_rules import load_plan
from socialcommerce_rules.book import Book
from socialcommerce_rules.errors import LimitError, PlanError
from socialcommerce_rules.events import read_events
from socialcommerce_rules.plan import Plan
from socialcommerce_rules.testing import (
    INVARIANTS,
    check_invariants,
    event_streams,
    invalid_plans,
    plans,
)

from .test_mutants import ARTICLE, refund_not_reversed

FAST = settings(
    max_examples=25, deadline=None, database=None, suppress_health_check=list(HealthCheck)
)


@FAST
@given(event_streams(ARTICLE))
def test_generated_streams_keep_every_invariant(events: list) -> None:  # type: ignore[type-arg]
    book = Book(ARTICLE)
    for event in events:
        assert book.apply(event).status == "applied"
    assert check_invariants(ARTICLE, events, book) == []


@FAST
@given(plans(), __import__("hypothesis").strategies.data())
def test_generated_plans_keep_every_invariant(plan: Plan, data: object) -> None:
    events = data.draw(event_streams(plan, max_events=15))  # type: ignore[attr-defined]
    book = Book(plan)
    for event in events:
        book.apply(event)
    assert check_invariants(plan, events, book) == []


@FAST
@given(invalid_plans())
def test_invalid_plans_are_refused(case: tuple[str, dict]) -> None:  # type: ignore[type-arg]
    _, data = case
    with pytest.raises((PlanError, LimitError)):
        Plan.from_mapping(data)


def test_counterexample_replays(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from socialcommerce_rules.testing import audit

    with monkeypatch.context() as patched:
        refund_not_reversed(patched)
        report = audit(ARTICLE, examples=40)
    assert report.violation is not None
    assert report.violation.invariant in INVARIANTS
    target = tmp_path / "counterexample.jsonl"
    report.write_counterexample(target)
    events = [event for _, event in read_events(target)]
    assert [getattr(e, "event_id", None) for e in events] == [e.event_id for e in report.events]
    assert report.to_dict()["ok"] is False
    assert any("violated" in line for line in report.summary())
    # The unbroken engine replays it without a violation.
    book = Book(load_plan(Path("examples/article_scheme.toml")))
    for event in report.events:
        book.apply(event)
    assert check_invariants(ARTICLE, list(report.events), book) == []


def test_the_audit_example_runs_and_reports_every_invariant() -> None:
    """examples/audit_plan.py, as a reader runs it: exit 0 and the report's lines."""
    import subprocess
    import sys

    script = Path(__file__).parents[2] / "examples" / "audit_plan.py"
    result = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, check=False, timeout=120
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "Audit of plan article-scheme v1 (seed 0): OK"
    assert lines[2] == "  invariants checked: " + ", ".join(INVARIANTS)
