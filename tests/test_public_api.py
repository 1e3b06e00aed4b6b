"""The public surface: what is exported, that it is documented, typed, and coded.

Changing ``__all__`` of the package or of ``plan`` is a change of the public API:
update the lists here in the same change, on purpose.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import itertools
import re
from importlib import resources
from pathlib import Path
from types import ModuleType

import pytest

import socialcommerce_rules
import socialcommerce_rules.plan
from socialcommerce_rules import ERROR_CODES

ROOT = Path(__file__).parents[1]
SOURCE = ROOT / "src" / "socialcommerce_rules"

PACKAGE_ALL = [
    "ERROR_CODES",
    "Evaluation",
    "GraphError",
    "InternalInvariantError",
    "InviteAward",
    "ItemBase",
    "LimitError",
    "NoPlanInForceError",
    "Order",
    "OrderError",
    "OrderItem",
    "PayoutLine",
    "Plan",
    "PlanError",
    "PlanSet",
    "Problem",
    "ReferralGraph",
    "RoleChange",
    "SocialCommerceError",
    "UnknownParticipantError",
    "evaluate",
    "evaluate_invite",
    "load_plan",
    "plan_json_schema",
]

PLAN_ALL = [
    "Binding",
    "Caps",
    "CommissionBase",
    "DifferentialRule",
    "GiftPack",
    "Level",
    "LevelRule",
    "Plan",
    "PlanSet",
    "PointsLevel",
    "PointsRule",
    "Role",
    "Rule",
    "load_plan",
    "plan_json_schema",
]

PUBLIC_MODULES = [
    "socialcommerce_rules",
    "socialcommerce_rules.engine",
    "socialcommerce_rules.errors",
    "socialcommerce_rules.graph",
    "socialcommerce_rules.limits",
    "socialcommerce_rules.money",
    "socialcommerce_rules.orders",
    "socialcommerce_rules.plan",
    "socialcommerce_rules.compliance",
    "socialcommerce_rules.metrics",
    "socialcommerce_rules.notebook",
    "socialcommerce_rules.simulate",
    "socialcommerce_rules.testing",
]


@pytest.mark.parametrize(
    ("module", "expected"),
    [(socialcommerce_rules, PACKAGE_ALL), (socialcommerce_rules.plan, PLAN_ALL)],
    ids=["socialcommerce_rules", "socialcommerce_rules.plan"],
)
def test_all_is_the_checked_in_list(module: ModuleType, expected: list[str]) -> None:
    assert sorted(module.__all__) == expected
    assert len(set(module.__all__)) == len(module.__all__)


@pytest.mark.parametrize("name", PUBLIC_MODULES)
def test_every_public_module_declares_what_it_exports(name: str) -> None:
    module = importlib.import_module(name)

    assert module.__doc__, f"{name} has no module docstring"
    assert module.__all__, f"{name} has no __all__"
    for exported in module.__all__:
        assert hasattr(module, exported), f"{name}.__all__ names a missing {exported}"
        assert not exported.startswith("_")


def test_the_package_exports_match_the_star_import() -> None:
    namespace: dict[str, object] = {}
    exec("from socialcommerce_rules import *", namespace)

    assert set(namespace) - {"__builtins__"} == set(PACKAGE_ALL)


def _attribute_docstrings() -> dict[str, str]:
    """Module-level ``NAME = value`` followed by a string: the name's docstring."""
    found: dict[str, str] = {}
    for file in SOURCE.rglob("*.py"):
        body = ast.parse(file.read_text(encoding="utf-8")).body
        for statement, following in itertools.pairwise(body):
            if isinstance(statement, ast.Assign) and len(statement.targets) == 1:
                target = statement.targets[0]
            elif isinstance(statement, ast.AnnAssign):
                target = statement.target
            else:
                continue
            if (
                isinstance(target, ast.Name)
                and isinstance(following, ast.Expr)
                and isinstance(following.value, ast.Constant)
                and isinstance(following.value.value, str)
            ):
                found[target.id] = following.value.value
    return found


