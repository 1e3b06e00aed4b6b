"""The newcomer path and the docs stay true: schema file, error codes, demo, README.

The doctests in README.md and docs/*.md are collected by pytest itself (see
``[tool.pytest.ini_options]`` in pyproject.toml); these tests check what doctests
cannot: that generated files are current and that the documented commands work.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from socialcommerce_rules import (
    ERROR_CODES,
    Order,
    OrderError,
    Plan,
    PlanError,
    limits,
    plan_json_schema,
)

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
DEMO = ROOT / "examples" / "article_demo.py"
README_FIRST_SCREEN_LINES = 25
REGENERATE_SCHEMA = (
    'python -c "import json, socialcommerce_rules as s; '
    'print(json.dumps(s.plan_json_schema(), indent=2, sort_keys=True))" > docs/plan.schema.json'
)


def test_plan_schema_file_is_current() -> None:
    expected = json.dumps(plan_json_schema(), indent=2, sort_keys=True) + "\n"
    actual = (DOCS / "plan.schema.json").read_text(encoding="utf-8")
    assert actual == expected, f"docs/plan.schema.json is stale; regenerate: {REGENERATE_SCHEMA}"


def _documented_codes() -> list[str]:
    text = (DOCS / "errors.md").read_text(encoding="utf-8")
    return re.findall(r"^### `([a-z0-9-]+)`$", text, flags=re.MULTILINE)


def test_every_error_code_has_a_section_in_errors_md() -> None:
    documented = _documented_codes()
    missing = [code for code in ERROR_CODES if code not in documented]
    assert not missing, f"docs/errors.md has no '### `code`' section for {missing}"


def test_errors_md_documents_only_real_codes_once() -> None:
    documented = _documented_codes()
    assert sorted(documented) == sorted(set(documented)), "a code is documented twice"
    unknown = [code for code in documented if code not in ERROR_CODES]
    assert not unknown, f"docs/errors.md documents codes that ERROR_CODES lacks: {unknown}"


def _run_demo(cwd: Path, hash_seed: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONHASHSEED": hash_seed, "PYTHONIOENCODING": "utf-8"}
    # The demo must find its plan file from any working directory.
    return subprocess.run(
        [sys.executable, str(DEMO)],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=60,
        check=False,
    )


@pytest.fixture(scope="module")
def demo_output(tmp_path_factory: pytest.TempPathFactory) -> str:
    completed = _run_demo(tmp_path_factory.mktemp("elsewhere"), hash_seed="0")
    assert completed.returncode == 0, completed.stderr
    assert completed.stderr == ""
    return completed.stdout


@pytest.mark.parametrize(
    "figure",
    [
        # The gift pack: the inviting guide's rebate, the level-2 share kept, the upgrade.
        "Pool 110.00 CNY  =  paid 80.00 CNY  +  merchant kept 30.00 CNY",
        "wang becomes maker by buying the gift pack GIFT-399 in order order-1001.",
        "2026-01-03T10:30:00.000001+08:00",
        # The maker's member: 10% to the maker, 5% to the guide above.
        "wang earns 33.60 CNY: 10% of the 336.00 CNY paid",
        "guide-li earns 16.80 CNY: 5% of the 336.00 CNY paid",
        "Pool 79.17 CNY  =  paid 59.38 CNY  +  merchant kept 19.79 CNY",
        # The guide's member with a coupon spread over two items.
        "guide-li earns 12.26 CNY: 8% of the 153.26 CNY paid",
        "Pool 41.56 CNY  =  paid 16.63 CNY  +  merchant kept 24.93 CNY",
        "Performance owner: guide-li   store: store-hz-01",
    ],
)
def test_demo_prints_the_article_figures(demo_output: str, figure: str) -> None:
    assert figure in demo_output


def test_demo_shows_a_reason_for_every_line(demo_output: str) -> None:
    table_rows = re.findall(r"^ +(\d+) +\S+ +(?:member|maker|guide) ", demo_output, re.MULTILINE)
    reasons = re.findall(r"^ +(\d+)\. \S+ earns ", demo_output, re.MULTILINE)
    assert len(table_rows) == 11  # 1 + 6 + 4 lines on the three orders
    assert reasons == table_rows


def test_demo_output_is_deterministic(demo_output: str, tmp_path: Path) -> None:
    again = _run_demo(tmp_path, hash_seed="12345")
    assert again.returncode == 0, again.stderr
    assert again.stdout == demo_output


def _first_screen_commands() -> list[str]:
    lines = (ROOT / "README.md").read_text(encoding="utf-8").splitlines()
    commands: list[str] = []
    fence: str | None = None
    for line in lines[:README_FIRST_SCREEN_LINES]:
        if fence is None and line.startswith("```"):
            fence = line[3:].strip()
        elif fence is not None and line.startswith("```"):
            fence = None
        elif fence in ("sh", "shell", "bash", "console") and line.strip():
            commands.append(line.strip())
    assert fence is None, "a fence opened in the README's first screen is not closed there"
    return commands


def test_readme_first_screen_has_exactly_the_two_commands() -> None:
    commands = _first_screen_commands()
    venv = "python3 -m venv .venv && "
    assert commands == [
        venv + ".venv/bin/pip install . && .venv/bin/python examples/article_demo.py",
        venv + '.venv/bin/pip install ".[test]" && .venv/bin/python -m pytest',
    ]


def test_ci_runs_the_readme_test_command() -> None:
    script = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert 'pip" install ".[test]"' in script
    assert '/bin/python" -m pytest' in script
    assert "set -euo pipefail" in script
    assert os.access(ROOT / ".ci" / "run", os.X_OK)


def test_readme_links_resolve() -> None:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    targets = re.findall(r"\]\(([^)#]+)\)", text)
    assert targets, "the README links to its docs"
    missing = [target for target in targets if not (ROOT / target).is_file()]
    assert not missing


def test_plan_language_shows_the_bundled_scheme_verbatim() -> None:
    text = (DOCS / "plan-language.md").read_text(encoding="utf-8")
    section = text.split("## The bundled scheme, walked through", 1)[1]
    shown = re.search(r"^```toml\n(.*?)^```$", section, flags=re.MULTILINE | re.DOTALL)
    assert shown is not None
    scheme = (ROOT / "examples" / "article_scheme.toml").read_text(encoding="utf-8")
    assert shown.group(1) == scheme


# docs/errors.md promises that a plan error lists every problem once, each with its path,
# and that NaN and Infinity are plan-number-invalid (ERROR_CODES says the same).
_PLAN_HEAD = """
id = "p"
version = 1
effective_from = "2026-01-01T00:00:00+08:00"
currency = "CNY"
max_depth = 2
roles = [{name = "member", rank = 0, earns = "points"}, {name = "guide", rank = 1}]
"""


def test_a_refused_rate_inside_a_rule_level_is_the_only_problem() -> None:
    text = (
        _PLAN_HEAD
        + """
