"""Refused plans built in code: unknown and missing keys anywhere, Python values,
huge literals, oversize and deeply nested input, plan sets, and every problem at once.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from socialcommerce_rules import LimitError, Plan, PlanError, PlanSet, load_plan
from socialcommerce_rules.limits import PLAN_BYTES_MAX, PLAN_NESTING_MAX

from ._support import CASES, check_plan_refusal, check_refusal, plan_data

VALID_TOML = (CASES / "plans" / "valid.toml").read_text(encoding="utf-8")
VALID_JSON = (CASES / "plans" / "valid.json").read_text(encoding="utf-8")
FAST_SECONDS = 1.0


def _set(data: dict[str, Any], location: tuple[str | int, ...], value: object) -> None:
    target: Any = data
    for part in location[:-1]:
        target = target[part]
    target[location[-1]] = value


def _delete(data: dict[str, Any], location: tuple[str | int, ...]) -> None:
    target: Any = data
    for part in location[:-1]:
        target = target[part]
    del target[location[-1]]


# ------------------------------------------------------------- unknown keys


UNKNOWN_KEY_LOCATIONS = [
    ((), "bogus"),
    (("roles", 1), "roles[1].bogus"),
    (("base",), "base.bogus"),
    (("caps",), "caps.bogus"),
    (("gift_packs", 0), "gift_packs[0].bogus"),
    (("rules", 0), "rules[0].bogus"),
    (("rules", 1, "levels", 1), "rules[1].levels[1].bogus"),
    (("rules", 2), "rules[2].bogus"),
    (("rules", 3), "rules[3].bogus"),
    (("rules", 3, "levels", 0), "rules[3].levels[0].bogus"),
]


@pytest.mark.parametrize(
    ("where", "path"), UNKNOWN_KEY_LOCATIONS, ids=[p for _, p in UNKNOWN_KEY_LOCATIONS]
)
def test_unknown_key_anywhere_is_refused_by_path(where: tuple[str | int, ...], path: str) -> None:
    data = plan_data()
    _set(data, (*where, "bogus"), "1")

    with pytest.raises(PlanError) as caught:
        Plan.from_mapping(data)

    check_plan_refusal(caught.value, code="plan-unknown-key", path=path)


# ------------------------------------------------------------- missing keys


MISSING_KEYS = [
    (("id",), "id"),
    (("version",), "version"),
    (("effective_from",), "effective_from"),
    (("currency",), "currency"),
    (("max_depth",), "max_depth"),
    (("roles",), "roles"),
    (("roles", 1, "name"), "roles[1].name"),
    (("roles", 1, "rank"), "roles[1].rank"),
    (("gift_packs", 0, "becomes"), "gift_packs[0].becomes"),
    (("rules", 1, "id"), "rules[1].id"),
    (("rules", 1, "levels"), "rules[1].levels"),
    (("rules", 2, "rates"), "rules[2].rates"),
    # The field names ``level`` and ``points`` must survive in the path.
    (("rules", 1, "levels", 1, "level"), "rules[1].levels[1].level"),
    (("rules", 3, "levels", 0, "points"), "rules[3].levels[0].points"),
]


@pytest.mark.parametrize(("where", "path"), MISSING_KEYS, ids=[p for _, p in MISSING_KEYS])
def test_missing_key_is_refused_by_path(where: tuple[str | int, ...], path: str) -> None:
    data = plan_data()
    _delete(data, where)

    with pytest.raises(PlanError) as caught:
        Plan.from_mapping(data)

    check_plan_refusal(caught.value, code="plan-missing-key", path=path)


def test_rule_without_kind_is_refused_at_the_rule() -> None:
    data = plan_data()
    del data["rules"][1]["kind"]

    with pytest.raises(PlanError) as caught:
        Plan.from_mapping(data)

    check_plan_refusal(caught.value, code="plan-invalid-value", path="rules[1]")


# ------------------------------------------------------------- Python values

RATE = ("rules", 1, "levels", 0, "rates", "maker")
AMOUNT = ("rules", 0, "levels", 0, "amounts", "guide")
RATE_PATH = "rules[1].levels[0].rates.maker"
AMOUNT_PATH = "rules[0].levels[0].amounts.guide"
POINTS_PATH = "rules[3].levels[0].points.member"

VALUE_CASES = [
    pytest.param(RATE, 0.1, "plan-float", RATE_PATH, id="float-rate"),
    pytest.param(RATE, float("nan"), "plan-float", RATE_PATH, id="float-nan-rate"),
    pytest.param(AMOUNT, float("inf"), "plan-float", AMOUNT_PATH, id="float-inf-amount"),
    pytest.param(RATE, Decimal("NaN"), "plan-number-invalid", RATE_PATH, id="decimal-nan"),
    pytest.param(RATE, Decimal("sNaN"), "plan-number-invalid", RATE_PATH, id="decimal-snan"),
    pytest.param(AMOUNT, Decimal("-Infinity"), "plan-number-invalid", AMOUNT_PATH, id="dec-inf"),
    pytest.param(RATE, True, "plan-number-invalid", RATE_PATH, id="bool-rate"),
    pytest.param(RATE, [1], "plan-number-invalid", RATE_PATH, id="list-rate"),
    pytest.param(RATE, 2, "plan-rate-out-of-range", RATE_PATH, id="int-rate-above-one"),
    pytest.param(RATE, Decimal("1.0000000001"), "plan-rate-out-of-range", RATE_PATH, id="1+"),
    pytest.param(RATE, "1.00000000001", "plan-rate-out-of-range", RATE_PATH, id="1+tiny"),
    pytest.param(RATE, "0.1 ", "plan-number-invalid", RATE_PATH, id="trailing-space"),
    pytest.param(RATE, "1_0", "plan-number-invalid", RATE_PATH, id="underscore"),
    pytest.param(RATE, "١٢", "plan-number-invalid", RATE_PATH, id="arabic-indic-digits"),
    pytest.param(AMOUNT, "1e999999", "plan-number-invalid", AMOUNT_PATH, id="string-1e999999"),
    pytest.param(AMOUNT, Decimal("1e999999"), "plan-amount-out-of-range", AMOUNT_PATH, id="1e9"),
    pytest.param(AMOUNT, 10**13, "plan-amount-out-of-range", AMOUNT_PATH, id="int-above-max"),
    pytest.param(AMOUNT, 10**5000, "plan-amount-out-of-range", AMOUNT_PATH, id="int-5001-digits"),
    pytest.param(
        ("rules", 3, "levels", 0, "points", "member"),
        0.5,
        "plan-float",
        POINTS_PATH,
        id="float-points",
    ),
]


@pytest.mark.parametrize(("where", "value", "code", "path"), VALUE_CASES)
def test_python_value_is_refused_by_path(
    where: tuple[str | int, ...], value: object, code: str, path: str
) -> None:
    data = plan_data()
    _set(data, where, value)

    with pytest.raises(PlanError) as caught:
        Plan.from_mapping(data)

    check_plan_refusal(caught.value, code=code, path=path)


def test_decimal_places_beyond_quantum_are_refused_for_gift_pack_goods_value() -> None:
    data = plan_data()
    data["gift_packs"][0]["goods_value"] = "399.001"

    with pytest.raises(PlanError) as caught:
        Plan.from_mapping(data)

    check_plan_refusal(caught.value, code="plan-too-precise", path="gift_packs[0].goods_value")


@pytest.mark.parametrize("quantum", ["0.05", "0", "10", "0.0000001", "-0.01", "0.02"])
def test_bad_quantum_is_refused(quantum: str) -> None:
    data = plan_data()
    data["quantum"] = quantum

    with pytest.raises(PlanError) as caught:
        Plan.from_mapping(data)

    # Amounts that no longer fit the broken quantum may be reported too.
    assert caught.value.path == "quantum"
    assert caught.value.code in {"plan-quantum-invalid", "plan-amount-out-of-range"}


def test_amount_finer_than_a_quantum_written_with_a_trailing_zero_is_refused() -> None:
    # "0.010" is the quantum 0.01; 80.005 is finer than it and must not be
    # accepted and then paid as 80.00.
    data = plan_data()
    data["quantum"] = "0.010"
    data["rules"][0]["levels"][0]["amounts"]["guide"] = "80.005"

    with pytest.raises(PlanError) as caught:
        Plan.from_mapping(data)

    assert _problems(caught.value) & {
        ("plan-quantum-invalid", "quantum"),
        ("plan-too-precise", AMOUNT_PATH),
    }


def test_differential_rates_decreasing_with_rank_are_refused() -> None:
    data = plan_data()
    data["rules"][2]["rates"] = {"maker": "0.03", "guide": "0.02"}

    with pytest.raises(PlanError) as caught:
        Plan.from_mapping(data)

    check_plan_refusal(caught.value, code="plan-invalid-value", path="rules[2].rates.guide")


def test_overlapping_scopes_promising_more_than_the_base_are_refused() -> None:
    data = plan_data()
    # The level rule pays 0.99 on SKU A; the differential 0.02 on category B: an
    # item of SKU A in category B would be promised 1.01 of its base.
    data["rules"][1]["skus"] = ["A"]
    data["rules"][1]["levels"] = [{"level": 1, "rates": {"maker": "0.99"}}]
    data["rules"][2]["categories"] = ["B"]

    with pytest.raises(PlanError) as caught:
        Plan.from_mapping(data)

    check_plan_refusal(caught.value, code="plan-rates-exceed-base", path="rules")
    assert "SKU 'A'" in str(caught.value)


def test_disjoint_scopes_may_each_promise_most_of_the_base() -> None:
    data = plan_data()
    data["rules"][1]["skus"] = ["A"]
    data["rules"][1]["levels"] = [{"level": 1, "rates": {"maker": "0.99"}}]
    data["rules"][2]["skus"] = ["B"]

    assert Plan.from_mapping(data).rules[1].levels[0].rates == {"maker": Decimal("0.99")}


def test_naive_effective_from_is_refused() -> None:
    data = plan_data()
    data["effective_from"] = "2026-01-01T00:00:00"

    with pytest.raises(PlanError) as caught:
        Plan.from_mapping(data)

    check_plan_refusal(caught.value, code="plan-invalid-value", path="effective_from")


# ------------------------------------------------------- huge number literals


def test_toml_integer_of_4301_digits_is_refused_as_a_number() -> None:
    # tomllib converts integers itself; past Python's 4300-digit limit the
    # refusal must still be a number refusal, not Python's own message.
    text = VALID_TOML.replace('guide = "80.00"', "guide = 1" + "0" * 4300)

    with pytest.raises(PlanError) as caught:
        Plan.from_toml(text)

    assert caught.value.code == "plan-number-invalid"
    assert "set_int_max_str_digits" not in str(caught.value)


def test_toml_integer_of_4000_digits_is_refused_by_path() -> None:
    text = VALID_TOML.replace('guide = "80.00"', "guide = 1" + "0" * 3999)

    with pytest.raises(PlanError) as caught:
        Plan.from_toml(text)

    check_plan_refusal(caught.value, code="plan-amount-out-of-range", path=AMOUNT_PATH)


def test_json_integer_of_4301_digits_is_refused_by_path() -> None:
    text = VALID_JSON.replace('"guide": "80.00"', '"guide": 1' + "0" * 4300)

    with pytest.raises(PlanError) as caught:
        Plan.from_json(text)

    check_plan_refusal(caught.value, code="plan-number-invalid", path=AMOUNT_PATH)


# ------------------------------------------------------- oversize and nesting


def _timed(action: Callable[[], object]) -> tuple[BaseException, float]:
    start = time.perf_counter()
    try:
        action()
    except Exception as error:
        return error, time.perf_counter() - start
    raise AssertionError("the input was accepted")


def _oversize_toml() -> str:
    # A valid plan with a comment that pushes it past the limit.
    return VALID_TOML + "#" + "x" * PLAN_BYTES_MAX + "\n"


def _oversize_json() -> str:
    return VALID_JSON + " " * PLAN_BYTES_MAX


def _nested_toml() -> str:
    depth = 100_000
    return VALID_TOML.replace("max_depth = 2", "max_depth = 2\nx = " + "[" * depth + "]" * depth)


def _nested_json() -> str:
    depth = 100_000
    return '{"x": ' + "[" * depth + "]" * depth + "}"


BIG_TEXTS = [
    pytest.param("toml", _oversize_toml, "limit-plan-bytes", id="oversize-toml"),
    pytest.param("json", _oversize_json, "limit-plan-bytes", id="oversize-json"),
    pytest.param("toml", _nested_toml, "limit-plan-nesting", id="nested-toml"),
    pytest.param("json", _nested_json, "limit-plan-nesting", id="nested-json"),
]


@pytest.mark.parametrize(("file_format", "make", "code"), BIG_TEXTS)
def test_oversize_or_deeply_nested_text_is_refused_fast(
    file_format: str, make: Callable[[], str], code: str
) -> None:
    text = make()
    parse = Plan.from_toml if file_format == "toml" else Plan.from_json

    error, seconds = _timed(lambda: parse(text))

    assert isinstance(error, LimitError), repr(error)
    check_refusal(error, code=code, path="")
    assert seconds < FAST_SECONDS


@pytest.mark.parametrize(("file_format", "make", "code"), BIG_TEXTS)
def test_oversize_or_deeply_nested_file_is_refused_fast(
    tmp_path: Path, file_format: str, make: Callable[[], str], code: str
) -> None:
    file = tmp_path / f"plan.{file_format}"
    file.write_text(make(), encoding="utf-8")

    error, seconds = _timed(lambda: load_plan(file))

    assert isinstance(error, LimitError), repr(error)
    check_refusal(error, code=code, path="")
    assert seconds < FAST_SECONDS


def test_a_huge_file_is_refused_without_reading_it_all(tmp_path: Path) -> None:
    file = tmp_path / "plan.toml"
    with file.open("wb") as handle:
        handle.truncate(64 * PLAN_BYTES_MAX)  # a sparse 64 MiB file

    error, seconds = _timed(lambda: load_plan(file))

    assert isinstance(error, LimitError)
    check_refusal(error, code="limit-plan-bytes", path="")
    assert seconds < FAST_SECONDS


def test_deeply_nested_data_is_refused_before_validation() -> None:
    nested: Any = []
    for _ in range(10 * PLAN_NESTING_MAX):
        nested = [nested]
    data = plan_data()
    data["description"] = nested

    error, seconds = _timed(lambda: Plan.from_mapping(data))

    assert isinstance(error, LimitError)
    check_refusal(error, code="limit-plan-nesting", path="")
    assert seconds < FAST_SECONDS


def test_plan_file_that_is_not_utf8_is_refused(tmp_path: Path) -> None:
    file = tmp_path / "plan.toml"
    file.write_bytes(VALID_TOML.replace("bad-input-case", "caf\xe9").encode("latin-1"))

    with pytest.raises(PlanError) as caught:
        load_plan(file)

    check_refusal(caught.value, code="plan-syntax", path="")


def test_plan_file_with_another_suffix_is_refused(tmp_path: Path) -> None:
    file = tmp_path / "plan.yaml"
    file.write_text(VALID_JSON, encoding="utf-8")

    with pytest.raises(PlanError) as caught:
        load_plan(file)

    check_refusal(caught.value, code="plan-syntax", path="")


@pytest.mark.parametrize("text", ["", "{", '{"id": }', "null", "[]", '"plan"', "{} {}"])
def test_json_that_is_no_plan_is_refused(text: str) -> None:
    with pytest.raises(PlanError) as caught:
        Plan.from_json(text)

    assert caught.value.code in {"plan-syntax", "plan-invalid-value"}
    assert caught.value.path == ""


@pytest.mark.parametrize("text", ["id = ", "[[roles]", "a = 1\na = 2", "= 1"])
def test_toml_that_is_no_plan_is_refused(text: str) -> None:
    with pytest.raises(PlanError) as caught:
        Plan.from_toml(text)

    check_refusal(caught.value, code="plan-syntax", path="")


# ------------------------------------------------------ every problem at once


def _three_level_rules() -> dict[str, Any]:
    """The valid plan with a second sales rule at rules[2], so that the paths read
    like those of a real plan with several level rules."""
    data = plan_data()
    bonus = {
        "kind": "level",
        "id": "team-bonus",
        "levels": [
            {"level": 1, "rates": {"maker": "0.01"}},
            {"level": 2, "rates": {"maker": "0.01", "guide": "0.01"}},
        ],
    }
    data["rules"].insert(2, bonus)
    return data


def _problems(error: PlanError) -> set[tuple[str, str]]:
    return {(problem.code, problem.path) for problem in error.problems}


def test_three_field_problems_are_reported_at_once() -> None:
    data = _three_level_rules()
    data["currency"] = "yuan"
    data["rules"][2]["levels"][1]["rates"]["maker"] = "1.5"
    data["roles"][0]["colour"] = "green"
    assert Plan.from_mapping(_three_level_rules()).rules[2].id == "team-bonus"

    with pytest.raises(PlanError) as caught:
        Plan.from_mapping(data)

    assert _problems(caught.value) == {
        ("plan-invalid-value", "currency"),
        ("plan-rate-out-of-range", "rules[2].levels[1].rates.maker"),
        ("plan-unknown-key", "roles[0].colour"),
    }
    message = str(caught.value)
    assert "3 problems" in message
    for path in ("currency", "rules[2].levels[1].rates.maker", "roles[0].colour"):
        assert path in message


def test_three_whole_plan_problems_are_reported_at_once() -> None:
    data = _three_level_rules()
    data["gift_packs"][0]["becomes"] = "captain"
    data["rules"][2]["levels"][1]["level"] = 3
    data["rules"][2]["levels"][1]["rates"]["captain"] = "0.01"

    with pytest.raises(PlanError) as caught:
        Plan.from_mapping(data)

    assert _problems(caught.value) == {
        ("plan-unknown-role", "gift_packs[0].becomes"),
        ("plan-level-beyond-max-depth", "rules[2].levels[1].level"),
        ("plan-unknown-role", "rules[2].levels[1].rates.captain"),
    }


def test_field_and_whole_plan_problems_are_reported_together() -> None:
    # A rate out of range must not hide an unknown role or a level beyond max_depth.
    data = _three_level_rules()
    data["rules"][2]["levels"][1]["rates"]["maker"] = "1.5"
    data["gift_packs"][0]["becomes"] = "captain"
    data["rules"][0]["levels"][0]["level"] = 3

    with pytest.raises(PlanError) as caught:
        Plan.from_mapping(data)

    assert _problems(caught.value) == {
        ("plan-rate-out-of-range", "rules[2].levels[1].rates.maker"),
        ("plan-unknown-role", "gift_packs[0].becomes"),
        ("plan-level-beyond-max-depth", "rules[0].levels[0].level"),
    }


ONE_FAULT = [
    pytest.param(AMOUNT, "-1.00", id="only-level-of-a-rule"),
    pytest.param(("roles", 0, "rank"), -1, id="a-role"),
    pytest.param(("rules", 3, "levels", 0, "points", "member"), "x", id="only-points-level"),
]


@pytest.mark.parametrize(("where", "value"), ONE_FAULT)
def test_one_fault_is_one_problem(where: tuple[str | int, ...], value: object) -> None:
    # A refused element of a list must not also be reported as the list being
    # too short ("should have at least 1 item after validation, not 0").
    data = plan_data()
    _set(data, where, value)

    with pytest.raises(PlanError) as caught:
        Plan.from_mapping(data)

    assert len(caught.value.problems) == 1, [str(p) for p in caught.value.problems]


# ---------------------------------------------------------------- plan sets


def _version(version: int, effective_from: str, plan_id: str = "bad-input-case") -> Plan:
    data = plan_data()
    data.update(id=plan_id, version=version, effective_from=effective_from)
    return Plan.from_mapping(data)


def test_plan_set_of_different_plans_is_refused() -> None:
    first = _version(1, "2026-01-01T00:00:00+00:00")
    other = _version(2, "2026-02-01T00:00:00+00:00", plan_id="another-plan")

    with pytest.raises(PlanError) as caught:
        PlanSet([first, other])

    check_plan_refusal(caught.value, code="plan-version-mismatch", path="versions[1].id")


def test_plan_set_with_a_version_twice_is_refused() -> None:
    first = _version(1, "2026-01-01T00:00:00+00:00")
    again = _version(1, "2026-02-01T00:00:00+00:00")

    with pytest.raises(PlanError) as caught:
        PlanSet([first, again])

    check_plan_refusal(caught.value, code="plan-duplicate", path="versions[1].version")


@pytest.mark.parametrize("second_from", ["2025-12-31T23:59:59+00:00", "2026-01-01T00:00:00+00:00"])
def test_plan_set_whose_dates_do_not_increase_is_refused(second_from: str) -> None:
    first = _version(1, "2026-01-01T00:00:00+00:00")
    second = _version(2, second_from)

    with pytest.raises(PlanError) as caught:
        PlanSet([second, first])

    check_plan_refusal(
        caught.value, code="plan-version-mismatch", path="versions[1].effective_from"
    )


def test_plan_set_reports_every_problem_at_once() -> None:
    plans = [
        _version(1, "2026-01-01T00:00:00+00:00"),
        _version(2, "2026-02-01T00:00:00+00:00", plan_id="another-plan"),
        _version(2, "2026-03-01T00:00:00+00:00"),
        _version(3, "2026-01-15T00:00:00+00:00"),
    ]

    with pytest.raises(PlanError) as caught:
        PlanSet(plans)

    assert _problems(caught.value) == {
        ("plan-version-mismatch", "versions[1].id"),
        ("plan-duplicate", "versions[2].version"),
        ("plan-version-mismatch", "versions[3].effective_from"),
    }


def test_empty_plan_set_is_refused() -> None:
    with pytest.raises(PlanError) as caught:
        PlanSet([])

    check_refusal(caught.value, code="plan-version-mismatch", path="")
