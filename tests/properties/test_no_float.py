"""No float: no amount is ever a float, in or out.

Out: nothing anywhere in an evaluation is a float, and its JSON has no float
literal.  In: a float in any amount or quantity of an order is refused with the
code ``order-float`` and the path of the field, from a mapping or from JSON.
"""

from __future__ import annotations

import copy
import json
from datetime import datetime
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from socialcommerce_rules import Order, OrderError

from .strategies import Scenario, scenarios

_SCALARS = (str, int, bool, type(None), Decimal, datetime)
_ORDER_FIELDS = ("coupons", "vouchers", "points_redemption", "shipping")
_ITEM_FIELDS = ("unit_price", "discount", "quantity")


def _floats_in(value: object, where: str) -> list[str]:
    """Paths to every float (or unexpected type) in ``value``."""
    if isinstance(value, tuple) and hasattr(value, "_fields"):
        return [
            found
            for name in value._fields
            for found in _floats_in(getattr(value, name), f"{where}.{name}")
        ]
    if isinstance(value, (tuple, list)):
        return [
            found for i, item in enumerate(value) for found in _floats_in(item, f"{where}[{i}]")
        ]
    if isinstance(value, dict):
        return [
            found for key, item in value.items() for found in _floats_in(item, f"{where}.{key}")
        ]
    if isinstance(value, Decimal) and not value.is_finite():
        return [f"{where} = {value}"]
    if isinstance(value, float) or not isinstance(value, _SCALARS):
        return [f"{where} = {value!r}"]
    return []


def _refuse_float(literal: str) -> Any:
    raise AssertionError(f"float literal {literal} in the JSON")


@given(scenarios())
def test_no_float_anywhere_in_an_evaluation(scenario: Scenario) -> None:
    for _, evaluation in scenario.evaluations():
        assert _floats_in(evaluation, "evaluation") == []
        assert _floats_in(evaluation.to_dict(), "to_dict()") == []


@given(scenarios())
def test_json_has_amounts_as_strings_and_round_trips(scenario: Scenario) -> None:
    for _, evaluation in scenario.evaluations():
        data = json.loads(
            evaluation.to_json(), parse_float=_refuse_float, parse_constant=_refuse_float
        )
        assert data == evaluation.to_dict()
        for name in ("base", "pool", "paid", "merchant_kept", "points"):
            assert isinstance(data[name], str)
            assert Decimal(data[name]) == getattr(evaluation, name)
        for written, line in zip(data["lines"], evaluation.lines, strict=True):
            assert Decimal(written["amount"]) == line.amount
            assert Decimal(written["base"]) == line.base
            assert Decimal(written["exact"]) == line.exact


def _float_targets(mapping: dict[str, Any], fields: tuple[str, ...]) -> list[tuple[str, ...]]:
    targets: list[tuple[str, ...]] = [(name,) for name in _ORDER_FIELDS if name in fields]
    for index in range(len(mapping["items"])):
        targets += [("items", str(index), name) for name in _ITEM_FIELDS if name in fields]
    return targets


def _put(mapping: dict[str, Any], target: tuple[str, ...], value: object) -> str:
    """Set ``target`` in ``mapping`` to ``value``; return the target's path."""
    if len(target) == 1:
        mapping[target[0]] = value
        return target[0]
    _, index, name = target
    mapping["items"][int(index)][name] = value
    return f"items[{index}].{name}"


@pytest.mark.parametrize(
    "fields",
    [
        pytest.param((*_ORDER_FIELDS, "unit_price", "discount"), id="amounts"),
        pytest.param(("quantity",), id="quantity"),
    ],
)
@given(scenario=scenarios(max_orders=1), data=st.data())
def test_a_float_in_an_order_mapping_is_refused_with_its_path(
    fields: tuple[str, ...], scenario: Scenario, data: st.DataObject
) -> None:
    mapping = copy.deepcopy(scenario.order_data[0])
    target = data.draw(st.sampled_from(_float_targets(mapping, fields)), label="target")
    value = data.draw(st.floats(), label="float")
    path = _put(mapping, target, value)
    with pytest.raises(OrderError) as refused:
        Order.from_mapping(mapping)
    assert refused.value.code == "order-float"
    assert refused.value.path == path
    assert refused.value.event_id == mapping["order_id"]


@pytest.mark.parametrize(
    "fields",
    [
        pytest.param((*_ORDER_FIELDS, "unit_price", "discount"), id="amounts"),
        pytest.param(("quantity",), id="quantity"),
    ],
)
@given(scenario=scenarios(max_orders=1), data=st.data())
def test_a_float_literal_in_order_json_is_refused_with_its_path(
    fields: tuple[str, ...], scenario: Scenario, data: st.DataObject
) -> None:
    mapping = copy.deepcopy(scenario.order_data[0])
    target = data.draw(st.sampled_from(_float_targets(mapping, fields)), label="target")
    value = data.draw(st.floats(allow_nan=False, allow_infinity=False), label="float")
    path = _put(mapping, target, "\x00float\x00")
    text = json.dumps(mapping, default=_plain).replace('"\\u0000float\\u0000"', json.dumps(value))
    with pytest.raises(OrderError) as refused:
        Order.from_json(text)
    assert refused.value.code == "order-float"
    assert refused.value.path == path
    assert refused.value.event_id == mapping["order_id"]


def _plain(value: object) -> str:
    if isinstance(value, datetime):
        return value.isoformat()
    assert isinstance(value, Decimal)
    return f"{value:f}"
