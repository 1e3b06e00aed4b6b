"""Golden vectors: plan + scenario in, every evaluation pinned, field by field.

Each directory ``tests/vectors/NNN-name/`` holds a plan (``plan.toml``, or
``plan-v1.toml``, ``plan-v2.toml``, ... for a set of versions), a scenario
(``events.jsonl``) and the expected evaluation of each order in it
(``expected.jsonl``, one ``Evaluation.to_dict()`` per line).  The amounts in
``expected.jsonl`` were computed by hand; each vector's ``README.md`` shows the
computation and ends with tables of the amounts, which are checked against
``expected.jsonl`` here so the two cannot drift apart.  The event format is
described in ``tests/vectors/README.md``.

To rewrite ``expected.jsonl`` after an intentional change, run
``python tests/vectors/regenerate.py [NAME]`` and check the diff against the
hand computation in the vector's README.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from socialcommerce_rules import Order, Plan, PlanSet, ReferralGraph, evaluate, load_plan

VECTORS = Path(__file__).resolve().parent
REPOSITORY = VECTORS.parents[1]
_PLAN_VERSION_FILE = re.compile(r"plan-v([0-9]+)\.toml")

# Each event type with its required and optional fields ("type" aside).
EVENT_FIELDS: dict[str, tuple[frozenset[str], frozenset[str]]] = {
    "join": (frozenset({"at", "participant", "role"}), frozenset({"inviter", "store"})),
    "change_role": (frozenset({"at", "participant", "role"}), frozenset()),
    "set_active": (frozenset({"at", "participant", "active"}), frozenset()),
    "rebind": (frozenset({"at", "participant", "upline"}), frozenset()),
    "transplant": (frozenset({"at", "team_root", "upline"}), frozenset()),
    "guide_leaves": (frozenset({"at", "guide", "successor"}), frozenset()),
}


class VectorFormatError(ValueError):
    """A vector's files do not follow the format in tests/vectors/README.md."""


def vector_directories() -> list[Path]:
    """Every vector directory, in name order."""
    return sorted(path for path in VECTORS.iterdir() if (path / "events.jsonl").is_file())


def load_plans(directory: Path) -> Plan | PlanSet:
    """``plan.toml``, or the PlanSet of ``plan-v1.toml``, ``plan-v2.toml``, ..."""
    single = directory / "plan.toml"
    versions = sorted(
        path for path in directory.glob("plan-v*.toml") if _PLAN_VERSION_FILE.fullmatch(path.name)
    )
    if single.is_file() == bool(versions):
        raise VectorFormatError(f"{directory.name}: give plan.toml or plan-vN.toml files, not both")
    if single.is_file():
        return load_plan(single)
    return PlanSet(load_plan(path) for path in versions)


def _refuse_float(text: str) -> Any:
    raise VectorFormatError(f"{text} is a float; write amounts as strings")


