"""One pass of an event stream through a book, gathering what the metrics need.

The collector applies each event to an in-memory :class:`~socialcommerce_rules.book.Book`
and reads only its public API: the outcome of ``apply`` (the evaluation of a paid
order, the entries of an invite), ``order_lines`` before and after a refund or a
cancellation, and the graph at the end.  Per order it keeps one small record
(goods paid, item amounts, and its kind: month, triggers, performance owner, store
and the role at each level, shared by the orders alike, with the sales they add up
to) so that later refunds can be sliced like the payment was, and what was given
back of the orders refunded or cancelled; everything else it keeps is per
participant, or per slice key (unit, rule, level, role, month, trigger), a set that
does not grow with the number of orders.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import UTC, datetime, timezone, tzinfo
from decimal import Decimal
from fractions import Fraction
from typing import Any, Final, NamedTuple, cast

from ..book import Book
from ..engine import Evaluation, InviteAward, PayoutLine
from ..errors import (
    InternalInvariantError,
    PlanError,
    Problem,
    SocialCommerceError,
)
from ..events import (
    Event,
    OrderCancelled,
    OrderPaid,
    OrderRefunded,
    ParticipantJoined,
)
from ..ledger import POINTS
from ..money import EXACT_CONTEXT, ZERO, decimal_places
from ..orders import OrderItem
from ..plan import Plan, PlanSet

__all__ = [
    "OWN_PURCHASE",
    "RECRUITMENT",
    "RETAIL",
    "TRIGGERS",
    "Collector",
    "OrderKind",
    "OrderRecord",
    "PlanFacts",
    "Returned",
]

RECRUITMENT: Final = "recruitment"
OWN_PURCHASE: Final = "own_purchase"
RETAIL: Final = "retail"
TRIGGERS: Final = (RECRUITMENT, OWN_PURCHASE, RETAIL)

_add = EXACT_CONTEXT.add
_subtract = EXACT_CONTEXT.subtract
_scaleb = Decimal.scaleb
_REVERSALS = (OrderRefunded, OrderCancelled)
_new = tuple.__new__  # builds a NamedTuple from a tuple without its Python-level __new__

# What the collector does with an event once the book applied it, by its class.
_PAID, _REVERSAL, _JOIN, _OTHER = range(4)

# A slice key: unit, rule, level, role, month, trigger.
CellKey = tuple[str, str, int, str, str, str]


class PlanFacts:
    """What the collector reads from one plan version, computed once."""

    __slots__ = ("currency", "depth", "earns_money", "gift_skus", "quantum", "rule_units")

    def __init__(self, plan: Plan) -> None:
        self.currency = plan.currency
        self.depth = plan.max_depth
        self.quantum = plan.quantum
        self.earns_money = frozenset(role.name for role in plan.roles if role.earns == "money")
        self.gift_skus = frozenset(pack.sku for pack in plan.gift_packs)
        self.rule_units = {
            rule.id: POINTS if rule.kind == "points" else plan.currency for rule in plan.rules
        }


class OrderKind:
    """What orders alike share: the slices of their lines and the performance they
    count for (one per plan version, month, triggers, gift-pack items, performance
    owner, store and roles by level), with the sales they add up to."""

    __slots__ = (
        "facts",
        "gift_items",
        "goods_q",
        "money",
        "month",
        "orders",
        "owner",
        "refunded_q",
        "roles",
        "store",
        "trigger",
    )

    def __init__(
        self,
        facts: PlanFacts,
        month: str,
        trigger: str,
        gift_items: tuple[str, ...],
        owner: str | None,
        store: str | None,
        roles: tuple[str, ...],
        paid: Decimal,
    ) -> None:
        self.facts = facts
        self.month = month
        self.trigger = trigger  # for lines on items that are not gift packs
        self.gift_items = gift_items  # item ids of gift packs
        self.owner = owner
        self.store = store
        self.roles = roles  # the beneficiary's role by level
        self.orders = 0
        self.goods_q = 0  # goods paid, in quanta
        self.refunded_q = 0  # goods given back, in quanta
        self.money = paid  # money paid in lines, net of refunds and cancellations


class OrderRecord(NamedTuple):
    """The little the collector keeps per order to slice its refunds later."""

    kind: OrderKind
    buyer: str
    goods_q: int  # goods paid, in quanta
    items: tuple[OrderItem, ...]  # the order's own items (the book keeps the order too)


class Returned:
    """What was given back of an order refunded or cancelled."""

    __slots__ = ("amount_q", "cancelled", "quantities", "refunded_q")

    def __init__(self) -> None:
        self.quantities: dict[str, int] | None = None  # units refunded, by item
        self.amount_q = 0  # money refunded by amount, in quanta
        self.refunded_q = 0  # goods refunded so far, in quanta
        self.cancelled = False


def _action(event: Event) -> int:
    """What the collector does with events of ``event``'s class once applied."""
    if isinstance(event, OrderPaid):
        return _PAID
    if isinstance(event, _REVERSALS):
        return _REVERSAL
    if isinstance(event, ParticipantJoined):
        return _JOIN
    return _OTHER


