"""Cap: an order's money lines never exceed the plan's caps on its base.

The caps are recomputed from the plan and the items' bases as
``floor(base * ratio)`` to the quantum: ``caps.order_ratio`` for all money lines
of the order, ``caps.beneficiary_ratio`` (when set) for each beneficiary's.
"""

from __future__ import annotations

from collections import Counter

from hypothesis import given

from . import reference
from .strategies import Scenario, scenarios


@given(scenarios())
def test_money_lines_stay_within_the_caps(scenario: Scenario) -> None:
    plan = scenario.plan
    for order, evaluation in scenario.evaluations():
        base = sum(reference.item_bases(plan, order))
        paid = Counter[str]()
        for line in evaluation.lines:
            if line.unit == plan.currency:
                paid[line.beneficiary] += reference.quanta(line.amount, plan.quantum)
        assert paid.total() <= reference.cap_quanta(base, plan.caps.order_ratio)
        ratio = plan.caps.beneficiary_ratio
        if ratio is not None:
            limit = reference.cap_quanta(base, ratio)
            assert all(amount <= limit for amount in paid.values()), (paid, limit)


@given(scenarios())
def test_a_capped_line_records_the_larger_amount_before_the_cap(scenario: Scenario) -> None:
    for _, evaluation in scenario.evaluations():
        for line in evaluation.lines:
            if line.capped_from is not None:
                assert line.unit == scenario.plan.currency, line
                assert line.capped_from > line.amount, line
