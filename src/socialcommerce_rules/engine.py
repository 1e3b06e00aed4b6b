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

from datetime import datetime, timedelta
from decimal import ROUND_FLOOR, Decimal
from typing import Any, NamedTuple

from ._compiled import MONEY, CompiledPlan, CompiledRule, compiled
from ._time import EPOCH, format_instant, to_instant
from .errors import (
    InternalInvariantError,
    NoPlanInForceError,
    OrderError,
    UnknownParticipantError,
)
from .graph import ReferralGraph, RoleChange
from .limits import DEPTH_MAX, SLOT_CACHE_MAX
from .money import EXACT_CONTEXT, allocate, exact_sum, format_decimal
from .orders import Order
from .plan import Plan, PlanSet

__all__ = ["Evaluation", "InviteAward", "ItemBase", "PayoutLine", "evaluate", "evaluate_invite"]

POINTS_UNIT = "points"
_ONE = Decimal(1)
_HUNDRED = Decimal(100)
_ZERO_POINTS = Decimal(0)


class PayoutLine(NamedTuple):
    """One amount one beneficiary earns from one order item under one rule.

    Attributes:
        order_id: the order, or None for an invite award.
        item_id: the order item the amount comes from, or None for an invite award.
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

    order_id: str | None
    item_id: str | None
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
        paid_at: the payment time, as the order gave it (JSON: ISO 8601 in UTC).
        plan_id: the plan.
        plan_version: the version in force at ``paid_at``.
        currency: the plan's currency.
        performance_owner: the participant credited with the sale (the nearest
            holder of the plan's performance role at or above the buyer), or None.
        store: the performance owner's store at ``paid_at``, or None.
        base: the order's commission base, the sum of the items' bases.
        pool: the most the plan could pay on this order: for each rule, item and
            level the largest amount any role could earn there, rounded as the lines
            are, and never more than the order cap.
        paid: the money paid in lines (the sum of money line amounts).
        merchant_kept: ``pool - paid``: levels nobody could take, rate differences,
            rounding, and per-beneficiary caps (what the order cap cuts is not in the
            pool; the scaled lines show it as ``capped_from``).
        points: the points awarded in lines.
        items: how each item's base was derived.
        lines: the payout lines, by rule, then item, then level.
        effects: role changes this order causes, to apply to the graph.
    """

    order_id: str
    buyer: str
    paid_at: datetime
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


class InviteAward(NamedTuple):
    """Points awarded because a participant joined (拉新赚积分).

    Attributes:
        participant: the newcomer.
        joined_at: when they joined (JSON: ISO 8601 in UTC).
        plan_id: the plan.
        plan_version: the version in force at ``joined_at``.
        points: the points awarded in lines.
        lines: one line per beneficiary and rule, in rule then level order; their
            ``order_id`` and ``item_id`` are None and ``base`` is zero.
    """

    participant: str
    joined_at: datetime
    plan_id: str
    plan_version: int
    points: Decimal
    lines: tuple[PayoutLine, ...]

    def to_dict(self) -> dict[str, Any]:
        """Plain data with amounts as decimal strings, ready for JSON."""
        result = _plain(self._asdict())
        assert isinstance(result, dict)
        return result


class _Chain(NamedTuple):
    numbers: list[int]  # graph numbers, buyer first
    ids: list[str]
    roles: list[int]  # plan role numbers
    active: list[bool]


class _Slot(NamedTuple):
    """Who takes one level of a rule for a given chain of roles and statuses,
    with the parts of the explanation that depend only on that."""

    rule_id: str
    rule_level: int
    distance: int
    value: Decimal  # rate, fixed quanta per unit, or points per currency unit
    fixed: bool
    value_text: str  # "10%", "the difference 15% - 10% = 5%", "80.00 CNY per unit"
    role_text: str
    level_text: str  # "level 1", or "level 2 after skipping ineligible uplines"
    below_text: str  # "", "1 level below them", "2 levels below them"


