"""Every hard limit in ``limits.py``: accepted at the limit, refused one past it.

``COVERED`` lists the constants tested here; a test checks it against
``limits.__all__`` so that a new limit cannot land without its tests.
"""

from __future__ import annotations

import json
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from socialcommerce_rules import (
    GraphError,
    LimitError,
    Order,
    OrderError,
    Plan,
    PlanError,
    PlanSet,
    ReferralGraph,
    evaluate,
    limits,
    load_plan,
)
from socialcommerce_rules._compiled import compiled
from socialcommerce_rules.limits import (
    AMOUNT_MAX,
    DEPTH_MAX,
    IDENTIFIER_LENGTH_MAX,
    LEVELS_PER_RULE_MAX,
    NUMBER_LITERAL_LENGTH_MAX,
    ORDER_ITEMS_MAX,
    PLAN_BYTES_MAX,
    PLAN_NESTING_MAX,
    PLAN_VERSIONS_MAX,
    QUANTITY_MAX,
    RATE_PLACES_MAX,
    ROLES_MAX,
    RULES_MAX,
    SCOPE_ENTRIES_MAX,
    SLOT_CACHE_MAX,
)
from socialcommerce_rules.money import DecimalInputError, parse_decimal

from ._helpers import T0, at, deadline, order_data, plan_data

COVERED = {
    "AMOUNT_MAX",
    "DEPTH_MAX",
    "EVENTS_PER_BATCH_MAX",
    "EVENT_LINE_BYTES_MAX",
    "IDENTIFIER_LENGTH_MAX",
    "LEVELS_PER_RULE_MAX",
    "NUMBER_LITERAL_LENGTH_MAX",
    "ORDER_ITEMS_MAX",
    "PLAN_BYTES_MAX",
    "PLAN_NESTING_MAX",
    "PLAN_VERSIONS_MAX",
    "QUANTITY_MAX",
    "RATE_PLACES_MAX",
    "ROLES_MAX",
    "RULES_MAX",
    "SCOPE_ENTRIES_MAX",
    "SLOT_CACHE_MAX",
}


def test_every_limit_is_tested_here() -> None:
    assert set(limits.__all__) == COVERED


def test_limits_are_positive_and_consistent() -> None:
    for name in limits.__all__:
        assert getattr(limits, name) > 0, name
    assert LEVELS_PER_RULE_MAX == DEPTH_MAX + 1
    # A number literal long enough for the largest amount at the finest places.
    assert len(f"{AMOUNT_MAX}.{'0' * RATE_PLACES_MAX}") <= NUMBER_LITERAL_LENGTH_MAX


def _refused(data: dict[str, Any]) -> PlanError:
    with pytest.raises(PlanError) as caught:
        Plan.from_mapping(data)
    return caught.value


def _problem_paths(error: PlanError) -> set[tuple[str, str]]:
    return {(problem.code, problem.path) for problem in error.problems}


# ------------------------------------------------------------------ DEPTH_MAX


def _every_level_plan(max_depth: int) -> dict[str, Any]:
    levels = [{"level": n, "rates": {"maker": "0.01"}} for n in range(max_depth + 1)]
    return plan_data(
        max_depth=max_depth,
        roles=[{"name": "maker", "rank": 0}, {"name": "guide", "rank": 1}],
        performance_role="guide",
        rules=[{"kind": "level", "id": "every-level", "levels": levels}],
    )


def test_max_depth_at_depth_max_is_accepted() -> None:
    plan = Plan.from_mapping(_every_level_plan(DEPTH_MAX))

    assert plan.max_depth == DEPTH_MAX
    assert max(level.level for level in plan.rules[0].levels) == DEPTH_MAX


def test_max_depth_past_depth_max_is_refused() -> None:
    error = _refused(plan_data(max_depth=DEPTH_MAX + 1))

    assert (error.code, error.path) == ("plan-limit", "max_depth")


