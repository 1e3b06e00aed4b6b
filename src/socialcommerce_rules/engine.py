"""The engine: a plan, the graph as of payment time and an order in; payouts out.

Pure: :func:`evaluate` reads the plan version in force when the order was paid,
the uplines, roles and status as they stood at that instant, and returns an
:class:`Evaluation` - the performance owner and the ordered payout lines, each
with its own explanation.  It records nothing; role changes the order causes (a
gift pack's upgrade) come back as ``effects`` for the caller to apply.

Per order the work is O(items x rules x max_depth): uplines are read by number,
at most ``max_depth`` steps, never by searching the graph.

Amounts are computed in integer quanta of the plan's currency where they are
whole, and as exact decimals where a rate applies; rounding to the quantum happens
at exactly three documented points (see ``docs/plan-language.md``): each payout
line (or each rule's lines on an item together), each cap, and each points award.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import ROUND_FLOOR, Decimal
from typing import Any, NamedTuple

from ._compiled import MONEY, CompiledLevel, CompiledPlan, CompiledRule, compiled
from ._time import format_instant, to_instant
from .errors import (
    InternalInvariantError,
    NoPlanInForceError,
    OrderError,
    UnknownParticipantError,
)
from .graph import ReferralGraph, RoleChange
from .limits import DEPTH_MAX
from .money import EXACT_CONTEXT, allocate, format_decimal
from .orders import Order
from .plan import Plan, PlanSet

__all__ = ["Evaluation", "ItemBase", "PayoutLine", "evaluate"]

POINTS_UNIT = "points"
_ONE = Decimal(1)
_HUNDRED = Decimal(100)


class PayoutLine(NamedTuple):
    """One amount one beneficiary earns from one order item under one rule.

    Attributes:
        order_id: the order.
        item_id: the order item the amount comes from.
        beneficiary: who earns it.
        level: how many levels above the buyer the beneficiary stands (0 = buyer).
        role: the beneficiary's role at payment time.
        unit: the plan's currency code, or ``"points"``.
        amount: what is paid, a multiple of the quantum (whole for points).
        rule_id: the rule that pays it.
        rule_level: the rule's level paid; differs from ``level`` only when
            ineligible uplines were compressed away.
        base: the item's commission base.
        rate: the rate applied (for a differential, the difference), or None.
        fixed_amount: the fixed amount per unit, or None.
        exact: the amount before rounding and caps.
        rounding: the rounding mode applied to ``exact``.
        capped_from: the amount before a cap scaled it down, or None.
        path: participants from the buyer up to the beneficiary.
        plan_id: the plan.
        plan_version: the plan version in force at payment time.
        reason: one sentence a support agent can read to the beneficiary.
    """

    order_id: str
    item_id: str
    beneficiary: str
    level: int
    role: str
    unit: str
    amount: Decimal
    rule_id: str
    rule_level: int
    base: Decimal
    rate: Decimal | None
    fixed_amount: Decimal | None
    exact: Decimal
    rounding: str
    capped_from: Decimal | None
    path: tuple[str, ...]
    plan_id: str
    plan_version: int
    reason: str


class ItemBase(NamedTuple):
    """How an order item's commission base was derived.

    Attributes:
        item_id: the item.
        sku: its SKU.
        category: its category.
        quantity: units bought.
        gross: unit price times quantity.
        discount: the item's own discount.
        deductions: its share of order-level coupons, vouchers and (unless the
            plan includes it) points redemption.
        shipping: its share of shipping, when the plan includes shipping.
        base: the commission base (zero when the plan excludes the item).
        excluded: whether the plan excludes the item from every rule.
    """

    item_id: str
    sku: str
    category: str
    quantity: int
    gross: Decimal
    discount: Decimal
    deductions: Decimal
    shipping: Decimal
    base: Decimal
    excluded: bool


class Evaluation(NamedTuple):
    """The result of evaluating one paid order.

    Attributes:
        order_id: the order.
        buyer: who paid.
        paid_at: the payment instant, ISO 8601 in UTC.
        plan_id: the plan.
        plan_version: the version in force at ``paid_at``.
        currency: the plan's currency.
        performance_owner: the participant credited with the sale (the nearest
            holder of the plan's performance role at or above the buyer), or None.
        store: the performance owner's store at ``paid_at``, or None.
        base: the order's commission base, the sum of the items' bases.
        pool: the money the plan sets aside for this order's rules, rounded.
        paid: the money paid in lines (the sum of money line amounts).
        merchant_kept: ``pool - paid``: levels nobody could take, rate differences,
            rounding and caps.
        points: the points awarded in lines.
        items: how each item's base was derived.
        lines: the payout lines, by rule, then item, then level.
        effects: role changes this order causes, to apply to the graph.
    """

    order_id: str
    buyer: str
    paid_at: str
    plan_id: str
    plan_version: int
    currency: str
    performance_owner: str | None
    store: str | None
    base: Decimal
    pool: Decimal
    paid: Decimal
    merchant_kept: Decimal
    points: Decimal
    items: tuple[ItemBase, ...]
    lines: tuple[PayoutLine, ...]
    effects: tuple[RoleChange, ...]

    def to_dict(self) -> dict[str, Any]:
        """Plain data with amounts as decimal strings, ready for JSON."""
        result = _plain(self._asdict())
        assert isinstance(result, dict)
        return result

    def to_json(self) -> str:
        """Canonical JSON text: amounts as strings, fields in a fixed order."""
        import json

        return json.dumps(self.to_dict(), ensure_ascii=False, separators=(",", ":"))


class _Draft:
    """A payout line being computed; becomes a PayoutLine at the end."""

    __slots__ = (
        "amount_q",
        "capped_from_q",
        "distance",
        "exact_q",
        "fixed_q",
        "item",
        "lower_rate",
        "rate",
        "rule",
        "rule_level",
    )

    def __init__(
        self,
        rule: CompiledRule,
        item: int,
        distance: int,
        rule_level: int,
        exact_q: Decimal,
        rate: Decimal | None,
        fixed_q: Decimal | None,
        lower_rate: Decimal | None = None,
    ) -> None:
        self.rule = rule
        self.item = item
        self.distance = distance
        self.rule_level = rule_level
        self.exact_q = exact_q
        self.rate = rate
        self.fixed_q = fixed_q
        self.lower_rate = lower_rate
        self.amount_q = 0
        self.capped_from_q: int | None = None


class _Chain(NamedTuple):
    numbers: list[int]  # graph numbers, buyer first
    ids: list[str]
    roles: list[int]  # plan role numbers
    active: list[bool]


def evaluate(plans: Plan | PlanSet, graph: ReferralGraph, order: Order) -> Evaluation:
    """Evaluate a paid order: who is credited, who is paid what, and why.

    Args:
        plans: a plan, or the set of its versions (the one in force when the
            order was paid is used).
        graph: the referral graph; read as it stood at ``order.paid_at``.
        order: the paid order.

    Returns:
        The evaluation.  Nothing is recorded; apply ``effects`` to the graph with
        :meth:`ReferralGraph.apply` to record a gift pack's upgrade.

    Raises:
        NoPlanInForceError: no plan version was in force at the payment time.
        OrderError: a currency mismatch, an amount finer than the quantum,
            discounts above prices, a buyer not yet joined, or a role the plan does
            not declare.
        UnknownParticipantError: the buyer is not in the graph.

    >>> from socialcommerce_rules import load_plan, ReferralGraph, Order
    >>> from datetime import datetime, timezone
    >>> plan = load_plan("examples/article_scheme.toml")
    >>> graph = ReferralGraph()
    >>> t = datetime(2026, 1, 5, tzinfo=timezone.utc)
    >>> graph.join("guide-1", at=t, role="guide", store="store-1")
    >>> graph.join("member-1", at=t, role="member", inviter="guide-1")
    >>> order = Order.from_mapping({"order_id": "o-1", "buyer": "member-1",
    ...     "paid_at": "2026-02-01T12:00:00+08:00", "currency": "CNY",
    ...     "items": [{"item_id": "1", "sku": "TEA-250G", "unit_price": "150.00"}]})
    >>> result = evaluate(plan, graph, order)
    >>> [(line.beneficiary, str(line.amount)) for line in result.lines if line.unit == "CNY"]
    [('guide-1', '12.00')]
    """
    instant = to_instant(order.paid_at)
    plan = _plan_at(plans, instant, order.order_id)
    c = compiled(plan)
    if order.currency != plan.currency:
        raise OrderError(
            "order-currency-mismatch",
            f"{order.currency} is not the plan's currency {plan.currency}",
            path="currency",
            event_id=order.order_id,
        )
    chain = _chain(c, graph, order, instant)
    items, bases_q = _item_bases(c, order)
    drafts: list[_Draft] = []
    pool_q = 0
    for rule in c.money_rules:
        if rule.kind == "differential":
            pool_q += _differential(c, rule, chain, order, bases_q, drafts)
        else:
            pool_q += _levels(c, rule, chain, order, bases_q, drafts)
    money = [draft for draft in drafts if draft.amount_q]
    _apply_caps(c, money, sum(bases_q), chain)
    points = _points(c, chain, order, bases_q)
    owner, store = _performance(c, graph, chain, instant)
    return _finish(c, order, instant, chain, items, bases_q, pool_q, money, points, owner, store)


def _plan_at(plans: Plan | PlanSet, instant: int, order_id: str) -> Plan:
    if isinstance(plans, PlanSet):
        try:
            return plans.at_instant(instant)
        except NoPlanInForceError as error:
            raise NoPlanInForceError(
                error.code, str(error), path="paid_at", event_id=order_id
            ) from None
    if to_instant(plans.effective_from) > instant:
        raise NoPlanInForceError(
            "order-no-plan-in-force",
            f"plan {plans.id!r} version {plans.version} starts at "
            f"{plans.effective_from.isoformat()}, after the payment",
            path="paid_at",
            event_id=order_id,
        )
    return plans


def _chain(c: CompiledPlan, graph: ReferralGraph, order: Order, instant: int) -> _Chain:
    buyer = graph._index.get(order.buyer)
    if buyer is None:
        raise UnknownParticipantError(
            "graph-unknown-participant",
            f"the buyer {order.buyer!r} is not a participant of the graph",
            path="buyer",
            event_id=order.order_id,
        )
    if graph._joined[buyer] > instant:
        raise OrderError(
            "order-buyer-not-joined",
            f"the buyer {order.buyer!r} joined at {format_instant(graph._joined[buyer])}, "
            "after the payment",
            path="buyer",
            event_id=order.order_id,
        )
    numbers = [buyer, *graph._ancestors(buyer, instant, c.plan.max_depth)]
    roles = []
    for number in numbers:
        name = graph._role_names[graph._role_at(number, instant)]
        role = c.role_number.get(name)
        if role is None:
            raise OrderError(
                "order-unknown-role",
                f"{graph._ids[number]!r} holds the role {name!r}, which plan "
                f"{c.plan.id!r} version {c.plan.version} does not declare",
                path="buyer",
                event_id=order.order_id,
            )
        roles.append(role)
    return _Chain(
        numbers=numbers,
        ids=[graph._ids[number] for number in numbers],
        roles=roles,
        active=[graph._active_at(number, instant) for number in numbers],
    )


def _item_bases(c: CompiledPlan, order: Order) -> tuple[tuple[ItemBase, ...], list[int]]:
    """Each item's base in quanta: paid amount after discounts and its deductions."""
    nets: list[int] = []
    for index, item in enumerate(order.items):
        path = f"items[{index}]"
        gross = _quanta(c, item.unit_price, f"{path}.unit_price", order) * item.quantity
        discount = _quanta(c, item.discount, f"{path}.discount", order)
        if discount > gross:
            raise OrderError(
                "order-discount-exceeds-price",
                f"{item.discount} is more than the item's {_amount(c, gross)}",
                path=f"{path}.discount",
                event_id=order.order_id,
            )
        nets.append(gross - discount)
    deducted = _quanta(c, order.coupons, "coupons", order) + _quanta(
        c, order.vouchers, "vouchers", order
    )
    points_value = _quanta(c, order.points_redemption, "points_redemption", order)
    if deducted + points_value > sum(nets):
        raise OrderError(
            "order-discount-exceeds-price",
            f"coupons, vouchers and points redemption ({_amount(c, deducted + points_value)}) "
            f"exceed the items' {_amount(c, sum(nets))}",
            path="coupons",
            event_id=order.order_id,
        )
    if not c.plan.base.include_points_redemption:
        deducted += points_value
    deductions = allocate(deducted, nets)
    shipping_q = _quanta(c, order.shipping, "shipping", order)
    shipping = allocate(shipping_q, nets) if c.plan.base.include_shipping else [0] * len(nets)
    items, bases = [], []
    for index, item in enumerate(order.items):
        excluded = item.sku in c.exclude_skus or item.category in c.exclude_categories
        base = 0 if excluded else nets[index] - deductions[index] + shipping[index]
        bases.append(base)
        gross = nets[index] + _quanta(c, item.discount, "", order)
        items.append(
            ItemBase(
                item_id=item.item_id,
                sku=item.sku,
                category=item.category,
                quantity=item.quantity,
                gross=_amount(c, gross),
                discount=item.discount,
                deductions=_amount(c, deductions[index]),
                shipping=_amount(c, shipping[index]),
                base=_amount(c, base),
                excluded=excluded,
            )
        )
    return tuple(items), bases


def _levels(
    c: CompiledPlan,
    rule: CompiledRule,
    chain: _Chain,
    order: Order,
    bases_q: list[int],
    drafts: list[_Draft],
) -> int:
    """Add a level rule's drafts for every item it applies to; return its pool."""
    assigned = _assign_levels(c, rule, chain)
    pool_q = 0
    for index, item in enumerate(order.items):
        base_q = bases_q[index]
        if not base_q or not rule.applies_to(item.sku, item.category):
            continue
        quantity = Decimal(item.quantity)
        group = []
        for level, distance, value in assigned:
            if level.fixed:
                exact = EXACT_CONTEXT.multiply(value, quantity)
                group.append(_Draft(rule, index, distance, level.level, exact, None, value))
            else:
                exact = EXACT_CONTEXT.multiply(Decimal(base_q), value)
                group.append(_Draft(rule, index, distance, level.level, exact, value, None))
        nominals = [
            EXACT_CONTEXT.multiply(level.nominal, quantity if level.fixed else Decimal(base_q))
            for level in rule.levels
        ]
        if c.beneficiaries_share_remainder:
            pool_q += _round(c, sum(nominals, Decimal(0)))
            _share_rounded(c, group)
        else:
            pool_q += sum(_round(c, nominal) for nominal in nominals)
            for draft in group:
                draft.amount_q = _round(c, draft.exact_q)
        drafts.extend(group)
    return pool_q


def _assign_levels(
    c: CompiledPlan, rule: CompiledRule, chain: _Chain
) -> list[tuple[CompiledLevel, int, Decimal]]:
    """Who takes each level of ``rule``: (level, distance from buyer, value)."""
    money = rule.unit == MONEY
    earns = c.earns_money if money else c.earns_points
    length = len(chain.numbers)

    def eligible(distance: int) -> bool:
        return chain.active[distance] and earns[chain.roles[distance]]

    assigned = []
    if c.compress:
        # Level 0 is the buyer alone; levels 1, 2, ... go to the 1st, 2nd, ...
        # eligible upline within max_depth, skipping the others.
        uplines = [
            distance
            for distance in range(1, length)
            if eligible(distance) and rule.earners[chain.roles[distance]]
        ]
        for level in rule.levels:
            if level.level == 0:
                distance = 0 if eligible(0) else -1
            elif level.level <= len(uplines):
                distance = uplines[level.level - 1]
            else:
                continue
            if distance >= 0:
                value = level.values[chain.roles[distance]]
                if value is not None:
                    assigned.append((level, distance, value))
        return assigned
    for level in rule.levels:
        distance = level.level
        if distance < length and eligible(distance):
            value = level.values[chain.roles[distance]]
            if value is not None:
                assigned.append((level, distance, value))
    return assigned


def _differential(
    c: CompiledPlan,
    rule: CompiledRule,
    chain: _Chain,
    order: Order,
    bases_q: list[int],
    drafts: list[_Draft],
) -> int:
    """Add a role-differential rule's drafts; return its pool.

    The rule's lines on an item always share the rounded total of their exact
    amounts (largest remainder), since they split one slot of ``rate_max``.
    """
    steps = []  # (distance, difference, rate below)
    highest = Decimal(0)
    for distance in range(0 if rule.include_buyer else 1, len(chain.numbers)):
        role = chain.roles[distance]
        rate = rule.rates[role]
        if rate is None or rate <= highest:
            continue
        if chain.active[distance] and c.earns_money[role]:
            steps.append((distance, EXACT_CONTEXT.subtract(rate, highest), highest))
            highest = rate
        elif not c.compress:
            highest = rate  # retained: the merchant keeps this participant's share
        if highest >= rule.rate_max:
            break
    pool_q = 0
    for index, item in enumerate(order.items):
        base_q = bases_q[index]
        if not base_q or not rule.applies_to(item.sku, item.category):
            continue
        base = Decimal(base_q)
        group = [
            _Draft(
                rule,
                index,
                distance,
                distance,
                EXACT_CONTEXT.multiply(base, difference),
                difference,
                None,
                below,
            )
            for distance, difference, below in steps
        ]
        pool_q += _round(c, EXACT_CONTEXT.multiply(base, rule.rate_max))
        _share_rounded(c, group)
        drafts.extend(group)
    return pool_q


def _share_rounded(c: CompiledPlan, group: Sequence[_Draft]) -> None:
    """Give ``group`` the rounded total of its exact amounts, largest remainder first."""
    if not group:
        return
    total = _round(c, sum((draft.exact_q for draft in group), Decimal(0)))
    floors = [int(draft.exact_q.to_integral_value(ROUND_FLOOR, EXACT_CONTEXT)) for draft in group]
    left_over = total - sum(floors)
    ranked = sorted(
        range(len(group)),
        key=lambda position: (floors[position] - group[position].exact_q, position),
    )
    for position in ranked[:left_over]:
        floors[position] += 1
    for draft, amount in zip(group, floors, strict=True):
        draft.amount_q = amount


def _apply_caps(c: CompiledPlan, money: list[_Draft], base_q: int, chain: _Chain) -> None:
    """Scale lines down to the per-beneficiary cap, then to the per-order cap."""
    if c.cap_beneficiary_ratio is not None:
        limit = _floor(EXACT_CONTEXT.multiply(Decimal(base_q), c.cap_beneficiary_ratio))
        for distance in range(len(chain.numbers)):
            own = [draft for draft in money if draft.distance == distance]
            _scale_down(own, limit)
    limit = _floor(EXACT_CONTEXT.multiply(Decimal(base_q), c.cap_order_ratio))
    _scale_down(money, limit)


def _scale_down(drafts: list[_Draft], limit: int) -> None:
    total = sum(draft.amount_q for draft in drafts)
    if total <= limit:
        return
    scaled = allocate(limit, [draft.amount_q for draft in drafts])
    for draft, amount in zip(drafts, scaled, strict=True):
        if amount != draft.amount_q:
            if draft.capped_from_q is None:
                draft.capped_from_q = draft.amount_q
            draft.amount_q = amount


def _points(c: CompiledPlan, chain: _Chain, order: Order, bases_q: list[int]) -> list[_Draft]:
    """Points on purchase: base in currency units times points per unit, floored."""
    found = []
    for rule in c.purchase_points_rules:
        assigned = _assign_levels(c, rule, chain)
        for index, item in enumerate(order.items):
            base_q = bases_q[index]
            if not base_q or not rule.applies_to(item.sku, item.category):
                continue
            base = EXACT_CONTEXT.multiply(Decimal(base_q), c.quantum)
            for level, distance, per_unit in assigned:
                exact = EXACT_CONTEXT.multiply(base, per_unit)
                draft = _Draft(rule, index, distance, level.level, exact, per_unit, None)
                draft.amount_q = _floor(exact)
                if draft.amount_q:
                    found.append(draft)
    return found


def _performance(
    c: CompiledPlan, graph: ReferralGraph, chain: _Chain, instant: int
) -> tuple[str | None, str | None]:
    """The nearest holder of the performance role at or above the buyer, and store."""
    if c.performance_role is None:
        return None, None
    wanted = c.role_names[c.performance_role]
    for number, role in zip(chain.numbers, chain.roles, strict=True):
        if role == c.performance_role:
            return graph._ids[number], _store(graph, number, instant)
    number = chain.numbers[-1]
    for _ in range(DEPTH_MAX + 1 - len(chain.numbers)):
        number = graph._upline_at(number, instant)
        if number < 0:
            break
        if graph._role_names[graph._role_at(number, instant)] == wanted:
            return graph._ids[number], _store(graph, number, instant)
    return None, None


def _store(graph: ReferralGraph, number: int, instant: int) -> str | None:
    store = graph._store_at(number, instant)
    return None if store < 0 else graph._store_names[store]


def _finish(
    c: CompiledPlan,
    order: Order,
    instant: int,
    chain: _Chain,
    items: tuple[ItemBase, ...],
    bases_q: list[int],
    pool_q: int,
    money: list[_Draft],
    points: list[_Draft],
    owner: str | None,
    store: str | None,
) -> Evaluation:
    plan = c.plan
    lines = [
        _line(c, order, chain, items, draft, plan.currency) for draft in money if draft.amount_q
    ]
    lines += [_line(c, order, chain, items, draft, POINTS_UNIT) for draft in points]
    paid_q = sum(draft.amount_q for draft in money)
    base_q = sum(bases_q)
    _check(c, order, chain, lines, pool_q, paid_q, base_q)
    effects = _effects(c, order, chain, instant)
    return Evaluation(
        order_id=order.order_id,
        buyer=order.buyer,
        paid_at=format_instant(instant),
        plan_id=plan.id,
        plan_version=plan.version,
        currency=plan.currency,
        performance_owner=owner,
        store=store,
        base=_amount(c, base_q),
        pool=_amount(c, pool_q),
        paid=_amount(c, paid_q),
        merchant_kept=_amount(c, pool_q - paid_q),
        points=Decimal(sum(draft.amount_q for draft in points)),
        items=items,
        lines=tuple(lines),
        effects=effects,
    )


def _line(
    c: CompiledPlan,
    order: Order,
    chain: _Chain,
    items: tuple[ItemBase, ...],
    draft: _Draft,
    unit: str,
) -> PayoutLine:
    item = items[draft.item]
    points = unit == POINTS_UNIT
    if points:
        amount, exact = Decimal(draft.amount_q), draft.exact_q
        fixed = None
    else:
        amount = _amount(c, draft.amount_q)
        exact = EXACT_CONTEXT.multiply(draft.exact_q, c.quantum)
        fixed = None if draft.fixed_q is None else EXACT_CONTEXT.multiply(draft.fixed_q, c.quantum)
    distance = draft.distance
    role = c.role_names[chain.roles[distance]]
    line = PayoutLine(
        order_id=order.order_id,
        item_id=item.item_id,
        beneficiary=chain.ids[distance],
        level=distance,
        role=role,
        unit=unit,
        amount=amount,
        rule_id=draft.rule.rule_id,
        rule_level=draft.rule_level,
        base=item.base,
        rate=draft.rate,
        fixed_amount=fixed,
        exact=exact,
        rounding="down" if points else c.rounding.value,
        capped_from=None if draft.capped_from_q is None else _amount(c, draft.capped_from_q),
        path=tuple(chain.ids[: distance + 1]),
        plan_id=c.plan.id,
        plan_version=c.plan.version,
        reason="",
    )
    return line._replace(reason=_reason(c, line, item, draft, chain.ids[0]))


def _reason(c: CompiledPlan, line: PayoutLine, item: ItemBase, draft: _Draft, buyer: str) -> str:
    unit = "points" if line.unit == POINTS_UNIT else line.unit
    if line.level == 0:
        whose = f"their own purchase of {item.sku}"
    else:
        below = "1 level" if line.level == 1 else f"{line.level} levels"
        whose = f"the purchase of {item.sku} by {buyer}, {below} below them"
    if line.fixed_amount is not None:
        what = f"{format_decimal(line.fixed_amount)} {unit} per unit x {item.quantity}"
    elif draft.lower_rate is not None:
        assert line.rate is not None
        what = (
            f"the difference {_percent(draft.lower_rate + line.rate)} - "
            f"{_percent(draft.lower_rate)} = {_percent(line.rate)} of the "
            f"{format_decimal(item.base)} {c.plan.currency} paid"
        )
    elif line.unit == POINTS_UNIT:
        assert line.rate is not None
        per_unit = format_decimal(line.rate)
        what = (
            f"{per_unit} point{'' if line.rate == _ONE else 's'} per {c.plan.currency} of the "
            f"{format_decimal(item.base)} {c.plan.currency} paid"
        )
    else:
        assert line.rate is not None
        what = f"{_percent(line.rate)} of the {format_decimal(item.base)} {c.plan.currency} paid"
    level = f"level {line.rule_level}"
    if line.rule_level != line.level:
        level += " after skipping ineligible uplines"
    text = (
        f"{line.beneficiary} earns {format_decimal(line.amount)} {unit}: {what} for {whose}, "
        f"as {line.role} (rule {line.rule_id}, {level})."
    )
    if line.capped_from is not None:
        text += f" Scaled down from {format_decimal(line.capped_from)} by the plan's cap."
    return text


def _percent(rate: Decimal) -> str:
    return f"{EXACT_CONTEXT.multiply(rate, _HUNDRED).normalize(EXACT_CONTEXT):f}%"


def _effects(c: CompiledPlan, order: Order, chain: _Chain, instant: int) -> tuple[RoleChange, ...]:
    """A gift pack makes its buyer the pack's role from the next microsecond on."""
    current = chain.roles[0]
    best = current
    best_sku = ""
    for item in order.items:
        role = c.gift_packs.get(item.sku)
        if role is not None and c.role_rank[role] > c.role_rank[best]:
            best, best_sku = role, item.sku
    if best == current:
        return ()
    from datetime import timedelta

    from ._time import EPOCH

    effective = EPOCH + timedelta(microseconds=instant + 1)
    return (
        RoleChange(
            participant=order.buyer,
            role=c.role_names[best],
            effective_at=effective,
            reason=(
                f"{order.buyer} becomes {c.role_names[best]} by buying the gift pack "
                f"{best_sku} in order {order.order_id}."
            ),
        ),
    )


def _check(
    c: CompiledPlan,
    order: Order,
    chain: _Chain,
    lines: list[PayoutLine],
    pool_q: int,
    paid_q: int,
    base_q: int,
) -> None:
    """Conservation, depth, path and cap, checked on every evaluation."""
    problem = ""
    cap_q = _floor(EXACT_CONTEXT.multiply(Decimal(base_q), c.cap_order_ratio))
    if paid_q > pool_q:
        problem = f"paid {paid_q} quanta from a pool of {pool_q}"
    elif paid_q > cap_q:
        problem = f"paid {paid_q} quanta above the cap of {cap_q}"
    for line in lines:
        if line.level > c.plan.max_depth or line.path != tuple(chain.ids[: line.level + 1]):
            problem = f"line for {line.beneficiary} breaks depth or path"
        elif line.amount < 0:
            problem = f"negative line for {line.beneficiary}"
    if problem:
        raise InternalInvariantError(problem, event_id=order.order_id)


def _quanta(c: CompiledPlan, amount: Decimal, path: str, order: Order) -> int:
    scaled = amount.scaleb(c.places, EXACT_CONTEXT)
    if scaled != scaled.to_integral_value(context=EXACT_CONTEXT):
        raise OrderError(
            "order-not-quantized",
            f"{amount} is finer than the plan's quantum {c.quantum}",
            path=path,
            event_id=order.order_id,
        )
    return int(scaled)


def _amount(c: CompiledPlan, quanta: int) -> Decimal:
    return EXACT_CONTEXT.multiply(Decimal(quanta), c.quantum)


def _round(c: CompiledPlan, exact_q: Decimal) -> int:
    return int(exact_q.to_integral_value(c.decimal_rounding, EXACT_CONTEXT))


def _floor(exact_q: Decimal) -> int:
    return int(exact_q.to_integral_value(ROUND_FLOOR, EXACT_CONTEXT))


def _plain(value: object) -> object:
    if isinstance(value, Decimal):
        return format_decimal(value)
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, tuple) and hasattr(value, "_asdict"):
        return _plain(value._asdict())
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    return value
