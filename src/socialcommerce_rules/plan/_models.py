"""The plan language as pydantic models: what a plan may say, checked as a whole.

A :class:`Plan` is an immutable value.  Field-level problems are found by pydantic;
the problems that need the whole plan (an unknown role named in a rule, a level
above ``max_depth``, rules that together promise more than the base) are found by
:func:`_plan_problems` and reported together with their paths.  The loaders in
``_load`` turn both kinds into one :class:`~socialcommerce_rules.errors.PlanError`.
"""

from __future__ import annotations

import itertools
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from ..errors import Problem
from ..limits import (
    DEPTH_MAX,
    LEVELS_PER_RULE_MAX,
    ROLES_MAX,
    RULES_MAX,
    SCOPE_ENTRIES_MAX,
)
from ..money import EXACT_CONTEXT, Rounding, decimal_places, describe, exact_sum
from ._fields import Amount, Flag, Integer, Label, Name, PointsAmount, Rate

__all__ = [
    "Binding",
    "Caps",
    "CommissionBase",
    "DifferentialRule",
    "GiftPack",
    "Level",
    "LevelRule",
    "Plan",
    "PointsLevel",
    "PointsRule",
    "Role",
    "Rule",
]

# Stands for every SKU or category that no rule names (labels cannot hold NUL).
_OTHER = "\x00other"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=False)


Labels = Annotated[tuple[Label, ...], Field(max_length=SCOPE_ENTRIES_MAX)]


class Role(_Model):
    """A role a participant can hold, such as member, maker or guide.

    Attributes:
        name: the role's name, used in rules and in the referral graph.
        rank: higher ranks sit higher in the role differential (级差); unique.
        earns: ``"money"`` (money and points), ``"points"`` (points only) or
            ``"nothing"``.
    """

    name: Name
    rank: Integer = Field(ge=0, le=1000)
    earns: Literal["money", "points", "nothing"] = "money"


class CommissionBase(_Model):
    """Which amount of an order counts as its commission base.

    By default each item's base is what the buyer actually paid for it: price times
    quantity, less the item's own discount, less its share of the order's coupons,
    vouchers and points redemption (spread over items in proportion to their
    discounted amounts, leftover cents to the largest remainders, ties to the first
    item).  Shipping is not part of it.

    Attributes:
        include_shipping: add each item's share of shipping to its base.
        include_points_redemption: do not deduct the value paid with points.
        exclude_skus: SKUs whose base is zero for every money and points rule.
        exclude_categories: categories whose base is zero for every rule.
    """

    include_shipping: Flag = False
    include_points_redemption: Flag = False
    exclude_skus: Labels = ()
    exclude_categories: Labels = ()


class _Scoped(_Model):
    """Which order items a rule applies to: all, unless listed or excluded."""

    skus: Labels = ()
    categories: Labels = ()
    exclude_skus: Labels = ()
    exclude_categories: Labels = ()

    def applies_to(self, sku: str, category: str) -> bool:
        """Whether this rule applies to an item of ``sku`` in ``category``."""
        return (
            (not self.skus or sku in self.skus)
            and (not self.categories or category in self.categories)
            and sku not in self.exclude_skus
            and category not in self.exclude_categories
        )


class Level(_Model):
    """What one level of a level rule pays, by the beneficiary's role.

    Exactly one of ``rates`` and ``amounts`` is given.

    Attributes:
        level: 0 is the buyer's own purchase, 1 the buyer's upline, and so on.
        rates: share of the item's base, by role (``{maker = "0.10"}``).
        amounts: fixed money per unit bought, by role (``{guide = "100.00"}``).
    """

    level: Integer = Field(ge=0, le=DEPTH_MAX)
    rates: dict[Name, Rate] | None = None
    amounts: dict[Name, Amount] | None = None


class LevelRule(_Scoped):
    """Pays each level a rate of the base, or a fixed amount per unit, by role.

    Attributes:
        kind: ``"level"``.
        id: the rule's name, unique in the plan; appears on every line it pays.
        description: free text for people.
        levels: the levels paid, each at most the plan's ``max_depth``.
    """

    kind: Literal["level"]
    id: Name
    description: str = Field(default="", max_length=1000)
    levels: tuple[Level, ...] = Field(min_length=1, max_length=LEVELS_PER_RULE_MAX)


