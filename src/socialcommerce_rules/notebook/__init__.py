"""Plan design in notebooks: results as DataFrames, ready-made plots, progress bars
and rich HTML display.

An optional part of the library (``pip install socialcommerce_rules[notebook]``
brings pandas, matplotlib and tqdm); the core never imports it.  It turns what the
core computes into things a notebook shows:

- frames: :func:`headline_frame`, :func:`payouts_frame` (by rule, level, role,
  month or trigger), :func:`income_frame`, :func:`table_frame`,
  :func:`comparison_frame`, :func:`monthly_payouts_frame`, :func:`findings_frame`,
  :func:`lint_frame`, :func:`lint_summary_frame`, :func:`evaluation_frame`.
  Amounts stay exact ``Decimal`` values in ``object`` columns;
- plots, each returning a matplotlib ``Axes``: :func:`plot_income_distribution`,
  :func:`plot_payout_waterfall`, :func:`plot_depth_histogram`,
  :func:`plot_monthly_payouts`, :func:`plot_subtree`; :func:`save_figure` writes
  reproducible PNG files.  Figures are made without ``pyplot``: no backend is
  chosen and no ``rcParams`` change;
- progress: :class:`ProgressBar` for ``simulate(..., progress=)``, :func:`track`
  for a stream going into ``measure``;
- HTML: :func:`plan_html`, :func:`evaluation_html`, :func:`metrics_html`,
  :func:`comparison_html`, :func:`findings_html`, :func:`html`, and
  :func:`register`, which makes Jupyter display the library's objects that way.

>>> from socialcommerce_rules import load_plan
>>> from socialcommerce_rules.events import read_events
>>> from socialcommerce_rules.metrics import compare
>>> from socialcommerce_rules.notebook import comparison_frame, plot_depth_histogram
>>> events = [e for _, e in read_events("src/socialcommerce_rules/data/article_events.jsonl")]
>>> comparison = compare({"article": load_plan("examples/article_scheme.toml"),
...     "two-level": load_plan("examples/two_level_variant.toml")}, events)
>>> comparison_frame(comparison).loc["regulator.money_depth"].tolist()
[2, 1, -1, Decimal('-0.500000')]
>>> axes = plot_depth_histogram(comparison)
>>> [str(bar.get_height()) for bar in axes.containers[0]]
['126.22', '16.8']
"""

from __future__ import annotations

from ._frames import (
    comparison_frame,
    evaluation_frame,
    findings_frame,
    headline_frame,
    income_frame,
    lint_frame,
    lint_summary_frame,
    monthly_payouts_frame,
    payouts_frame,
    table_frame,
)
from ._html import (
    comparison_html,
    evaluation_html,
    findings_html,
    html,
    metrics_html,
    plan_html,
    register,
)
from ._plots import (
    plot_depth_histogram,
    plot_income_distribution,
    plot_monthly_payouts,
    plot_payout_waterfall,
    plot_subtree,
    save_figure,
)
from ._progress import ProgressBar, track

__all__ = [
    "ProgressBar",
    "comparison_frame",
    "comparison_html",
    "evaluation_frame",
    "evaluation_html",
    "findings_frame",
    "findings_html",
    "headline_frame",
    "html",
    "income_frame",
    "lint_frame",
    "lint_summary_frame",
    "metrics_html",
    "monthly_payouts_frame",
    "payouts_frame",
    "plan_html",
    "plot_depth_histogram",
    "plot_income_distribution",
    "plot_monthly_payouts",
    "plot_payout_waterfall",
    "plot_subtree",
    "register",
    "save_figure",
    "table_frame",
    "track",
]
