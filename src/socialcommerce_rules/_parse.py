"""Safe readers for TOML and JSON text: exact numbers, no duplicates, bounded size.

Turns file text into plain Python data for validation.  Float literals are kept
as :class:`~socialcommerce_rules.money.FloatLiteral` text so that validation can
refuse them by path; NaN and Infinity spellings, integers longer than
``NUMBER_LITERAL_LENGTH_MAX`` and duplicate keys are refused here; size and
nesting are checked before and after parsing.
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Callable
from typing import Any

from .errors import LimitError, SocialCommerceError
from .limits import NUMBER_LITERAL_LENGTH_MAX
from .money import FloatLiteral

__all__ = ["ParseErrorFactory", "check_nesting", "parse_json_text", "parse_toml_text"]

# Makes the caller's error from a failure kind ("syntax", "number-invalid",
# "duplicate-key") and a message, so plans and orders keep their own codes.
ParseErrorFactory = Callable[[str, str], SocialCommerceError]


class _RefusedLiteralError(ValueError):
    def __init__(self, code: str, message: str) -> None:
        self.code = code
        super().__init__(message)


def _json_constant(text: str) -> object:
    raise _RefusedLiteralError("number-invalid", f"{text} is not a number an amount can take")


def _json_int(text: str) -> int:
    if len(text) > NUMBER_LITERAL_LENGTH_MAX:
        raise _RefusedLiteralError(
            "number-invalid",
            f"an integer of {len(text)} digits is longer than {NUMBER_LITERAL_LENGTH_MAX}",
        )
    return int(text)


def _float_literal(text: str) -> FloatLiteral:
    if len(text) > NUMBER_LITERAL_LENGTH_MAX:
        text = text[:NUMBER_LITERAL_LENGTH_MAX] + "..."
    return FloatLiteral(text)


def _pairs_without_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise _RefusedLiteralError("duplicate-key", f"the key {key!r} appears twice")
        result[key] = value
    return result


def parse_json_text(
    text: str, *, nesting_max: int, limit_code: str, error: ParseErrorFactory
) -> Any:
    """Parse JSON text, keeping float literals as text and refusing NaN/Infinity.

    Raises:
        PlanError: for syntax errors, duplicate keys and refused literals.
        LimitError: (code ``limit_code``) when the document nests deeper than
            ``nesting_max``.
    """
    return _parse(
        lambda: json.loads(
            text,
            parse_float=_float_literal,
            parse_int=_json_int,
            parse_constant=_json_constant,
            object_pairs_hook=_pairs_without_duplicates,
        ),
        nesting_max=nesting_max,
        limit_code=limit_code,
        syntax_what="JSON",
        error=error,
    )


def parse_toml_text(
    text: str, *, nesting_max: int, limit_code: str, error: ParseErrorFactory
) -> Any:
    """Parse TOML text, keeping float literals (including nan and inf) as text.

    TOML itself forbids duplicate keys, so tomllib reports them as syntax errors.

    Raises:
        PlanError: for syntax errors.
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
) -> Any:
    try:
        data = parse()
    except RecursionError:
        raise LimitError(limit_code, f"the document nests deeper than {nesting_max}") from None
    except _RefusedLiteralError as refused:
        raise error(refused.code, str(refused)) from None
    except ValueError as invalid:
        # json.JSONDecodeError and tomllib.TOMLDecodeError are both ValueErrors.
        raise error("syntax", f"not valid {syntax_what}: {invalid}") from None
    check_nesting(data, nesting_max=nesting_max, limit_code=limit_code)
    return data


def check_nesting(data: Any, *, nesting_max: int, limit_code: str) -> None:
    """Refuse ``data`` if its lists and tables nest deeper than ``nesting_max``."""
    stack: list[tuple[Any, int]] = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict):
            children: Any = value.values()
        elif isinstance(value, list):
            children = value
        else:
            continue
        if depth > nesting_max:
            raise LimitError(limit_code, f"the document nests deeper than {nesting_max}")
        stack.extend((child, depth + 1) for child in children)