class DifferentialRule(_Scoped):
    """Role differential (级差): each higher-ranked upline earns only the difference.

    Walking up from the buyer (level 0 when ``include_buyer``), each eligible
    participant whose role's rate exceeds the highest rate already paid below earns
    the difference times the base; nobody above earns twice for the same sale.

    Attributes:
        kind: ``"differential"``.
        id: the rule's name.
        description: free text for people.
        rates: rate by role; must not decrease as rank rises.
        include_buyer: whether the buyer's own purchase counts at level 0.
    """

    kind: Literal["differential"]
    id: Name
    description: str = Field(default="", max_length=1000)
    rates: dict[Name, Rate] = Field(min_length=1)
    include_buyer: Flag = True


class PointsLevel(_Model):
    """Points one level earns, by role.

    Attributes:
        level: 0 is the buyer (or, for invites, the newcomer), 1 the upline, ...
        points: for ``purchase`` rules, points per one currency unit of base
            (rounded down to whole points); for ``invite`` rules, whole points
            per invite.
    """

    level: Integer = Field(ge=0, le=DEPTH_MAX)
    points: dict[Name, PointsAmount] = Field(min_length=1)


class PointsRule(_Scoped):
    """Awards points, a unit separate from money, on purchases or invites.

    Attributes:
        kind: ``"points"``.
        id: the rule's name.
        description: free text for people.
        trigger: ``"purchase"`` (per currency unit of base) or ``"invite"``
            (per participant who joins).
        levels: the levels awarded.
    """

    kind: Literal["points"]
    id: Name
    description: str = Field(default="", max_length=1000)
    trigger: Literal["purchase", "invite"] = "purchase"
    levels: tuple[PointsLevel, ...] = Field(min_length=1, max_length=LEVELS_PER_RULE_MAX)


Rule = Annotated[LevelRule | DifferentialRule | PointsRule, Field(discriminator="kind")]
"""One rule of a plan: a level, differential or points rule, told apart by ``kind``."""


class GiftPack(_Model):
    """A product whose purchase changes the buyer's role (开店礼包).

    Attributes:
        sku: the gift pack's SKU.
        becomes: the role the buyer holds from the instant after payment.
        goods_value: the value of the goods in the pack, for compliance checks.
        price: what the pack sells for, for compliance checks: a price above
            ``goods_value`` is a fee for the role.  The engine does not read it;
            an order's own item price is what it pays on.
    """

    sku: Label
    becomes: Name
    goods_value: Amount | None = None
    price: Amount | None = None


class Binding(_Model):
    """How a click on a shared link moves a participant's binding (绑定关系).

    A participant without an upline is bound by the first click under every
    policy.  Beyond that: ``permanent`` never moves a binding; ``window`` moves it
    when the current binding is at least ``window_days`` old (its protection
    ended); ``latest`` moves it on every click.  ``applies_to = "new"`` limits
    moving a binding to participants who have not yet paid an order.

    Attributes:
        policy: ``"permanent"``, ``"window"`` or ``"latest"``.
        window_days: the protection window of the ``window`` policy, in days.
        applies_to: ``"all"`` participants, or only ``"new"`` ones.
    """

    policy: Literal["permanent", "window", "latest"] = "permanent"
    window_days: Integer = Field(default=0, ge=0, le=3650)
    applies_to: Literal["all", "new"] = "all"


class Caps(_Model):
    """Limits on what one order pays in money.

    When rules together exceed a cap, the affected lines are scaled down in
    proportion, in whole quanta, leftover quanta to the largest remainders (ties to
    the earlier line); each scaled line records the amount before the cap.

    Attributes:
        order_ratio: all money lines of an order at most this share of its base.
        beneficiary_ratio: one beneficiary's money lines on an order at most this
            share of the order's base.
    """

    order_ratio: Rate = Decimal(1)
    beneficiary_ratio: Rate | None = None


