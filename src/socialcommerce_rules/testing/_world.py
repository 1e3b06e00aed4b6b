"""The shop as the strategies see it: who has joined, what is paid, what can follow.

A :class:`World` builds the next valid event of a kind from its own plain record
of the shop (never from the engine), and :meth:`World.note` records an event once
delivered.  Strategies and the state machine share it, so that every generated
stream respects causality: joins before everything their participant does,
binding changes in time order and never into a cycle, refunds never above what
was paid, nothing after an order's cancellation or full refund.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from typing import Any, TypeVar

from hypothesis import strategies as st

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
    RefundedItem,
    RoleChanged,
    SettlementRun,
    TeamTransplanted,
)
from ..money import EXACT_CONTEXT
from ..orders import Order, OrderItem
from ..plan import Plan
from ._reference import kept_goods

__all__ = ["Draw", "World"]

T = TypeVar("T")
Draw = Callable[[st.SearchStrategy[T]], T]
"""What ``st.data().draw`` and a composite's ``draw`` are."""

_GAPS_MINUTES = (1, 7, 60, 1440, 8 * 1440)


@dataclass
class _OrderFacts:
    order: Order
    units_left: dict[str, int]
    amount_refunded_q: int = 0
    completed: bool = False
    closed: bool = False


@dataclass
class World:
    """A plain record of the shop, and the next valid event of each kind."""

    plan: Plan
    start: datetime = field(init=False)
    minute: int = 0
    counter: int = 0
    joined: list[str] = field(default_factory=list)
    roles: dict[str, str] = field(default_factory=dict)
    active: dict[str, bool] = field(default_factory=dict)
    uplines: dict[str, str | None] = field(default_factory=dict)
    orders: dict[str, _OrderFacts] = field(default_factory=dict)
    prepared: dict[str, OrderPaid] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.start = self.plan.effective_from.astimezone(UTC) + timedelta(hours=1)

    # ---------------------------------------------------------------- helpers

    @property
    def role_names(self) -> list[str]:
        return [role.name for role in sorted(self.plan.roles, key=lambda role: role.rank)]

    @property
    def top_role(self) -> str:
        return self.plan.performance_role or self.role_names[-1]

    def _tick(self, draw: Draw[Any]) -> datetime:
        self.minute += draw(st.sampled_from(_GAPS_MINUTES))
        return self.start + timedelta(minutes=self.minute)

    def _id(self, kind: str) -> str:
        self.counter += 1
        return f"{kind}-{self.counter}"

    def _below(self, participant: str) -> set[str]:
        found = set()
        for candidate in self.joined:
            walker = self.uplines[candidate]
            while walker is not None:
                if walker == participant:
                    found.add(candidate)
                    break
                walker = self.uplines[walker]
        return found

    def open_orders(self) -> list[str]:
        return sorted(order_id for order_id, facts in self.orders.items() if not facts.closed)

    def _quantum_amount(self, quanta: int) -> Decimal:
        return EXACT_CONTEXT.multiply(Decimal(quanta), self.plan.quantum)

    # ---------------------------------------------------------------- participants

    def join(self, draw: Draw[Any]) -> ParticipantJoined:
        """A newcomer: a root, or invited by the newest (chains), the first (fans) or anyone."""
        at = self._tick(draw)
        participant = f"p{len(self.joined)}"
        inviter = None
        if self.joined:
            how = draw(st.sampled_from(("newest", "newest", "newest", "first", "any", "root")))
            if how == "newest":
                inviter = self.joined[-1]
            elif how == "first":
                inviter = self.joined[0]
            elif how == "any":
                inviter = draw(st.sampled_from(self.joined))
        role = self.top_role if inviter is None else draw(st.sampled_from(self.role_names))
        store = "store-1" if role == self.top_role else None
        return ParticipantJoined(
            event_id=self._id("join"),
            at=at,
            participant=participant,
            role=role,
            inviter=inviter,
            store=store,
        )

    def role_change(self, draw: Draw[Any]) -> RoleChanged | None:
        """An upgrade or a demotion of someone who has joined."""
        if not self.joined:
            return None
        participant = draw(st.sampled_from(self.joined))
        choices = [role for role in self.role_names if role != self.roles[participant]]
        if not choices:
            return None
        return RoleChanged(
            event_id=self._id("role"),
            at=self._tick(draw),
            participant=participant,
            role=draw(st.sampled_from(choices)),
        )

    def status_change(self, draw: Draw[Any]) -> ParticipantStatusChanged | None:
        """Someone made inactive, or active again."""
        if not self.joined:
            return None
        participant = draw(st.sampled_from(self.joined))
        return ParticipantStatusChanged(
            event_id=self._id("status"),
            at=self._tick(draw),
            participant=participant,
            active=not self.active[participant],
        )

    def rebinding(self, draw: Draw[Any], *, transplant: bool = False) -> Event | None:
        """A participant (with their team) bound to a new upline, never into a cycle."""
        if not self.joined:
            return None
        participant = draw(st.sampled_from(self.joined))
        below = self._below(participant)
        targets = [p for p in self.joined if p != participant and p not in below]
        upline = draw(st.none() | st.sampled_from(targets)) if targets else None
        at = self._tick(draw)
        if transplant:
            return TeamTransplanted(
                event_id=self._id("transplant"), at=at, team_root=participant, upline=upline
            )
        return BindingChanged(
            event_id=self._id("rebind"), at=at, participant=participant, upline=upline
        )

    def guide_departure(self, draw: Draw[Any]) -> GuideLeft | None:
        """A guide leaves; their direct downline moves to a successor."""
        guides = [p for p in self.joined if self.roles[p] == self.top_role and self.active[p]]
        if not guides:
            return None
        guide = draw(st.sampled_from(guides))
        below = self._below(guide)
        successors = [p for p in self.joined if p != guide and p not in below]
        if not successors:
            return None
        return GuideLeft(
            event_id=self._id("leave"),
            at=self._tick(draw),
            guide=guide,
            successor=draw(st.sampled_from(successors)),
        )

    # ---------------------------------------------------------------- orders

    def payment(self, draw: Draw[Any], *, prepare: bool = False) -> OrderPaid | None:
        """A new paid order; ``prepare`` keeps it back to deliver later."""
        if not self.joined:
            return None
        at = self._tick(draw)
        order_id = self._id("order")
        # Newest first: they sit deepest, with the most uplines to pay.
        buyer = draw(st.sampled_from(self.joined[::-1]))
        order = draw_order(draw, self.plan, order_id, buyer, at)
        event = OrderPaid(event_id=f"pay-{order_id}", at=at, order=order)
        if prepare:
            self.prepared[order_id] = event
        return event

    def completion(self, draw: Draw[Any], order_id: str | None = None) -> OrderCompleted | None:
        """The completion of an order paid and neither completed nor closed."""
        if order_id is None:
            ready = [o for o in self.open_orders() if not self.orders[o].completed]
            if not ready:
                return None
            order_id = draw(st.sampled_from(ready))
        return OrderCompleted(
            event_id=f"complete-{order_id}", at=self._tick(draw), order_id=order_id
        )

    def cancellation(self, draw: Draw[Any], order_id: str | None = None) -> OrderCancelled | None:
        """The cancellation of an open order."""
        if order_id is None:
            if not self.open_orders():
                return None
            order_id = draw(st.sampled_from(self.open_orders()))
        return OrderCancelled(event_id=self._id("cancel"), at=self._tick(draw), order_id=order_id)

    def refund(self, draw: Draw[Any], order_id: str | None = None) -> OrderRefunded | None:
        """A partial or full refund of an open order, by units or by amount."""
        if order_id is None:
            if not self.open_orders():
                return None
            order_id = draw(st.sampled_from(self.open_orders()))
        if order_id in self.orders:
            facts = self.orders[order_id]
        else:
            order = self.prepared[order_id].order
            facts = _OrderFacts(order, {item.item_id: item.quantity for item in order.items})
        event_id, at = self._id("refund"), self._tick(draw)
        left = self._amount_left_q(facts)
        if left > 0 and draw(st.booleans()):
            amount_q = draw(st.sampled_from((left, 1)) | st.integers(1, left))
            return OrderRefunded(
                event_id=event_id,
                at=at,
                order_id=order_id,
                amount=self._quantum_amount(amount_q),
            )
        items = sorted(item for item, count in facts.units_left.items() if count)
        chosen = draw(st.lists(st.sampled_from(items), min_size=1, max_size=2, unique=True))
        refunded = tuple(
            RefundedItem(item_id=item, quantity=draw(st.integers(1, facts.units_left[item])))
            for item in chosen
        )
        after = self._refunded_units(facts)
        for item in refunded:
            after[item.item_id] += item.quantity
        if facts.amount_refunded_q > kept_goods(self.plan, facts.order, after):
            # Money already refunded would exceed the goods kept: the book refuses it.
            if left <= 0:
                return None
            return OrderRefunded(
                event_id=event_id, at=at, order_id=order_id, amount=self._quantum_amount(left)
            )
        return OrderRefunded(event_id=event_id, at=at, order_id=order_id, items=refunded)

    def _amount_left_q(self, facts: _OrderFacts) -> int:
        kept = kept_goods(self.plan, facts.order, self._refunded_units(facts))
        return int(kept) - facts.amount_refunded_q  # whole quanta still refundable

    @staticmethod
    def _refunded_units(facts: _OrderFacts) -> dict[str, int]:
        return {
            item.item_id: item.quantity - facts.units_left[item.item_id]
            for item in facts.order.items
        }

    def settlement(self, draw: Draw[Any]) -> SettlementRun:
        """A settlement run now."""
        return SettlementRun(event_id=self._id("settle"), at=self._tick(draw))

    # ---------------------------------------------------------------- recording

    def note(self, event: Event) -> None:
        """Record an event the book applied."""
        if isinstance(event, ParticipantJoined):
            self.joined.append(event.participant)
            self.roles[event.participant] = event.role
            self.active[event.participant] = True
            self.uplines[event.participant] = event.inviter
        elif isinstance(event, RoleChanged):
            self.roles[event.participant] = event.role
        elif isinstance(event, ParticipantStatusChanged):
            self.active[event.participant] = event.active
        elif isinstance(event, BindingChanged):
            self.uplines[event.participant] = event.upline
        elif isinstance(event, TeamTransplanted):
            self.uplines[event.team_root] = event.upline
        elif isinstance(event, GuideLeft):
            for child in self.joined:
                if self.uplines[child] == event.guide:
                    self.uplines[child] = event.successor
            self.active[event.guide] = False
        elif isinstance(event, OrderPaid):
            self._note_payment(event)
        elif isinstance(event, OrderCompleted):
            self.orders[event.order_id].completed = True
        elif isinstance(event, OrderCancelled):
            self.orders[event.order_id].closed = True
        elif isinstance(event, OrderRefunded):
            self._note_refund(event)

    def _note_payment(self, event: OrderPaid) -> None:
        order = event.order
        self.prepared.pop(order.order_id, None)
        self.orders[order.order_id] = _OrderFacts(
            order, {item.item_id: item.quantity for item in order.items}
        )
        ranks = {role.name: role.rank for role in self.plan.roles}
        for item in order.items:
            for pack in self.plan.gift_packs:
                role = self.roles[order.buyer]
                if pack.sku == item.sku and ranks[pack.becomes] > ranks[role]:
                    self.roles[order.buyer] = pack.becomes

    def _note_refund(self, event: OrderRefunded) -> None:
        facts = self.orders[event.order_id]
        for item in event.items:
            facts.units_left[item.item_id] -= item.quantity
        if event.amount is not None:
            scaled = Fraction(event.amount) / Fraction(self.plan.quantum)
            facts.amount_refunded_q += int(scaled)
        kept = kept_goods(self.plan, facts.order, self._refunded_units(facts))
        if not any(facts.units_left.values()) or (
            facts.amount_refunded_q and facts.amount_refunded_q >= kept
        ):
            facts.closed = True


