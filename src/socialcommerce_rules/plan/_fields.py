"""Field types of the plan language: exact decimals, names, and their errors.

Each annotated type validates one kind of value and raises a pydantic error whose
type is a stable plan error code, so that converted errors keep their codes.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any

from pydantic import BeforeValidator, StringConstraints, WithJsonSchema
from pydantic_core import PydanticCustomError

from ..limits import AMOUNT_MAX, IDENTIFIER_LENGTH_MAX, RATE_PLACES_MAX
from ..money import (
    DecimalInputError,
    FloatLiteral,
    RefusedNumber,
    decimal_places,
    describe,
    parse_decimal,
)

__all__ = ["Amount", "Flag", "Integer", "Label", "Name", "PointsAmount", "Rate"]

_DECIMAL_PATTERN = r"^-?[0-9]+(\.[0-9]+)?$"


def _decimal_or_error(value: object, range_code: str) -> Decimal:
    try:
        return parse_decimal(value)
    except DecimalInputError as error:
        code = {"float": "plan-float", "range": range_code}.get(error.kind, "plan-number-invalid")
        raise PydanticCustomError(code, str(error)) from None


def _check_places(value: Decimal) -> None:
    if decimal_places(value) > RATE_PLACES_MAX:
        raise PydanticCustomError(
            "plan-too-precise",
            "{value} has more than {places} decimal places",
            {"value": str(value), "places": RATE_PLACES_MAX},
        )


def _rate(value: object) -> Decimal:
    result = _decimal_or_error(value, "plan-rate-out-of-range")
    if not Decimal(0) <= result <= Decimal(1):
        raise PydanticCustomError(
            "plan-rate-out-of-range", "{value} must be between 0 and 1", {"value": str(result)}
        )
    _check_places(result)
    return result


def _amount(value: object) -> Decimal:
    result = _decimal_or_error(value, "plan-amount-out-of-range")
    if result < 0:
        raise PydanticCustomError(
            "plan-amount-out-of-range", "{value} must not be negative", {"value": str(result)}
        )
    _check_places(result)
    return result


def _points(value: object) -> Decimal:
    return _amount(value)


def _integer(value: object) -> int:
    """``value`` if it is an int; booleans, floats and strings are refused.

    A refused value of the wrong type is shown before the message by the loader
    (``True: a boolean, not an integer``).
    """
    if isinstance(value, (FloatLiteral, float)):
        raise PydanticCustomError(
            "plan-float",
            "{value} is a float, not an integer",
            {"value": str(value) if isinstance(value, FloatLiteral) else describe(value)},
        )
    if isinstance(value, RefusedNumber):
        raise PydanticCustomError(
            "plan-number-invalid", "{value} is not a number a plan can take", {"value": str(value)}
        )
    if isinstance(value, bool) or not isinstance(value, int):
        raise PydanticCustomError(
            "plan-invalid-value",
            "a {kind}, not an integer",
            {"kind": "boolean" if isinstance(value, bool) else type(value).__name__},
        )
    return value


def _flag(value: object) -> bool:
    """``value`` if it is a boolean; integers and strings such as "yes" are refused."""
    if not isinstance(value, bool):
        raise PydanticCustomError(
            "plan-invalid-value",
            "a {kind}, not a boolean (true or false)",
            {"kind": type(value).__name__},
        )
    return value


def _decimal_schema(description: str) -> dict[str, Any]:
    return {
        "anyOf": [
            {"type": "string", "pattern": _DECIMAL_PATTERN},
            {"type": "integer"},
        ],
        "description": description,
    }


Rate = Annotated[
    Decimal,
    BeforeValidator(_rate),
    WithJsonSchema(_decimal_schema('A rate between 0 and 1 as a decimal string, e.g. "0.10".')),
]
"""A rate in [0, 1] with at most RATE_PLACES_MAX decimal places."""

Amount = Annotated[
    Decimal,
    BeforeValidator(_amount),
    WithJsonSchema(
        _decimal_schema(f"A non-negative money amount as a decimal string, at most {AMOUNT_MAX}.")
    ),
]
"""A non-negative money amount; its places are checked against the quantum later."""

PointsAmount = Annotated[
    Decimal,
    BeforeValidator(_points),
    WithJsonSchema(_decimal_schema("A non-negative number of points, as a decimal string.")),
]
"""Points per invite, or points per currency unit of commission base."""

Integer = Annotated[int, BeforeValidator(_integer)]
"""A whole number written as an integer: not a boolean, a float or a string."""

Flag = Annotated[bool, BeforeValidator(_flag)]
"""``true`` or ``false``: not a number or a string."""

Name = Annotated[
    str,
    StringConstraints(
        min_length=1, max_length=IDENTIFIER_LENGTH_MAX, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:-]*$"
    ),
]
"""A role, rule or plan name: ASCII letters, digits and ``_ . : -``."""

Label = Annotated[
    str,
    StringConstraints(
        min_length=1, max_length=IDENTIFIER_LENGTH_MAX, pattern=r"^[^\x00-\x20\x7f]+$"
    ),
]
"""A SKU, category or store label: any printable characters without spaces."""