class Plan(_Model):
    """One version of a commission plan.

    Build it with :meth:`from_mapping`, :meth:`from_toml` or :meth:`from_json`
    (or :func:`~socialcommerce_rules.load_plan` for a file) to get every problem
    as one :class:`~socialcommerce_rules.errors.PlanError`.

    Attributes:
        id: the plan's name; all versions of a plan share it.
        version: a positive integer, increasing with ``effective_from``.
        effective_from: orders paid at or after this instant use this version
            (until the next version takes over).
        description: free text for people.
        currency: ISO 4217 code of every money amount (``"CNY"``).
        quantum: the smallest money amount, a power of ten (``"0.01"``).
        rounding: how each line's exact amount is rounded to the quantum.
        remainder: ``"merchant"``: each line is rounded on its own and the merchant
            keeps what rounding leaves; ``"beneficiaries"``: each rule's lines on an
            item together get the rounded total of their exact amounts, leftover
            quanta going to the largest remainders (ties to the lower level).
        roles: the roles, with ranks and what they may earn.
        performance_role: the role credited with an order's performance (the
            nearest such participant at or above the buyer), usually ``"guide"``.
        base: what counts as the commission base.
        max_depth: levels above the buyer that may receive anything (at most
            ``DEPTH_MAX``).
        ineligible: ``"retain"``: a level whose participant may not earn is kept by
            the merchant; ``"compress"``: it passes to the next eligible upline,
            never beyond ``max_depth`` levels from the buyer.
        caps: limits on money paid per order.
        after_sales_days: days after an order's completion before its money can
            be settled (the after-sales window).
        binding: how shared links move bindings.
        gift_packs: products that change the buyer's role.
        rules: the rules, applied in this order.
    """

    id: Name
    version: Integer = Field(ge=1, le=1_000_000_000)
    effective_from: AwareDatetime
    description: str = Field(default="", max_length=10_000)
    currency: str = Field(pattern=r"^[A-Z]{3}$")
    quantum: Amount = Decimal("0.01")
    rounding: Rounding = Rounding.DOWN
    remainder: Literal["merchant", "beneficiaries"] = "merchant"
    roles: tuple[Role, ...] = Field(min_length=1, max_length=ROLES_MAX)
    performance_role: Name | None = None
    base: CommissionBase = CommissionBase()
    max_depth: Integer = Field(ge=0)
    ineligible: Literal["retain", "compress"] = "retain"
    caps: Caps = Caps()
    after_sales_days: Integer = Field(default=7, ge=0, le=3650)
    binding: Binding = Binding()
    gift_packs: tuple[GiftPack, ...] = Field(default=(), max_length=SCOPE_ENTRIES_MAX)
    rules: tuple[Rule, ...] = Field(default=(), max_length=RULES_MAX)

    @field_validator("max_depth")
    @classmethod
    def _max_depth_within_limit(cls, value: int) -> int:
        if value > DEPTH_MAX:
            raise PydanticCustomError(
                "plan-limit",
                "max_depth = {value} exceeds the engine's ceiling DEPTH_MAX = {limit}",
                {"value": describe(value), "limit": DEPTH_MAX},
            )
        return value

    @model_validator(mode="after")
    def _whole_plan_is_consistent(self) -> Plan:
        problems = _plan_problems(self)
        if problems:
            raise PydanticCustomError(
                "plan-semantic",
                "{count} problems in the plan: {summary}",
                {
                    "count": len(problems),
                    "summary": "; ".join(str(problem) for problem in problems),
                    "problems": problems,
                },
            )
        return self

    def __eq__(self, other: object) -> bool:
        """Plans are equal when their fields are; a cached compiled form is not a field."""
        if not isinstance(other, Plan):
            return NotImplemented
        return self.__dict__ == other.__dict__

    __hash__ = None  # type: ignore[assignment]

    @property
    def role_names(self) -> tuple[str, ...]:
        """The declared role names, in declaration order."""
        return tuple(role.name for role in self.roles)

    @classmethod
    def from_mapping(cls, data: Any) -> Plan:
        """Validate a plan given as plain data (dicts, lists, strings, ints).

        Raises:
            PlanError: listing every problem with its path.
        """
        from ._load import plan_from_data

        return plan_from_data(data)

    @classmethod
    def from_toml(cls, text: str) -> Plan:
        """Parse and validate a plan written in TOML.

        Raises:
            PlanError: listing every problem; LimitError for oversize input.
        """
        from ._load import plan_from_text

        return plan_from_text(text, "toml")

    @classmethod
    def from_json(cls, text: str) -> Plan:
        """Parse and validate a plan written in JSON.

        Raises:
            PlanError: listing every problem; LimitError for oversize input.
        """
        from ._load import plan_from_text

        return plan_from_text(text, "json")


