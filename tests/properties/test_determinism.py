"""Determinism: the same inputs give byte-identical evaluations.

Whatever the global decimal context, the order in which participants and their
changes were added to the graph, ``PYTHONHASHSEED``, or what the plan object
evaluated before.
"""

from __future__ import annotations

import decimal
import os
import subprocess
import sys
from decimal import Context
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from socialcommerce_rules import Order, Plan, evaluate

from .strategies import Scenario, build_orders, order_mappings, scenarios

_ROOT = Path(__file__).resolve().parents[2]
_EXAMPLE_PLAN = _ROOT / "examples" / "article_scheme.toml"
_SIGNALS = (
    decimal.Inexact,
    decimal.Rounded,
    decimal.FloatOperation,
    decimal.Clamped,
    decimal.Subnormal,
    decimal.InvalidOperation,
)
_ROUNDINGS = (
    decimal.ROUND_UP,
    decimal.ROUND_DOWN,
    decimal.ROUND_CEILING,
    decimal.ROUND_FLOOR,
    decimal.ROUND_HALF_UP,
    decimal.ROUND_HALF_DOWN,
    decimal.ROUND_HALF_EVEN,
    decimal.ROUND_05UP,
)


def _context(prec: int, rounding: str, traps: list[type[decimal.DecimalException]]) -> Context:
    return Context(prec=prec, rounding=rounding, traps=traps)


def decimal_contexts() -> st.SearchStrategy[Context]:
    """Hostile global decimal contexts: tiny precision, odd rounding, new traps."""
    return st.just(
        _context(3, decimal.ROUND_UP, [decimal.Inexact, decimal.Rounded, decimal.FloatOperation])
    ) | st.builds(
        _context,
        prec=st.integers(1, 6),
        rounding=st.sampled_from(_ROUNDINGS),
        traps=st.lists(st.sampled_from(_SIGNALS), unique=True),
    )


def _outputs(scenario: Scenario) -> list[str]:
    return [evaluation.to_json() for _, evaluation in scenario.evaluations()]


@given(scenarios(), decimal_contexts())
def test_evaluation_ignores_the_global_decimal_context(
    scenario: Scenario, context: Context
) -> None:
    expected = _outputs(scenario)
    plan = Plan.from_mapping(scenario.plan_data)  # compiled afresh under the context
    with decimal.localcontext(context):
        found = [evaluate(plan, scenario.graph, order).to_json() for order in scenario.orders]
    assert found == expected


@given(scenarios(), decimal_contexts())
def test_loading_ignores_the_global_decimal_context(scenario: Scenario, context: Context) -> None:
    expected = _outputs(scenario)
    with decimal.localcontext(context):
        plan = Plan.from_mapping(scenario.plan_data)
        graph = scenario.graph_spec.build()
        orders = [Order.from_mapping(data) for data in scenario.order_data]
        found = [evaluate(plan, graph, order).to_json() for order in orders]
    assert plan.model_dump() == scenario.plan.model_dump()
    assert orders == list(scenario.orders)
    assert found == expected


@given(scenarios())
def test_evaluating_leaves_the_plan_equal_to_a_fresh_copy(scenario: Scenario) -> None:
    # A plan is an immutable value: what it evaluated must not change what it equals.
    assert list(scenario.evaluations())
    assert scenario.plan == Plan.from_mapping(scenario.plan_data)


@given(scenarios(), st.data())
def test_evaluation_ignores_the_order_participants_were_added_in(
    scenario: Scenario, data: st.DataObject
) -> None:
    join_order, change_order = data.draw(build_orders(scenario.graph_spec), label="build order")
    graph = scenario.graph_spec.build(join_order=join_order, change_order=change_order)
    found = [evaluate(scenario.plan, graph, order).to_json() for order in scenario.orders]
    assert found == _outputs(scenario)


@given(scenarios(max_orders=1), st.data())
def test_evaluation_ignores_what_the_plan_evaluated_before(
    scenario: Scenario, data: st.DataObject
) -> None:
    # Every participant buys once with the scenario's plan object, so that any
    # memo it keeps is warm; each result must match a fresh plan's.
    quantum = scenario.plan.quantum
    orders = [
        Order.from_mapping(
            data.draw(order_mappings(scenario.graph_spec, quantum, order_id=f"warm-{index}"))
        )
        for index in range(len(scenario.graph_spec.participants))
    ]
    warm = [evaluate(scenario.plan, scenario.graph, order).to_json() for order in orders]
    for order, expected in zip(orders, warm, strict=True):
        cold = Plan.from_mapping(scenario.plan_data)
        assert evaluate(cold, scenario.graph, order).to_json() == expected
    assert _outputs(scenario) == [
        evaluate(Plan.from_mapping(scenario.plan_data), scenario.graph, order).to_json()
        for order in scenario.orders
    ]


