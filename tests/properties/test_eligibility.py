"""Eligibility: each beneficiary could earn under its rule at payment time.

At the payment instant the beneficiary was active and held the line's role; the
plan lets that role earn the line's unit; and the rule declares a value for the
role at the line's rule level, which is the value the line applied.
"""

from __future__ import annotations

import math
from decimal import Decimal
from fractions import Fraction

from hypothesis import given

from socialcommerce_rules import Order, PayoutLine, Plan, ReferralGraph
from socialcommerce_rules.plan import DifferentialRule, LevelRule, PointsRule

from .strategies import Scenario, scenarios


@given(scenarios())
def test_each_beneficiary_was_eligible_at_payment_time(scenario: Scenario) -> None:
    for order, evaluation in scenario.evaluations():
        for line in evaluation.lines:
            _check_beneficiary(scenario.plan, scenario.graph, order, line)


@given(scenarios())
def test_each_line_applies_the_value_its_rule_declares(scenario: Scenario) -> None:
    plan = scenario.plan
    rules = {rule.id: rule for rule in plan.rules}
    for order, evaluation in scenario.evaluations():
        quantities = {item.item_id: item.quantity for item in order.items}
        for line in evaluation.lines:
            rule = rules[line.rule_id]
            if isinstance(rule, DifferentialRule):
                assert line.unit == plan.currency, line
                _check_differential(rule, line)
            elif isinstance(rule, PointsRule):
                assert line.unit == "points", line
                _check_points(rule, line)
            else:
                assert line.unit == plan.currency, line
                assert line.item_id is not None, line
                _check_level(rule, line, quantities[line.item_id])


def _check_differential(rule: DifferentialRule, line: PayoutLine) -> None:
    assert line.role in rule.rates, line
    assert line.level == line.rule_level, line
    assert line.rate is not None, line
    assert 0 < line.rate <= rule.rates[line.role], line
    assert _exact(line.exact) == _exact(line.base) * _exact(line.rate), line


def _check_points(rule: PointsRule, line: PayoutLine) -> None:
    [level] = [level for level in rule.levels if level.level == line.rule_level]
    assert line.role in level.points, line
    assert line.rate == level.points[line.role], line
    per_unit = _exact(line.base) * _exact(line.rate)  # points per currency unit of base
    assert line.amount == math.floor(per_unit), line
    assert _exact(line.exact) == per_unit, line


def _check_level(rule: LevelRule, line: PayoutLine, quantity: int) -> None:
    [level] = [level for level in rule.levels if level.level == line.rule_level]
    if level.rates is not None:
        assert line.role in level.rates, line
        assert line.rate == level.rates[line.role], line
        assert line.fixed_amount is None, line
        assert _exact(line.exact) == _exact(line.base) * _exact(line.rate), line
    else:
        assert level.amounts is not None
        assert line.role in level.amounts, line
        assert line.fixed_amount == level.amounts[line.role], line
        assert line.rate is None, line
        assert _exact(line.exact) == _exact(line.fixed_amount) * quantity, line


def _check_beneficiary(plan: Plan, graph: ReferralGraph, order: Order, line: PayoutLine) -> None:
    at = order.paid_at
    assert graph.is_active(line.beneficiary, at=at), line
    assert graph.role(line.beneficiary, at=at) == line.role, line
    earns = {role.name: role.earns for role in plan.roles}[line.role]
    if line.unit == plan.currency:
        assert earns == "money", line
    else:
        assert line.unit == "points", line
        assert earns in ("money", "points"), line


def _exact(value: Decimal | None) -> Fraction:
    assert value is not None
    return Fraction(value)
