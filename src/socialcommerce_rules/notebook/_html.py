"""Rich HTML for Jupyter: plans, evaluations, metrics, comparisons and findings.

Each function returns an HTML string (every value escaped, amounts printed
exactly).  :func:`register` makes Jupyter show the library's objects this way
without changing their classes: it adds formatters to IPython's display system.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from decimal import Decimal
from html import escape
from typing import Any

from ..compliance import Finding
from ..engine import Evaluation
from ..metrics import Comparison, Metrics
from ..money import EXACT_CONTEXT, Rounding, format_decimal, round_to
from ..plan import DifferentialRule, LevelRule, Plan, PlanSet, PointsLevel, PointsRule

__all__ = [
    "comparison_html",
    "evaluation_html",
    "findings_html",
    "html",
    "metrics_html",
    "plan_html",
    "register",
]

_STYLE = (
    "<style>.scr-table{border-collapse:collapse;font-size:12px;margin:4px 0}"
    ".scr-table th,.scr-table td{border:1px solid #ccc;padding:2px 6px;text-align:left}"
    ".scr-table td.num{text-align:right;font-variant-numeric:tabular-nums}"
    ".scr-up{color:#1a7f37}.scr-down{color:#b42318}"
    ".scr-error{color:#b42318;font-weight:bold}.scr-warning{color:#9a6700}</style>"
)
_PERCENT = Decimal("0.01")


def _cell(value: object) -> str:
    if value is None:
        return "–"
    if isinstance(value, Decimal):
        return format_decimal(value)
    return escape(str(value))


def _table(header: Sequence[str], rows: Iterable[Sequence[object]], numeric: set[int]) -> str:
    head = "".join(f"<th>{escape(name)}</th>" for name in header)
    body = []
    for row in rows:
        cells = "".join(
            f'<td class="num">{_cell(value)}</td>'
            if index in numeric
            else f"<td>{_cell(value)}</td>"
            for index, value in enumerate(row)
        )
        body.append(f"<tr>{cells}</tr>")
    return f'<table class="scr-table"><tr>{head}</tr>{"".join(body)}</table>'


def _rule_terms(rule: LevelRule | DifferentialRule | PointsRule) -> str:
    if isinstance(rule, DifferentialRule):
        rates = ", ".join(f"{role} {format_decimal(rate)}" for role, rate in rule.rates.items())
        buyer = " (buyer included)" if rule.include_buyer else ""
        return f"differential: {rates}{buyer}"
    parts = []
    for level in rule.levels:
        if isinstance(level, PointsLevel):
            terms = {
                role: f"{format_decimal(points)} points" for role, points in level.points.items()
            }
        else:
            terms = {role: format_decimal(rate) for role, rate in (level.rates or {}).items()}
            terms |= {
                role: f"{format_decimal(amount)} fixed"
                for role, amount in (level.amounts or {}).items()
            }
        parts.append(
            f"level {level.level}: " + ", ".join(f"{role} {term}" for role, term in terms.items())
        )
    return "; ".join(parts)


def _scope(rule: LevelRule | DifferentialRule | PointsRule) -> str:
    parts = []
    for name in ("skus", "categories", "exclude_skus", "exclude_categories"):
        values = getattr(rule, name)
        if values:
            parts.append(f"{name.replace('_', ' ')}: {', '.join(values)}")
    return "; ".join(parts) or "all items"


def _one_plan_html(plan: Plan) -> str:
    summary = (
        f"<b>{escape(plan.id)}</b> v{plan.version} from {escape(plan.effective_from.isoformat())}"
        f" · {escape(plan.currency)} (quantum {format_decimal(plan.quantum)},"
        f" rounding {escape(str(plan.rounding))}) · max_depth {plan.max_depth}"
        f" · ineligible {escape(plan.ineligible)}"
        f" · order cap {format_decimal(plan.caps.order_ratio)}"
    )
    roles = _table(
        ("role", "rank", "earns"),
        ((role.name, role.rank, role.earns) for role in plan.roles),
        {1},
    )
    rules = _table(
        ("rule", "kind", "applies to", "terms"),
        (
            (
                rule.id + (" (" + rule.trigger + ")" if isinstance(rule, PointsRule) else ""),
                rule.kind,
                _scope(rule),
                _rule_terms(rule),
            )
            for rule in plan.rules
        ),
        set(),
    )
    parts = [f"<p>{summary}</p>"]
    if plan.description:
        parts.append(f"<p><i>{escape(plan.description)}</i></p>")
    parts += [roles, rules]
    if plan.gift_packs:
        parts.append(
            _table(
                ("gift pack", "becomes", "goods value"),
                ((pack.sku, pack.becomes, pack.goods_value) for pack in plan.gift_packs),
                {2},
            )
        )
    return "".join(parts)


def plan_html(plan: Plan | PlanSet) -> str:
    """A plan (or every version of a plan set) as HTML: terms, roles, rules, gift packs.

    >>> from socialcommerce_rules import load_plan
    >>> from socialcommerce_rules.notebook import plan_html
    >>> text = plan_html(load_plan("examples/article_scheme.toml"))
    >>> "sales-commission" in text and "GIFT-399" in text and "maker 0.10" in text
    True
    """
    versions = list(plan) if isinstance(plan, PlanSet) else [plan]
    return (
        _STYLE + "<div>" + "<hr>".join(_one_plan_html(version) for version in versions) + "</div>"
    )


def evaluation_html(evaluation: Evaluation) -> str:
    """One evaluated order as HTML: who is credited, the totals, and every line.

    >>> from socialcommerce_rules import load_plan
    >>> from socialcommerce_rules.book import Book
    >>> from socialcommerce_rules.events import read_events
    >>> from socialcommerce_rules.notebook import evaluation_html
    >>> book = Book(load_plan("examples/article_scheme.toml"))
    >>> outcomes = [book.apply(event) for _, event in
    ...     read_events("src/socialcommerce_rules/data/article_events.jsonl")]
    >>> evaluation = next(o.evaluation for o in outcomes if o.evaluation is not None)
    >>> str(evaluation.paid) in evaluation_html(evaluation)
    True
    """
    owner = evaluation.performance_owner
    summary = (
        f"<p><b>order {escape(evaluation.order_id)}</b> by {escape(evaluation.buyer)}"
        f" at {escape(evaluation.paid_at.isoformat())} · plan {escape(evaluation.plan_id)}"
        f" v{evaluation.plan_version} · credited to {_cell(owner)}"
        f" (store {_cell(evaluation.store)})<br>"
        f"base {format_decimal(evaluation.base)} · pool {format_decimal(evaluation.pool)}"
        f" · paid {format_decimal(evaluation.paid)} {escape(evaluation.currency)}"
        f" · merchant keeps {format_decimal(evaluation.merchant_kept)}"
        f" · points {format_decimal(evaluation.points)}</p>"
    )
    lines = _table(
        ("beneficiary", "level", "role", "rule", "item", "amount", "unit", "reason"),
        (
            (
                line.beneficiary,
                line.level,
                line.role,
                line.rule_id,
                line.item_id,
                line.amount,
                line.unit,
                line.reason,
            )
            for line in evaluation.lines
        ),
        {1, 5},
    )
    return _STYLE + summary + lines


def _percent(value: Decimal | None) -> str:
    if value is None:
        return "–"
    percent = round_to(value.scaleb(2, EXACT_CONTEXT), _PERCENT, Rounding.HALF_EVEN)
    sign = "+" if percent > 0 else ""
    css = "scr-up" if percent > 0 else "scr-down" if percent < 0 else ""
    return f'<span class="{css}">{sign}{format_decimal(percent)}%</span>'


def comparison_html(comparison: Comparison) -> str:
    """A comparison as an HTML table: each plan's value, differences and relative
    differences (in percent) against the first plan.

    >>> from socialcommerce_rules import load_plan
    >>> from socialcommerce_rules.events import read_events
    >>> from socialcommerce_rules.metrics import compare
    >>> from socialcommerce_rules.notebook import comparison_html
    >>> events = [e for _, e in read_events("src/socialcommerce_rules/data/article_events.jsonl")]
    >>> comparison = compare({"article": load_plan("examples/article_scheme.toml"),
    ...     "two-level": load_plan("examples/two_level_variant.toml")}, events)
    >>> text = comparison_html(comparison)
    >>> "143.02" in text and "-83.77" in text and "-58.57%" in text
    True
    """
    header = ["figure", comparison.plans[0]] if comparison.plans else ["figure"]
    for plan in comparison.plans[1:]:
        header += [plan, "difference", "relative"]
    head = "".join(f"<th>{escape(name)}</th>" for name in header)
    body = []
    for row in comparison.rows:
        cells = [f"<td>{escape(row.figure)}</td>"]
        for index in range(len(comparison.plans)):
            cells.append(f'<td class="num">{_cell(row.values[index])}</td>')
            if index:
                difference = row.differences[index]
                sign = "+" if isinstance(difference, (int, Decimal)) and difference > 0 else ""
                cells.append(f'<td class="num">{sign}{_cell(difference)}</td>')
                cells.append(f'<td class="num">{_percent(row.relative[index])}</td>')
        body.append(f"<tr>{''.join(cells)}</tr>")
    return _STYLE + f'<table class="scr-table"><tr>{head}</tr>{"".join(body)}</table>'


def metrics_html(metrics: Metrics) -> str:
    """One plan's metrics as HTML: the key figures, then payouts by level and rule.

    >>> from socialcommerce_rules import load_plan
    >>> from socialcommerce_rules.events import read_events
    >>> from socialcommerce_rules.metrics import measure
    >>> from socialcommerce_rules.notebook import metrics_html
    >>> events = [e for _, e in read_events("src/socialcommerce_rules/data/article_events.jsonl")]
    >>> text = metrics_html(measure(load_plan("examples/article_scheme.toml"), events))
    >>> "1170.80" in text and "0.160175" in text
    True
    """
    measures = metrics.regulator
    key = [
        ("orders", metrics.orders),
        ("GMV", metrics.gmv),
        ("GMV net", metrics.gmv_net),
        ("money paid, net", metrics.money.total.net),
        ("payout ratio", metrics.payout_ratio),
        ("points, net", metrics.points.total.net),
        ("income median", metrics.income.median),
        ("income p90", metrics.income.p90),
        ("income Gini", metrics.income.gini),
        ("makers who recouped the gift pack", metrics.gift_packs.share),
        ("money depth", measures.money_depth),
        ("tree depth", measures.tree_depth),
        ("recruitment share", measures.recruitment_share),
        ("own purchase share", measures.own_purchase_share),
        ("retail share", measures.retail_share),
    ]
    title = (
        f"<p><b>{escape(metrics.plan_id)}</b> v"
        f"{'+'.join(str(version) for version in metrics.plan_versions)}"
        f" · {escape(metrics.currency)} · {metrics.events.applied} events applied,"
        f" {metrics.events.refused} refused</p>"
    )
    flows: list[tuple[Any, ...]] = [
        (f"level {level}", flow.accrued, flow.clawed_back, flow.net, flow.lines)
        for level, flow in metrics.money.by_level.items()
    ] + [
        (f"rule {rule}", flow.accrued, flow.clawed_back, flow.net, flow.lines)
        for rule, flow in metrics.money.by_rule.items()
    ]
    return (
        _STYLE
        + title
        + _table(("figure", "value"), key, {1})
        + _table(("money by", "accrued", "clawed back", "net", "lines"), flows, {1, 2, 3, 4})
    )


def findings_html(findings: Iterable[Finding]) -> str:
    """Lint findings as an HTML table (severity, check, path, message, fix);
    a plain sentence when there are none.

    >>> from socialcommerce_rules import load_plan
    >>> from socialcommerce_rules.compliance import lint
    >>> from socialcommerce_rules.notebook import findings_html
    >>> text = findings_html(lint(load_plan("examples/article_scheme.toml"), "wechat-distribution"))
    >>> text.count('class="scr-error"')
    3
    """
    rows = []
    for finding in findings:
        rows.append(
            f'<tr><td class="scr-{finding.severity}">{escape(finding.severity)}</td>'
            f"<td>{escape(finding.check)}</td><td>{escape(finding.path)}</td>"
            f"<td>{escape(finding.message)}</td><td>{escape(finding.fix)}</td></tr>"
        )
    if not rows:
        return "<p>No findings: the plan passes every check of the profile.</p>"
    head = "".join(f"<th>{name}</th>" for name in ("severity", "check", "path", "message", "fix"))
    return _STYLE + f'<table class="scr-table"><tr>{head}</tr>{"".join(rows)}</table>'


def html(value: object) -> str:
    """The HTML of a plan, plan set, evaluation, metrics, comparison, finding or
    list of findings.

    Raises:
        TypeError: a value of another type.

    >>> from socialcommerce_rules import load_plan
    >>> from socialcommerce_rules.notebook import html
    >>> html(load_plan("examples/two_level_compliant.toml")).count("<table")
    2
    """
    if isinstance(value, (Plan, PlanSet)):
        return plan_html(value)
    if isinstance(value, Evaluation):
        return evaluation_html(value)
    if isinstance(value, Metrics):
        return metrics_html(value)
    if isinstance(value, Comparison):
        return comparison_html(value)
    if isinstance(value, Finding):
        return findings_html([value])
    if isinstance(value, (list, tuple)) and all(isinstance(item, Finding) for item in value):
        return findings_html(value)
    raise TypeError(f"no HTML for a {type(value).__name__}")


def _figure_png(figure: Any) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=100, metadata={"Software": None})
    return buffer.getvalue()


def register(ipython: Any = None) -> bool:
    """Show plans, evaluations, metrics, comparisons and findings as HTML in Jupyter,
    and matplotlib figures as PNG, through IPython's display formatters.

    Nothing changes in the library's classes: the formatters are added to the
    running IPython shell (or to ``ipython`` when given) only.

    Returns:
        True when the formatters were registered, False outside IPython.

    >>> from socialcommerce_rules.notebook import register
    >>> register()  # not in IPython here
    False
    """
    shell = ipython
    if shell is None:
        try:
            from IPython import get_ipython
        except ImportError:
            return False
        shell = get_ipython()
        if shell is None:
            return False
    formatters = shell.display_formatter.formatters
    html_formatter = formatters["text/html"]
    for kind, function in (
        (Plan, plan_html),
        (PlanSet, plan_html),
        (Evaluation, evaluation_html),
        (Metrics, metrics_html),
        (Comparison, comparison_html),
        (Finding, lambda finding: findings_html([finding])),
    ):
        html_formatter.for_type(kind, function)
    from matplotlib.figure import Figure

    formatters["image/png"].for_type(Figure, _figure_png)
    return True