def test_level_past_depth_max_is_refused_at_the_level() -> None:
    data = _every_level_plan(DEPTH_MAX)
    data["rules"][0]["levels"][0]["level"] = DEPTH_MAX + 1

    error = _refused(data)

    assert error.path == "rules[0].levels[0].level"


def _chain(length: int, *, guide_at: int | None = None) -> ReferralGraph:
    """p0 (the buyer) invited by p1, invited by p2, ... up to p{length - 1}."""
    graph = ReferralGraph()
    for number in reversed(range(length)):
        role = "guide" if number == guide_at else "maker"
        inviter = f"p{number + 1}" if number + 1 < length else None
        graph.join(f"p{number}", at=T0, role=role, inviter=inviter, store=f"s{number}")
    return graph


def _order_by_p0() -> Order:
    return Order.from_mapping(order_data(buyer="p0"))


def test_ancestors_stop_at_the_depth_asked() -> None:
    graph = _chain(3 * DEPTH_MAX)

    uplines = graph.ancestors("p0", at=at(1), max_depth=DEPTH_MAX)

    assert uplines == tuple(f"p{n}" for n in range(1, DEPTH_MAX + 1))


def test_ancestors_never_walk_past_depth_max() -> None:
    graph = _chain(3 * DEPTH_MAX)

    try:
        uplines = graph.ancestors("p0", at=at(1), max_depth=DEPTH_MAX + 1)
    except (GraphError, LimitError):
        return  # refusing the request is as good as stopping at DEPTH_MAX
    assert len(uplines) <= DEPTH_MAX


def test_evaluation_pays_no_level_past_max_depth_on_a_long_chain() -> None:
    plan = Plan.from_mapping(_every_level_plan(DEPTH_MAX))
    graph = _chain(3 * DEPTH_MAX)

    result = evaluate(plan, graph, _order_by_p0())

    assert [line.level for line in result.lines] == list(range(DEPTH_MAX + 1))
    assert all(len(line.path) == line.level + 1 for line in result.lines)
    assert result.lines[-1].beneficiary == f"p{DEPTH_MAX}"


def test_compression_pays_no_level_past_max_depth() -> None:
    # Every other upline is inactive; compressing skips them but never reaches
    # further than max_depth levels from the buyer.
    data = _every_level_plan(DEPTH_MAX)
    data["ineligible"] = "compress"
    plan = Plan.from_mapping(data)
    graph = _chain(3 * DEPTH_MAX)
    for number in range(1, 3 * DEPTH_MAX, 2):
        graph.set_active(f"p{number}", False, at=T0)

    result = evaluate(plan, graph, _order_by_p0())

    assert result.lines
    assert max(line.level for line in result.lines) <= DEPTH_MAX
    assert [line.beneficiary for line in result.lines] == [
        f"p{n}" for n in range(0, DEPTH_MAX + 1, 2)
    ]


@pytest.mark.parametrize(
    ("guide_at", "owner"), [(DEPTH_MAX, f"p{DEPTH_MAX}"), (DEPTH_MAX + 1, None)]
)
def test_performance_owner_is_searched_no_further_than_depth_max(
    guide_at: int, owner: str | None
) -> None:
    plan = Plan.from_mapping(_every_level_plan(2))
    graph = _chain(3 * DEPTH_MAX, guide_at=guide_at)

    result = evaluate(plan, graph, _order_by_p0())

    assert result.performance_owner == owner


# ------------------------------------------------------------- PLAN_BYTES_MAX

_SMALL_TOML = """\
id = "bytes"
version = 1
effective_from = "2026-01-01T00:00:00+00:00"
currency = "CNY"
max_depth = 1
roles = [{ name = "guide", rank = 0 }]
"""


def _toml_of_size(size: int, *, pad: str = "x") -> str:
    """The small plan and a comment of ``pad`` characters: exactly ``size`` bytes."""
    head = _SMALL_TOML + "# "
    room = size - len(head.encode()) - 1
    count, rest = divmod(room, len(pad.encode()))
    text = head + pad * count + "x" * rest + "\n"
    assert len(text.encode()) == size
    return text


