"""money.py: parsing exact decimals, rounding to a quantum, exact allocation."""

from __future__ import annotations

import decimal
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from socialcommerce_rules.limits import AMOUNT_MAX, NUMBER_LITERAL_LENGTH_MAX
from socialcommerce_rules.money import (
    EXACT_CONTEXT,
    ZERO,
    DecimalInputError,
    FloatLiteral,
    Rounding,
    allocate,
    decimal_places,
    describe,
    format_decimal,
    parse_decimal,
    round_to,
)

AMOUNT_MAX_INT = int(AMOUNT_MAX)

# ------------------------------------------------------------- parse_decimal

ACCEPTED = [
    ("12.50", Decimal("12.50")),
    ("-12.50", Decimal("-12.50")),
    ("0", Decimal("0")),
    ("007", Decimal("7")),
    ("0.0000000001", Decimal("0.0000000001")),
    ("1000000000000", Decimal("1000000000000")),
    (12, Decimal(12)),
    (-3, Decimal(-3)),
    (0, Decimal(0)),
    (Decimal("1.10"), Decimal("1.10")),
    (Decimal("1E+2"), Decimal("100")),
]


@pytest.mark.parametrize(("value", "expected"), ACCEPTED, ids=[repr(v) for v, _ in ACCEPTED])
def test_parse_decimal_accepts_exact_values(value: object, expected: Decimal) -> None:
    result = parse_decimal(value)

    assert type(result) is Decimal
    assert result == expected
    if isinstance(value, str) and not value.startswith("0"):
        assert str(result) == value


def test_parse_decimal_keeps_the_written_places() -> None:
    assert decimal_places(parse_decimal("1.50")) == 2
    assert decimal_places(parse_decimal("1.5")) == 1


REFUSED = [
    (0.1, "float"),
    (1.0, "float"),
    (float("nan"), "float"),
    (float("inf"), "float"),
    (FloatLiteral("0.1"), "float"),
    (FloatLiteral("nan"), "float"),
    (True, "invalid"),
    (False, "invalid"),
    (None, "invalid"),
    ([1], "invalid"),
    (b"1", "invalid"),
    (Decimal("NaN"), "invalid"),
    (Decimal("sNaN"), "invalid"),
    (Decimal("Infinity"), "invalid"),
    (Decimal("-Infinity"), "invalid"),
    ("NaN", "invalid"),
    ("nan", "invalid"),
    ("Infinity", "invalid"),
    ("inf", "invalid"),
    ("-inf", "invalid"),
    ("1e3", "invalid"),
    ("1E+3", "invalid"),
    ("1e999999", "invalid"),
    ("0x10", "invalid"),
    ("1_000", "invalid"),
    ("+1", "invalid"),
    ("1.", "invalid"),
    (".5", "invalid"),
    (" 1", "invalid"),
    ("1 ", "invalid"),
    ("1,5", "invalid"),
    ("", "invalid"),
    ("-", "invalid"),
    ("١٢", "invalid"),
    ("１２", "invalid"),
    ("12\u0301", "invalid"),
    ("1000000000000.01", "range"),
    ("-1000000000000.01", "range"),
    (10**13, "range"),
    (Decimal("1e999999"), "range"),
    (Decimal("1E-41"), "invalid"),
    ("1" * (NUMBER_LITERAL_LENGTH_MAX + 1), "invalid"),
]


@pytest.mark.parametrize(("value", "kind"), REFUSED, ids=[repr(v)[:30] for v, _ in REFUSED])
def test_parse_decimal_refuses(value: object, kind: str) -> None:
    with pytest.raises(DecimalInputError) as caught:
        parse_decimal(value)

    assert caught.value.kind == kind
    assert isinstance(caught.value, ValueError)


def test_parse_decimal_refuses_huge_integers_with_its_own_error() -> None:
    # str() of an int above 4300 digits raises in Python itself; the refusal must
    # still be a DecimalInputError, not that ValueError.
    with pytest.raises(DecimalInputError) as caught:
        parse_decimal(10**5000)

    assert caught.value.kind == "range"


def test_parse_decimal_refuses_or_tames_zero_with_an_absurd_exponent() -> None:
    # 0E-999999 is zero, but written out it has a million places.
    try:
        result = parse_decimal(Decimal("0E-999999"))
    except DecimalInputError:
        return
    assert result == 0
    assert decimal_places(result) <= NUMBER_LITERAL_LENGTH_MAX


def test_parse_decimal_refuses_a_long_literal_before_converting_it() -> None:
    with pytest.raises(DecimalInputError) as caught:
        parse_decimal("9" * 100_000)

    assert f"longer than {NUMBER_LITERAL_LENGTH_MAX}" in str(caught.value)
    assert len(str(caught.value)) < 200


def test_float_message_suggests_the_decimal_string() -> None:
    with pytest.raises(DecimalInputError) as caught:
        parse_decimal(0.1)

    assert '"0.1"' in str(caught.value)


# ------------------------------------------------------------------ round_to

CENT = Decimal("0.01")