# A fixed scenario exercising sets of strings (SKU and category scopes, stores),
# plan versions, a guide leaving, re-binding, inactivity and a gift pack's effect.
_FIXED_SCENARIO = r"""
import sys
from datetime import datetime, timedelta, timezone

from socialcommerce_rules import Order, Plan, PlanSet, ReferralGraph, evaluate, load_plan

article = load_plan(sys.argv[1])
differential = {
    "id": "differential", "version": 1, "effective_from": "2025-12-01T00:00:00Z",
    "currency": "CNY", "quantum": "0.01", "rounding": "half-even",
    "remainder": "beneficiaries", "ineligible": "compress", "max_depth": 3,
    "performance_role": "guide",
    "roles": [
        {"name": "guide", "rank": 2}, {"name": "member", "rank": 0, "earns": "points"},
        {"name": "maker", "rank": 1},
    ],
    "base": {"include_shipping": True, "exclude_categories": ["gift-card", "tobacco"]},
    "caps": {"order_ratio": "0.2", "beneficiary_ratio": "0.12"},
    "rules": [
        {"kind": "differential", "id": "spread", "rates": {"maker": "0.07", "guide": "0.15"},
         "exclude_skus": ["GIFT-399", "RICE-5KG"]},
        {"kind": "level", "id": "food", "categories": ["food", "drinks", "snacks"],
         "levels": [{"level": 1, "rates": {"maker": "0.033", "guide": "0.0333"}},
                    {"level": 3, "amounts": {"guide": "0.07"}}]},
        {"kind": "points", "id": "points", "skus": ["TEA-250G", "RICE-5KG", "SOAP"],
         "levels": [{"level": 0, "points": {"member": "1.5", "maker": "2"}}]},
    ],
}
second = dict(differential, version=2, effective_from="2026-01-03T00:00:00Z",
              rounding="half-up", remainder="merchant", ineligible="retain")
plans = [article, PlanSet([Plan.from_mapping(differential), Plan.from_mapping(second)])]

start = datetime(2026, 1, 1, tzinfo=timezone.utc)
def at(hours):
    return start + timedelta(hours=hours)

graph = ReferralGraph()
graph.join("guide-a", at=at(0), role="guide", store="store-north")
graph.join("guide-b", at=at(0), role="guide", store="store-south")
graph.join("maker-1", at=at(1), role="maker", inviter="guide-a")
graph.join("maker-2", at=at(2), role="maker", inviter="maker-1")
for index in range(8):
    inviter = ("maker-1", "maker-2", "guide-a", "guide-b")[index % 4]
    graph.join(f"member-{index}", at=at(3 + index), role="member", inviter=inviter)
graph.set_active("maker-2", False, at=at(40))
graph.rebind("member-3", "maker-2", at=at(45))
graph.guide_leaves("guide-a", at=at(60), successor="guide-b")
graph.set_active("maker-2", True, at=at(80))

items = [
    {"item_id": "1", "sku": "TEA-250G", "category": "drinks", "unit_price": "88.80",
     "quantity": 3, "discount": "10.00"},
    {"item_id": "2", "sku": "RICE-5KG", "category": "food", "unit_price": "59.90"},
    {"item_id": "3", "sku": "SOAP", "category": "home", "unit_price": "0.01", "quantity": 7},
    {"item_id": "4", "sku": "CARD", "category": "gift-card", "unit_price": "100.00"},
]
orders = []
for number, (buyer, hours) in enumerate(
    [("member-0", 30), ("member-1", 41.5), ("member-3", 50), ("member-2", 70),
     ("maker-2", 75), ("member-5", 90), ("member-7", 100)]
):
    orders.append(Order.from_mapping({
        "order_id": f"o-{number}", "buyer": buyer, "paid_at": at(hours), "currency": "CNY",
        "items": items[number % 4:] + items[:number % 4], "coupons": "20.00",
        "vouchers": "3.33", "points_redemption": "1.01", "shipping": "12.00",
    }))
orders.append(Order.from_mapping({
    "order_id": "gift", "buyer": "member-4", "paid_at": at(110), "currency": "CNY",
    "items": [{"item_id": "1", "sku": "GIFT-399", "category": "gift", "unit_price": "399.00"}],
}))
for plan in plans:
    for order in orders:
        result = evaluate(plan, graph, order)
        print(result.to_json())
    graph.apply(evaluate(plan, graph, orders[-1]).effects)
"""


def _run_fixed_scenario(seed: str) -> bytes:
    completed = subprocess.run(
        [sys.executable, "-c", _FIXED_SCENARIO, str(_EXAMPLE_PLAN)],
        env={**os.environ, "PYTHONHASHSEED": seed},
        capture_output=True,
        check=False,
        timeout=120,
    )
    assert completed.returncode == 0, completed.stderr.decode()
    return completed.stdout


def test_same_bytes_whatever_the_hash_seed() -> None:
    outputs = {seed: _run_fixed_scenario(seed) for seed in ("0", "1", "2718281828")}
    assert outputs["0"].count(b"\n") == 16
    assert outputs["0"] == outputs["1"] == outputs["2718281828"]