# A draft line is a small list, mutated by rounding and caps before the line is
# built: [slot, item index, exact amount in quanta, amount in quanta, amount before cap].
_SLOT, _ITEM, _EXACT, _AMOUNT, _CAPPED = range(5)


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
    c = _plan_at(plans, instant, order.order_id)
    if order.currency != c.currency:
        raise OrderError(
            "order-currency-mismatch",
            f"{order.currency} is not the plan's currency {c.currency}",
            path="currency",
            event_id=order.order_id,
        )
    chain = _chain(c, graph, order, instant)
    items, bases_q = _item_bases(c, order)
    slots = _slots(c, chain)
    money: list[list[Any]] = []
    pool_q = 0
    for rule, rule_slots in zip(c.money_rules, slots, strict=False):
        if rule.kind == "differential":
            pool_q += _differential(c, rule, rule_slots, order, bases_q, money)
        else:
            pool_q += _levels(c, rule, rule_slots, order, bases_q, money)
    base_q = sum(bases_q)
    cap_q = _floor(EXACT_CONTEXT.multiply(Decimal(base_q), c.cap_order_ratio))
    pool_q = min(pool_q, cap_q)
    _apply_caps(c, money, base_q, cap_q)
    money = [draft for draft in money if draft[_AMOUNT]]
    points = _points(c, slots[len(c.money_rules) :], order, bases_q)
    paid_q = sum(draft[_AMOUNT] for draft in money)
    lines = _lines(c, order, chain, items, money, c.currency)
    lines += _lines(c, order, chain, items, points, POINTS_UNIT)
    _check(c, order, lines, pool_q, paid_q, base_q)
    owner, store = _performance(c, graph, chain, instant)
    return Evaluation(
        order.order_id,
        order.buyer,
        order.paid_at,
        c.plan_id,
        c.plan_version,
        c.currency,
        owner,
        store,
        _amount(c, base_q) if base_q else c.zero,
        _amount(c, pool_q) if pool_q else c.zero,
        _amount(c, paid_q) if paid_q else c.zero,
        _amount(c, pool_q - paid_q) if pool_q != paid_q else c.zero,
        Decimal(sum(draft[_AMOUNT] for draft in points)) if points else _ZERO_POINTS,
        items,
        tuple(lines),
        _effects(c, order, chain, instant) if c.gift_packs else (),
    )


def evaluate_invite(plans: Plan | PlanSet, graph: ReferralGraph, participant: str) -> InviteAward:
    """The points a plan's invite rules award because ``participant`` joined.

    Level 0 is the newcomer, level 1 their inviter, and so on, with roles and
    statuses as they stood at the join.  Each level's points are whole numbers.

    Raises:
        UnknownParticipantError: the participant is not in the graph.
        NoPlanInForceError: no plan version was in force at the join.
        OrderError: someone on the chain holds a role the plan does not declare.

    >>> from socialcommerce_rules import load_plan, ReferralGraph
    >>> from datetime import datetime, timezone
    >>> graph = ReferralGraph()
    >>> t = datetime(2026, 1, 5, tzinfo=timezone.utc)
    >>> graph.join("guide-1", at=t, role="guide", store="store-1")
    >>> graph.join("member-1", at=t, role="member", inviter="guide-1")
    >>> award = evaluate_invite(load_plan("examples/article_scheme.toml"), graph, "member-1")
    >>> [(line.beneficiary, line.amount) for line in award.lines]
    [('guide-1', Decimal('50'))]
    """
    number = graph._index.get(participant)
    if number is None:
        raise UnknownParticipantError(
            "graph-unknown-participant",
            f"{participant!r} is not a participant of the graph",
            path="participant",
            event_id=participant,
        )
    instant = graph._joined[number]
    joined_at = EPOCH + timedelta(microseconds=instant)
    c = _plan_at(plans, instant, participant)
    chain = _walk_chain(c, graph, number, instant, participant)
    lines = []
    for rule in c.invite_points_rules:
        for slot in _level_slots(c, rule, chain):
            amount = slot.value
            below = f"{participant}, {slot.below_text}" if slot.distance else "themselves"
            lines.append(
                PayoutLine(
                    None,
                    None,
                    chain.ids[slot.distance],
                    slot.distance,
                    slot.role_text,
                    POINTS_UNIT,
                    amount,
                    slot.rule_id,
                    slot.rule_level,
                    _ZERO_POINTS,
                    None,
                    amount,
                    amount,
                    "down",
                    None,
                    tuple(chain.ids[: slot.distance + 1]),
                    c.plan_id,
                    c.plan_version,
                    f"{chain.ids[slot.distance]} earns {format_decimal(amount)} points for "
                    f"inviting {below}, as {slot.role_text} "
                    f"(rule {slot.rule_id}, {slot.level_text}).",
                )
            )
    return InviteAward(
        participant,
        joined_at,
        c.plan_id,
        c.plan_version,
        exact_sum(line.amount for line in lines),
        tuple(line for line in lines if line.amount),
    )