def test_plan_text_of_plan_bytes_max_is_accepted() -> None:
    assert Plan.from_toml(_toml_of_size(PLAN_BYTES_MAX)).id == "bytes"


def test_plan_text_one_byte_past_plan_bytes_max_is_refused() -> None:
    with pytest.raises(LimitError) as caught:
        Plan.from_toml(_toml_of_size(PLAN_BYTES_MAX + 1))

    assert caught.value.code == "limit-plan-bytes"


def test_plan_bytes_are_counted_in_utf8_not_in_characters() -> None:
    text = _toml_of_size(PLAN_BYTES_MAX + 2, pad="汉")  # 3 bytes a character

    assert len(text) < PLAN_BYTES_MAX
    with pytest.raises(LimitError) as caught:
        Plan.from_toml(text)
    assert caught.value.code == "limit-plan-bytes"


def test_plan_json_of_plan_bytes_max_is_accepted_and_one_more_byte_refused() -> None:
    text = json.dumps(plan_data())
    padded = text + " " * (PLAN_BYTES_MAX - len(text))

    assert Plan.from_json(padded).id == "unit-plan"
    with pytest.raises(LimitError) as caught:
        Plan.from_json(padded + " ")
    assert caught.value.code == "limit-plan-bytes"


@pytest.mark.parametrize(
    ("size", "accepted"), [(PLAN_BYTES_MAX, True), (PLAN_BYTES_MAX + 1, False)]
)
def test_plan_file_at_and_past_plan_bytes_max(tmp_path: Path, size: int, accepted: bool) -> None:
    file = tmp_path / "plan.toml"
    file.write_bytes(_toml_of_size(size).encode())

    if accepted:
        assert load_plan(file).id == "bytes"
    else:
        with pytest.raises(LimitError) as caught:
            load_plan(file)
        assert caught.value.code == "limit-plan-bytes"


# ----------------------------------------------------------- PLAN_NESTING_MAX


def _nested_lists(depth: int) -> Any:
    value: Any = []
    for _ in range(depth - 1):
        value = [value]
    return value


@pytest.mark.parametrize("file_format", ["data", "json", "toml"])
def test_nesting_of_plan_nesting_max_passes_the_nesting_check(file_format: str) -> None:
    # The plan table is level 1, so the lists under "x" take the other levels.
    # Validation then refuses "x" as an unknown key: the nesting was accepted.
    data = plan_data(x=_nested_lists(PLAN_NESTING_MAX - 1))

    with pytest.raises(PlanError) as caught:
        _load(data, file_format)

    assert (caught.value.code, caught.value.path) == ("plan-unknown-key", "x")


@pytest.mark.parametrize("file_format", ["data", "json", "toml"])
def test_nesting_one_past_plan_nesting_max_is_refused(file_format: str) -> None:
    data = plan_data(x=_nested_lists(PLAN_NESTING_MAX))

    with pytest.raises(LimitError) as caught:
        _load(data, file_format)

    assert caught.value.code == "limit-plan-nesting"


def _load(data: dict[str, Any], file_format: str) -> Plan:
    if file_format == "json":
        return Plan.from_json(json.dumps(data))
    if file_format == "toml":
        return Plan.from_toml(_to_toml(data))
    return Plan.from_mapping(data)


def _to_toml(data: dict[str, Any]) -> str:
    """Inline TOML for plain data: JSON syntax is valid TOML for these values."""
    return "\n".join(f"{key} = {_toml_value(value)}" for key, value in data.items())


def _toml_value(value: Any) -> str:
    if isinstance(value, dict):
        inner = ", ".join(f"{key} = {_toml_value(item)}" for key, item in value.items())
        return "{ " + inner + " }"
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(item) for item in value) + "]"
    return json.dumps(value)


# ------------------------------------------------------------------ RULES_MAX


