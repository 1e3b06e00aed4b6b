"""Paid orders as the engine reads them: items, discounts, coupons, shipping.

An :class:`Order` is an immutable, validated value.  Amounts are exact decimals
(``Decimal``, ``int`` or a decimal string); a float is refused with the path of the
field that held it.  Whether amounts are multiples of the plan's quantum and in
the plan's currency is checked when the order is evaluated against a plan.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any

from pydantic import (
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    StringConstraints,
    ValidationError,
    WithJsonSchema,
)
from pydantic_core import PydanticCustomError

from ._parse import parse_json_text
from ._time import utc_text
from .errors import LimitError, OrderError
from .limits import IDENTIFIER_LENGTH_MAX, ORDER_ITEMS_MAX, PLAN_NESTING_MAX, QUANTITY_MAX
from .money import DecimalInputError, FloatLiteral, describe, format_decimal, parse_decimal

__all__ = ["Order", "OrderItem"]


def _money(value: object) -> Decimal:
    try:
        result = parse_decimal(value)
    except DecimalInputError as error:
        code = "order-float" if error.kind == "float" else "order-number-invalid"
        raise PydanticCustomError(code, str(error)) from None
    if result < 0:
        raise PydanticCustomError(
            "order-number-invalid", "{value} must not be negative", {"value": str(result)}
        )
    return result


def _quantity(value: object) -> int:
    if isinstance(value, (float, FloatLiteral)):
        raise PydanticCustomError(
            "order-float", "{value} is a float; a quantity is a whole number", {"value": str(value)}
        )
    if isinstance(value, bool) or not isinstance(value, int):
        raise PydanticCustomError(
            "order-invalid", "{value} is not a whole number of units", {"value": describe(value)}
        )
    if not 1 <= value <= QUANTITY_MAX:
        raise PydanticCustomError(
            "order-invalid",
            "{value} must be between 1 and QUANTITY_MAX = {limit}",
            {"value": describe(value), "limit": QUANTITY_MAX},
        )
    return value


Money = Annotated[
    Decimal,
    BeforeValidator(_money),
    # JSON output: plain decimal text, never an exponent ("100.00", not "1.0000E+2").
    PlainSerializer(format_decimal, return_type=str, when_used="json"),
    WithJsonSchema(
        {"anyOf": [{"type": "string", "pattern": r"^[0-9]+(\.[0-9]+)?$"}, {"type": "integer"}]}
    ),
]
Quantity = Annotated[int, BeforeValidator(_quantity)]
Instant = Annotated[
    AwareDatetime,
    # JSON output: the instant in UTC ("2026-01-01T02:00:00Z"), whatever the input zone.
    PlainSerializer(utc_text, return_type=str, when_used="json"),
]
Identifier = Annotated[
    str,
    StringConstraints(
        min_length=1, max_length=IDENTIFIER_LENGTH_MAX, pattern=r"^[^\x00-\x20\x7f]+$"
    ),
]


class OrderItem(BaseModel):
    """One item (line) of an order.

    Attributes:
        item_id: the item's reference within the order, unique in it.
        sku: the product's SKU.
        category: the product's category, for category-scoped rules.
        quantity: units bought, at least 1.
        unit_price: the list price of one unit.
        discount: the item's own discount, in total over its quantity.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    item_id: Identifier
    sku: Identifier
    category: Identifier = "uncategorised"
    quantity: Quantity = 1
    unit_price: Money
    discount: Money = Decimal(0)


class Order(BaseModel):
    """A paid order.

    Attributes:
        order_id: the shop's order id.
        buyer: the participant who paid.
        paid_at: the payment time (aware); the plan version, graph and roles in
            force at this instant are the ones used.
        currency: ISO 4217 code; must be the plan's currency.
        items: the items bought, in the shop's order.
        coupons: order-level coupons, in total.
        vouchers: gift, welfare and cash vouchers applied to the order, in total.
        points_redemption: the money value the buyer paid with points.
        shipping: shipping charged, not part of the base unless the plan says so.

    >>> order = Order.from_json('''{"order_id": "o-1", "buyer": "member-1",
    ...   "paid_at": "2026-03-01T10:00:00+08:00", "currency": "CNY",
    ...   "items": [{"item_id": "1", "sku": "TEA", "unit_price": "199.00"}]}''')
    >>> order.items[0].unit_price
    Decimal('199.00')
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    order_id: Identifier
    buyer: Identifier
    paid_at: Instant
    currency: str = Field(pattern=r"^[A-Z]{3}$")
    items: tuple[OrderItem, ...] = Field(min_length=1, max_length=ORDER_ITEMS_MAX)
    coupons: Money = Decimal(0)
    vouchers: Money = Decimal(0)
    points_redemption: Money = Decimal(0)
    shipping: Money = Decimal(0)

    @classmethod
    def from_mapping(cls, data: Any) -> Order:
        """Validate an order given as plain data.

        Raises:
            OrderError: naming the first offending field; the message counts the
                others.
        """
        try:
            return cls.model_validate(data)
        except ValidationError as error:
            raise _order_error(error, data) from None

    @classmethod
    def from_json(cls, text: str) -> Order:
        """Parse an order from JSON text, refusing floats, NaN and duplicate keys.

        Raises:
            OrderError: the text is not a valid order.
            LimitError: the text nests deeper than PLAN_NESTING_MAX.
        """
        data = parse_json_text(
            text,
            nesting_max=PLAN_NESTING_MAX,
            limit_code="limit-plan-nesting",
            error=lambda kind, message, path: OrderError(
                "order-number-invalid" if kind == "number-invalid" else "order-invalid",
                message,
                path=path,
            ),
        )
        return cls.from_mapping(data)


def _order_error(error: ValidationError, data: Any) -> OrderError | LimitError:
    from .plan._load import _without_echoes, format_path

    details = _without_echoes(error.errors(include_url=False))
    first = details[0]
    code = first["type"] if first["type"].startswith("order-") else "order-invalid"
    path = format_path(first["loc"])
    order_id = data.get("order_id") if isinstance(data, dict) else None
    message = first["msg"]
    if code == "order-invalid" and first["type"] == "extra_forbidden":
        message = "is not a field of an order"
    elif code == "order-invalid" and "input" in first:
        message = f"{describe(first['input'])}: {message}"
    if len(details) > 1:
        message += f" (and {len(details) - 1} more problems)"
    return OrderError(
        code, message, path=path, event_id=order_id if isinstance(order_id, str) else None
    )