def _plan_at(plans: Plan | PlanSet, instant: int, order_id: str) -> CompiledPlan:
    if isinstance(plans, PlanSet):
        try:
            return compiled(plans.at_instant(instant))
        except NoPlanInForceError as error:
            raise NoPlanInForceError(
                error.code, str(error), path="paid_at", event_id=order_id
            ) from None
    c = compiled(plans)
    if c.effective_from > instant:
        raise NoPlanInForceError(
            "order-no-plan-in-force",
            f"plan {plans.id!r} version {plans.version} starts at "
            f"{plans.effective_from.isoformat()}, after the payment",
            path="paid_at",
            event_id=order_id,
        )
    return c


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
    return _walk_chain(c, graph, buyer, instant, order.order_id)


def _walk_chain(
    c: CompiledPlan, graph: ReferralGraph, start: int, instant: int, event_id: str
) -> _Chain:
    """The participant and up to max_depth uplines, with plan roles and statuses."""
    numbers, graph_roles, active = graph._walk(start, instant, c.plan.max_depth)
    role_names = graph._role_names
    plan_roles = c.role_number
    roles = []
    for position, graph_role in enumerate(graph_roles):
        role = plan_roles.get(role_names[graph_role])
        if role is None:
            raise OrderError(
                "order-unknown-role",
                f"{graph._ids[numbers[position]]!r} holds the role {role_names[graph_role]!r}, "
                f"which plan {c.plan.id!r} version {c.plan.version} does not declare",
                path="buyer" if position == 0 else "upline",
                event_id=event_id,
            )
        roles.append(role)
    ids = graph._ids
    return _Chain(numbers, [ids[number] for number in numbers], roles, active)


def _item_bases(c: CompiledPlan, order: Order) -> tuple[tuple[ItemBase, ...], list[int]]:
    """Each item's base in quanta: paid amount after discounts and its deductions."""
    grosses: list[int] = []
    discounts: list[int] = []
    nets: list[int] = []
    for index, item in enumerate(order.items):
        gross = _quanta(c, item.unit_price, order, "items", index, "unit_price") * item.quantity
        discount = _quanta(c, item.discount, order, "items", index, "discount")
        if discount > gross:
            raise OrderError(
                "order-discount-exceeds-price",
                f"{item.discount} is more than the item's {_amount(c, gross)}",
                path=f"items[{index}].discount",
                event_id=order.order_id,
            )
        grosses.append(gross)
        discounts.append(discount)
        nets.append(gross - discount)
    deducted = _quanta(c, order.coupons, order, "coupons") + _quanta(
        c, order.vouchers, order, "vouchers"
    )
    points_value = _quanta(c, order.points_redemption, order, "points_redemption")
    net_total = sum(nets)
    if deducted + points_value > net_total:
        raise OrderError(
            "order-discount-exceeds-price",
            f"coupons, vouchers and points redemption ({_amount(c, deducted + points_value)}) "
            f"exceed the items' {_amount(c, net_total)}",
            path="coupons",
            event_id=order.order_id,
        )
    if not c.plan.base.include_points_redemption:
        deducted += points_value
    shipping_q = _quanta(c, order.shipping, order, "shipping")
    count = len(nets)
    deductions = allocate(deducted, nets) if deducted else [0] * count
    shipping = allocate(shipping_q, nets) if shipping_q and c.include_shipping else [0] * count
    items, bases = [], []
    zero = c.zero
    for index, item in enumerate(order.items):
        excluded = item.sku in c.exclude_skus or item.category in c.exclude_categories
        base = 0 if excluded else nets[index] - deductions[index] + shipping[index]
        bases.append(base)
        items.append(
            ItemBase(
                item_id=item.item_id,
                sku=item.sku,
                category=item.category,
                quantity=item.quantity,
                gross=_amount(c, grosses[index]),
                discount=_amount(c, discounts[index]) if discounts[index] else zero,
                deductions=_amount(c, deductions[index]) if deductions[index] else zero,
                shipping=_amount(c, shipping[index]) if shipping[index] else zero,
                base=_amount(c, base) if base else zero,
                excluded=excluded,
            )
        )
    return tuple(items), bases