ROUNDINGS = [
    # value, down, half-even, half-up
    ("0.004", "0.00", "0.00", "0.00"),
    ("0.005", "0.00", "0.00", "0.01"),
    ("0.006", "0.00", "0.01", "0.01"),
    ("0.015", "0.01", "0.02", "0.02"),
    ("0.025", "0.02", "0.02", "0.03"),
    ("0.495", "0.49", "0.50", "0.50"),
    ("0.0149999", "0.01", "0.01", "0.01"),
    ("0.0050000001", "0.00", "0.01", "0.01"),
    ("1.999", "1.99", "2.00", "2.00"),
    ("-0.005", "0.00", "0.00", "-0.01"),
    ("-0.015", "-0.01", "-0.02", "-0.02"),
    ("-1.999", "-1.99", "-2.00", "-2.00"),
    ("12.34", "12.34", "12.34", "12.34"),
]


@pytest.mark.parametrize(("value", "down", "half_even", "half_up"), ROUNDINGS)
def test_round_to_each_mode(value: str, down: str, half_even: str, half_up: str) -> None:
    amount = Decimal(value)

    got = [round_to(amount, CENT, mode) for mode in Rounding]

    assert [mode.value for mode in Rounding] == ["down", "half-even", "half-up"]
    assert got == [Decimal(down), Decimal(half_even), Decimal(half_up)]
    assert all(decimal_places(result) == 2 for result in got)


@pytest.mark.parametrize("quantum", ["1", "0.1", "0.001", "0.000001"])
def test_round_to_other_quanta(quantum: str) -> None:
    result = round_to(Decimal("2.5000005"), Decimal(quantum), Rounding.HALF_EVEN)

    assert result.as_tuple().exponent == Decimal(quantum).as_tuple().exponent
    assert abs(result - Decimal("2.5000005")) <= Decimal(quantum) / 2


def test_round_to_ignores_the_global_decimal_context() -> None:
    amounts = [Decimal("0.005"), Decimal("0.015"), Decimal("123456789012.345")]
    expected = [[round_to(a, CENT, mode) for mode in Rounding] for a in amounts]

    with decimal.localcontext() as context:
        context.prec = 3
        context.rounding = decimal.ROUND_CEILING
        context.traps[decimal.Inexact] = True
        context.traps[decimal.Rounded] = True
        got = [[round_to(a, CENT, mode) for mode in Rounding] for a in amounts]

    assert got == expected


def test_rounding_modes_map_to_decimal_modes() -> None:
    assert Rounding.DOWN.decimal_mode == decimal.ROUND_DOWN
    assert Rounding.HALF_EVEN.decimal_mode == decimal.ROUND_HALF_EVEN
    assert Rounding.HALF_UP.decimal_mode == decimal.ROUND_HALF_UP
    assert Rounding("half-up") is Rounding.HALF_UP


# ------------------------------------------------------------------ allocate


@pytest.mark.parametrize(
    ("total", "weights", "expected"),
    [
        (100, [1, 1, 1], [34, 33, 33]),
        (1, [5, 5], [1, 0]),
        (2, [1, 1, 1], [1, 1, 0]),
        (10, [0, 1, 0], [0, 10, 0]),
        (7, [0, 0, 0], [7, 0, 0]),
        (0, [3, 2], [0, 0]),
        (0, [], []),
        (5, [1], [5]),
        (100, [50, 50], [50, 50]),
        (99, [50, 50], [50, 49]),
        (15, [80, 8, 12], [12, 1, 2]),
        (10, [1, 2, 3, 4], [1, 2, 3, 4]),
        (1, [1, 3], [0, 1]),
    ],
)
def test_allocate_examples(total: int, weights: list[int], expected: list[int]) -> None:
    assert allocate(total, weights) == expected


def test_allocate_refuses_a_total_over_no_weights() -> None:
    with pytest.raises(ValueError, match="no weights"):
        allocate(1, [])


weights_lists = st.lists(st.integers(min_value=0, max_value=10**12), min_size=1, max_size=30)


@given(total=st.integers(min_value=0, max_value=10**18), weights=weights_lists)
def test_allocate_sums_to_the_total(total: int, weights: list[int]) -> None:
    shares = allocate(total, weights)

    assert sum(shares) == total
    assert len(shares) == len(weights)
    assert all(isinstance(share, int) and share >= 0 for share in shares)


@given(total=st.integers(min_value=0, max_value=10**18), weights=weights_lists)
def test_allocate_stays_within_one_unit_of_the_exact_share(total: int, weights: list[int]) -> None:
    weight_sum = sum(weights)
    shares = allocate(total, weights)

    for share, weight in zip(shares, weights, strict=True):
        if weight_sum == 0:
            continue
        floor = total * weight // weight_sum
        assert floor <= share <= floor + 1


@given(total=st.integers(min_value=1, max_value=10**9), weights=weights_lists)
def test_allocate_gives_nothing_to_a_zero_weight(total: int, weights: list[int]) -> None:
    shares = allocate(total, weights)

    if sum(weights) == 0:
        assert shares == [total] + [0] * (len(weights) - 1)
    else:
        assert all(share == 0 for share, weight in zip(shares, weights, strict=True) if not weight)


