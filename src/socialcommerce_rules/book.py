"""The book: a shop's event stream in, an append-only balanced ledger out.

A :class:`Book` applies events one at a time (or in batches) to a referral graph
and a set of orders, and records one balanced :class:`~socialcommerce_rules.ledger.Entry`
per commission movement.  It is idempotent by ``event_id``: the same event again
returns the first outcome and changes nothing; the same id with other content is
refused, naming the first differing field.  An event whose prerequisite has not
arrived (a refund before its payment, an order from someone who has not joined)
is refused with :class:`~socialcommerce_rules.errors.EventNotReadyError` and
changes nothing; delivered again after the prerequisite, it gives the same result
as in order.

Refunds recompute the plan on what the buyer keeps - cumulatively, against the
chain, roles and plan version frozen at payment - and post the difference, so
partial refunds add up whatever their path and a full refund nets every
beneficiary to exactly zero.  Money already settled is clawed back all the same;
an available balance may go negative.

The book keeps its state in memory and its event log for replay; persistence
belongs to a store around it.
"""

from __future__ import annotations

import bisect
import hashlib
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from contextlib import AbstractContextManager, nullcontext
from datetime import datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from types import MappingProxyType
from typing import Any, Literal, NamedTuple, Protocol, cast

from ._compiled import compiled
from ._time import EPOCH, format_instant, to_instant
from .engine import (
    Evaluation,
    InviteAward,
    PayoutLine,
    _evaluate,
    _Frozen,
    _reevaluate,
    evaluate_invite,
)
from .errors import (
    EventConflictError,
    EventError,
    EventNotReadyError,
    GraphError,
    LimitError,
    NoPlanInForceError,
    OrderError,
    SocialCommerceError,
    StoreError,
    UnknownParticipantError,
)
from .events import (
    BindingChanged,
    Event,
    GuideLeft,
    OrderCancelled,
    OrderCompleted,
    OrderPaid,
    OrderRefunded,
    ParticipantJoined,
    ParticipantStatusChanged,
    PayoutMade,
    RoleChanged,
    SettlementRun,
    TeamTransplanted,
    event_to_dict,
    event_to_json,
)
from .graph import ReferralGraph
from .ledger import (
    AVAILABLE,
    COMMISSION,
    HELD,
    MERCHANT,
    PAID_OUT,
    PENDING,
    POINTS,
    Balance,
    Entry,
    Posting,
    balances,
    check_entry,
)
from .limits import EVENTS_PER_BATCH_MAX
from .money import EXACT_CONTEXT, ZERO
from .orders import Order, OrderItem
from .plan import Plan, PlanSet

__all__ = ["Book", "Outcome", "Store"]

_DAY = timedelta(days=1)
_MICROSECOND = timedelta(microseconds=1)
_new = tuple.__new__  # builds a NamedTuple from a tuple without its Python-level __new__
_ORDER_KINDS_OUTSIDE_AVAILABLE = frozenset({"accrual", "hold"})
_KINDS_WITHOUT_ORDER = frozenset({"invite", "payout"})  # entries no order's state holds
_NOTHING: Mapping[Any, Any] = MappingProxyType({})  # shared by the orders with nothing there
_TWO_DIGITS = tuple(f"{number:02d}" for number in range(60))  # "00" to "59"


class Store(Protocol):
    """Where a book keeps its events and entries (see ``socialcommerce_rules.store``).

    A book replays ``load()`` when it opens, checks that the entries it computes
    are those stored, and ``append``s each applied event with its entries.
    """

    def load(self) -> Iterable[tuple[Event, tuple[Entry, ...]]]:
        """Every stored event with its entries, in the order applied."""
        ...

    def append(
        self,
        event: Event,
        entries: tuple[Entry, ...],
        *,
        canonical: str | None = None,
    ) -> None:
        """Record an applied event and its entries (inside ``transaction()``);
        ``canonical`` is the event's canonical JSON text
        (:func:`~socialcommerce_rules.events.event_to_json`), when the caller has it."""
        ...

    def transaction(self) -> AbstractContextManager[None]:
        """A context in which appends commit together, or not at all on error."""
        ...


class Outcome(NamedTuple):
    """What applying one event did.

    Attributes:
        event_id: the event.
        status: ``"applied"``, ``"duplicate"`` (seen before with the same
            content: nothing changed, this is the first outcome again) or
            ``"unchanged"`` (valid, but nothing to record, e.g. a share click
            under a permanent binding).
        entries: the ledger entries the event recorded.
        message: one sentence saying what happened.
        evaluation: for an ``order_paid`` event, the order's evaluation.
        award: for a ``participant_joined`` event with an inviter, the invite
            points the plan awards for it (its lines may be empty).

    Like ``evaluation``, ``award`` is given when the event is applied, not when
    a redelivery returns the first outcome again.
    """

    event_id: str
    status: Literal["applied", "duplicate", "unchanged"]
    entries: tuple[Entry, ...]
    message: str
    evaluation: Evaluation | None = None
    award: InviteAward | None = None


_LineKey = tuple[str, str | None, str, int]  # rule, item, beneficiary, level


class _KeptItem(NamedTuple):
    """An :class:`~socialcommerce_rules.orders.OrderItem`'s fields, as a plain tuple."""

    item_id: str
    sku: str
    category: str
    quantity: int
    unit_price: Decimal
    discount: Decimal


class _KeptOrder(NamedTuple):
    """A paid :class:`~socialcommerce_rules.orders.Order`'s fields, as plain tuples.

    What a book with a store keeps of an order for later events (the event itself
    is in the store): under a third of the memory of the validated models, whose
    instances each carry a dict and a set of the fields set."""

    order_id: str
    buyer: str
    paid_at: datetime
    currency: str
    items: tuple[_KeptItem, ...]
    coupons: Decimal
    vouchers: Decimal
    points_redemption: Decimal
    shipping: Decimal


def _kept(order: Order) -> _KeptOrder:
    """What the book keeps of a paid order."""
    return _new(
        _KeptOrder,
        (
            order.order_id,
            order.buyer,
            order.paid_at,
            order.currency,
            tuple(
                [
                    _new(
                        _KeptItem,
                        (
                            item.item_id,
                            item.sku,
                            item.category,
                            item.quantity,
                            item.unit_price,
                            item.discount,
                        ),
                    )
                    for item in order.items
                ]
            ),
            order.coupons,
            order.vouchers,
            order.points_redemption,
            order.shipping,
        ),
    )