def _slots(c: CompiledPlan, chain: _Chain) -> tuple[tuple[_Slot, ...], ...]:
    """The slots of every money rule, then every purchase-points rule.

    They depend only on the roles and statuses along the chain, which take few
    distinct values, so a compiled plan keeps them (up to SLOT_CACHE_MAX).
    """
    key = (*chain.roles, -1, *chain.active)
    found = c.slot_cache.get(key)
    if found is None:
        found = tuple(
            _differential_slots(c, rule, chain)
            if rule.kind == "differential"
            else _level_slots(c, rule, chain)
            for rule in (*c.money_rules, *c.purchase_points_rules)
        )
        if len(c.slot_cache) < SLOT_CACHE_MAX:
            c.slot_cache[key] = found
    return found


def _level_slots(c: CompiledPlan, rule: CompiledRule, chain: _Chain) -> tuple[_Slot, ...]:
    """Who takes each level of a level or points rule.

    Retain: level L goes to the participant L levels up, if eligible.  Compress:
    level 0 is the buyer alone; levels 1, 2, ... go to the 1st, 2nd, ... eligible
    upline within max_depth, skipping the others.
    """
    earns = c.earns_money if rule.unit == MONEY else c.earns_points
    eligible = [
        active and earns[role] for role, active in zip(chain.roles, chain.active, strict=True)
    ]
    if c.compress:
        uplines = [
            distance
            for distance in range(1, len(eligible))
            if eligible[distance] and rule.earners[chain.roles[distance]]
        ]
        distances = [
            (0 if eligible[0] else -1)
            if level.level == 0
            else (uplines[level.level - 1] if level.level <= len(uplines) else -1)
            for level in rule.levels
        ]
    else:
        distances = [
            level.level if level.level < len(eligible) and eligible[level.level] else -1
            for level in rule.levels
        ]
    slots = []
    for level, distance in zip(rule.levels, distances, strict=True):
        if distance < 0:
            continue
        role = chain.roles[distance]
        value = level.values[role]
        if value is None:
            continue
        if rule.unit != MONEY:
            plural = "" if value == _ONE else "s"
            text = f"{format_decimal(value)} point{plural} per {c.currency}"
        elif level.fixed:
            text = f"{format_decimal(_amount(c, int(value)))} {c.currency} per unit"
        else:
            text = _percent(value)
        slots.append(_slot(c, rule, level.level, distance, role, value, level.fixed, text))
    return tuple(slots)


def _differential_slots(c: CompiledPlan, rule: CompiledRule, chain: _Chain) -> tuple[_Slot, ...]:
    """Walking up, each eligible holder of a higher rate takes the difference.

    Under retain, an ineligible holder of a higher rate still raises the rate
    already counted, so the merchant keeps that share; under compress it passes
    to the next eligible holder of a higher rate.
    """
    slots = []
    highest = Decimal(0)
    for distance in range(0 if rule.include_buyer else 1, len(chain.roles)):
        role = chain.roles[distance]
        rate = rule.rates[role]
        if rate is None or rate <= highest:
            continue
        if chain.active[distance] and c.earns_money[role]:
            difference = EXACT_CONTEXT.subtract(rate, highest)
            text = f"the difference {_percent(rate)} - {_percent(highest)} = {_percent(difference)}"
            slots.append(_slot(c, rule, distance, distance, role, difference, False, text))
            highest = rate
        elif not c.compress:
            highest = rate
        if highest >= rule.rate_max:
            break
    return tuple(slots)


def _slot(
    c: CompiledPlan,
    rule: CompiledRule,
    rule_level: int,
    distance: int,
    role: int,
    value: Decimal,
    fixed: bool,
    value_text: str,
) -> _Slot:
    level_text = f"level {rule_level}"
    if rule_level != distance:
        level_text += " after skipping ineligible uplines"
    below = "" if distance == 0 else ("1 level" if distance == 1 else f"{distance} levels")
    return _Slot(
        rule.rule_id,
        rule_level,
        distance,
        value,
        fixed,
        value_text,
        c.role_names[role],
        level_text,
        f"{below} below them" if below else "",
    )


