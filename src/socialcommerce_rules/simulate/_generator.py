"""The simulation loop: a time-ordered queue of what happens next, drawn as it goes.

Every pending happening (an invitation accepted, a purchase, a gift pack bought, a
delivery, a cancellation, a refund, a churned newcomer going inactive, a settlement
run, a team arriving) waits in a calendar queue: a list per day, sorted by (second
after start, sequence number) when its day comes; what a happening schedules for
later the same day waits in a small heap, merged in.  Taking them in that order
yields events in time order, and each happening schedules only later
ones, so the stream is causally valid by construction: a join precedes its
participant's orders and invitations, a payment its completion, a completion its
refund.  One :class:`random.Random` seeded from the config is drawn in pop order,
so the stream is a function of the config alone.  A happening's event is built
when it is taken, its instant as the day's midnight plus a time of day.
"""

from __future__ import annotations

import heapq
import random
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from math import log
from operator import itemgetter
from typing import Any

from ..events import (
    Event,
    OrderPaid,
    ParticipantJoined,
    RefundedItem,
    SettlementRun,
    TeamTransplanted,
)
from ..money import ZERO
from ..orders import OrderItem
from . import _models
from ._prepare import _Run

_DAY = 86_400
_second = itemgetter(0)  # of a pending happening
_MONTH = 30 * _DAY

# Kinds of pending happenings in the queue.
_ORDER = 0  # ``a`` buys; ``b`` is their purchase rate per second
_COMPLETE = 1  # order ``a`` is completed
_INVITE = 2  # someone accepts an invitation of ``a``
_GIFT = 3  # ``a`` buys the gift pack
_CANCEL = 4  # order ``a`` is cancelled
_REFUND = 5  # order ``a`` is refunded: ``b`` holds the units given back
_INACTIVE = 6  # churned newcomer ``a`` goes inactive
_SETTLE = 7  # settlement run number ``a``
_TEAM = 8  # team number ``a`` arrives

Progress = Callable[[int, int], None]


