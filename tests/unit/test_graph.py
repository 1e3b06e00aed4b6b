"""graph.py: the referral graph, queried as of any instant."""

from __future__ import annotations

from datetime import timedelta, timezone

import networkx as nx
import pytest

from socialcommerce_rules import (
    GraphError,
    InternalInvariantError,
    ReferralGraph,
    RoleChange,
    UnknownParticipantError,
)

from ._helpers import T0, at


@pytest.fixture
def graph() -> ReferralGraph:
    """g1 (store s1) > k1 (maker) > m1; g1 > m2; g2 (store s2) > m3; all at T0."""
    graph = ReferralGraph()
    graph.join("g1", at=T0, role="guide", store="s1")
    graph.join("g2", at=T0, role="guide", store="s2")
    graph.join("k1", at=T0, role="maker", inviter="g1")
    graph.join("m1", at=T0, role="member", inviter="k1")
    graph.join("m2", at=T0, role="member", inviter="g1")
    graph.join("m3", at=T0, role="member", inviter="g2")
    return graph


# ------------------------------------------------------------------ joining


def test_join_records_role_upline_store_and_status(graph: ReferralGraph) -> None:
    assert graph.upline("m1", at=T0) == "k1"
    assert graph.upline("g1", at=T0) is None
    assert graph.role("k1", at=T0) == "maker"
    assert graph.store("g1", at=T0) == "s1"
    assert graph.store("m1", at=T0) is None
    assert graph.is_active("m1", at=T0)
    assert graph.joined_at("m1") == "2026-01-01T00:00:00Z"


def test_participants_are_listed_in_join_order(graph: ReferralGraph) -> None:
    assert list(graph) == ["g1", "g2", "k1", "m1", "m2", "m3"]
    assert len(graph) == 6
    assert "m1" in graph
    assert "nobody" not in graph


def test_a_participant_does_not_exist_before_joining(graph: ReferralGraph) -> None:
    graph.join("late", at=at(10), role="member", inviter="g1")

    with pytest.raises(GraphError) as caught:
        graph.upline("late", at=at(9))

    assert caught.value.code == "graph-not-joined"
    assert graph.upline("late", at=at(10)) == "g1"
    assert "late" not in graph.to_networkx(at=at(9))


def test_joins_may_arrive_out_of_time_order(graph: ReferralGraph) -> None:
    graph.join("late", at=at(10), role="guide")
    graph.join("early", at=at(5), role="member", inviter="g1")

    assert graph.upline("early", at=at(5)) == "g1"
    assert list(graph)[-2:] == ["late", "early"]


def test_roles_can_be_restricted() -> None:
    graph = ReferralGraph(roles=["member", "guide"])
    graph.join("g", at=T0, role="guide")

    with pytest.raises(GraphError) as caught:
        graph.join("k", at=T0, role="maker", inviter="g")

    assert caught.value.code == "graph-unknown-role"
    assert list(graph) == ["g"]


# ------------------------------------------------------- queries as of a time


def test_rebind_applies_from_its_instant_on(graph: ReferralGraph) -> None:
    graph.rebind("m2", "g2", at=at(10))

    assert graph.upline("m2", at=at(9.999)) == "g1"
    assert graph.upline("m2", at=at(10)) == "g2"
    assert graph.upline("m2", at=at(400)) == "g2"
    assert graph.downline("g1", at=at(9)) == ("k1", "m2")
    assert graph.downline("g1", at=at(10)) == ("k1",)
    assert graph.downline("g2", at=at(10)) == ("m2", "m3")


def test_rebinding_to_none_makes_a_root(graph: ReferralGraph) -> None:
    graph.rebind("k1", None, at=at(3))

    assert graph.upline("k1", at=at(3)) is None
    assert graph.ancestors("m1", at=at(3), max_depth=5) == ("k1",)
    assert graph.ancestors("m1", at=at(2), max_depth=5) == ("k1", "g1")


def test_role_history_answers_each_instant(graph: ReferralGraph) -> None:
    graph.change_role("m1", "guide", at=at(20))
    graph.change_role("m1", "maker", at=at(10))  # role changes may arrive late

    assert [graph.role("m1", at=at(day)) for day in (0, 9, 10, 19, 20, 30)] == [
        "member",
        "member",
        "maker",
        "maker",
        "guide",
        "guide",
    ]


def test_status_and_store_histories(graph: ReferralGraph) -> None:
    graph.set_active("k1", False, at=at(5))
    graph.set_active("k1", True, at=at(8))
    graph.set_store("g1", "s9", at=at(6))
    graph.set_store("g1", None, at=at(7))

    assert [graph.is_active("k1", at=at(day)) for day in (4, 5, 7, 8)] == [True, False, False, True]
    assert [graph.store("g1", at=at(day)) for day in (5, 6, 7)] == ["s1", "s9", None]


def test_ancestors_are_nearest_first_and_bounded(graph: ReferralGraph) -> None:
    assert graph.ancestors("m1", at=T0, max_depth=5) == ("k1", "g1")
    assert graph.ancestors("m1", at=T0, max_depth=1) == ("k1",)
    assert graph.ancestors("m1", at=T0, max_depth=0) == ()
    assert graph.ancestors("g1", at=T0, max_depth=5) == ()


