"""The lint as a whole: the article's plan, the compliant variant, output, determinism."""

from __future__ import annotations

import json
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from socialcommerce_rules import PlanError, load_plan
from socialcommerce_rules.compliance import (
    PROFILES,
    SEVERITIES,
    Finding,
    count_by_severity,
    lint,
    load_profile,
)

from ._support import ROOT, Figures

ARTICLE = ROOT / "examples" / "article_scheme.toml"
COMPLIANT = ROOT / "examples" / "two_level_compliant.toml"
EXPECTED = json.loads(
    (Path(__file__).parent / "expected" / "article_scheme.json").read_text(encoding="utf-8")
)


def test_the_expected_file_covers_every_shipped_profile() -> None:
    assert sorted(EXPECTED) == sorted(PROFILES)


@pytest.mark.parametrize("profile", PROFILES)
def test_the_article_plan_gets_what_a_regulator_would_raise(profile: str) -> None:
    findings = lint(load_plan(ARTICLE), profile)

    assert [[f.severity, f.path, f.check] for f in findings] == EXPECTED[profile]


@pytest.mark.parametrize("profile", PROFILES)
def test_the_compliant_variant_gets_no_finding(profile: str) -> None:
    assert lint(load_plan(COMPLIANT), profile) == []


def test_the_default_profile_is_cn_anti_pyramid() -> None:
    plan = load_plan(ARTICLE)

    assert lint(plan) == lint(plan, "cn-anti-pyramid")


def test_a_profile_may_be_given_as_a_path_or_a_profile() -> None:
    plan = load_plan(ARTICLE)
    file = ROOT / "src" / "socialcommerce_rules" / "data" / "profiles" / "us-ftc-mlm.toml"

    by_name = lint(plan, "us-ftc-mlm")
    assert lint(plan, file) == by_name
    assert lint(plan, str(file)) == by_name
    assert lint(plan, load_profile("us-ftc-mlm")) == by_name


def test_findings_are_the_same_on_every_run_and_sorted() -> None:
    plan = load_plan(ARTICLE)
    observed = Figures(
        money_depth=2,
        tree_depth=4,
        participants=40,
        participants_per_level={3: 20, 1: 1, 2: 19},
        recruitment_share=Decimal("0.30"),
        own_purchase_share=Decimal("0.40"),
        retail_share=Decimal("0.30"),
    )
    runs = [lint(plan, profile, observed=observed) for profile in PROFILES for _ in range(3)]

    for index in range(0, len(runs), 3):
        assert runs[index] == runs[index + 1] == runs[index + 2]
        ranks = [SEVERITIES.index(finding.severity) for finding in runs[index]]
        assert ranks == sorted(ranks)


def test_paths_sort_by_number_not_by_text() -> None:
    rules = [
        {"kind": "level", "id": f"r{index}", "levels": [{"level": 2, "rates": {"guide": "0.01"}}]}
        for index in range(12)
    ]
    from ._support import plan_with

    paths = [
        finding.path for finding in lint(plan_with({"rules": rules})) if finding.check == "team-pay"
    ]

    assert paths == [f"rules[{index}].levels[0]" for index in range(12)]


def test_observed_findings_come_after_plan_findings_of_the_same_severity() -> None:
    observed = Figures(money_depth=2, tree_depth=3, participants=30)
    findings = lint(load_plan(ARTICLE), "cn-anti-pyramid", observed=observed)
    errors = [finding.source for finding in findings if finding.severity == "error"]

    assert errors == ["plan"] * 4 + ["observed"] * 2
    observed_checks = sorted(f.check for f in findings if f.source == "observed")
    assert observed_checks == ["depth", "team-pay"]


def test_to_dict_and_lines() -> None:
    finding = lint(load_plan(ARTICLE), "wechat-distribution")[0]
    data = finding.to_dict()

    assert list(data) == [
        "check",
        "severity",
        "path",
        "source",
        "message",
        "fix",
        "basis",
        "profile",
    ]
    assert data["check"] == "paid-threshold"
    assert data["path"] == "gift_packs[0].becomes"
    assert json.loads(json.dumps(data)) == data
    lines = finding.lines()
    assert lines[0] == str(finding)
    assert lines[0].startswith("error: gift_packs[0].becomes: [paid-threshold] ")
    assert lines[1].startswith("    fix: ")
    assert lines[2].startswith("    basis: WeChat")
    assert "\n" not in "".join(lines)


def test_count_by_severity() -> None:
    findings = lint(load_plan(ARTICLE), "us-ftc-mlm")

    assert dict(count_by_severity(findings)) == {"error": 2, "warning": 3, "info": 1}
    assert dict(count_by_severity([])) == {"error": 0, "warning": 0, "info": 0}


def test_a_finding_is_immutable() -> None:
    finding = Finding("depth", "", "error", "m", "f", "b", "p")
    with pytest.raises(AttributeError):
        finding.path = "rules"  # type: ignore[misc]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("money_depth", -1),
        ("money_depth", True),
        ("tree_depth", 2.0),
        ("participants", "30"),
        ("recruitment_share", 0.1),
        ("recruitment_share", Decimal("NaN")),
        ("own_purchase_share", Decimal("1.5")),
        ("retail_share", "0.5"),
        ("participants_per_level", [1, 2]),
        ("participants_per_level", {1: -1}),
        ("participants_per_level", {"1": 3}),
    ],
)
def test_observed_figures_of_the_wrong_type_are_refused_by_path(field: str, value: object) -> None:
    observed = Figures(**{field: value})  # type: ignore[arg-type]

    with pytest.raises(PlanError) as caught:
        lint(load_plan(ARTICLE), observed=observed)

    assert caught.value.code == "plan-invalid-value"
    assert caught.value.path == f"observed.{field}"


def test_an_object_missing_figures_is_refused_naming_each() -> None:
    class Partial:
        money_depth = 1

    with pytest.raises(PlanError) as caught:
        lint(load_plan(ARTICLE), observed=Partial())  # type: ignore[arg-type]

    paths = [problem.path for problem in caught.value.problems]
    assert "observed.tree_depth" in paths
    assert "observed.money_depth" not in paths
    assert len(paths) == 6


def test_the_example_script_runs_and_prints_the_findings() -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "lint_plans.py")],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
        timeout=60,
    )

    assert result.returncode == 0, result.stderr
    assert "== article_scheme.toml under cn-anti-pyramid: 4 errors, 2 warnings, 0 info" in (
        result.stdout
    )
    assert "== two_level_compliant.toml under wechat-distribution: 0 errors" in result.stdout
    assert "error: rules[1].levels[2]: [team-pay]" in result.stdout


def test_the_guide_describes_every_check_and_profile() -> None:
    from socialcommerce_rules.compliance import CHECKS

    guide = (ROOT / "docs" / "lint.md").read_text(encoding="utf-8")

    for name in (*CHECKS, *PROFILES):
        assert f"`{name}`" in guide, name
