"""The statistics against plain definitions written with Fractions."""

from __future__ import annotations

import statistics
from decimal import Decimal
from fractions import Fraction

from hypothesis import given
from hypothesis import strategies as st

from socialcommerce_rules.metrics._stats import (
    gini,
    median_q,
    percentile_q,
    quanta_to_decimal,
    ratio,
    shares,
)

incomes = st.lists(st.integers(0, 10**9), max_size=60).map(sorted)


def _gini_by_definition(values: list[int]) -> Fraction:
    """Mean absolute difference over all pairs, divided by twice the mean."""
    count, total = len(values), sum(values)
    if not count or not total:
        return Fraction(0)
    pairs = sum(abs(a - b) for a in values for b in values)
    return Fraction(pairs, 2 * count * total)


@given(incomes)
def test_gini_is_the_pairwise_definition_rounded_half_even(values: list[int]) -> None:
    exact = _gini_by_definition(values)

    assert gini(values) == Decimal(round(exact * 10**6)).scaleb(-6)
    assert abs(Fraction(gini(values)) - exact) <= Fraction(1, 2 * 10**6)


@given(incomes)
def test_median_is_the_statistics_median(values: list[int]) -> None:
    expected = statistics.median([Fraction(v) for v in values]) if values else Fraction(0)

    assert median_q(values) == expected


@given(incomes, st.integers(1, 100))
def test_percentile_is_the_smallest_value_covering_the_percent(
    values: list[int], percent: int
) -> None:
    result = percentile_q(values, percent)

    if not values:
        assert result == 0
        return
    assert result in values
    assert 100 * sum(1 for v in values if v <= result) >= percent * len(values)
    assert all(
        100 * sum(1 for v in values if v <= lower) < percent * len(values)
        for lower in values
        if lower < result
    )


@given(st.lists(st.integers(0, 10**12), min_size=1, max_size=5))
def test_shares_add_up_to_exactly_one_and_stay_within_a_millionth(parts: list[int]) -> None:
    result = shares(parts)

    total = sum(parts)
    if not total:
        assert result == [Decimal(0)] * len(parts)
        return
    assert sum(result, Decimal(0)) == 1
    for share, part in zip(result, parts, strict=True):
        assert abs(Fraction(share) - Fraction(part, total)) < Fraction(1, 10**6)


def test_ratio_rounds_half_even_and_is_none_over_zero() -> None:
    assert ratio(1, 8_000_000) == Decimal("0.000000")  # 0.000000125 -> down
    assert ratio(5, 8_000_000) == Decimal("0.000001")  # 0.000000625 -> up
    assert ratio(1, 2_000_000) == Decimal("0.000000")  # exactly half -> even
    assert ratio(3, 2_000_000) == Decimal("0.000002")
    assert ratio(1, 0) is None


def test_a_median_of_two_middle_quanta_keeps_its_half_quantum() -> None:
    assert str(quanta_to_decimal(median_q([1, 2]), Decimal("0.01"))) == "0.015"
    assert str(quanta_to_decimal(median_q([2, 4]), Decimal("0.01"))) == "0.03"
