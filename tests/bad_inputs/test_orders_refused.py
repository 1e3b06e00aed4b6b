"""Refused orders: each names its field and order id, and nothing changes.

Every case starts from a valid order on the shared plan and graph, breaks one
thing, and checks the error and that the graph answers exactly as before.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest

from socialcommerce_rules import (
    LimitError,
    NoPlanInForceError,
    Order,
    OrderError,
    Plan,
    PlanSet,
    ReferralGraph,
    SocialCommerceError,
    UnknownParticipantError,
    evaluate,
)
from socialcommerce_rules.limits import AMOUNT_MAX, PLAN_NESTING_MAX

from ._support import T1, build_graph, check_refusal, order_data, plan_data, snapshot

PLAN = Plan.from_mapping(plan_data())

Edit = Callable[[dict[str, Any]], None]


def _item(index: int, **changes: object) -> Edit:
    def edit(order: dict[str, Any]) -> None:
        order["items"][index].update(changes)

    return edit


def _order(**changes: object) -> Edit:
    def edit(order: dict[str, Any]) -> None:
        order.update(changes)

    return edit


def _without(key: str) -> Edit:
    def edit(order: dict[str, Any]) -> None:
        del order[key]

    return edit


def _case(
    case_id: str,
    edit: Edit,
    code: str,
    path: str,
    *,
    error: type[SocialCommerceError] = OrderError,
) -> object:
    return pytest.param(edit, error, code, path, id=case_id)


PRICE = "items[0].unit_price"

CASES = [
    # Amounts: floats, NaN, infinities, negatives, absurd magnitudes.
    _case("float-unit-price", _item(0, unit_price=75.0), "order-float", PRICE),
    _case("float-nan-unit-price", _item(0, unit_price=float("nan")), "order-float", PRICE),
    _case("float-coupons", _order(coupons=10.0), "order-float", "coupons"),
    _case("float-discount", _item(1, discount=5.0), "order-float", "items[1].discount"),
    _case("string-nan", _item(0, unit_price="NaN"), "order-number-invalid", PRICE),
    _case("decimal-nan", _item(0, unit_price=Decimal("NaN")), "order-number-invalid", PRICE),
    _case(
        "decimal-infinity",
        _item(0, unit_price=Decimal("Infinity")),
        "order-number-invalid",
        PRICE,
    ),
    _case("string-infinity", _order(shipping="Infinity"), "order-number-invalid", "shipping"),
    _case("negative-price", _item(0, unit_price="-75.00"), "order-number-invalid", PRICE),
    _case("negative-int-price", _item(0, unit_price=-75), "order-number-invalid", PRICE),
    _case(
        "negative-discount",
        _item(1, discount="-5.00"),
        "order-number-invalid",
        "items[1].discount",
    ),
    _case("negative-vouchers", _order(vouchers="-1"), "order-number-invalid", "vouchers"),
    _case("string-1e999999", _item(0, unit_price="1e999999"), "order-number-invalid", PRICE),
    _case(
        "decimal-1e999999",
        _item(0, unit_price=Decimal("1e999999")),
        "order-number-invalid",
        PRICE,
    ),
    _case(
        "above-amount-max",
        _item(0, unit_price=str(AMOUNT_MAX + Decimal("0.01"))),
        "order-number-invalid",
        PRICE,
    ),
    _case("int-of-5001-digits", _item(0, unit_price=10**5000), "order-number-invalid", PRICE),
    _case("arabic-indic-digits", _item(0, unit_price="٧٥"), "order-number-invalid", PRICE),
    _case("bool-price", _item(0, unit_price=True), "order-number-invalid", PRICE),
    # Quantities.
    _case("zero-quantity", _item(0, quantity=0), "order-invalid", "items[0].quantity"),
    _case("negative-quantity", _item(0, quantity=-1), "order-invalid", "items[0].quantity"),
    _case("bool-quantity", _item(0, quantity=True), "order-invalid", "items[0].quantity"),
    _case("string-quantity", _item(0, quantity="2"), "order-invalid", "items[0].quantity"),
    _case("float-quantity", _item(0, quantity=2.0), "order-float", "items[0].quantity"),
    _case(
        "quantity-of-5001-digits",
        _item(0, quantity=10**5000),
        "order-invalid",
        "items[0].quantity",
    ),
    # Form.
    _case("naive-paid-at", _order(paid_at="2026-02-01T12:00:00"), "order-invalid", "paid_at"),
    _case("no-items", _order(items=[]), "order-invalid", "items"),
    _case("unknown-field", _order(bogus="1"), "order-invalid", "bogus"),
    _case("unknown-item-field", _item(1, colour="red"), "order-invalid", "items[1].colour"),
    _case("missing-buyer", _without("buyer"), "order-invalid", "buyer"),
    _case("currency-not-a-code", _order(currency="yuan"), "order-invalid", "currency"),
    _case("buyer-with-a-space", _order(buyer="m 1"), "order-invalid", "buyer"),
    # Against the plan.
    _case("currency-mismatch", _order(currency="USD"), "order-currency-mismatch", "currency"),
    _case("price-finer-than-quantum", _item(0, unit_price="75.001"), "order-not-quantized", PRICE),
    _case("coupons-finer-than-quantum", _order(coupons="0.005"), "order-not-quantized", "coupons"),
    _case(
        "discount-above-price",
        _item(1, discount="20.01"),
        "order-discount-exceeds-price",
        "items[1].discount",
    ),
    _case(
        "coupons-above-total",
        _order(coupons="165.01"),
        "order-discount-exceeds-price",
        "coupons",
    ),
    _case(
        "coupons-and-points-above-total",
        _order(coupons="100.00", points_redemption="65.01"),
        "order-discount-exceeds-price",
        "coupons",
    ),
    # Against the graph.
    _case(
        "unknown-buyer",
        _order(buyer="nobody"),
        "graph-unknown-participant",
        "buyer",
        error=UnknownParticipantError,
    ),
    _case(
        "buyer-not-yet-joined",
        _order(buyer="x-late", paid_at="2026-01-20T00:00:00+00:00"),
        "order-buyer-not-joined",
        "buyer",
    ),
    _case(
        "paid-before-any-plan-version",
        _order(paid_at="2025-12-31T23:59:59.999999+00:00"),
        "order-no-plan-in-force",
        "paid_at",
        error=NoPlanInForceError,
    ),
]


@pytest.fixture
def graph() -> ReferralGraph:
    return build_graph()


@pytest.mark.parametrize("plans", [PLAN, PlanSet([PLAN])], ids=["plan", "plan-set"])
@pytest.mark.parametrize(("edit", "error", "code", "path"), CASES)
def test_refused_order_names_its_field_and_changes_nothing(
    graph: ReferralGraph,
    plans: Plan | PlanSet,
    edit: Edit,
    error: type[SocialCommerceError],
    code: str,
    path: str,
) -> None:
    data = order_data()
    edit(data)
    recorded = snapshot(graph)

    with pytest.raises(error) as caught:
        evaluate(plans, graph, Order.from_mapping(data))

    check_refusal(caught.value, code=code, path=path, event_id="o-1")
    assert snapshot(graph) == recorded


def test_the_unbroken_order_is_accepted(graph: ReferralGraph) -> None:
    result = evaluate(PLAN, graph, Order.from_mapping(order_data()))

    assert result.order_id == "o-1"
    assert result.base == Decimal("155.00")
    assert result.performance_owner == "g1"


def test_buyer_holding_a_role_the_plan_does_not_declare_is_refused(
    graph: ReferralGraph,
) -> None:
    graph.change_role("k1", "captain", at=T1)
    recorded = snapshot(graph)

    with pytest.raises(OrderError) as caught:
        evaluate(PLAN, graph, Order.from_mapping(order_data()))

    assert caught.value.code == "order-unknown-role"
    assert caught.value.event_id == "o-1"
    assert "captain" in str(caught.value)
    assert snapshot(graph) == recorded


def test_a_refused_order_leaves_later_results_unchanged(graph: ReferralGraph) -> None:
    before = evaluate(PLAN, graph, Order.from_mapping(order_data())).to_json()
    broken = order_data()
    broken["items"][1]["discount"] = "20.01"

    with pytest.raises(OrderError):
        evaluate(PLAN, graph, Order.from_mapping(broken))

    assert evaluate(PLAN, graph, Order.from_mapping(order_data())).to_json() == before


# ------------------------------------------------------------------ JSON text


def _json(**replace: str) -> str:
    text = json.dumps(order_data())
    for old, new in replace.items():
        assert text.count(old) == 1
        text = text.replace(old, new)
    return text


def test_order_json_with_a_float_literal_is_refused_by_path() -> None:
    text = _json(**{'"75.00"': "75.00"})

    with pytest.raises(OrderError) as caught:
        Order.from_json(text)

    check_refusal(caught.value, code="order-float", path=PRICE, event_id="o-1")


@pytest.mark.parametrize(
    "literal",
    ["NaN", "Infinity", "-Infinity", "1" + "0" * 4300],
    ids=["NaN", "Infinity", "-Infinity", "4301-digits"],
)
def test_order_json_with_a_refused_number_names_the_field(literal: str) -> None:
    text = _json(**{'"75.00"': literal})

    with pytest.raises(OrderError) as caught:
        Order.from_json(text)

    assert caught.value.code == "order-number-invalid"
    assert caught.value.path == PRICE


def test_order_json_with_a_duplicate_key_names_the_key() -> None:
    text = _json(**{'"buyer": "m1"': '"buyer": "m1", "buyer": "m2"'})

    with pytest.raises(OrderError) as caught:
        Order.from_json(text)

    assert caught.value.code == "order-invalid"
    assert caught.value.path == "buyer"
    assert "appears more than once" in str(caught.value)


def test_order_json_nested_too_deep_is_refused() -> None:
    depth = PLAN_NESTING_MAX + 1
    text = _json(**{'"10.00"': "[" * depth + "]" * depth})

    with pytest.raises(LimitError) as caught:
        Order.from_json(text)

    check_refusal(caught.value, code="limit-plan-nesting", path="")


@pytest.mark.parametrize("text", ["", "{", "[]", "null", '{"order_id": "o-1",}'])
def test_text_that_is_no_order_is_refused(text: str) -> None:
    with pytest.raises(OrderError) as caught:
        Order.from_json(text)

    assert caught.value.code == "order-invalid"