def _points_rules(count: int) -> list[dict[str, Any]]:
    return [
        {"kind": "points", "id": f"points-{n}", "levels": [{"level": 0, "points": {"maker": "1"}}]}
        for n in range(count)
    ]


def test_rules_max_rules_are_accepted() -> None:
    assert len(Plan.from_mapping(plan_data(rules=_points_rules(RULES_MAX))).rules) == RULES_MAX


def test_one_rule_past_rules_max_is_refused() -> None:
    error = _refused(plan_data(rules=_points_rules(RULES_MAX + 1)))

    assert (error.code, error.path) == ("plan-limit", "rules")


# -------------------------------------------------------- LEVELS_PER_RULE_MAX


def test_levels_per_rule_max_levels_are_accepted() -> None:
    plan = Plan.from_mapping(_every_level_plan(LEVELS_PER_RULE_MAX - 1))

    assert len(plan.rules[0].levels) == LEVELS_PER_RULE_MAX


def test_one_level_past_levels_per_rule_max_is_refused() -> None:
    data = _every_level_plan(DEPTH_MAX)
    data["rules"][0]["levels"].append({"level": 0, "rates": {"guide": "0.01"}})

    error = _refused(data)

    assert (error.code, error.path) == ("plan-limit", "rules[0].levels")


# ------------------------------------------------------------------ ROLES_MAX


def _roles(count: int) -> list[dict[str, Any]]:
    return [{"name": f"role-{n}", "rank": n} for n in range(count)]


def test_roles_max_roles_are_accepted() -> None:
    plan = Plan.from_mapping(plan_data(roles=_roles(ROLES_MAX), rules=[]))

    assert len(plan.roles) == ROLES_MAX


def test_one_role_past_roles_max_is_refused() -> None:
    error = _refused(plan_data(roles=_roles(ROLES_MAX + 1), rules=[]))

    assert (error.code, error.path) == ("plan-limit", "roles")


# ---------------------------------------------------------- SCOPE_ENTRIES_MAX


def _labels(count: int) -> list[str]:
    return [f"SKU-{n}" for n in range(count)]


def _scoped(where: str, labels: list[str]) -> dict[str, Any]:
    data = plan_data()
    if where == "base":
        data["base"] = {"exclude_skus": labels}
    elif where == "gift-packs":
        data["gift_packs"] = [{"sku": label, "becomes": "maker"} for label in labels]
    else:
        data["rules"] = [{**_points_rules(1)[0], "skus": labels}]
    return data


SCOPE_PATHS = {"base": "base.exclude_skus", "gift-packs": "gift_packs", "rule": "rules[0].skus"}


@pytest.mark.parametrize("where", SCOPE_PATHS)
def test_scope_entries_max_entries_are_accepted_quickly(where: str) -> None:
    data = _scoped(where, _labels(SCOPE_ENTRIES_MAX))
    start = time.perf_counter()

    Plan.from_mapping(data)

    assert time.perf_counter() - start < 1.0


@pytest.mark.parametrize("where", SCOPE_PATHS)
def test_one_entry_past_scope_entries_max_is_refused(where: str) -> None:
    error = _refused(_scoped(where, _labels(SCOPE_ENTRIES_MAX + 1)))

    assert (error.code, error.path) == ("plan-limit", SCOPE_PATHS[where])


def test_money_rules_of_scope_entries_max_skus_validate_quickly() -> None:
    data = plan_data()
    other = {
        **data["rules"][0],
        "id": "other-sales",
        "skus": [f"OTHER-{n}" for n in range(SCOPE_ENTRIES_MAX)],
    }
    data["rules"][0]["skus"] = _labels(SCOPE_ENTRIES_MAX)
    data["rules"].append(other)

    with deadline(3.0):
        start = time.perf_counter()
        Plan.from_mapping(data)
        seconds = time.perf_counter() - start

    assert seconds < 1.0


