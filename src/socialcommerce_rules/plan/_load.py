"""Loading plans from files and data, and sets of plan versions.

Turns TOML, JSON or plain data into validated :class:`Plan` values, converting
every pydantic error into a :class:`~socialcommerce_rules.errors.Problem` with a
stable code and a dotted path, and refusing oversize or deeply nested input before
parsing it.
"""

from __future__ import annotations

import bisect
import copy
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

from pydantic import TypeAdapter, ValidationError
from pydantic_core import ErrorDetails

from .._parse import check_nesting, parse_json_text, parse_toml_text, read_document
from .._time import to_instant
from ..errors import LimitError, NoPlanInForceError, PlanError, Problem
from ..limits import PLAN_BYTES_MAX, PLAN_NESTING_MAX, PLAN_VERSIONS_MAX
from ..money import describe
from ._models import Plan

__all__ = ["PlanSet", "load_plan", "plan_from_data", "plan_from_text", "plan_json_schema"]

_RULE_KINDS = frozenset({"level", "differential", "points"})

# pydantic's own error types that map to a plan code other than plan-invalid-value.
_PYDANTIC_CODES = {
    "extra_forbidden": "plan-unknown-key",
    "missing": "plan-missing-key",
    "too_long": "plan-limit",
    "string_too_long": "plan-limit",
}


def plan_from_text(text: str, file_format: Literal["toml", "json"]) -> Plan:
    """Parse TOML or JSON plan text and validate it.

    Raises:
        LimitError: the text is longer than PLAN_BYTES_MAX bytes or nests deeper
            than PLAN_NESTING_MAX.
        PlanError: every problem found, with paths.
    """
    size = len(text.encode("utf-8", errors="surrogatepass"))
    if size > PLAN_BYTES_MAX:
        raise LimitError(
            "limit-plan-bytes",
            f"the plan is {size} bytes, more than PLAN_BYTES_MAX = {PLAN_BYTES_MAX}",
        )
    parse = parse_toml_text if file_format == "toml" else parse_json_text
    data = parse(
        text, nesting_max=PLAN_NESTING_MAX, limit_code="limit-plan-nesting", error=_parse_error
    )
    return plan_from_data(data)


def _parse_error(kind: str, message: str, path: str) -> PlanError:
    return PlanError([Problem(f"plan-{kind}", path, message)])


def plan_from_data(data: Any) -> Plan:
    """Validate plain data as a plan.

    Raises:
        LimitError: the data nests deeper than PLAN_NESTING_MAX.
        PlanError: every problem found, with paths.
    """
    check_nesting(data, nesting_max=PLAN_NESTING_MAX, limit_code="limit-plan-nesting")
    try:
        return Plan.model_validate(data)
    except ValidationError as error:
        problems = problems_from_validation(error)
        raise PlanError(problems + _whole_plan_problems_besides(data, error, problems)) from None


def _whole_plan_problems_besides(
    data: Any, error: ValidationError, found: list[Problem]
) -> list[Problem]:
    """The whole-plan problems that field problems kept pydantic from looking for.

    Best effort: drop each offending key from its table and validate again; if
    that leaves only whole-plan problems, report those not already at a path
    found.  When a field cannot simply be dropped (a required one), report none.
    """
    if not isinstance(data, dict):
        return []
    repaired = copy.deepcopy(data)
    for detail in error.errors(include_url=False):
        location = list(detail["loc"])
        if len(location) > 2 and location[0] == "rules" and location[2] in _RULE_KINDS:
            del location[2]
        parent: Any = repaired
        for part in location[:-1]:
            try:
                parent = parent[part]
            except (KeyError, IndexError, TypeError):
                parent = None
                break
        if isinstance(parent, dict) and location and location[-1] in parent:
            del parent[location[-1]]
    try:
        Plan.model_validate(repaired)
    except ValidationError as second:
        details = second.errors(include_url=False)
        if len(details) == 1 and details[0]["type"] == "plan-semantic":
            seen = {problem.path for problem in found}
            return [
                problem
                for problem in (details[0].get("ctx") or {})["problems"]
                if problem.path not in seen
            ]
    return []


def load_plan(path: str | Path) -> Plan:
    """Read a plan file (``.toml`` or ``.json``) and validate it.

    Args:
        path: the file; its suffix chooses the format.

    Returns:
        The validated plan.

    Raises:
        LimitError: the file is larger than PLAN_BYTES_MAX or nests too deep.
        PlanError: the file is not a valid plan; every problem is listed.
        OSError: the file cannot be read.

    >>> plan = load_plan("examples/article_scheme.toml")
    >>> (plan.id, plan.max_depth)
    ('article-scheme', 2)
    """
    file = Path(path)
    suffix = file.suffix.lower()
    if suffix not in (".toml", ".json"):
        raise PlanError(
            [Problem("plan-syntax", "", f"{file.name}: a plan file must end in .toml or .json")]
        )
    text = read_document(file, lambda message: PlanError([Problem("plan-syntax", "", message)]))
    return plan_from_text(text, "toml" if suffix == ".toml" else "json")


