"""A config checked against the plan it simulates, compiled for fast draws."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from ..errors import NoPlanInForceError
from ..orders import OrderItem
from ..plan import Plan, PlanSet
from ._config import SimulationConfig
from ._distributions import Sampler, Weighted, _sampler
from ._errors import SimulationConfigError


@dataclass(frozen=True, slots=True)
class _Run:
    """What the generator reads: roles, the gift pack, prices in quanta, samplers."""

    config: SimulationConfig
    currency: str
    guide_role: str
    member_role: str
    team_role: str
    gift_pack: OrderItem | None
    products: tuple[tuple[str, Decimal, str, int], ...]  # sku, unit price, category, quanta
    pick_product: Sampler
    coupons: tuple[tuple[int, Decimal], ...]  # (minimum spend in quanta, amount), largest first
    guide_invitations: Sampler
    invitations: Sampler
    team_size: Sampler
    orders_per_month: Sampler
    basket_items: Sampler
    quantity: Sampler
    delivery_days: Sampler


def _prepare(plans: Plan | PlanSet, config: SimulationConfig) -> _Run:
    """Check ``config`` against the plan in force at its start and compile it.

    Raises:
        SimulationConfigError: a role, gift pack, price or coupon that does not fit
            the plan, or a start before the plan takes effect.
    """
    if not isinstance(config, SimulationConfig):
        raise SimulationConfigError(f"{config!r} is not a SimulationConfig", path="config")
    plan = _plan_at(plans, config.start)
    ranked = sorted(plan.roles, key=lambda role: role.rank)
    names = set(plan.role_names)
    guide_role = config.guide_role or plan.performance_role or ranked[-1].name
    member_role = config.member_role or ranked[0].name
    for field, role in (("guide_role", guide_role), ("member_role", member_role)):
        if role not in names:
            raise SimulationConfigError(f"{role!r} is not a role of the plan", path=field)
    gift_pack, team_role = _gift_pack(plan, config, member_role)
    products = []
    for index, product in enumerate(config.catalogue):
        if gift_pack is not None and product.sku == gift_pack.sku:
            raise SimulationConfigError(
                f"{product.sku!r} is the gift pack; the catalogue holds ordinary products",
                path=f"catalogue[{index}].sku",
            )
        quanta = _quanta(product.unit_price, plan.quantum, f"catalogue[{index}].unit_price")
        products.append((product.sku, product.unit_price, product.category, quanta))
    coupons = sorted(
        (
            (
                _quanta(coupon.minimum_spend, plan.quantum, f"coupons[{index}].minimum_spend"),
                coupon.amount,
                _quanta(coupon.amount, plan.quantum, f"coupons[{index}].amount"),
            )
            for index, coupon in enumerate(config.coupons)
        ),
        key=lambda coupon: (-coupon[2], coupon[0]),
    )
    weights = tuple(product.weight for product in config.catalogue)
    return _Run(
        config=config,
        currency=plan.currency,
        guide_role=guide_role,
        member_role=member_role,
        team_role=team_role,
        gift_pack=gift_pack,
        products=tuple(products),
        pick_product=_sampler(Weighted(tuple(range(len(weights))), weights)),
        coupons=tuple((spend, amount) for spend, amount, _ in coupons),
        guide_invitations=_sampler(config.guide_invitations),
        invitations=_sampler(config.invitations),
        team_size=_sampler(config.team_size),
        orders_per_month=_sampler(config.orders_per_month),
        basket_items=_sampler(config.basket_items),
        quantity=_sampler(config.quantity),
        delivery_days=_sampler(config.delivery_days),
    )


def _plan_at(plans: Plan | PlanSet, start: datetime) -> Plan:
    if isinstance(plans, PlanSet):
        try:
            return plans.at(start)
        except NoPlanInForceError:
            first = next(iter(plans)).effective_from
            raise SimulationConfigError(
                f"{start.isoformat()} is before the plan takes effect ({first.isoformat()})",
                path="start",
            ) from None
    if not isinstance(plans, Plan):
        raise SimulationConfigError(f"{plans!r} is not a Plan or PlanSet", path="plan")
    if start < plans.effective_from:
        raise SimulationConfigError(
            f"{start.isoformat()} is before the plan takes effect "
            f"({plans.effective_from.isoformat()})",
            path="start",
        )
    return plans


def _gift_pack(
    plan: Plan, config: SimulationConfig, member_role: str
) -> tuple[OrderItem | None, str]:
    """The gift-pack item members buy to convert, and the role a team's root holds."""
    packs = {pack.sku: pack for pack in plan.gift_packs}
    if config.gift_pack_sku is not None:
        if config.gift_pack_sku not in packs:
            raise SimulationConfigError(
                f"{config.gift_pack_sku!r} is not a gift pack of the plan", path="gift_pack_sku"
            )
        pack = packs[config.gift_pack_sku]
    elif plan.gift_packs:
        pack = plan.gift_packs[0]
    else:
        return None, member_role
    price = config.gift_pack_price if config.gift_pack_price is not None else pack.goods_value
    if price is None:
        raise SimulationConfigError(
            f"the plan's gift pack {pack.sku!r} has no goods_value; give its price",
            path="gift_pack_price",
        )
    _quanta(price, plan.quantum, "gift_pack_price")
    item = OrderItem(item_id="1", sku=pack.sku, unit_price=price)
    return item, pack.becomes


def _quanta(amount: Decimal, quantum: Decimal, path: str) -> int:
    """``amount`` in whole quanta, refusing an amount finer than the quantum."""
    numerator, denominator = amount.as_integer_ratio()
    quantum_numerator, quantum_denominator = quantum.as_integer_ratio()
    whole, rest = divmod(numerator * quantum_denominator, denominator * quantum_numerator)
    if rest:
        raise SimulationConfigError(
            f"{amount} is finer than the plan's quantum {quantum}", path=path
        )
    return whole