def _own_docstring(value: object) -> str | None:
    if inspect.isclass(value):
        return value.__dict__.get("__doc__")
    if inspect.isfunction(value) or inspect.ismethod(value):
        return value.__doc__
    return None


@pytest.mark.parametrize(
    ("module", "name"),
    [(socialcommerce_rules, name) for name in PACKAGE_ALL]
    + [(socialcommerce_rules.plan, name) for name in PLAN_ALL],
    ids=[f"package.{name}" for name in PACKAGE_ALL] + [f"plan.{name}" for name in PLAN_ALL],
)
def test_every_exported_name_is_documented(module: ModuleType, name: str) -> None:
    value = getattr(module, name)
    if inspect.isclass(value) or inspect.isfunction(value):
        docstring = _own_docstring(value)
    else:
        # Constants and type aliases carry a docstring right after their assignment.
        docstring = _attribute_docstrings().get(name)

    assert docstring, f"{name} has no docstring"
    assert len(docstring.strip()) > 10


def test_py_typed_ships_with_the_package() -> None:
    marker = resources.files("socialcommerce_rules").joinpath("py.typed")

    assert marker.is_file()
    assert (SOURCE / "py.typed").is_file()
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert 'packages = ["src/socialcommerce_rules"]' in pyproject
    assert "Typing :: Typed" in pyproject


# ---------------------------------------------------------------- error codes

# Error-code shaped strings that are not error codes.
_NOT_CODES = {
    # The pydantic error type that carries whole-plan problems to the loader,
    # which unpacks them into their own codes; it never reaches a caller.
    "plan-semantic",
    # The id of the plans the testing strategies generate, not a code.
    "plan-under-test",
}

_QUOTED_CODE = re.compile(
    r"""["']((?:plan|limit|graph|order|event|store|simulation|internal)(?:-[a-z][a-z0-9]*)+)["']"""
)


def _source_without_error_codes_table() -> str:
    texts = []
    for file in sorted(SOURCE.rglob("*.py")):
        text = file.read_text(encoding="utf-8")
        if file.name == "errors.py":
            start = text.index("ERROR_CODES")
            end = text.index("\n}\n", start)
            text = text[:start] + text[end:]
        texts.append(text)
    return "\n".join(texts)


def test_every_code_the_source_raises_is_registered() -> None:
    used = set(_QUOTED_CODE.findall(_source_without_error_codes_table())) - _NOT_CODES

    assert used, "no codes found: the pattern no longer matches the source"
    assert sorted(used - set(ERROR_CODES)) == []


def test_every_parse_failure_kind_maps_to_a_registered_plan_code() -> None:
    # The safe parsers report a kind ("syntax", "duplicate-key", ...) and the plan
    # loader turns it into f"plan-{kind}".
    parse = (SOURCE / "_parse.py").read_text(encoding="utf-8")
    kinds = set(re.findall(r"""(?:_RefusedLiteralError|error)\(\s*["']([a-z-]+)["']""", parse))

    assert {"syntax", "number-invalid", "duplicate-key"} <= kinds
    for kind in kinds:
        assert f"plan-{kind}" in ERROR_CODES


def test_every_registered_code_is_raised_somewhere() -> None:
    source = _source_without_error_codes_table()
    parse = (SOURCE / "_parse.py").read_text(encoding="utf-8")
    kinds = set(re.findall(r"""(?:_RefusedLiteralError|error)\(\s*["']([a-z-]+)["']""", parse))
    raised = set(_QUOTED_CODE.findall(source)) | {f"plan-{kind}" for kind in kinds}

    assert sorted(set(ERROR_CODES) - raised) == []


def test_every_code_is_documented_in_the_error_reference() -> None:
    reference = ROOT / "docs" / "errors.md"
    if not reference.is_file():
        pytest.skip("docs/errors.md is not written yet")
    text = reference.read_text(encoding="utf-8")

    assert [code for code in ERROR_CODES if code not in text] == []
