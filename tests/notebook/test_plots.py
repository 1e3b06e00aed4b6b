"""Plots draw the figures they are given: artists carry the metrics' data."""

from __future__ import annotations

import pytest

pytest.importorskip("pandas", reason="socialcommerce_rules.notebook needs pandas")
pytest.importorskip("matplotlib", reason="socialcommerce_rules.notebook needs matplotlib")
pytest.importorskip("tqdm", reason="socialcommerce_rules.notebook needs tqdm")

from decimal import Decimal
from pathlib import Path

import matplotlib
from matplotlib.figure import Figure

from socialcommerce_rules import Evaluation
from socialcommerce_rules.book import Book
from socialcommerce_rules.metrics import Comparison
from socialcommerce_rules.notebook import (
    plot_depth_histogram,
    plot_income_distribution,
    plot_monthly_payouts,
    plot_payout_waterfall,
    plot_subtree,
    save_figure,
)


def _floats(values: list[Decimal]) -> list[float]:
    return [float(value) for value in values]  # float-ok: plot coordinate


def test_income_distribution_draws_sorted_incomes(comparison: Comparison) -> None:
    axes = plot_income_distribution(comparison)

    lines = axes.get_lines()
    assert len(lines) == 2
    for line, (name, metrics) in zip(lines, comparison.metrics.items(), strict=True):
        assert line.get_label().startswith(f"{name} (median {metrics.income.median}")
        incomes = sorted((row.money_net for row in metrics.participants), reverse=True)
        assert list(line.get_ydata()) == _floats(incomes)
    earners = plot_income_distribution(comparison.metrics["article"], earners_only=True)
    (line,) = earners.get_lines()
    assert len(line.get_ydata()) == comparison.metrics["article"].income.earners


def test_depth_histogram_bars_are_net_money_by_level(comparison: Comparison) -> None:
    axes = plot_depth_histogram(comparison)
    levels = sorted({lv for m in comparison.metrics.values() for lv in m.money.by_level})

    assert len(axes.containers) == 2
    for container, metrics in zip(axes.containers, comparison.metrics.values(), strict=True):
        expected = [
            metrics.money.by_level[lv].net if lv in metrics.money.by_level else Decimal(0)
            for lv in levels
        ]
        assert [bar.get_height() for bar in container] == _floats(expected)
    assert [label.get_text() for label in axes.get_xticklabels()] == [
        f"level {lv}" for lv in levels
    ]


def test_monthly_payouts_lines(comparison: Comparison) -> None:
    axes = plot_monthly_payouts(comparison)
    article = comparison.metrics["article"]

    line = axes.get_lines()[0]
    months = [label.get_text() for label in axes.get_xticklabels()]
    assert months == sorted(article.money.by_month)
    assert list(line.get_ydata()) == _floats([article.money.by_month[m].net for m in months])
    assert line.get_label() == "article"


def test_waterfall_steps_add_up(book: tuple[Book, list[Evaluation]]) -> None:
    _, evaluations = book
    evaluation = max(evaluations, key=lambda e: (len(e.lines), e.paid))
    axes = plot_payout_waterfall(evaluation)

    bars = list(axes.patches)
    money = [line for line in evaluation.lines if line.unit == evaluation.currency]
    assert bars[0].get_height() == float(evaluation.base)  # float-ok: plot coordinate
    kept = evaluation.base - sum(line.amount for line in money)
    assert bars[-1].get_height() == pytest.approx(float(kept))  # float-ok: plot coordinate
    steps = sum(bar.get_height() for bar in bars[1:-1])
    assert steps == pytest.approx(float(evaluation.paid))  # float-ok: plot coordinate
    texts = [text.get_text() for text in axes.texts]
    assert texts[0] == str(evaluation.base)
    assert texts[-1] == str(kept)


def test_subtree_labels_who_earned_what(
    book: tuple[Book, list[Evaluation]], comparison: Comparison
) -> None:
    graph_book, evaluations = book
    metrics = comparison.metrics["article"]
    at = evaluations[-1].paid_at
    root = "guide-1"
    axes = plot_subtree(graph_book.graph, root, at=at, income=metrics, depth=2, max_children=3)

    income = {row.participant: row.money_net for row in metrics.participants}
    labels = [text.get_text() for text in axes.texts if not text.get_text().startswith("+")]
    assert labels[0] == f"{root}\n{income[root]}"
    children = graph_book.graph.downline(root, at=at)
    drawn = {label.split("\n")[0] for label in labels}
    assert set(children[:3]) <= drawn
    assert not set(children[3:]) & drawn
    if len(children) > 3:
        assert f"+{len(children) - 3}" in [text.get_text() for text in axes.texts]
    for label in labels:
        participant, *amount = label.split("\n")
        assert amount == ([str(income[participant])] if income.get(participant) else [])
    with pytest.raises(ValueError, match="depth = 0"):
        plot_subtree(graph_book.graph, root, at=at, income={}, depth=0)


def test_plots_draw_into_a_given_axes_and_leave_global_state_alone(
    comparison: Comparison, tmp_path: Path
) -> None:
    before = dict(matplotlib.rcParams)
    figure = Figure()
    axes = figure.add_subplot()

    assert plot_depth_histogram(comparison, ax=axes) is axes
    path = save_figure(figure, tmp_path / "depth.png")
    again = save_figure(figure, tmp_path / "again.png")

    assert path.read_bytes() == again.read_bytes()
    assert path.read_bytes()[:4] == b"\x89PNG"
    assert dict(matplotlib.rcParams) == before