class _OrderState:
    """An order's lifecycle: where its money sits and what each line still holds."""

    __slots__ = (
        "closed",
        "frozen",
        "items_q",
        "lines",
        "order",
        "packs",
        "paid_event",
        "plan",
        "refunded_amount_q",
        "refunded_quantity",
        "release_at",
        "state",
        "upgrade",
    )

    def __init__(
        self,
        order: Order | _KeptOrder,
        plan: Plan,
        paid_event: str,
        frozen: _Frozen,
        items_q: list[int],
    ) -> None:
        self.order = order
        self.plan = plan
        self.paid_event = paid_event
        self.frozen = frozen  # plan version, chain and roles as they stood at payment
        self.items_q = items_q  # each item's base at payment, in quanta
        # Each line: what it holds now, its unit, the position of its accrual entry in
        # the payment's entries, and what the payment credited.
        self.lines: dict[_LineKey, tuple[Decimal, str, int, Decimal]] = {}
        self.state = PENDING
        self.release_at: int | None = None
        self.refunded_quantity: Mapping[str, int] = _NOTHING  # replaced, never changed
        self.refunded_amount_q = 0
        self.closed = False
        # A gift pack's upgrade of the buyer: (role before, role after, the pack SKUs).
        self.upgrade: tuple[str, str, frozenset[str]] | None = None
        # The roles the gift packs bought in this order give, with their SKUs.
        self.packs: Mapping[str, frozenset[str]] = _NOTHING  # replaced, never changed


