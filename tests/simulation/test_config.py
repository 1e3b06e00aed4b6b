"""Bad parameters are refused with a typed error naming the parameter."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest

from socialcommerce_rules import ERROR_CODES, SocialCommerceError
from socialcommerce_rules.simulate import (
    DAYS_MAX,
    PARTICIPANTS_MAX,
    Coupon,
    PowerLaw,
    Product,
    SimulationConfig,
    SimulationConfigError,
    Uniform,
    Weighted,
    generate_events,
)

from ._support import article_plan

_BAD_CONFIGS: list[tuple[dict[str, Any], str]] = [
    ({"seed": 1.5}, "seed"),
    ({"seed": True}, "seed"),
    ({"start": datetime(2026, 1, 1)}, "start"),
    ({"start": "2026-01-01T00:00:00+08:00"}, "start"),
    ({"days": 0}, "days"),
    ({"days": 36_501}, "days"),
    ({"stores": 0}, "stores"),
    ({"guides_per_store": -1}, "guides_per_store"),
    ({"participants_max": 0}, "participants_max"),
    ({"participants_max": 10_000_001}, "participants_max"),
    ({"stores": 10, "guides_per_store": 10, "participants_max": 99}, "participants_max"),
    ({"invitation_days": 0}, "invitation_days"),
    ({"churn_days": 0}, "churn_days"),
    ({"maker_days": 0}, "maker_days"),
    ({"refund_days": 0}, "refund_days"),
    ({"settlement_days": 0}, "settlement_days"),
    ({"transplant_every_days": -1}, "transplant_every_days"),
    ({"churn_share": 1.5}, "churn_share"),
    ({"maker_share": -0.1}, "maker_share"),
    ({"coupon_share": float("nan")}, "coupon_share"),
    ({"cancel_share": "0.1"}, "cancel_share"),
    ({"refund_share": True}, "refund_share"),
    ({"full_refund_share": 2}, "full_refund_share"),
    ({"invitations": 3}, "invitations"),
    ({"team_size": Uniform(0, 5)}, "team_size.minimum"),
    ({"basket_items": Uniform(0, 3)}, "basket_items.minimum"),
    ({"basket_items": Uniform(1, 501)}, "basket_items.maximum"),
    ({"quantity": Weighted((0, 1), (1, 1))}, "quantity.minimum"),
    ({"quantity": Uniform(1, 1_000_001)}, "quantity.maximum"),
    ({"catalogue": ()}, "catalogue"),
    ({"catalogue": [Product("A", Decimal("1.00"))]}, "catalogue"),
    ({"catalogue": ("A",)}, "catalogue[0]"),
    (
        {"catalogue": (Product("A", Decimal("1.00")), Product("A", Decimal("2.00")))},
        "catalogue[1].sku",
    ),
    ({"coupons": ("10",)}, "coupons[0]"),
    ({"gift_pack_sku": "has space"}, "gift_pack_sku"),
    ({"gift_pack_price": 399.0}, "gift_pack_price"),
    ({"gift_pack_price": Decimal("0")}, "gift_pack_price"),
    ({"guide_role": ""}, "guide_role"),
]


@pytest.mark.parametrize(("changes", "path"), _BAD_CONFIGS, ids=[p for _, p in _BAD_CONFIGS])
def test_a_bad_parameter_is_refused_naming_it(changes: dict[str, Any], path: str) -> None:
    with pytest.raises(SimulationConfigError) as raised:
        SimulationConfig(**changes)

    assert raised.value.path == path
    assert raised.value.code == "simulation-config-invalid"
    assert isinstance(raised.value, SocialCommerceError)
    assert isinstance(raised.value, ValueError)
    assert str(raised.value).startswith(f"{path}: ")


_BAD_VALUES: list[tuple[Any, dict[str, Any], str]] = [
    (PowerLaw, {"exponent": 0, "maximum": 5}, "exponent"),
    (PowerLaw, {"exponent": float("inf"), "maximum": 5}, "exponent"),
    (PowerLaw, {"exponent": "2", "maximum": 5}, "exponent"),
    (PowerLaw, {"exponent": 2, "maximum": 5, "minimum": 6}, "maximum"),
    (PowerLaw, {"exponent": 2, "maximum": 5, "minimum": -1}, "minimum"),
    (PowerLaw, {"exponent": 2, "maximum": 2_000_000}, "maximum"),
    (Weighted, {"values": (), "weights": ()}, "values"),
    (Weighted, {"values": (1, 2), "weights": (1,)}, "weights"),
    (Weighted, {"values": (1, -2), "weights": (1, 1)}, "values[1]"),
    (Weighted, {"values": (1, 2), "weights": (1, 0)}, "weights[1]"),
    (Uniform, {"minimum": 3, "maximum": 2}, "maximum"),
    (Uniform, {"minimum": 1.0, "maximum": 2}, "minimum"),
    (Product, {"sku": "A", "unit_price": 9.9}, "unit_price"),
    (Product, {"sku": "A", "unit_price": Decimal("-1")}, "unit_price"),
    (Product, {"sku": "A", "unit_price": Decimal("NaN")}, "unit_price"),
    (Product, {"sku": "A B", "unit_price": Decimal("1")}, "sku"),
    (Product, {"sku": "A", "unit_price": Decimal("1"), "category": ""}, "category"),
    (Product, {"sku": "A", "unit_price": Decimal("1"), "weight": 0}, "weight"),
    (Coupon, {"minimum_spend": Decimal("10"), "amount": Decimal("11")}, "amount"),
    (Coupon, {"minimum_spend": Decimal("10"), "amount": Decimal("0")}, "amount"),
    (Coupon, {"minimum_spend": 10.0, "amount": Decimal("1")}, "minimum_spend"),
]


@pytest.mark.parametrize(
    ("kind", "values", "path"),
    _BAD_VALUES,
    ids=[f"{kind.__name__}.{path}" for kind, _, path in _BAD_VALUES],
)
def test_a_bad_part_is_refused_naming_its_field(
    kind: Any, values: dict[str, Any], path: str
) -> None:
    with pytest.raises(SimulationConfigError) as raised:
        kind(**values)

    assert raised.value.path == path


def test_a_float_price_is_refused_as_a_float() -> None:
    with pytest.raises(SimulationConfigError, match="is a float"):
        Product("TEA", 59.0)  # type: ignore[arg-type]


def test_decimal_strings_are_taken_as_exact_prices() -> None:
    product = Product("TEA", "59.00")  # type: ignore[arg-type]

    assert product.unit_price == Decimal("59.00")
    assert isinstance(product.unit_price, Decimal)


_UNFIT: list[tuple[dict[str, Any], str]] = [
    ({"start": datetime(2025, 12, 31, tzinfo=UTC)}, "start"),
    ({"catalogue": (Product("TEA", Decimal("1.005")),)}, "catalogue[0].unit_price"),
    ({"catalogue": (Product("GIFT-399", Decimal("399")),)}, "catalogue[0].sku"),
    ({"coupons": (Coupon(Decimal("10"), Decimal("0.001")),)}, "coupons[0].amount"),
    ({"coupons": (Coupon(Decimal("10.001"), Decimal("1")),)}, "coupons[0].minimum_spend"),
    ({"gift_pack_sku": "GIFT-999"}, "gift_pack_sku"),
    ({"gift_pack_price": Decimal("399.001")}, "gift_pack_price"),
    ({"guide_role": "boss"}, "guide_role"),
    ({"member_role": "visitor"}, "member_role"),
]


@pytest.mark.parametrize(("changes", "path"), _UNFIT, ids=[p for _, p in _UNFIT])
def test_a_config_that_does_not_fit_the_plan_is_refused_at_the_call(
    changes: dict[str, Any], path: str
) -> None:
    config = replace(SimulationConfig(), **changes)

    with pytest.raises(SimulationConfigError) as raised:
        generate_events(article_plan(), config)  # before any event is drawn

    assert raised.value.path == path


def test_the_start_may_be_in_any_time_zone() -> None:
    start = article_plan().effective_from.astimezone(timezone(timedelta(hours=-5)))
    config = SimulationConfig(start=start, participants_max=10, days=5)

    assert next(generate_events(article_plan(), config)).at == start


def test_a_config_is_frozen() -> None:
    config = SimulationConfig()

    with pytest.raises(AttributeError):
        config.days = 3  # type: ignore[misc]


def test_the_error_code_is_registered() -> None:
    assert "simulation-config-invalid" in ERROR_CODES


@pytest.mark.parametrize(
    ("field", "limit"),
    [("days", DAYS_MAX), ("participants_max", PARTICIPANTS_MAX)],
)
def test_the_simulation_limits_hold_at_the_limit_and_refuse_one_past(
    field: str, limit: int
) -> None:
    """A configuration is checked when built: the limit itself is accepted (nothing is
    simulated here), one past it is refused with the field named."""
    assert getattr(SimulationConfig(**{field: limit}), field) == limit
    with pytest.raises(SimulationConfigError) as refused:
        SimulationConfig(**{field: limit + 1})
    assert refused.value.code == "simulation-config-invalid"
    assert refused.value.path == field
