"""Discrete distributions a simulation draws whole numbers from.

Three shapes cover what a plan designer configures: :class:`PowerLaw` for heavy
tails (most invite 0-2 people, a few invite many), :class:`Weighted` for an
explicit table, :class:`Uniform` for a plain range.  Each is a frozen value,
checked when built; :func:`_sampler` turns one into a fast draw from a
:class:`random.Random`.  Draws are counts and days, never money.
"""

from __future__ import annotations

import bisect
import math
import random
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction

from ._errors import SimulationConfigError

__all__ = ["Distribution", "PowerLaw", "Uniform", "Weighted"]

_VALUES_MAX = 1_000_000
"""The widest range of values a distribution may have: its table is built in memory."""

_SLOTS_MAX = 4_096
"""The largest total weight a :class:`Weighted` table is drawn from by direct lookup."""

Sampler = Callable[[random.Random], int]


def _whole(value: object, field: str, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise SimulationConfigError(f"{value!r} is not a whole number", path=field)
    if value < minimum:
        raise SimulationConfigError(f"{value} must be at least {minimum}", path=field)
    return value


@dataclass(frozen=True, slots=True)
class PowerLaw:
    """A discrete power law on ``minimum..maximum``: heavy-tailed, capped.

    The value ``k`` has a weight of ``(k - minimum + 1) ** -exponent``: with an
    exponent of 2 and a minimum of 0, about 62% draw 0, 15% draw 1, 7% draw 2, and a
    few percent draw 10 or more, up to ``maximum``.

    Attributes:
        exponent: how fast the tail falls (above 0; larger, thinner tail).
        maximum: the largest value drawn (the cap).
        minimum: the smallest value drawn.

    >>> PowerLaw(exponent=2, maximum=50).probability(0) > 0.6
    True
    """

    exponent: float  # float-ok: the shape of a distribution of counts, never money
    maximum: int
    minimum: int = 0

    def __post_init__(self) -> None:
        exponent = self.exponent
        # float-ok: an exponent (the shape of a distribution) is not money
        if isinstance(exponent, bool) or not isinstance(exponent, (int, float)):
            raise SimulationConfigError(f"{exponent!r} is not a number", path="exponent")
        if not math.isfinite(exponent) or not 0 < exponent <= 100:
            raise SimulationConfigError(
                f"exponent = {exponent} must be above 0 and at most 100", path="exponent"
            )
        _whole(self.minimum, "minimum", 0)
        _whole(self.maximum, "maximum", self.minimum)
        if self.maximum - self.minimum >= _VALUES_MAX:
            raise SimulationConfigError(
                f"maximum - minimum = {self.maximum - self.minimum} must be below {_VALUES_MAX}",
                path="maximum",
            )

    def _weights(self) -> list[float]:  # float-ok: probabilities of counts
        return [
            float(k - self.minimum + 1) ** -self.exponent  # float-ok: as above
            for k in range(self.minimum, self.maximum + 1)
        ]

    def probability(self, value: int) -> float:  # float-ok: a probability, not money
        """The probability of drawing ``value``."""
        if not self.minimum <= value <= self.maximum:
            return 0.0
        weights = self._weights()
        return weights[value - self.minimum] / math.fsum(weights)

    def mean(self) -> float:  # float-ok: an expected count, not money
        """The expected value of a draw."""
        weights = self._weights()
        return math.fsum(
            (self.minimum + index) * weight for index, weight in enumerate(weights)
        ) / math.fsum(weights)


@dataclass(frozen=True, slots=True)
class Weighted:
    """An explicit table: ``values[i]`` is drawn with weight ``weights[i]``.

    Integer weights keep the draw exact: ``Weighted((1, 2, 3), (6, 3, 1))`` draws
    1 six times in ten.

    Attributes:
        values: the values, whole numbers of at least 0.
        weights: one positive whole weight per value.

    >>> Weighted((1, 2, 3), (6, 3, 1)).mean()
    Fraction(3, 2)
    """

    values: tuple[int, ...]
    weights: tuple[int, ...]

    def __post_init__(self) -> None:
        if not isinstance(self.values, tuple) or not self.values:
            raise SimulationConfigError("give a non-empty tuple of values", path="values")
        if not isinstance(self.weights, tuple) or len(self.weights) != len(self.values):
            raise SimulationConfigError("give one weight per value", path="weights")
        if len(self.values) > _VALUES_MAX:
            raise SimulationConfigError(f"more than {_VALUES_MAX} values", path="values")
        for index, value in enumerate(self.values):
            _whole(value, f"values[{index}]", 0)
        for index, weight in enumerate(self.weights):
            _whole(weight, f"weights[{index}]", 1)

    @property
    def minimum(self) -> int:
        """The smallest value drawn."""
        return min(self.values)

    @property
    def maximum(self) -> int:
        """The largest value drawn."""
        return max(self.values)

    def mean(self) -> Fraction:
        """The expected value of a draw, exactly."""
        total = sum(self.weights)
        return Fraction(sum(v * w for v, w in zip(self.values, self.weights, strict=True)), total)


@dataclass(frozen=True, slots=True)
class Uniform:
    """Every whole number in ``minimum..maximum`` equally likely.

    Attributes:
        minimum: the smallest value drawn (at least 0).
        maximum: the largest value drawn.

    >>> Uniform(1, 5).mean()
    Fraction(3, 1)
    """

    minimum: int
    maximum: int

    def __post_init__(self) -> None:
        _whole(self.minimum, "minimum", 0)
        _whole(self.maximum, "maximum", self.minimum)

    def mean(self) -> Fraction:
        """The expected value of a draw, exactly."""
        return Fraction(self.minimum + self.maximum, 2)


Distribution = PowerLaw | Weighted | Uniform
"""Any distribution of whole numbers a simulation parameter accepts."""


def _sampler(distribution: Distribution) -> Sampler:
    """A function drawing one value from ``distribution`` with a given generator."""
    if isinstance(distribution, Uniform):
        low, high = distribution.minimum, distribution.maximum
        if low == high:
            return lambda rng: low
        width = high - low + 1
        # float-ok: a uniform draw of a count (randint is several times slower).
        return lambda rng: low + int(rng.random() * width)
    if isinstance(distribution, Weighted):
        values = distribution.values
        cumulative = _running_totals(list(distribution.weights))
        total = cumulative[-1]
        if len(values) == 1:
            only = values[0]
            return lambda rng: only
        if total <= _SLOTS_MAX:
            # One slot per unit of weight: slot k holds the value whose running
            # total first exceeds k, the value the search below finds for k.
            slots = [
                value
                for value, weight in zip(values, distribution.weights, strict=True)
                for _ in range(weight)
            ]
            # float-ok: a uniform whole number below the total weight, its slot's value.
            return lambda rng: slots[int(rng.random() * total)]
        # float-ok: a uniform whole number below the total weight, located in the totals.
        return lambda rng: values[bisect.bisect_right(cumulative, int(rng.random() * total))]
    first = distribution.minimum
    weights = distribution._weights()
    running = 0.0  # float-ok: cumulative probabilities of counts
    bounds = []
    for weight in weights:
        running += weight
        bounds.append(running)
    scale = bounds[-1]
    # A draw rounded up to the scale itself takes the last value: the last bound is
    # made infinite, so that the search never goes past it.
    bounds[-1] = math.inf
    # float-ok: a uniform draw located among cumulative weights (counts, not money).
    return lambda rng: first + bisect.bisect_right(bounds, rng.random() * scale)


def _running_totals(weights: list[int]) -> list[int]:
    totals = []
    running = 0
    for weight in weights:
        running += weight
        totals.append(running)
    return totals