def test_times_in_other_zones_are_the_same_instants(graph: ReferralGraph) -> None:
    graph.rebind("m2", "g2", at=at(10))
    shanghai = timezone(timedelta(hours=8))

    assert graph.upline("m2", at=at(10).astimezone(shanghai)) == "g2"
    assert graph.upline("m2", at=(at(10) - timedelta(microseconds=1)).astimezone(shanghai)) == "g1"


def test_a_cycle_in_history_is_no_cycle_now(graph: ReferralGraph) -> None:
    # k1 was under g1; after k1 becomes a root, g1 may join k1's team.
    graph.rebind("k1", None, at=at(1))
    graph.rebind("g1", "k1", at=at(2))

    assert graph.ancestors("m2", at=at(2), max_depth=5) == ("g1", "k1")
    assert graph.ancestors("m1", at=T0, max_depth=5) == ("k1", "g1")
    for day in (0, 1, 2):
        graph.check(at=at(day))


# ------------------------------------------------------------ guide leaving


def test_guide_leaving_moves_only_the_direct_downline_joined_by_then(
    graph: ReferralGraph,
) -> None:
    graph.join("m4", at=at(1), role="member", inviter="g1")
    graph.rebind("m2", "g2", at=at(2))  # left g1 before g1 leaves
    graph.join("m5", at=at(30), role="member", inviter="g1")  # joins after

    moved = graph.guide_leaves("g1", at=at(10), successor="g2")

    assert moved == ("k1", "m4")
    assert graph.upline("k1", at=at(10)) == "g2"
    assert graph.upline("m4", at=at(10)) == "g2"
    assert graph.upline("m1", at=at(10)) == "k1"  # the maker's members move with her
    assert graph.upline("m5", at=at(30)) == "g1"
    assert graph.upline("k1", at=at(9)) == "g1"


def test_guide_leaving_deactivates_the_guide_and_clears_the_store(graph: ReferralGraph) -> None:
    graph.guide_leaves("g1", at=at(10), successor="g2")

    assert graph.is_active("g1", at=at(9))
    assert graph.store("g1", at=at(9)) == "s1"
    assert not graph.is_active("g1", at=at(10))
    assert graph.store("g1", at=at(10)) is None
    assert graph.ancestors("m1", at=at(10), max_depth=3) == ("k1", "g2")


def test_guide_with_no_downline_leaves_quietly(graph: ReferralGraph) -> None:
    graph.rebind("m3", "g1", at=at(1))

    assert graph.guide_leaves("g2", at=at(2), successor="g1") == ()
    assert not graph.is_active("g2", at=at(2))


# -------------------------------------------------------------- transplants


def test_transplant_moves_the_whole_team(graph: ReferralGraph) -> None:
    graph.join("m4", at=T0, role="member", inviter="m1")

    graph.transplant("k1", "g2", at=at(5))

    assert graph.ancestors("m4", at=at(4), max_depth=5) == ("m1", "k1", "g1")
    assert graph.ancestors("m4", at=at(5), max_depth=5) == ("m1", "k1", "g2")
    assert graph.downline("g1", at=at(5)) == ("m2",)
    assert graph.downline("g2", at=at(5)) == ("k1", "m3")


# ------------------------------------------------------------- role changes


def test_apply_records_role_changes(graph: ReferralGraph) -> None:
    graph.apply([RoleChange("m1", "maker", at(3), "bought the gift pack")])

    assert graph.role("m1", at=at(2)) == "member"
    assert graph.role("m1", at=at(3)) == "maker"


def test_apply_checks_every_change_first(graph: ReferralGraph) -> None:
    changes = [RoleChange("m1", "maker", at(3), ""), RoleChange("nobody", "maker", at(3), "")]

    with pytest.raises(UnknownParticipantError):
        graph.apply(changes)

    assert graph.role("m1", at=at(3)) == "member"


# ---------------------------------------------------------------- networkx


def test_to_networkx_is_the_graph_at_that_instant(graph: ReferralGraph) -> None:
    graph.join("late", at=at(10), role="member", inviter="m3")
    graph.rebind("m2", "g2", at=at(5))
    graph.set_active("k1", False, at=at(5))

    before = graph.to_networkx(at=at(4))
    after = graph.to_networkx(at=at(10))

    assert list(before.nodes) == ["g1", "g2", "k1", "m1", "m2", "m3"]
    assert set(before.edges) == {("g1", "k1"), ("k1", "m1"), ("g1", "m2"), ("g2", "m3")}
    assert set(after.edges) == {
        ("g1", "k1"),
        ("k1", "m1"),
        ("g2", "m2"),
        ("g2", "m3"),
        ("m3", "late"),
    }
    assert before.nodes["k1"] == {"role": "maker", "active": True, "store": None}
    assert after.nodes["k1"]["active"] is False
    assert after.nodes["g1"]["store"] == "s1"
    assert nx.is_forest(after)


def test_check_passes_on_a_forest(graph: ReferralGraph) -> None:
    graph.transplant("k1", "m3", at=at(2))

    for day in (0, 2, 100):
        graph.check(at=at(day))


def test_check_passes_on_an_empty_graph() -> None:
    ReferralGraph().check(at=T0)


def test_check_reports_a_cycle_as_a_broken_invariant(graph: ReferralGraph) -> None:
    # The change methods make a cycle impossible, so make one behind their back.
    graph._upline_first[graph._index["g1"]] = graph._index["m1"]

    with pytest.raises(InternalInvariantError) as caught:
        graph.check(at=T0)

    assert caught.value.code == "internal-invariant"