def test_a_plan_at_rules_max_with_wide_scopes_validates_quickly() -> None:
    # Well under PLAN_BYTES_MAX, yet each rule names 300 SKUs and 300 categories:
    # checking that the rules never promise more than the base must stay cheap.
    rule = plan_data()["rules"][0]
    rules = [
        {
            **rule,
            "id": f"rule-{n}",
            "skus": [f"S{k}" for k in range(300)],
            "categories": [f"C{k}" for k in range(300)],
            "levels": [{"level": 1, "rates": {"maker": "0.01"}}],
        }
        for n in range(RULES_MAX)
    ]
    text = json.dumps(plan_data(rules=rules))
    assert len(text) < PLAN_BYTES_MAX

    with deadline(3.0):
        start = time.perf_counter()
        Plan.from_json(text)
        seconds = time.perf_counter() - start

    assert seconds < 2.0


# ---------------------------------------------------------- PLAN_VERSIONS_MAX


def _versions(count: int) -> list[Plan]:
    first = Plan.from_mapping(plan_data())
    return [
        first.model_copy(update={"version": n + 1, "effective_from": at(n)}) for n in range(count)
    ]


def test_plan_versions_max_versions_are_accepted() -> None:
    plans = PlanSet(_versions(PLAN_VERSIONS_MAX))

    assert len(plans) == PLAN_VERSIONS_MAX
    assert plans.at(at(PLAN_VERSIONS_MAX + 5)).version == PLAN_VERSIONS_MAX
    assert plans.at(at(2.5)).version == 3


def test_one_version_past_plan_versions_max_is_refused() -> None:
    with pytest.raises(PlanError) as caught:
        PlanSet(_versions(PLAN_VERSIONS_MAX + 1))

    assert caught.value.code == "plan-limit"


# ------------------------------------------------- ORDER_ITEMS_MAX, QUANTITY_MAX


def _graph() -> ReferralGraph:
    graph = ReferralGraph()
    graph.join("g1", at=T0, role="guide", store="s1")
    graph.join("k1", at=T0, role="maker", inviter="g1")
    graph.join("m1", at=T0, role="member", inviter="k1")
    return graph


def _items(count: int, **fields: Any) -> list[dict[str, Any]]:
    return [{"item_id": str(n), "sku": "TEA", "unit_price": "1.00", **fields} for n in range(count)]


def test_order_of_order_items_max_items_is_evaluated() -> None:
    order = Order.from_mapping(order_data(items=_items(ORDER_ITEMS_MAX)))

    result = evaluate(Plan.from_mapping(plan_data()), _graph(), order)

    assert len(result.items) == ORDER_ITEMS_MAX
    assert result.base == Decimal(ORDER_ITEMS_MAX)


def test_one_item_past_order_items_max_is_refused() -> None:
    with pytest.raises(OrderError) as caught:
        Order.from_mapping(order_data(items=_items(ORDER_ITEMS_MAX + 1)))

    assert (caught.value.code, caught.value.path) == ("order-invalid", "items")


def test_quantity_max_units_are_evaluated() -> None:
    order = Order.from_mapping(order_data(items=_items(1, quantity=QUANTITY_MAX)))

    result = evaluate(Plan.from_mapping(plan_data()), _graph(), order)

    assert result.base == Decimal(QUANTITY_MAX)
    assert [line.amount for line in result.lines] == [Decimal("100000.00"), Decimal("50000.00")]


def test_one_unit_past_quantity_max_is_refused() -> None:
    with pytest.raises(OrderError) as caught:
        Order.from_mapping(order_data(items=_items(1, quantity=QUANTITY_MAX + 1)))

    assert (caught.value.code, caught.value.path) == ("order-invalid", "items[0].quantity")


# ----------------------------------------------------------------- AMOUNT_MAX

AMOUNT_PAST = AMOUNT_MAX + Decimal("0.01")


@pytest.mark.parametrize("value", [AMOUNT_MAX, -AMOUNT_MAX, str(AMOUNT_MAX), int(AMOUNT_MAX)])
def test_amount_max_is_a_decimal(value: object) -> None:
    assert abs(parse_decimal(value)) == AMOUNT_MAX


