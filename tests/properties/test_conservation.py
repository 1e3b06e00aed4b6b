"""Conservation: an order's lines plus what the merchant keeps make up its pool.

The pool and the items' bases are recomputed from the plan (see ``reference``),
not read back from the engine.
"""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given

from . import reference
from .strategies import Scenario, scenarios


@given(scenarios())
def test_pool_is_what_is_paid_plus_what_the_merchant_keeps(scenario: Scenario) -> None:
    plan = scenario.plan
    for _, evaluation in scenario.evaluations():
        money = [line.amount for line in evaluation.lines if line.unit == plan.currency]
        assert evaluation.pool == evaluation.paid + evaluation.merchant_kept
        assert evaluation.merchant_kept >= 0
        assert evaluation.paid == sum(money, Decimal(0))
        for amount in (evaluation.pool, evaluation.paid, evaluation.merchant_kept, *money):
            reference.quanta(amount, plan.quantum)  # fails unless a whole number of quanta


@given(scenarios())
def test_pool_and_bases_are_what_the_plan_sets_aside(scenario: Scenario) -> None:
    plan = scenario.plan
    for order, evaluation in scenario.evaluations():
        bases = reference.item_bases(plan, order)
        assert [reference.quanta(item.base, plan.quantum) for item in evaluation.items] == bases
        assert reference.quanta(evaluation.base, plan.quantum) == sum(bases)
        assert reference.quanta(evaluation.pool, plan.quantum) == reference.pool_quanta(plan, order)


@given(scenarios())
def test_every_line_pays_a_whole_positive_amount_in_one_unit(scenario: Scenario) -> None:
    plan = scenario.plan
    for _, evaluation in scenario.evaluations():
        points = [line for line in evaluation.lines if line.unit == "points"]
        assert all(line.unit in (plan.currency, "points") for line in evaluation.lines)
        assert all(line.amount > 0 for line in evaluation.lines), "zero lines are omitted"
        for line in points:
            assert line.amount == line.amount.to_integral_value()
        assert evaluation.points == sum((line.amount for line in points), Decimal(0))
