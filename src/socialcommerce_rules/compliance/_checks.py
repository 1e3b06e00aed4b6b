"""The lint checks: each reads a plan (and observed figures) and reports hits.

Each check is a pure function of the plan, its settings from the profile and the
observed figures (or ``None``).  It returns hits (path, message, fix, source); the
caller adds the severity and basis the profile gives and sorts the findings.

How the plan language maps onto the legal tests:

- money is paid only to roles that earn ``money``; a rate or amount of zero pays
  nothing;
- a rule applies to a gift pack when its SKU passes the rule's ``skus`` and
  ``exclude_skus`` and the plan's ``base.exclude_skus`` (the plan does not say a
  gift pack's category, so category scopes are taken to include it);
- a level rule reaches its deepest money level, or ``max_depth`` under
  ``ineligible = "compress"`` (a level passes on to the next eligible upline);
  a differential rule reaches ``max_depth``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Literal

from ..errors import Problem, ProfileError
from ..money import format_decimal
from ..plan import DifferentialRule, GiftPack, Level, LevelRule, Plan, PointsRule
from ._profile import (
    CheckSettings,
    DepthSettings,
    InviteRewardSettings,
    OwnPurchasePaySettings,
    RecruitingRebateSettings,
    TeamPaySettings,
    TotalRateSettings,
)

__all__ = ["CHECK_FUNCTIONS", "Figures", "Hit", "read_observed"]

MoneyRule = LevelRule | DifferentialRule

# Stands for every SKU or category no rule names (labels cannot hold NUL).
_OTHER = "\x00other"


@dataclass(frozen=True, slots=True)
class Hit:
    """What a check found: where, what, how to fix it, and from which source."""

    path: str
    message: str
    fix: str
    source: Literal["plan", "observed"] = "plan"


@dataclass(frozen=True, slots=True)
class Figures:
    """Observed figures, read and checked once from an ``Observed`` object."""

    money_depth: int
    tree_depth: int
    participants: int
    participants_per_level: tuple[tuple[int, int], ...]
    recruitment_share: Decimal
    own_purchase_share: Decimal
    retail_share: Decimal


def read_observed(observed: object) -> Figures:
    """Read the figures of an ``Observed`` object, refusing wrong types and ranges.

    Raises:
        ProfileError: (code ``plan-invalid-value``) naming ``observed.<figure>``.
    """
    problems: list[Problem] = []

    def count(name: str) -> int:
        value = getattr(observed, name, None)
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            problems.append(_observed_problem(name, value, "a whole number at least 0"))
            return 0
        return value

    def share(name: str) -> Decimal:
        value = getattr(observed, name, None)
        if not isinstance(value, Decimal) or not value.is_finite() or not 0 <= value <= 1:
            problems.append(_observed_problem(name, value, "a Decimal between 0 and 1"))
            return Decimal(0)
        return value

    figures = Figures(
        money_depth=count("money_depth"),
        tree_depth=count("tree_depth"),
        participants=count("participants"),
        participants_per_level=_per_level(observed, problems),
        recruitment_share=share("recruitment_share"),
        own_purchase_share=share("own_purchase_share"),
        retail_share=share("retail_share"),
    )
    if problems:
        raise ProfileError(problems)
    return figures


def _per_level(observed: object, problems: list[Problem]) -> tuple[tuple[int, int], ...]:
    value = getattr(observed, "participants_per_level", None)
    items = getattr(value, "items", None)
    pairs = list(items()) if callable(items) else None
    if pairs is None or not all(
        isinstance(key, int)
        and isinstance(number, int)
        and not isinstance(key, bool)
        and not isinstance(number, bool)
        and number >= 0
        for key, number in pairs
    ):
        problems.append(
            _observed_problem(
                "participants_per_level", value, "a mapping of level numbers to counts"
            )
        )
        return ()
    return tuple(sorted(pairs))


def _observed_problem(name: str, value: object, wanted: str) -> Problem:
    from ..money import describe

    return Problem("plan-invalid-value", f"observed.{name}", f"{describe(value)} is not {wanted}")


# ------------------------------------------------------------------ plan helpers


def _money_roles(plan: Plan) -> frozenset[str]:
    return frozenset(role.name for role in plan.roles if role.earns == "money")


def _money_values(plan: Plan, level: Level) -> dict[str, Decimal]:
    """The non-zero rates or amounts a level pays to roles that earn money."""
    values = level.rates if level.rates is not None else (level.amounts or {})
    roles = _money_roles(plan)
    return {role: value for role, value in values.items() if role in roles and value > 0}


def _values_text(plan: Plan, level: Level, values: dict[str, Decimal]) -> str:
    if level.rates is not None:
        shown = ", ".join(f"{role} {format_decimal(rate)}" for role, rate in values.items())
        return f"a share of the base ({shown})"
    shown = ", ".join(
        f"{role} {format_decimal(amount)} {plan.currency}" for role, amount in values.items()
    )
    return f"a fixed amount per unit ({shown})"


def _level_words(level: int) -> str:
    if level == 0:
        return "the buyer (level 0)"
    if level == 1:
        return "the buyer's direct upline (level 1)"
    return f"the upline {level} levels above the buyer (level {level})"


def _applies_to_sku(plan: Plan, rule: MoneyRule, sku: str) -> bool:
    return (
        sku not in plan.base.exclude_skus
        and (not rule.skus or sku in rule.skus)
        and sku not in rule.exclude_skus
    )


def _only_gift_packs(plan: Plan, rule: MoneyRule) -> bool:
    """A rule scoped to gift pack SKUs alone pays for recruiting, not for sales."""
    packs = {pack.sku for pack in plan.gift_packs}
    return bool(rule.skus) and set(rule.skus) <= packs


def _money_rules(plan: Plan) -> Iterator[tuple[int, MoneyRule]]:
    for index, rule in enumerate(plan.rules):
        if isinstance(rule, LevelRule | DifferentialRule):
            yield index, rule


def _money_levels(plan: Plan, rule: LevelRule) -> Iterator[tuple[int, Level, dict[str, Decimal]]]:
    for index, level in enumerate(rule.levels):
        values = _money_values(plan, level)
        if values:
            yield index, level, values


def _differential_pays(plan: Plan, rule: DifferentialRule) -> bool:
    roles = _money_roles(plan)
    return any(role in roles and rate > 0 for role, rate in rule.rates.items())


def _reach(plan: Plan, rule: MoneyRule) -> int:
    """The most levels above the buyer at which a rule may pay money; -1 if none."""
    if isinstance(rule, DifferentialRule):
        if not _differential_pays(plan, rule) or (not rule.include_buyer and plan.max_depth == 0):
            return -1
        return plan.max_depth
    levels = [level.level for _, level, _ in _money_levels(plan, rule)]
    if not levels:
        return -1
    deepest = max(levels)
    if plan.ineligible == "compress" and deepest >= 1:
        return plan.max_depth
    return deepest


def _compress_hit(plan: Plan, index: int, rule: MoneyRule, max_level: int, what: str) -> Hit:
    return Hit(
        "ineligible",
        f'with ineligible = "compress", the money of {rule.id!r} (rules[{index}]) that an '
        f"ineligible upline cannot take passes further up, as far as max_depth = "
        f"{plan.max_depth} levels above the buyer, beyond level {max_level}: {what}",
        f'Set ineligible = "retain" so that a level nobody may take stays with the merchant, '
        f"or lower max_depth to {max_level}.",
    )


def _role_earns_money(plan: Plan, pack: GiftPack) -> bool:
    return pack.becomes in _money_roles(plan)


# ------------------------------------------------------------------ the checks


def _recruiting_rebate(plan: Plan, settings: CheckSettings, figures: Figures | None) -> list[Hit]:
    assert isinstance(settings, RecruitingRebateSettings)
    limit = settings.max_level
    hits: list[Hit] = []
    for index, rule in _money_rules(plan):
        packs = [pack for pack in plan.gift_packs if _applies_to_sku(plan, rule, pack.sku)]
        if not packs:
            continue
        named = ", ".join(
            f"{pack.sku!r} (which makes its buyer a {pack.becomes})" for pack in packs
        )
        if _only_gift_packs(plan, rule):
            fix = (
                f"Remove {rule.id!r}"
                if limit == 0
                else f"Drop the levels above {limit} from {rule.id!r}"
            ) + "; reward sales of goods to customers instead."
        else:
            skus = ", ".join(repr(pack.sku) for pack in packs)
            fix = (
                f"Add {skus} to the exclude_skus of {rule.id!r}, so that it pays nothing above "
                f"level {limit} on gift packs; reward sales of goods to customers instead."
            )
        if isinstance(rule, DifferentialRule):
            if _reach(plan, rule) > limit:
                hits.append(
                    Hit(
                        f"rules[{index}]",
                        f"the differential rule {rule.id!r} pays uplines up to level "
                        f"{plan.max_depth} when someone buys the gift pack {named}: money for "
                        f"bringing in a new participant",
                        fix,
                    )
                )
            continue
        levels = list(_money_levels(plan, rule))
        for level_index, level, values in levels:
            if level.level > limit:
                kind = "per-recruit cash" if level.amounts is not None else "a rebate"
                hits.append(
                    Hit(
                        f"rules[{index}].levels[{level_index}]",
                        f"{rule.id!r} pays {_values_text(plan, level, values)} to "
                        f"{_level_words(level.level)} when someone buys the gift pack {named}: "
                        f"{kind} for recruiting",
                        fix,
                    )
                )
        if levels and _reach(plan, rule) > limit >= max(entry[1].level for entry in levels):
            hits.append(_compress_hit(plan, index, rule, limit, "more pay for recruiting"))
    share_max = settings.max_observed_share
    if figures is not None and share_max is not None and figures.recruitment_share > share_max:
        hits.append(
            Hit(
                "observed.recruitment_share",
                f"{_percent(figures.recruitment_share)} of the money paid out was triggered by "
                f"recruitment (gift packs, invites), more than the "
                f"{_percent(share_max)} the profile allows",
                "Stop paying on gift pack purchases and invites; pay on sales of goods.",
                "observed",
            )
        )
    return hits


def _invite_reward(plan: Plan, settings: CheckSettings, figures: Figures | None) -> list[Hit]:
    assert isinstance(settings, InviteRewardSettings)
    limit = settings.max_level
    rewarded = frozenset(role.name for role in plan.roles if role.earns != "nothing")
    hits: list[Hit] = []
    for index, rule in enumerate(plan.rules):
        if not isinstance(rule, PointsRule) or rule.trigger != "invite":
            continue
        fix = (
            "Give invite points to the newcomer only (level 0), as a welcome, not to whoever "
            "invited them."
            if limit == 0
            else f"Drop the levels above {limit} from {rule.id!r}."
        )
        deepest = -1
        for level_index, level in enumerate(rule.levels):
            points = {role: value for role, value in level.points.items() if value > 0}
            awarded = {role: value for role, value in points.items() if role in rewarded}
            if not awarded:
                continue
            deepest = max(deepest, level.level)
            if level.level > limit:
                shown = ", ".join(
                    f"{role} {format_decimal(value)}" for role, value in awarded.items()
                )
                where = (
                    "the inviter (level 1)"
                    if level.level == 1
                    else f"the upline {level.level} levels above the newcomer (level {level.level})"
                )
                hits.append(
                    Hit(
                        f"rules[{index}].levels[{level_index}]",
                        f"{rule.id!r} awards points per participant who joins ({shown}) to "
                        f"{where}: a reward counted by the number of people recruited",
                        fix,
                    )
                )
        if plan.ineligible == "compress" and 1 <= deepest <= limit < plan.max_depth:
            hits.append(
                Hit(
                    "ineligible",
                    f'with ineligible = "compress", the invite points of {rule.id!r} '
                    f"(rules[{index}]) pass further up, as far as max_depth = {plan.max_depth} "
                    f"levels above the newcomer",
                    f'Set ineligible = "retain", or lower max_depth to {limit}.',
                )
            )
    return hits


def _entry_fee(plan: Plan, settings: CheckSettings, figures: Figures | None) -> list[Hit]:
    hits: list[Hit] = []
    for index, pack in enumerate(plan.gift_packs):
        if not _role_earns_money(plan, pack):
            continue
        fix = (
            f"Sell {pack.sku!r} at the value of the goods in it (goods_value equal to its price), "
            f"or let people become {pack.becomes} without buying anything."
        )
        price = getattr(pack, "price", None)
        goods = pack.goods_value
        if isinstance(price, Decimal) and goods is not None and price > goods:
            hits.append(
                Hit(
                    f"gift_packs[{index}].price",
                    f"the gift pack {pack.sku!r} costs {format_decimal(price)} {plan.currency} but "
                    f"holds goods worth {format_decimal(goods)}: the difference is a fee for "
                    f"becoming a {pack.becomes}, who earns money",
                    fix,
                )
            )
        elif goods is not None and goods == 0:
            hits.append(
                Hit(
                    f"gift_packs[{index}].goods_value",
                    f"the gift pack {pack.sku!r} holds no goods (goods_value = 0): its whole "
                    f"price is a fee for becoming a {pack.becomes}, who earns money",
                    fix,
                )
            )
    return hits


def _goods_value_undeclared(
    plan: Plan, settings: CheckSettings, figures: Figures | None
) -> list[Hit]:
    return [
        Hit(
            f"gift_packs[{index}]",
            f"the gift pack {pack.sku!r} makes its buyer a {pack.becomes}, who earns money, but "
            f"the plan does not declare the value of the goods in it: nothing shows that its "
            f"price is not an entry fee",
            f"Declare goods_value for {pack.sku!r}: the value of its goods at ordinary retail "
            f"prices, no less than the pack's price.",
        )
        for index, pack in enumerate(plan.gift_packs)
        if _role_earns_money(plan, pack) and pack.goods_value is None
    ]


def _paid_threshold(plan: Plan, settings: CheckSettings, figures: Figures | None) -> list[Hit]:
    money = _money_roles(plan)
    without = [role.name for role in plan.roles if role.name not in money]
    hits = []
    for index, pack in enumerate(plan.gift_packs):
        if pack.becomes not in money:
            continue
        others = (
            f"; {', '.join(repr(name) for name in without)} cannot earn money without it"
            if without
            else ""
        )
        hits.append(
            Hit(
                f"gift_packs[{index}].becomes",
                f"buying the gift pack {pack.sku!r} makes the buyer a {pack.becomes!r}, a role "
                f"that earns money{others}: a purchase is the condition for earning",
                f"Let participants become {pack.becomes!r} without a purchase (on application or "
                f"by sales to customers), and sell {pack.sku!r} as ordinary goods that change no "
                f"role (remove it from gift_packs).",
            )
        )
    return hits


def _team_pay(plan: Plan, settings: CheckSettings, figures: Figures | None) -> list[Hit]:
    assert isinstance(settings, TeamPaySettings)
    limit = settings.max_level
    hits: list[Hit] = []
    for index, rule in _money_rules(plan):
        if _only_gift_packs(plan, rule):
            continue  # pay for recruiting: the recruiting checks report it
        if isinstance(rule, DifferentialRule):
            if _reach(plan, rule) > limit:
                hits.append(
                    Hit(
                        f"rules[{index}]",
                        f"the differential rule {rule.id!r} pays each higher-ranked upline the "
                        f"difference of rates, up to {plan.max_depth} levels above the buyer: "
                        f"uplines are paid on their downline's purchases",
                        f"Replace {rule.id!r} with a level rule that pays no level above {limit}.",
                    )
                )
            continue
        levels = list(_money_levels(plan, rule))
        deeper = [entry for entry in levels if entry[1].level > limit]
        for level_index, level, values in deeper:
            hits.append(
                Hit(
                    f"rules[{index}].levels[{level_index}]",
                    f"{rule.id!r} pays {_values_text(plan, level, values)} to "
                    f"{_level_words(level.level)} on purchases: an upline paid on a downline's "
                    f"purchases beyond the direct level"
                    if limit >= 1
                    else f"{rule.id!r} pays {_values_text(plan, level, values)} to "
                    f"{_level_words(level.level)}: pay on someone else's purchase",
                    f"Drop the levels above {limit} from {rule.id!r}"
                    + (f" and set max_depth = {limit}." if plan.max_depth > limit else "."),
                )
            )
        if levels and not deeper and _reach(plan, rule) > limit:
            hits.append(_compress_hit(plan, index, rule, limit, "pay on downline purchases"))
    if figures is not None and figures.money_depth > limit:
        hits.append(
            Hit(
                "observed.money_depth",
                f"money was paid {figures.money_depth} levels above a buyer, beyond level {limit}",
                f"Pay no level above {limit}: change the rules as the plan findings say.",
                "observed",
            )
        )
    return hits


def _own_purchase_pay(plan: Plan, settings: CheckSettings, figures: Figures | None) -> list[Hit]:
    assert isinstance(settings, OwnPurchasePaySettings)
    hits: list[Hit] = []
    fix = (
        "Give participants a lower price on their own purchases instead of commission, and pay "
        "commission only on sales to customers."
    )
    for index, rule in _money_rules(plan):
        if _only_gift_packs(plan, rule):
            continue
        if isinstance(rule, DifferentialRule):
            if rule.include_buyer and _differential_pays(plan, rule):
                hits.append(
                    Hit(
                        f"rules[{index}].include_buyer",
                        f"the differential rule {rule.id!r} pays the buyer's own purchase at "
                        f"level 0",
                        fix,
                    )
                )
            continue
        for level_index, level, values in _money_levels(plan, rule):
            if level.level == 0:
                hits.append(
                    Hit(
                        f"rules[{index}].levels[{level_index}]",
                        f"{rule.id!r} pays {_values_text(plan, level, values)} on the buyer's own "
                        f"purchase: pay for a participant's own qualifying purchases",
                        fix,
                    )
                )
    share_max = settings.max_observed_share
    if figures is not None and share_max is not None and figures.own_purchase_share > share_max:
        hits.append(
            Hit(
                "observed.own_purchase_share",
                f"{_percent(figures.own_purchase_share)} of the money paid out came from "
                f"participants' own purchases (retail sales to customers: "
                f"{_percent(figures.retail_share)}), more than the "
                f"{_percent(share_max)} the profile allows",
                fix,
                "observed",
            )
        )
    return hits


def _total_rate(plan: Plan, settings: CheckSettings, figures: Figures | None) -> list[Hit]:
    assert isinstance(settings, TotalRateSettings)
    limit = Fraction(settings.max_total_rate)
    cap = Fraction(plan.caps.order_ratio)
    worst: tuple[Fraction, str, bool] | None = None
    for sku, category in _item_kinds(plan):
        total, unknown = _total_share(plan, sku, category)
        bound = cap if unknown else min(total, cap)
        if bound > limit and (worst is None or bound > worst[0]):
            worst = (bound, _item_words(sku, category), unknown)
    if worst is None:
        return []
    bound, item, unknown = worst
    shown = format_decimal(settings.max_total_rate)
    if unknown:
        message = (
            f"on {item} the rules pay fixed amounts per unit whose share of the price the plan "
            f"cannot show, and caps.order_ratio = {format_decimal(plan.caps.order_ratio)} lets "
            f"an order pay up to {_fraction_percent(bound)}, more than {shown} of the sale"
        )
    else:
        message = (
            f"on {item} the rules together pay up to {_fraction_percent(bound)} of the sale, "
            f"more than {shown}"
        )
    return [
        Hit(
            "caps.order_ratio" if unknown else "rules",
            message,
            f"Lower the rates so that they add up to at most {shown}, or set caps.order_ratio = "
            f'"{shown}".',
        )
    ]


def _item_kinds(plan: Plan) -> Iterator[tuple[str, str]]:
    """One (SKU, category) pair for each kind of item the rules can tell apart."""
    skus = {pack.sku for pack in plan.gift_packs}
    categories: set[str] = set()
    for _, rule in _money_rules(plan):
        skus.update((*rule.skus, *rule.exclude_skus))
        categories.update((*rule.categories, *rule.exclude_categories))
    for sku in (*sorted(skus), _OTHER):
        if sku in plan.base.exclude_skus:
            continue
        for category in (*sorted(categories), _OTHER):
            if category not in plan.base.exclude_categories:
                yield sku, category


def _total_share(plan: Plan, sku: str, category: str) -> tuple[Fraction, bool]:
    """The most all money rules pay on one item, as a share; and whether unknown."""
    goods = {pack.sku: pack.goods_value for pack in plan.gift_packs}.get(sku)
    total, unknown = Fraction(0), False
    for _, rule in _money_rules(plan):
        if not rule.applies_to(sku, category):
            continue
        if isinstance(rule, DifferentialRule):
            total += max((Fraction(rate) for rate in rule.rates.values()), default=Fraction(0))
            continue
        for _, level, values in _money_levels(plan, rule):
            most = max(Fraction(value) for value in values.values())
            if level.rates is not None:
                total += most
            elif goods:
                total += most / Fraction(goods)
            else:
                unknown = True
    return total, unknown


def _item_words(sku: str, category: str) -> str:
    if sku == _OTHER and category == _OTHER:
        return "any item"
    parts = []
    if sku != _OTHER:
        parts.append(f"SKU {sku!r}")
    if category != _OTHER:
        parts.append(f"category {category!r}")
    return "items of " + " in ".join(parts)


def _depth(plan: Plan, settings: CheckSettings, figures: Figures | None) -> list[Hit]:
    assert isinstance(settings, DepthSettings)
    hits: list[Hit] = []
    reaches = [(_reach(plan, rule), index, rule) for index, rule in _money_rules(plan)]
    deepest = max((reach for reach, _, _ in reaches), default=-1)
    fix = (
        f"Pay money at most {settings.min_levels - 2} level(s) above the buyer: drop the deeper "
        f"levels and set max_depth = {settings.min_levels - 2}."
    )
    if deepest + 1 >= settings.min_levels:
        index, rule = next((index, rule) for reach, index, rule in reaches if reach == deepest)
        hits.append(
            Hit(
                _deepest_path(plan, index, rule, deepest),
                f"money reaches {deepest} levels above the buyer, so one purchase links "
                f"{deepest + 1} levels counting the top earner's own; the test is met at "
                f"{settings.min_levels} or more levels once {settings.min_participants} or more "
                f"people take part",
                fix,
            )
        )
    if figures is not None and figures.money_depth >= 1:
        levels = figures.money_depth + 1
        if levels >= settings.min_levels and figures.participants >= settings.min_participants:
            spread = ", ".join(
                f"level {level}: {count}" for level, count in figures.participants_per_level
            )
            hits.append(
                Hit(
                    "observed.money_depth",
                    f"money flowed {figures.money_depth} levels above a buyer ({levels} levels "
                    f"counting the top earner's own) among {figures.participants} participants "
                    f"in a tree {figures.tree_depth} levels deep"
                    + (f" ({spread})" if spread else ""),
                    fix,
                    "observed",
                )
            )
    return hits


def _deepest_path(plan: Plan, index: int, rule: MoneyRule, reach: int) -> str:
    if isinstance(rule, DifferentialRule):
        return f"rules[{index}]"
    for level_index, level, _ in _money_levels(plan, rule):
        if level.level == reach:
            return f"rules[{index}].levels[{level_index}]"
    return "ineligible"


def _percent(share: Decimal) -> str:
    return _fraction_percent(Fraction(share))


def _fraction_percent(share: Fraction) -> str:
    """A share as a percentage with two places, rounded down (display only)."""
    hundredths = share.numerator * 10_000 // share.denominator
    return f"{hundredths // 100}.{hundredths % 100:02d}%"


CheckFunction = Callable[[Plan, CheckSettings, Figures | None], list[Hit]]

CHECK_FUNCTIONS: dict[str, CheckFunction] = {
    "recruiting-rebate": _recruiting_rebate,
    "invite-reward": _invite_reward,
    "entry-fee": _entry_fee,
    "goods-value-undeclared": _goods_value_undeclared,
    "paid-threshold": _paid_threshold,
    "team-pay": _team_pay,
    "own-purchase-pay": _own_purchase_pay,
    "total-rate": _total_rate,
    "depth": _depth,
}