@pytest.mark.parametrize(
    "value", [AMOUNT_PAST, -AMOUNT_PAST, str(AMOUNT_PAST), int(AMOUNT_MAX) + 1, AMOUNT_MAX * 10]
)
def test_past_amount_max_is_no_decimal(value: object) -> None:
    with pytest.raises(DecimalInputError) as caught:
        parse_decimal(value)

    assert caught.value.kind == "range"


def test_plan_amount_of_amount_max_is_accepted() -> None:
    data = plan_data()
    data["rules"][0]["levels"][0] = {"level": 1, "amounts": {"guide": str(AMOUNT_MAX)}}

    assert Plan.from_mapping(data).rules[0].levels[0].amounts == {"guide": AMOUNT_MAX}


def test_plan_amount_past_amount_max_is_refused() -> None:
    data = plan_data()
    data["rules"][0]["levels"][0] = {"level": 1, "amounts": {"guide": str(AMOUNT_PAST)}}

    error = _refused(data)

    assert (error.code, error.path) == (
        "plan-amount-out-of-range",
        "rules[0].levels[0].amounts.guide",
    )


def test_order_amount_of_amount_max_is_accepted_and_past_it_refused() -> None:
    accepted = Order.from_mapping(order_data(items=_items(1, unit_price=str(AMOUNT_MAX))))
    assert accepted.items[0].unit_price == AMOUNT_MAX

    with pytest.raises(OrderError) as caught:
        Order.from_mapping(order_data(items=_items(1, unit_price=str(AMOUNT_PAST))))
    assert (caught.value.code, caught.value.path) == ("order-number-invalid", "items[0].unit_price")


def test_the_largest_order_at_every_limit_is_evaluated_exactly() -> None:
    # AMOUNT_MAX per unit, QUANTITY_MAX units, ORDER_ITEMS_MAX items, the finest
    # quantum and the finest rate: the arithmetic stays exact and conserved.
    data = plan_data(quantum="0.000001")
    data["rules"][0]["levels"][0]["rates"]["maker"] = "0." + "0" * (RATE_PLACES_MAX - 1) + "1"
    plan = Plan.from_mapping(data)
    items = _items(ORDER_ITEMS_MAX, unit_price=str(AMOUNT_MAX), quantity=QUANTITY_MAX)
    items[0]["discount"] = "0.000001"
    order = Order.from_mapping(order_data(items=items, coupons="0.000003"))

    result = evaluate(plan, _graph(), order)

    gross = AMOUNT_MAX * QUANTITY_MAX * ORDER_ITEMS_MAX
    assert result.base == gross - Decimal("0.000004")
    money = [line.amount for line in result.lines if line.unit == "CNY"]
    assert sum(money) == result.paid
    assert result.paid + result.merchant_kept == result.pool
    assert all(amount == amount.quantize(Decimal("0.000001")) for amount in money)


# ------------------------------------------------------------ RATE_PLACES_MAX

FINEST_RATE = "0." + "0" * (RATE_PLACES_MAX - 1) + "1"
TOO_FINE_RATE = "0." + "0" * RATE_PLACES_MAX + "1"


@pytest.mark.parametrize("rate", [FINEST_RATE, "0." + "9" * RATE_PLACES_MAX, "0.1" + "0" * 9])
def test_rate_of_rate_places_max_places_is_accepted(rate: str) -> None:
    data = plan_data()
    data["rules"][0]["levels"][0]["rates"]["maker"] = rate
    data["rules"][0]["levels"] = data["rules"][0]["levels"][:1]

    assert Plan.from_mapping(data).rules[0].levels[0].rates == {
        "maker": Decimal(rate),
        "guide": Decimal("0.08"),
    }