@given(
    total=st.integers(min_value=0, max_value=10**6),
    weight=st.integers(min_value=1, max_value=10**6),
    count=st.integers(min_value=1, max_value=20),
)
def test_allocate_breaks_ties_toward_the_earlier_position(
    total: int, weight: int, count: int
) -> None:
    shares = allocate(total, [weight] * count)

    assert shares == sorted(shares, reverse=True)
    assert max(shares) - min(shares) <= 1


@given(total=st.integers(min_value=0, max_value=10**9), weights=weights_lists)
def test_allocate_gives_left_over_units_to_the_largest_remainders(
    total: int, weights: list[int]
) -> None:
    weight_sum = sum(weights)
    if weight_sum == 0:
        return
    shares = allocate(total, weights)
    remainders = [total * weight % weight_sum for weight in weights]
    bumped = [
        position
        for position, (share, weight) in enumerate(zip(shares, weights, strict=True))
        if share > total * weight // weight_sum
    ]
    others = [position for position in range(len(weights)) if position not in bumped]
    # Every bumped position beats every other by (remainder desc, position asc).
    for winner in bumped:
        for loser in others:
            assert (-remainders[winner], winner) < (-remainders[loser], loser)


def test_allocate_does_not_depend_on_the_decimal_context() -> None:
    with decimal.localcontext() as context:
        context.prec = 1
        assert allocate(10**20 + 1, [1, 1]) == [5 * 10**19 + 1, 5 * 10**19]


# ------------------------------------------------------ contexts and formatting


def test_exact_context_traps_inexact_results() -> None:
    with pytest.raises(decimal.Inexact):
        EXACT_CONTEXT.divide(Decimal(1), Decimal(3))
    assert EXACT_CONTEXT.multiply(Decimal("1000000000000"), Decimal("0.0000000001")) == 100


def test_format_decimal_never_uses_exponents() -> None:
    assert format_decimal(Decimal("1E+2")) == "100"
    assert format_decimal(Decimal("1E-7")) == "0.0000001"
    assert format_decimal(Decimal("12.50")) == "12.50"
    assert format_decimal(ZERO) == "0"


def test_decimal_places_counts_written_places() -> None:
    assert decimal_places(Decimal("1.50")) == 2
    assert decimal_places(Decimal("100")) == 0
    assert decimal_places(Decimal("1E+2")) == 0
    assert decimal_places(Decimal("0.0000000001")) == 10


# ------------------------------------------------- huge integers, quickly


@pytest.mark.parametrize(
    "value",
    [AMOUNT_MAX_INT + 1, -AMOUNT_MAX_INT - 1, 2**64 - 1, 2**64, -(2**64), 2**65, 16**250_000 - 1],
    ids=["max+1", "-max-1", "2**64-1", "2**64", "-2**64", "2**65", "hex-250000-digits"],
)
def test_parse_decimal_refuses_an_int_above_amount_max_as_out_of_range(value: int) -> None:
    start = time.perf_counter()
    with pytest.raises(DecimalInputError) as caught:
        parse_decimal(value)

    assert caught.value.kind == "range"
    assert time.perf_counter() - start < 0.2


@pytest.mark.parametrize("value", [AMOUNT_MAX_INT, -AMOUNT_MAX_INT, 0, 1])
def test_parse_decimal_accepts_an_int_up_to_amount_max(value: int) -> None:
    assert parse_decimal(value) == value


@given(st.integers(min_value=39, max_value=6_000), st.sampled_from([-1, 0, 1]), st.booleans())
def test_describe_counts_the_digits_of_a_long_int_exactly(
    digits: int, offset: int, negative: bool
) -> None:
    # Powers of ten and their neighbours are where a count from the bit length slips.
    value = (10**digits + offset) * (-1 if negative else 1)
    with _unlimited_int_printing():
        expected = len(str(abs(value)))

    assert describe(value) == f"an integer of {expected} digits"


@pytest.mark.parametrize("bits", [129, 13_000, 14_000, 66_439, 199_999, 200_000])
def test_describe_counts_the_digits_of_powers_of_two_exactly(bits: int) -> None:
    for value in (2 ** (bits - 1), 2**bits - 1):
        with _unlimited_int_printing():
            expected = len(str(value))
        assert describe(value) == f"an integer of {expected} digits"


def test_describe_gives_a_true_lower_bound_for_a_huge_int() -> None:
    value = 16**250_000 - 1  # 301030 digits
    text = describe(value)

    assert text.startswith("an integer of at least ")
    bound = int(text.removeprefix("an integer of at least ").removesuffix(" digits"))
    assert 300_000 < bound <= 301_030


@contextmanager
def _unlimited_int_printing() -> Iterator[None]:
    previous = sys.get_int_max_str_digits()
    sys.set_int_max_str_digits(0)
    try:
        yield
    finally:
        sys.set_int_max_str_digits(previous)
