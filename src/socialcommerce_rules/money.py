"""Money arithmetic: exact decimals, one local context, documented rounding.

Every amount in the library is a :class:`decimal.Decimal`.  Arithmetic runs in
:data:`EXACT_CONTEXT`, which traps on any inexact result, so a product or a sum is
either exact or a bug; the global (thread-local) decimal context is never read.
Rounding happens only in :func:`round_to`, at the points the plan reference
documents, with the plan's quantum and rounding mode passed explicitly.

A float never becomes a Decimal here: :func:`parse_decimal` refuses floats,
booleans, NaN, infinities, exponent spellings, non-ASCII digits and oversize
literals before converting anything.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from decimal import (
    ROUND_DOWN,
    ROUND_HALF_EVEN,
    ROUND_HALF_UP,
    Context,
    Decimal,
    DivisionByZero,
    Inexact,
    InvalidOperation,
    Overflow,
    Underflow,
)
from enum import StrEnum
from typing import Final

from .limits import AMOUNT_MAX, NUMBER_LITERAL_LENGTH_MAX

__all__ = [
    "EXACT_CONTEXT",
    "ZERO",
    "DecimalInputError",
    "FloatLiteral",
    "RefusedNumber",
    "Rounding",
    "allocate",
    "decimal_places",
    "describe",
    "exact_sum",
    "format_decimal",
    "parse_decimal",
    "round_to",
]

ZERO: Final = Decimal(0)

# Operands are bounded by AMOUNT_MAX (13 digits before the point) and by
# RATE_PLACES_MAX / the quantum after it, so 60 digits of precision make every
# product and sum the library computes exact.  Inexact is trapped to prove it.
EXACT_CONTEXT: Final = Context(
    prec=60,
    rounding=ROUND_HALF_EVEN,
    Emax=999,
    Emin=-999,
    traps=[InvalidOperation, DivisionByZero, Overflow, Underflow, Inexact],
)

# Used only by round_to: quantize signals Inexact when it rounds, which is the point.
_ROUNDING_CONTEXT: Final = Context(
    prec=60,
    rounding=ROUND_HALF_EVEN,
    Emax=999,
    Emin=-999,
    traps=[InvalidOperation, DivisionByZero, Overflow],
)

# Ints longer than this many bits are above AMOUNT_MAX without comparing them.
_AMOUNT_BITS_MAX: Final = 64
assert 1 << _AMOUNT_BITS_MAX > AMOUNT_MAX

# describe() counts the digits of ints up to this many bits exactly.
_EXACT_DIGIT_COUNT_BITS_MAX: Final = 200_000

_DECIMAL_TEXT: Final = re.compile(r"-?[0-9]+(\.[0-9]+)?", re.ASCII)


class Rounding(StrEnum):
    """How an exact amount is brought to the plan's quantum.

    ``down`` truncates toward zero (the merchant keeps every fraction),
    ``half-even`` is banker's rounding, ``half-up`` rounds halves away from zero.
    """

    DOWN = "down"
    HALF_EVEN = "half-even"
    HALF_UP = "half-up"

    @property
    def decimal_mode(self) -> str:
        """The :mod:`decimal` rounding constant for this mode."""
        return _DECIMAL_MODES[self]


_DECIMAL_MODES: Final = {
    Rounding.DOWN: ROUND_DOWN,
    Rounding.HALF_EVEN: ROUND_HALF_EVEN,
    Rounding.HALF_UP: ROUND_HALF_UP,
}


class DecimalInputError(ValueError):
    """A value that cannot be taken as an exact decimal.

    Attributes:
        kind: ``"float"`` (a float or a float literal), or ``"invalid"`` (NaN,
            infinity, a malformed or oversize number, the wrong type).
    """

    def __init__(self, kind: str, message: str) -> None:
        self.kind = kind
        super().__init__(message)


class RefusedNumber(str):
    """The text of a number a file may not hold (NaN, Infinity, a 4300-digit integer).

    The file loaders keep it as text so that validation refuses it by path.
    """

    __slots__ = ()


class FloatLiteral(str):
    """The text of a float literal read from a TOML or JSON file, kept unconverted.

    The file loaders hand these to validation, which refuses them by path, so a
    float literal is reported and never turned into a binary float.
    """

    __slots__ = ()


def parse_decimal(value: object) -> Decimal:
    """Take ``value`` as an exact, finite decimal, refusing anything else.

    Accepts a finite :class:`~decimal.Decimal`, an ``int`` (not ``bool``) or a
    string of ASCII digits with an optional sign and fraction (``"-12.50"``).
    The magnitude must not exceed ``AMOUNT_MAX``, and the exponent must stay
    within ``NUMBER_LITERAL_LENGTH_MAX`` places.

    Raises:
        DecimalInputError: with ``kind="float"`` for a float or float literal,
            ``kind="range"`` for a number above ``AMOUNT_MAX``, and
            ``kind="invalid"`` for everything else that is refused.

    >>> parse_decimal("12.50")
    Decimal('12.50')
    >>> parse_decimal(0.1)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    socialcommerce_rules.money.DecimalInputError: 0.1 is a float; write it as a decimal ...
    """
    if isinstance(value, FloatLiteral):
        raise DecimalInputError(
            "float", f'{value} is a float literal; write it as a decimal string such as "{value}"'
        )
    if isinstance(value, RefusedNumber):
        raise DecimalInputError("invalid", f"{value} is not a number an amount can take")
    if isinstance(value, float):
        raise DecimalInputError(
            "float", f'{value!r} is a float; write it as a decimal string such as "{value!r}"'
        )
    if isinstance(value, bool):
        raise DecimalInputError("invalid", f"{value!r} is a boolean, not an amount")
    if isinstance(value, int):
        # Compare before any str(): Python refuses to print ints of 4300+ digits.
        # An int of more than 64 bits exceeds AMOUNT_MAX (about 2 ** 40); it is
        # refused by its bit length, because comparing it with a Decimal first
        # converts it, which takes quadratic time for an int of many digits.
        if value.bit_length() > _AMOUNT_BITS_MAX or abs(value) > AMOUNT_MAX:
            raise DecimalInputError("range", f"{describe(value)} exceeds {AMOUNT_MAX}")
        return Decimal(value)
    if isinstance(value, Decimal):
        result = value
        if not result.is_finite():
            raise DecimalInputError("invalid", f"{value} is not a finite number")
    elif isinstance(value, str):
        if len(value) > NUMBER_LITERAL_LENGTH_MAX:
            raise DecimalInputError(
                "invalid",
                f"{describe(value)} is longer than {NUMBER_LITERAL_LENGTH_MAX} characters",
            )
        if not _DECIMAL_TEXT.fullmatch(value):
            raise DecimalInputError("invalid", f'{value!r} is not a decimal number such as "12.50"')
        result = Decimal(value)
    else:
        raise DecimalInputError(
            "invalid", f"{type(value).__name__} {describe(value)} is not a decimal amount"
        )
    # The exponent is read without arithmetic, so 1E+999999 and 0E-999999 are
    # refused before anything is computed or printed from them.
    exponent = result.as_tuple().exponent
    assert isinstance(exponent, int)
    if exponent < -NUMBER_LITERAL_LENGTH_MAX or exponent > AMOUNT_MAX.adjusted():
        if result and result.adjusted() > AMOUNT_MAX.adjusted():
            raise DecimalInputError("range", f"{describe(value)} exceeds {AMOUNT_MAX}")
        raise DecimalInputError("invalid", f"{describe(value)} has an exponent out of range")
    if result.copy_abs() > AMOUNT_MAX:
        raise DecimalInputError("range", f"{describe(value)} exceeds {AMOUNT_MAX}")
    return result


def describe(value: object) -> str:
    """A short, safe rendering of any input value for an error message.

    Never fails (an int of 5000 digits cannot be printed by Python) and never
    returns more than about 40 characters.

    >>> describe(10 ** 5000)
    'an integer of 5001 digits'
    """
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 128:
        # 10 ** 4300 has 14285 bits, so the digits are counted without printing.
        # The count from the bit length is never too low and at most two too
        # high; comparing with powers of ten corrects it, which is quick up to a
        # few hundred thousand bits.  Beyond, a lower bound is given.
        bits = value.bit_length()
        if bits > _EXACT_DIGIT_COUNT_BITS_MAX:
            return f"an integer of at least {(bits - 1) * 30102 // 100000 + 1} digits"
        magnitude = abs(value)
        digits = bits * 30103 // 100000 + 1
        while 10 ** (digits - 1) > magnitude:
            digits -= 1
        return f"an integer of {digits} digits"
    try:
        text = repr(value)
    except ValueError:
        return f"a {type(value).__name__}"
    return text if len(text) <= 40 else f"{text[:32]}... ({len(text)} characters)"


def decimal_places(value: Decimal) -> int:
    """Digits after the point in ``value``'s written form (``1.50`` has 2)."""
    exponent = value.as_tuple().exponent
    assert isinstance(exponent, int)  # finite decimals only reach here
    return max(0, -exponent)