def plan_facts(plans: Plan | PlanSet) -> tuple[dict[int, PlanFacts], str, Decimal]:
    """Facts per version, the currency, and the finest quantum of the versions.

    Raises:
        PlanError: the versions do not share one currency.
    """
    versions = tuple(plans) if isinstance(plans, PlanSet) else (plans,)
    currencies = sorted({plan.currency for plan in versions})
    if len(currencies) > 1:
        raise PlanError(
            [
                Problem(
                    "plan-version-mismatch",
                    "currency",
                    f"the versions use several currencies ({', '.join(currencies)}); "
                    "measure each on its own",
                )
            ]
        )
    facts = {plan.version: PlanFacts(plan) for plan in versions}
    quantum = min(plan.quantum for plan in versions)
    return facts, currencies[0], quantum


class Collector:
    """Applies events to a book and gathers the figures, one event at a time."""

    def __init__(self, plans: Plan | PlanSet, *, time_zone: tzinfo = UTC) -> None:
        self.plans = plans
        self.facts, self.currency, self.quantum = plan_facts(plans)
        self.places = decimal_places(self.quantum.normalize(EXACT_CONTEXT))
        self.time_zone = time_zone
        # Outcomes as they come; no ledger kept, no entries built.
        self.book = Book(plans, history=False, entries=False)
        self.applied = 0
        self.duplicate = 0
        self.unchanged = 0
        self.refused: Counter[str] = Counter()
        self.last_at: datetime | None = None
        self.orders: dict[str, OrderRecord] = {}
        self.returned: dict[str, Returned] = {}  # orders refunded or cancelled
        self.orders_refunded = 0
        self.orders_cancelled = 0
        self.gmv_q = 0
        self.refunded_q = 0
        # slice key -> [accrued, lines, what refunds and cancellations changed]
        self.cells: dict[CellKey, list[Any]] = {}
        self.income: dict[str, Decimal] = {}  # money, by beneficiary
        self.points: dict[str, Decimal] = {}
        # (plan version, month, trigger, gift-pack items, owner, store, roles) -> kind
        self.kinds: dict[tuple[Any, ...], OrderKind] = {}
        self.gift_orders: list[str] = []  # orders with gift packs
        self._role_patterns: dict[tuple[str, ...], tuple[str, ...]] = {}
        self._actions: dict[type, int] = {}  # event class -> _PAID, _REVERSAL...
        # The month last named: [start, end) in the time zone, its name, and the
        # fixed offset of the time that named it, if any, with [start, end) in it.
        self._month_span: (
            tuple[datetime, datetime, str, timezone | None, datetime, datetime] | None
        ) = None

    # ---------------------------------------------------------------- applying

    def feed(self, events: Iterable[Event]) -> None:
        """Apply every event; a refused event is counted, never raised."""
        # One loop with its lookups hoisted: it runs once per event of long streams.
        # Events are told apart by class, looked up once per class (``isinstance``
        # on pydantic models costs more than the dictionary).
        book = self.book
        apply, order_lines = book.apply, book.order_lines
        orders, refused, actions = self.orders, self.refused, self._actions
        last_at = self.last_at
        try:
            for event in events:
                action = actions.get(type(event))
                if action is None:
                    action = actions[type(event)] = _action(event)
                record = before = None
                if action == _REVERSAL:
                    order_id = cast("OrderRefunded | OrderCancelled", event).order_id
                    record = orders.get(order_id)
                    if record is not None:
                        before = order_lines(order_id)
                try:
                    outcome = apply(event)
                except InternalInvariantError:
                    raise
                except SocialCommerceError as error:
                    refused[error.code] += 1
                    continue
                status = outcome.status
                if status == "duplicate":
                    self.duplicate += 1
                    continue
                at = event.at
                if last_at is None or at > last_at:
                    last_at = at
                if status == "unchanged":
                    self.unchanged += 1
                    continue
                self.applied += 1
                if action == _PAID:
                    evaluation = outcome.evaluation
                    assert evaluation is not None
                    self._paid(cast(OrderPaid, event), evaluation)
                elif record is not None:
                    assert before is not None
                    self._reversed(cast("OrderRefunded | OrderCancelled", event), record, before)
                elif action == _JOIN and outcome.award is not None:
                    self._invited(event, outcome.award)
        finally:
            self.last_at = last_at

    def feed_one(self, event: Event) -> None:
        """Apply one event and gather what it changed."""
        self.feed((event,))

    def _month(self, at: datetime) -> str:
        """``"YYYY-MM"`` of ``at`` in the time zone (the last month's span is kept)."""
        span = self._month_span
        if span is not None:
            # The span's ends in the fixed offset of the times that came last: two
            # times with the same fixed offset compare without converting.
            if at.tzinfo is span[3]:
                if span[4] <= at < span[5]:
                    return span[2]
            elif span[0] <= at < span[1]:
                return span[2]
        local = at.astimezone(self.time_zone)
        start = local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
        year, month = (local.year + 1, 1) if local.month == 12 else (local.year, local.month + 1)
        end = start.replace(year=year, month=month)
        name = f"{local.year:04d}-{local.month:02d}"
        offset = at.tzinfo if type(at.tzinfo) is timezone else None
        if offset is None:
            self._month_span = (start, end, name, None, start, end)
        else:
            self._month_span = (
                start,
                end,
                name,
                offset,
                start.astimezone(offset),
                end.astimezone(offset),
            )
        return name

    def _quanta(self, amount: Decimal) -> int:
        return int(amount.scaleb(self.places, EXACT_CONTEXT))

    def _paid(self, event: OrderPaid, evaluation: Evaluation) -> None:
        facts = self.facts[evaluation.plan_version]
        month = self._month(evaluation.paid_at)
        # The goods paid: each item's price times quantity less its own discount,
        # less the order's coupons, vouchers and points redemption.  The engine
        # refuses amounts finer than the quantum, so the sum is exact and turns into
        # quanta once.  The evaluation's items say it at less cost than the order's.
        gift_skus = facts.gift_skus
        gift_items: tuple[str, ...] = ()
        goods = ZERO
        for item in evaluation.items:
            goods = _add(goods, item.gross) if goods else item.gross
            if item.discount:
                goods = _subtract(goods, item.discount)
            if item.sku in gift_skus:
                gift_items += (item.item_id,)
        order = event.order
        if order.coupons or order.vouchers or order.points_redemption:
            for deduction in (order.coupons, order.vouchers, order.points_redemption):
                if deduction:
                    goods = _subtract(goods, deduction)
        goods_q = int(_scaleb(goods, self.places, EXACT_CONTEXT))
        lines = evaluation.lines
        # What the buyer's purchases trigger: own purchases if their role may earn
        # money at payment (read from a level-0 line when there is one).
        for line in lines:
            if line.level == 0:
                role = line.role
                break
        else:
            role = self.book.graph.role(evaluation.buyer, at=evaluation.paid_at)
        trigger = OWN_PURCHASE if role in facts.earns_money else RETAIL
        roles = self._credit_lines(lines, month, trigger, gift_items, facts.depth) if lines else ()
        paid = evaluation.paid
        owner, store = evaluation.performance_owner, evaluation.store
        key = (evaluation.plan_version, month, trigger, gift_items, owner, store, roles)
        kind = self.kinds.get(key)
        if kind is None:
            kind = self.kinds[key] = OrderKind(
                facts, month, trigger, gift_items, owner, store, roles, paid
            )
        else:
            kind.money = _add(kind.money, paid)
        kind.orders += 1
        kind.goods_q += goods_q
        self.gmv_q += goods_q
        order_id = evaluation.order_id
        self.orders[order_id] = _new(OrderRecord, (kind, evaluation.buyer, goods_q, order.items))
        if gift_items:
            self.gift_orders.append(order_id)

    def _credit_lines(
        self,
        lines: tuple[PayoutLine, ...],
        month: str,
        trigger: str,
        gift_items: tuple[str, ...],
        depth: int,
    ) -> tuple[str, ...]:
        """Add each line to its slice and its beneficiary; the role by level."""
        cells, points, income = self.cells, self.points, self.income
        roles = [""] * (depth + 1)
        for line in lines:
            amount = line.amount
            unit = line.unit
            level = line.level
            role = line.role
            key = (
                unit,
                line.rule_id,
                level,
                role,
                month,
                RECRUITMENT if gift_items and line.item_id in gift_items else trigger,
            )
            cell = cells.get(key)
            if cell is None:
                cells[key] = [amount, 1, ZERO]
            else:
                cell[0] = _add(cell[0], amount)
                cell[1] += 1
            holders = points if unit == POINTS else income
            beneficiary = line.beneficiary
            holders[beneficiary] = _add(holders.get(beneficiary, ZERO), amount)
            roles[level] = role
        pattern = tuple(roles)
        # Few patterns occur: orders share one tuple per pattern.
        return self._role_patterns.setdefault(pattern, pattern)

    def _reversed(
        self,
        event: OrderRefunded | OrderCancelled,
        record: OrderRecord,
        before: dict[tuple[str, str | None, str, int], Decimal],
    ) -> None:
        """Slice what a refund or cancellation changed, and the goods it returned."""
        after = self.book.order_lines(event.order_id)
        kind = record.kind
        facts = kind.facts
        money = ZERO
        for key, old in before.items():
            new = after.get(key, old)
            if new == old:
                continue
            delta = _subtract(new, old)
            rule_id, item_id, beneficiary, level = key
            unit = facts.rule_units.get(rule_id, facts.currency)
            trigger = RECRUITMENT if item_id in kind.gift_items else kind.trigger
            cell_key = (unit, rule_id, level, kind.roles[level], kind.month, trigger)
            cell = self.cells[cell_key]
            cell[2] = _add(cell[2], delta)
            holders = self.points if unit == POINTS else self.income
            holders[beneficiary] = _add(holders[beneficiary], delta)
            if unit != POINTS:
                money = _add(money, delta)
        if money:
            kind.money = _add(kind.money, money)
        self._refund_goods(event, record)

    def _refund_goods(self, event: OrderRefunded | OrderCancelled, record: OrderRecord) -> None:
        returned = self.returned.get(event.order_id)
        if returned is None:
            returned = self.returned[event.order_id] = Returned()
        if isinstance(event, OrderCancelled):
            returned.cancelled = True
            self.orders_cancelled += 1
            refunded_q = record.goods_q
        else:
            quantities = returned.quantities
            if quantities is None:
                quantities = returned.quantities = {}
                self.orders_refunded += 1
            for item in event.items:
                quantities[item.item_id] = quantities.get(item.item_id, 0) + item.quantity
            if event.amount is not None:
                returned.amount_q += self._quanta(event.amount)
            refunded_q = min(record.goods_q, _refunded_goods(record, returned, self.places))
        delta = refunded_q - returned.refunded_q
        returned.refunded_q = refunded_q
        self.refunded_q += delta
        record.kind.refunded_q += delta

    def _invited(self, event: Event, award: InviteAward) -> None:
        """Slice the invite points a join awarded (the book says by which rule)."""
        month = self._month(event.at)
        for line in award.lines:
            key = (line.unit, line.rule_id, line.level, line.role, month, RECRUITMENT)
            cell = self.cells.get(key)
            if cell is None:
                self.cells[key] = [line.amount, 1, ZERO]
            else:
                cell[0] = _add(cell[0], line.amount)
                cell[1] += 1
            self.points[line.beneficiary] = _add(
                self.points.get(line.beneficiary, ZERO), line.amount
            )