def _levels(
    c: CompiledPlan,
    rule: CompiledRule,
    slots: tuple[_Slot, ...],
    order: Order,
    bases_q: list[int],
    drafts: list[list[Any]],
) -> int:
    """Add a level rule's drafts for every item it applies to; return its pool.

    The pool is each level's largest value for the item: rounded level by level
    (remainder "merchant"), or as one total (remainder "beneficiaries").
    """
    pool_q = 0
    multiply = EXACT_CONTEXT.multiply
    for index, item in enumerate(order.items):
        base_q = bases_q[index]
        if not base_q or not rule.applies_to(item.sku, item.category):
            continue
        quantity = Decimal(item.quantity)
        base = Decimal(base_q)
        group: list[list[Any]] = [
            [slot, index, multiply(slot.value, quantity if slot.fixed else base), 0, None]
            for slot in slots
        ]
        nominals = [
            multiply(level.nominal, quantity if level.fixed else base) for level in rule.levels
        ]
        if c.beneficiaries_share_remainder:
            pool_q += _round(c, exact_sum(nominals))
            _share_rounded(c, group)
        else:
            pool_q += sum(_round(c, nominal) for nominal in nominals)
            for draft in group:
                draft[_AMOUNT] = _round(c, draft[_EXACT])
        drafts.extend(group)
    return pool_q


def _differential(
    c: CompiledPlan,
    rule: CompiledRule,
    slots: tuple[_Slot, ...],
    order: Order,
    bases_q: list[int],
    drafts: list[list[Any]],
) -> int:
    """Add a role-differential rule's drafts; return its pool.

    The rule's lines on an item always share the rounded total of their exact
    amounts (largest remainder), since they split one slot of ``rate_max``.
    """
    pool_q = 0
    for index, item in enumerate(order.items):
        base_q = bases_q[index]
        if not base_q or not rule.applies_to(item.sku, item.category):
            continue
        base = Decimal(base_q)
        group = [[slot, index, EXACT_CONTEXT.multiply(base, slot.value), 0, None] for slot in slots]
        pool_q += _round(c, EXACT_CONTEXT.multiply(base, rule.rate_max))
        _share_rounded(c, group)
        drafts.extend(group)
    return pool_q


def _share_rounded(c: CompiledPlan, group: list[list[Any]]) -> None:
    """Give ``group`` the rounded total of its exact amounts, largest remainder first."""
    if not group:
        return
    total = _round(c, exact_sum(draft[_EXACT] for draft in group))
    floors = [_floor(draft[_EXACT]) for draft in group]
    left_over = total - sum(floors)
    ranked = sorted(
        range(len(group)),
        key=lambda position: (floors[position] - group[position][_EXACT], position),
    )
    for position in ranked[:left_over]:
        floors[position] += 1
    for draft, amount in zip(group, floors, strict=True):
        draft[_AMOUNT] = amount


def _apply_caps(c: CompiledPlan, money: list[list[Any]], base_q: int, cap_q: int) -> None:
    """Scale lines down to the per-beneficiary cap, then to the per-order cap ``cap_q``.

    Each cap is the base times the ratio, rounded down to the quantum.
    """
    if not money:
        return
    if c.cap_beneficiary_ratio is not None:
        limit = _floor(EXACT_CONTEXT.multiply(Decimal(base_q), c.cap_beneficiary_ratio))
        distances = sorted({draft[_SLOT].distance for draft in money})
        for distance in distances:
            _scale_down([draft for draft in money if draft[_SLOT].distance == distance], limit)
    _scale_down(money, cap_q)


def _scale_down(drafts: list[list[Any]], limit: int) -> None:
    """Scale ``drafts`` to total ``limit`` in proportion, largest remainder first."""
    amounts = [draft[_AMOUNT] for draft in drafts]
    if sum(amounts) <= limit:
        return
    for draft, amount in zip(drafts, allocate(limit, amounts), strict=True):
        if amount != draft[_AMOUNT]:
            if draft[_CAPPED] is None:
                draft[_CAPPED] = draft[_AMOUNT]
            draft[_AMOUNT] = amount


def _points(
    c: CompiledPlan, slots: tuple[tuple[_Slot, ...], ...], order: Order, bases_q: list[int]
) -> list[list[Any]]:
    """Points on purchase: base in currency units times points per unit, floored."""
    found = []
    for rule, rule_slots in zip(c.purchase_points_rules, slots, strict=True):
        for index, item in enumerate(order.items):
            base_q = bases_q[index]
            if not base_q or not rule.applies_to(item.sku, item.category):
                continue
            base = EXACT_CONTEXT.multiply(Decimal(base_q), c.quantum)
            for slot in rule_slots:
                exact = EXACT_CONTEXT.multiply(base, slot.value)
                points = _floor(exact)
                if points:
                    found.append([slot, index, exact, points, None])
    return found