# ------------------------------------------------------------------------ orders


def _labels(plan: Plan) -> tuple[list[str], list[str]]:
    skus = {"SKU-A", "SKU-B"}
    categories = {"general"}
    for rule in plan.rules:
        skus.update(rule.skus, rule.exclude_skus)
        categories.update(rule.categories, rule.exclude_categories)
    skus.update(plan.base.exclude_skus)
    skus.update(pack.sku for pack in plan.gift_packs)
    categories.update(plan.base.exclude_categories)
    return sorted(skus), sorted(categories)


def order_for(
    plan: Plan, order_id: str, buyer: str, paid_at: datetime, *, max_items: int = 3
) -> st.SearchStrategy[Order]:
    """Valid orders for ``plan``: items of the SKUs and categories the plan names (and
    others), gift packs, discounts, coupons, vouchers, points redemption, shipping."""
    return st.builds(
        lambda data: draw_order(data.draw, plan, order_id, buyer, paid_at, max_items=max_items),
        st.data(),
    )


def draw_order(
    draw: Draw[Any], plan: Plan, order_id: str, buyer: str, paid_at: datetime, *, max_items: int = 3
) -> Order:
    """Draw one order as :func:`order_for` describes (without building a strategy)."""
    skus, categories = _labels(plan)
    packs = {pack.sku: pack for pack in plan.gift_packs}
    quantum = plan.quantum
    unit = int(1 / quantum) if quantum < 1 else 1

    def amount(quanta: int) -> Decimal:
        return EXACT_CONTEXT.multiply(Decimal(quanta), quantum)

    items = []
    nets = 0
    for index in range(draw(st.integers(1, max_items))):
        sku = draw(st.sampled_from(skus))
        quantity = 1 if sku in packs else draw(st.integers(1, 3) | st.integers(1, 40))
        if sku in packs and packs[sku].goods_value is not None:
            price_q = int(Fraction(packs[sku].goods_value or 0) / Fraction(quantum))
        else:
            price_q = draw(
                st.integers(unit, 500 * unit) | st.integers(1, 20 * unit) | st.integers(0, 3)
            )
        gross = price_q * quantity
        discount = draw(st.just(0) | st.just(0) | st.integers(0, gross))
        nets += gross - discount
        items.append(
            OrderItem(
                item_id=str(index + 1),
                sku=sku,
                category=draw(st.sampled_from(categories)),
                quantity=quantity,
                unit_price=amount(price_q),
                discount=amount(discount),
            )
        )
    coupons = draw(st.just(0) | st.just(0) | st.integers(0, nets))
    vouchers = draw(st.just(0) | st.integers(0, nets - coupons))
    points = draw(st.just(0) | st.integers(0, nets - coupons - vouchers))
    return Order(
        order_id=order_id,
        buyer=buyer,
        paid_at=paid_at,
        currency=plan.currency,
        items=tuple(items),
        coupons=amount(coupons),
        vouchers=amount(vouchers),
        points_redemption=amount(points),
        shipping=amount(draw(st.just(0) | st.integers(0, 20 * unit))),
    )
