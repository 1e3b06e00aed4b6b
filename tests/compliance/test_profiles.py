"""Profile files: the shipped ones, and strict validation of a user's copy."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from socialcommerce_rules import LimitError, PlanError, load_plan
from socialcommerce_rules.compliance import (
    CHECKS,
    PROFILES,
    lint,
    load_profile,
    profile_from_text,
)
from socialcommerce_rules.limits import PLAN_BYTES_MAX

from ._support import ROOT, SHIPPED

VALID = """
name = "mine"
title = "A house profile"

[checks.team-pay]
severity = "error"
max_level = 1
basis = "House rule: commission to the direct sharer only."

[checks.recruiting-rebate]
severity = "warning"
max_level = 0
max_observed_share = "0.10"
basis = "House rule: no pay for recruiting."
"""


def test_the_shipped_files_are_the_shipped_names() -> None:
    assert sorted(file.stem for file in SHIPPED.glob("*.toml")) == sorted(PROFILES)


@pytest.mark.parametrize("name", PROFILES)
def test_a_shipped_profile_loads_by_name_and_as_a_copied_file(name: str, tmp_path: Path) -> None:
    copy = tmp_path / f"copy-of-{name}.toml"
    copy.write_text((SHIPPED / f"{name}.toml").read_text(encoding="utf-8"), encoding="utf-8")

    profile = load_profile(name)

    assert profile.name == name
    assert load_profile(copy) == profile
    assert profile.enabled()
    for check, settings in profile.enabled():
        assert check in CHECKS
        assert len(settings.basis.split()) >= 10, check


def test_a_changed_copy_changes_the_findings(tmp_path: Path) -> None:
    text = (SHIPPED / "cn-anti-pyramid.toml").read_text(encoding="utf-8")
    text = text.replace(
        "max_level = 1                  # the direct", "max_level = 2  # the direct"
    )
    text = re.sub(r"\[checks\.depth\][^\[]*", "", text)
    copy = tmp_path / "relaxed.toml"
    copy.write_text(text, encoding="utf-8")
    plan = load_plan(ROOT / "examples" / "article_scheme.toml")

    checks = {finding.check for finding in lint(plan, copy)}

    assert "team-pay" not in checks
    assert "depth" not in checks
    assert "recruiting-rebate" in checks


def test_a_disabled_check_does_not_run() -> None:
    profile = profile_from_text(
        VALID.replace('severity = "error"', 'enabled = false\nseverity = "error"')
    )
    plan = load_plan(ROOT / "examples" / "article_scheme.toml")

    assert [check for check, _ in profile.enabled()] == ["recruiting-rebate"]
    assert {finding.check for finding in lint(plan, profile)} == {"recruiting-rebate"}
    assert {finding.severity for finding in lint(plan, profile)} == {"warning"}


def test_checks_run_in_catalogue_order_whatever_the_file_order() -> None:
    profile = profile_from_text(VALID)

    assert [check for check, _ in profile.enabled()] == ["recruiting-rebate", "team-pay"]


@pytest.mark.parametrize(
    ("change", "code", "path"),
    [
        (("title =", "titel ="), "plan-unknown-key", "titel"),
        (("[checks.team-pay]", "[checks.team-pays]"), "plan-unknown-key", "checks.team-pays"),
        (("max_level = 1", "max_levels = 1"), "plan-unknown-key", "checks.team-pay.max_levels"),
        (("max_level = 1\n", ""), "plan-missing-key", "checks.team-pay.max_level"),
        (('severity = "error"', ""), "plan-missing-key", "checks.team-pay.severity"),
        (('name = "mine"', ""), "plan-missing-key", "name"),
        (
            ('severity = "error"', 'severity = "fatal"'),
            "plan-invalid-value",
            "checks.team-pay.severity",
        ),
        (("max_level = 1", 'max_level = "1"'), "plan-invalid-value", "checks.team-pay.max_level"),
        (("max_level = 1", "max_level = 1.0"), "plan-invalid-value", "checks.team-pay.max_level"),
        (("max_level = 1", "max_level = true"), "plan-invalid-value", "checks.team-pay.max_level"),
        (("max_level = 1", "max_level = 11"), "plan-invalid-value", "checks.team-pay.max_level"),
        (("max_level = 1", "max_level = -1"), "plan-invalid-value", "checks.team-pay.max_level"),
        (('"0.10"', "0.10"), "plan-float", "checks.recruiting-rebate.max_observed_share"),
        (('"0.10"', "nan"), "plan-number-invalid", "checks.recruiting-rebate.max_observed_share"),
        (
            ('"0.10"', '"1.5"'),
            "plan-rate-out-of-range",
            "checks.recruiting-rebate.max_observed_share",
        ),
        (
            ('"0.10"', '"1e-1"'),
            "plan-number-invalid",
            "checks.recruiting-rebate.max_observed_share",
        ),
        (
            ('"0.10"', '"٠.١٠"'),
            "plan-number-invalid",
            "checks.recruiting-rebate.max_observed_share",
        ),
        (
            ('basis = "House rule: no pay for recruiting."', 'basis = ""'),
            "plan-invalid-value",
            "checks.recruiting-rebate.basis",
        ),
        (
            ("[checks.team-pay]", '[checks.team-pay]\nenabled = "yes"'),
            "plan-invalid-value",
            "checks.team-pay.enabled",
        ),
        (('name = "mine"', 'name = "my profile"'), "plan-invalid-value", "name"),
        (("max_level = 0", "max_level = 0\nmax_level = 1"), "plan-syntax", ""),
        (("[checks.team-pay]", "[checks.team-pay"), "plan-syntax", ""),
    ],
)
def test_an_invalid_profile_is_refused_with_code_and_path(
    change: tuple[str, str], code: str, path: str
) -> None:
    old, new = change
    assert old in VALID

    with pytest.raises(PlanError) as caught:
        profile_from_text(VALID.replace(old, new, 1))

    assert (code, path) in [(problem.code, problem.path) for problem in caught.value.problems]


def test_every_problem_is_reported_at_once() -> None:
    text = VALID.replace("max_level = 1", "max_levels = 1").replace('"0.10"', '"2"')

    with pytest.raises(PlanError) as caught:
        profile_from_text(text)

    assert sorted(problem.path for problem in caught.value.problems) == [
        "checks.recruiting-rebate.max_observed_share",
        "checks.team-pay.max_level",
        "checks.team-pay.max_levels",
    ]


def test_an_unknown_profile_name_is_refused() -> None:
    with pytest.raises(PlanError) as caught:
        load_profile("cn-anti-pyramids")

    assert caught.value.code == "plan-invalid-value"
    assert "cn-anti-pyramid" in str(caught.value)


def test_a_profile_file_must_be_toml(tmp_path: Path) -> None:
    file = tmp_path / "profile.json"
    file.write_text("{}", encoding="utf-8")

    with pytest.raises(PlanError):
        load_profile(file)


def test_a_profile_file_that_is_not_utf8_is_refused(tmp_path: Path) -> None:
    file = tmp_path / "latin.toml"
    file.write_bytes(VALID.encode("utf-8") + b'\ndescription = "caf\xe9"\n')

    with pytest.raises(PlanError) as caught:
        load_profile(file)

    assert caught.value.code == "plan-syntax"


def test_an_oversize_profile_is_refused_before_parsing(tmp_path: Path) -> None:
    text = VALID + "#" * PLAN_BYTES_MAX
    file = tmp_path / "huge.toml"
    file.write_text(text, encoding="utf-8")

    with pytest.raises(LimitError) as from_text:
        profile_from_text(text)
    with pytest.raises(LimitError) as from_file:
        load_profile(file)

    assert from_text.value.code == from_file.value.code == "limit-plan-bytes"


def test_a_deeply_nested_profile_is_refused() -> None:
    text = VALID + "deep = " + "[" * 40 + "]" * 40 + "\n"

    with pytest.raises(LimitError) as caught:
        profile_from_text(text)

    assert caught.value.code == "limit-plan-nesting"


def test_a_missing_profile_file_raises_os_error(tmp_path: Path) -> None:
    with pytest.raises(OSError, match="absent"):
        load_profile(tmp_path / "absent.toml")
