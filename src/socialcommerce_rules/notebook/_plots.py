"""Ready-made plots of metrics, comparisons and evaluations, as matplotlib Axes.

Figures are built with :class:`matplotlib.figure.Figure` directly, never through
``pyplot``: no backend is chosen, no global figure registry is touched and no
``rcParams`` are changed, so the plots work the same headless (rendered by Agg
when saved) and in Jupyter.  Pass ``ax=`` to draw into an Axes of your own.

Amounts become floats only as plot coordinates; every label that shows an
amount prints the exact Decimal.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from pathlib import Path

from matplotlib.axes import Axes
from matplotlib.figure import Figure

from ..engine import Evaluation
from ..graph import ReferralGraph
from ..metrics import Comparison, Metrics
from ..money import EXACT_CONTEXT, exact_sum, format_decimal
from ._frames import _named_metrics, zero_like

__all__ = [
    "plot_depth_histogram",
    "plot_income_distribution",
    "plot_monthly_payouts",
    "plot_payout_waterfall",
    "plot_subtree",
    "save_figure",
]

Results = Comparison | Mapping[str, Metrics] | Metrics

# A fixed palette (colour-blind friendly), so plots look the same everywhere.
_PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442")
_ROLE_COLOURS = {"guide": "#0072B2", "maker": "#E69F00", "member": "#009E73"}
_OTHER_ROLE = "#999999"


def _coordinate(amount: Decimal) -> float:  # float-ok: plot coordinate, not money
    return float(amount)  # float-ok: plot coordinate


def _axes(ax: Axes | None, size: tuple[float, float]) -> Axes:
    if ax is not None:
        return ax
    figure = Figure(figsize=size, layout="constrained")
    return figure.add_subplot()


def save_figure(figure: Figure, path: str | Path, *, dpi: int = 100) -> Path:
    """Save a figure as PNG, byte for byte the same on every run.

    The file carries no software version or date, so a plot saved again from the
    same data is the same file.

    Returns:
        The path written.

    >>> import tempfile
    >>> from matplotlib.figure import Figure
    >>> from socialcommerce_rules.notebook import save_figure
    >>> figure = Figure(figsize=(2, 2))
    >>> _ = figure.add_subplot().plot([0, 1], [0, 1])
    >>> with tempfile.TemporaryDirectory() as directory:
    ...     path = save_figure(figure, f"{directory}/line.png")
    ...     path.read_bytes()[:4]
    b'\\x89PNG'
    """
    target = Path(path)
    figure.savefig(target, format="png", dpi=dpi, metadata={"Software": None})
    return target


def plot_income_distribution(
    results: Results, *, ax: Axes | None = None, earners_only: bool = False
) -> Axes:
    """Income per participant, highest first, one line per plan.

    The x axis is the participant's rank as a share of the population (0% is the
    top earner), the y axis their net money income (symmetric-log scale, since a
    few earn most).  A steep drop on the left means a few take most of the money.

    Args:
        results: one plan's metrics, metrics by plan name, or a comparison.
        ax: an Axes to draw in (default: a new figure's).
        earners_only: leave out participants who earned nothing.

    Returns:
        The Axes; each plan's line carries its name as label.
    """
    axes = _axes(ax, (7.0, 4.0))
    for index, (name, metrics) in enumerate(_named_metrics(results).items()):
        incomes = sorted((row.money_net for row in metrics.participants), reverse=True)
        if earners_only:
            incomes = [income for income in incomes if income > 0]
        count = len(incomes)
        shares = [100 * (rank + 0.5) / count for rank in range(count)]  # float-ok: plot coordinate
        axes.step(
            shares,
            [_coordinate(income) for income in incomes],
            where="mid",
            label=f"{name} (median {format_decimal(metrics.income.median)}, "
            f"Gini {format_decimal(metrics.income.gini)})",
            color=_PALETTE[index % len(_PALETTE)],
        )
    axes.set_yscale("symlog", linthresh=1.0)
    axes.set_xlabel("participants ranked by income (% of population)")
    axes.set_ylabel("net money income")
    axes.set_title("Income distribution")
    axes.legend(loc="upper right", fontsize="small")
    axes.grid(True, alpha=0.3)
    return axes


def plot_payout_waterfall(evaluation: Evaluation, *, ax: Axes | None = None) -> Axes:
    """Where one order's commission base goes: each money line, then what stays.

    The first bar is the order's base; every beneficiary's money steps down by
    its amount (the lines of all items added up per beneficiary, level and rule,
    in the order the lines come); the last bar is what the merchant keeps of the
    base.  Points lines are left out (another unit).

    Returns:
        The Axes; bar ``i`` is a patch whose height is the amount of step ``i``.
    """
    steps = _steps(evaluation)
    axes = _axes(ax, (max(7.0, 1.3 * (len(steps) + 2)), 4.0))
    rules = {rule for _, _, rule, _, _ in steps}
    labels = ["commission base"]
    bottoms = [0.0]
    heights = [_coordinate(evaluation.base)]
    texts = [format_decimal(evaluation.base)]
    remaining = evaluation.base
    for beneficiary, level, rule, role, amount in steps:
        remaining = EXACT_CONTEXT.subtract(remaining, amount)
        label = f"{beneficiary}\n{role}, level {level}"
        labels.append(label + (f"\n{rule}" if len(rules) > 1 else ""))
        bottoms.append(_coordinate(remaining))
        heights.append(_coordinate(amount))
        texts.append(f"-{format_decimal(amount)}")
    labels.append("merchant keeps")
    bottoms.append(0.0)
    heights.append(_coordinate(remaining))
    texts.append(format_decimal(remaining))
    colours = ["#999999"] + [_ROLE_COLOURS.get(step[3], _OTHER_ROLE) for step in steps]
    colours.append("#555555")
    positions = list(range(len(labels)))
    bars = axes.bar(positions, heights, bottom=bottoms, color=colours, edgecolor="black")
    for bar, text in zip(bars, texts, strict=True):
        axes.annotate(
            text,
            (bar.get_x() + bar.get_width() / 2, bar.get_y() + bar.get_height()),
            ha="center",
            va="bottom",
            fontsize="small",
        )
    axes.set_xticks(positions, labels, fontsize="small")
    axes.set_ylabel(f"{evaluation.currency}")
    axes.set_title(
        f"Order {evaluation.order_id} by {evaluation.buyer}: "
        f"{format_decimal(evaluation.paid)} of {format_decimal(evaluation.base)} paid out"
    )
    return axes


def _steps(evaluation: Evaluation) -> list[tuple[str, int, str, str, Decimal]]:
    """Money lines added up per (beneficiary, level, rule), in first-line order."""
    amounts: dict[tuple[str, int, str], list[Decimal]] = {}
    roles: dict[tuple[str, int, str], str] = {}
    for line in evaluation.lines:
        if line.unit == evaluation.currency:
            key = (line.beneficiary, line.level, line.rule_id)
            amounts.setdefault(key, []).append(line.amount)
            roles.setdefault(key, line.role)
    return [(*key, roles[key], exact_sum(values)) for key, values in amounts.items()]


def plot_depth_histogram(results: Results, *, ax: Axes | None = None) -> Axes:
    """Net money paid at each level above the buyer, grouped bars per plan.

    Level 0 is the buyer's own purchase.  Bars of plan ``i`` are the ``i``-th
    bar container of the Axes, one bar per level in ascending order.
    """
    axes = _axes(ax, (7.0, 4.0))
    named = _named_metrics(results)
    levels = sorted({level for metrics in named.values() for level in metrics.money.by_level})
    width = 0.8 / max(1, len(named))
    for index, (name, metrics) in enumerate(named.items()):
        zero = zero_like(metrics.money.total.net)
        by_level = metrics.money.by_level
        nets = [by_level[level].net if level in by_level else zero for level in levels]
        offset = (index - (len(named) - 1) / 2) * width
        axes.bar(
            [level + offset for level in levels],
            [_coordinate(net) for net in nets],
            width=width,
            label=name,
            color=_PALETTE[index % len(_PALETTE)],
        )
    axes.set_xticks(levels, [f"level {level}" for level in levels])
    axes.set_ylabel("net money paid")
    axes.set_title("How deep the money flows")
    axes.legend(fontsize="small")
    return axes


def plot_monthly_payouts(results: Results, *, ax: Axes | None = None) -> Axes:
    """Net money paid per month of payment, one line per plan (in the results' order)."""
    axes = _axes(ax, (7.0, 4.0))
    named = _named_metrics(results)
    months = sorted({month for metrics in named.values() for month in metrics.money.by_month})
    positions = list(range(len(months)))
    for index, (name, metrics) in enumerate(named.items()):
        zero = zero_like(metrics.money.total.net)
        by_month = metrics.money.by_month
        nets = [by_month[month].net if month in by_month else zero for month in months]
        axes.plot(
            positions,
            [_coordinate(net) for net in nets],
            marker="o",
            label=name,
            color=_PALETTE[index % len(_PALETTE)],
        )
    axes.set_xticks(positions, months, rotation=45, ha="right", fontsize="small")
    axes.set_ylabel("net money paid")
    axes.set_title("Payouts by month of payment")
    axes.legend(fontsize="small")
    axes.grid(True, alpha=0.3)
    return axes


def _tree(
    graph: ReferralGraph, root: str, at: datetime, depth: int, max_children: int
) -> tuple[list[tuple[str, int]], list[tuple[str, str]], dict[str, int]]:
    """The subtree's nodes (id, depth) in pre-order, its edges, and hidden children."""
    nodes: list[tuple[str, int]] = []
    edges: list[tuple[str, str]] = []
    hidden: dict[str, int] = {}
    stack = [(root, 0)]
    while stack:
        node, level = stack.pop()
        nodes.append((node, level))
        if level == depth:
            continue
        children = graph.downline(node, at=at)
        if len(children) > max_children:
            hidden[node] = len(children) - max_children
            children = children[:max_children]
        for child in reversed(children):
            edges.append((node, child))
            stack.append((child, level + 1))
    return nodes, edges, hidden


def _layout(
    nodes: Sequence[tuple[str, int]], edges: Sequence[tuple[str, str]]
) -> dict[str, tuple[float, float]]:
    """A tidy tree layout: leaves side by side, each parent centred over its children."""
    children: dict[str, list[str]] = {}
    for parent, child in edges:
        children.setdefault(parent, []).append(child)
    depth_of = dict(nodes)
    positions: dict[str, tuple[float, float]] = {}
    next_leaf = 0.0
    for node, _ in reversed(nodes):  # children before parents
        below = children.get(node, [])
        if below:
            xs = [positions[child][0] for child in below]
            x = (min(xs) + max(xs)) / 2
        else:
            x = next_leaf
            next_leaf += 1.0
        positions[node] = (x, -float(depth_of[node]))  # float-ok: plot coordinate
    # Leaves were placed right to left; mirror them so join order reads left to right.
    right = max((x for x, _ in positions.values()), default=0.0)
    return {node: (right - x, y) for node, (x, y) in positions.items()}


def plot_subtree(
    graph: ReferralGraph,
    root: str,
    *,
    at: datetime,
    income: Mapping[str, Decimal] | Metrics | Evaluation,
    depth: int = 2,
    max_children: int = 8,
    ax: Axes | None = None,
) -> Axes:
    """A small part of the referral tree, each participant labelled with what they earned.

    Draws ``root`` and its downline ``depth`` levels deep as it stood ``at``,
    coloured by role; participants who earned money are drawn larger and their
    amount is printed under their id.  At most ``max_children`` children are drawn
    per participant (join order); ``+N`` marks the others.

    Args:
        graph: the referral graph (``Book.graph``, for instance).
        root: the participant at the top.
        at: the moment the tree is drawn as of (an aware datetime).
        income: money per participant: a mapping, the metrics of a stream
            (net income), or one order's evaluation (its money lines).
        depth: levels below the root to draw.
        max_children: children drawn per participant.
        ax: an Axes to draw in.

    Returns:
        The Axes; its ``texts`` are the node labels, in pre-order from the root.

    Raises:
        ValueError: ``depth`` or ``max_children`` is below 1.
        UnknownParticipantError: ``root`` never joined.
    """
    if depth < 1 or max_children < 1:
        raise ValueError(f"depth = {depth} and max_children = {max_children} must be at least 1")
    earned = _earned(income)
    nodes, edges, hidden = _tree(graph, root, at, depth, max_children)
    positions = _layout(nodes, edges)
    axes = _axes(ax, (max(6.0, 0.9 * sum(1 for _, d in nodes if d == depth)), 1.8 * (depth + 1)))
    for parent, child in edges:
        (x0, y0), (x1, y1) = positions[parent], positions[child]
        axes.plot([x0, x1], [y0, y1], color="#bbbbbb", linewidth=1, zorder=1)
    for node, _ in nodes:
        x, y = positions[node]
        amount = earned.get(node)
        role = graph.role(node, at=at)
        has_income = amount is not None and amount > 0
        axes.scatter(
            [x],
            [y],
            s=260 if has_income else 90,
            color=_ROLE_COLOURS.get(role, _OTHER_ROLE),
            edgecolors="black" if has_income else "none",
            zorder=2,
        )
        label = node if not has_income else f"{node}\n{format_decimal(amount)}"  # type: ignore[arg-type]
        axes.text(x, y - 0.18, label, ha="center", va="top", fontsize="x-small", zorder=3)
    for node, count in hidden.items():
        x, y = positions[node]
        axes.annotate(
            f"+{count}",
            (x, y),
            xytext=(10, 6),
            textcoords="offset points",
            fontsize="x-small",
            color="#555555",
        )
    for role, colour in _ROLE_COLOURS.items():
        axes.scatter([], [], color=colour, label=role)
    axes.legend(loc="upper right", fontsize="x-small", frameon=False)
    axes.set_title(f"Downline of {root}, {depth} levels, with money earned")
    axes.set_axis_off()
    axes.margins(0.08, 0.25)
    return axes


def _earned(income: Mapping[str, Decimal] | Metrics | Evaluation) -> dict[str, Decimal]:
    if isinstance(income, Metrics):
        return {row.participant: row.money_net for row in income.participants}
    if isinstance(income, Evaluation):
        per: dict[str, list[Decimal]] = {}
        for line in income.lines:
            if line.unit == income.currency:
                per.setdefault(line.beneficiary, []).append(line.amount)
        return {name: exact_sum(amounts) for name, amounts in per.items()}
    return dict(income)
