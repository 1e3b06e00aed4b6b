"""Path: every beneficiary is the buyer or that level's ancestor at payment time.

Ancestors are read one step at a time through the graph's public queries, as
they stood at the order's payment instant.
"""

from __future__ import annotations

import itertools

from hypothesis import given

from socialcommerce_rules.limits import DEPTH_MAX

from .strategies import Scenario, scenarios


@given(scenarios())
def test_each_line_follows_the_uplines_at_payment_time(scenario: Scenario) -> None:
    graph = scenario.graph
    for order, evaluation in scenario.evaluations():
        for line in evaluation.lines:
            path = line.path
            assert path[0] == order.buyer, line
            assert path[-1] == line.beneficiary, line
            assert len(path) == line.level + 1, line
            for below, above in itertools.pairwise(path):
                assert graph.upline(below, at=order.paid_at) == above, line
            assert len(set(path)) == len(path), line


@given(scenarios())
def test_performance_goes_to_the_nearest_holder_of_the_role(scenario: Scenario) -> None:
    graph, plan = scenario.graph, scenario.plan
    for order, evaluation in scenario.evaluations():
        walker: str | None = order.buyer
        owner = None
        for _ in range(DEPTH_MAX + 1):
            if walker is None:
                break
            if plan.performance_role and graph.role(walker, at=order.paid_at) == (
                plan.performance_role
            ):
                owner = walker
                break
            walker = graph.upline(walker, at=order.paid_at)
        assert evaluation.performance_owner == owner
        expected_store = None if owner is None else graph.store(owner, at=order.paid_at)
        assert evaluation.store == expected_store
