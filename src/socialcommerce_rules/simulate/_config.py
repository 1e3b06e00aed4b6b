"""A simulation's parameters: frozen, typed and checked when built.

Defaults follow the source article's growth loop (seed guides -> grow -> spread):
a few guides per store, heavy-tailed invitations, early churn of newcomers who are
not engaged, members becoming makers by buying the gift pack, a team transplanted
now and then, and a tea shop's catalogue with spend-X-save-Y coupons.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field, fields
from datetime import datetime, timedelta, timezone
from decimal import Decimal

from ..limits import IDENTIFIER_LENGTH_MAX, ORDER_ITEMS_MAX, QUANTITY_MAX
from ..money import DecimalInputError, parse_decimal
from ._distributions import Distribution, PowerLaw, Uniform, Weighted
from ._errors import SimulationConfigError

__all__ = ["Coupon", "Product", "SimulationConfig"]

DAYS_MAX = 36_500
"""The longest horizon, in days (a century): every instant stays far inside datetime."""

PARTICIPANTS_MAX = 10_000_000
"""The largest network a simulation grows: its tables are held in memory."""

# Defaults after the article (frozen values, shared safely by every config).
_GUIDE_INVITATIONS = Uniform(20, 60)
_INVITATIONS = PowerLaw(exponent=2.0, maximum=50)
_TEAM_SIZE = PowerLaw(exponent=1.5, minimum=5, maximum=100)
_ORDERS_PER_MONTH = PowerLaw(exponent=2.0, maximum=20)
_BASKET_ITEMS = PowerLaw(exponent=2.5, minimum=1, maximum=5)
_QUANTITY = Weighted((1, 2, 3), (6, 3, 1))
_DELIVERY_DAYS = Uniform(1, 5)

_IDENTIFIER = re.compile(rf"[^\s\x00-\x1f\x7f-\x9f]{{1,{IDENTIFIER_LENGTH_MAX}}}")


def _money(value: object, path: str, *, positive: bool) -> Decimal:
    try:
        amount = parse_decimal(value)
    except DecimalInputError as error:
        raise SimulationConfigError(str(error), path=path) from None
    if amount < 0 or (positive and not amount):
        bound = "above 0" if positive else "at least 0"
        raise SimulationConfigError(f"{amount} must be {bound}", path=path)
    return amount


def _identifier(value: object, path: str) -> str:
    if not isinstance(value, str) or not _IDENTIFIER.fullmatch(value):
        raise SimulationConfigError(
            f"{value!r} is not an identifier (1 to {IDENTIFIER_LENGTH_MAX} characters, "
            "no spaces or control characters)",
            path=path,
        )
    return value


def _whole(value: object, path: str, minimum: int, maximum: int | None = None) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise SimulationConfigError(f"{value!r} is not a whole number", path=path)
    if value < minimum or (maximum is not None and value > maximum):
        bound = f"at least {minimum}" if maximum is None else f"between {minimum} and {maximum}"
        raise SimulationConfigError(f"{value} must be {bound}", path=path)


def _share(value: object, path: str) -> None:
    # float-ok: a share (a probability, not money) may be given as a float
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise SimulationConfigError(f"{value!r} is not a number", path=path)
    if not math.isfinite(value) or not 0 <= value <= 1:
        raise SimulationConfigError(f"{value} must be between 0 and 1", path=path)


def _distribution(value: object, path: str, minimum: int, maximum: int | None = None) -> None:
    if not isinstance(value, (PowerLaw, Weighted, Uniform)):
        raise SimulationConfigError(
            f"{value!r} is not a distribution (PowerLaw, Weighted or Uniform)", path=path
        )
    if value.minimum < minimum:
        raise SimulationConfigError(
            f"draws as low as {value.minimum}; the least allowed is {minimum}",
            path=f"{path}.minimum",
        )
    if maximum is not None and value.maximum > maximum:
        raise SimulationConfigError(
            f"draws as high as {value.maximum}; the most allowed is {maximum}",
            path=f"{path}.maximum",
        )


@dataclass(frozen=True, slots=True)
class Product:
    """A product of the simulated shop's catalogue.

    Attributes:
        sku: the product's SKU.
        unit_price: the price of one unit, an exact decimal (``Decimal`` or a
            decimal string; a float is refused), a multiple of the plan's quantum.
        category: the product's category (plans may exclude categories).
        weight: how often the product is picked for a basket, relative to the
            others (a positive whole number).
    """

    sku: str
    unit_price: Decimal
    category: str = "uncategorised"
    weight: int = 1

    def __post_init__(self) -> None:
        _identifier(self.sku, "sku")
        object.__setattr__(self, "unit_price", _money(self.unit_price, "unit_price", positive=True))
        _identifier(self.category, "category")
        _whole(self.weight, "weight", 1)


@dataclass(frozen=True, slots=True)
class Coupon:
    """A spend-X-save-Y coupon (满减): ``amount`` off an order of at least ``minimum_spend``.

    Since ``amount`` may not exceed ``minimum_spend``, a coupon never takes more
    than the order's goods.

    Attributes:
        minimum_spend: the least value of goods the coupon applies to.
        amount: the money it takes off the order.
    """

    minimum_spend: Decimal
    amount: Decimal

    def __post_init__(self) -> None:
        spend = _money(self.minimum_spend, "minimum_spend", positive=False)
        amount = _money(self.amount, "amount", positive=True)
        if amount > spend:
            raise SimulationConfigError(
                f"{amount} is more than the minimum spend {spend}", path="amount"
            )
        object.__setattr__(self, "minimum_spend", spend)
        object.__setattr__(self, "amount", amount)


def _products() -> tuple[Product, ...]:
    return (
        Product("TEA-250G", Decimal("59.00"), "tea", 5),
        Product("SNACK-BOX", Decimal("19.90"), "food", 4),
        Product("CUPS-SET", Decimal("89.00"), "teaware", 2),
        Product("TEAPOT", Decimal("129.00"), "teaware", 2),
        Product("TEA-GIFT-BOX", Decimal("199.00"), "tea", 2),
        Product("GIFT-CARD-100", Decimal("100.00"), "gift-card", 1),
    )


def _coupons() -> tuple[Coupon, ...]:
    return (
        Coupon(Decimal("99.00"), Decimal("10.00")),
        Coupon(Decimal("199.00"), Decimal("30.00")),
        Coupon(Decimal("399.00"), Decimal("50.00")),
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class SimulationConfig:
    """Everything a simulation draws from; the same config gives the same events.

    Growth (seed -> grow -> spread):

    Attributes:
        seed: the random seed; the whole stream is a function of the config.
        start: the first instant (an aware datetime), at or after the plan's
            ``effective_from``.  Seed guides join at ``start``.
        days: the horizon: events happen in ``[start, start + days)``; what would
            come later (a completion, a refund) is left out.
        stores: how many stores.
        guides_per_store: seed guides per store; they join at ``start``.
        participants_max: growth stops at this many participants (guides
            included); it may stop earlier if invitations run out.
        guide_invitations: how many people each guide invites (walk-in store
            customers signed up in the guide's first ``invitation_days``).
        invitations: how many people each engaged member or maker invites:
            heavy-tailed, most invite 0-2, a few many.
        invitation_days: a participant's invitations fall uniformly within this
            many days after they join.
        churn_share: the share of newcomers who are not engaged in their first
            ``churn_days``: they never buy nor invite and become inactive
            (``participant_status_changed``) ``churn_days`` after joining.
        churn_days: the first days in which a newcomer is engaged or lost.
        maker_share: the share of engaged members who buy the gift pack and
            become makers.
        maker_days: the gift pack is bought within this many days after joining.
        transplant_every_days: every this many days a whole team arrives from
            elsewhere (its members join under the team's root, then a
            ``team_transplanted`` event puts the root under a guide); 0: never.
        team_size: the number of participants in a transplanted team (root included).

    Orders:

    Attributes:
        orders_per_month: each engaged member's and maker's purchase rate, in
            orders per 30 days, drawn once when they join; orders then arrive at
            random (a Poisson process) until the horizon.  Guides do not buy.
        basket_items: items (lines) per order.
        quantity: units per item.
        catalogue: the products, picked for each item by their ``weight``.
        coupon_share: the share of orders that use a coupon, if one applies.
        coupons: the coupons; an order uses the largest one whose minimum spend
            its goods reach.
        cancel_share: the share of orders cancelled before delivery (within a day).
        refund_share: the share of delivered orders refunded, within
            ``refund_days`` after completion.
        full_refund_share: of the refunds, the share giving back every unit; the
            rest give back some units of one item (when the order has more than one
            unit).
        delivery_days: days from payment to completion (delivery accepted).
        refund_days: refunds are asked within this many days after completion.
        settlement_days: a settlement run every this many days after ``start``,
            releasing orders whose after-sales window has ended.

    Plan:

    Attributes:
        gift_pack_sku: the gift pack bought to become a maker (default: the
            plan's first gift pack).  Without gift packs in the plan nobody
            converts.
        gift_pack_price: the gift pack's price (default: its ``goods_value`` in
            the plan).
        guide_role: the role of seed guides (default: the plan's
            ``performance_role``, else its highest-ranked role).
        member_role: the role newcomers join with (default: the lowest-ranked role).

    Raises:
        SimulationConfigError: a parameter of the wrong type or out of range,
            naming it.

    >>> SimulationConfig(churn_share=1.5)
    Traceback (most recent call last):
    ...
    socialcommerce_rules...SimulationConfigError: churn_share: 1.5 must be between 0 and 1
    """

    seed: int = 0
    start: datetime = datetime(2026, 1, 1, tzinfo=timezone(timedelta(hours=8)))
    days: int = 365
    stores: int = 3
    guides_per_store: int = 2
    participants_max: int = 1_000
    guide_invitations: Distribution = _GUIDE_INVITATIONS
    invitations: Distribution = _INVITATIONS
    invitation_days: int = 60
    churn_share: float = 0.3  # float-ok: a probability, not money
    churn_days: int = 7
    maker_share: float = 0.1  # float-ok: a probability, not money
    maker_days: int = 30
    transplant_every_days: int = 120
    team_size: Distribution = _TEAM_SIZE
    orders_per_month: Distribution = _ORDERS_PER_MONTH
    basket_items: Distribution = _BASKET_ITEMS
    quantity: Distribution = _QUANTITY
    catalogue: tuple[Product, ...] = field(default_factory=_products)
    coupon_share: float = 0.2  # float-ok: a probability, not money
    coupons: tuple[Coupon, ...] = field(default_factory=_coupons)
    cancel_share: float = 0.02  # float-ok: a probability, not money
    refund_share: float = 0.08  # float-ok: a probability, not money
    full_refund_share: float = 0.5  # float-ok: a probability, not money
    delivery_days: Distribution = _DELIVERY_DAYS
    refund_days: int = 7
    settlement_days: int = 30
    gift_pack_sku: str | None = None
    gift_pack_price: Decimal | None = None
    guide_role: str | None = None
    member_role: str | None = None

    def __post_init__(self) -> None:
        _whole(self.seed, "seed", -(2**63), 2**63 - 1)
        if not isinstance(self.start, datetime) or self.start.utcoffset() is None:
            raise SimulationConfigError(f"{self.start!r} is not an aware datetime", path="start")
        _whole(self.days, "days", 1, DAYS_MAX)
        _whole(self.stores, "stores", 1)
        _whole(self.guides_per_store, "guides_per_store", 1)
        _whole(self.participants_max, "participants_max", 1, PARTICIPANTS_MAX)
        if self.stores * self.guides_per_store > self.participants_max:
            raise SimulationConfigError(
                f"{self.stores} stores of {self.guides_per_store} guides exceed "
                f"participants_max = {self.participants_max}",
                path="participants_max",
            )
        for name in ("invitation_days", "churn_days", "maker_days", "refund_days"):
            _whole(getattr(self, name), name, 1, DAYS_MAX)
        for name in ("transplant_every_days",):
            _whole(getattr(self, name), name, 0, DAYS_MAX)
        _whole(self.settlement_days, "settlement_days", 1, DAYS_MAX)
        for name in (
            "churn_share",
            "maker_share",
            "coupon_share",
            "cancel_share",
            "refund_share",
            "full_refund_share",
        ):
            _share(getattr(self, name), name)
        self._check_distributions()
        self._check_catalogue()
        if self.gift_pack_sku is not None:
            _identifier(self.gift_pack_sku, "gift_pack_sku")
        if self.gift_pack_price is not None:
            price = _money(self.gift_pack_price, "gift_pack_price", positive=True)
            object.__setattr__(self, "gift_pack_price", price)
        for name in ("guide_role", "member_role"):
            if getattr(self, name) is not None:
                _identifier(getattr(self, name), name)

    def _check_distributions(self) -> None:
        _distribution(self.guide_invitations, "guide_invitations", 0)
        _distribution(self.invitations, "invitations", 0)
        _distribution(self.team_size, "team_size", 1)
        _distribution(self.orders_per_month, "orders_per_month", 0)
        _distribution(self.basket_items, "basket_items", 1, ORDER_ITEMS_MAX)
        _distribution(self.quantity, "quantity", 1, QUANTITY_MAX)
        _distribution(self.delivery_days, "delivery_days", 0, DAYS_MAX)

    def _check_catalogue(self) -> None:
        if not isinstance(self.catalogue, tuple) or not self.catalogue:
            raise SimulationConfigError("give a non-empty tuple of products", path="catalogue")
        seen: set[str] = set()
        for index, product in enumerate(self.catalogue):
            if not isinstance(product, Product):
                raise SimulationConfigError(
                    f"{product!r} is not a Product", path=f"catalogue[{index}]"
                )
            if product.sku in seen:
                raise SimulationConfigError(
                    f"{product.sku!r} appears twice", path=f"catalogue[{index}].sku"
                )
            seen.add(product.sku)
        if not isinstance(self.coupons, tuple):
            raise SimulationConfigError("give a tuple of coupons", path="coupons")
        for index, coupon in enumerate(self.coupons):
            if not isinstance(coupon, Coupon):
                raise SimulationConfigError(f"{coupon!r} is not a Coupon", path=f"coupons[{index}]")


def _parameter_names() -> tuple[str, ...]:
    """Every parameter, in declaration order (the docs list each one)."""
    return tuple(item.name for item in fields(SimulationConfig))
