"""Metrics of a plan on an event stream, and plans compared on the same stream.

:func:`measure` applies a stream to an in-memory book under a plan and returns
:class:`Metrics`: GMV, payouts (accrued, clawed back, net) and the payout ratio;
payouts by rule, level, role, month and trigger, for money and points apart;
income per participant (median, 90th percentile, Gini); whether gift-pack buyers
earned their price back; per guide and per store performance; and the
:class:`RegulatorMeasures` (how deep money flowed, how wide the tree grew, how
much was paid for recruitment).  :func:`compare` runs one stream through several
plans and lines up the headline figures with their differences.

Money is exact (``Decimal`` at the plan's quantum); shares, ratios and the Gini
coefficient are exact fractions rounded once, half-even, to 6 places.  Every
result has a plain-data form (``to_dict()``, ``tables()``, ``to_rows()``).
See ``docs/metrics.md`` for the definition of every figure.

One pass, bounded work per event: memory grows with participants, plus one small
record per order (the book itself keeps every order and entry).

>>> from socialcommerce_rules import load_plan
>>> from socialcommerce_rules.events import read_events
>>> plan = load_plan("examples/article_scheme.toml")
>>> events = [event for _, event in read_events(
...     "src/socialcommerce_rules/data/article_events.jsonl")]
>>> metrics = measure(plan, events)
>>> metrics.gmv, metrics.money.total.net, metrics.regulator.money_depth
(Decimal('1170.80'), Decimal('143.02'), 2)
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, tzinfo

from ..events import Event
from ..plan import Plan, PlanSet
from ._build import build_metrics
from ._collect import Collector
from ._compare import Comparison, ComparisonRow, line_up
from ._results import (
    EventCounts,
    Flow,
    GiftPackRecoup,
    GuidePerformance,
    IncomeDistribution,
    Metrics,
    MonthFigures,
    ParticipantIncome,
    Payouts,
    RegulatorMeasures,
    StorePerformance,
    Value,
)
from ._stats import RATIO_PLACES

__all__ = [
    "RATIO_PLACES",
    "Comparison",
    "ComparisonRow",
    "EventCounts",
    "Flow",
    "GiftPackRecoup",
    "GuidePerformance",
    "IncomeDistribution",
    "Metrics",
    "MonthFigures",
    "ParticipantIncome",
    "Payouts",
    "RegulatorMeasures",
    "StorePerformance",
    "Value",
    "compare",
    "measure",
    "regulator_measures",
]


def measure(plans: Plan | PlanSet, events: Iterable[Event], *, time_zone: tzinfo = UTC) -> Metrics:
    """Apply ``events`` in order to a new in-memory book under ``plans`` and measure.

    Events the book refuses are counted by error code (``metrics.events``) and
    skipped, never raised; redelivered events count as duplicates.

    Args:
        plans: the plan, or the set of its versions (one currency).
        events: the stream, in the order to apply it; read once.
        time_zone: where months are cut (payments on the 31st at 23:00 UTC fall in
            the next month in ``Asia/Shanghai``).

    Returns:
        The metrics of the whole stream.

    Raises:
        PlanError: the plan's versions use several currencies.
        InternalInvariantError: the book broke an invariant (a bug).

    >>> from socialcommerce_rules import load_plan
    >>> from socialcommerce_rules.events import event_from_mapping as e
    >>> at = "2026-01-05T09:00:00+08:00"
    >>> stream = [
    ...     e({"type": "participant_joined", "event_id": "j1", "at": at,
    ...        "participant": "guide-li", "role": "guide", "store": "s1"}),
    ...     e({"type": "participant_joined", "event_id": "j2", "at": at,
    ...        "participant": "zhao", "role": "member", "inviter": "guide-li"}),
    ...     e({"type": "order_paid", "event_id": "p1", "at": at, "order": {
    ...        "order_id": "o1", "buyer": "zhao", "paid_at": at, "currency": "CNY",
    ...        "items": [{"item_id": "1", "sku": "TEA", "unit_price": "100.00"}]}}),
    ...     e({"type": "order_refunded", "event_id": "r1", "at": at,
    ...        "order_id": "o9", "amount": "1.00"}),
    ... ]
    >>> metrics = measure(load_plan("examples/article_scheme.toml"), stream)
    >>> metrics.money.total.net, metrics.points.total.net, metrics.payout_ratio
    (Decimal('8.00'), Decimal('150'), Decimal('0.080000'))
    >>> dict(metrics.events.refused_by_code)
    {'event-not-ready': 1}
    """
    collector = Collector(plans, time_zone=time_zone)
    collector.feed(events)
    return build_metrics(collector)


def regulator_measures(
    plans: Plan | PlanSet, events: Iterable[Event], *, time_zone: tzinfo = UTC
) -> RegulatorMeasures:
    """The regulator's measures of a stream under a plan (``measure(...).regulator``).

    >>> from socialcommerce_rules import load_plan
    >>> from socialcommerce_rules.events import read_events
    >>> events = [event for _, event in read_events(
    ...     "src/socialcommerce_rules/data/article_events.jsonl")]
    >>> measures = regulator_measures(load_plan("examples/article_scheme.toml"), events)
    >>> measures.money_depth, measures.tree_depth, measures.participants
    (2, 3, 4)
    """
    return measure(plans, events, time_zone=time_zone).regulator


def compare(
    plans: Mapping[str, Plan | PlanSet] | Sequence[Plan | PlanSet],
    events: Iterable[Event],
    *,
    time_zone: tzinfo = UTC,
) -> Comparison:
    """Measure the same stream under each plan and line up the headline figures.

    The stream is read once into a list, then applied to a fresh book per plan.

    Args:
        plans: plans by name, or a sequence of plans (named ``"{id} v{version}"``,
            a repeated name getting `` (2)``, `` (3)``...).  The first is the
            reference the differences are taken against.
        events: the stream.
        time_zone: where months are cut.

    Returns:
        The comparison: ``rows`` of figures, ``to_text()`` for a table,
        ``to_rows()`` for plain data.

    >>> from socialcommerce_rules import load_plan
    >>> from socialcommerce_rules.events import read_events
    >>> events = [event for _, event in read_events(
    ...     "src/socialcommerce_rules/data/article_events.jsonl")]
    >>> comparison = compare({"article": load_plan("examples/article_scheme.toml"),
    ...     "two-level": load_plan("examples/two_level_variant.toml")}, events)
    >>> row = comparison.row("money.net")
    >>> row.values, row.differences[1]
    ((Decimal('143.02'), Decimal('59.25')), Decimal('-83.77'))
    """
    stream = list(events)
    named = _named(plans)
    return line_up([(name, measure(plan, stream, time_zone=time_zone)) for name, plan in named])


def _named(
    plans: Mapping[str, Plan | PlanSet] | Sequence[Plan | PlanSet],
) -> list[tuple[str, Plan | PlanSet]]:
    if isinstance(plans, Mapping):
        return [(str(name), plan) for name, plan in plans.items()]
    named: list[tuple[str, Plan | PlanSet]] = []
    seen: dict[str, int] = {}
    for plan in plans:
        if isinstance(plan, PlanSet):
            base = f"{plan.plan_id} v{'+'.join(str(version.version) for version in plan)}"
        else:
            base = f"{plan.id} v{plan.version}"
        seen[base] = seen.get(base, 0) + 1
        named.append((base if seen[base] == 1 else f"{base} ({seen[base]})", plan))
    return named
