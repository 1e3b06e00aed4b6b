"""Exact statistics over money amounts: median, percentile, Gini, shares.

Every function takes and returns exact values (ints in quanta, Decimals or
Fractions) and rounds only where its docstring says so, half-even, to
:data:`RATIO_PLACES` decimal places.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from fractions import Fraction
from typing import Final

from ..money import EXACT_CONTEXT, allocate

__all__ = [
    "RATIO_PLACES",
    "fraction_to_ratio",
    "gini",
    "median_q",
    "percentile_q",
    "quanta_to_decimal",
    "ratio",
    "shares",
]

RATIO_PLACES: Final = 6
"""Decimal places of every share, ratio and Gini coefficient (rounded half-even)."""

_RATIO_SCALE: Final = 10**RATIO_PLACES
_HALF: Final = Fraction(1, 2)


def quanta_to_decimal(quanta: int | Fraction, quantum: Decimal) -> Decimal:
    """``quanta`` whole quanta as a Decimal with the quantum's exponent; a Fraction
    (a median's half quantum) keeps one more place."""
    if isinstance(quanta, Fraction):
        if quanta.denominator == 1:
            quanta = quanta.numerator
        else:
            # Only halves reach here (a median of two middle values).
            tenths = quanta * 10
            assert tenths.denominator == 1
            return EXACT_CONTEXT.multiply(
                Decimal(tenths.numerator), EXACT_CONTEXT.multiply(quantum, Decimal("0.1"))
            )
    return EXACT_CONTEXT.multiply(Decimal(quanta), quantum)


def fraction_to_ratio(value: Fraction) -> Decimal:
    """``value`` rounded half-even to RATIO_PLACES decimal places."""
    scaled = round(value * _RATIO_SCALE)  # Fraction.__round__ rounds half to even
    return Decimal(scaled).scaleb(-RATIO_PLACES, EXACT_CONTEXT)


def ratio(numerator: int | Fraction, denominator: int | Fraction) -> Decimal | None:
    """``numerator / denominator`` rounded half-even to RATIO_PLACES places, or None
    when the denominator is zero."""
    if not denominator:
        return None
    return fraction_to_ratio(Fraction(numerator) / Fraction(denominator))


def shares(parts: Sequence[int]) -> list[Decimal]:
    """Each part's share of their total, rounded to RATIO_PLACES places by largest
    remainder, so that the shares add up to exactly 1 (all zero when the total is).

    >>> [str(share) for share in shares([1, 1, 1])]
    ['0.333334', '0.333333', '0.333333']
    """
    if not sum(parts):
        return [Decimal(0).scaleb(-RATIO_PLACES, EXACT_CONTEXT) for _ in parts]
    return [
        Decimal(share).scaleb(-RATIO_PLACES, EXACT_CONTEXT)
        for share in allocate(_RATIO_SCALE, list(parts))
    ]


def median_q(ordered: Sequence[int]) -> Fraction:
    """The median of ascending values: the middle one, or the mean of the two middle
    ones (exact; half a quantum at most beyond the quantum); 0 for no values."""
    count = len(ordered)
    if not count:
        return Fraction(0)
    middle = count // 2
    if count % 2:
        return Fraction(ordered[middle])
    return (ordered[middle - 1] + ordered[middle]) * _HALF


def percentile_q(ordered: Sequence[int], percent: int) -> int:
    """The nearest-rank percentile of ascending values: the smallest value that at
    least ``percent`` percent of the values do not exceed; 0 for no values.

    >>> percentile_q([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 90)
    9
    """
    count = len(ordered)
    if not count:
        return 0
    rank = -(-percent * count // 100)  # ceiling without floats
    return ordered[max(rank, 1) - 1]


def gini(ordered: Sequence[int]) -> Decimal:
    """The Gini coefficient of ascending non-negative values, exact then rounded
    half-even to RATIO_PLACES places; 0 when every value is 0 or there are none.

    ``G = 2 * sum(i * x_i) / (n * sum(x)) - (n + 1) / n`` with ``i`` from 1.

    >>> str(gini([0, 0, 0, 10]))
    '0.750000'
    """
    count = len(ordered)
    total = sum(ordered)
    if not count or not total:
        return fraction_to_ratio(Fraction(0))
    weighted = sum(rank * value for rank, value in enumerate(ordered, start=1))
    return fraction_to_ratio(Fraction(2 * weighted, count * total) - Fraction(count + 1, count))
