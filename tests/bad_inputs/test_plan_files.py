"""Refused plan files: each file in cases/plans/ is refused as cases/plans.toml says.

Each file is ``valid.toml`` or ``valid.json`` with one thing changed, so the
refusal is about that one thing; the valid files are loaded too, to prove it.
"""

from __future__ import annotations

import tomllib

import pytest

from socialcommerce_rules import Plan, PlanError, load_plan

from ._support import CASES, PLAN, check_plan_refusal

PLANS = CASES / "plans"
EXPECTED = tomllib.loads((CASES / "plans.toml").read_text(encoding="utf-8"))["case"]


def test_the_unbroken_files_load_and_agree() -> None:
    from_toml = load_plan(PLANS / "valid.toml")
    from_json = load_plan(PLANS / "valid.json")

    assert from_toml == from_json
    assert from_toml.id == PLAN["id"]
    assert [rule.id for rule in from_toml.rules] == ["gift-pack-commission", "sales-commission"]


def test_every_case_file_has_an_expectation_and_every_expectation_a_file() -> None:
    files = {path.name for path in PLANS.iterdir()} - {"valid.toml", "valid.json"}
    listed = [case["file"] for case in EXPECTED]

    assert len(listed) == len(set(listed))
    assert files == set(listed)


@pytest.mark.parametrize("case", EXPECTED, ids=[case["file"] for case in EXPECTED])
def test_plan_file_is_refused_with_code_and_path(case: dict[str, str]) -> None:
    with pytest.raises(PlanError) as caught:
        load_plan(PLANS / case["file"])

    check_plan_refusal(caught.value, code=case["code"], path=case["path"])


@pytest.mark.parametrize("case", EXPECTED, ids=[case["file"] for case in EXPECTED])
def test_plan_text_is_refused_like_the_file(case: dict[str, str]) -> None:
    text = (PLANS / case["file"]).read_text(encoding="utf-8")
    parse = Plan.from_toml if case["file"].endswith(".toml") else Plan.from_json

    with pytest.raises(PlanError) as caught:
        parse(text)

    check_plan_refusal(caught.value, code=case["code"], path=case["path"])
