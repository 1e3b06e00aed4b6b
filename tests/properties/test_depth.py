"""Depth: no line pays anyone more than ``max_depth`` levels above the buyer."""

from __future__ import annotations

from hypothesis import given

from .strategies import Scenario, scenarios


@given(scenarios())
def test_no_line_is_above_max_depth(scenario: Scenario) -> None:
    plan = scenario.plan
    for _, evaluation in scenario.evaluations():
        for line in evaluation.lines:
            assert 0 <= line.level <= plan.max_depth, line
            assert 0 <= line.rule_level <= plan.max_depth, line


@given(scenarios())
def test_only_compression_moves_a_line_above_its_rule_level(scenario: Scenario) -> None:
    plan = scenario.plan
    for _, evaluation in scenario.evaluations():
        for line in evaluation.lines:
            if plan.ineligible == "retain":
                assert line.level == line.rule_level, line
            else:
                assert line.level >= line.rule_level, line
