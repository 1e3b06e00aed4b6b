"""A small reference model of the book, written apart from the engine's code.

It reads a plan's models directly (never the compiled plan), keeps the referral
graph as plain dicts of histories, and computes every amount with
:class:`fractions.Fraction` and whole quanta.  It is deliberately slow and
simple: what each beneficiary should hold from each order, in which state, after
each event.  The auditor's state machine compares the book with it after every
step.

Supported: every rule kind (level rates and fixed amounts, differentials,
purchase and invite points), scopes and base exclusions, caps, retain and
compress, every rounding mode and remainder policy, gift packs, the after-sales
window, refunds by units or amounts and cancellations.  Not modelled: orders
credited through a sharer, share-click bindings and plan sets (one plan
version); the strategies for the state machine do not generate them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction

from .._time import to_instant
from ..events import (
    BindingChanged,
    Event,
    GuideLeft,
    OrderCancelled,
    OrderCompleted,
    OrderPaid,
    OrderRefunded,
    ParticipantJoined,
    ParticipantStatusChanged,
    RoleChanged,
    SettlementRun,
    TeamTransplanted,
)
from ..orders import Order
from ..plan import DifferentialRule, LevelRule, Plan, PointsRule

__all__ = [
    "ChainLink",
    "ReferenceBook",
    "ReferenceGraph",
    "ReferenceOrder",
    "item_bases",
    "kept_goods",
    "order_lines",
    "pool_quanta",
    "quanta",
]

MICROSECONDS_PER_DAY = 86_400_000_000

LineKey = tuple[str, str | None, str, int]  # rule, item, beneficiary, level
Line = tuple[int, str]  # amount (quanta for money, whole points), unit


def quanta(amount: Decimal, quantum: Decimal) -> int:
    """``amount`` in whole quanta (exact; a finer amount is a bug of the caller)."""
    value = Fraction(amount) / Fraction(quantum)
    if value.denominator != 1:
        raise ValueError(f"{amount} is not a multiple of {quantum}")
    return value.numerator


def _round(value: Fraction, rounding: str) -> int:
    if rounding == "down":
        return math.floor(value)
    if rounding == "half-up":
        return math.floor(value + Fraction(1, 2))
    return round(value)  # half-even: Fraction rounds ties to even


def _spread(total: int, weights: list[int]) -> list[int]:
    """Largest remainder, ties to the earlier position; all-zero weights: first takes all."""
    if not weights:
        return []
    if not any(weights):
        return [total] + [0] * (len(weights) - 1)
    exact = [Fraction(total * weight, sum(weights)) for weight in weights]
    shares = [math.floor(value) for value in exact]
    ranked = sorted(range(len(exact)), key=lambda i: (shares[i] - exact[i], i))
    for position in ranked[: total - sum(shares)]:
        shares[position] += 1
    return shares


def _applies(rule: LevelRule | DifferentialRule | PointsRule, sku: str, category: str) -> bool:
    return (
        (not rule.skus or sku in rule.skus)
        and (not rule.categories or category in rule.categories)
        and sku not in rule.exclude_skus
        and category not in rule.exclude_categories
    )


def item_bases(plan: Plan, order: Order) -> list[int]:
    """Each item's commission base in quanta, from the plan reference's words."""
    q = plan.quantum
    nets = [
        quanta(item.unit_price, q) * item.quantity - quanta(item.discount, q)
        for item in order.items
    ]
    deducted = quanta(order.coupons, q) + quanta(order.vouchers, q)
    if not plan.base.include_points_redemption:
        deducted += quanta(order.points_redemption, q)
    deductions = _spread(deducted, nets)
    shipping = (
        _spread(quanta(order.shipping, q), nets) if plan.base.include_shipping else [0] * len(nets)
    )
    return [
        0
        if item.sku in plan.base.exclude_skus or item.category in plan.base.exclude_categories
        else net - deduction + ship
        for item, net, deduction, ship in zip(order.items, nets, deductions, shipping, strict=True)
    ]


def kept_goods(plan: Plan, order: Order, refunded_units: dict[str, int]) -> Fraction:
    """What the buyer paid for the goods in the units they keep (exact, in quanta)."""
    q = plan.quantum
    nets = [
        quanta(item.unit_price, q) * item.quantity - quanta(item.discount, q)
        for item in order.items
    ]
    total = sum(nets)
    if not total:
        return Fraction(0)
    goods = total - sum(
        quanta(amount, q) for amount in (order.coupons, order.vouchers, order.points_redemption)
    )
    return sum(
        (
            Fraction(
                goods * net * (item.quantity - refunded_units.get(item.item_id, 0)),
                total * item.quantity,
            )
            for item, net in zip(order.items, nets, strict=True)
        ),
        Fraction(0),
    )


def _nominal(plan: Plan, level: object, base: int, quantity: int) -> Fraction:
    rates: dict[str, Decimal] | None = getattr(level, "rates", None)
    if rates is not None:
        return base * Fraction(max(rates.values(), default=Decimal(0)))
    amounts: dict[str, Decimal] = getattr(level, "amounts", None) or {}
    return Fraction(quanta(max(amounts.values(), default=Decimal(0)), plan.quantum) * quantity)


def pool_quanta(plan: Plan, order: Order) -> int:
    """The money the plan sets aside for an order whatever the chain, in quanta."""
    bases = item_bases(plan, order)
    rounding = plan.rounding.value
    total = 0
    for rule in plan.rules:
        if isinstance(rule, PointsRule):
            continue
        for item, base in zip(order.items, bases, strict=True):
            if not base or not _applies(rule, item.sku, item.category):
                continue
            if isinstance(rule, DifferentialRule):
                total += _round(base * Fraction(max(rule.rates.values())), rounding)
                continue
            nominals = [_nominal(plan, level, base, item.quantity) for level in rule.levels]
            if plan.remainder == "merchant":
                total += sum(_round(value, rounding) for value in nominals)
            else:
                total += _round(sum(nominals, Fraction(0)), rounding)
    return min(total, math.floor(sum(bases) * Fraction(plan.caps.order_ratio)))


# ----------------------------------------------------------------- the graph


@dataclass(frozen=True)
class ChainLink:
    """One participant of a chain as it stood at an instant."""

    participant: str
    role: str
    active: bool


def _at(history: list[tuple[int, object]], instant: int) -> object:
    value = history[0][1]
    for when, held in history:
        if when <= instant:
            value = held
    return value


@dataclass
class ReferenceGraph:
    """Histories of uplines, roles and statuses as plain dicts of sorted lists."""

    joined: dict[str, int] = field(default_factory=dict)
    uplines: dict[str, list[tuple[int, object]]] = field(default_factory=dict)
    roles: dict[str, list[tuple[int, object]]] = field(default_factory=dict)
    active: dict[str, list[tuple[int, object]]] = field(default_factory=dict)

    def join(self, participant: str, instant: int, role: str, inviter: str | None) -> None:
        self.joined[participant] = instant
        self.uplines[participant] = [(instant, inviter)]
        self.roles[participant] = [(instant, role)]
        self.active[participant] = [(instant, True)]

    @staticmethod
    def _record(history: list[tuple[int, object]], instant: int, value: object) -> None:
        for position, (when, _) in enumerate(history):
            if when == instant:
                history[position] = (instant, value)
                return
        history.append((instant, value))
        history.sort(key=lambda entry: entry[0])

    def set_upline(self, participant: str, instant: int, upline: str | None) -> None:
        self._record(self.uplines[participant], instant, upline)

    def set_role(self, participant: str, instant: int, role: str) -> None:
        self._record(self.roles[participant], instant, role)

    def set_active(self, participant: str, instant: int, active: bool) -> None:
        self._record(self.active[participant], instant, active)

    def upline(self, participant: str, instant: int) -> str | None:
        value = _at(self.uplines[participant], instant)
        return value if isinstance(value, str) else None

    def role(self, participant: str, instant: int) -> str:
        return str(_at(self.roles[participant], instant))

    def is_active(self, participant: str, instant: int) -> bool:
        return bool(_at(self.active[participant], instant))

    def direct_downline(self, participant: str, instant: int) -> list[str]:
        return sorted(
            (
                child
                for child, joined in self.joined.items()
                if joined <= instant and self.upline(child, instant) == participant
            ),
            key=lambda child: list(self.joined).index(child),
        )

    def chain(self, participant: str, instant: int, depth: int) -> tuple[ChainLink, ...]:
        """The participant and up to ``depth`` uplines at ``instant``, nearest first."""
        links: list[ChainLink] = []
        current: str | None = participant
        while current is not None and len(links) <= depth:
            links.append(
                ChainLink(current, self.role(current, instant), self.is_active(current, instant))
            )
            current = self.upline(current, instant)
        return tuple(links)


# ------------------------------------------------------------------ the lines


def _earns(plan: Plan, role: str, unit: str) -> bool:
    earns = {r.name: r.earns for r in plan.roles}[role]
    return earns == "money" if unit == "money" else earns in ("money", "points")


def _takers(
    plan: Plan, rule: LevelRule | PointsRule, chain: tuple[ChainLink, ...], unit: str
) -> list[tuple[int, int, Fraction]]:
    """(distance, rule level, value) of each line of a level or points rule."""

    def values(level: object) -> dict[str, Decimal]:
        found = getattr(level, "rates", None) or getattr(level, "amounts", None)
        return found if found is not None else getattr(level, "points", {})

    eligible = [link.active and _earns(plan, link.role, unit) for link in chain]
    named = {role for level in rule.levels for role in values(level)}
    uplines = [
        distance
        for distance in range(1, len(chain))
        if eligible[distance] and chain[distance].role in named
    ]
    found = []
    for level in rule.levels:
        if plan.ineligible == "compress" and level.level > 0:
            distance = uplines[level.level - 1] if level.level <= len(uplines) else -1
        else:
            distance = level.level if level.level < len(chain) and eligible[level.level] else -1
        if distance < 0:
            continue
        value = values(level).get(chain[distance].role)
        if value is not None:
            found.append((distance, level.level, Fraction(value)))
    return found


def _share(total_rounded: int, exact: list[Fraction]) -> list[int]:
    floors = [math.floor(value) for value in exact]
    ranked = sorted(range(len(exact)), key=lambda i: (floors[i] - exact[i], i))
    for position in ranked[: total_rounded - sum(floors)]:
        floors[position] += 1
    return floors


def _scale_down(amounts: list[int], limit: int) -> list[int]:
    return amounts if sum(amounts) <= limit else _spread(limit, amounts)


def order_lines(
    plan: Plan, order: Order, chain: tuple[ChainLink, ...], bases: list[int] | None = None
) -> dict[LineKey, Line]:
    """Every line of an order: money in quanta of the plan's currency, points whole.

    ``bases`` (each item's base in quanta) defaults to the order's own.
    """
    if bases is None:
        bases = item_bases(plan, order)
    rounding = plan.rounding.value
    ids = [link.participant for link in chain]
    money: list[tuple[LineKey, int, int]] = []  # key, distance, quanta
    points: dict[LineKey, Line] = {}
    per_quantum = Fraction(plan.quantum)
    for rule in plan.rules:
        if isinstance(rule, PointsRule) and rule.trigger == "invite":
            continue
        for item, base in zip(order.items, bases, strict=True):
            if not base or not _applies(rule, item.sku, item.category):
                continue
            if isinstance(rule, PointsRule):
                for distance, _, value in _takers(plan, rule, chain, "points"):
                    amount = math.floor(base * per_quantum * value)
                    if amount:
                        points[(rule.id, item.item_id, ids[distance], distance)] = (
                            amount,
                            "points",
                        )
                continue
            if isinstance(rule, DifferentialRule):
                slots = _differential(plan, rule, chain)
                exact = [base * rate for _, rate in slots]
                amounts = _share(_round(sum(exact, Fraction(0)), rounding), exact)
                shares = [(d, a) for (d, _), a in zip(slots, amounts, strict=True)]
            else:
                takers = _takers(plan, rule, chain, "money")
                exact = []
                for _, level, value in takers:
                    fixed = any(lv.level == level and lv.amounts is not None for lv in rule.levels)
                    exact.append(value / per_quantum * item.quantity if fixed else base * value)
                if plan.remainder == "merchant":
                    amounts = [_round(value, rounding) for value in exact]
                else:
                    amounts = _share(_round(sum(exact, Fraction(0)), rounding), exact)
                shares = [(d, a) for (d, _, _), a in zip(takers, amounts, strict=True)]
            for distance, amount in shares:
                if amount:
                    money.append(
                        ((rule.id, item.item_id, ids[distance], distance), distance, amount)
                    )
    total_base = sum(bases)
    amounts = [amount for _, _, amount in money]
    if plan.caps.beneficiary_ratio is not None:
        limit = math.floor(total_base * Fraction(plan.caps.beneficiary_ratio))
        for distance in sorted({d for _, d, _ in money}):
            where = [i for i, (_, d, _) in enumerate(money) if d == distance]
            for i, amount in zip(
                where, _scale_down([amounts[i] for i in where], limit), strict=True
            ):
                amounts[i] = amount
    amounts = _scale_down(amounts, math.floor(total_base * Fraction(plan.caps.order_ratio)))
    lines: dict[LineKey, Line] = {
        key: (amount, "money") for (key, _, _), amount in zip(money, amounts, strict=True) if amount
    }
    lines.update(points)
    return lines


def _differential(
    plan: Plan, rule: DifferentialRule, chain: tuple[ChainLink, ...]
) -> list[tuple[int, Fraction]]:
    slots = []
    highest = Fraction(0)
    top = Fraction(max(rule.rates.values()))
    for distance in range(0 if rule.include_buyer else 1, len(chain)):
        link = chain[distance]
        rate = rule.rates.get(link.role)
        if rate is None or Fraction(rate) <= highest:
            continue
        if link.active and _earns(plan, link.role, "money"):
            slots.append((distance, Fraction(rate) - highest))
            highest = Fraction(rate)
        elif plan.ineligible != "compress":
            highest = Fraction(rate)
        if highest >= top:
            break
    return slots


def invite_lines(plan: Plan, chain: tuple[ChainLink, ...]) -> dict[str, int]:
    """Points each beneficiary earns because ``chain[0]`` joined."""
    found: dict[str, int] = {}
    for rule in plan.rules:
        if isinstance(rule, PointsRule) and rule.trigger == "invite":
            for distance, _, value in _takers(plan, rule, chain, "points"):
                if value:
                    who = chain[distance].participant
                    found[who] = found.get(who, 0) + int(value)
    return found


# ------------------------------------------------------------------- the book


@dataclass
class ReferenceOrder:
    """One order as the reference follows it."""

    order: Order
    chain: tuple[ChainLink, ...]
    bases: list[int]
    lines: dict[LineKey, Line]
    accrued: dict[LineKey, int]
    pool: int
    state: str = "pending"
    release_at: int | None = None
    refunded_units: dict[str, int] = field(default_factory=dict)
    refunded_amount: int = 0
    closed: bool = False
    upgrade: tuple[str, str, frozenset[str]] | None = None  # role before, after, pack SKUs


@dataclass
class ReferenceBook:
    """What every holder should have, from a plan and the events applied."""

    plan: Plan
    graph: ReferenceGraph = field(default_factory=ReferenceGraph)
    orders: dict[str, ReferenceOrder] = field(default_factory=dict)
    invites: dict[str, int] = field(default_factory=dict)  # invite points, available at once

    def join(self, participant: str, instant: int, role: str, inviter: str | None) -> None:
        self.graph.join(participant, instant, role, inviter)
        if inviter is not None:
            chain = self.graph.chain(participant, instant, self.plan.max_depth)
            for who, amount in invite_lines(self.plan, chain).items():
                self.invites[who] = self.invites.get(who, 0) + amount

    def leave(self, guide: str, instant: int, successor: str) -> None:
        for child in self.graph.direct_downline(guide, instant):
            self.graph.set_upline(child, instant, successor)
        self.graph.set_active(guide, instant, False)

    def pay(self, order: Order, instant: int) -> ReferenceOrder:
        chain = self.graph.chain(order.buyer, instant, self.plan.max_depth)
        bases = item_bases(self.plan, order)
        lines = order_lines(self.plan, order, chain, bases)
        state = ReferenceOrder(
            order,
            chain,
            bases,
            dict(lines),
            {k: v[0] for k, v in lines.items()},
            pool_quanta(self.plan, order),
        )
        self.orders[order.order_id] = state
        ranks = {role.name: role.rank for role in self.plan.roles}
        best = chain[0].role
        for item in order.items:
            for pack in self.plan.gift_packs:
                if pack.sku == item.sku and ranks[pack.becomes] > ranks[best]:
                    best = pack.becomes
        if best != chain[0].role:
            self.graph.set_role(order.buyer, instant + 1, best)
            skus = frozenset(pack.sku for pack in self.plan.gift_packs if pack.becomes == best)
            state.upgrade = (chain[0].role, best, skus)
        return state

    def _give_back_upgrade(self, state: ReferenceOrder, instant: int, whole: bool) -> None:
        """A gift pack given back in full undoes its upgrade, unless the role changed since."""
        if state.upgrade is None:
            return
        previous, role, skus = state.upgrade
        kept = any(
            item.quantity > state.refunded_units.get(item.item_id, 0)
            for item in state.order.items
            if item.sku in skus
        )
        if (not whole and kept) or self.graph.role(state.order.buyer, instant) != role:
            return
        self.graph.set_role(state.order.buyer, instant, previous)
        state.upgrade = None

    def complete(self, order_id: str, instant: int) -> None:
        state = self.orders[order_id]
        state.state = "held"
        state.release_at = instant + self.plan.after_sales_days * MICROSECONDS_PER_DAY

    def settle(self, instant: int) -> None:
        for state in self.orders.values():
            if (
                state.state == "held"
                and state.release_at is not None
                and (state.release_at <= instant)
            ):
                state.state = "available"

    def cancel(self, order_id: str, instant: int) -> None:
        state = self.orders[order_id]
        self._give_back_upgrade(state, instant, whole=True)
        state.lines = {key: (0, unit) for key, (_, unit) in state.lines.items()}
        state.closed = True

    def refund(self, order_id: str, units: dict[str, int], amount: int, instant: int) -> None:
        state = self.orders[order_id]
        for item_id, count in units.items():
            state.refunded_units[item_id] = state.refunded_units.get(item_id, 0) + count
        state.refunded_amount += amount
        remaining = self._remaining(state)
        state.lines = {
            key: (min(remaining.get(key, (0, unit))[0], state.accrued[key]), unit)
            for key, (_, unit) in state.lines.items()
        }
        kept = kept_goods(self.plan, state.order, state.refunded_units)
        every_unit = all(
            state.refunded_units.get(item.item_id, 0) == item.quantity for item in state.order.items
        )
        if every_unit or (state.refunded_amount and state.refunded_amount >= kept):
            state.closed = True
        self._give_back_upgrade(state, instant, whole=state.closed)

    def _remaining(self, state: ReferenceOrder) -> dict[LineKey, Line]:
        order = state.order
        kept = kept_goods(self.plan, order, state.refunded_units)
        share = (kept - state.refunded_amount) / kept if kept else Fraction(1)
        items, bases = [], []
        for item, base in zip(order.items, state.bases, strict=True):
            left = item.quantity - state.refunded_units.get(item.item_id, 0)
            if left:
                items.append(item.model_copy(update={"quantity": left}))
                bases.append(math.floor(Fraction(base * left, item.quantity) * share))
        if not items:
            return {}
        kept_order = order.model_copy(update={"items": tuple(items)})
        return order_lines(self.plan, kept_order, state.chain, bases)

    def holdings(self) -> dict[tuple[str | None, str, str, str], int]:
        """(order id or None, holder, unit, state) -> amount, zero amounts left out.

        Money is in quanta under the unit ``"money"``; points under ``"points"``.
        """
        found: dict[tuple[str | None, str, str, str], int] = {}
        for order_id, state in self.orders.items():
            for (_, _, beneficiary, _), (amount, unit) in state.lines.items():
                key = (order_id, beneficiary, unit, state.state)
                found[key] = found.get(key, 0) + amount
        for who, amount in self.invites.items():
            found[(None, who, "points", "available")] = amount
        return {key: amount for key, amount in found.items() if amount}

    def apply(self, event: Event) -> None:
        """Follow one event the book applied (share clicks and sharers not modelled)."""
        instant = to_instant(event.at)
        if isinstance(event, ParticipantJoined):
            self.join(event.participant, instant, event.role, event.inviter)
        elif isinstance(event, RoleChanged):
            self.graph.set_role(event.participant, instant, event.role)
        elif isinstance(event, ParticipantStatusChanged):
            self.graph.set_active(event.participant, instant, event.active)
        elif isinstance(event, BindingChanged):
            self.graph.set_upline(event.participant, instant, event.upline)
        elif isinstance(event, TeamTransplanted):
            self.graph.set_upline(event.team_root, instant, event.upline)
        elif isinstance(event, GuideLeft):
            self.leave(event.guide, instant, event.successor)
        elif isinstance(event, OrderPaid):
            self.pay(event.order, instant)
        elif isinstance(event, OrderCompleted):
            self.complete(event.order_id, instant)
        elif isinstance(event, OrderRefunded):
            units: dict[str, int] = {}
            for item in event.items:
                units[item.item_id] = units.get(item.item_id, 0) + item.quantity
            amount = 0 if event.amount is None else quanta(event.amount, self.plan.quantum)
            self.refund(event.order_id, units, amount, instant)
        elif isinstance(event, OrderCancelled):
            self.cancel(event.order_id, instant)
        elif isinstance(event, SettlementRun):
            self.settle(instant)
