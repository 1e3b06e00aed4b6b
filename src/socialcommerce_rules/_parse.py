"""Safe readers for TOML and JSON text: exact numbers, no duplicates, bounded size.

Turns file text into plain Python data for validation.  Float literals are kept
as :class:`~socialcommerce_rules.money.FloatLiteral` text, and NaN, Infinity and
over-long integers as :class:`~socialcommerce_rules.money.RefusedNumber` text, so
that validation refuses them by path.  Duplicate keys are refused with their path.
Nesting is checked after parsing, and a parser's recursion limit is reported as
the nesting limit.
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Callable
from typing import Any

from .errors import LimitError, SocialCommerceError
from .limits import NUMBER_LITERAL_LENGTH_MAX
from .money import FloatLiteral, RefusedNumber

__all__ = ["ParseErrorFactory", "check_nesting", "parse_json_text", "parse_toml_text"]

# Makes the caller's error from a failure kind ("syntax", "number-invalid",
# "duplicate-key"), a message and a path, so plans and orders keep their codes.
ParseErrorFactory = Callable[[str, str, str], SocialCommerceError]

_NOT_FINITE = frozenset({"nan", "+nan", "-nan", "inf", "+inf", "-inf"})


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


def parse_json_text(
    text: str, *, nesting_max: int, limit_code: str, error: ParseErrorFactory
) -> Any:
    """Parse JSON text, keeping float literals as text and marking refused numbers.

    Raises:
        the error ``error`` makes: for syntax errors and duplicate keys.
        LimitError: (code ``limit_code``) when the document nests deeper than
            ``nesting_max``.
    """
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
        # Fewer opening brackets than the limit cannot nest deeper than it.
        shallow=text.count("{") + text.count("[") <= nesting_max,
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
    shallow: bool = False,
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
    if shallow:
        _check_keys(data, error)
    else:
        check_nesting(data, nesting_max=nesting_max, limit_code=limit_code, error=error)
    return data


def _check_keys(data: Any, error: ParseErrorFactory) -> None:
    """Refuse duplicate keys in a document known to be shallow (few containers)."""
    stack = [data]
    while stack:
        value = stack.pop()
        if isinstance(value, dict):
            if isinstance(value, _DuplicateKeys):
                # Found: the full walk names its path.
                check_nesting(data, nesting_max=1 << 30, limit_code="", error=error)
            stack.extend(child for child in value.values() if isinstance(child, (dict, list)))
        elif isinstance(value, list):
            stack.extend(child for child in value if isinstance(child, (dict, list)))


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
