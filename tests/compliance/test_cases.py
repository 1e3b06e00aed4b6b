"""Each check on a plan that triggers it and on one that does not (cases/*.json).

A case names a check, a shipped profile, changes to a small base plan, optional
observed figures, and the findings of that check it must get: severity, path and
source.  Only the named check's findings are compared, so that each case tests
one check.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from socialcommerce_rules.compliance import CHECKS, lint, load_profile

from ._support import CASES, figures_from, plan_with

CASE_FILES = sorted(CASES.glob("*.json"))


def _load(file: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(file.read_text(encoding="utf-8"))
    return data


@pytest.mark.parametrize("file", CASE_FILES, ids=[file.stem for file in CASE_FILES])
def test_case(file: Path) -> None:
    case = _load(file)
    plan = plan_with(case["plan"])
    observed = figures_from(case["observed"]) if case["observed"] is not None else None

    findings = lint(plan, case["profile"], observed=observed)

    got = [
        [finding.severity, finding.path, *(["observed"] if finding.source == "observed" else [])]
        for finding in findings
        if finding.check == case["check"]
    ]
    assert got == case["expected"], case["why"]
    for finding in findings:
        assert finding.profile == case["profile"]
        assert finding.message
        assert finding.fix
        assert finding.basis


def test_every_check_has_a_case_that_triggers_it_and_one_that_does_not() -> None:
    cases = [_load(file) for file in CASE_FILES]
    for check in CHECKS:
        mine = [case for case in cases if case["check"] == check]
        assert any(case["expected"] for case in mine), check
        assert any(not case["expected"] for case in mine), check


def test_every_case_runs_a_check_its_profile_enables() -> None:
    for file in CASE_FILES:
        case = _load(file)
        enabled = [check for check, _ in load_profile(case["profile"]).enabled()]
        assert case["check"] in enabled, file.name