[[rules]]
kind = "level"
id = "sales"
levels = [{ level = 1, rates = { guide = "1.5" } }]
"""
    )
    with pytest.raises(PlanError) as caught:
        Plan.from_toml(text)
    problems = [(problem.code, problem.path) for problem in caught.value.problems]
    assert problems == [("plan-rate-out-of-range", "rules[0].levels[0].rates.guide")]


def test_a_refused_item_field_is_the_only_problem_of_an_order() -> None:
    order = {
        "order_id": "o-1",
        "buyer": "chen",
        "currency": "CNY",
        "paid_at": "2026-01-03T12:00:00+08:00",
        "items": [{"item_id": "1", "sku": "TEA", "unit_price": "10.00", "quantity": 0}],
    }
    with pytest.raises(OrderError) as caught:
        Order.from_mapping(order)
    assert caught.value.path == "items[0].quantity"
    assert "more problems" not in str(caught.value)


@pytest.mark.parametrize("literal", ["nan", "inf", "-inf"])
def test_toml_nan_and_infinity_are_invalid_numbers(literal: str) -> None:
    with pytest.raises(PlanError) as caught:
        Plan.from_toml(_PLAN_HEAD + f"[caps]\norder_ratio = {literal}\n")
    assert caught.value.code == "plan-number-invalid"
    assert caught.value.path == "caps.order_ratio"


def test_concepts_limits_table_matches_the_limits_module() -> None:
    text = (DOCS / "concepts.md").read_text(encoding="utf-8")
    rows = dict(re.findall(r"^\| `([A-Z_]+)` \| ([0-9,]+) \|", text, flags=re.MULTILINE))
    assert sorted(rows) == sorted(limits.__all__)
    for name, value in rows.items():
        assert int(value.replace(",", "")) == getattr(limits, name), name


def test_the_lifecycle_example_runs_and_settles_what_was_kept() -> None:
    example = Path(__file__).resolve().parents[1] / "examples" / "lifecycle_demo.py"
    result = subprocess.run(
        [sys.executable, str(example)], capture_output=True, text=True, check=False
    )

    assert result.returncode == 0, result.stderr
    assert "wang      CNY    available  20.00" in result.stdout
    assert "guide-li  CNY    available  10.00" in result.stdout
    assert "pay-1 again: duplicate" in result.stdout
