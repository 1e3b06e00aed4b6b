"""Mutation fuzzing: valid plan, event and profile texts, broken at random.

Hypothesis takes a valid text and applies a few mutations (cut, duplicate or
delete a span; insert a hostile token; replace a character with an odd one).
Whatever comes out must parse or be refused with a library error, within budget.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from socialcommerce_rules import Plan
from socialcommerce_rules.compliance import profile_from_text
from socialcommerce_rules.events import event_from_json

from ._support import EVENT_LINES, PLAN_JSON, PLAN_TOML, ROOT, only_typed_errors

PROFILE_TOML = (
    ROOT / "src" / "socialcommerce_rules" / "data" / "profiles" / "cn-anti-pyramid.toml"
).read_text(encoding="utf-8")

TOKENS = (
    "nan", "-inf", "NaN", "Infinity", "1e999999999", "1E-999999999", "9" * 4301,
    "0x" + "f" * 200, "0b1", "0o7", "true", "null", '"', "'", "[", "]", "{", "}", "=", ":",
    ",", ".", "\\", "\\u0000", "\\ud800", "\x00", "\x1b", "\ufeff", "\u202e", "٣", "３",
    "\n", "\r", "\t", "#", '"""', "[[rules]]", "[base]", '"a": 1, "a": 2', "a = 1\na = 2",
    "[" * 200, "{" * 200, "-", "+", "_", "T", "Z", "+08:00",
)  # fmt: skip
ODD_CHARACTERS = st.characters(codec="utf-8") | st.sampled_from(
    ["\x00", "\x7f", "\u2028", "\ud7ff", "\U0010ffff", "٣", "３", "𝟑", "e", "E", "."]
)


@st.composite
def mutated(draw: st.DrawFn, text: str) -> str:
    """``text`` with one to four random mutations."""
    for _ in range(draw(st.integers(1, 4))):
        start = draw(st.integers(0, len(text)))
        end = draw(st.integers(start, min(len(text), start + 40)))
        kind = draw(st.sampled_from(["cut", "delete", "duplicate", "insert", "replace"]))
        if kind == "cut":
            text = text[:start]
        elif kind == "delete":
            text = text[:start] + text[end:]
        elif kind == "duplicate":
            text = text[:end] + text[start:end] * draw(st.integers(1, 50)) + text[end:]
        elif kind == "insert":
            text = text[:start] + draw(st.sampled_from(TOKENS)) + text[start:]
        else:
            text = text[:start] + draw(ODD_CHARACTERS) + text[start + 1 :]
    return text


PARSERS: list[tuple[str, str, Callable[[str], object]]] = [
    ("plan-toml", PLAN_TOML, Plan.from_toml),
    ("plan-json", PLAN_JSON, Plan.from_json),
    ("profile-toml", PROFILE_TOML, profile_from_text),
    *[(f"event-{index}", line, event_from_json) for index, line in enumerate(EVENT_LINES[:6])],
]


@pytest.mark.parametrize(
    ("text", "parse"), [case[1:] for case in PARSERS], ids=[case[0] for case in PARSERS]
)
@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_a_mutated_text_parses_or_gets_a_typed_error(
    text: str, parse: Callable[[str], object], data: st.DataObject
) -> None:
    broken = data.draw(mutated(text), label="text")

    only_typed_errors(lambda: parse(broken))