def _lines(
    c: CompiledPlan,
    order: Order,
    chain: _Chain,
    items: tuple[ItemBase, ...],
    drafts: list[list[Any]],
    unit: str,
) -> list[PayoutLine]:
    """Turn drafts into lines, each with its one-sentence reason."""
    lines = []
    is_points = unit == POINTS_UNIT
    currency = c.currency
    quantum = c.quantum
    multiply = EXACT_CONTEXT.multiply
    rounding = "down" if is_points else c.rounding_name
    ids = chain.ids
    buyer = ids[0]
    order_id = order.order_id
    paths = [tuple(ids[: distance + 1]) for distance in range(len(ids))]
    texts: dict[int, tuple[str, str]] = {}
    for slot, index, exact_q, amount_q, capped_q in drafts:
        item = items[index]
        known = texts.get(index)
        if known is None:
            known = texts[index] = (f"{item.base:f}", f"of {item.sku} by {buyer}")
        base_text, purchase = known
        distance = slot.distance
        beneficiary = ids[distance]
        if is_points:
            amount, exact, fixed = Decimal(amount_q), exact_q, None
        else:
            amount = multiply(Decimal(amount_q), quantum)
            exact = multiply(exact_q, quantum)
            fixed = multiply(slot.value, quantum) if slot.fixed else None
        if fixed is None:
            what = f"{slot.value_text} of the {base_text} {currency} paid"
        else:
            what = f"{slot.value_text} x {item.quantity}"
        whose = (
            f"the purchase {purchase}, {slot.below_text}"
            if distance
            else f"their own purchase of {item.sku}"
        )
        reason = (
            f"{beneficiary} earns {amount:f} {unit}: {what} for {whose}, "
            f"as {slot.role_text} (rule {slot.rule_id}, {slot.level_text})."
        )
        capped_from = None
        if capped_q is not None:
            capped_from = multiply(Decimal(capped_q), quantum)
            reason += f" Scaled down from {capped_from:f} by the plan's cap."
        lines.append(
            PayoutLine(
                order_id,
                item.item_id,
                beneficiary,
                distance,
                slot.role_text,
                unit,
                amount,
                slot.rule_id,
                slot.rule_level,
                item.base,
                None if slot.fixed else slot.value,
                fixed,
                exact,
                rounding,
                capped_from,
                paths[distance],
                c.plan_id,
                c.plan_version,
                reason,
            )
        )
    return lines


def _percent(rate: Decimal) -> str:
    return f"{EXACT_CONTEXT.multiply(rate, _HUNDRED).normalize(EXACT_CONTEXT):f}%"


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
    lines: list[PayoutLine],
    pool_q: int,
    paid_q: int,
    base_q: int,
) -> None:
    """Conservation, depth and cap, checked on every evaluation (not by assert)."""
    problem = ""
    cap_q = _floor(EXACT_CONTEXT.multiply(Decimal(base_q), c.cap_order_ratio))
    if paid_q > pool_q:
        problem = f"paid {paid_q} quanta from a pool of {pool_q}"
    elif paid_q > cap_q:
        problem = f"paid {paid_q} quanta above the cap of {cap_q}"
    max_depth = c.plan.max_depth
    for line in lines:
        if line.level > max_depth:
            problem = f"line for {line.beneficiary} at level {line.level} beyond max_depth"
        elif line.amount <= 0:
            problem = f"line for {line.beneficiary} of {line.amount} is not positive"
    if problem:
        raise InternalInvariantError(problem, event_id=order.order_id)


def _quanta(
    c: CompiledPlan, amount: Decimal, order: Order, field: str, index: int = -1, part: str = ""
) -> int:
    """``amount`` in whole quanta; refuses an amount finer than the quantum."""
    if not amount:
        return 0
    scaled = amount.scaleb(c.places, EXACT_CONTEXT)
    whole = int(scaled)
    if whole != scaled:
        path = field if index < 0 else f"{field}[{index}].{part}"
        raise OrderError(
            "order-not-quantized",
            f"{amount} is finer than the plan's quantum {c.quantum}",
            path=path,
            event_id=order.order_id,
        )
    return whole


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
        return format_instant(to_instant(value))
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, tuple) and hasattr(value, "_asdict"):
        return _plain(value._asdict())
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    return value