def plan_json_schema() -> dict[str, Any]:
    """The JSON Schema of the plan language, for editors and other tools.

    >>> plan_json_schema()["title"]
    'Plan'
    """
    return TypeAdapter(Plan).json_schema(mode="validation")


def problems_from_validation(error: ValidationError) -> list[Problem]:
    """Turn a pydantic error into problems with stable codes and dotted paths."""
    details = _without_echoes(error.errors(include_url=False))
    problems: list[Problem] = []
    for detail in details:
        context = detail.get("ctx") or {}
        if detail["type"] == "plan-semantic":
            problems.extend(context["problems"])
            continue
        path = format_path(detail["loc"])
        code = _PYDANTIC_CODES.get(detail["type"], detail["type"])
        if not code.startswith("plan-"):
            code = "plan-invalid-value"
        message = detail["msg"]
        if code == "plan-unknown-key":
            message = "is not a key the plan language defines"
        elif code == "plan-invalid-value" and "input" in detail:
            message = f"{_show(detail['input'])}: {message}"
        problems.append(Problem(code, path, message))
    return problems


def _without_echoes(details: list[ErrorDetails]) -> list[ErrorDetails]:
    """Drop a list's "too short" error when it is only the echo of a refused element."""
    locations = [tuple(detail["loc"]) for detail in details]
    return [
        detail
        for detail, location in zip(details, locations, strict=True)
        if detail["type"] != "too_short"
        or not any(
            len(other) > len(location) and other[: len(location)] == location for other in locations
        )
    ]


def format_path(location: Sequence[int | str]) -> str:
    """``('rules', 2, 'level', 'levels', 1)`` -> ``rules[2].levels[1]``.

    The rule kind that pydantic inserts right after ``rules[i]`` is dropped.
    """
    text = ""
    for position, part in enumerate(location):
        if isinstance(part, int):
            text += f"[{part}]"
        elif (
            position == 2
            and location[0] == "rules"
            and isinstance(location[1], int)
            and part in _RULE_KINDS
        ):
            continue
        else:
            text += f".{part}" if text else str(part)
    return text


def _show(value: object) -> str:
    return describe(value)


class PlanSet:
    """The versions of one plan; an order uses the version in force when paid.

    Args:
        plans: versions of one plan id, in any order.  Versions must be unique and
            ``effective_from`` must increase with the version number.

    Raises:
        PlanError: versions of different plans, duplicate versions, or dates that
            do not increase with the version number.

    >>> from datetime import datetime, timezone
    >>> plans = PlanSet([load_plan("examples/article_scheme.toml")])
    >>> plans.at(datetime(2026, 6, 1, tzinfo=timezone.utc)).version
    1
    """

    __slots__ = ("_instants", "_plans")

    def __init__(self, plans: Iterable[Plan]) -> None:
        ordered = sorted(plans, key=lambda plan: plan.version)
        problems = _version_problems(ordered)
        if problems:
            raise PlanError(problems)
        self._plans: tuple[Plan, ...] = tuple(ordered)
        self._instants: tuple[int, ...] = tuple(to_instant(p.effective_from) for p in ordered)

    @property
    def plan_id(self) -> str:
        """The id shared by every version."""
        return self._plans[0].id

    def __iter__(self) -> Iterator[Plan]:
        return iter(self._plans)

    def __len__(self) -> int:
        return len(self._plans)

    def at(self, when: datetime) -> Plan:
        """The version in force at ``when`` (an aware datetime).

        Raises:
            NoPlanInForceError: ``when`` is before the first version's start.
        """
        return self.at_instant(to_instant(when))

    def at_instant(self, instant: int) -> Plan:
        """The version in force at ``instant`` (microseconds since the epoch, UTC)."""
        position = bisect.bisect_right(self._instants, instant)
        if position == 0:
            raise NoPlanInForceError(
                "order-no-plan-in-force",
                f"no version of plan {self.plan_id!r} was in force; the first starts at "
                f"{self._plans[0].effective_from.isoformat()}",
            )
        return self._plans[position - 1]


def _version_problems(plans: Sequence[Plan]) -> list[Problem]:
    if not plans:
        return [Problem("plan-version-mismatch", "", "a plan set needs at least one version")]
    if len(plans) > PLAN_VERSIONS_MAX:
        return [Problem("plan-limit", "", f"more than PLAN_VERSIONS_MAX = {PLAN_VERSIONS_MAX}")]
    problems = []
    for index, plan in enumerate(plans):
        if plan.id != plans[0].id:
            problems.append(
                Problem(
                    "plan-version-mismatch",
                    f"versions[{index}].id",
                    f"{plan.id!r} differs from {plans[0].id!r}",
                )
            )
        if index == 0:
            continue
        previous = plans[index - 1]
        if plan.version == previous.version:
            problems.append(
                Problem(
                    "plan-duplicate",
                    f"versions[{index}].version",
                    f"version {plan.version} is given twice",
                )
            )
        elif plan.effective_from <= previous.effective_from:
            problems.append(
                Problem(
                    "plan-version-mismatch",
                    f"versions[{index}].effective_from",
                    f"version {plan.version} starts at {plan.effective_from.isoformat()}, not "
                    f"after version {previous.version} ({previous.effective_from.isoformat()})",
                )
            )
    return problems