class Book:
    """Applies a shop's events and keeps the ledger, idempotently and exactly.

    Args:
        plans: the plan, or the set of its versions.
        roles: the roles participants may hold (defaults to the plan's roles).
        store: where events and entries are kept (see ``socialcommerce_rules.store``);
            without one, the book keeps them in memory.
        history: without a store, whether to keep the events and entries at all.
            ``False`` is for analysis of long streams (simulations, metrics): the
            book keeps only what later events need and running balances, so
            ``events``, ``entries`` and ``balances(as_of=...)`` are not available,
            atomic batches are refused, a redelivered event is answered with status
            ``"duplicate"`` but not its first outcome's entries and message, and a
            conflicting redelivery (same id, another event) is refused without
            naming the field that differs.
        entries: whether outcomes carry the ledger entries the event posts.
            ``False`` needs ``history=False``: the book keeps its balances and each
            order's lines as always, but builds no entries at all, and every
            outcome carries ``entries=()`` (its status, message and evaluation are
            as always).  For measuring long streams, where only the balances, the
            order lines and the evaluations count (``metrics.measure``).

    >>> from socialcommerce_rules import load_plan
    >>> from socialcommerce_rules.events import event_from_mapping as e
    >>> book = Book(load_plan("examples/article_scheme.toml"))
    >>> at = "2026-01-05T09:00:00+08:00"
    >>> _ = book.apply(e({"type": "participant_joined", "event_id": "j1", "at": at,
    ...     "participant": "guide-li", "role": "guide", "store": "store-1"}))
    >>> _ = book.apply(e({"type": "participant_joined", "event_id": "j2", "at": at,
    ...     "participant": "zhao", "role": "member", "inviter": "guide-li"}))
    >>> paid = "2026-01-06T20:00:00+08:00"
    >>> outcome = book.apply(e({"type": "order_paid", "event_id": "p1", "at": paid,
    ...     "order": {"order_id": "o1", "buyer": "zhao", "paid_at": paid, "currency": "CNY",
    ...               "items": [{"item_id": "1", "sku": "TEA", "unit_price": "100.00"}]}}))
    >>> [(b.holder, b.state, str(b.amount)) for b in book.balances() if b.unit == "CNY"]
    [('guide-li', 'pending', '8.00'), ('merchant', 'commission', '-8.00')]
    """

    def __init__(
        self,
        plans: Plan | PlanSet,
        *,
        roles: Iterable[str] | None = None,
        store: Store | None = None,
        history: bool = True,
        entries: bool = True,
    ) -> None:
        if store is not None and not history:
            raise ValueError("a book with a store keeps its history there: history=False")
        if history and not entries:
            raise ValueError("a book that keeps its history keeps its entries: entries=False")
        self._plans = plans
        self._roles = None if roles is None else tuple(roles)
        self._store = store
        self._history = history
        # Without entries: the events change the balances directly.
        self._lean = not entries
        # Without history: the balances no order holds (invites, payouts), by
        # (holder, unit, state); what orders hold is summed from their states.
        self._totals: dict[tuple[str, str, str], Decimal] | None = None if history else {}
        plan_roles = {name for plan in _versions(plans) for name in plan.role_names}
        self._graph = ReferralGraph(roles=plan_roles if roles is None else roles)
        self._orders: dict[str, _OrderState] = {}
        # event id -> (digest, event, first outcome without the evaluation), in the
        # order applied.  Without a store: no digest, the event itself.  With a store:
        # a digest of the event's canonical JSON, no event, and an outcome without
        # entries; the event and its entries are read back from the store when needed,
        # so that memory holds little more than the graph and the orders' states.
        self._seen: dict[str, tuple[bytes | None, Event | None, Outcome]] = {}
        self._fingerprints: dict[str, int] = {}  # without history: see _fingerprint
        self._entries: list[Entry] = []  # without a store only
        self._held: list[tuple[int, str]] = []  # (release instant, order id), sorted
        self._ordered: set[str] = set()  # participants who have paid an order
        self._available: dict[tuple[str, str], Decimal] = {}  # (holder, unit) -> available
        self._pack_orders: dict[str, list[str]] = {}  # buyer -> orders with gift packs
        self._day_texts: dict[int, str] = {}  # day since the epoch -> its ISO 8601 date
        if store is not None:
            self._open(store)

    def _open(self, store: Store) -> None:
        """Replay the store's events; refuse it if the entries differ from the stored."""
        from .errors import StoreCorruptError

        for event, stored in store.load():
            try:
                outcome = self._apply_in_memory(event)
            except SocialCommerceError as error:
                raise StoreCorruptError(
                    "store-corrupt",
                    f"a stored event is refused on replay: {error}",
                    event_id=event.event_id,
                ) from None
            if outcome.entries != stored:
                raise StoreCorruptError(
                    "store-corrupt",
                    "the stored entries differ from those the events give",
                    event_id=event.event_id,
                )

    # ------------------------------------------------------------------ reading

    @property
    def graph(self) -> ReferralGraph:
        """The referral graph as recorded so far (read it; change it with events)."""
        return self._graph

    @property
    def entries(self) -> tuple[Entry, ...]:
        """Every ledger entry, in the order recorded (read from the store, if any).

        Raises:
            ValueError: the book keeps no history.
        """
        if self._store is None:
            self._require_history("entries")
            return tuple(self._entries)
        return tuple(entry for _, entries in self._store.load() for entry in entries)

    @property
    def events(self) -> tuple[Event, ...]:
        """Every event applied (duplicates and refused events excluded), in order
        (read from the store, if any).

        Raises:
            ValueError: the book keeps no history.
        """
        if self._store is None:
            self._require_history("events")
            return tuple(event for _, event, _ in self._seen.values() if event is not None)
        return tuple(event for event, _ in self._store.load())

    def balances(self, *, as_of: datetime | None = None) -> list[Balance]:
        """Balances per holder, unit and state, as of ``as_of`` (default: all).

        Zero balances are left out; sorted by holder, unit and state.

        Raises:
            ValueError: ``as_of`` given to a book that keeps no history.
        """
        if self._totals is not None:
            if as_of is not None:
                self._require_history("balances as of a time")
            return self._balances_from_states(self._totals)
        return balances(self.entries, as_of=as_of)

    def _balances_from_states(self, others: dict[tuple[str, str, str], Decimal]) -> list[Balance]:
        """The balances, summed from what each order's lines hold now and in which state
        (all of an order's money moves together), plus ``others`` (invites, payouts)."""
        add = EXACT_CONTEXT.add
        totals = dict(others)
        for state in self._orders.values():
            where = state.state
            for (_, _, beneficiary, _), (amount, unit, _, _) in state.lines.items():
                if not amount:
                    continue
                key = (beneficiary, unit, where)
                totals[key] = add(totals.get(key, ZERO), amount)
                key = (MERCHANT, unit, _merchant_state(unit))
                totals[key] = add(totals.get(key, ZERO), amount.copy_negate())
        return [
            Balance(holder, unit, state, amount)
            for (holder, unit, state), amount in sorted(totals.items())
            if amount
        ]

    def _require_history(self, what: str) -> None:
        if not self._history:
            raise ValueError(f"{what}: this book keeps no history (history=False)")

    def order_lines(self, order_id: str) -> dict[tuple[str, str | None, str, int], Decimal]:
        """What each line of an order holds now: (rule, item, beneficiary, level) -> amount.

        Raises:
            LookupError: the order is unknown.
        """
        state = self._orders.get(order_id)
        if state is None:
            raise LookupError(f"no order {order_id!r}")
        return {key: line[0] for key, line in state.lines.items()}

    # ------------------------------------------------------------------ writing

    def apply(self, event: Event) -> Outcome:
        """Apply one event, completely or not at all.

        Returns:
            The outcome; for an event seen before with the same content, the
            first outcome with status ``"duplicate"``.

        Raises:
            EventConflictError: the event id was seen with different content.
            EventNotReadyError: a prerequisite is missing; deliver it again later.
            EventError, GraphError, OrderError: the event is refused.
        """
        event_id = event.event_id
        seen = self._seen.get(event_id)
        if seen is not None:
            return self._duplicate(event, *seen)
        fingerprints = self._fingerprints
        fingerprint = fingerprints.get(event_id)
        if fingerprint is not None:
            if fingerprint != _fingerprint(event) or not self._same_order(event):
                raise EventConflictError(
                    "event-conflict",
                    "this event id was applied before with different content",
                    event_id=event_id,
                )
            return Outcome(event_id, "duplicate", (), "Applied before; nothing changed.")
        if self._store is None:
            return self._apply_in_memory(event)
        canonical = event_to_json(event)
        try:
            with self._transaction():
                outcome = self._apply_in_memory(event, canonical)
                self._store.append(event, outcome.entries, canonical=canonical)
        except StoreError:
            self._reload()  # the store lost the write: memory follows what it holds
            raise
        except SocialCommerceError:
            raise
        except Exception:
            # The store refused the write: forget what memory did and reload.
            self._reload()
            raise
        return outcome

    def _same_order(self, event: Event) -> bool:
        """Without history, for an event whose fingerprint is that of the first with its
        id: whether it also pays the same order (a payment's fingerprint leaves out its
        order, which the book keeps)."""
        if type(event) is not OrderPaid:
            return True
        state = self._orders.get(event.order.order_id)
        if state is None:
            return False
        kept = state.order
        return kept == (_kept(event.order) if isinstance(kept, _KeptOrder) else event.order)

    def _duplicate(
        self, event: Event, digest: bytes | None, first: Event | None, outcome: Outcome
    ) -> Outcome:
        """The first outcome again, if ``event`` has the content of the first with its id."""
        canonical = event_to_json(event)
        stored = None
        if first is None and self._store is not None:  # the first event is in the store
            stored = self._stored(event.event_id)
            if stored is not None:
                first = stored[0]
                outcome = outcome._replace(entries=stored[1])
        # The same content: the same canonical text, or equal values written another
        # way ("100" for "100.00", another zone for the same instant).
        if digest is None:  # without a store: the first event is kept as it came
            assert first is not None
            same = first == event
        else:
            same = digest == _digest(canonical) or (first is not None and first == event)
        if not same:
            raise EventConflictError(
                "event-conflict",
                "this event id was applied before with different content",
                path=""
                if first is None
                else _first_difference(event_to_dict(first), json.loads(canonical)),
                event_id=event.event_id,
            )
        return outcome._replace(status="duplicate")

    def _apply_in_memory(self, event: Event, canonical: str | None = None) -> Outcome:
        outcome = self._dispatch(event)
        if self._lean:
            # No entries: the event changed the balances itself.
            self._fingerprints[event.event_id] = _fingerprint(event)
            return outcome
        available, totals, add = self._available, self._totals, EXACT_CONTEXT.add
        for entry in outcome.entries:
            check_entry(entry)
            kind = entry.kind
            if kind in _ORDER_KINDS_OUTSIDE_AVAILABLE:
                continue  # an accrual or a hold moves no available money
            unit = entry.unit
            for holder, state, amount in entry.postings:
                if state == AVAILABLE:
                    key = (holder, unit)
                    available[key] = add(available.get(key, ZERO), amount)
                if totals is not None and kind in _KINDS_WITHOUT_ORDER:
                    total_key = (holder, unit, state)
                    totals[total_key] = add(totals.get(total_key, ZERO), amount)
        if totals is not None:
            # No history: the event's hash tells a redelivery (an equal event) from a
            # conflict; nothing else is kept.
            self._fingerprints[event.event_id] = _fingerprint(event)
        elif self._store is None:
            # The event itself is kept: a redelivery is compared with it then.
            self._entries.extend(outcome.entries)
            kept = (
                outcome
                if outcome.evaluation is None and outcome.award is None
                else outcome._replace(evaluation=None, award=None)
            )
            self._seen[event.event_id] = (None, event, kept)
        else:
            # Only a fingerprint is kept; the event and its entries are in the store.
            if canonical is None:
                canonical = event_to_json(event)
            kept = Outcome(outcome.event_id, outcome.status, (), outcome.message)
            self._seen[event.event_id] = (_digest(canonical), None, kept)
        return outcome

    def _stored(self, event_id: str) -> tuple[Event, tuple[Entry, ...]] | None:
        """An applied event and its entries, from the store."""
        store = self._store
        assert store is not None
        find = getattr(store, "find", None)
        if find is not None:
            found: tuple[Event, tuple[Entry, ...]] | None = find(event_id)
            return found
        for event, entries in store.load():  # a store without find(): read it through
            if event.event_id == event_id:
                return event, entries
        return None

    def _transaction(self) -> AbstractContextManager[None]:
        return nullcontext() if self._store is None else self._store.transaction()

    def _reload(self) -> None:
        store = self._store
        self.__init__(self._plans, roles=self._roles, store=store)  # type: ignore[misc]

    def apply_batch(
        self, events: Sequence[Event], *, atomic: bool = True
    ) -> list[Outcome | SocialCommerceError]:
        """Apply events in the given order.

        Args:
            events: at most EVENTS_PER_BATCH_MAX events.
            atomic: if true, the first refused event raises and the book is left
                exactly as before the batch; if false, each refused event's error
                takes its place in the result and the others are applied.

        Returns:
            One outcome (or, non-atomic, error) per event, in order.

        Raises:
            ValueError: an atomic batch given to a book that keeps no history
                (it could not be undone).
        """
        if len(events) > EVENTS_PER_BATCH_MAX:
            raise LimitError("limit-batch", f"{len(events)} events exceed EVENTS_PER_BATCH_MAX")
        if atomic:
            self._require_history("an atomic batch")
        if not atomic:
            results: list[Outcome | SocialCommerceError] = []
            for event in events:
                try:
                    results.append(self.apply(event))
                except SocialCommerceError as error:
                    results.append(error)
            return results
        replay = [event for _, event, _ in self._seen.values() if event is not None]
        applied: list[Outcome | SocialCommerceError] = []
        try:
            with self._transaction():
                store, self._store = self._store, None
                try:
                    for event in events:
                        outcome = self.apply(event)
                        applied.append(outcome)
                        if store is not None and outcome.status != "duplicate":
                            store.append(event, outcome.entries)
                finally:
                    self._store = store
            return applied
        except Exception:
            # Nothing of the batch stays: rebuild the state before it.
            if self._store is not None:
                self._reload()
            else:
                self.__init__(self._plans, roles=self._roles)  # type: ignore[misc]
                for event in replay:
                    self._apply_in_memory(event)
            raise

    # ------------------------------------------------------------------ events

    def _dispatch(self, event: Event) -> Outcome:
        try:
            # By the event's type: a failing isinstance test on a model class costs
            # more than the lookup, and most events would fail several.
            handle = _HANDLERS.get(type(event))
            if handle is None:  # a subclass of an event type
                handle = next(
                    (found for kind, found in _HANDLERS.items() if isinstance(event, kind)),
                    Book._graph_change,
                )
            return handle(self, event)
        except (UnknownParticipantError, NoPlanInForceError) as error:
            # A participant or plan version that has not arrived yet: retriable.
            raise EventNotReadyError(
                "event-not-ready", error.message, path=error.path, event_id=event.event_id
            ) from None
        except (GraphError, OrderError) as error:
            raise type(error)(
                error.code, error.message, path=error.path, event_id=event.event_id
            ) from None

    def _joined(self, event: ParticipantJoined) -> Outcome:
        self._graph.join(
            event.participant,
            at=event.at,
            role=event.role,
            inviter=event.inviter,
            store=event.store,
        )
        entries: list[Entry] = []
        award: InviteAward | None = None
        if event.inviter is not None:
            try:
                award = evaluate_invite(self._plans, self._graph, event.participant)
            except NoPlanInForceError:
                award = None
            if award is not None and self._lean:
                for line in award.lines:
                    # What the entry below posts: available at once.
                    self._credit_available(line.beneficiary, POINTS, line.amount)
                    self._add_total(line.beneficiary, POINTS, AVAILABLE, line.amount)
                    self._add_total(MERCHANT, POINTS, POINTS, _negate(line.amount))
            elif award is not None:
                for line in award.lines:
                    entries.append(
                        self._entry(
                            event,
                            len(entries),
                            None,
                            "invite",
                            POINTS,
                            [
                                # Nothing can take an invite back: available at once.
                                Posting(line.beneficiary, AVAILABLE, line.amount),
                                Posting(MERCHANT, POINTS, _negate(line.amount)),
                            ],
                            (),
                            line.reason,
                        )
                    )
        message = f"{event.participant} joined as {event.role}."
        return _new(Outcome, (event.event_id, "applied", tuple(entries), message, None, award))

    def _graph_change(self, event: Event) -> Outcome:
        graph = self._graph
        if isinstance(event, RoleChanged):
            graph.change_role(event.participant, event.role, at=event.at)
            message = f"{event.participant} holds the role {event.role}."
        elif isinstance(event, ParticipantStatusChanged):
            graph.set_active(event.participant, event.active, at=event.at)
            message = f"{event.participant} is {'active' if event.active else 'inactive'}."
        elif isinstance(event, BindingChanged):
            return self._binding(event)
        elif isinstance(event, GuideLeft):
            moved = graph.guide_leaves(event.guide, at=event.at, successor=event.successor)
            message = f"{event.guide} left; {len(moved)} moved to {event.successor}."
        elif isinstance(event, TeamTransplanted):
            graph.transplant(event.team_root, event.upline, at=event.at)
            message = f"{event.team_root}'s team moved under {event.upline}."
        else:  # pragma: no cover - every event type is dispatched above
            raise EventError("event-invalid", "unknown event type", event_id=event.event_id)
        return Outcome(event.event_id, "applied", (), message)

    def _binding(self, event: BindingChanged) -> Outcome:
        graph = self._graph
        if event.cause == "rebind":
            graph.rebind(event.participant, event.upline, at=event.at)
            return Outcome(
                event.event_id, "applied", (), f"{event.participant} is bound to {event.upline}."
            )
        reason = self._share_click_refusal(event)
        if reason:
            return Outcome(event.event_id, "unchanged", (), reason)
        try:
            graph.rebind(event.participant, event.upline, at=event.at)
        except GraphError as error:
            if error.code in ("graph-cycle", "graph-self-binding"):
                return Outcome(event.event_id, "unchanged", (), f"Binding kept: {error}.")
            raise
        return Outcome(
            event.event_id,
            "applied",
            (),
            f"{event.participant} is bound to {event.upline} by a shared link.",
        )

    def _share_click_refusal(self, event: BindingChanged) -> str:
        """Why a share click leaves the binding as it is, or "" if it moves it."""
        plan = _plan_at(self._plans, event.at)
        current = self._graph.upline(event.participant, at=event.at)
        if current is None or current == event.upline:
            return "" if current is None else "Binding kept: already bound to this upline."
        binding = plan.binding
        if binding.applies_to == "new" and event.participant in self._ordered:
            return "Binding kept: the plan moves bindings of new participants only."
        if binding.policy == "permanent":
            return "Binding kept: the plan's bindings are permanent."
        if binding.policy == "window":
            since = _bound_since(self._graph, event.participant, to_instant(event.at))
            if to_instant(event.at) - since < binding.window_days * 86_400_000_000:
                return f"Binding kept: within the {binding.window_days}-day protection window."
        return ""

    def _order_paid(self, event: OrderPaid) -> Outcome:
        order = event.order
        order_id = order.order_id
        if order_id in self._orders:
            raise EventError(
                "event-order-already-paid",
                f"order {order_id!r} was paid by event {self._orders[order_id].paid_event!r}",
                path="order.order_id",
                event_id=event.event_id,
            )
        sharer = event.sharer if event.credit == "sharer" else None
        evaluation, frozen, items_q = _evaluate(self._plans, self._graph, order, sharer)
        plan = _plan_at(self._plans, order.paid_at)
        event_id = event.event_id
        # With a store, the event is not kept: a compact copy of its order is.
        kept = order if self._store is None else _kept(order)
        state = _OrderState(kept, plan, event_id, frozen, items_q)
        lines = state.lines
        payout_lines = evaluation.lines
        for index, line in enumerate(payout_lines):
            amount = line.amount
            lines[(line.rule_id, line.item_id, line.beneficiary, line.level)] = (
                amount,
                line.unit,
                index,
                amount,
            )
        entries = () if self._lean else _accruals(event, order_id, payout_lines)
        c = frozen.plan
        gift_packs = c.gift_packs
        for item in order.items if gift_packs else ():
            if item.sku in gift_packs:
                self._pack_orders.setdefault(order.buyer, []).append(order_id)
                packs = {
                    c.role_names[gift_packs[bought.sku]]: bought.sku
                    for bought in order.items
                    if bought.sku in gift_packs
                }
                state.packs = {
                    role: frozenset(
                        sku for sku, pack in gift_packs.items() if c.role_names[pack] == role
                    )
                    for role in packs
                }
                break
        if evaluation.effects:
            self._graph.apply(evaluation.effects)
            role = evaluation.effects[0].role
            state.upgrade = (c.role_names[frozen.pattern.roles[0]], role, state.packs[role])
        self._orders[order_id] = state
        self._ordered.add(order.buyer)
        message = (
            # !s: str() of a Decimal, the text format() gives, at a fraction of the cost
            f"Order {order_id} paid: {evaluation.paid!s} {evaluation.currency} "
            f"in {len(payout_lines)} lines, pending."
        )
        return _new(Outcome, (event_id, "applied", entries, message, evaluation, None))

    def _order(self, event: OrderCompleted | OrderRefunded | OrderCancelled) -> _OrderState:
        state = self._orders.get(event.order_id)
        if state is None:
            raise EventNotReadyError(
                "event-not-ready",
                f"order {event.order_id!r} has not been paid yet",
                path="order_id",
                event_id=event.event_id,
            )
        if state.closed:
            raise EventError(
                "event-order-closed",
                f"order {event.order_id!r} is cancelled or fully refunded",
                path="order_id",
                event_id=event.event_id,
            )
        return state

    def _order_completed(self, event: OrderCompleted) -> Outcome:
        state = self._order(event)
        if state.state != PENDING:
            raise EventError(
                "event-order-state",
                f"order {event.order_id!r} was completed already",
                path="order_id",
                event_id=event.event_id,
            )
        entries = (
            ()  # pending and held are summed from the orders' states: nothing to post
            if self._lean
            else tuple(
                self._move(
                    event,
                    state,
                    PENDING,
                    HELD,
                    "hold",
                    "completed; held for the after-sales window",
                )
            )
        )
        state.state = HELD
        at = event.at
        # An event's time is validated aware; to_instant's checks are not repeated.
        instant = (at - EPOCH) // _MICROSECOND if at.tzinfo else to_instant(at)
        release = instant + state.plan.after_sales_days * 86_400_000_000
        state.release_at = release
        held, entry = self._held, (release, event.order_id)
        if not held or held[-1] <= entry:
            held.append(entry)  # the usual case: released after every order held before
        else:
            bisect.insort(held, entry)
        message = f"Order {event.order_id} completed; held until {self._instant_text(release)}."
        return _new(Outcome, (event.event_id, "applied", entries, message, None, None))

    def _settlement(self, event: SettlementRun) -> Outcome:
        instant = to_instant(event.at)
        due = bisect.bisect_right(self._held, (instant, "\U0010ffff"))
        entries: list[Entry] = []
        released = []
        for _, order_id in self._held[:due]:
            state = self._orders[order_id]
            if state.state != HELD:
                continue
            state.state = AVAILABLE
            if self._lean:
                if self._release(state):
                    released.append(order_id)
                continue
            moved = self._move(
                event, state, HELD, AVAILABLE, "release", "settled", first=len(entries)
            )
            if moved:  # an order refunded to nothing releases nothing
                entries += moved
                released.append(order_id)
        del self._held[:due]
        return Outcome(
            event.event_id,
            "applied",
            tuple(entries),
            f"Released the money of {len(released)} order{'' if len(released) == 1 else 's'} "
            f"as of {format_instant(instant)}.",
        )

    def _payout(self, event: PayoutMade) -> Outcome:
        participant = event.participant
        if participant not in self._graph:
            raise UnknownParticipantError(
                "graph-unknown-participant",
                f"{participant!r} has not joined yet",
                path="participant",
                event_id=event.event_id,
            )
        unit, amount = event.unit, event.amount
        if unit == POINTS:
            places = 0
        else:
            c = compiled(_plan_at(self._plans, event.at))
            if unit is None:
                unit = c.currency
            elif unit != c.currency:
                raise EventError(
                    "event-invalid",
                    f"{unit!r} is neither the plan's currency {c.currency} nor points",
                    path="unit",
                    event_id=event.event_id,
                )
            places = c.places
        scaled = amount.scaleb(places, EXACT_CONTEXT)
        if not scaled or scaled != scaled.to_integral_value(context=EXACT_CONTEXT):
            raise EventError(
                "event-invalid",
                f"{amount} is not a positive multiple of the {unit} quantum",
                path="amount",
                event_id=event.event_id,
            )
        amount = Decimal(int(scaled)).scaleb(-places, EXACT_CONTEXT)
        available = self._available.get((participant, unit), ZERO)
        if amount > available:
            raise EventError(
                "event-payout-exceeds-available",
                f"{amount} {unit} is more than {participant}'s available balance of "
                f"{available} {unit}",
                path="amount",
                event_id=event.event_id,
            )
        if self._lean:
            self._credit_available(participant, unit, _negate(amount))
            self._add_total(participant, unit, AVAILABLE, _negate(amount))
            self._add_total(participant, unit, PAID_OUT, amount)
            return Outcome(event.event_id, "applied", (), f"{participant} paid {amount} {unit}.")
        entry = self._entry(
            event,
            0,
            None,
            "payout",
            unit,
            [
                Posting(participant, AVAILABLE, _negate(amount)),
                Posting(participant, PAID_OUT, amount),
            ],
            (),
            f"{participant} is paid {amount} {unit} out of their available balance.",
        )
        return Outcome(event.event_id, "applied", (entry,), f"{participant} paid {amount} {unit}.")

    def _order_cancelled(self, event: OrderCancelled) -> Outcome:
        state = self._order(event)
        reverted = self._give_back_upgrade(event, state, None)
        entries = self._recompute(event, state, {}, "cancelled")
        state.closed = True
        return Outcome(
            event.event_id,
            "applied",
            tuple(entries),
            f"Order {event.order_id} cancelled; everything it credited reversed.{reverted}",
        )

    def _give_back_upgrade(
        self, event: Event, state: _OrderState, quantities: dict[str, int] | None
    ) -> str:
        """Undo the role a gift pack gave the buyer once every unit of it is given back
        (``quantities`` refunded per item; None: the whole order), from the event's time
        on, unless the buyer's role has changed since.  Returns a sentence, or ""."""
        upgrade = state.upgrade
        if upgrade is None:
            return ""
        previous, role, skus = upgrade
        if quantities is not None and any(
            item.quantity > quantities.get(item.item_id, 0)
            for item in state.order.items
            if item.sku in skus
        ):
            return ""  # some of the pack is kept
        buyer = state.order.buyer
        for order_id in self._pack_orders.get(buyer, ()):
            other = self._orders[order_id]
            if other is not state and not other.closed and _keeps_pack(other, role):
                # Another pack the buyer keeps gives the same role: it stays, and
                # giving that one back will undo it.
                other.upgrade = (previous, role, other.packs[role])
                state.upgrade = None
                return ""
        upgraded_at = to_instant(state.order.paid_at) + 1  # see engine: 1 µs after payment
        if to_instant(event.at) < upgraded_at:
            # Given back before the upgrade took effect: it never does.
            self._graph._replace_role_change(buyer, previous, upgraded_at)
        elif self._graph.role(buyer, at=event.at) != role:
            return ""  # promoted or demoted since: that change stands
        else:
            self._graph.change_role(buyer, previous, at=event.at)
        state.upgrade = None
        return f" {buyer} is {previous} again: the gift pack that made them {role} was given back."

    def _order_refunded(self, event: OrderRefunded) -> Outcome:
        state = self._order(event)
        quantities = dict(state.refunded_quantity)
        known = {item.item_id: item for item in state.order.items}
        for refunded in event.items:
            item = known.get(refunded.item_id)
            if item is None:
                raise EventError(
                    "event-unknown-item",
                    f"order {event.order_id!r} has no item {refunded.item_id!r}",
                    path="items",
                    event_id=event.event_id,
                )
            quantities[item.item_id] = quantities.get(item.item_id, 0) + refunded.quantity
            if quantities[item.item_id] > item.quantity:
                raise EventError(
                    "event-refund-exceeds-paid",
                    f"refunds of item {item.item_id!r} would add up to "
                    f"{quantities[item.item_id]} units of the {item.quantity} bought",
                    path="items",
                    event_id=event.event_id,
                )
        c = compiled(state.plan)
        amount_q = state.refunded_amount_q
        if event.amount is not None:
            scaled = event.amount.scaleb(c.places, EXACT_CONTEXT)
            if scaled != scaled.to_integral_value(context=EXACT_CONTEXT):
                raise EventError(
                    "event-invalid",
                    f"{event.amount} is finer than the quantum {c.quantum}",
                    path="amount",
                    event_id=event.event_id,
                )
            amount_q += int(scaled)
        every_unit = all(
            quantities.get(item.item_id, 0) == item.quantity for item in state.order.items
        )
        # Money refunded earlier is part of what the buyer gets back when the last
        # units come back: returning every unit is always possible.
        returning_all = every_unit and event.amount is None
        kept_goods = _kept_goods(state, quantities, c.places)
        if not returning_all and amount_q > kept_goods:
            raise EventError(
                "event-refund-exceeds-paid",
                "refunds would add up to more than was paid for the goods",
                path="amount" if event.amount is not None else "items",
                event_id=event.event_id,
            )
        closing = every_unit or bool(amount_q and amount_q >= kept_goods)
        remaining = self._remaining_lines(state, quantities, amount_q, kept_goods)
        reverted = self._give_back_upgrade(event, state, None if closing else quantities)
        entries = self._recompute(event, state, remaining, "refunded")
        state.refunded_quantity = quantities
        state.refunded_amount_q = amount_q
        state.closed = closing
        return Outcome(
            event.event_id,
            "applied",
            tuple(entries),
            f"Order {event.order_id} refunded; lines recomputed on what was kept.{reverted}",
        )

    # ------------------------------------------------------------------ helpers

    def _remaining_lines(
        self, state: _OrderState, quantities: dict[str, int], amount_q: int, kept_goods: Fraction
    ) -> dict[_LineKey, Decimal]:
        """The plan applied to what the buyer keeps (``kept_goods``: what they paid for
        the goods in the units kept), against the chain frozen at payment."""
        c = compiled(state.plan)
        # The share of the goods kept that the refunds by amount leave: (kept - amount)
        # / kept, or all of it; as a numerator and denominator, in whole numbers.
        if kept_goods:
            numerator = kept_goods.numerator - amount_q * kept_goods.denominator
            denominator = kept_goods.numerator
        else:
            numerator = denominator = 1
        order = state.order if isinstance(state.order, _KeptOrder) else _kept(state.order)
        items: list[_KeptItem] = []
        for item, base_q in zip(order.items, state.items_q, strict=True):
            kept = item.quantity - quantities.get(item.item_id, 0)
            if not kept:
                continue
            # The base of the units kept, less their share of the money refunded.
            kept_q = _toward_zero(base_q * kept * numerator, item.quantity * denominator)
            unit_q = max(int(item.unit_price.scaleb(c.places, EXACT_CONTEXT)), -(-kept_q // kept))
            unit_price = EXACT_CONTEXT.multiply(Decimal(unit_q), c.quantum)
            discount = EXACT_CONTEXT.multiply(Decimal(unit_q * kept - kept_q), c.quantum)
            items.append(item._replace(quantity=kept, unit_price=unit_price, discount=discount))
        if not items:
            return {}
        kept_order = order._replace(
            items=tuple(items), coupons=ZERO, vouchers=ZERO, points_redemption=ZERO, shipping=ZERO
        )
        # The engine reads an order's fields only, which a _KeptOrder has, named alike:
        # no need to build the models again.
        evaluation = _reevaluate(state.frozen, cast(Order, kept_order))
        return {_key(line): line.amount for line in evaluation.lines}

    def _recompute(
        self, event: Event, state: _OrderState, remaining: dict[_LineKey, Decimal], why: str
    ) -> list[Entry]:
        """Post, line by line, the difference between what a line holds and ``remaining``."""
        entries: list[Entry] = []
        money_zero = compiled(state.plan).zero
        for key in sorted(state.lines):
            amount, unit, index, credited = state.lines[key]
            target = remaining.get(key, ZERO if unit == POINTS else money_zero)
            if target > credited:
                target = credited  # never credit more than the payment did
            delta = EXACT_CONTEXT.subtract(target, amount)
            if not delta:
                continue
            rule_id, item_id, beneficiary, _ = key
            state.lines[key] = (target, unit, index, credited)
            if self._lean:
                if state.state == AVAILABLE:
                    self._credit_available(beneficiary, unit, delta)
                continue
            entries.append(
                self._entry(
                    event,
                    len(entries),
                    state.order.order_id,
                    "clawback" if delta < 0 else "adjustment",
                    unit,
                    [
                        Posting(beneficiary, state.state, delta),
                        Posting(MERCHANT, _merchant_state(unit), _negate(delta)),
                    ],
                    (f"{state.paid_event}#{index}",),
                    f"{beneficiary} gives back {_negate(delta)} {unit} of rule {rule_id} on item "
                    f"{item_id}: order {state.order.order_id} was {why}.",
                )
            )
        return entries

    def _instant_text(self, instant: int) -> str:
        """``format_instant(instant)``, built from the text of its day (kept: a long
        run names few days, a million times) and its time of day."""
        day, micros = divmod(instant, 86_400_000_000)
        date = self._day_texts.get(day)
        if date is None:
            date = self._day_texts[day] = format_instant(day * 86_400_000_000)[:10]
        seconds, micro = divmod(micros, 1_000_000)
        minutes, second = divmod(seconds, 60)
        hour, minute = divmod(minutes, 60)
        time = f"{_TWO_DIGITS[hour]}:{_TWO_DIGITS[minute]}:{_TWO_DIGITS[second]}"
        if micro:
            return f"{date}T{time}.{micro:06d}Z"
        return f"{date}T{time}Z"

    def _credit_available(self, holder: str, unit: str, amount: Decimal) -> None:
        """Add to what ``holder`` may be paid out (without entries)."""
        available = self._available
        key = (holder, unit)
        available[key] = EXACT_CONTEXT.add(available.get(key, ZERO), amount)

    def _add_total(self, holder: str, unit: str, state: str, amount: Decimal) -> None:
        """Add to a balance no order holds (without entries)."""
        totals = self._totals
        assert totals is not None  # entries=False needs history=False
        key = (holder, unit, state)
        totals[key] = EXACT_CONTEXT.add(totals.get(key, ZERO), amount)

    def _release(self, state: _OrderState) -> bool:
        """Make what an order's lines hold available (without entries): what the
        release entries would post, line by line (sums are exact, so alike in any
        order); whether anything moved."""
        available, add = self._available, EXACT_CONTEXT.add
        moved = False
        for (_, _, beneficiary, _), (amount, unit, _, _) in state.lines.items():
            if amount:
                key = (beneficiary, unit)
                available[key] = add(available.get(key, ZERO), amount)
                moved = True
        return moved

    def _move(
        self,
        event: Event,
        state: _OrderState,
        source: str,
        target: str,
        kind: str,
        why: str,
        *,
        first: int = 0,
    ) -> list[Entry]:
        """Move what each beneficiary holds from an order between states, per unit."""
        totals: dict[tuple[str, str], Decimal] = {}
        for (_, _, beneficiary, _), (amount, unit, _, _) in sorted(state.lines.items()):
            if amount:
                key = (beneficiary, unit)
                totals[key] = EXACT_CONTEXT.add(totals.get(key, ZERO), amount)
        event_id, at, order_id = event.event_id, event.at, state.order.order_id
        return [
            _new(
                Entry,
                (
                    f"{event_id}#{first + index}",
                    event_id,
                    order_id,
                    at,
                    kind,
                    unit,
                    (
                        _new(Posting, (beneficiary, source, amount.copy_negate())),
                        _new(Posting, (beneficiary, target, amount)),
                    ),
                    (),
                    (
                        f"{amount} {unit} of order {order_id} moves from {source} to "
                        f"{target} for {beneficiary}: {why}."
                    ),
                ),
            )
            for index, ((beneficiary, unit), amount) in enumerate(sorted(totals.items()))
        ]

    @staticmethod
    def _entry(
        event: Event,
        index: int,
        order_id: str | None,
        kind: str,
        unit: str,
        postings: list[Posting],
        reverses: tuple[str, ...],
        memo: str,
    ) -> Entry:
        fields = (
            f"{event.event_id}#{index}",
            event.event_id,
            order_id,
            event.at,
            kind,
            unit,
            tuple(postings),
            reverses,
            memo,
        )
        return _new(Entry, fields)


def _accruals(event: Event, order_id: str, lines: Sequence[PayoutLine]) -> tuple[Entry, ...]:
    """The entries of a payment: each line accrues, pending."""
    event_id, at = event.event_id, event.at
    return tuple(
        _new(
            Entry,
            (
                f"{event_id}#{index}",
                event_id,
                order_id,
                at,
                "accrual",
                line.unit,
                (
                    _new(Posting, (line.beneficiary, PENDING, line.amount)),
                    _new(
                        Posting, (MERCHANT, _merchant_state(line.unit), line.amount.copy_negate())
                    ),
                ),
                (),
                line.reason,
            ),
        )
        for index, line in enumerate(lines)
    )


# How a book applies each type of event.
_HANDLERS: Mapping[type, Callable[[Book, Any], Outcome]] = MappingProxyType(
    {
        OrderPaid: Book._order_paid,
        OrderCompleted: Book._order_completed,
        OrderRefunded: Book._order_refunded,
        OrderCancelled: Book._order_cancelled,
        SettlementRun: Book._settlement,
        PayoutMade: Book._payout,
        ParticipantJoined: Book._joined,
        RoleChanged: Book._graph_change,
        ParticipantStatusChanged: Book._graph_change,
        BindingChanged: Book._graph_change,
        GuideLeft: Book._graph_change,
        TeamTransplanted: Book._graph_change,
    }
)


def _keeps_pack(state: _OrderState, role: str) -> bool:
    """Whether the buyer keeps a unit of a gift pack of ``state`` that gives ``role``."""
    skus = state.packs.get(role)
    if not skus:
        return False
    refunded = state.refunded_quantity
    return any(
        item.quantity > refunded.get(item.item_id, 0)
        for item in state.order.items
        if item.sku in skus
    )


def _key(line: PayoutLine) -> _LineKey:
    return (line.rule_id, line.item_id, line.beneficiary, line.level)


def _negate(amount: Decimal) -> Decimal:
    return amount.copy_negate()


def _merchant_state(unit: str) -> str:
    return POINTS if unit == POINTS else COMMISSION


def _versions(plans: Plan | PlanSet) -> tuple[Plan, ...]:
    return tuple(plans) if isinstance(plans, PlanSet) else (plans,)


def _plan_at(plans: Plan | PlanSet, at: datetime) -> Plan:
    if isinstance(plans, PlanSet):
        return plans.at(at)
    return plans


def _goods_paid_q(state: _OrderState, places: int) -> int:
    """What the buyer paid for goods: item bases before exclusions, in quanta."""
    order = state.order
    total = 0
    for item in order.items:
        gross = int(item.unit_price.scaleb(places, EXACT_CONTEXT)) * item.quantity
        total += gross - int(item.discount.scaleb(places, EXACT_CONTEXT))
    for deduction in (order.coupons, order.vouchers, order.points_redemption):
        total -= int(deduction.scaleb(places, EXACT_CONTEXT))
    return total


def _bound_since(graph: ReferralGraph, participant: str, instant: int) -> int:
    number = graph._index[participant]
    history = graph._upline_changes.get(number)
    if history is None:
        return graph._joined[number]
    position = bisect.bisect_right(history, instant, key=lambda entry: entry[0])
    return history[max(position - 1, 0)][0]


def _fingerprint(event: Event) -> int:
    """What a book without history keeps of an event to tell a redelivery (an equal
    event: equal hashes) from another event under its id: its hash, but for a payment
    that of its fields and its order's id only; the book keeps the order itself and
    compares it then (hashing every item of every order would cost more)."""
    if type(event) is OrderPaid:
        return hash((event.event_id, event.at, event.sharer, event.credit, event.order.order_id))
    return hash(event)


def _digest(canonical: str) -> bytes:
    """A fingerprint of an event's canonical text: equal texts, equal digests."""
    return hashlib.blake2b(canonical.encode(), digest_size=16).digest()


def _first_difference(first: Any, second: Any, path: str = "") -> str:
    if isinstance(first, dict) and isinstance(second, dict):
        for key in list(first) + [k for k in second if k not in first]:
            if first.get(key) != second.get(key):
                return _first_difference(
                    first.get(key), second.get(key), f"{path}.{key}" if path else key
                )
    if isinstance(first, list) and isinstance(second, list):
        for index, (a, b) in enumerate(zip(first, second, strict=False)):
            if a != b:
                return _first_difference(a, b, f"{path}[{index}]")
        if len(first) != len(second):
            return f"{path}[{min(len(first), len(second))}]"
    return path


def _toward_zero(numerator: int, denominator: int) -> int:
    """``int(Fraction(numerator, denominator))``: the quotient, rounded toward zero."""
    quotient = abs(numerator) // abs(denominator)
    return quotient if (numerator < 0) == (denominator < 0) else -quotient


def _kept_goods(state: _OrderState, quantities: dict[str, int], places: int) -> Fraction:
    """What the buyer paid for the goods in the units they keep (exact)."""
    items: Sequence[OrderItem | _KeptItem] = state.order.items
    nets = []
    for item in items:
        gross = int(item.unit_price.scaleb(places, EXACT_CONTEXT)) * item.quantity
        nets.append(gross - int(item.discount.scaleb(places, EXACT_CONTEXT)))
    total = sum(nets)
    if not total:
        return Fraction(0)
    goods = _goods_paid_q(state, places)
    kept = Fraction(0)
    for item, net in zip(items, nets, strict=True):
        left = item.quantity - quantities.get(item.item_id, 0)
        kept += Fraction(goods * net * left, total * item.quantity)
    return kept
