"""A plan compiled for evaluation: role numbers, per-level tables, integer quanta.

Turns a validated :class:`~socialcommerce_rules.plan.Plan` into flat tuples the
engine can index without dictionary look-ups by name, once per plan object.

Every rate, fixed amount and points value of a rule is also held as an integer
numerator over the rule's ``denominator`` (a power of ten), so that the engine
computes each exact amount as ``factor * numerator / denominator`` and rounds it
with integer division, exactly as the decimal rounding modes would.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from ._time import to_instant
from .money import EXACT_CONTEXT, Rounding, decimal_places
from .plan import DifferentialRule, Level, LevelRule, Plan, PointsLevel, PointsRule

__all__ = ["CompiledPlan", "CompiledRule", "compiled", "round_quotient"]

MONEY, POINTS = 0, 1


@dataclass(frozen=True, slots=True)
class CompiledLevel:
    """One level of a rule: the value for each role number (None: role not paid)."""

    level: int
    values: tuple[Decimal | None, ...]
    fixed: bool  # values are amounts in quanta per unit (money) or points per invite
    nominal: Decimal  # the largest value, which defines the level's share of the pool
    numerators: tuple[int | None, ...]  # values over the rule's denominator
    nominal_numerator: int


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
    denominator: int  # a power of ten: exact amount = factor * numerator / denominator
    rate_numerators: tuple[int | None, ...]  # differential: rates over the denominator
    rate_max_numerator: int
    scoped: bool  # whether the rule names SKUs or categories at all
    # The levels' nominal numerators, fixed or not, each distinct pair once with
    # the number of levels that have it: the pool takes each rounded share that often.
    nominal_groups: tuple[tuple[int, bool, int], ...]
    # applies(sku, category): the scope test, specialised to the lists the rule has.
    applies: Callable[[str, str], bool]

    def applies_to(self, sku: str, category: str) -> bool:
        """Whether this rule applies to an item of ``sku`` in ``category``."""
        return self.applies(sku, category)


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
    performance_role_name: str | None
    exclude_skus: frozenset[str]
    exclude_categories: frozenset[str]
    gift_packs: dict[str, int]  # sku -> role number the buyer becomes
    money_rules: tuple[CompiledRule, ...]
    purchase_points_rules: tuple[CompiledRule, ...]
    invite_points_rules: tuple[CompiledRule, ...]
    cap_order_ratio: Decimal
    cap_beneficiary_ratio: Decimal | None
    max_depth: int
    include_points_redemption: bool
    quanta_per_unit: int  # 10 ** places: quanta in one currency unit
    round_quotient: Callable[[int, int], int]  # the plan's rounding of n / d to a whole
    # The same rounding inline: q, r = divmod(2n + (d if nearest else 0), 2d), then
    # q - 1 if ties_to_even and r == 0 and q is odd.
    nearest: bool
    ties_to_even: bool
    cap_order: tuple[int, int]  # order_ratio as numerator, denominator
    cap_beneficiary: tuple[int, int] | None
    plain_amounts: bool  # str() of an amount is its plain form (no exponent)
    # Slots per chain pattern (role names and statuses along the chain), filled by the
    # engine up to SLOT_CACHE_MAX entries; a pure function's memo, never a result.
    slot_cache: dict[tuple[object, ...], Any] = field(default_factory=dict)


def compiled(plan: Plan) -> CompiledPlan:
    """The compiled form of ``plan``, built once per plan object."""
    cached = plan.__pydantic_private__
    if cached:
        entry = cached.get("_compiled_plan")
        # A copy of the plan shares the dict; the id tells whose entry it is.
        if entry is not None and entry[0] == id(plan):
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
    caps = plan.caps
    quantum_exponent = plan.quantum.as_tuple().exponent
    assert isinstance(quantum_exponent, int)
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
        performance_role_name=performance,
        exclude_skus=frozenset(plan.base.exclude_skus),
        exclude_categories=frozenset(plan.base.exclude_categories),
        gift_packs={pack.sku: role_number[pack.becomes] for pack in plan.gift_packs},
        money_rules=tuple(money),
        purchase_points_rules=tuple(purchase_points),
        invite_points_rules=tuple(invite_points),
        cap_order_ratio=caps.order_ratio,
        cap_beneficiary_ratio=caps.beneficiary_ratio,
        max_depth=plan.max_depth,
        include_points_redemption=plan.base.include_points_redemption,
        quanta_per_unit=10**places,
        round_quotient=_ROUND_QUOTIENT[plan.rounding],
        nearest=plan.rounding != Rounding.DOWN,
        ties_to_even=plan.rounding == Rounding.HALF_EVEN,
        cap_order=caps.order_ratio.as_integer_ratio(),
        cap_beneficiary=(
            None if caps.beneficiary_ratio is None else caps.beneficiary_ratio.as_integer_ratio()
        ),
        plain_amounts=-6 <= quantum_exponent <= 0,
    )


def _compile_rule(
    rule: LevelRule | DifferentialRule | PointsRule, role_number: dict[str, int], places: int
) -> CompiledRule:
    roles = len(role_number)
    tables: list[tuple[int, dict[str, Decimal], bool]] = []
    rates: dict[str, Decimal] = {}
    if isinstance(rule, DifferentialRule):
        rates = rule.rates
        kind, unit = "differential", MONEY
    else:
        declared: tuple[Level | PointsLevel, ...] = rule.levels
        for level in sorted(declared, key=lambda entry: entry.level):
            if isinstance(level, PointsLevel):
                tables.append((level.level, level.points, _is_invite(rule)))
            elif level.rates is not None:
                tables.append((level.level, level.rates, False))
            else:
                assert level.amounts is not None
                # Fixed money amounts are held in quanta so that products stay integral.
                quanta = {
                    role: Decimal(int(value.scaleb(places, EXACT_CONTEXT)))
                    for role, value in level.amounts.items()
                }
                tables.append((level.level, quanta, True))
        if isinstance(rule, PointsRule):
            kind, unit = ("invite" if rule.trigger == "invite" else "points"), POINTS
        else:
            kind, unit = "level", MONEY
    values = [value for _, table, _ in tables for value in table.values()] + list(rates.values())
    exponent = max((decimal_places(value) for value in values), default=0)
    # Purchase points are per currency unit of a base counted in quanta.
    denominator = 10 ** (exponent + (places if kind == "points" else 0))
    levels = tuple(
        _compile_level(level, table, fixed, role_number, exponent) for level, table, fixed in tables
    )
    if isinstance(rule, DifferentialRule):
        earners = tuple(rate is not None for rate in _by_role(rates, role_number))
    else:
        earners = tuple(
            any(level.values[number] is not None for level in levels) for number in range(roles)
        )
    rate_max = max(rates.values(), default=Decimal(0))
    return CompiledRule(
        rule_id=rule.id,
        kind=kind,
        unit=unit,
        skus=frozenset(rule.skus),
        categories=frozenset(rule.categories),
        exclude_skus=frozenset(rule.exclude_skus),
        exclude_categories=frozenset(rule.exclude_categories),
        levels=levels,
        earners=earners,
        rates=_by_role(rates, role_number) if rates else (),
        rate_max=rate_max,
        include_buyer=getattr(rule, "include_buyer", True),
        denominator=denominator,
        rate_numerators=_numerators(_by_role(rates, role_number), exponent) if rates else (),
        rate_max_numerator=_numerator(rate_max, exponent),
        scoped=bool(rule.skus or rule.categories or rule.exclude_skus or rule.exclude_categories),
        nominal_groups=_nominal_groups(levels),
        applies=_scope_test(
            frozenset(rule.skus),
            frozenset(rule.categories),
            frozenset(rule.exclude_skus),
            frozenset(rule.exclude_categories),
        ),
    )


def _scope_test(
    skus: frozenset[str],
    categories: frozenset[str],
    exclude_skus: frozenset[str],
    exclude_categories: frozenset[str],
) -> Callable[[str, str], bool]:
    """The test of whether an item of (sku, category) is in a rule's scope, reduced to
    the one set the common scopes name (the engine calls it per item and rule)."""
    if not categories and not exclude_skus and not exclude_categories:
        if not skus:
            return lambda sku, category: True
        return lambda sku, category: sku in skus
    if not skus and not categories and not exclude_categories:
        return lambda sku, category: sku not in exclude_skus
    return lambda sku, category: (
        (not skus or sku in skus)
        and (not categories or category in categories)
        and sku not in exclude_skus
        and category not in exclude_categories
    )


def _compile_level(
    level: int, table: dict[str, Decimal], fixed: bool, role_number: dict[str, int], exponent: int
) -> CompiledLevel:
    values = _by_role(table, role_number)
    nominal = max(table.values(), default=Decimal(0))
    return CompiledLevel(
        level=level,
        values=values,
        fixed=fixed,
        nominal=nominal,
        numerators=_numerators(values, exponent),
        nominal_numerator=_numerator(nominal, exponent),
    )


def _nominal_groups(levels: tuple[CompiledLevel, ...]) -> tuple[tuple[int, bool, int], ...]:
    counts: dict[tuple[int, bool], int] = {}
    for level in levels:
        key = (level.nominal_numerator, level.fixed)
        counts[key] = counts.get(key, 0) + 1
    return tuple((numerator, fixed, count) for (numerator, fixed), count in counts.items())


def _is_invite(rule: LevelRule | DifferentialRule | PointsRule) -> bool:
    return isinstance(rule, PointsRule) and rule.trigger == "invite"


def _by_role(table: dict[str, Decimal], role_number: dict[str, int]) -> tuple[Decimal | None, ...]:
    values: list[Decimal | None] = [None] * len(role_number)
    for role, value in table.items():
        values[role_number[role]] = value
    return tuple(values)


def _numerator(value: Decimal, exponent: int) -> int:
    """``value * 10 ** exponent``, a whole number when ``exponent`` covers its places."""
    return int(value.scaleb(exponent, EXACT_CONTEXT))


def _numerators(values: tuple[Decimal | None, ...], exponent: int) -> tuple[int | None, ...]:
    return tuple(None if value is None else _numerator(value, exponent) for value in values)


def _round_down(numerator: int, denominator: int) -> int:
    return numerator // denominator


def _round_half_up(numerator: int, denominator: int) -> int:
    return (numerator + numerator + denominator) // (denominator + denominator)


def _round_half_even(numerator: int, denominator: int) -> int:
    whole, rest = divmod(numerator, denominator)
    twice = rest + rest
    if twice > denominator or (twice == denominator and whole & 1):
        return whole + 1
    return whole


_ROUND_QUOTIENT: dict[Rounding, Callable[[int, int], int]] = {
    Rounding.DOWN: _round_down,
    Rounding.HALF_UP: _round_half_up,
    Rounding.HALF_EVEN: _round_half_even,
}


def round_quotient(numerator: int, denominator: int, rounding: Rounding) -> int:
    """``numerator / denominator`` (both non-negative) rounded to a whole with ``rounding``.

    The same result as rounding the exact decimal quotient with the decimal module.

    >>> round_quotient(5, 2, Rounding.HALF_EVEN), round_quotient(5, 2, Rounding.HALF_UP)
    (2, 3)
    """
    return _ROUND_QUOTIENT[rounding](numerator, denominator)
