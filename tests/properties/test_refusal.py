"""Refusal: a graph change that is refused changes nothing.

After a refused change every query answers as before: the graph exported to
networkx at every instant of interest (nodes with role, status and store, and
edges), each participant's ancestors, and the evaluation of the scenario's
orders.  A cycle or a self-binding is always refused with its own code.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from socialcommerce_rules import GraphError, ReferralGraph, SocialCommerceError, evaluate
from socialcommerce_rules.limits import DEPTH_MAX

from .strategies import (
    HORIZON_MINUTES,
    Attempt,
    RoleChanges,
    Scenario,
    attempted_changes,
    instant,
    scenarios,
)

_LATER = HORIZON_MINUTES + 30  # after every change the scenario made
_REFUSED_AT = HORIZON_MINUTES + 60


def _snapshot(scenario: Scenario, graph: ReferralGraph, minutes: list[int]) -> list[Any]:
    """Every answer the graph gives at ``minutes`` (and a microsecond before each)."""
    state: list[Any] = [list(graph), [graph.joined_at(p) for p in graph]]
    for minute in sorted(set(minutes)):
        for nudge in (-1, 0):
            at = instant(minute, microseconds=nudge)
            exported = graph.to_networkx(at=at)
            state.append(list(exported.nodes(data=True)))
            state.append(sorted(exported.edges))
            state.append([graph.ancestors(p, at=at, max_depth=DEPTH_MAX) for p in exported])
    for order in scenario.orders:
        try:
            state.append(evaluate(scenario.plan, graph, order).to_json())
        except SocialCommerceError as error:
            state.append(error.code)
    return state


def _minutes(scenario: Scenario, attempts: list[Attempt]) -> list[int]:
    minutes = [*scenario.graph_spec.minutes(), _LATER, _REFUSED_AT]
    for attempt in attempts:
        if isinstance(attempt, RoleChanges):
            minutes += [minute for _, _, minute in attempt.changes]
        else:
            minutes.append(attempt.minute)
    return minutes


@given(scenarios(max_orders=2), st.data())
def test_a_cycle_or_a_self_binding_is_refused_and_changes_nothing(
    scenario: Scenario, data: st.DataObject
) -> None:
    graph, spec = scenario.graph, scenario.graph_spec
    participant = data.draw(st.sampled_from(spec.participants), label="participant")
    at = instant(_REFUSED_AT)
    refusals: list[tuple[str, Callable[[], object]]] = [
        ("graph-self-binding", lambda: graph.rebind(participant, participant, at=at)),
        ("graph-self-binding", lambda: graph.transplant(participant, participant, at=at)),
        (
            "graph-self-binding",
            lambda: graph.guide_leaves(participant, at=at, successor=participant),
        ),
    ]
    below = sorted(spec.downline_of(participant))  # from the spec, not from the graph
    if below:
        downline = data.draw(st.sampled_from(below), label="downline")
        refusals += [
            ("graph-cycle", lambda: graph.rebind(participant, downline, at=at)),
            ("graph-cycle", lambda: graph.transplant(participant, downline, at=at)),
            ("graph-cycle", lambda: graph.guide_leaves(participant, at=at, successor=downline)),
        ]
    minutes = _minutes(scenario, [])
    before = _snapshot(scenario, graph, minutes)
    for code, change in refusals:
        with pytest.raises(GraphError) as refused:
            change()
        assert refused.value.code == code
        assert _snapshot(scenario, graph, minutes) == before, code
    # The refused changes did not move the clock of binding changes either: a
    # valid one before their time is still accepted.
    graph.rebind(participant, None, at=instant(_LATER))
    assert graph.upline(participant, at=instant(_LATER)) is None


@given(scenarios(max_orders=1), st.data())
def test_any_refused_graph_change_changes_nothing(scenario: Scenario, data: st.DataObject) -> None:
    graph = scenario.graph
    attempts = data.draw(attempted_changes(scenario.graph_spec), label="attempts")
    minutes = _minutes(scenario, attempts)
    state = _snapshot(scenario, graph, minutes)
    for attempt in attempts:
        try:
            attempt.apply_to(graph)
        except GraphError:
            refused = True
        else:
            refused = False
        after = _snapshot(scenario, graph, minutes)
        if refused:
            assert after == state, attempt
        state = after


def _three_members(graph: ReferralGraph) -> None:
    graph.join("guide-a", at=instant(0), role="guide", store="store-north")
    graph.join("guide-b", at=instant(0), role="guide", store="store-south")
    graph.join("member-1", at=instant(1), role="member", inviter="guide-a")
    graph.join("member-2", at=instant(5), role="member", inviter="guide-a")


def test_a_guide_leaving_as_a_member_joins_moves_all_or_nobody() -> None:
    # The smallest case test_any_refused_graph_change_changes_nothing finds:
    # member-2 joins at the instant guide-a leaves, so moving them conflicts
    # with their join; member-1, moved first, must not stay moved.
    graph = ReferralGraph()
    _three_members(graph)
    try:
        graph.guide_leaves("guide-a", at=instant(5), successor="guide-b")
    except GraphError:
        assert graph.upline("member-1", at=instant(5)) == "guide-a"
        assert graph.is_active("guide-a", at=instant(5))
    else:
        assert graph.downline("guide-b", at=instant(5)) == ("member-1", "member-2")


def test_role_changes_refused_together_record_none_of_them() -> None:
    # A case test_any_refused_graph_change_changes_nothing meets: the second
    # change conflicts with a role change already recorded at that instant.
    graph = ReferralGraph()
    _three_members(graph)
    graph.change_role("member-2", "maker", at=instant(9))
    attempt = RoleChanges((("member-1", "maker", 9), ("member-2", "guide", 9)))
    with pytest.raises(GraphError):
        attempt.apply_to(graph)
    assert graph.role("member-1", at=instant(9)) == "member"
    assert graph.role("member-2", at=instant(9)) == "maker"
