"""evaluate(..., sharer=...): an order credited through whoever shared the link."""

from __future__ import annotations

from decimal import Decimal

import pytest

from socialcommerce_rules import Evaluation, Order, Plan, ReferralGraph, evaluate
from socialcommerce_rules.errors import OrderError, UnknownParticipantError

from ._helpers import T0, at, order_data, plan_data

# Two teams: g1 <- k1 <- m1 (the buyer's bound chain) and g2 <- k2 <- m2.
PLAN = Plan.from_mapping(plan_data(performance_role="guide"))


@pytest.fixture
def graph() -> ReferralGraph:
    graph = ReferralGraph()
    graph.join("g1", at=T0, role="guide", store="s1")
    graph.join("k1", at=T0, role="maker", inviter="g1")
    graph.join("m1", at=T0, role="member", inviter="k1")
    graph.join("g2", at=T0, role="guide", store="s2")
    graph.join("k2", at=T0, role="maker", inviter="g2")
    graph.join("m2", at=T0, role="member", inviter="k2")
    return graph


def _order(**changes: object) -> Order:
    return Order.from_mapping(order_data(**changes))


def _paid(result: Evaluation) -> list[tuple[str, int, str, tuple[str, ...]]]:
    return [(line.beneficiary, line.level, str(line.amount), line.path) for line in result.lines]


def test_the_sharer_and_their_uplines_are_paid_instead_of_the_bound_chain(
    graph: ReferralGraph,
) -> None:
    result = evaluate(PLAN, graph, _order(), sharer="k2")

    assert _paid(result) == [
        ("k2", 1, "10.00", ("m1", "k2")),
        ("g2", 2, "5.00", ("m1", "k2", "g2")),
    ]
    assert result.paid == Decimal("15.00")
    assert result.pool == Decimal("15.00")


def test_the_performance_owner_stays_on_the_buyers_bound_chain(graph: ReferralGraph) -> None:
    result = evaluate(PLAN, graph, _order(), sharer="k2")

    assert (result.performance_owner, result.store) == ("g1", "s1")


def test_the_bound_upline_as_sharer_gives_the_same_evaluation(graph: ReferralGraph) -> None:
    assert evaluate(PLAN, graph, _order(), sharer="k1") == evaluate(PLAN, graph, _order())


def test_no_sharer_is_the_same_as_leaving_it_out(graph: ReferralGraph) -> None:
    assert evaluate(PLAN, graph, _order(), sharer=None) == evaluate(PLAN, graph, _order())


def test_the_chain_through_the_sharer_stops_at_max_depth(graph: ReferralGraph) -> None:
    plan = Plan.from_mapping(
        plan_data(
            max_depth=1,
            rules=[
                {
                    "kind": "level",
                    "id": "sales",
                    "levels": [{"level": 1, "rates": {"maker": "0.10", "guide": "0.08"}}],
                }
            ],
        )
    )

    result = evaluate(plan, graph, _order(), sharer="k2")

    assert _paid(result) == [("k2", 1, "10.00", ("m1", "k2"))]


def test_with_max_depth_zero_only_the_buyer_counts_but_the_sharer_is_still_checked(
    graph: ReferralGraph,
) -> None:
    plan = Plan.from_mapping(
        plan_data(
            max_depth=0,
            rules=[
                {"kind": "level", "id": "own", "levels": [{"level": 0, "rates": {"maker": "0.05"}}]}
            ],
        )
    )
    order = _order(buyer="k1")

    assert _paid(evaluate(plan, graph, order, sharer="k2")) == [("k1", 0, "5.00", ("k1",))]
    with pytest.raises(UnknownParticipantError) as caught:
        evaluate(plan, graph, order, sharer="nobody")
    assert caught.value.path == "sharer"


def test_the_walk_up_from_the_sharer_stops_below_the_buyer(graph: ReferralGraph) -> None:
    # g1 buys through k1's link; k1's upline is g1 themselves, who is not paid twice.
    result = evaluate(PLAN, graph, _order(buyer="g1"), sharer="k1")

    assert _paid(result) == [("k1", 1, "10.00", ("g1", "k1"))]
    assert result.performance_owner == "g1"


def test_the_sharers_uplines_are_read_as_of_payment(graph: ReferralGraph) -> None:
    before = evaluate(PLAN, graph, _order(), sharer="k2")
    graph.rebind("k2", "g1", at=at(40))  # after the payment on day 31

    assert evaluate(PLAN, graph, _order(), sharer="k2") == before
    later = _order(paid_at="2026-02-15T00:00:00+00:00")  # day 45
    assert _paid(evaluate(PLAN, graph, later, sharer="k2"))[-1][:2] == ("g1", 2)


def test_an_ineligible_sharer_keeps_their_level_with_the_merchant_under_retain(
    graph: ReferralGraph,
) -> None:
    # m2 is a member (points only): level 1 is kept; k2 at level 2 has no level-2 rate.
    result = evaluate(PLAN, graph, _order(), sharer="m2")

    assert _paid(result) == []
    assert (result.pool, result.merchant_kept) == (Decimal("15.00"), Decimal("15.00"))


def test_an_ineligible_sharer_passes_their_level_up_under_compress(graph: ReferralGraph) -> None:
    plan = Plan.from_mapping(plan_data(performance_role="guide", ineligible="compress"))

    result = evaluate(plan, graph, _order(), sharer="m2")

    assert _paid(result) == [("k2", 2, "10.00", ("m1", "m2", "k2"))]
    assert "level 1 after skipping ineligible uplines" in result.lines[0].reason


def test_the_buyer_cannot_be_the_sharer(graph: ReferralGraph) -> None:
    with pytest.raises(OrderError) as caught:
        evaluate(PLAN, graph, _order(), sharer="m1")

    assert (caught.value.code, caught.value.path, caught.value.event_id) == (
        "order-invalid",
        "sharer",
        "o-1",
    )


def test_an_unknown_sharer_is_refused(graph: ReferralGraph) -> None:
    with pytest.raises(UnknownParticipantError) as caught:
        evaluate(PLAN, graph, _order(), sharer="stranger")

    assert (caught.value.code, caught.value.path, caught.value.event_id) == (
        "graph-unknown-participant",
        "sharer",
        "o-1",
    )


def test_a_sharer_who_joined_after_the_payment_is_refused(graph: ReferralGraph) -> None:
    graph.join("k3", at=at(60), role="maker", inviter="g2")

    with pytest.raises(UnknownParticipantError) as caught:
        evaluate(PLAN, graph, _order(), sharer="k3")

    assert (caught.value.code, caught.value.path) == ("graph-unknown-participant", "sharer")


def test_a_sharer_in_a_role_the_plan_does_not_declare_is_named_by_path(
    graph: ReferralGraph,
) -> None:
    graph.join("a1", at=T0, role="ambassador", inviter="g2")

    with pytest.raises(OrderError) as caught:
        evaluate(PLAN, graph, _order(), sharer="a1")

    assert (caught.value.code, caught.value.path) == ("order-unknown-role", "sharer")
