"""Refused referral-graph changes: each names its field and changes nothing.

Every case starts from the same graph (see ``_support.build_graph``), takes a
snapshot of everything a caller can ask it, makes one refused call, and checks
the error and that the snapshot is unchanged.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import pytest

from socialcommerce_rules import GraphError, ReferralGraph, RoleChange, UnknownParticipantError

from ._support import T0, T1, T2, T3, build_graph, check_refusal, snapshot

ROLES = ("member", "maker", "guide")
NAIVE = datetime(2026, 1, 11)  # no time zone: the refused input itself

Change = Callable[[ReferralGraph], object]


def _case(
    case_id: str,
    change: Change,
    error: type[GraphError],
    code: str,
    path: str,
    *,
    before: Change | None = None,
) -> object:
    return pytest.param(change, error, code, path, before, id=case_id)


CASES = [
    # Unknown participants, wherever they are named.
    _case(
        "unknown-inviter",
        lambda g: g.join("new", at=T1, role="member", inviter="nobody"),
        UnknownParticipantError,
        "graph-unknown-participant",
        "inviter",
    ),
    _case(
        "unknown-participant-rebound",
        lambda g: g.rebind("nobody", "g1", at=T1),
        UnknownParticipantError,
        "graph-unknown-participant",
        "participant",
    ),
    _case(
        "unknown-upline",
        lambda g: g.rebind("m1", "nobody", at=T1),
        UnknownParticipantError,
        "graph-unknown-participant",
        "upline",
    ),
    _case(
        "unknown-role-change",
        lambda g: g.change_role("nobody", "maker", at=T1),
        UnknownParticipantError,
        "graph-unknown-participant",
        "participant",
    ),
    _case(
        "unknown-status-change",
        lambda g: g.set_active("nobody", False, at=T1),
        UnknownParticipantError,
        "graph-unknown-participant",
        "participant",
    ),
    _case(
        "unknown-store-change",
        lambda g: g.set_store("nobody", "s9", at=T1),
        UnknownParticipantError,
        "graph-unknown-participant",
        "participant",
    ),
    _case(
        "unknown-leaving-guide",
        lambda g: g.guide_leaves("nobody", at=T1, successor="g2"),
        UnknownParticipantError,
        "graph-unknown-participant",
        "guide",
    ),
    _case(
        "unknown-successor",
        lambda g: g.guide_leaves("g1", at=T1, successor="nobody"),
        UnknownParticipantError,
        "graph-unknown-participant",
        "successor",
    ),
    _case(
        "unknown-in-role-changes",
        lambda g: g.apply(
            [RoleChange("k1", "guide", T1, ""), RoleChange("nobody", "maker", T1, "")]
        ),
        UnknownParticipantError,
        "graph-unknown-participant",
        "participant",
    ),
    _case(
        "unknown-queried",
        lambda g: g.upline("nobody", at=T1),
        UnknownParticipantError,
        "graph-unknown-participant",
        "participant",
    ),
    # Joining twice.
    _case(
        "duplicate-join",
        lambda g: g.join("m1", at=T1, role="member", inviter="g2"),
        GraphError,
        "graph-duplicate-participant",
        "participant",
    ),
    # Self-binding and cycles.
    _case(
        "self-binding",
        lambda g: g.rebind("m1", "m1", at=T1),
        GraphError,
        "graph-self-binding",
        "upline",
    ),
    _case(
        "guide-succeeding-themselves",
        lambda g: g.guide_leaves("g1", at=T1, successor="g1"),
        GraphError,
        "graph-self-binding",
        "successor",
    ),
    _case(
        "cycle-of-2",
        lambda g: g.rebind("g1", "k1", at=T1),
        GraphError,
        "graph-cycle",
        "upline",
    ),
    _case(
        "cycle-of-3",
        lambda g: g.rebind("g1", "m1", at=T1),
        GraphError,
        "graph-cycle",
        "upline",
    ),
    _case(
        "cycle-of-5",
        lambda g: g.rebind("c1", "c5", at=T1),
        GraphError,
        "graph-cycle",
        "upline",
    ),
    _case(
        "cycle-through-transplant",
        lambda g: g.transplant("c2", "c4", at=T1),
        GraphError,
        "graph-cycle",
        "upline",
    ),
    _case(
        "successor-in-leaving-guides-downline",
        lambda g: g.guide_leaves("g1", at=T1, successor="k1"),
        GraphError,
        "graph-cycle",
        "upline",
    ),
    _case(
        "cycle-after-an-earlier-rebind",
        lambda g: g.rebind("g2", "m2", at=T2),
        GraphError,
        "graph-cycle",
        "upline",
        before=lambda g: g.rebind("g1", "g2", at=T1),
    ),
    # Binding changes out of time order.
    _case(
        "rebind-before-latest-binding-change",
        lambda g: g.rebind("m1", "g2", at=T1),
        GraphError,
        "graph-change-out-of-order",
        "at",
        before=lambda g: g.rebind("m2", "g2", at=T2),
    ),
    _case(
        "guide-leaves-before-latest-binding-change",
        lambda g: g.guide_leaves("g1", at=T1, successor="g2"),
        GraphError,
        "graph-change-out-of-order",
        "at",
        before=lambda g: g.rebind("m2", "g2", at=T2),
    ),
    _case(
        "second-rebind-at-the-same-instant",
        lambda g: g.rebind("m2", "k1", at=T1),
        GraphError,
        "graph-conflicting-change",
        "at",
        before=lambda g: g.rebind("m2", "g2", at=T1),
    ),
    # Participants used before they joined.
    _case(
        "inviter-not-yet-joined",
        lambda g: g.join("new", at=T1, role="member", inviter="x-late"),
        GraphError,
        "graph-not-joined",
        "inviter",
    ),
    _case(
        "rebound-before-joining",
        lambda g: g.rebind("x-late", "g2", at=T1),
        GraphError,
        "graph-not-joined",
        "participant",
    ),
    _case(
        "upline-not-yet-joined",
        lambda g: g.rebind("m2", "x-late", at=T1),
        GraphError,
        "graph-not-joined",
        "upline",
    ),
    _case(
        "successor-not-yet-joined",
        lambda g: g.guide_leaves("g1", at=T1, successor="x-late"),
        GraphError,
        "graph-not-joined",
        "successor",
    ),
    _case(
        "role-change-before-joining",
        lambda g: g.change_role("x-late", "maker", at=T1),
        GraphError,
        "graph-not-joined",
        "participant",
    ),
    _case(
        "role-queried-before-joining",
        lambda g: g.role("x-late", at=T1),
        GraphError,
        "graph-not-joined",
        "participant",
    ),
    # Roles the graph does not allow.
    _case(
        "disallowed-role-on-join",
        lambda g: g.join("new", at=T1, role="captain", inviter="g1"),
        GraphError,
        "graph-unknown-role",
        "role",
    ),
    _case(
        "disallowed-role-change",
        lambda g: g.change_role("m1", "captain", at=T1),
        GraphError,
        "graph-unknown-role",
        "role",
    ),
    _case(
        "disallowed-role-in-role-changes",
        lambda g: g.apply([RoleChange("k1", "guide", T1, ""), RoleChange("m1", "captain", T1, "")]),
        GraphError,
        "graph-unknown-role",
        "role",
    ),
    _case(
        "second-role-change-at-the-same-instant",
        lambda g: g.change_role("m1", "guide", at=T1),
        GraphError,
        "graph-conflicting-change",
        "at",
        before=lambda g: g.change_role("m1", "maker", at=T1),
    ),
    # Naive datetimes and identifiers of the wrong form.
    _case(
        "naive-join",
        lambda g: g.join("new", at=NAIVE, role="member", inviter="g1"),
        GraphError,
        "graph-invalid-value",
        "at",
    ),
    _case(
        "naive-rebind",
        lambda g: g.rebind("m2", "g2", at=NAIVE),
        GraphError,
        "graph-invalid-value",
        "at",
    ),
    _case(
        "naive-role-change",
        lambda g: g.change_role("m1", "maker", at=NAIVE),
        GraphError,
        "graph-invalid-value",
        "at",
    ),
    _case(
        "naive-query",
        lambda g: g.ancestors("m1", at=NAIVE, max_depth=2),
        GraphError,
        "graph-invalid-value",
        "at",
    ),
    _case(
        "date-string-as-time",
        lambda g: g.join("new", at="2026-01-11T00:00:00Z", role="member"),  # type: ignore[arg-type]
        GraphError,
        "graph-invalid-value",
        "at",
    ),
    _case(
        "identifier-with-a-space",
        lambda g: g.join("new member", at=T1, role="member"),
        GraphError,
        "graph-invalid-value",
        "participant",
    ),
    _case(
        "empty-identifier",
        lambda g: g.join("", at=T1, role="member"),
        GraphError,
        "graph-invalid-value",
        "participant",
    ),
    _case(
        "identifier-not-a-string",
        lambda g: g.join(42, at=T1, role="member"),  # type: ignore[arg-type]
        GraphError,
        "graph-invalid-value",
        "participant",
    ),
    _case(
        "store-with-a-newline",
        lambda g: g.set_store("g2", "s\n2", at=T1),
        GraphError,
        "graph-invalid-value",
        "store",
    ),
]


@pytest.mark.parametrize(("change", "error", "code", "path", "before"), CASES)
def test_refused_change_names_its_field_and_changes_nothing(
    change: Change,
    error: type[GraphError],
    code: str,
    path: str,
    before: Change | None,
) -> None:
    graph = build_graph(roles=ROLES)
    if before is not None:
        before(graph)
    recorded = snapshot(graph)

    with pytest.raises(error) as caught:
        change(graph)

    check_refusal(caught.value, code=code, path=path)
    assert snapshot(graph) == recorded


def test_a_refused_change_leaves_the_graph_usable() -> None:
    graph = build_graph(roles=ROLES)
    with pytest.raises(GraphError):
        graph.rebind("c1", "c5", at=T1)

    graph.rebind("c5", "g2", at=T1)

    assert graph.ancestors("c5", at=T2, max_depth=5) == ("g2",)
    assert graph.ancestors("c5", at=T0, max_depth=5) == ("c4", "c3", "c2", "c1")
    graph.check(at=T3)


def test_guide_leaving_is_all_or_nothing() -> None:
    # k1 and m2 are g1's direct downline; m2 was re-bound to g1 at T1 (it already
    # was, so this records a change at T1).  Moving m2 again at T1 conflicts, and
    # then k1 must not have been moved either.
    graph = build_graph(roles=ROLES)
    graph.rebind("m2", "g1", at=T1)
    recorded = snapshot(graph)

    with pytest.raises(GraphError) as caught:
        graph.guide_leaves("g1", at=T1, successor="g2")

    assert caught.value.code == "graph-conflicting-change"
    assert graph.upline("k1", at=T1) == "g1"
    assert graph.is_active("g1", at=T1)
    assert snapshot(graph) == recorded


def test_role_changes_are_all_or_nothing() -> None:
    graph = build_graph(roles=ROLES)
    recorded = snapshot(graph)
    changes = [RoleChange("m1", "maker", T1, ""), RoleChange("m1", "guide", T1, "")]

    with pytest.raises(GraphError) as caught:
        graph.apply(changes)

    assert caught.value.code == "graph-conflicting-change"
    assert graph.role("m1", at=T1) == "member"
    assert snapshot(graph) == recorded