@pytest.mark.parametrize("rate", [TOO_FINE_RATE, "0.1" + "0" * RATE_PLACES_MAX])
def test_rate_past_rate_places_max_places_is_refused(rate: str) -> None:
    data = plan_data()
    data["rules"][0]["levels"][0]["rates"]["maker"] = rate

    error = _refused(data)

    assert (error.code, error.path) == ("plan-too-precise", "rules[0].levels[0].rates.maker")


# ------------------------------------------------------ IDENTIFIER_LENGTH_MAX

LONGEST = "x" * IDENTIFIER_LENGTH_MAX
TOO_LONG = "x" * (IDENTIFIER_LENGTH_MAX + 1)


def test_plan_identifiers_of_identifier_length_max_are_accepted() -> None:
    data = plan_data(id=LONGEST)
    data["rules"][0]["id"] = LONGEST
    data["rules"][0]["skus"] = [LONGEST]

    plan = Plan.from_mapping(data)

    assert (plan.id, plan.rules[0].id) == (LONGEST, LONGEST)


@pytest.mark.parametrize(
    ("where", "path"),
    [
        (("id",), "id"),
        (("roles", 0, "name"), "roles[0].name"),
        (("rules", 0, "id"), "rules[0].id"),
        (("rules", 0, "skus"), "rules[0].skus[0]"),
    ],
    ids=["id", "role-name", "rule-id", "sku"],
)
def test_plan_identifier_past_identifier_length_max_is_refused(
    where: tuple[str | int, ...], path: str
) -> None:
    data = plan_data()
    target: Any = data
    for part in where[:-1]:
        target = target[part]
    target[where[-1]] = [TOO_LONG] if where[-1] == "skus" else TOO_LONG

    error = _refused(data)

    assert (error.code, error.path) == ("plan-limit", path)


def test_participant_of_identifier_length_max_joins_and_one_longer_is_refused() -> None:
    graph = ReferralGraph()
    graph.join(LONGEST, at=T0, role="guide", store=LONGEST)

    with pytest.raises(GraphError) as caught:
        graph.join(TOO_LONG, at=T0, role="guide")

    assert (caught.value.code, caught.value.path) == ("graph-invalid-value", "participant")
    assert list(graph) == [LONGEST]


@pytest.mark.parametrize("field", ["order_id", "buyer"])
def test_order_identifier_at_and_past_identifier_length_max(field: str) -> None:
    assert getattr(Order.from_mapping(order_data(**{field: LONGEST})), field) == LONGEST

    with pytest.raises(OrderError) as caught:
        Order.from_mapping(order_data(**{field: TOO_LONG}))

    assert (caught.value.code, caught.value.path) == ("order-invalid", field)


# -------------------------------------------------- NUMBER_LITERAL_LENGTH_MAX

# Leading zeros keep the value small, so only the length of the text matters.
LONGEST_LITERAL = "1.00".rjust(NUMBER_LITERAL_LENGTH_MAX, "0")
TOO_LONG_LITERAL = "1.00".rjust(NUMBER_LITERAL_LENGTH_MAX + 1, "0")


def test_literal_of_number_literal_length_max_characters_is_accepted() -> None:
    assert parse_decimal(LONGEST_LITERAL) == 1


def test_literal_past_number_literal_length_max_characters_is_refused() -> None:
    with pytest.raises(DecimalInputError) as caught:
        parse_decimal(TOO_LONG_LITERAL)

    assert caught.value.kind == "invalid"
    assert str(NUMBER_LITERAL_LENGTH_MAX) in str(caught.value)


def test_order_price_literal_at_and_past_number_literal_length_max() -> None:
    order = Order.from_mapping(order_data(items=_items(1, unit_price=LONGEST_LITERAL)))
    assert order.items[0].unit_price == 1

    with pytest.raises(OrderError) as caught:
        Order.from_mapping(order_data(items=_items(1, unit_price=TOO_LONG_LITERAL)))
    assert (caught.value.code, caught.value.path) == ("order-number-invalid", "items[0].unit_price")


