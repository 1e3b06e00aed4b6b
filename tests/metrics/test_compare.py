"""Comparison of plans on one stream: rows, differences, plain data and the text table."""

from __future__ import annotations

import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from socialcommerce_rules import PlanError, load_plan
from socialcommerce_rules.events import Event, read_events
from socialcommerce_rules.metrics import compare, measure
from socialcommerce_rules.plan import PlanSet

ROOT = Path(__file__).parents[2]
ARTICLE = ROOT / "examples" / "article_scheme.toml"
VARIANT = ROOT / "examples" / "two_level_variant.toml"
EVENTS = ROOT / "tests" / "metrics" / "golden" / "article-small" / "events.jsonl"


def _events() -> list[Event]:
    return [event for _, event in read_events(EVENTS) if not isinstance(event, Exception)]


def test_differences_are_taken_against_the_first_plan() -> None:
    comparison = compare({"article": load_plan(ARTICLE), "variant": load_plan(VARIANT)}, _events())

    net = comparison.row("money.net")
    # The variant pays no gift-pack rebate and nothing at level 2; its level 1 rate
    # is 12% for makers and guides, capped at 20% of the base: o2 keeps 100.00 of
    # goods -> maker-b 12.00; o3 pays maker-b 2.00 and guide-a 4.80; o4 is cancelled.
    assert net.values == (Decimal("100.20"), Decimal("18.80"))
    assert net.differences == (Decimal("0.00"), Decimal("-81.40"))
    assert net.relative == (Decimal("0.000000"), Decimal("-0.812375"))
    depth = comparison.row("regulator.money_depth")
    assert depth.values == (2, 1)
    assert depth.differences == (0, -1)
    assert depth.relative == (Decimal("0.000000"), Decimal("-0.500000"))


def test_a_slice_only_one_plan_pays_is_zero_money_in_the_other() -> None:
    comparison = compare([load_plan(ARTICLE), load_plan(VARIANT)], _events())

    assert comparison.plans == ("article-scheme v1", "two-level-variant v1")
    row = comparison.row("money.net.level 2")
    assert row.values == (Decimal("5.00"), Decimal("0.00"))
    rule = comparison.row("money.net.rule gift-pack-commission")
    assert rule.values == (Decimal("80.00"), Decimal("0.00"))
    assert rule.relative[1] == Decimal("-1.000000")
    # Figures keep their sections: level 2 right after level 1.
    figures = [row.figure for row in comparison.rows]
    assert figures.index("money.net.level 2") == figures.index("money.net.level 1") + 1


def test_plain_rows_and_text_hold_every_figure() -> None:
    comparison = compare({"a": load_plan(ARTICLE), "b": load_plan(VARIANT)}, _events())

    rows = comparison.to_rows()
    assert len(rows) == 2 * len(comparison.rows)
    assert rows[0] == {
        "figure": "events.applied",
        "plan": "a",
        "value": 11,
        "difference": 0,
        "relative": Decimal("0.000000"),
    }
    assert all(isinstance(v, (str, int, Decimal, type(None))) for row in rows for v in row.values())
    text = comparison.to_text()
    assert text == str(comparison)
    lines = text.splitlines()
    assert lines[0].split() == ["figure", "a", "b", "difference", "relative"]
    assert len(lines) == len(comparison.rows) + 2
    net_line = next(line for line in lines if line.startswith("money.net "))
    assert net_line.split() == ["money.net", "100.20", "18.80", "-81.40", "-81.24%"]
    assert set(comparison.to_dict()) == {"plans", "rows", "metrics"}


def test_the_stream_is_read_once_for_every_plan() -> None:
    comparison = compare([load_plan(ARTICLE), load_plan(ARTICLE)], iter(_events()))

    assert comparison.row("orders").values == (4, 4)


def test_a_row_no_plan_has_is_a_key_error() -> None:
    comparison = compare([load_plan(ARTICLE)], _events())

    with pytest.raises(KeyError):
        comparison.row("money.net.level 9")


def test_plan_versions_are_measured_each_with_its_own_rules() -> None:
    first = load_plan(ARTICLE)
    second = first.model_copy(
        update={"version": 2, "effective_from": first.effective_from.replace(month=2)}
    )
    plans = PlanSet([first, second.model_validate(second.model_dump())])

    metrics = measure(plans, _events())

    assert metrics.plan_versions == (1, 2)
    assert metrics.money.total.net == measure(first, _events()).money.total.net
    assert compare([plans], _events()).plans == ("article-scheme v1+2",)


def test_versions_in_several_currencies_are_refused() -> None:
    first = load_plan(ARTICLE)
    data = first.model_dump()
    data.update(version=2, currency="USD", effective_from=first.effective_from.replace(month=2))
    plans = PlanSet([first, type(first).model_validate(data)])

    with pytest.raises(PlanError) as raised:
        measure(plans, [])
    assert raised.value.problems[0].path == "currency"


def test_an_empty_stream_measures_to_zeros() -> None:
    metrics = measure(load_plan(ARTICLE), [])

    assert metrics.money.total.net == Decimal("0.00")
    assert metrics.payout_ratio is None
    assert metrics.regulator.money_depth == 0
    assert metrics.regulator.tree_depth == 0
    assert metrics.income.median == Decimal("0.00")
    assert metrics.gift_packs.share is None


def test_the_comparison_example_runs() -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "compare_plans.py")],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )

    assert "regulator.money_depth" in result.stdout
