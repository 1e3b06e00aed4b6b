"""The lint never misses what the engine does: properties over drawn plans and orders.

For any valid plan and any orders on any referral graph, if the engine pays money
somewhere a profile forbids (above a level, on a gift pack, on the buyer's own
purchase, more than a share of a sale), the lint of that plan reports it.  The
lint reads only the plan; the engine is the independent judge here.
"""

from __future__ import annotations

from fractions import Fraction

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from properties.strategies import Scenario, plan_mappings, scenarios
from socialcommerce_rules import Plan
from socialcommerce_rules.compliance import Profile, lint, profile_from_text


def _profile(max_level: int, min_levels: int, max_total_rate: str) -> Profile:
    return profile_from_text(
        f"""
        name = "property"
        title = "Every check, with the thresholds under test"
        [checks.recruiting-rebate]
        severity = "error"
        max_level = 0
        basis = "test"
        [checks.team-pay]
        severity = "error"
        max_level = {max_level}
        basis = "test"
        [checks.own-purchase-pay]
        severity = "warning"
        basis = "test"
        [checks.total-rate]
        severity = "error"
        max_total_rate = "{max_total_rate}"
        basis = "test"
        [checks.depth]
        severity = "error"
        min_levels = {min_levels}
        min_participants = 1
        basis = "test"
        """
    )


def _gift_only(plan: Plan, rule_id: str) -> bool:
    rule = next(rule for rule in plan.rules if rule.id == rule_id)
    packs = {pack.sku for pack in plan.gift_packs}
    return bool(rule.skus) and set(rule.skus) <= packs


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    scenarios(),
    st.integers(0, 3),
    st.integers(2, 4),
    st.sampled_from(["0.05", "0.30", "0.60"]),
)
def test_money_the_engine_pays_where_a_profile_forbids_it_is_reported(
    scenario: Scenario, max_level: int, min_levels: int, max_total_rate: str
) -> None:
    plan = scenario.plan
    checks = {
        finding.check for finding in lint(plan, _profile(max_level, min_levels, max_total_rate))
    }
    packs = {pack.sku for pack in plan.gift_packs}
    for _, evaluation in scenario.evaluations():
        items = {item.item_id: item for item in evaluation.items}
        paid = Fraction(0)
        for line in evaluation.lines:
            if line.unit != plan.currency or not line.amount:
                continue
            paid += Fraction(line.amount)
            sku = items[line.item_id or ""].sku
            if sku in packs and line.level > 0:
                assert "recruiting-rebate" in checks, line
            if line.level > max_level and not (sku in packs and _gift_only(plan, line.rule_id)):
                assert "team-pay" in checks, line
            if line.level == 0 and not _gift_only(plan, line.rule_id):
                assert "own-purchase-pay" in checks, line
            if line.level + 1 >= min_levels:
                assert "depth" in checks, line
        # The cap holds an order's money to a share of the order's base, so a sale
        # is an order here.
        base = Fraction(evaluation.base)
        if base and paid / base > Fraction(max_total_rate):
            assert "total-rate" in checks, (evaluation.order_id, paid, base)


@settings(max_examples=100, deadline=None)
@given(
    plan_mappings(),
    st.sampled_from(["cn-anti-pyramid", "cn-direct-selling", "us-ftc-mlm", "wechat-distribution"]),
)
def test_the_lint_of_any_valid_plan_is_deterministic_and_names_real_paths(
    data: dict[str, object], profile: str
) -> None:
    plan = Plan.from_mapping(data)

    findings = lint(plan, profile)

    assert findings == lint(Plan.from_mapping(data), profile)
    for finding in findings:
        _resolve(data, finding.path)


def _resolve(data: object, path: str) -> None:
    """Follow ``rules[1].levels[0]`` through the plan mapping; a key may be absent
    only at the end (a default such as ``ineligible`` or ``caps.order_ratio``)."""
    import re

    parts = re.findall(r"\[(\d+)\]|([^.\[\]]+)", path)
    node = data
    for position, (index, key) in enumerate(parts):
        last = position == len(parts) - 1
        if index:
            assert isinstance(node, list), path
            node = node[int(index)]
        else:
            assert isinstance(node, dict), path
            if key not in node:
                assert last or key == "caps", path
                return
            node = node[key]