def _plan_problems(plan: Plan) -> list[Problem]:
    """Every problem that needs the whole plan to see, in path order."""
    problems: list[Problem] = []
    problems += _role_problems(plan)
    roles = set(plan.role_names)
    quantum_places = decimal_places(plan.quantum.normalize(EXACT_CONTEXT))
    if not _is_valid_quantum(plan.quantum):
        problems.append(
            Problem(
                "plan-quantum-invalid",
                "quantum",
                f"quantum = {plan.quantum} must be a power of ten between 0.000001 and 1",
            )
        )
    if plan.performance_role is not None and plan.performance_role not in roles:
        problems.append(_unknown_role("performance_role", plan.performance_role))
    seen_skus: set[str] = set()
    for index, pack in enumerate(plan.gift_packs):
        path = f"gift_packs[{index}]"
        if pack.sku in seen_skus:
            problems.append(
                Problem("plan-duplicate", f"{path}.sku", f"{pack.sku!r} is listed twice")
            )
        seen_skus.add(pack.sku)
        if pack.becomes not in roles:
            problems.append(_unknown_role(f"{path}.becomes", pack.becomes))
        for name, amount in (("goods_value", pack.goods_value), ("price", pack.price)):
            if amount is not None and not _on_quantum(amount, quantum_places):
                problems.append(_too_precise(f"{path}.{name}", amount, plan.quantum))
    seen_ids: set[str] = set()
    for index, rule in enumerate(plan.rules):
        path = f"rules[{index}]"
        if rule.id in seen_ids:
            problems.append(Problem("plan-duplicate", f"{path}.id", f"{rule.id!r} is used twice"))
        seen_ids.add(rule.id)
        problems += _rule_problems(plan, rule, path, quantum_places)
    problems += _rate_sum_problems(plan)
    return problems


def _role_problems(plan: Plan) -> list[Problem]:
    problems = []
    names: set[str] = set()
    ranks: set[int] = set()
    for index, role in enumerate(plan.roles):
        if role.name in names:
            problems.append(
                Problem(
                    "plan-duplicate", f"roles[{index}].name", f"{role.name!r} is declared twice"
                )
            )
        if role.rank in ranks:
            problems.append(
                Problem("plan-duplicate", f"roles[{index}].rank", f"rank {role.rank} is used twice")
            )
        names.add(role.name)
        ranks.add(role.rank)
    return problems


def _rule_problems(
    plan: Plan, rule: LevelRule | DifferentialRule | PointsRule, path: str, quantum_places: int
) -> list[Problem]:
    roles = set(plan.role_names)
    problems: list[Problem] = []
    if isinstance(rule, DifferentialRule):
        problems += [
            _unknown_role(f"{path}.rates.{role}", role) for role in rule.rates if role not in roles
        ]
        ranked = sorted((role.rank, role.name) for role in plan.roles if role.name in rule.rates)
        for (_, lower), (_, higher) in itertools.pairwise(ranked):
            if rule.rates[higher] < rule.rates[lower]:
                problems.append(
                    Problem(
                        "plan-invalid-value",
                        f"{path}.rates.{higher}",
                        f"{rule.rates[higher]} for {higher} is below {rule.rates[lower]} for the "
                        f"lower-ranked {lower}; differential rates must not decrease with rank",
                    )
                )
        return problems
    seen_levels: set[int] = set()
    levels: tuple[Level | PointsLevel, ...] = rule.levels
    for level_index, level in enumerate(levels):
        level_path = f"{path}.levels[{level_index}]"
        if level.level in seen_levels:
            problems.append(
                Problem(
                    "plan-duplicate", f"{level_path}.level", f"level {level.level} is listed twice"
                )
            )
        seen_levels.add(level.level)
        if level.level > plan.max_depth:
            problems.append(
                Problem(
                    "plan-level-beyond-max-depth",
                    f"{level_path}.level",
                    f"level {level.level} is above max_depth = {plan.max_depth}",
                )
            )
        if isinstance(level, PointsLevel):
            values: dict[str, Decimal] = level.points
            kind = "points"
            if isinstance(rule, PointsRule) and rule.trigger == "invite":
                problems += [
                    Problem(
                        "plan-too-precise",
                        f"{level_path}.points.{role}",
                        f"{value} must be a whole number of points per invite",
                    )
                    for role, value in values.items()
                    if value != value.to_integral_value(context=EXACT_CONTEXT)
                ]
        elif (level.rates is None) == (level.amounts is None):
            problems.append(
                Problem(
                    "plan-invalid-value", level_path, "give exactly one of 'rates' and 'amounts'"
                )
            )
            continue
        elif level.rates is not None:
            values, kind = level.rates, "rates"
        else:
            assert level.amounts is not None
            values, kind = level.amounts, "amounts"
            problems += [
                _too_precise(f"{level_path}.amounts.{role}", value, plan.quantum)
                for role, value in values.items()
                if not _on_quantum(value, quantum_places)
            ]
        problems += [
            _unknown_role(f"{level_path}.{kind}.{role}", role)
            for role in values
            if role not in roles
        ]
    return problems


