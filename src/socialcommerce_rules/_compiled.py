"""A plan compiled for evaluation: role numbers, per-level tables, integer quanta.

Turns a validated :class:`~socialcommerce_rules.plan.Plan` into flat tuples the
engine can index without dictionary look-ups by name, once per plan object.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from ._time import to_instant
from .money import EXACT_CONTEXT, Rounding, decimal_places
from .plan import DifferentialRule, Level, LevelRule, Plan, PointsLevel, PointsRule

__all__ = ["CompiledPlan", "CompiledRule", "compiled"]

MONEY, POINTS = 0, 1


@dataclass(frozen=True, slots=True)
class CompiledLevel:
    """One level of a rule: the value for each role number (None: role not paid)."""

    level: int
    values: tuple[Decimal | None, ...]
    fixed: bool  # values are amounts in quanta per unit (money) or points per invite
    nominal: Decimal  # the largest value, which defines the level's share of the pool


@dataclass(frozen=True, slots=True)
class CompiledRule:
    """A rule with its scope as sets and its levels indexed by role number."""

    rule_id: str
    kind: str  # "level", "differential", "points", "invite"
    unit: int  # MONEY or POINTS
    skus: frozenset[str]
    categories: frozenset[str]
    exclude_skus: frozenset[str]
    exclude_categories: frozenset[str]
    levels: tuple[CompiledLevel, ...]  # sorted by level
    earners: tuple[bool, ...]  # by role: the role appears in some level
    rates: tuple[Decimal | None, ...]  # differential: rate by role
    rate_max: Decimal  # differential: the top rate
    include_buyer: bool

    def applies_to(self, sku: str, category: str) -> bool:
        """Whether this rule applies to an item of ``sku`` in ``category``."""
        return (
            (not self.skus or sku in self.skus)
            and (not self.categories or category in self.categories)
            and sku not in self.exclude_skus
            and category not in self.exclude_categories
        )


@dataclass(frozen=True, slots=True)
class CompiledPlan:
    """Everything the engine needs from a plan, by number rather than by name."""

    plan: Plan
    plan_id: str
    plan_version: int
    currency: str
    rounding_name: str
    effective_from: int  # microseconds since the epoch
    zero: Decimal  # zero with the quantum's exponent
    include_shipping: bool
    places: int
    quantum: Decimal
    rounding: Rounding
    decimal_rounding: str
    beneficiaries_share_remainder: bool
    compress: bool
    role_names: tuple[str, ...]
    role_number: dict[str, int]
    role_rank: tuple[int, ...]
    earns_money: tuple[bool, ...]
    earns_points: tuple[bool, ...]
    performance_role: int | None
    exclude_skus: frozenset[str]
    exclude_categories: frozenset[str]
    gift_packs: dict[str, int]  # sku -> role number the buyer becomes
    money_rules: tuple[CompiledRule, ...]
    purchase_points_rules: tuple[CompiledRule, ...]
    invite_points_rules: tuple[CompiledRule, ...]
    cap_order_ratio: Decimal
    cap_beneficiary_ratio: Decimal | None
    # Slots per chain pattern (roles and statuses along the chain), filled by the
    # engine up to SLOT_CACHE_MAX entries; a pure function's memo, never a result.
    slot_cache: dict[tuple[int | bool, ...], Any] = field(default_factory=dict)


def compiled(plan: Plan) -> CompiledPlan:
    """The compiled form of ``plan``, built once per plan object."""
    cached = plan.__pydantic_private__ or {}
    entry = cached.get("_compiled_plan") if isinstance(cached, dict) else None
    if isinstance(entry, tuple) and entry[0] == id(plan):
        result: CompiledPlan = entry[1]
        return result
    result = _compile(plan)
    if plan.__pydantic_private__ is None:
        object.__setattr__(plan, "__pydantic_private__", {})
    assert plan.__pydantic_private__ is not None
    plan.__pydantic_private__["_compiled_plan"] = (id(plan), result)
    return result


def _compile(plan: Plan) -> CompiledPlan:
    role_names = plan.role_names
    role_number = {name: number for number, name in enumerate(role_names)}
    places = decimal_places(plan.quantum.normalize(EXACT_CONTEXT))
    money: list[CompiledRule] = []
    purchase_points: list[CompiledRule] = []
    invite_points: list[CompiledRule] = []
    for rule in plan.rules:
        compiled_rule = _compile_rule(rule, role_number, places)
        if isinstance(rule, PointsRule):
            (invite_points if rule.trigger == "invite" else purchase_points).append(compiled_rule)
        else:
            money.append(compiled_rule)
    performance = plan.performance_role
    return CompiledPlan(
        plan=plan,
        plan_id=plan.id,
        plan_version=plan.version,
        currency=plan.currency,
        rounding_name=plan.rounding.value,
        effective_from=to_instant(plan.effective_from),
        zero=EXACT_CONTEXT.multiply(Decimal(0), plan.quantum),
        include_shipping=plan.base.include_shipping,
        places=places,
        quantum=plan.quantum,
        rounding=plan.rounding,
        decimal_rounding=plan.rounding.decimal_mode,
        beneficiaries_share_remainder=plan.remainder == "beneficiaries",
        compress=plan.ineligible == "compress",
        role_names=role_names,
        role_number=role_number,
        role_rank=tuple(role.rank for role in plan.roles),
        earns_money=tuple(role.earns == "money" for role in plan.roles),
        earns_points=tuple(role.earns in ("money", "points") for role in plan.roles),
        performance_role=None if performance is None else role_number[performance],
        exclude_skus=frozenset(plan.base.exclude_skus),
        exclude_categories=frozenset(plan.base.exclude_categories),
        gift_packs={pack.sku: role_number[pack.becomes] for pack in plan.gift_packs},
        money_rules=tuple(money),
        purchase_points_rules=tuple(purchase_points),
        invite_points_rules=tuple(invite_points),
        cap_order_ratio=plan.caps.order_ratio,
        cap_beneficiary_ratio=plan.caps.beneficiary_ratio,
    )


def _compile_rule(
    rule: LevelRule | DifferentialRule | PointsRule, role_number: dict[str, int], places: int
) -> CompiledRule:
    roles = len(role_number)
    levels: list[CompiledLevel] = []
    rates: tuple[Decimal | None, ...] = ()
    rate_max = Decimal(0)
    if isinstance(rule, DifferentialRule):
        rates = _by_role(rule.rates, role_number)
        rate_max = max(rule.rates.values())
        earners = tuple(rate is not None for rate in rates)
        kind, unit = "differential", MONEY
    else:
        declared: tuple[Level | PointsLevel, ...] = rule.levels
        for level in sorted(declared, key=lambda entry: entry.level):
            if isinstance(level, PointsLevel):
                table, fixed = level.points, _is_invite(rule)
            elif level.rates is not None:
                table, fixed = level.rates, False
            else:
                assert level.amounts is not None
                # Fixed money amounts are held in quanta so that products stay integral.
                table = {
                    role: Decimal(int(value.scaleb(places, EXACT_CONTEXT)))
                    for role, value in level.amounts.items()
                }
                fixed = True
            values = _by_role(table, role_number)
            levels.append(
                CompiledLevel(
                    level=level.level,
                    values=values,
                    fixed=fixed,
                    nominal=max(table.values(), default=Decimal(0)),
                )
            )
        earners = tuple(
            any(level.values[number] is not None for level in levels) for number in range(roles)
        )
        if isinstance(rule, PointsRule):
            kind, unit = ("invite" if rule.trigger == "invite" else "points"), POINTS
        else:
            kind, unit = "level", MONEY
    return CompiledRule(
        rule_id=rule.id,
        kind=kind,
        unit=unit,
        skus=frozenset(rule.skus),
        categories=frozenset(rule.categories),
        exclude_skus=frozenset(rule.exclude_skus),
        exclude_categories=frozenset(rule.exclude_categories),
        levels=tuple(levels),
        earners=earners,
        rates=rates,
        rate_max=rate_max,
        include_buyer=getattr(rule, "include_buyer", True),
    )


def _is_invite(rule: LevelRule | DifferentialRule | PointsRule) -> bool:
    return isinstance(rule, PointsRule) and rule.trigger == "invite"


def _by_role(table: dict[str, Decimal], role_number: dict[str, int]) -> tuple[Decimal | None, ...]:
    values: list[Decimal | None] = [None] * len(role_number)
    for role, value in table.items():
        values[role_number[role]] = value
    return tuple(values)
