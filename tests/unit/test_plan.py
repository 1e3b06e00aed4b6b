"""plan/: the plan models, their defaults, loading, versions and JSON Schema."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from socialcommerce_rules import NoPlanInForceError, Plan, PlanError, PlanSet, load_plan
from socialcommerce_rules.money import Rounding
from socialcommerce_rules.plan import (
    Caps,
    CommissionBase,
    DifferentialRule,
    LevelRule,
    PointsRule,
    plan_json_schema,
)

from ._helpers import T0, at, plan_data

EXAMPLE = Path(__file__).parents[2] / "examples" / "article_scheme.toml"


# ------------------------------------------------------------------ defaults


def test_a_minimal_plan_takes_the_documented_defaults() -> None:
    plan = Plan.from_mapping(
        {
            "id": "minimal",
            "version": 1,
            "effective_from": "2026-01-01T00:00:00+08:00",
            "currency": "CNY",
            "max_depth": 0,
            "roles": [{"name": "member", "rank": 0}],
        }
    )

    assert plan.quantum == Decimal("0.01")
    assert plan.rounding is Rounding.DOWN
    assert plan.remainder == "merchant"
    assert plan.ineligible == "retain"
    assert plan.performance_role is None
    assert plan.description == ""
    assert plan.roles[0].earns == "money"
    assert plan.base == CommissionBase()
    assert not plan.base.include_shipping
    assert not plan.base.include_points_redemption
    assert plan.base.exclude_skus == plan.base.exclude_categories == ()
    assert plan.caps == Caps()
    assert plan.caps.order_ratio == Decimal(1)
    assert plan.caps.beneficiary_ratio is None
    assert plan.gift_packs == plan.rules == ()


def test_rule_defaults() -> None:
    data = plan_data(
        rules=[
            {"kind": "level", "id": "a", "levels": [{"level": 1, "rates": {"maker": "0.1"}}]},
            {"kind": "differential", "id": "b", "rates": {"maker": "0.01"}},
            {"kind": "points", "id": "c", "levels": [{"level": 0, "points": {"member": "1"}}]},
        ]
    )

    level, differential, points = Plan.from_mapping(data).rules

    assert isinstance(level, LevelRule)
    assert isinstance(differential, DifferentialRule)
    assert isinstance(points, PointsRule)
    assert level.skus == level.categories == level.exclude_skus == level.exclude_categories == ()
    assert level.description == ""
    assert level.levels[0].amounts is None
    assert differential.include_buyer is True
    assert points.trigger == "purchase"


def test_amounts_and_rates_are_exact_decimals() -> None:
    plan = Plan.from_mapping(plan_data())

    rates = plan.rules[0].levels[0].rates
    assert rates == {"maker": Decimal("0.10"), "guide": Decimal("0.08")}
    assert all(type(rate) is Decimal for rate in rates.values())
    assert str(rates["maker"]) == "0.10"


def test_integers_are_exact_amounts() -> None:
    data = plan_data()
    data["rules"][0]["levels"][0] = {"level": 1, "amounts": {"guide": 80}}

    assert Plan.from_mapping(data).rules[0].levels[0].amounts == {"guide": Decimal(80)}


def test_role_names_are_in_declaration_order() -> None:
    assert Plan.from_mapping(plan_data()).role_names == ("member", "maker", "guide")


def test_a_plan_is_immutable() -> None:
    plan = Plan.from_mapping(plan_data())

    with pytest.raises(ValidationError):
        plan.max_depth = 5  # type: ignore[misc]
    with pytest.raises(ValidationError):
        plan.roles[0].rank = 9  # type: ignore[misc]
    assert plan.max_depth == 2


def test_scope_applies_to_listed_and_not_to_excluded_items() -> None:
    data = plan_data()
    data["rules"][0].update(skus=["A", "B"], categories=["tea"], exclude_skus=["B"])
    rule = Plan.from_mapping(data).rules[0]

    assert rule.applies_to("A", "tea")
    assert not rule.applies_to("B", "tea")
    assert not rule.applies_to("A", "cups")
    assert not rule.applies_to("C", "tea")


# ------------------------------------------------------------------ loading


def test_the_example_plan_loads_the_same_from_every_entry_point() -> None:
    text = EXAMPLE.read_text(encoding="utf-8")

    from_file = load_plan(EXAMPLE)
    from_text = Plan.from_toml(text)
    from_json = Plan.from_json(from_file.model_dump_json())
    from_data = Plan.from_mapping(from_file.model_dump(mode="json"))

    assert from_file == from_text == from_json == from_data
    assert from_file.id == "article-scheme"


def test_load_plan_takes_a_string_path() -> None:
    assert load_plan(str(EXAMPLE)) == load_plan(EXAMPLE)


def test_load_plan_reads_json_files(tmp_path: Path) -> None:
    file = tmp_path / "plan.JSON"
    file.write_text(json.dumps(plan_data()), encoding="utf-8")

    assert load_plan(file) == Plan.from_mapping(plan_data())


def test_dumped_plans_carry_no_float() -> None:
    dumped = load_plan(EXAMPLE).model_dump(mode="json")

    def walk(value: Any) -> None:
        assert not isinstance(value, float), value
        if isinstance(value, dict):
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    walk(dumped)


def test_plan_error_lists_problems_in_a_readable_message() -> None:
    data = plan_data(currency="yuan", max_depth=-1)

    with pytest.raises(PlanError) as caught:
        Plan.from_mapping(data)

    message = str(caught.value)
    assert "currency" in message
    assert "max_depth" in message
    assert len(caught.value.problems) == 2


# ------------------------------------------------------------------ PlanSet


def _version(version: int, day: float) -> Plan:
    return Plan.from_mapping(plan_data(version=version, effective_from=at(day).isoformat()))


def test_plan_set_picks_the_version_in_force() -> None:
    plans = PlanSet([_version(3, 20), _version(1, 0), _version(2, 10)])

    assert [plan.version for plan in plans] == [1, 2, 3]
    assert len(plans) == 3
    assert plans.plan_id == "unit-plan"
    assert plans.at(T0).version == 1
    assert plans.at(at(9.99999)).version == 1
    assert plans.at(at(10)).version == 2  # a version is in force from its first instant
    assert plans.at(at(10000)).version == 3


def test_plan_set_before_its_first_version_has_no_plan_in_force() -> None:
    plans = PlanSet([_version(1, 5)])

    with pytest.raises(NoPlanInForceError) as caught:
        plans.at(at(4))

    assert caught.value.code == "order-no-plan-in-force"
    assert isinstance(caught.value, LookupError)


# -------------------------------------------------------------- JSON Schema


def test_json_schema_is_plain_json_with_every_top_level_key() -> None:
    schema = plan_json_schema()

    assert isinstance(schema, dict)
    assert json.loads(json.dumps(schema)) == schema
    assert schema["title"] == "Plan"
    assert {"rules", "roles", "max_depth", "quantum", "caps", "gift_packs"} <= set(
        schema["properties"]
    )
    assert set(schema["required"]) == {
        "id",
        "version",
        "effective_from",
        "currency",
        "roles",
        "max_depth",
    }


def _objects(schema: Any) -> list[dict[str, Any]]:
    found = []
    if isinstance(schema, dict):
        if "properties" in schema:
            found.append(schema)
        for value in schema.values():
            found += _objects(value)
    elif isinstance(schema, list):
        for value in schema:
            found += _objects(value)
    return found


def test_json_schema_forbids_unknown_keys_everywhere() -> None:
    objects = _objects(plan_json_schema())

    assert len(objects) >= 8
    for model in objects:
        assert model.get("additionalProperties") is False, model.get("title")


def test_json_schema_never_offers_a_float() -> None:
    text = json.dumps(plan_json_schema())

    assert '"number"' not in text


def test_json_schema_describes_rules_by_kind() -> None:
    schema = plan_json_schema()
    rules = schema["properties"]["rules"]
    kinds = {
        schema["$defs"][name]["properties"]["kind"]["const"]
        for name in ("LevelRule", "DifferentialRule", "PointsRule")
    }

    assert rules["type"] == "array"
    assert kinds == {"level", "differential", "points"}


# ------------------------------------------------------------ gift pack price


def _pack(**fields: object) -> dict[str, Any]:
    return plan_data(gift_packs=[{"sku": "GIFT-399", "becomes": "maker", **fields}])


def test_a_gift_pack_price_is_an_exact_amount() -> None:
    plan = Plan.from_mapping(_pack(goods_value="399.00", price="399.00"))

    assert plan.gift_packs[0].price == Decimal("399.00")
    assert Plan.from_mapping(_pack()).gift_packs[0].price is None


@pytest.mark.parametrize(
    ("price", "code"),
    [
        ("-1.00", "plan-amount-out-of-range"),
        ("399.005", "plan-too-precise"),
        ("1000000000000.01", "plan-amount-out-of-range"),
        ("NaN", "plan-number-invalid"),
        (True, "plan-number-invalid"),
    ],
)
def test_a_gift_pack_price_is_checked_like_every_amount(price: object, code: str) -> None:
    with pytest.raises(PlanError) as caught:
        Plan.from_mapping(_pack(goods_value="399.00", price=price))

    assert (caught.value.code, caught.value.path) == (code, "gift_packs[0].price")


def test_a_float_gift_pack_price_is_refused() -> None:
    text = EXAMPLE.read_text(encoding="utf-8").replace('price = "399.00"', "price = 399.0")

    with pytest.raises(PlanError) as caught:
        Plan.from_toml(text)

    assert (caught.value.code, caught.value.path) == ("plan-float", "gift_packs[0].price")


@pytest.mark.parametrize(
    ("price", "fee"),
    [("399.00", False), ("398.99", False), ("399.01", True), ("599.00", True)],
)
def test_the_lint_finds_an_entry_fee_in_a_price_above_the_goods(price: str, fee: bool) -> None:
    from socialcommerce_rules.compliance import lint

    plan = Plan.from_mapping(_pack(goods_value="399.00", price=price))

    findings = [f for f in lint(plan, "cn-anti-pyramid") if f.check == "entry-fee"]

    assert [f.path for f in findings] == (["gift_packs[0].price"] if fee else [])


def test_the_example_declares_a_price_equal_to_its_goods() -> None:
    from socialcommerce_rules.compliance import lint

    plan = load_plan(EXAMPLE)

    assert plan.gift_packs[0].price == plan.gift_packs[0].goods_value == Decimal("399.00")
    assert not [f for f in lint(plan, "cn-anti-pyramid") if f.check == "entry-fee"]


# ------------------------------------------------ integers and booleans, strictly


INTEGER_FIELDS = [
    (("version",), "version"),
    (("max_depth",), "max_depth"),
    (("after_sales_days",), "after_sales_days"),
    (("roles", 1, "rank"), "roles[1].rank"),
    (("rules", 0, "levels", 0, "level"), "rules[0].levels[0].level"),
    (("binding", "window_days"), "binding.window_days"),
]


def _changed(location: tuple[str | int, ...], value: object) -> dict[str, Any]:
    data = plan_data(binding={"policy": "window", "window_days": 7})
    target: Any = data
    for part in location[:-1]:
        target = target[part]
    target[location[-1]] = value
    return data


@pytest.mark.parametrize(("location", "path"), INTEGER_FIELDS, ids=[p for _, p in INTEGER_FIELDS])
@pytest.mark.parametrize(
    ("value", "code"),
    [
        (True, "plan-invalid-value"),
        (False, "plan-invalid-value"),
        ("1", "plan-invalid-value"),
        (Decimal(1), "plan-invalid-value"),
        (1.0, "plan-float"),
    ],
    ids=["true", "false", "string", "decimal", "float"],
)
def test_an_integer_field_takes_only_an_int(
    location: tuple[str | int, ...], path: str, value: object, code: str
) -> None:
    with pytest.raises(PlanError) as caught:
        Plan.from_mapping(_changed(location, value))

    assert (caught.value.code, caught.value.path) == (code, path)


@pytest.mark.parametrize(("location", "path"), INTEGER_FIELDS, ids=[p for _, p in INTEGER_FIELDS])
@pytest.mark.parametrize(
    ("literal", "code"),
    [("1.0", "plan-float"), ("true", "plan-invalid-value"), ("NaN", "plan-number-invalid")],
)
def test_an_integer_field_in_a_file_takes_only_an_integer(
    location: tuple[str | int, ...], path: str, literal: str, code: str
) -> None:
    text = json.dumps(_changed(location, "@here")).replace('"@here"', literal)

    with pytest.raises(PlanError) as caught:
        Plan.from_json(text)

    assert (caught.value.code, caught.value.path) == (code, path)


@pytest.mark.parametrize(
    ("location", "path"),
    [
        (("base", "include_shipping"), "base.include_shipping"),
        (("rules", 0, "include_buyer"), "rules[0].include_buyer"),
    ],
)
@pytest.mark.parametrize("value", [1, 0, "true", "yes", None])
def test_a_boolean_field_takes_only_a_boolean(
    location: tuple[str | int, ...], path: str, value: object
) -> None:
    data = plan_data(
        base={}, rules=[{"kind": "differential", "id": "d", "rates": {"maker": "0.1"}}]
    )
    target: Any = data
    for part in location[:-1]:
        target = target[part]
    target[location[-1]] = value

    with pytest.raises(PlanError) as caught:
        Plan.from_mapping(data)

    assert (caught.value.code, caught.value.path) == ("plan-invalid-value", path)