class _Simulation:
    """One run: the heap, the random generator, counters and cached items."""

    def __init__(self, run: _Run) -> None:
        config = run.config
        self.run = run
        self.config = config
        self.rng = random.Random(config.seed)
        # Pending happenings (second, sequence, kind, a, b), by day: a calendar queue.
        self.days: list[list[tuple[int, int, int, Any, Any]]] = [[] for _ in range(config.days)]
        # What is scheduled during a day for later that day (before ``tomorrow``, its
        # last second + 1; nothing is before the first day begins): a heap.
        self.today: list[tuple[int, int, int, Any, Any]] = []
        self.tomorrow = 0
        self.start = config.start
        # Times of day, ``clock[s] == timedelta(0, s)``, each built when first needed:
        # an instant is its day's midnight plus one (constructing a timedelta costs
        # several times more than adding one).
        self.clock: list[timedelta | None] = [None] * _DAY
        self.sequence = 0
        self.end = config.days * _DAY
        self.participants = 0
        self.members = 0  # participants other than guides, for their ids
        self.orders = 0
        self.guides: list[str] = []
        self.items: dict[tuple[int, int, int], OrderItem] = {}
        self.refunded: dict[tuple[str, int], RefundedItem] = {}

    # ------------------------------------------------------------------ the loop

    def events(self, progress: Progress | None) -> Iterator[Event]:
        config = self.config
        days = config.days
        yield from self._seed()
        for number in range(1, self.end // (config.settlement_days * _DAY) + 1):
            self._push(number * config.settlement_days * _DAY, _SETTLE, number)
        if config.transplant_every_days:
            every = config.transplant_every_days * _DAY
            for number in range(1, self.end // every + 1):
                self._push(number * every, _TEAM, number)
        pop = heapq.heappop
        clock = self.clock
        for day in range(days):
            # The day's happenings in order; those scheduled for later today join a
            # heap, taken in turn with them; those for later days wait in their
            # day's list.  Sequence numbers are unique: the order is total.  A day's
            # list is appended to in sequence order, so a stable sort by second alone
            # orders it by (second, sequence), comparing whole numbers, not tuples.
            scheduled = self.days[day]
            self.days[day] = []
            scheduled.sort(key=_second)
            scheduled.reverse()  # taken from the end, so that each goes as it is done
            later: list[tuple[int, int, int, Any, Any]] = []
            dawn = day * _DAY
            # start + timedelta(0, dawn + s) == midnight + timedelta(0, s): aware
            # datetimes add timedeltas to their wall time, field by field.
            midnight = self.start + timedelta(day)
            self.today, self.tomorrow = later, dawn + _DAY
            while True:
                if scheduled and not (later and later[0] < scheduled[-1]):
                    second, _, kind, a, b = scheduled.pop()
                elif later:
                    second, _, kind, a, b = pop(later)
                else:
                    break
                time = clock[second - dawn]
                if time is None:
                    time = clock[second - dawn] = timedelta(0, second - dawn)
                at = midnight + time
                if kind == _ORDER:
                    yield self._order(second, at, a, b)
                elif kind == _COMPLETE:
                    yield _models.completed(f"complete-{a}", at, a)
                elif kind == _INVITE:
                    if self.participants < config.participants_max:
                        yield self._newcomer(second, at, a)
                elif kind == _GIFT:
                    yield self._gift_pack(second, at, a)
                elif kind == _CANCEL:
                    yield _models.cancelled(f"cancel-{a}", at, a)
                elif kind == _REFUND:
                    yield _models.refunded(f"refund-{a}", at, a, b)
                elif kind == _INACTIVE:
                    yield _models.inactive(f"inactive-{a}", at, a)
                elif kind == _SETTLE:
                    yield SettlementRun(event_id=f"settle-{a}", at=at)
                else:
                    yield from self._team(second, at, a)
            if progress is not None:
                progress(day + 1, days)

    def _push(self, second: int, kind: int, a: Any, b: Any = None) -> None:
        """Schedule a happening, unless it falls after the horizon."""
        if second < self.end:
            self.sequence += 1
            if second < self.tomorrow:
                heapq.heappush(self.today, (second, self.sequence, kind, a, b))
            else:
                self.days[second // _DAY].append((second, self.sequence, kind, a, b))

    # ------------------------------------------------------------------ growth

    def _seed(self) -> Iterator[Event]:
        """The seed guides join at the start, one store after another."""
        config, at = self.config, self.start + timedelta(0)
        for store in range(1, config.stores + 1):
            for _ in range(config.guides_per_store):
                guide = f"guide-{len(self.guides) + 1}"
                self.guides.append(guide)
                self.participants += 1
                yield ParticipantJoined(
                    event_id=f"join-{guide}",
                    at=at,
                    participant=guide,
                    role=self.run.guide_role,
                    store=f"store-{store}",
                )
                self._engage(0, guide, guide=True, may_churn=False)

    def _newcomer(self, second: int, at: datetime, inviter: str) -> ParticipantJoined:
        participant = self._next_member()
        role = self.run.member_role
        event = _models.joined(f"join-{participant}", at, participant, role, inviter)
        self._engage(second, participant, guide=False, may_churn=True)
        return event

    def _next_member(self) -> str:
        self.participants += 1
        self.members += 1
        return f"p{self.members}"

    def _engage(self, second: int, participant: str, *, guide: bool, may_churn: bool) -> None:
        """Decide a newcomer's future: churn, or invitations, purchases and a gift pack."""
        config, run, rng = self.config, self.run, self.rng
        if may_churn and rng.random() < config.churn_share:
            self._push(second + config.churn_days * _DAY, _INACTIVE, participant)
            return
        window = config.invitation_days * _DAY
        count = run.guide_invitations(rng) if guide else run.invitations(rng)
        for _ in range(count):
            self._push(second + 1 + _below(rng, window), _INVITE, participant)
        if guide:
            return
        rate = run.orders_per_month(rng)
        if rate:
            per_second = rate / _MONTH  # float-ok: a rate of arrivals, not money
            self._push(
                second + 1 + int(rng.expovariate(per_second)), _ORDER, participant, per_second
            )
        if run.gift_pack is not None and rng.random() < config.maker_share:
            self._push(second + 1 + _below(rng, config.maker_days * _DAY), _GIFT, participant)

    def _team(self, second: int, at: datetime, number: int) -> Iterator[Event]:
        """A mature team arrives: its tree joins, then its root moves under a guide."""
        rng, run = self.rng, self.run
        size = min(run.team_size(rng), self.config.participants_max - self.participants)
        if size < 1:
            return
        team: list[str] = []
        for index in range(size):
            participant = self._next_member()
            inviter = team[_below(rng, len(team))] if team else None
            yield ParticipantJoined(
                event_id=f"join-{participant}",
                at=at,
                participant=participant,
                role=run.team_role if index == 0 else run.member_role,
                inviter=inviter,
            )
            team.append(participant)
        yield TeamTransplanted(
            event_id=f"transplant-{number}",
            at=at,
            team_root=team[0],
            upline=self.guides[_below(rng, len(self.guides))],
        )
        for participant in team:
            self._engage(second, participant, guide=False, may_churn=False)

    # ------------------------------------------------------------------ orders

    def _order(
        self,
        second: int,
        at: datetime,
        buyer: str,
        per_second: float,  # float-ok: a rate
    ) -> OrderPaid:
        """A purchase: a basket from the catalogue, maybe a coupon; then what follows."""
        rng, run, known = self.rng, self.run, self.items
        self.orders += 1
        order_id = f"o{self.orders}"
        items: list[OrderItem] = []
        goods = 0
        for index in range(1, run.basket_items(rng) + 1):
            product = run.pick_product(rng)
            quantity = run.quantity(rng)
            goods += run.products[product][3] * quantity
            item = known.get((index, product, quantity))  # items are frozen: shared
            items.append(self._item(index, product, quantity) if item is None else item)
        coupons = ZERO
        if run.coupons and rng.random() < self.config.coupon_share:
            for spend, amount in run.coupons:
                if goods >= spend:
                    coupons = amount
                    break
        event = _models.paid(
            f"pay-{order_id}", at, order_id, buyer, run.currency, tuple(items), coupons
        )
        self._after_payment(second, order_id, items)
        # The next purchase: rng.expovariate(per_second) inlined, the very same draw.
        wait = int(-log(1.0 - rng.random()) / per_second)  # float-ok: a wait, not money
        self._push(second + 1 + wait, _ORDER, buyer, per_second)
        return event

    def _gift_pack(self, second: int, at: datetime, buyer: str) -> OrderPaid:
        """A member buys the gift pack; the book makes them a maker from then on."""
        run = self.run
        assert run.gift_pack is not None  # _GIFT is scheduled only with a gift pack
        self.orders += 1
        order_id = f"o{self.orders}"
        event = _models.paid(
            f"pay-{order_id}", at, order_id, buyer, run.currency, (run.gift_pack,), ZERO
        )
        self._complete(second, order_id)
        return event

    def _item(self, index: int, product: int, quantity: int) -> OrderItem:
        """A validated item for a new line, kept: orders with the same line share it."""
        sku, price, category, _ = self.run.products[product]
        item = OrderItem(
            item_id=str(index), sku=sku, category=category, quantity=quantity, unit_price=price
        )
        self.items[index, product, quantity] = item
        return item

    def _after_payment(self, second: int, order_id: str, items: list[OrderItem]) -> None:
        """Cancelled before delivery, or completed and maybe refunded afterwards."""
        rng, config = self.rng, self.config
        if rng.random() < config.cancel_share:
            self._push(second + 60 + _below(rng, _DAY), _CANCEL, order_id)
            return
        completed = self._complete(second, order_id)
        if rng.random() < config.refund_share:
            later = completed + 1 + _below(rng, config.refund_days * _DAY)
            if later < self.end:
                self._push(later, _REFUND, order_id, self._refunded_items(items))

    def _complete(self, second: int, order_id: str) -> int:
        """Schedule the order's completion after delivery; return its second."""
        rng = self.rng
        days = self.run.delivery_days(rng)
        # float-ok: _below(rng, 3_600) inlined, a uniform draw of a second, not money.
        completed = second + days * _DAY + 1 + int(rng.random() * 3_600)
        self._push(completed, _COMPLETE, order_id)
        return completed

    def _refunded_items(self, items: list[OrderItem]) -> tuple[RefundedItem, ...]:
        """Every unit back, or some units of one item when the order has more than one."""
        rng = self.rng
        several = len(items) > 1 or items[0].quantity > 1
        if not several or rng.random() < self.config.full_refund_share:
            return tuple(self._refunded(item.item_id, item.quantity) for item in items)
        item = items[_below(rng, len(items))]
        quantity = item.quantity if item.quantity == 1 else 1 + _below(rng, item.quantity - 1)
        return (self._refunded(item.item_id, quantity),)

    def _refunded(self, item_id: str, quantity: int) -> RefundedItem:
        key = (item_id, quantity)
        refunded = self.refunded.get(key)
        if refunded is None:
            refunded = RefundedItem(item_id=item_id, quantity=quantity)
            self.refunded[key] = refunded
        return refunded


def _below(rng: random.Random, count: int) -> int:
    """A whole number in ``0..count - 1``, uniformly (``randrange`` is several times slower)."""
    return int(rng.random() * count)  # float-ok: a uniform draw of a count, not money