def read_jsonl(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """(line number, object) for each non-blank line; floats are refused."""
    with path.open(encoding="utf-8") as handle:
        for number, text in enumerate(handle, start=1):
            if not text.strip():
                continue
            value = json.loads(text, parse_float=_refuse_float)
            if not isinstance(value, dict):
                raise VectorFormatError(f"{path.name}:{number}: expected a JSON object")
            yield number, value


def _at(event: dict[str, Any]) -> datetime:
    moment = datetime.fromisoformat(event["at"])
    if moment.tzinfo is None:
        raise VectorFormatError(f"{event['at']} has no time zone")
    return moment


def apply_event(graph: ReferralGraph, event: dict[str, Any]) -> None:
    """Apply one non-order event to ``graph``."""
    kind = event.get("type")
    if kind not in EVENT_FIELDS:
        raise VectorFormatError(f"unknown event type {kind!r}")
    required, optional = EVENT_FIELDS[kind]
    given = set(event) - {"type"}
    if not required <= given or not given <= required | optional:
        raise VectorFormatError(
            f"{kind} needs {sorted(required)} and may have {sorted(optional)}, got {sorted(given)}"
        )
    at = _at(event)
    if kind == "join":
        graph.join(
            event["participant"],
            at=at,
            role=event["role"],
            inviter=event.get("inviter"),
            store=event.get("store"),
        )
    elif kind == "change_role":
        graph.change_role(event["participant"], event["role"], at=at)
    elif kind == "set_active":
        if not isinstance(event["active"], bool):
            raise VectorFormatError("set_active: 'active' must be true or false")
        graph.set_active(event["participant"], event["active"], at=at)
    elif kind == "rebind":
        graph.rebind(event["participant"], event["upline"], at=at)
    elif kind == "transplant":
        graph.transplant(event["team_root"], event["upline"], at=at)
    else:
        graph.guide_leaves(event["guide"], at=at, successor=event["successor"])


def run_vector(directory: Path) -> list[dict[str, Any]]:
    """Play a vector's scenario; return ``Evaluation.to_dict()`` of each order."""
    plans = load_plans(directory)
    graph = ReferralGraph()
    results = []
    for number, event in read_jsonl(directory / "events.jsonl"):
        try:
            if event.get("type") == "order":
                order = Order.from_mapping({k: v for k, v in event.items() if k != "type"})
                evaluation = evaluate(plans, graph, order)
                graph.apply(evaluation.effects)
                results.append(evaluation.to_dict())
            else:
                apply_event(graph, event)
        except VectorFormatError as error:
            raise VectorFormatError(f"{directory.name}/events.jsonl:{number}: {error}") from None
        except Exception as error:
            error.add_note(f"while applying {directory.name}/events.jsonl line {number}")
            raise
    return results


def expected_results(directory: Path) -> list[dict[str, Any]]:
    """The pinned evaluations of a vector, in order."""
    return [value for _, value in read_jsonl(directory / "expected.jsonl")]


# ------------------------------------------------------------------ the diff


def _differences(expected: object, actual: object, path: str = "") -> Iterator[str]:
    """One line per leaf that differs, named by its path (``lines[1].amount``)."""
    if isinstance(expected, dict) and isinstance(actual, dict):
        for key in [*expected, *(key for key in actual if key not in expected)]:
            where = f"{path}.{key}" if path else str(key)
            if key not in actual:
                yield f"{where}: missing (expected {expected[key]!r})"
            elif key not in expected:
                yield f"{where}: unexpected {actual[key]!r}"
            else:
                yield from _differences(expected[key], actual[key], where)
    elif isinstance(expected, list) and isinstance(actual, list):
        for index in range(max(len(expected), len(actual))):
            where = f"{path}[{index}]"
            if index >= len(actual):
                yield f"{where}: missing (expected {expected[index]!r})"
            elif index >= len(expected):
                yield f"{where}: unexpected {actual[index]!r}"
            else:
                yield from _differences(expected[index], actual[index], where)
    elif expected != actual:
        yield f"{path}: expected {expected!r}, got {actual!r}"


def describe_mismatch(expected: dict[str, Any], actual: dict[str, Any]) -> str:
    """The differing fields, then a unified diff of both evaluations as JSON."""
    fields = "\n".join(f"  {line}" for line in _differences(expected, actual))
    diff = "\n".join(
        difflib.unified_diff(
            json.dumps(expected, ensure_ascii=False, indent=2).splitlines(),
            json.dumps(actual, ensure_ascii=False, indent=2).splitlines(),
            fromfile="expected",
            tofile="engine",
            lineterm="",
        )
    )
    return f"fields that differ:\n{fields}\n{diff}"


# ------------------------------------------------- the README's amount tables


def readme_tables(directory: Path) -> list[tuple[list[str], list[dict[str, str]]]]:
    """(header, rows) of each markdown table under ``## Expected amounts``."""
    text = (directory / "README.md").read_text(encoding="utf-8")
    _, found, section = text.partition("\n## Expected amounts\n")
    if not found:
        raise VectorFormatError(f"{directory.name}/README.md has no '## Expected amounts'")
    section = section.split("\n## ", 1)[0]
    tables: list[tuple[list[str], list[dict[str, str]]]] = []
    rows: list[list[str]] = []
    for line in [*section.splitlines(), ""]:
        if line.startswith("|"):
            rows.append([cell.strip() for cell in line.strip().strip("|").split("|")])
        elif rows:
            header, body = rows[0], rows[2:]
            tables.append((header, [dict(zip(header, row, strict=True)) for row in body]))
            rows = []
    return tables


def summary_of(result: dict[str, Any]) -> dict[str, str]:
    """An evaluation's totals, as the README's first table writes them."""
    return {
        "order": result["order_id"],
        "plan version": str(result["plan_version"]),
        "base": result["base"],
        "pool": result["pool"],
        "paid": result["paid"],
        "merchant_kept": result["merchant_kept"],
        "points": result["points"],
        "performance owner": result["performance_owner"] or "-",
        "store": result["store"] or "-",
        "effects": ", ".join(f"{e['participant']} -> {e['role']}" for e in result["effects"])
        or "-",
    }


def item_of(order: dict[str, Any], item: dict[str, Any]) -> dict[str, str]:
    """How an item's base was derived, as the README's optional third table writes it."""
    return {
        "order": order["order_id"],
        "item": item["item_id"],
        "gross": item["gross"],
        "discount": item["discount"],
        "deductions": item["deductions"],
        "shipping": item["shipping"],
        "base": item["base"],
        "excluded": "yes" if item["excluded"] else "no",
    }


def line_of(line: dict[str, Any]) -> dict[str, str]:
    """A payout line, as the README's second table writes it."""
    return {
        "order": line["order_id"],
        "item": line["item_id"],
        "rule": line["rule_id"],
        "beneficiary": line["beneficiary"],
        "level": str(line["level"]),
        "rule level": str(line["rule_level"]),
        "amount": f"{line['amount']} {line['unit']}",
        "capped from": line["capped_from"] or "-",
    }


# --------------------------------------------------------------------- tests

DIRECTORIES = vector_directories()


def test_vectors_are_present() -> None:
    assert len(DIRECTORIES) >= 20, [path.name for path in DIRECTORIES]


@pytest.mark.parametrize("directory", DIRECTORIES, ids=lambda path: path.name)
def test_vector(directory: Path) -> None:
    expected = expected_results(directory)
    actual = run_vector(directory)
    assert [r["order_id"] for r in actual] == [r["order_id"] for r in expected], (
        "the scenario's orders and expected.jsonl's lines do not match one to one"
    )
    for wanted, got in zip(expected, actual, strict=True):
        if wanted != got:
            pytest.fail(
                f"order {wanted['order_id']} of {directory.name}:\n"
                + describe_mismatch(wanted, got),
                pytrace=False,
            )


@pytest.mark.parametrize("directory", DIRECTORIES, ids=lambda path: path.name)
def test_readme_amounts_match_expected(directory: Path) -> None:
    """The hand computation in README.md and expected.jsonl agree on every amount."""
    expected = expected_results(directory)
    tables = readme_tables(directory)
    assert len(tables) in (2, 3), (
        f"{directory.name}/README.md: want a totals table, a lines table and optionally "
        "an items table"
    )
    (totals_header, totals), (lines_header, lines) = tables[:2]
    assert {"order", "base", "pool", "paid", "merchant_kept"} <= set(totals_header)
    assert {"order", "item", "rule", "beneficiary", "level", "amount"} <= set(lines_header)
    # Left: the README's hand computation; right: expected.jsonl.
    assert totals == [{key: summary_of(r)[key] for key in totals_header} for r in expected]
    assert lines == [
        {key: line_of(line)[key] for key in lines_header} for r in expected for line in r["lines"]
    ]
    if len(tables) == 3:
        items_header, items = tables[2]
        assert {"order", "item", "base"} <= set(items_header)
        assert items == [
            {key: item_of(r, item)[key] for key in items_header}
            for r in expected
            for item in r["items"]
        ]


def test_article_vector_uses_the_shipped_example() -> None:
    shipped = (REPOSITORY / "examples" / "article_scheme.toml").read_bytes()
    assert (VECTORS / "001-article-scheme" / "plan.toml").read_bytes() == shipped


def test_events_refuse_unknown_types_and_fields() -> None:
    graph = ReferralGraph()
    with pytest.raises(VectorFormatError, match="unknown event type"):
        apply_event(graph, {"type": "leave", "at": "2026-01-01T00:00:00+08:00"})
    with pytest.raises(VectorFormatError, match="join needs"):
        apply_event(
            graph,
            {"type": "join", "at": "2026-01-01T00:00:00+08:00", "participant": "a", "rank": 1},
        )
    assert len(graph) == 0
