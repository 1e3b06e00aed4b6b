"""HTML shows the key figures exactly; progress bars count what they are fed."""

from __future__ import annotations

import pytest

pytest.importorskip("pandas", reason="socialcommerce_rules.notebook needs pandas")
pytest.importorskip("matplotlib", reason="socialcommerce_rules.notebook needs matplotlib")
pytest.importorskip("tqdm", reason="socialcommerce_rules.notebook needs tqdm")

import io
from types import SimpleNamespace
from typing import Any

from matplotlib.figure import Figure

from socialcommerce_rules import Evaluation, Plan, PlanSet
from socialcommerce_rules.book import Book
from socialcommerce_rules.compliance import lint
from socialcommerce_rules.metrics import Comparison, Metrics
from socialcommerce_rules.notebook import (
    ProgressBar,
    comparison_html,
    evaluation_html,
    findings_html,
    html,
    metrics_html,
    plan_html,
    register,
    track,
)
from socialcommerce_rules.simulate import SimulationConfig, simulate


def test_plan_html_shows_terms_and_escapes(article: Plan) -> None:
    text = plan_html(article)
    for expected in ("article-scheme", "GIFT-399", "399.00", "maker 0.10", "guide 80.00 fixed"):
        assert expected in text
    assert "Guide -&gt; maker -&gt; member" in text
    both = plan_html(PlanSet([article]))
    assert both.count("article-scheme") == text.count("article-scheme")


def test_evaluation_html_lists_every_line(book: tuple[Book, list[Evaluation]]) -> None:
    _, evaluations = book
    evaluation = max(evaluations, key=lambda e: len(e.lines))
    text = evaluation_html(evaluation)
    assert text.count("<tr>") == len(evaluation.lines) + 1
    for line in evaluation.lines:
        assert str(line.amount) in text
    assert f"paid {evaluation.paid}" in text


def test_metrics_and_comparison_html_carry_the_key_figures(comparison: Comparison) -> None:
    metrics: Metrics = comparison.metrics["article"]
    text = metrics_html(metrics)
    for figure in (metrics.gmv, metrics.money.total.net, metrics.payout_ratio, metrics.income.gini):
        assert str(figure) in text
    table = comparison_html(comparison)
    assert table.count("<tr>") == len(comparison.rows) + 1
    net = comparison.row("money.net")
    assert str(net.values[0]) in table
    assert str(net.differences[1]) in table


def test_findings_html(article: Plan, compliant: Plan) -> None:
    findings = lint(article, "cn-anti-pyramid")
    text = findings_html(findings)
    assert text.count('class="scr-error"') == sum(f.severity == "error" for f in findings)
    assert "No findings" in findings_html(lint(compliant, "cn-anti-pyramid"))
    assert html(findings) == text
    with pytest.raises(TypeError, match="no HTML for a int"):
        html(3)


class _Formatter:
    def __init__(self) -> None:
        self.types: dict[type, Any] = {}

    def for_type(self, kind: type, function: Any) -> None:
        self.types[kind] = function


def test_register_adds_formatters_to_the_shell_only(article: Plan) -> None:
    formatters = {"text/html": _Formatter(), "image/png": _Formatter()}
    shell = SimpleNamespace(display_formatter=SimpleNamespace(formatters=formatters))

    assert register(shell) is True
    assert formatters["text/html"].types[Plan](article) == plan_html(article)
    figure = Figure(figsize=(1, 1))
    assert formatters["image/png"].types[Figure](figure)[:4] == b"\x89PNG"
    assert not hasattr(Plan, "_repr_html_")


def test_progress_bar_follows_the_simulation(article: Plan) -> None:
    output = io.StringIO()
    calls: list[tuple[int, int]] = []
    with ProgressBar(file=output) as progress:
        events = simulate(
            article,
            SimulationConfig(participants_max=30, days=20),
            progress=lambda done, total: (calls.append((done, total)), progress(done, total)),
        )
    assert progress.done == progress.total == 20
    assert calls[-1] == (20, 20)
    assert "20/20" in output.getvalue()
    assert events == simulate(article, SimulationConfig(participants_max=30, days=20))


def test_track_passes_items_through_and_counts_them() -> None:
    output = io.StringIO()
    assert list(track(iter(range(5)), total=5, file=output)) == [0, 1, 2, 3, 4]
    assert "5/5" in output.getvalue()
