"""Hand-computed streams: events and plan in, the metrics a person worked out, out."""

from __future__ import annotations

import json
from datetime import timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from socialcommerce_rules import load_plan
from socialcommerce_rules.events import Event, read_events
from socialcommerce_rules.metrics import measure, regulator_measures

GOLDEN = Path(__file__).with_name("golden")
CASES = sorted(path.name for path in GOLDEN.iterdir() if path.is_dir())


def _events(case: str) -> list[Event]:
    events = []
    for _, event in read_events(GOLDEN / case / "events.jsonl"):
        assert not isinstance(event, Exception)
        events.append(event)
    return events


def _subset_differences(expected: Any, actual: Any, path: str = "") -> list[str]:
    """Where ``actual`` differs from ``expected`` on the keys ``expected`` gives."""
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            return [f"{path}: expected a mapping, got {actual!r}"]
        found = []
        for key, value in expected.items():
            if key.startswith("_"):
                continue
            if key not in actual:
                found.append(f"{path}.{key}: missing")
            else:
                found += _subset_differences(value, actual[key], f"{path}.{key}")
        return found
    if isinstance(expected, list):
        if not isinstance(actual, list) or len(actual) != len(expected):
            return [f"{path}: expected {len(expected)} items, got {actual!r}"]
        found = []
        for index, (item, other) in enumerate(zip(expected, actual, strict=True)):
            found += _subset_differences(item, other, f"{path}[{index}]")
        return found
    return [] if expected == actual else [f"{path}: expected {expected!r}, got {actual!r}"]


@pytest.mark.parametrize("case", CASES)
def test_metrics_are_the_hand_computed_ones(case: str) -> None:
    plan = load_plan(GOLDEN / case / "plan.toml")
    expected = json.loads((GOLDEN / case / "expected.json").read_text(encoding="utf-8"))

    metrics = measure(plan, _events(case))

    assert _subset_differences(expected, json.loads(metrics.to_json())) == []


def test_months_are_cut_in_the_time_zone_given() -> None:
    plan = load_plan(GOLDEN / "article-small" / "plan.toml")
    china = timezone(timedelta(hours=8))

    metrics = measure(plan, _events("article-small"), time_zone=china)

    # o2, paid on 31 January at 20:00 UTC, is a February order in UTC+8.
    assert {month: str(flow.net) for month, flow in metrics.money.by_month.items()} == {
        "2026-01": "80.00",
        "2026-02": "20.20",
    }
    assert [(row.month, row.orders, str(row.gmv)) for row in metrics.months.values()] == [
        ("2026-01", 1, "399.00"),
        ("2026-02", 3, "270.00"),
    ]
    assert metrics.time_zone == "UTC+08:00"


def test_regulator_measures_alone_are_those_of_the_metrics() -> None:
    plan = load_plan(GOLDEN / "article-small" / "plan.toml")
    events = _events("article-small")

    measures = regulator_measures(plan, events)

    assert measures == measure(plan, events).regulator
    assert set(measures.to_dict()) >= {
        "money_depth",
        "tree_depth",
        "participants",
        "participants_per_level",
        "recruitment_share",
        "own_purchase_share",
        "retail_share",
    }
