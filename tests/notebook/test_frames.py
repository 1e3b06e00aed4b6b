"""DataFrames hold exactly the figures of the metrics' plain data, as Decimals."""

from __future__ import annotations

import pytest

pytest.importorskip("pandas", reason="socialcommerce_rules.notebook needs pandas")
pytest.importorskip("matplotlib", reason="socialcommerce_rules.notebook needs matplotlib")
pytest.importorskip("tqdm", reason="socialcommerce_rules.notebook needs tqdm")

from decimal import Decimal

from socialcommerce_rules import Evaluation, Plan
from socialcommerce_rules.book import Book
from socialcommerce_rules.compliance import PROFILES, lint
from socialcommerce_rules.metrics import Comparison
from socialcommerce_rules.notebook import (
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

SLICES = ("rule", "level", "role", "month", "trigger")


def test_headline_frame_is_the_headline(comparison: Comparison) -> None:
    metrics = comparison.metrics["article"]
    frame = headline_frame(metrics)

    assert list(frame.columns) == ["figure", "value"]
    assert dict(zip(frame["figure"], frame["value"], strict=True)) == metrics.headline()
    assert frame["value"].dtype == object


@pytest.mark.parametrize("by", SLICES)
@pytest.mark.parametrize("unit", ["money", "points"])
def test_payouts_frame_equals_the_plain_rows(comparison: Comparison, by: str, unit: str) -> None:
    for metrics in comparison.metrics.values():
        payouts = metrics.money if unit == "money" else metrics.points
        frame = payouts_frame(metrics, by, unit=unit)  # type: ignore[arg-type]

        assert list(frame.columns) == [by, "unit", "accrued", "clawed_back", "net", "lines"]
        assert frame.to_dict("records") == payouts.rows(by)
        assert all(isinstance(value, Decimal) for value in frame["net"])


def test_payouts_frame_refuses_unknown_slices(comparison: Comparison) -> None:
    metrics = comparison.metrics["article"]
    with pytest.raises(ValueError, match="by = 'depth'"):
        payouts_frame(metrics, "depth")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="unit = 'cash'"):
        payouts_frame(metrics, unit="cash")  # type: ignore[arg-type]


def test_every_table_converts_row_for_row(comparison: Comparison) -> None:
    metrics = comparison.metrics["article"]
    for name, rows in metrics.tables().items():
        frame = table_frame(metrics, name)
        assert frame.to_dict("records") == rows, name
    with pytest.raises(KeyError, match="no table 'people'"):
        table_frame(metrics, "people")


def test_income_frame_lists_every_participant(comparison: Comparison) -> None:
    metrics = comparison.metrics["article"]
    frame = income_frame(metrics)

    assert len(frame) == metrics.regulator.participants
    assert list(frame["participant"]) == [row.participant for row in metrics.participants]
    assert sorted(frame["money_net"]) == sorted(row.money_net for row in metrics.participants)
    assert max(frame["money_net"]) == metrics.income.max


def test_comparison_frame_is_wide(comparison: Comparison) -> None:
    frame = comparison_frame(comparison)

    assert list(frame.columns) == [
        "article",
        "compliant",
        "compliant difference",
        "compliant relative",
    ]
    assert list(frame.index) == [row.figure for row in comparison.rows]
    for row in comparison.rows:
        assert tuple(frame.loc[row.figure, ["article", "compliant"]]) == row.values
        assert frame.loc[row.figure, "compliant difference"] == row.differences[1]
        assert frame.loc[row.figure, "compliant relative"] == row.relative[1]


def test_monthly_payouts_frame_fills_missing_months_with_zero(comparison: Comparison) -> None:
    frame = monthly_payouts_frame(comparison)
    months = sorted({m for metrics in comparison.metrics.values() for m in metrics.money.by_month})

    assert list(frame.index) == months
    assert list(frame.columns) == ["article", "compliant"]
    for name, metrics in comparison.metrics.items():
        for month in months:
            flow = metrics.money.by_month.get(month)
            expected = flow.net if flow is not None else Decimal("0.00")
            assert frame.loc[month, name] == expected
            assert str(frame.loc[month, name]) == str(expected)
    assert monthly_payouts_frame(comparison.metrics["article"]).columns.tolist() == [
        "article-scheme"
    ]


def test_findings_frames(article: Plan, compliant: Plan) -> None:
    findings = lint(article, "wechat-distribution")
    frame = findings_frame(findings)
    assert frame.to_dict("records") == [finding.to_dict() for finding in findings]
    assert findings_frame([]).columns.tolist()[:3] == ["check", "severity", "path"]

    plans = {"article": article, "compliant": compliant}
    every = lint_frame(plans)
    assert set(every["plan"]) == {"article"}
    assert len(every) == sum(len(lint(article, profile)) for profile in PROFILES)

    summary = lint_summary_frame(plans)
    assert len(summary) == 2 * len(PROFILES)
    assert summary[summary["plan"] == "compliant"][["error", "warning", "info"]].sum().sum() == 0
    wechat = summary[(summary["plan"] == "article") & (summary["profile"] == "wechat-distribution")]
    assert wechat[["error", "warning", "info"]].values.tolist() == [[3, 0, 0]]


def test_evaluation_frame_has_one_row_per_line(book: tuple[Book, list[Evaluation]]) -> None:
    _, evaluations = book
    evaluation = max(evaluations, key=lambda e: len(e.lines))
    frame = evaluation_frame(evaluation)

    assert len(frame) == len(evaluation.lines)
    assert list(frame["amount"]) == [line.amount for line in evaluation.lines]
    assert list(frame["path"]) == [" > ".join(line.path) for line in evaluation.lines]
    assert list(frame["reason"]) == [line.reason for line in evaluation.lines]
