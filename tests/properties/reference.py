"""What a plan promises for an order, recomputed from the plan language reference.

The properties compare the engine's evaluation with these figures, derived here
independently with fractions and integer quanta: each item's commission base
(discounts, then coupons, vouchers and points redemption spread in proportion by
largest remainder, ties to the first item), the pool the plan sets aside (each
level's nominal share is its largest role value, the whole at most the order cap) and the caps
(``floor(base * ratio)`` to the quantum).
"""

from __future__ import annotations

import math
from decimal import Decimal
from fractions import Fraction

from socialcommerce_rules import Order, Plan
from socialcommerce_rules.plan import DifferentialRule, LevelRule

__all__ = [
    "applies_to",
    "cap_quanta",
    "item_bases",
    "pool_quanta",
    "quanta",
    "rounded",
    "spread",
]


def quanta(amount: Decimal, quantum: Decimal) -> int:
    """``amount`` as a whole number of quanta; fails if it is not one."""
    value = Fraction(amount) / Fraction(quantum)
    assert value.denominator == 1, f"{amount} is not a multiple of {quantum}"
    return value.numerator


def spread(total: int, weights: list[int]) -> list[int]:
    """Split ``total`` in proportion to ``weights`` by largest remainder.

    Leftover units go to the largest fractional parts, ties to the earlier
    position; with all weights zero the first position takes everything.
    """
    if not any(weights):
        return [total] + [0] * (len(weights) - 1)
    exact = [Fraction(total * weight, sum(weights)) for weight in weights]
    shares = [math.floor(value) for value in exact]
    by_remainder = sorted(range(len(exact)), key=lambda i: (shares[i] - exact[i], i))
    for position in by_remainder[: total - sum(shares)]:
        shares[position] += 1
    return shares


def rounded(value: Fraction, rounding: str) -> int:
    """A non-negative number of quanta rounded to a whole one by the plan's mode."""
    assert value >= 0
    if rounding == "down":
        return math.floor(value)
    if rounding == "half-up":
        return math.floor(value + Fraction(1, 2))
    assert rounding == "half-even"
    return round(value)  # Fraction rounds halves to even


def applies_to(rule: object, sku: str, category: str) -> bool:
    """Whether a rule's scope takes an item, read from its four lists."""
    skus: tuple[str, ...] = getattr(rule, "skus", ())
    categories: tuple[str, ...] = getattr(rule, "categories", ())
    return (
        (not skus or sku in skus)
        and (not categories or category in categories)
        and sku not in getattr(rule, "exclude_skus", ())
        and category not in getattr(rule, "exclude_categories", ())
    )


def item_bases(plan: Plan, order: Order) -> list[int]:
    """Each item's commission base in quanta."""
    q = plan.quantum
    nets = [
        quanta(item.unit_price, q) * item.quantity - quanta(item.discount, q)
        for item in order.items
    ]
    deducted = quanta(order.coupons, q) + quanta(order.vouchers, q)
    if not plan.base.include_points_redemption:
        deducted += quanta(order.points_redemption, q)
    deductions = spread(deducted, nets)
    if plan.base.include_shipping:
        shipping = spread(quanta(order.shipping, q), nets)
    else:
        shipping = [0] * len(nets)
    return [
        0
        if item.sku in plan.base.exclude_skus or item.category in plan.base.exclude_categories
        else net - deduction + ship
        for item, net, deduction, ship in zip(order.items, nets, deductions, shipping, strict=True)
    ]


def pool_quanta(plan: Plan, order: Order) -> int:
    """The money the plan sets aside for the order, in quanta.

    Per money rule and item it applies to (with a non-zero base): a level rule
    sets aside each level's largest role value (a rate of the base, or a fixed
    amount per unit), rounded per level when the merchant keeps remainders and
    in total when beneficiaries share them; a differential sets aside its top
    rate of the base, rounded.  The whole never exceeds the order cap.
    """
    bases = item_bases(plan, order)
    total = 0
    for rule in plan.rules:
        for item, base in zip(order.items, bases, strict=True):
            if not base or not applies_to(rule, item.sku, item.category):
                continue
            if isinstance(rule, DifferentialRule):
                top = Fraction(max(rule.rates.values()))
                total += rounded(base * top, plan.rounding.value)
            elif isinstance(rule, LevelRule):
                nominals = [_nominal(plan, level, base, item.quantity) for level in rule.levels]
                if plan.remainder == "merchant":
                    total += sum(rounded(value, plan.rounding.value) for value in nominals)
                else:
                    total += rounded(sum(nominals, Fraction(0)), plan.rounding.value)
    return min(total, cap_quanta(sum(bases), plan.caps.order_ratio))


def _nominal(plan: Plan, level: object, base: int, quantity: int) -> Fraction:
    rates: dict[str, Decimal] | None = getattr(level, "rates", None)
    amounts: dict[str, Decimal] | None = getattr(level, "amounts", None)
    if rates is not None:
        return base * Fraction(max(rates.values(), default=Decimal(0)))
    assert amounts is not None
    top = max(amounts.values(), default=Decimal(0))
    return Fraction(quanta(top, plan.quantum) * quantity)


def cap_quanta(base: int, ratio: Decimal) -> int:
    """A cap of ``ratio`` on a base of ``base`` quanta: floor to a whole quantum."""
    return math.floor(base * Fraction(ratio))
