"""The ``lint`` and ``audit`` commands: exit status, text, JSON and the counterexample file."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from socialcommerce_rules import book as book_module
from socialcommerce_rules.cli import EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE, main
from socialcommerce_rules.events import read_events

ROOT = Path(__file__).resolve().parents[2]
ARTICLE = ROOT / "examples" / "article_scheme.toml"
COMPLIANT = ROOT / "examples" / "two_level_compliant.toml"


def run(capsys: pytest.CaptureFixture[str], *argv: object) -> tuple[int, str, str]:
    status = main([str(arg) for arg in argv])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def test_lint_reports_each_finding_and_fails_on_an_error(
    capsys: pytest.CaptureFixture[str],
) -> None:
    status, out, _ = run(capsys, "lint", ARTICLE, "--profile", "wechat-distribution")

    assert status == EXIT_PROBLEMS
    headlines = [line for line in out.splitlines() if line.startswith("error: ")]
    assert [line.split(": ")[1] for line in headlines] == [
        "gift_packs[0].becomes",
        "rules[0].levels[1]",
        "rules[1].levels[2]",
    ]
    assert out.splitlines()[-1].endswith(
        "3 findings under wechat-distribution (3 error, 0 warning, 0 info)"
    )


def test_lint_json_is_the_findings_and_a_clean_plan_exits_0(
    capsys: pytest.CaptureFixture[str],
) -> None:
    status, out, _ = run(capsys, "lint", ARTICLE, "--profile", "cn-anti-pyramid", "--json")
    findings: list[dict[str, Any]] = json.loads(out)
    assert status == EXIT_PROBLEMS
    assert {finding["check"] for finding in findings} >= {"recruiting-rebate", "team-pay", "depth"}
    assert all(finding["profile"] == "cn-anti-pyramid" for finding in findings)

    for profile in ("cn-anti-pyramid", "cn-direct-selling", "wechat-distribution", "us-ftc-mlm"):
        status, out, _ = run(capsys, "--json", "lint", COMPLIANT, "--profile", profile)
        assert (status, json.loads(out)) == (EXIT_OK, [])


def test_lint_takes_a_profile_file_and_refuses_an_unknown_name(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    shipped = (
        ROOT / "src" / "socialcommerce_rules" / "data" / "profiles" / "wechat-distribution.toml"
    )
    copy = tmp_path / "house.toml"
    copy.write_text(shipped.read_text(encoding="utf-8"), encoding="utf-8")

    status, out, _ = run(capsys, "--json", "lint", ARTICLE, "--profile", copy)
    assert status == EXIT_PROBLEMS
    assert len(json.loads(out)) == 3

    status, _, err = run(capsys, "lint", ARTICLE, "--profile", "no-such-profile")
    assert status == EXIT_USAGE
    assert "no-such-profile" in err


def test_audit_passes_on_the_article_plan(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(capsys, "--json", "audit", ARTICLE, "--examples", 10, "--seed", 3)
    report = json.loads(out)

    assert status == EXIT_OK
    assert report["ok"] is True
    assert report["examples"] >= 10
    assert report["violation"] is None
    assert "conservation" in report["invariants"]


def test_audit_writes_a_counterexample_that_run_replays(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A broken book: a refund recomputes nothing, so nobody gives anything back.
    monkeypatch.setattr(
        book_module.Book,
        "_remaining_lines",
        lambda self, state, q, a: {key: line[0] for key, line in state.lines.items()},
    )
    target = tmp_path / "case.jsonl"

    status, out, _ = run(capsys, "audit", ARTICLE, "--examples", 200, "--counterexample", target)

    assert status == EXIT_PROBLEMS
    assert "FAILED" in out.splitlines()[0]
    events = [item for _, item in read_events(target)]
    assert events
    assert not any(isinstance(item, Exception) for item in events)
    assert any(getattr(item, "type", "") == "order_refunded" for item in events)
    monkeypatch.undo()
    status, _, _ = run(capsys, "run", ARTICLE, target, "--db", tmp_path / "case.sqlite")
    assert status == EXIT_OK


def test_lint_with_events_adds_what_money_actually_did(
    capsys: pytest.CaptureFixture[str],
) -> None:
    events = ROOT / "src" / "socialcommerce_rules" / "data" / "article_events.jsonl"
    _, plain, _ = run(capsys, "--json", "lint", ARTICLE, "--profile", "cn-anti-pyramid")
    status, out, _ = run(
        capsys, "--json", "lint", ARTICLE, "--profile", "cn-anti-pyramid", "--events", events
    )

    findings: list[dict[str, Any]] = json.loads(out)
    observed = [finding for finding in findings if finding["source"] == "observed"]
    assert status == EXIT_PROBLEMS
    assert len(findings) == len(json.loads(plain)) + len(observed)
    assert {finding["path"] for finding in observed} >= {"observed.recruitment_share"}

    status, _, err = run(capsys, "lint", ARTICLE, "--events", ROOT / "no-such-file.jsonl")
    assert status == EXIT_USAGE
    assert "no-such-file.jsonl" in err