def test_json_integer_literal_at_and_past_number_literal_length_max() -> None:
    # At the limit the parser hands the integer to validation, which refuses it by
    # path as too large; one digit more and the parser refuses the literal itself.
    at_limit = json.dumps(plan_data()).replace('"0.10"', "9" * NUMBER_LITERAL_LENGTH_MAX)
    past = json.dumps(plan_data()).replace('"0.10"', "9" * (NUMBER_LITERAL_LENGTH_MAX + 1))

    with pytest.raises(PlanError) as at_caught:
        Plan.from_json(at_limit)
    with pytest.raises(PlanError) as past_caught:
        Plan.from_json(past)

    assert at_caught.value.path == "rules[0].levels[0].rates.maker"
    assert "exceeds" in str(at_caught.value)
    assert past_caught.value.code == "plan-number-invalid"
    assert f"{NUMBER_LITERAL_LENGTH_MAX + 1} digits" in str(past_caught.value)


# ------------------------------------------------------------- SLOT_CACHE_MAX


def _evaluate_each_buyer(plan: Plan) -> list[str]:
    graph = _graph()
    graph.join("k2", at=T0, role="maker")
    return [
        evaluate(plan, graph, Order.from_mapping(order_data(buyer=buyer))).to_json()
        for buyer in ("m1", "k1", "k2")
    ]


def test_slot_cache_fills_up_to_slot_cache_max_and_no_further() -> None:
    expected = _evaluate_each_buyer(Plan.from_mapping(plan_data()))
    plan = Plan.from_mapping(plan_data())
    cache = compiled(plan).slot_cache
    cache.update({("filler", n): () for n in range(SLOT_CACHE_MAX - 1)})

    results = _evaluate_each_buyer(plan)

    # The first new chain pattern fills the last place; the others are computed
    # afresh every time, with the same results.
    assert len(cache) == SLOT_CACHE_MAX
    assert results == expected
    assert _evaluate_each_buyer(plan) == expected
    assert len(cache) == SLOT_CACHE_MAX


# ------------------------------------------------------- EVENTS_PER_BATCH_MAX


def _status_events(count: int) -> list[Any]:
    from socialcommerce_rules.events import event_from_mapping

    return [
        event_from_mapping(
            {"type": "settlement_run", "event_id": f"s{number}", "at": "2026-02-01T00:00:00Z"}
        )
        for number in range(count)
    ]


def test_a_batch_of_events_per_batch_max_is_applied_and_one_more_refused() -> None:
    from socialcommerce_rules.book import Book
    from socialcommerce_rules.errors import LimitError
    from socialcommerce_rules.limits import EVENTS_PER_BATCH_MAX

    events = _status_events(EVENTS_PER_BATCH_MAX + 1)
    book = Book(Plan.from_mapping(plan_data()))
    with pytest.raises(LimitError) as caught:
        book.apply_batch(events, atomic=False)
    assert caught.value.code == "limit-batch"
    assert book.events == ()

    outcomes = book.apply_batch(events[:EVENTS_PER_BATCH_MAX], atomic=False)
    assert len(outcomes) == EVENTS_PER_BATCH_MAX
    assert len(book.events) == EVENTS_PER_BATCH_MAX


# ------------------------------------------------------- EVENT_LINE_BYTES_MAX


def _settlement_line(size: int) -> str:
    line = '{"type":"settlement_run","event_id":"s1","at":"2026-02-01T00:00:00Z"}'
    return line + " " * (size - len(line))


def test_an_event_line_of_event_line_bytes_max_is_read_and_one_more_refused() -> None:
    from socialcommerce_rules.errors import EventError
    from socialcommerce_rules.events import event_from_json
    from socialcommerce_rules.limits import EVENT_LINE_BYTES_MAX

    assert event_from_json(_settlement_line(EVENT_LINE_BYTES_MAX)).event_id == "s1"
    with pytest.raises(EventError) as caught:
        event_from_json(_settlement_line(EVENT_LINE_BYTES_MAX + 1))
    assert caught.value.code == "event-invalid"
