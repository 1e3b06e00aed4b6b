"""Safe readers for TOML and JSON text: exact numbers, no duplicates, bounded size.

Turns file text into plain Python data for validation.  Float literals are kept
as :class:`~socialcommerce_rules.money.FloatLiteral` text, and NaN, Infinity and
over-long integers as :class:`~socialcommerce_rules.money.RefusedNumber` text, so
that validation refuses them by path.  Duplicate keys are refused with their path.
Nesting is checked after parsing, and a parser's recursion limit is reported as
the nesting limit.  TOML dotted keys and table headers with more parts than the
nesting limit are refused before parsing, because tomllib takes time quadratic in
the number of parts of a key.
"""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .errors import LimitError, SocialCommerceError
from .limits import NUMBER_LITERAL_LENGTH_MAX, PLAN_BYTES_MAX
from .money import FloatLiteral, RefusedNumber

__all__ = [
    "ParseErrorFactory",
    "check_nesting",
    "parse_json_text",
    "parse_toml_text",
    "read_document",
]

# Makes the caller's error from a failure kind ("syntax", "number-invalid",
# "duplicate-key"), a message and a path, so plans and orders keep their codes.
ParseErrorFactory = Callable[[str, str, str], SocialCommerceError]

_NOT_FINITE = frozenset({"nan", "+nan", "-nan", "inf", "+inf", "-inf"})

# TOML strings and comments, in the order a left-to-right scan meets them.  Every
# alternative starts with a different character or is tried longest first, and no
# two ways of repeating one can match the same text, so matching is linear.
_TOML_STRING_OR_COMMENT = re.compile(
    r'''"""(?:[^"\\]|\\[\s\S]|""?(?!"))*+"{3,5}'''  # multi-line basic string
    r"|'''(?:[^']|''?(?!'))*+'{3,5}"  # multi-line literal string
    r'''|"(?:[^"\\\n]|\\[^\n])*+"'''  # basic string
    r"|'[^'\n]*+'"  # literal string
    r"|#[^\n]*+"  # comment
)
# Characters that end a dotted key, outside strings and comments.
_KEY_END = "\n\r[]{}=,"


def _dots_in_a_key(dots: int) -> re.Pattern[str]:
    """``dots`` dots between two key ends: a key of more than ``dots`` parts.

    Tried only just after a key end, and each repetition can match one way only,
    so a search is linear in the text.
    """
    end = re.escape(_KEY_END)
    return re.compile(rf"(?:\A|(?<=[{end}]))(?:[^{end}.]*+\.){{{dots}}}")


def _check_toml_keys(text: str, *, nesting_max: int, limit_code: str) -> None:
    """Refuse a TOML dotted key or table header of more than ``nesting_max`` parts.

    Such a key nests tables deeper than ``nesting_max`` (a key of n parts holds
    its value n tables deep, a header's table is n + 1 deep), so the nesting
    check would refuse the document anyway.  The scan is linear: strings and
    comments become a placeholder without dots, then the dots between two
    characters that end a key (newline, ``[ ] { } = ,``) are counted.  For a key
    or header the count is exact, because bare keys cannot hold dots and quoted
    ones are placeholders.  It over-counts only where a valid document cannot
    hold dots: a value is one token, and no number or date has more than one
    dot, so only an invalid document can be refused here rather than by the
    parser.  (With a limit of 1, a key of two parts is left to the nesting check.)
    """
    # A value may hold one dot, so one dot alone cannot tell a key of two parts.
    dots_max = max(nesting_max, 2)
    if text.count(".") < dots_max:
        return
    bare = _TOML_STRING_OR_COMMENT.sub("s", text)
    if _dots_in_a_key(dots_max).search(bare):
        raise LimitError(
            limit_code,
            f"a dotted key or table header has more than {nesting_max} parts, "
            f"so the document nests deeper than {nesting_max}",
        )


class _DuplicateKeys(dict[str, Any]):
    """A JSON object in which some key appeared more than once."""

    duplicates: list[str]


def _json_constant(text: str) -> RefusedNumber:
    return RefusedNumber(text)


def _json_int(text: str) -> int | RefusedNumber:
    if len(text) > NUMBER_LITERAL_LENGTH_MAX:
        return RefusedNumber(f"an integer of {len(text)} digits")
    return int(text)


def _float_literal(text: str) -> FloatLiteral | RefusedNumber:
    if text.lower() in _NOT_FINITE:
        return RefusedNumber(text)
    if len(text) > NUMBER_LITERAL_LENGTH_MAX:
        return RefusedNumber(f"a number of {len(text)} characters")
    return FloatLiteral(text)


def _pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result = dict(pairs)
    if len(result) == len(pairs):
        return result
    duplicates = []
    result = {}
    for key, value in pairs:
        if key in result:
            duplicates.append(key)
        result[key] = value
    marked = _DuplicateKeys(result)
    marked.duplicates = duplicates
    return marked


