"""Events built from trusted values, without validation: the frequent kinds only.

A simulation makes millions of events whose every value it has drawn itself from
a checked config: ids it numbered, times it computed, items and decimals it
validated once.  Validating each event again costs about as much as drawing it,
so the frequent kinds are built as pydantic's ``model_construct`` builds a model
(the same four attributes), with every field given in declaration order.

tests/simulation/test_models.py proves that these events equal their validated
round trip (``event_from_mapping(event_to_dict(event)) == event``) field for
field, for every kind built here.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any, TypeVar

from pydantic import BaseModel

from ..events import (
    OrderCancelled,
    OrderCompleted,
    OrderPaid,
    OrderRefunded,
    ParticipantJoined,
    ParticipantStatusChanged,
    RefundedItem,
)
from ..money import ZERO
from ..orders import Order, OrderItem

_M = TypeVar("_M", bound=BaseModel)
# The models define no ``__new__`` of their own: ``cls.__new__`` is ``object.__new__``,
# called here without looking it up on the class (through pydantic's metaclass).
_new = object.__new__
# The four slots of every model, set through their descriptors (as
# ``object.__setattr__`` does, without looking them up by name).
_set_dict = BaseModel.__dict__["__dict__"].__set__
_set_fields_set = BaseModel.__dict__["__pydantic_fields_set__"].__set__
_set_extra = BaseModel.__dict__["__pydantic_extra__"].__set__
_set_private = BaseModel.__dict__["__pydantic_private__"].__set__

# The fields each kind of event is built with, one set per kind shared by all its
# events (a million orders need not carry a million equal sets; nothing mutates them).
_JOINED = {"event_id", "at", "participant", "role", "inviter"}
_ORDER = {"order_id", "buyer", "paid_at", "currency", "items"}
_ORDER_WITH_COUPONS = _ORDER | {"coupons"}
_PAID = {"event_id", "at", "order"}
_BY_ORDER = {"event_id", "at", "order_id"}
_REFUNDED = {"event_id", "at", "order_id", "items"}
_STATUS = {"event_id", "at", "participant", "active"}


def _trusted(cls: type[_M], values: dict[str, Any], given: set[str]) -> _M:
    """``cls`` holding ``values`` (every field, in order), as ``model_construct`` makes it."""
    model: _M = _new(cls)
    _set_dict(model, values)
    _set_fields_set(model, given)
    _set_extra(model, None)
    _set_private(model, None)
    return model


def joined(
    event_id: str, at: datetime, participant: str, role: str, inviter: str
) -> ParticipantJoined:
    """A ``participant_joined`` event of an invited newcomer."""
    return _trusted(
        ParticipantJoined,
        {
            "event_id": event_id,
            "at": at,
            "type": "participant_joined",
            "participant": participant,
            "role": role,
            "inviter": inviter,
            "store": None,
        },
        _JOINED,
    )


def paid(
    event_id: str,
    at: datetime,
    order_id: str,
    buyer: str,
    currency: str,
    items: tuple[OrderItem, ...],
    coupons: Decimal,
) -> OrderPaid:
    """An ``order_paid`` event of an order of validated items, paid at ``at``."""
    given = _ORDER_WITH_COUPONS if coupons else _ORDER
    order = _trusted(
        Order,
        {
            "order_id": order_id,
            "buyer": buyer,
            "paid_at": at,
            "currency": currency,
            "items": items,
            "coupons": coupons,
            "vouchers": ZERO,
            "points_redemption": ZERO,
            "shipping": ZERO,
        },
        given,
    )
    return _trusted(
        OrderPaid,
        {
            "event_id": event_id,
            "at": at,
            "type": "order_paid",
            "order": order,
            "sharer": None,
            "credit": "upline",
        },
        _PAID,
    )


def completed(event_id: str, at: datetime, order_id: str) -> OrderCompleted:
    """An ``order_completed`` event."""
    return _trusted(
        OrderCompleted,
        {"event_id": event_id, "at": at, "type": "order_completed", "order_id": order_id},
        _BY_ORDER,
    )


def cancelled(event_id: str, at: datetime, order_id: str) -> OrderCancelled:
    """An ``order_cancelled`` event."""
    return _trusted(
        OrderCancelled,
        {"event_id": event_id, "at": at, "type": "order_cancelled", "order_id": order_id},
        _BY_ORDER,
    )


def refunded(
    event_id: str, at: datetime, order_id: str, items: tuple[RefundedItem, ...]
) -> OrderRefunded:
    """An ``order_refunded`` event giving back units of validated items."""
    return _trusted(
        OrderRefunded,
        {
            "event_id": event_id,
            "at": at,
            "type": "order_refunded",
            "order_id": order_id,
            "items": items,
            "amount": None,
        },
        _REFUNDED,
    )


def inactive(event_id: str, at: datetime, participant: str) -> ParticipantStatusChanged:
    """A ``participant_status_changed`` event making ``participant`` inactive."""
    return _trusted(
        ParticipantStatusChanged,
        {
            "event_id": event_id,
            "at": at,
            "type": "participant_status_changed",
            "participant": participant,
            "active": False,
        },
        _STATUS,
    )