def _item_nets(record: OrderRecord, places: int) -> list[int]:
    """Each item's amount after its own discount, in quanta."""
    return [
        int(item.unit_price.scaleb(places, EXACT_CONTEXT)) * item.quantity
        - int(item.discount.scaleb(places, EXACT_CONTEXT))
        for item in record.items
    ]


def _refunded_goods(record: OrderRecord, returned: Returned, places: int) -> int:
    """The goods a refunded order gave back, in quanta, rounded half-even: what
    the units refunded were paid (as :func:`kept_items` shares it out), plus the
    refunds by amount.

    The goods paid less the shares kept is ``goods * S / total``, with ``S`` the
    sum over items of ``net * refunded / quantity``; it is summed here as one
    integer fraction, which rounds as the sum of the shares would.
    """
    goods_q = record.goods_q
    nets = _item_nets(record, places)
    total = sum(nets)
    refunded = returned.quantities or {}
    if not total or returned.cancelled:
        return goods_q + returned.amount_q  # nothing kept
    numerator, denominator = 0, 1  # S, unreduced
    for item, net in zip(record.items, nets, strict=True):
        units = refunded.get(item.item_id, 0)
        if units:
            quantity = item.quantity
            numerator = numerator * quantity + net * units * denominator
            denominator *= quantity
    numerator = goods_q * numerator + returned.amount_q * total * denominator
    denominator *= total
    if denominator < 0:
        numerator, denominator = -numerator, -denominator
    # Half-even, as round() of a Fraction.
    floor, remainder = divmod(numerator, denominator)
    twice = remainder * 2
    if twice > denominator or (twice == denominator and floor % 2):
        return floor + 1
    return floor


def kept_items(record: OrderRecord, returned: Returned | None, places: int) -> list[Fraction]:
    """Each item's share of the goods paid for the units still kept, in quanta.

    Items share the order's coupons, vouchers and points redemption in proportion
    to their amounts (as the book does); refunds by amount are not deducted here.
    """
    nets = _item_nets(record, places)
    total = sum(nets)
    if not total or (returned is not None and returned.cancelled):
        return [Fraction(0) for _ in record.items]
    refunded = (returned.quantities if returned is not None else None) or {}
    return [
        Fraction(
            record.goods_q * net * (item.quantity - refunded.get(item.item_id, 0)),
            total * item.quantity,
        )
        for item, net in zip(record.items, nets, strict=True)
    ]
