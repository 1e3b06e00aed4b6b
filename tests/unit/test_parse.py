"""_parse.py: TOML dotted keys and table headers are refused by their part count,
before tomllib (whose time grows with the square of a key's parts) sees them."""

from __future__ import annotations

import time
import tomllib
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from socialcommerce_rules import LimitError
from socialcommerce_rules._parse import check_nesting, parse_toml_text
from socialcommerce_rules.errors import SocialCommerceError
from socialcommerce_rules.limits import PLAN_NESTING_MAX


def _parse(text: str, nesting_max: int = PLAN_NESTING_MAX) -> Any:
    return parse_toml_text(
        text, nesting_max=nesting_max, limit_code="limit-plan-nesting", error=_syntax_error
    )


class _SyntaxRefusedError(Exception):
    pass


def _syntax_error(kind: str, message: str, path: str) -> SocialCommerceError:
    raise _SyntaxRefusedError(message)


def _key(parts: int, part: str = "a") -> str:
    return ".".join([part] * parts)


@pytest.mark.parametrize(
    "text",
    [
        f"{_key(PLAN_NESTING_MAX)} = 1",
        f"{_key(PLAN_NESTING_MAX, 'a ')} = 1",  # spaces around the dots
        f"[{_key(PLAN_NESTING_MAX - 1)}]\nx = 1",
        f"[[{_key(PLAN_NESTING_MAX - 2)}]]\nx = 1",
        f"x = {{ {_key(PLAN_NESTING_MAX - 1)} = 1 }}",
    ],
    ids=["key", "key-spaced", "header", "array-header", "inline-key"],
)
def test_a_key_at_the_nesting_limit_is_read(text: str) -> None:
    data = _parse(text)

    check_nesting(data, nesting_max=PLAN_NESTING_MAX, limit_code="limit-plan-nesting")


@pytest.mark.parametrize(
    "text",
    [
        f"{_key(PLAN_NESTING_MAX + 1)} = 1",
        f"{_key(PLAN_NESTING_MAX + 1, 'a ')} = 1",
        f"[{_key(PLAN_NESTING_MAX + 1)}]",
        f"[[{_key(PLAN_NESTING_MAX + 1)}]]",
        f"x = {{ {_key(PLAN_NESTING_MAX + 1)} = 1 }}",
        _key(PLAN_NESTING_MAX + 1, '"q.q"') + " = 1",
        _key(PLAN_NESTING_MAX + 1, "'q.q'") + " = 1",
        "a" + ".a" * 12_000 + " = 1",
        "[" + ".".join(["a"] * 40_000) + "]",
    ],
    ids=[
        "key",
        "key-spaced",
        "header",
        "array-header",
        "inline-key",
        "quoted-parts",
        "literal-parts",
        "12000-parts",
        "header-40000-parts",
    ],
)
def test_a_key_past_the_nesting_limit_is_refused_at_once(text: str) -> None:
    start = time.perf_counter()
    with pytest.raises(LimitError) as caught:
        _parse(text)

    assert caught.value.code == "limit-plan-nesting"
    assert time.perf_counter() - start < 0.1


@pytest.mark.parametrize(
    "text",
    [
        f'x = "{_key(100)}"',
        f"x = '{_key(100)}'",
        f'x = """\n{_key(100)}\n"""',
        f"x = '''\n{_key(100)}\n'''",
        f'x = """a"" {_key(100)} """""',  # quotes just inside the closing delimiter
        f'x = "\\" {_key(100)}"',  # an escaped quote does not end the string
        f"# {_key(100)}\nx = 1",
        f'"{_key(100)}" = 1',  # a quoted key with dots is one part
        f"x = '{_key(50)}' # {_key(50)}",
        "x = [" + ", ".join(["1.5"] * 100) + "]",
        "x = [\n" + "\n".join(["1.5,"] * 100) + "\n]",
    ],
    ids=[
        "basic-string",
        "literal-string",
        "multi-line-string",
        "multi-line-literal",
        "multi-line-closing-quotes",
        "escaped-quote",
        "comment",
        "quoted-key",
        "string-then-comment",
        "floats-in-array",
        "floats-on-lines",
    ],
)
def test_dots_outside_keys_are_not_counted(text: str) -> None:
    _parse(text)


# Random TOML documents, mostly valid: keys of bare and quoted parts (quoted
# ones holding dots, quotes and escapes), values with dots (floats, dates,
# strings, multi-line strings), comments, headers, inline tables; sometimes a
# stray token breaks them.
_PART = st.sampled_from(["a", "b", "c-d", '"x.y"', "'x.y'", '"q\\".r.s.t"', '""', "'#.'", '"\\\\"'])
_KEY = st.lists(_PART, min_size=1, max_size=5).flatmap(
    lambda parts: st.sampled_from([".", " . ", ". "]).map(lambda dot: dot.join(parts))
)
_SCALAR = st.sampled_from(
    [
        "1", "1.5", "-0.5e3", "2026-01-01T00:00:00.5Z", '"s.s"', "'s.s'", "true",
        '"""m.\n"".m"""', "'''m.\n''.m'''", '"a\\"b.c.d.e"', "[1.5, 2.5]", "[\n1.5,\n2.5\n]",
    ]
)  # fmt: skip
_VALUE = st.one_of(
    _SCALAR, st.tuples(_KEY, _SCALAR).map(lambda pair: f"{{ {pair[0]} = {pair[1]} }}")
)
_LINE = st.one_of(
    st.tuples(_KEY, _VALUE).map(lambda pair: f"{pair[0]} = {pair[1]}"),
    _KEY.map(lambda key: f"[{key}]"),
    _KEY.map(lambda key: f"[[{key}]]"),
    _KEY.map(lambda key: f"# {key}"),
)
_NOISE = st.sampled_from(['"', "'", "\\", ".", "=", "[", "]", "{", "}", ",", "\n", "#", '"""'])


@st.composite
def _documents(draw: st.DrawFn) -> str:
    text = "\n".join(draw(st.lists(_LINE, min_size=1, max_size=6)))
    if draw(st.booleans()):
        at = draw(st.integers(0, len(text)))
        text = text[:at] + draw(_NOISE) + text[at:]
    return text


@settings(max_examples=400, deadline=None)
@given(_documents(), st.integers(1, 4))
def test_a_refused_key_is_never_in_a_valid_document_within_the_limit(
    text: str, nesting_max: int
) -> None:
    # Soundness of the scan: whatever it refuses, tomllib refuses as well, or the
    # document nests deeper than the limit.
    try:
        _parse(text, nesting_max)
    except LimitError:
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError:
            return
        with pytest.raises(LimitError):
            check_nesting(data, nesting_max=nesting_max, limit_code="limit-plan-nesting")
    except _SyntaxRefusedError:
        pass
