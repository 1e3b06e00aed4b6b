"""The engine: a plan, the graph as of payment time and an order in; payouts out.

Pure: :func:`evaluate` reads the plan version in force when the order was paid,
the uplines, roles and status as they stood at that instant, and returns an
:class:`Evaluation` - the performance owner and the ordered payout lines, each
with its own explanation.  It records nothing; role changes the order causes (a
gift pack's upgrade) come back as ``effects`` for the caller to apply.

Per order the work is O(items x rules x max_depth): uplines are read by number,
at most ``max_depth`` steps, never by searching the graph.

Amounts are computed exactly in integers: bases in quanta of the plan's currency,
and each rate, fixed amount or points value as a whole numerator over a power of
ten compiled once per plan, so an exact amount is ``factor * numerator /
denominator`` and rounding is integer division (the same result as the decimal
rounding modes).  Rounding to the quantum happens at exactly three documented
points (see ``docs/plan-language.md``): each payout line (or each rule's lines on
an item together), each cap, and each points award.  Decimals are made only for
the results, in the exact local context.

What depends only on the pattern of roles and statuses along the chain (who takes
which level, at what rate, and the fixed parts of each reason) is computed once
per pattern and kept by the compiled plan.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from operator import itemgetter
from typing import Any, NamedTuple, NoReturn

from ._compiled import MONEY, CompiledLevel, CompiledPlan, CompiledRule, compiled
from ._time import _MICROSECOND, EPOCH, format_instant, to_instant
from .errors import (
    InternalInvariantError,
    NoPlanInForceError,
    OrderError,
    UnknownParticipantError,
)
from .graph import ReferralGraph, RoleChange
from .limits import DEPTH_MAX, SLOT_CACHE_MAX
from .money import EXACT_CONTEXT, allocate, exact_sum, format_decimal
from .orders import Order, OrderItem
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
    """The buyer and the uplines paid, nearest first, as they stood at payment."""

    numbers: list[int]  # graph numbers, buyer first
    ids: list[str]
    role_names: list[str]
    active: list[bool]


class _Slot(NamedTuple):
    """One beneficiary's share under one rule for a pattern of roles and statuses.

    The exact amount on an item is ``factor * numerator / denominator`` (the
    rule's denominator) in quanta, or in points; the factor is the item's base in
    quanta, or its quantity for a fixed amount per unit.  Everything else here is
    the part of each line and of its reason that depends only on the pattern: a
    reason reads ``{beneficiary} earns {amount}{head}{base or quantity}{middle}``
    ``{sku}{" by {buyer}, " if upline}{tail}``.
    """

    distance: int
    numerator: int
    per_unit: bool  # the factor is the quantity, not the base
    group: int  # the rule's nominal group with this numerator and per_unit, or -1
    scale: Decimal  # the exact amount as a decimal is ``factor * scale``
    amount_scale: Decimal  # the amount is ``quanta * amount_scale``
    unit: str
    role_text: str
    rule_id: str
    rule_level: int
    rate: Decimal | None
    fixed_amount: Decimal | None
    rounding: str
    head: str  # " CNY: 10% of the ", " CNY: 80.00 CNY per unit x "
    middle: str  # " CNY paid for the purchase of ", " for their own purchase of "
    upline: bool  # the beneficiary is above the buyer
    tail: str  # "1 level below them, as maker (rule r, level 1)."


# A draft line is a small list, mutated by rounding and caps before the line is
# built: [slot, item index, factor, amount in quanta (or points), amount before cap].
_SLOT, _ITEM, _FACTOR, _AMOUNT, _CAPPED = range(5)
_amount_of = itemgetter(_AMOUNT)

# A slot with the fields the amounts need unpacked: (slot, numerator, per_unit, group).
_Term = tuple[_Slot, int, bool, int]
_RuleSlots = tuple[tuple[CompiledRule, tuple[_Term, ...]], ...]


class _Pattern(NamedTuple):
    """What a chain's roles and statuses alone decide: the plan's role numbers
    along it and the slots of every money rule and purchase-points rule."""

    roles: tuple[int, ...]
    money: _RuleSlots
    points: _RuleSlots
    deepest: int  # the largest distance of any slot, or -1


_new = tuple.__new__


def evaluate(
    plans: Plan | PlanSet, graph: ReferralGraph, order: Order, *, sharer: str | None = None
) -> Evaluation:
    """Evaluate a paid order: who is credited, who is paid what, and why.

    Args:
        plans: a plan, or the set of its versions (the one in force when the
            order was paid is used).
        graph: the referral graph; read as it stood at ``order.paid_at``.
        order: the paid order.
        sharer: who shared the link the order was placed through, when the sale
            is credited through them rather than through the buyer's bound upline.
            The chain paid is then the buyer (level 0), the sharer (level 1) and
            the sharer's uplines as of ``paid_at``, still at most ``max_depth``
            levels; the walk up from the sharer stops below the buyer, should the
            buyer be among the sharer's uplines, so nobody is paid twice.  The
            performance owner is still found on the buyer's own bound chain.

    Returns:
        The evaluation.  Nothing is recorded; apply ``effects`` to the graph with
        :meth:`ReferralGraph.apply` to record a gift pack's upgrade.

    Raises:
        NoPlanInForceError: no plan version was in force at the payment time.
        OrderError: a currency mismatch, an amount finer than the quantum,
            discounts above prices, a buyer not yet joined, a role the plan does
            not declare, or the buyer named as the sharer (``order-invalid``).
        UnknownParticipantError: the buyer is not in the graph, or the sharer had
            not joined it by the payment time.

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
    return _evaluate(plans, graph, order, sharer)[0]


class _Frozen(NamedTuple):
    """What an order's lines depend on besides its amounts, as it stood at payment:
    the plan version, the ids along the chain paid and its pattern.  A refund
    re-evaluates the kept part of the order against it, with no graph at all; a
    ledger keeps one per order, so it holds no more of the chain than that."""

    plan: CompiledPlan
    ids: list[str]  # the chain's ids, buyer first
    pattern: _Pattern


def _evaluate(
    plans: Plan | PlanSet, graph: ReferralGraph, order: Order, sharer: str | None
) -> tuple[Evaluation, _Frozen, list[int]]:
    """:func:`evaluate`, what the order's lines depend on besides its amounts, and each
    item's base in quanta."""
    paid_at = order.paid_at
    # An Order's paid_at is validated aware; to_instant's checks are not repeated.
    instant = (paid_at - EPOCH) // _MICROSECOND if paid_at.tzinfo else to_instant(paid_at)
    c = _plan_at(plans, instant, order.order_id)
    if order.currency != c.currency:
        raise OrderError(
            "order-currency-mismatch",
            f"{order.currency} is not the plan's currency {c.currency}",
            path="currency",
            event_id=order.order_id,
        )
    chain = _chain(c, graph, order, instant, sharer)
    pattern = _pattern(c, graph, chain, order.order_id, sharer is not None)
    frozen = _new(_Frozen, (c, chain.ids, pattern))
    evaluation, bases_q = _evaluation(frozen, order, graph, chain, instant, sharer is not None)
    return evaluation, frozen, bases_q


def _reevaluate(frozen: _Frozen, order: Order) -> Evaluation:
    """The lines of ``order`` (the same payment, other amounts) against the plan, chain
    and roles frozen at payment; without performance owner, store or effects.

    Only the order's fields are read, never its methods: the book passes a compact
    copy of the order with the same field names, not a validated model."""
    return _evaluation(frozen, order, None, None, 0, False)[0]


def _evaluation(
    frozen: _Frozen,
    order: Order,
    graph: ReferralGraph | None,
    chain: _Chain | None,
    instant: int,
    sharing: bool,
) -> tuple[Evaluation, list[int]]:
    """The evaluation of ``order`` against a frozen chain; the performance owner, store
    and effects only when the graph and the chain walked in it are given."""
    c, ids, pattern = frozen
    order_id = order.order_id
    items, bases_q = _item_bases(c, order)
    money, pool_q = _money(c, pattern.money, items, bases_q)
    base_q = sum(bases_q)
    numerator, denominator = c.cap_order
    cap_q = base_q * numerator // denominator
    pool_q = min(pool_q, cap_q)
    paid_q = sum(map(_amount_of, money))
    if paid_q > cap_q or (money and c.cap_beneficiary is not None):
        money = _apply_caps(c, money, base_q, cap_q)
        paid_q = sum(map(_amount_of, money))
    points = _points(pattern.points, items, bases_q) if pattern.points else []
    drafts = money + points if points else money
    if (
        paid_q > pool_q
        or paid_q > cap_q
        or pattern.deepest > c.max_depth
        or (drafts and min(map(_amount_of, drafts)) <= 0)
    ):
        _check(c, order_id, pattern, drafts, (pool_q, paid_q, cap_q))
    owner = store = None
    effects: tuple[RoleChange, ...] = ()
    if graph is not None and chain is not None:
        owner, store = _performance(c, graph, chain, instant, sharing)
        if c.gift_packs:
            effects = _effects(c, order, items, pattern.roles[0], instant)
    multiply, quantum, zero = EXACT_CONTEXT.multiply, c.quantum, c.zero
    evaluation = _new(
        Evaluation,
        (
            order_id,
            order.buyer,
            order.paid_at,
            c.plan_id,
            c.plan_version,
            c.currency,
            owner,
            store,
            items[0].base if len(items) == 1 else (multiply(quantum, base_q) if base_q else zero),
            multiply(quantum, pool_q) if pool_q else zero,
            multiply(quantum, paid_q) if paid_q else zero,
            multiply(quantum, pool_q - paid_q) if pool_q != paid_q else zero,
            Decimal(sum(map(_amount_of, points))) if points else _ZERO_POINTS,
            items,
            tuple(_lines(c, order_id, ids, items, drafts)),
            effects,
        ),
    )
    return evaluation, bases_q


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
    chain = _new(_Chain, graph._walk(number, instant, c.max_depth))
    roles = _plan_roles(c, graph, chain, participant, sharing=False)
    lines = []
    for rule in c.invite_points_rules:
        for level, distance, role in _takers(c, rule, roles, chain.active):
            amount = level.values[role]
            assert amount is not None
            below = f"{participant}, {_below_text(distance)}" if distance else "themselves"
            role_text = c.role_names[role]
            lines.append(
                PayoutLine(
                    None,
                    None,
                    chain.ids[distance],
                    distance,
                    role_text,
                    POINTS_UNIT,
                    amount,
                    rule.rule_id,
                    level.level,
                    _ZERO_POINTS,
                    None,
                    amount,
                    amount,
                    "down",
                    None,
                    tuple(chain.ids[: distance + 1]),
                    c.plan_id,
                    c.plan_version,
                    f"{chain.ids[distance]} earns {format_decimal(amount)} points for "
                    f"inviting {below}, as {role_text} "
                    f"(rule {rule.rule_id}, {_level_text(level.level, distance)}).",
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


def _chain(
    c: CompiledPlan, graph: ReferralGraph, order: Order, instant: int, sharer: str | None
) -> _Chain:
    """The buyer and the uplines paid: the buyer's bound chain, or through the sharer."""
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
    if sharer is None:
        return _new(_Chain, graph._walk(buyer, instant, c.max_depth))
    chain = _new(_Chain, graph._walk(buyer, instant, 0))
    sharing = _sharer_number(graph, order, instant, sharer)
    if c.max_depth:
        above = _new(_Chain, graph._walk(sharing, instant, c.max_depth - 1))
        cut = above.numbers.index(buyer) if buyer in above.numbers else len(above.numbers)
        chain.numbers.extend(above.numbers[:cut])
        chain.ids.extend(above.ids[:cut])
        chain.role_names.extend(above.role_names[:cut])
        chain.active.extend(above.active[:cut])
    return chain


def _sharer_number(graph: ReferralGraph, order: Order, instant: int, sharer: str) -> int:
    """The sharer's graph number; refuses the buyer, or someone not joined at payment."""
    if sharer == order.buyer:
        raise OrderError(
            "order-invalid",
            f"the buyer {sharer!r} cannot be the sharer of their own order",
            path="sharer",
            event_id=order.order_id,
        )
    number = graph._index.get(sharer)
    if number is None or graph._joined[number] > instant:
        raise UnknownParticipantError(
            "graph-unknown-participant",
            f"the sharer {sharer!r} was not a participant of the graph at the payment",
            path="sharer",
            event_id=order.order_id,
        )
    return number


def _pattern(
    c: CompiledPlan, graph: ReferralGraph, chain: _Chain, event_id: str, sharing: bool
) -> _Pattern:
    """The pattern of ``chain``'s roles and statuses, with the slots it decides.

    Chains take few distinct patterns, so a compiled plan keeps them (up to
    SLOT_CACHE_MAX); the key is the role names and statuses along the chain.
    """
    key = (*chain.role_names, *chain.active)
    found: _Pattern | None = c.slot_cache.get(key)
    if found is None:
        roles = _plan_roles(c, graph, chain, event_id, sharing=sharing)
        active = chain.active
        money = tuple(
            (
                rule,
                _terms(
                    _differential_slots(c, rule, roles, active)
                    if rule.kind == "differential"
                    else _level_slots(c, rule, roles, active)
                ),
            )
            for rule in c.money_rules
        )
        points = tuple(
            (rule, _terms(_level_slots(c, rule, roles, active))) for rule in c.purchase_points_rules
        )
        distances = [term[0].distance for _, terms in money + points for term in terms]
        found = _Pattern(roles, money, points, max(distances, default=-1))
        if len(c.slot_cache) < SLOT_CACHE_MAX:
            c.slot_cache[key] = found
    return found


def _terms(slots: tuple[_Slot, ...]) -> tuple[_Term, ...]:
    return tuple((slot, slot.numerator, slot.per_unit, slot.group) for slot in slots)


def _plan_roles(
    c: CompiledPlan, graph: ReferralGraph, chain: _Chain, event_id: str, *, sharing: bool
) -> tuple[int, ...]:
    """The plan's role numbers along ``chain``; refuses a role the plan does not declare."""
    roles = []
    for position, name in enumerate(chain.role_names):
        role = c.role_number.get(name)
        if role is None:
            where = ("sharer" if sharing else "upline") if position == 1 else "upline"
            raise OrderError(
                "order-unknown-role",
                f"{chain.ids[position]!r} holds the role {name!r}, which plan {c.plan_id!r} "
                f"version {c.plan_version} does not declare",
                path=where if position else "buyer",
                event_id=event_id,
            )
        roles.append(role)
    return tuple(roles)


def _item_bases(c: CompiledPlan, order: Order) -> tuple[tuple[ItemBase, ...], list[int]]:
    """Each item's base in quanta: paid amount after discounts and its deductions."""
    if order.coupons or order.vouchers or order.points_redemption or order.shipping:
        return _deducted_item_bases(c, order)
    # Nothing deducted at the order level: each base is the item's gross less its
    # own discount (or zero when the plan excludes the item).
    items, bases = [], []
    zero, quantum, multiply = c.zero, c.quantum, EXACT_CONTEXT.multiply
    exclude_skus, exclude_categories = c.exclude_skus, c.exclude_categories
    quanta_per_unit = c.quanta_per_unit
    for index, item in enumerate(order.items):
        if item.discount:
            gross_q, discount_q = _item_amounts(c, order, index, item)
        else:  # _item_amounts inline, for the common item without a discount
            numerator, denominator = item.unit_price.as_integer_ratio()
            price_q, rest = divmod(numerator * quanta_per_unit, denominator)
            if rest:
                _not_quantized(c, order, item.unit_price, f"items[{index}].unit_price")
            gross_q, discount_q = price_q * item.quantity, 0
        sku, category = item.sku, item.category
        excluded = sku in exclude_skus or category in exclude_categories
        paid = multiply(quantum, gross_q)
        base_q = 0 if excluded else gross_q - discount_q
        if not discount_q:
            discount, base = zero, (zero if excluded else paid)
        else:
            discount = multiply(quantum, discount_q)
            base = multiply(quantum, base_q) if base_q else zero
        fields = (
            item.item_id,
            sku,
            category,
            item.quantity,
            paid,
            discount,
            zero,
            zero,
            base,
            excluded,
        )
        items.append(_new(ItemBase, fields))
        bases.append(base_q)
    return tuple(items), bases


def _deducted_item_bases(c: CompiledPlan, order: Order) -> tuple[tuple[ItemBase, ...], list[int]]:
    """:func:`_item_bases` with coupons, vouchers, points redemption or shipping to share."""
    amounts = [_item_amounts(c, order, index, item) for index, item in enumerate(order.items)]
    nets = [gross_q - discount_q for gross_q, discount_q in amounts]
    deductions, shipping = _deductions(c, order, nets)
    items, bases = [], []
    zero, quantum, multiply = c.zero, c.quantum, EXACT_CONTEXT.multiply
    exclude_skus, exclude_categories = c.exclude_skus, c.exclude_categories
    for index, item in enumerate(order.items):
        (gross_q, discount_q), net_q = amounts[index], nets[index]
        deduction_q, shipping_q = deductions[index], shipping[index]
        sku, category = item.sku, item.category
        excluded = sku in exclude_skus or category in exclude_categories
        base_q = 0 if excluded else net_q - deduction_q + shipping_q
        paid = multiply(quantum, gross_q)
        base = paid if base_q == gross_q else (multiply(quantum, base_q) if base_q else zero)
        fields = (
            item.item_id,
            sku,
            category,
            item.quantity,
            paid,
            multiply(quantum, discount_q) if discount_q else zero,
            multiply(quantum, deduction_q) if deduction_q else zero,
            multiply(quantum, shipping_q) if shipping_q else zero,
            base,
            excluded,
        )
        items.append(_new(ItemBase, fields))
        bases.append(base_q)
    return tuple(items), bases


def _item_amounts(c: CompiledPlan, order: Order, index: int, item: OrderItem) -> tuple[int, int]:
    """An item's price times quantity, and its discount, in quanta; both checked."""
    numerator, denominator = item.unit_price.as_integer_ratio()
    price_q, rest = divmod(numerator * c.quanta_per_unit, denominator)
    if rest:
        _not_quantized(c, order, item.unit_price, f"items[{index}].unit_price")
    gross_q = price_q * item.quantity
    discount = item.discount
    if not discount:
        return gross_q, 0
    discount_q = _quanta(c, discount, order, "items", index, "discount")
    if discount_q > gross_q:
        raise OrderError(
            "order-discount-exceeds-price",
            f"{discount} is more than the item's {_amount(c, gross_q)}",
            path=f"items[{index}].discount",
            event_id=order.order_id,
        )
    return gross_q, discount_q


def _deductions(c: CompiledPlan, order: Order, nets: list[int]) -> tuple[list[int], list[int]]:
    """Each item's share of coupons, vouchers and points redemption, and of shipping."""
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
    if not c.include_points_redemption:
        deducted += points_value
    shipping_q = _quanta(c, order.shipping, order, "shipping")
    count = len(nets)
    deductions = allocate(deducted, nets) if deducted else [0] * count
    shipping = allocate(shipping_q, nets) if shipping_q and c.include_shipping else [0] * count
    return deductions, shipping


def _takers(
    c: CompiledPlan, rule: CompiledRule, roles: tuple[int, ...], active: list[bool]
) -> list[tuple[CompiledLevel, int, int]]:
    """Who takes each level of a level or points rule: (level, distance, role).

    Retain: level L goes to the participant L levels up, if eligible.  Compress:
    level 0 is the buyer alone; levels 1, 2, ... go to the 1st, 2nd, ... eligible
    upline within max_depth, skipping the others.
    """
    earns = c.earns_money if rule.unit == MONEY else c.earns_points
    eligible = [status and earns[role] for role, status in zip(roles, active, strict=True)]
    if c.compress:
        uplines = [
            distance
            for distance in range(1, len(eligible))
            if eligible[distance] and rule.earners[roles[distance]]
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
    return [
        (level, distance, roles[distance])
        for level, distance in zip(rule.levels, distances, strict=True)
        if distance >= 0 and level.values[roles[distance]] is not None
    ]


def _level_slots(
    c: CompiledPlan, rule: CompiledRule, roles: tuple[int, ...], active: list[bool]
) -> tuple[_Slot, ...]:
    """The slots of a level rule or a purchase-points rule, level by level."""
    slots = []
    for level, distance, role in _takers(c, rule, roles, active):
        value = level.values[role]
        numerator = level.numerators[role]
        assert value is not None
        assert numerator is not None
        if rule.unit != MONEY:
            plural = "" if value == _ONE else "s"
            text = f"{format_decimal(value)} point{plural} per {c.currency}"
        elif level.fixed:
            text = f"{format_decimal(_amount(c, int(value)))} {c.currency} per unit"
        else:
            text = _percent(value)
        slots.append(
            _slot(c, rule, (level.level, distance, role), (value, numerator, level.fixed), text)
        )
    return tuple(slots)


def _differential_slots(
    c: CompiledPlan, rule: CompiledRule, roles: tuple[int, ...], active: list[bool]
) -> tuple[_Slot, ...]:
    """Walking up, each eligible holder of a higher rate takes the difference.

    Under retain, an ineligible holder of a higher rate still raises the rate
    already counted, so the merchant keeps that share; under compress it passes
    to the next eligible holder of a higher rate.
    """
    slots = []
    highest = Decimal(0)
    highest_numerator = 0
    for distance in range(0 if rule.include_buyer else 1, len(roles)):
        role = roles[distance]
        rate = rule.rates[role]
        numerator = rule.rate_numerators[role]
        if rate is None or numerator is None or rate <= highest:
            continue
        if active[distance] and c.earns_money[role]:
            difference = EXACT_CONTEXT.subtract(rate, highest)
            text = f"the difference {_percent(rate)} - {_percent(highest)} = {_percent(difference)}"
            share = (difference, numerator - highest_numerator, False)
            slots.append(_slot(c, rule, (distance, distance, role), share, text))
            highest, highest_numerator = rate, numerator
        elif not c.compress:
            highest, highest_numerator = rate, numerator
        if highest >= rule.rate_max:
            break
    return tuple(slots)


def _slot(
    c: CompiledPlan,
    rule: CompiledRule,
    taker: tuple[int, int, int],
    share: tuple[Decimal, int, bool],
    value_text: str,
) -> _Slot:
    """A slot for ``taker`` (rule level, distance, role) taking ``share`` (value,
    numerator, whether fixed per unit)."""
    rule_level, distance, role = taker
    value, numerator, fixed = share
    points = rule.unit != MONEY
    unit = POINTS_UNIT if points else c.currency
    scale = EXACT_CONTEXT.multiply(value, c.quantum)
    role_text = c.role_names[role]
    level_text = _level_text(rule_level, distance)
    below = _below_text(distance) if distance else ""
    paid = " for " if fixed else f" {c.currency} paid for "
    whose = "the purchase of " if distance else "their own purchase of "
    groups = [(numerator, fixed) for numerator, fixed, _ in rule.nominal_groups]
    return _Slot(
        distance=distance,
        numerator=numerator,
        per_unit=fixed,
        group=groups.index((numerator, fixed)) if (numerator, fixed) in groups else -1,
        scale=scale,
        amount_scale=_ONE if points else c.quantum,
        unit=unit,
        role_text=role_text,
        rule_id=rule.rule_id,
        rule_level=rule_level,
        rate=None if fixed else value,
        fixed_amount=scale if fixed else None,
        rounding="down" if points else c.rounding_name,
        head=f" {unit}: {value_text}{' x ' if fixed else ' of the '}",
        middle=paid + whose,
        upline=distance > 0,
        tail=f"{below}, as {role_text} (rule {rule.rule_id}, {level_text}).",
    )


def _level_text(rule_level: int, distance: int) -> str:
    """The level as a reason names it: ``level 2 after skipping ineligible uplines``."""
    text = f"level {rule_level}"
    if rule_level != distance:
        text += " after skipping ineligible uplines"
    return text


def _below_text(distance: int) -> str:
    """How far below the beneficiary the buyer stands: ``2 levels below them``."""
    return "1 level below them" if distance == 1 else f"{distance} levels below them"


def _money(
    c: CompiledPlan, rules: _RuleSlots, items: tuple[ItemBase, ...], bases_q: list[int]
) -> tuple[list[list[Any]], int]:
    """The money drafts of every rule, in rule then item then level order, and the pool."""
    drafts: list[list[Any]] = []
    pool_q = 0
    for rule, terms in rules:
        if rule.kind == "differential":
            pool_q += _differential(c, rule, terms, items, bases_q, drafts)
        else:
            pool_q += _levels(c, rule, terms, items, bases_q, drafts)
    return drafts, pool_q


def _levels(
    c: CompiledPlan,
    rule: CompiledRule,
    terms: tuple[_Term, ...],
    items: tuple[ItemBase, ...],
    bases_q: list[int],
    drafts: list[list[Any]],
) -> int:
    """Add a level rule's drafts for every item it applies to; return its pool.

    The pool is each level's largest value for the item: rounded level by level
    (remainder "merchant"), or as one total (remainder "beneficiaries").
    """
    if c.beneficiaries_share_remainder:
        return _levels_shared(c, rule, terms, items, bases_q, drafts)
    pool_q = 0
    # The plan's rounding of n / d, inline (see CompiledPlan.nearest): a tie under
    # half-even rounds up to an odd whole only when rest is 0, and goes back down.
    twice = rule.denominator * 2
    half = rule.denominator if c.nearest else 0
    even = c.ties_to_even
    groups = rule.nominal_groups
    for index, item in enumerate(items):
        base_q = bases_q[index]
        if not base_q or (rule.scoped and not rule.applies(item.sku, item.category)):
            continue
        quantity = item.quantity
        shares = []
        for numerator, fixed, count in groups:
            share, rest = divmod(2 * numerator * (quantity if fixed else base_q) + half, twice)
            share -= even and not rest and share & 1
            shares.append(share)
            pool_q += share * count
        for slot, numerator, per_unit, group in terms:
            factor = quantity if per_unit else base_q
            if group >= 0:
                # The same numerator and factor as a nominal: the same rounded share.
                amount_q = shares[group]
            else:
                amount_q, rest = divmod(2 * factor * numerator + half, twice)
                amount_q -= even and not rest and amount_q & 1
            if amount_q:
                drafts.append([slot, index, factor, amount_q, None])
    return pool_q


def _levels_shared(
    c: CompiledPlan,
    rule: CompiledRule,
    terms: tuple[_Term, ...],
    items: tuple[ItemBase, ...],
    bases_q: list[int],
    drafts: list[list[Any]],
) -> int:
    """:func:`_levels` when the rule's lines on an item share their rounded total."""
    pool_q = 0
    for index, item in enumerate(items):
        base_q = bases_q[index]
        if not base_q or (rule.scoped and not rule.applies(item.sku, item.category)):
            continue
        quantity = item.quantity
        total = sum(
            [
                numerator * (quantity if fixed else base_q) * count
                for numerator, fixed, count in rule.nominal_groups
            ]
        )
        pool_q += c.round_quotient(total, rule.denominator)
        group = [[term[0], index, quantity if term[2] else base_q, 0, None] for term in terms]
        _share_rounded(c, group, rule.denominator, drafts)
    return pool_q


def _differential(
    c: CompiledPlan,
    rule: CompiledRule,
    terms: tuple[_Term, ...],
    items: tuple[ItemBase, ...],
    bases_q: list[int],
    drafts: list[list[Any]],
) -> int:
    """Add a role-differential rule's drafts; return its pool.

    The rule's lines on an item always share the rounded total of their exact
    amounts (largest remainder), since they split one slot of ``rate_max``.
    """
    pool_q = 0
    for index, item in enumerate(items):
        base_q = bases_q[index]
        if not base_q or (rule.scoped and not rule.applies(item.sku, item.category)):
            continue
        pool_q += c.round_quotient(base_q * rule.rate_max_numerator, rule.denominator)
        _share_rounded(
            c, [[term[0], index, base_q, 0, None] for term in terms], rule.denominator, drafts
        )
    return pool_q


def _share_rounded(
    c: CompiledPlan, group: list[list[Any]], denominator: int, drafts: list[list[Any]]
) -> None:
    """Give ``group`` the rounded total of its exact amounts, largest remainder first,
    and add its drafts that are not zero to ``drafts``."""
    if not group:
        return
    exact = [draft[_FACTOR] * draft[_SLOT].numerator for draft in group]
    total = c.round_quotient(sum(exact), denominator)
    floors = [numerator // denominator for numerator in exact]
    left_over = total - sum(floors)
    ranked = sorted(
        range(len(group)), key=lambda position: (-(exact[position] % denominator), position)
    )
    for position in ranked[:left_over]:
        floors[position] += 1
    for draft, amount_q in zip(group, floors, strict=True):
        if amount_q:
            draft[_AMOUNT] = amount_q
            drafts.append(draft)


def _apply_caps(
    c: CompiledPlan, money: list[list[Any]], base_q: int, cap_q: int
) -> list[list[Any]]:
    """Scale lines down to the per-beneficiary cap, then to the per-order cap ``cap_q``;
    return the drafts still above zero.

    Each cap is the base times the ratio, rounded down to the quantum.
    """
    if c.cap_beneficiary is not None:
        numerator, denominator = c.cap_beneficiary
        limit = base_q * numerator // denominator
        distances = sorted({draft[_SLOT].distance for draft in money})
        for distance in distances:
            _scale_down([draft for draft in money if draft[_SLOT].distance == distance], limit)
    if _scale_down(money, cap_q) or c.cap_beneficiary is not None:
        return [draft for draft in money if draft[_AMOUNT]]
    return money


def _scale_down(drafts: list[list[Any]], limit: int) -> bool:
    """Scale ``drafts`` to total ``limit`` in proportion, largest remainder first;
    return whether any changed."""
    amounts = [draft[_AMOUNT] for draft in drafts]
    if sum(amounts) <= limit:
        return False
    for draft, amount in zip(drafts, allocate(limit, amounts), strict=True):
        if amount != draft[_AMOUNT]:
            if draft[_CAPPED] is None:
                draft[_CAPPED] = draft[_AMOUNT]
            draft[_AMOUNT] = amount
    return True


def _points(rules: _RuleSlots, items: tuple[ItemBase, ...], bases_q: list[int]) -> list[list[Any]]:
    """Points on purchase: base in currency units times points per unit, floored."""
    found = []
    for rule, terms in rules:
        denominator = rule.denominator
        for index, item in enumerate(items):
            base_q = bases_q[index]
            if not base_q or (rule.scoped and not rule.applies(item.sku, item.category)):
                continue
            for slot, numerator, _, _ in terms:
                points = base_q * numerator // denominator
                if points:
                    found.append([slot, index, base_q, points, None])
    return found


def _lines(
    c: CompiledPlan,
    order_id: str,
    ids: list[str],
    items: tuple[ItemBase, ...],
    drafts: list[list[Any]],
) -> list[PayoutLine]:
    """Turn drafts into lines, each with its one-sentence reason."""
    lines: list[PayoutLine] = []
    append = lines.append
    multiply = EXACT_CONTEXT.multiply
    text = str if c.plain_amounts else format_decimal
    paths: list[tuple[str, ...] | None] = [None] * len(ids)
    by_buyer = f" by {ids[0]}, "
    plan_id, plan_version = c.plan_id, c.plan_version
    bases: list[str | None] = [None] * len(items)
    for slot, index, factor, amount_q, capped_q in drafts:
        # fmt: off
        (distance, _, per_unit, _, scale, amount_scale, unit, role_text, rule_id, rule_level,
         rate, fixed_amount, rounding, head, middle, upline, tail) = slot
        # fmt: on
        item = items[index]
        if per_unit:
            value = str(factor)
        else:
            value = bases[index] or text(item.base)
            bases[index] = value
        beneficiary = ids[distance]
        amount = multiply(amount_scale, amount_q)
        reason = (
            f"{beneficiary} earns {text(amount)}{head}{value}{middle}{item.sku}"
            f"{by_buyer if upline else ''}{tail}"
        )
        capped_from = None
        if capped_q is not None:
            capped_from = multiply(amount_scale, capped_q)
            reason += f" Scaled down from {format_decimal(capped_from)} by the plan's cap."
        path = paths[distance]
        if path is None:
            path = paths[distance] = tuple(ids[: distance + 1])
        fields = (
            order_id,
            item.item_id,
            beneficiary,
            distance,
            role_text,
            unit,
            amount,
            rule_id,
            rule_level,
            item.base,
            rate,
            fixed_amount,
            multiply(scale, factor),
            rounding,
            capped_from,
            path,
            plan_id,
            plan_version,
            reason,
        )
        append(_new(PayoutLine, fields))
    return lines


def _percent(rate: Decimal) -> str:
    return f"{EXACT_CONTEXT.multiply(rate, _HUNDRED).normalize(EXACT_CONTEXT):f}%"


def _performance(
    c: CompiledPlan, graph: ReferralGraph, chain: _Chain, instant: int, sharing: bool
) -> tuple[str | None, str | None]:
    """The nearest holder of the performance role at or above the buyer on the
    buyer's bound chain (whoever shared the link), and their store."""
    wanted = c.performance_role_name
    if wanted is None:
        return None, None
    numbers, roles = chain.numbers, chain.role_names
    if sharing:
        numbers, roles = numbers[:1], roles[:1]
    if wanted in roles:
        number = numbers[roles.index(wanted)]
    else:
        number = graph._holder_above(numbers[-1], instant, wanted, DEPTH_MAX + 1 - len(numbers))
        if number < 0:
            return None, None
    store = graph._store_at(number, instant)
    return graph._ids[number], None if store < 0 else graph._store_names[store]


def _effects(
    c: CompiledPlan, order: Order, items: tuple[ItemBase, ...], current: int, instant: int
) -> tuple[RoleChange, ...]:
    """A gift pack makes its buyer (holding ``current``) the pack's role from the next
    microsecond on."""
    best = current
    best_sku = ""
    for item in items:
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
    order_id: str,
    pattern: _Pattern,
    drafts: list[list[Any]],
    totals: tuple[int, int, int],
) -> None:
    """Conservation, depth and cap, checked on every evaluation (not by assert).

    Every line comes from one of the pattern's slots, so no slot deeper than
    ``max_depth`` means no line deeper either.
    """
    pool_q, paid_q, cap_q = totals
    problem = ""
    if paid_q > pool_q:
        problem = f"paid {paid_q} quanta from a pool of {pool_q}"
    elif paid_q > cap_q:
        problem = f"paid {paid_q} quanta above the cap of {cap_q}"
    elif pattern.deepest > c.max_depth:
        problem = f"a line at level {pattern.deepest} beyond max_depth"
    elif drafts and min(map(_amount_of, drafts)) <= 0:
        problem = "a line that is not positive"
    if problem:
        raise InternalInvariantError(problem, event_id=order_id)


def _quanta(
    c: CompiledPlan, amount: Decimal, order: Order, field: str, index: int = -1, part: str = ""
) -> int:
    """``amount`` in whole quanta; refuses an amount finer than the quantum."""
    if not amount:
        return 0
    numerator, denominator = amount.as_integer_ratio()
    whole, rest = divmod(numerator * c.quanta_per_unit, denominator)
    if rest:
        _not_quantized(c, order, amount, field if index < 0 else f"{field}[{index}].{part}")
    return whole


def _not_quantized(c: CompiledPlan, order: Order, amount: Decimal, path: str) -> NoReturn:
    raise OrderError(
        "order-not-quantized",
        f"{amount} is finer than the plan's quantum {c.quantum}",
        path=path,
        event_id=order.order_id,
    )


def _amount(c: CompiledPlan, quanta: int) -> Decimal:
    return EXACT_CONTEXT.multiply(c.quantum, quanta)


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
