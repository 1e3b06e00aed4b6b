"""Shared inputs and checks for the refused-input cases.

Every case builds the same small world (a plan, a referral graph, an order),
changes one thing, and checks that the refusal carries the right type, code and
path, and that nothing already recorded changed.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from socialcommerce_rules import (
    ERROR_CODES,
    GraphError,
    PlanError,
    ReferralGraph,
    SocialCommerceError,
)

CASES = Path(__file__).parent / "cases"

T0 = datetime(2026, 1, 1, tzinfo=UTC)
T1 = T0 + timedelta(days=10)
T2 = T0 + timedelta(days=20)
T3 = T0 + timedelta(days=30)
LATER = T0 + timedelta(days=365)
INSTANTS = (T0, T1, T2, T3, LATER)

PLAN: dict[str, Any] = {
    "id": "bad-input-case",
    "version": 1,
    "effective_from": "2026-01-01T00:00:00+00:00",
    "currency": "CNY",
    "quantum": "0.01",
    "max_depth": 2,
    "performance_role": "guide",
    "roles": [
        {"name": "member", "rank": 0, "earns": "points"},
        {"name": "maker", "rank": 1},
        {"name": "guide", "rank": 2},
    ],
    "gift_packs": [{"sku": "GIFT-399", "becomes": "maker"}],
    "rules": [
        {
            "kind": "level",
            "id": "gift-pack-commission",
            "skus": ["GIFT-399"],
            "levels": [{"level": 1, "amounts": {"guide": "80.00", "maker": "50.00"}}],
        },
        {
            "kind": "level",
            "id": "sales-commission",
            "exclude_skus": ["GIFT-399"],
            "levels": [
                {"level": 1, "rates": {"maker": "0.10", "guide": "0.08"}},
                {"level": 2, "rates": {"guide": "0.05"}},
            ],
        },
        {
            "kind": "differential",
            "id": "team-differential",
            "exclude_skus": ["GIFT-399"],
            "rates": {"maker": "0.01", "guide": "0.02"},
        },
        {
            "kind": "points",
            "id": "purchase-points",
            "levels": [{"level": 0, "points": {"member": "1"}}],
        },
    ],
    "base": {"exclude_categories": ["gift-card"]},
    "caps": {"order_ratio": "0.35"},
}

ORDER: dict[str, Any] = {
    "order_id": "o-1",
    "buyer": "m1",
    "paid_at": "2026-02-01T12:00:00+08:00",
    "currency": "CNY",
    "items": [
        {"item_id": "1", "sku": "TEA-250G", "quantity": 2, "unit_price": "75.00"},
        {"item_id": "2", "sku": "CUP", "unit_price": "20.00", "discount": "5.00"},
    ],
    "coupons": "10.00",
}


def plan_data() -> dict[str, Any]:
    """A fresh deep copy of the valid plan, to break in one place."""
    return copy.deepcopy(PLAN)


def order_data() -> dict[str, Any]:
    """A fresh deep copy of the valid order, to break in one place."""
    return copy.deepcopy(ORDER)


def build_graph(*, roles: Sequence[str] | None = None) -> ReferralGraph:
    """guide g1 (store s1) > maker k1 > member m1; member m2 under g1; guide g2;
    a chain c1 > c2 > c3 > c4 > c5; x-late joins at T3 under g1."""
    graph = ReferralGraph(roles=roles)
    graph.join("g1", at=T0, role="guide", store="s1")
    graph.join("g2", at=T0, role="guide", store="s2")
    graph.join("k1", at=T0, role="maker", inviter="g1")
    graph.join("m1", at=T0, role="member", inviter="k1")
    graph.join("m2", at=T0, role="member", inviter="g1")
    graph.join("c1", at=T0, role="member")
    for upper, lower in (("c1", "c2"), ("c2", "c3"), ("c3", "c4"), ("c4", "c5")):
        graph.join(lower, at=T0, role="member", inviter=upper)
    graph.join("x-late", at=T3, role="member", inviter="g1")
    return graph


def snapshot(graph: ReferralGraph) -> list[object]:
    """Everything a caller can ask the graph, at every instant of the cases."""
    rows: list[object] = [len(graph), list(graph)]
    for participant in graph:
        rows.append((participant, graph.joined_at(participant)))
        for at in INSTANTS:
            try:
                rows.append(
                    (
                        participant,
                        at,
                        graph.upline(participant, at=at),
                        graph.role(participant, at=at),
                        graph.is_active(participant, at=at),
                        graph.store(participant, at=at),
                        graph.downline(participant, at=at),
                    )
                )
            except GraphError as error:
                rows.append((participant, at, error.code))
    for at in INSTANTS:
        rows.append(sorted(graph.to_networkx(at=at).edges))
    return rows


def check_refusal(
    error: SocialCommerceError,
    *,
    code: str,
    path: str,
    event_id: str | None = None,
) -> None:
    """The common shape of every refusal: a registered code, the path, the id."""
    assert error.code == code, str(error)
    assert error.code in ERROR_CODES
    assert error.path == path, str(error)
    assert error.event_id == event_id, str(error)
    if path:
        assert path in str(error)


def check_plan_refusal(error: PlanError, *, code: str, path: str) -> None:
    """A plan refusal: the expected problem first, and no unrelated problem.

    Problems at an enclosing path of the expected one are tolerated here; that
    each fault is reported once is checked on its own.
    """
    check_refusal(error, code=code, path=path)
    first = error.problems[0]
    assert (first.code, first.path) == (code, path)
    for problem in error.problems:
        assert problem.code in ERROR_CODES
        assert problem.path == path or path.startswith((f"{problem.path}.", f"{problem.path}[")), (
            f"unrelated problem {problem}"
        )
