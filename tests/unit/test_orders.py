"""orders.py: orders and their items as validated, immutable values."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest
from pydantic import ValidationError

from socialcommerce_rules import Order, OrderError, OrderItem

from ._helpers import order_data

MONEY_FIELDS = ["coupons", "vouchers", "points_redemption", "shipping"]
ITEM_MONEY_FIELDS = ["unit_price", "discount"]


def test_defaults() -> None:
    order = Order.from_mapping(order_data())
    item = order.items[0]

    assert (order.coupons, order.vouchers, order.points_redemption, order.shipping) == (0, 0, 0, 0)
    assert (item.category, item.quantity, item.discount) == ("uncategorised", 1, 0)
    assert all(type(getattr(order, field)) is Decimal for field in MONEY_FIELDS)


@pytest.mark.parametrize(
    ("given", "expected"),
    [("12.50", "12.50"), (12, "12"), (Decimal("12.500"), "12.500"), ("0", "0")],
)
def test_amounts_are_exact_decimals_as_written(given: object, expected: str) -> None:
    data = order_data(coupons=given)
    data["items"][0]["unit_price"] = given

    order = Order.from_mapping(data)

    assert type(order.coupons) is Decimal
    assert str(order.coupons) == expected
    assert str(order.items[0].unit_price) == expected


def test_paid_at_keeps_its_zone() -> None:
    order = Order.from_mapping(order_data(paid_at="2026-03-01T10:00:00+08:00"))

    assert order.paid_at.utcoffset() is not None
    assert order.paid_at.isoformat() == "2026-03-01T10:00:00+08:00"


def test_from_json_equals_from_mapping() -> None:
    data = order_data(coupons="1.00", shipping="8.00")
    data["items"].append({"item_id": "2", "sku": "CUP", "quantity": 3, "unit_price": "5.00"})

    assert Order.from_json(json.dumps(data)) == Order.from_mapping(data)


def test_orders_and_items_are_immutable() -> None:
    order = Order.from_mapping(order_data())

    with pytest.raises(ValidationError):
        order.buyer = "someone-else"  # type: ignore[misc]
    with pytest.raises(ValidationError):
        order.items[0].quantity = 2  # type: ignore[misc]


def test_item_order_is_kept() -> None:
    items = [{"item_id": str(n), "sku": f"SKU-{n}", "unit_price": "1.00"} for n in (3, 1, 2)]

    order = Order.from_mapping(order_data(items=items))

    assert [item.item_id for item in order.items] == ["3", "1", "2"]
    assert all(isinstance(item, OrderItem) for item in order.items)


@pytest.mark.parametrize("field", MONEY_FIELDS)
def test_a_float_order_amount_is_refused_by_name(field: str) -> None:
    with pytest.raises(OrderError) as caught:
        Order.from_mapping(order_data(**{field: 1.5}))

    assert (caught.value.code, caught.value.path) == ("order-float", field)
    assert caught.value.event_id == "o-1"
    assert field in str(caught.value)


@pytest.mark.parametrize("field", ITEM_MONEY_FIELDS)
def test_a_float_item_amount_is_refused_by_path(field: str) -> None:
    data = order_data()
    data["items"].append({"item_id": "2", "sku": "CUP", "unit_price": "5.00"})
    data["items"][1][field] = 0.5

    with pytest.raises(OrderError) as caught:
        Order.from_mapping(data)

    assert (caught.value.code, caught.value.path) == ("order-float", f"items[1].{field}")


def test_an_order_error_without_an_order_id_has_no_event_id() -> None:
    data: dict[str, Any] = order_data()
    del data["order_id"]

    with pytest.raises(OrderError) as caught:
        Order.from_mapping(data)

    assert (caught.value.code, caught.value.path) == ("order-invalid", "order_id")
    assert caught.value.event_id is None


def test_one_fault_is_reported_as_one_problem() -> None:
    # The only item being refused must not also count as "no items".
    data = order_data()
    data["items"][0]["quantity"] = 0

    with pytest.raises(OrderError) as caught:
        Order.from_mapping(data)

    assert "more problems" not in str(caught.value)


def test_the_json_schema_offers_no_float_for_amounts() -> None:
    schema = json.dumps(Order.model_json_schema())

    assert '"number"' not in schema
