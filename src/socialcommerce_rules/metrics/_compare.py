"""Two or more plans on one stream, side by side: the headline figures and their
differences against the first plan."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Any

from ..money import EXACT_CONTEXT, Rounding, format_decimal, round_to
from ._results import Metrics, Value, plain
from ._stats import ratio

__all__ = ["Comparison", "ComparisonRow", "line_up"]

_PERCENT_QUANTUM = Decimal("0.01")


@dataclass(frozen=True, slots=True)
class ComparisonRow:
    """One headline figure under every plan.

    Attributes:
        figure: the figure's name (see :meth:`Metrics.headline`).
        values: its value under each plan, in the comparison's order; a slice a
            plan does not have (a level nobody is paid at) is zero money, any
            other missing figure None.
        differences: ``value - first plan's value``, exact (0 for the first plan;
            None when either is None).
        relative: ``difference / first plan's value``, rounded half-even to 6
            places; None when the first value is zero or None.
    """

    figure: str
    values: tuple[Value, ...]
    differences: tuple[Value, ...]
    relative: tuple[Decimal | None, ...]


@dataclass(frozen=True, slots=True)
class Comparison:
    """The same stream measured under several plans.

    Attributes:
        plans: the plans' names, in order; the first is the reference.
        metrics: each plan's metrics, by name.
        rows: one row per headline figure.
    """

    plans: tuple[str, ...]
    metrics: Mapping[str, Metrics]
    rows: tuple[ComparisonRow, ...]

    def row(self, figure: str) -> ComparisonRow:
        """The row of one figure.

        Raises:
            KeyError: no plan has this figure.
        """
        for row in self.rows:
            if row.figure == figure:
                return row
        raise KeyError(figure)

    def to_rows(self) -> list[dict[str, Any]]:
        """Long plain rows, one per figure and plan: ``figure``, ``plan``, ``value``,
        ``difference``, ``relative`` (pivot them for a wide table)."""
        return [
            {
                "figure": row.figure,
                "plan": plan,
                "value": row.values[index],
                "difference": row.differences[index],
                "relative": row.relative[index],
            }
            for row in self.rows
            for index, plan in enumerate(self.plans)
        ]

    def to_dict(self) -> dict[str, Any]:
        """Plain data: the plans, the rows, and each plan's metrics."""
        return {
            "plans": list(self.plans),
            "rows": [plain(row) for row in self.rows],
            "metrics": {name: metrics.to_dict() for name, metrics in self.metrics.items()},
        }

    def to_text(self) -> str:
        """A readable table: each plan's value, then for the others the difference
        and the relative difference (in percent) against the first."""
        header = ["figure", self.plans[0]] if self.plans else ["figure"]
        for plan in self.plans[1:]:
            header += [plan, "difference", "relative"]
        table = [header]
        for row in self.rows:
            cells = [row.figure, *([_cell(row.values[0])] if self.plans else [])]
            for index in range(1, len(self.plans)):
                cells += [
                    _cell(row.values[index]),
                    _signed(row.differences[index]),
                    _percent(row.relative[index]),
                ]
            table.append(cells)
        widths = [max(len(line[column]) for line in table) for column in range(len(header))]
        lines = []
        for number, cells in enumerate(table):
            text = "  ".join(
                cell.ljust(width) if column == 0 else cell.rjust(width)
                for column, (cell, width) in enumerate(zip(cells, widths, strict=True))
            )
            lines.append(text.rstrip())
            if number == 0:
                lines.append("  ".join("-" * width for width in widths))
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.to_text()


def line_up(named: Sequence[tuple[str, Metrics]]) -> Comparison:
    """The comparison of metrics already measured on one stream."""
    figures = [metrics.headline() for _, metrics in named]
    order = _merged_order([list(headline) for headline in figures])
    rows = []
    for figure in order:
        values = tuple(
            _value(headline, figure, metrics)
            for headline, (_, metrics) in zip(figures, named, strict=True)
        )
        first = values[0]
        rows.append(
            ComparisonRow(
                figure,
                values,
                tuple(_difference(value, first) for value in values),
                tuple(_relative(value, first) for value in values),
            )
        )
    return Comparison(tuple(name for name, _ in named), dict(named), tuple(rows))


def _merged_order(lists: list[list[str]]) -> list[str]:
    """Every name once: the first list's order, others' new names placed after the
    name that precedes them in their own list."""
    order: list[str] = []
    for names in lists:
        previous: str | None = None
        for name in names:
            if name not in order:
                position = 0 if previous is None else order.index(previous) + 1
                order.insert(position, name)
            previous = name
    return order


def _value(headline: Mapping[str, Value], figure: str, metrics: Metrics) -> Value:
    if figure in headline:
        return headline[figure]
    if figure.startswith("money.net."):
        # A slice this plan does not pay: zero money, with the currency's places.
        return EXACT_CONTEXT.multiply(metrics.money.total.net, Decimal(0))
    return None


def _difference(value: Value, first: Value) -> Value:
    if isinstance(value, bool) or isinstance(first, bool):
        return None
    if isinstance(value, int) and isinstance(first, int):
        return value - first
    if isinstance(value, Decimal) and isinstance(first, Decimal):
        return EXACT_CONTEXT.subtract(value, first)
    return None


def _relative(value: Value, first: Value) -> Decimal | None:
    difference = _difference(value, first)
    if difference is None or isinstance(difference, str) or not first:
        return None
    assert isinstance(first, (int, Decimal))
    return ratio(Fraction(difference), Fraction(first))


def _cell(value: Value) -> str:
    if value is None:
        return "-"
    if isinstance(value, Decimal):
        return format_decimal(value)
    return str(value)


def _signed(value: Value) -> str:
    text = _cell(value)
    if isinstance(value, (int, Decimal)) and value > 0:
        return "+" + text
    return text


def _percent(value: Decimal | None) -> str:
    if value is None:
        return "-"
    percent = round_to(value.scaleb(2, EXACT_CONTEXT), _PERCENT_QUANTUM, Rounding.HALF_EVEN)
    return f"{'+' if percent > 0 else ''}{format_decimal(percent)}%"