class _RepeatedKeyError(Exception):
    """A JSON object repeats a key: the fast parse gives up for the one that names it."""


def _unique_pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result = dict(pairs)
    if len(result) != len(pairs):
        raise _RepeatedKeyError
    return result


# One decoder for the common case (built once: json.loads with hooks builds one per call).
_FAST_JSON = json.JSONDecoder(
    parse_float=_float_literal,
    parse_int=_json_int,
    parse_constant=_json_constant,
    object_pairs_hook=_unique_pairs,
)


def parse_json_text(
    text: str, *, nesting_max: int, limit_code: str, error: ParseErrorFactory
) -> Any:
    """Parse JSON text, keeping float literals as text and marking refused numbers.

    Raises:
        the error ``error`` makes: for syntax errors and duplicate keys.
        LimitError: (code ``limit_code``) when the document nests deeper than
            ``nesting_max``.
    """
    # Fewer opening brackets than the limit cannot nest deeper than it: such a text,
    # valid and without a repeated key, needs nothing but the parse.  Anything else
    # takes the careful path, which names what is wrong and where.
    if text.count("{") + text.count("[") <= nesting_max:
        try:
            return _FAST_JSON.decode(text)
        except (_RepeatedKeyError, ValueError, RecursionError):
            pass
    return _parse(
        lambda: json.loads(
            text,
            parse_float=_float_literal,
            parse_int=_json_int,
            parse_constant=_json_constant,
            object_pairs_hook=_pairs,
        ),
        nesting_max=nesting_max,
        limit_code=limit_code,
        syntax_what="JSON",
        error=error,
    )


def parse_toml_text(
    text: str, *, nesting_max: int, limit_code: str, error: ParseErrorFactory
) -> Any:
    """Parse TOML text, keeping float literals as text and marking nan and inf.

    TOML itself forbids duplicate keys, so tomllib reports them as syntax errors.

    Raises:
        the error ``error`` makes: for syntax errors and over-long integers.
        LimitError: (code ``limit_code``) when the document nests too deep.
    """
    _check_toml_keys(text, nesting_max=nesting_max, limit_code=limit_code)
    return _parse(
        lambda: tomllib.loads(text, parse_float=_float_literal),
        nesting_max=nesting_max,
        limit_code=limit_code,
        syntax_what="TOML",
        error=error,
    )


def _parse(
    parse: Callable[[], Any],
    *,
    nesting_max: int,
    limit_code: str,
    syntax_what: str,
    error: ParseErrorFactory,
) -> Any:
    try:
        data = parse()
    except RecursionError:
        raise LimitError(limit_code, f"the document nests deeper than {nesting_max}") from None
    except ValueError as invalid:
        # json.JSONDecodeError and tomllib.TOMLDecodeError are both ValueErrors; so is
        # Python's refusal to convert an integer of more than 4300 digits.
        if "Exceeds the limit" in str(invalid):
            raise error("number-invalid", "an integer with too many digits", "") from None
        raise error("syntax", f"not valid {syntax_what}: {invalid}", "") from None
    check_nesting(data, nesting_max=nesting_max, limit_code=limit_code, error=error)
    return data


def check_nesting(
    data: Any, *, nesting_max: int, limit_code: str, error: ParseErrorFactory | None = None
) -> None:
    """Refuse ``data`` if it nests deeper than ``nesting_max``, or holds duplicate keys."""
    stack: list[tuple[Any, int, str]] = [(data, 1, "")]
    while stack:
        value, depth, path = stack.pop()
        if isinstance(value, dict):
            if isinstance(value, _DuplicateKeys) and error is not None:
                key = value.duplicates[0]
                raise error(
                    "duplicate-key",
                    f"the key {key!r} appears more than once",
                    f"{path}.{key}" if path else key,
                )
            children: list[tuple[Any, str]] = [
                (child, f"{path}.{key}" if path else str(key)) for key, child in value.items()
            ]
        elif isinstance(value, list):
            children = [(child, f"{path}[{index}]") for index, child in enumerate(value)]
        else:
            continue
        if depth > nesting_max:
            raise LimitError(limit_code, f"the document nests deeper than {nesting_max}")
        stack.extend((child, depth + 1, child_path) for child, child_path in children)


def read_document(file: Path, not_utf8: Callable[[str], SocialCommerceError]) -> str:
    """The text of a plan or profile file, read no further than PLAN_BYTES_MAX.

    Raises:
        LimitError: the file is larger than PLAN_BYTES_MAX.
        the error ``not_utf8`` makes from a message: the file is not UTF-8.
    """
    with file.open("rb") as handle:
        raw = handle.read(PLAN_BYTES_MAX + 1)
    if len(raw) > PLAN_BYTES_MAX:
        raise LimitError(
            "limit-plan-bytes",
            f"{file.name} is larger than PLAN_BYTES_MAX = {PLAN_BYTES_MAX} bytes",
        )
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise not_utf8(f"{file.name} is not UTF-8: {error}") from None