def round_to(amount: Decimal, quantum: Decimal, rounding: Rounding) -> Decimal:
    """Round ``amount`` to a multiple of ``quantum`` with ``rounding``.

    >>> round_to(Decimal("0.495"), Decimal("0.01"), Rounding.HALF_EVEN)
    Decimal('0.50')
    >>> round_to(Decimal("0.495"), Decimal("0.01"), Rounding.DOWN)
    Decimal('0.49')
    """
    return amount.quantize(quantum, rounding=_DECIMAL_MODES[rounding], context=_ROUNDING_CONTEXT)


def allocate(total: int, weights: Sequence[int]) -> list[int]:
    """Split the integer ``total`` in proportion to ``weights``, exactly.

    Each share is first ``total * weight // sum(weights)``; the units left over go
    one each to the largest remainders, ties to the earlier position (largest
    remainder method).  Shares add up to ``total``, and a zero weight gets zero.
    With all weights zero, everything goes to the first position.

    >>> allocate(100, [1, 1, 1])
    [34, 33, 33]
    >>> allocate(1, [5, 5])
    [1, 0]
    """
    if not weights:
        if total:
            raise ValueError("cannot allocate a non-zero total over no weights")
        return []
    weight_sum = sum(weights)
    if weight_sum == 0:
        return [total] + [0] * (len(weights) - 1)
    shares = []
    remainders = []
    for position, weight in enumerate(weights):
        share, remainder = divmod(total * weight, weight_sum)
        shares.append(share)
        remainders.append((-remainder, position))
    left_over = total - sum(shares)
    for _, position in sorted(remainders)[:left_over]:
        shares[position] += 1
    return shares


def exact_sum(values: Iterable[Decimal]) -> Decimal:
    """The exact sum of ``values`` in :data:`EXACT_CONTEXT` (``sum()`` would use the
    thread's global context, which may round).

    >>> exact_sum([Decimal("0.1"), Decimal("0.2")])
    Decimal('0.3')
    """
    total = ZERO
    for value in values:
        total = EXACT_CONTEXT.add(total, value)
    return total


def format_decimal(value: Decimal) -> str:
    """The plain decimal string of ``value``, never in exponent form.

    >>> format_decimal(Decimal("1E+2"))
    '100'
    """
    return f"{value:f}"