def _rate_sum_problems(plan: Plan) -> list[Problem]:
    """Refuse money rules that could together pay more than an item's whole base.

    An item is a (SKU, category) pair.  Only the SKUs and categories the rules
    name, plus one stand-in for all others, can differ in which rules apply, and
    items whose SKU and category pass the same rules' tests are alike; so each
    distinct pair of "rules this SKU passes" and "rules this category passes" is
    summed once.
    """
    money_rules: list[tuple[LevelRule | DifferentialRule, Decimal]] = []
    for rule in plan.rules:
        if isinstance(rule, DifferentialRule):
            money_rules.append((rule, max(rule.rates.values())))
        elif isinstance(rule, LevelRule):
            level_maxima = (max(level.rates.values()) for level in rule.levels if level.rates)
            money_rules.append((rule, exact_sum(level_maxima)))
    if not money_rules:
        return []
    sku_masks = _pass_masks(
        [(frozenset(rule.skus), frozenset(rule.exclude_skus)) for rule, _ in money_rules]
    )
    category_masks = _pass_masks(
        [
            (frozenset(rule.categories), frozenset(rule.exclude_categories))
            for rule, _ in money_rules
        ]
    )
    worst, where = Decimal(0), ""
    totals: dict[int, Decimal] = {}
    for sku_mask, sku in sku_masks.items():
        for category_mask, category in category_masks.items():
            mask = sku_mask & category_mask
            if mask not in totals:
                totals[mask] = exact_sum(
                    rate for bit, (_, rate) in enumerate(money_rules) if mask >> bit & 1
                )
            total = totals[mask]
            if total > worst:
                worst, where = total, _describe_item(sku, category)
    if worst > 1:
        return [
            Problem(
                "plan-rates-exceed-base",
                "rules",
                f"the rules together promise {worst} of the base of {where}, more than all of it",
            )
        ]
    return []


def _pass_masks(tests: list[tuple[frozenset[str], frozenset[str]]]) -> dict[int, str]:
    """For each distinct set of rules a label passes (as a bit mask), one such label.

    A rule's test is (listed, excluded): a label passes if the list is empty or holds
    it, and the exclusions do not.  Labels no rule names all pass alike.
    """
    named = sorted({label for listed, excluded in tests for label in (*listed, *excluded)})
    masks: dict[int, str] = {}
    for label in (*named, _OTHER):
        mask = 0
        for bit, (listed, excluded) in enumerate(tests):
            if (not listed or label in listed) and label not in excluded:
                mask |= 1 << bit
        masks.setdefault(mask, label)
    return masks


def _describe_item(sku: str, category: str) -> str:
    if sku == _OTHER and category == _OTHER:
        return "any item"
    parts = []
    if sku != _OTHER:
        parts.append(f"SKU {sku!r}")
    if category != _OTHER:
        parts.append(f"category {category!r}")
    return "items of " + " in ".join(parts)


def _on_quantum(value: Decimal, places: int) -> bool:
    """Whether ``value`` is a whole multiple of 10 ** -places, by value not by spelling."""
    scaled = value.scaleb(places, EXACT_CONTEXT)
    return scaled == scaled.to_integral_value(context=EXACT_CONTEXT)


def _is_valid_quantum(quantum: Decimal) -> bool:
    return (
        quantum > 0
        and quantum.normalize(EXACT_CONTEXT).as_tuple().digits == (1,)
        and -6 <= quantum.adjusted() <= 0
    )


def _unknown_role(path: str, role: str) -> Problem:
    return Problem("plan-unknown-role", path, f"{role!r} is not a role the plan declares")


def _too_precise(path: str, value: Decimal, quantum: Decimal) -> Problem:
    return Problem("plan-too-precise", path, f"{value} is finer than the quantum {quantum}")
