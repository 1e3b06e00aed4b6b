"""Results as pandas DataFrames: metrics, comparisons, lint findings, evaluations.

Every frame is built from the plain data the results already give
(``Metrics.tables()``, ``Comparison.rows``, ``Finding.to_dict()``,
``Evaluation.lines``), so a frame holds exactly the figures the library computed:
amounts stay ``Decimal`` (pandas ``object`` columns), counts are integers, and
nothing is converted to float.  Plot coordinates are made elsewhere.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any, Literal

import pandas as pd

from ..compliance import PROFILES, Finding, Profile, lint
from ..engine import Evaluation
from ..metrics import Comparison, Metrics
from ..plan import Plan

__all__ = [
    "comparison_frame",
    "evaluation_frame",
    "findings_frame",
    "headline_frame",
    "income_frame",
    "lint_frame",
    "lint_summary_frame",
    "monthly_payouts_frame",
    "payouts_frame",
    "table_frame",
    "zero_like",
]

Slice = Literal["rule", "level", "role", "month", "trigger"]
_SLICES: tuple[Slice, ...] = ("rule", "level", "role", "month", "trigger")
_FLOW_COLUMNS = ("accrued", "clawed_back", "net", "lines")
_FINDING_COLUMNS = ("check", "severity", "path", "source", "message", "fix", "basis", "profile")
_LINE_COLUMNS = (
    "item_id",
    "beneficiary",
    "level",
    "role",
    "unit",
    "amount",
    "rule_id",
    "rule_level",
    "base",
    "rate",
    "fixed_amount",
    "capped_from",
    "path",
    "reason",
)


def zero_like(amount: Decimal) -> Decimal:
    """Zero with the places of ``amount`` (``0.00`` for a cent amount)."""
    exponent = amount.as_tuple().exponent
    return Decimal(0).scaleb(exponent if isinstance(exponent, int) else 0)


def _frame(rows: list[dict[str, Any]], columns: Iterable[str] | None = None) -> pd.DataFrame:
    """A frame of ``rows`` with ``columns`` in that order, even when there are no rows.

    Columns of whole numbers (counts, levels) get ``int64``; every other column
    stays ``object``, so Decimals stay Decimals and None stays None (not NaN).
    """
    names = list(columns) if columns is not None else list(rows[0]) if rows else []
    frame = pd.DataFrame(rows, columns=names, dtype=object)
    for name in names:
        values = frame[name]
        if len(values) and all(type(value) is int for value in values):
            frame[name] = values.astype("int64")
    return frame


def headline_frame(metrics: Metrics) -> pd.DataFrame:
    """The headline figures of one plan, one row per figure (``figure``, ``value``).

    >>> from socialcommerce_rules import load_plan
    >>> from socialcommerce_rules.events import read_events
    >>> from socialcommerce_rules.metrics import measure
    >>> events = [e for _, e in read_events("src/socialcommerce_rules/data/article_events.jsonl")]
    >>> article_metrics = measure(load_plan("examples/article_scheme.toml"), events)
    >>> from socialcommerce_rules.notebook import headline_frame
    >>> frame = headline_frame(article_metrics)
    >>> frame.set_index("figure").loc["money.net", "value"]
    Decimal('143.02')
    """
    rows = [{"figure": name, "value": value} for name, value in metrics.headline().items()]
    return _frame(rows, ("figure", "value"))


def payouts_frame(
    metrics: Metrics, by: Slice = "rule", *, unit: Literal["money", "points"] = "money"
) -> pd.DataFrame:
    """Payouts sliced ``by`` rule, level, role, month or trigger, for money or points.

    Columns: the slice key (named ``by``), ``unit``, ``accrued``, ``clawed_back``,
    ``net`` (exact Decimals) and ``lines``.

    Raises:
        ValueError: an unknown slice or unit.

    >>> from socialcommerce_rules import load_plan
    >>> from socialcommerce_rules.events import read_events
    >>> from socialcommerce_rules.metrics import measure
    >>> events = [e for _, e in read_events("src/socialcommerce_rules/data/article_events.jsonl")]
    >>> article_metrics = measure(load_plan("examples/article_scheme.toml"), events)
    >>> from socialcommerce_rules.notebook import payouts_frame
    >>> payouts_frame(article_metrics, "level")[["level", "net"]].to_dict("records")
    [{'level': 1, 'net': Decimal('126.22')}, {'level': 2, 'net': Decimal('16.80')}]
    """
    if by not in _SLICES:
        raise ValueError(f"by = {by!r} must be one of {', '.join(_SLICES)}")
    if unit not in ("money", "points"):
        raise ValueError(f"unit = {unit!r} must be 'money' or 'points'")
    payouts = metrics.money if unit == "money" else metrics.points
    return _frame(payouts.rows(by), (by, "unit", *_FLOW_COLUMNS))


def table_frame(metrics: Metrics, table: str) -> pd.DataFrame:
    """One of ``Metrics.tables()`` as a frame (``"guides"``, ``"months"``, ...).

    Raises:
        KeyError: no such table.
    """
    tables = metrics.tables()
    if table not in tables:
        raise KeyError(f"no table {table!r}; the tables are {', '.join(sorted(tables))}")
    return _frame(tables[table])


def income_frame(metrics: Metrics) -> pd.DataFrame:
    """Every participant at the end of the stream, in join order: ``participant``,
    ``role``, ``level``, ``store``, ``money_net`` and ``points_net`` (Decimals)."""
    rows = [
        {
            "participant": row.participant,
            "role": row.role,
            "level": row.level,
            "store": row.store,
            "money_net": row.money_net,
            "points_net": row.points_net,
        }
        for row in metrics.participants
    ]
    return _frame(rows, ("participant", "role", "level", "store", "money_net", "points_net"))


def comparison_frame(comparison: Comparison) -> pd.DataFrame:
    """A comparison as a wide frame indexed by figure.

    Columns: each plan's value, then for every plan after the first
    ``"<plan> difference"`` and ``"<plan> relative"`` against the first plan (exact
    values as the comparison holds them; None where undefined).

    >>> from socialcommerce_rules import load_plan
    >>> from socialcommerce_rules.events import read_events
    >>> from socialcommerce_rules.metrics import compare
    >>> events = [e for _, e in read_events("src/socialcommerce_rules/data/article_events.jsonl")]
    >>> article_comparison = compare({"article": load_plan("examples/article_scheme.toml"),
    ...     "two-level": load_plan("examples/two_level_variant.toml")}, events)
    >>> from socialcommerce_rules.notebook import comparison_frame
    >>> frame = comparison_frame(article_comparison)
    >>> frame.loc["money.net"].to_dict()
    {'article': Decimal('143.02'), 'two-level': Decimal('59.25'),
     'two-level difference': Decimal('-83.77'), 'two-level relative': Decimal('-0.585722')}
    """
    columns = list(comparison.plans)
    for plan in comparison.plans[1:]:
        columns += [f"{plan} difference", f"{plan} relative"]
    rows = []
    for row in comparison.rows:
        record: dict[str, Any] = {"figure": row.figure}
        for index, plan in enumerate(comparison.plans):
            record[plan] = row.values[index]
            if index:
                record[f"{plan} difference"] = row.differences[index]
                record[f"{plan} relative"] = row.relative[index]
        rows.append(record)
    return _frame(rows, ("figure", *columns)).set_index("figure")


def _named_metrics(results: Comparison | Mapping[str, Metrics] | Metrics) -> dict[str, Metrics]:
    if isinstance(results, Comparison):
        return {name: results.metrics[name] for name in results.plans}
    if isinstance(results, Metrics):
        return {results.plan_id: results}
    return dict(results)


def monthly_payouts_frame(results: Comparison | Mapping[str, Metrics] | Metrics) -> pd.DataFrame:
    """Net money paid per month of payment, one column per plan, indexed by month.

    A month a plan paid nothing in is zero (with the currency's places).
    """
    named = _named_metrics(results)
    months = sorted({month for metrics in named.values() for month in metrics.money.by_month})
    data: dict[str, list[Decimal]] = {}
    for name, metrics in named.items():
        zero = zero_like(metrics.money.total.net)
        by_month = metrics.money.by_month
        data[name] = [by_month[month].net if month in by_month else zero for month in months]
    return pd.DataFrame(data, index=pd.Index(months, name="month"), dtype=object)


def findings_frame(findings: Iterable[Finding]) -> pd.DataFrame:
    """Lint findings, one row each, in the order given (the lint's order).

    Columns: ``check``, ``severity``, ``path``, ``source``, ``message``, ``fix``,
    ``basis``, ``profile``.
    """
    return _frame([finding.to_dict() for finding in findings], _FINDING_COLUMNS)


def lint_frame(
    plans: Mapping[str, Plan], profiles: Iterable[str | Profile] = tuple(PROFILES)
) -> pd.DataFrame:
    """Lint several plans against several profiles: one row per finding.

    Columns: ``plan`` (the name given), then those of :func:`findings_frame`.
    A plan that passes a profile has no row for it; see
    :func:`lint_summary_frame` for the counts.
    """
    profile_list = list(profiles)
    rows = [
        {"plan": name, **finding.to_dict()}
        for name, plan in plans.items()
        for profile in profile_list
        for finding in lint(plan, profile)
    ]
    return _frame(rows, ("plan", *_FINDING_COLUMNS))


def lint_summary_frame(
    plans: Mapping[str, Plan], profiles: Iterable[str | Profile] = tuple(PROFILES)
) -> pd.DataFrame:
    """Findings counted by severity, one row per plan and profile.

    Columns: ``plan``, ``profile``, ``error``, ``warning``, ``info``.

    >>> from socialcommerce_rules.notebook import lint_summary_frame
    >>> from socialcommerce_rules import load_plan
    >>> frame = lint_summary_frame(
    ...     {"compliant": load_plan("examples/two_level_compliant.toml")},
    ...     ["wechat-distribution"])
    >>> frame.to_dict("records")
    [{'plan': 'compliant', 'profile': 'wechat-distribution', 'error': 0, 'warning': 0, 'info': 0}]
    """
    profile_list = list(profiles)
    rows = []
    for name, plan in plans.items():
        for profile in profile_list:
            findings = lint(plan, profile)
            label = profile.name if isinstance(profile, Profile) else str(profile)
            counts = {"error": 0, "warning": 0, "info": 0}
            for finding in findings:
                counts[finding.severity] += 1
            rows.append({"plan": name, "profile": label, **counts})
    return _frame(rows, ("plan", "profile", "error", "warning", "info"))


def evaluation_frame(evaluation: Evaluation) -> pd.DataFrame:
    """The payout lines of one evaluated order, one row each, in the engine's order.

    Columns: ``item_id``, ``beneficiary``, ``level``, ``role``, ``unit``,
    ``amount``, ``rule_id``, ``rule_level``, ``base``, ``rate``,
    ``fixed_amount``, ``capped_from`` (Decimals or None), ``path`` (the
    participants from the buyer up, joined by ``" > "``) and ``reason``.
    """
    rows = []
    for line in evaluation.lines:
        record = {column: getattr(line, column) for column in _LINE_COLUMNS}
        record["path"] = " > ".join(line.path)
        rows.append(record)
    return _frame(rows, _LINE_COLUMNS)
