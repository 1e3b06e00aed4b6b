"""One pass of an event stream through a book, gathering what the metrics need.

The collector applies each event to an in-memory :class:`~socialcommerce_rules.book.Book`
and reads only its public API: the outcome of ``apply`` (the evaluation of a paid
order, the entries of an invite), ``order_lines`` before and after a refund or a
cancellation, and the graph at the end.  Per order it keeps one small record
(month, triggers, performance owner, goods paid, item amounts and the role at each
level) so that later refunds can be sliced like the payment was; everything else
it keeps is per participant, or per slice key (unit, rule, level, role, month,
trigger), a set that does not grow with the number of orders.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import UTC, datetime, tzinfo
from decimal import Decimal
from fractions import Fraction
from typing import Any, Final

from ..book import Book
from ..engine import Evaluation, evaluate_invite
from ..errors import InternalInvariantError, PlanError, Problem, SocialCommerceError
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

__all__ = ["OWN_PURCHASE", "RECRUITMENT", "RETAIL", "TRIGGERS", "Collector", "PlanFacts"]

RECRUITMENT: Final = "recruitment"
OWN_PURCHASE: Final = "own_purchase"
RETAIL: Final = "retail"
TRIGGERS: Final = (RECRUITMENT, OWN_PURCHASE, RETAIL)

_add = EXACT_CONTEXT.add
_subtract = EXACT_CONTEXT.subtract

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


class OrderRecord:
    """The little the collector keeps per order to slice its refunds later."""

    __slots__ = (
        "amount_q",
        "buyer",
        "cancelled",
        "facts",
        "gift_items",
        "goods_q",
        "items",
        "month",
        "owner",
        "quantities",
        "refunded_q",
        "roles",
        "store",
        "trigger",
    )

    def __init__(
        self,
        buyer: str,
        month: str,
        facts: PlanFacts,
        trigger: str,
        gift_items: tuple[str, ...],
        owner: str | None,
        store: str | None,
        goods_q: int,
        items: tuple[OrderItem, ...],
        roles: tuple[str, ...],
    ) -> None:
        self.buyer = buyer
        self.month = month
        self.facts = facts
        self.trigger = trigger  # for lines on items that are not gift packs
        self.gift_items = gift_items  # item ids of gift packs
        self.owner = owner
        self.store = store
        self.goods_q = goods_q
        self.items = items  # the order's own items (the book keeps the order too)
        self.roles = roles  # the beneficiary's role by level
        self.quantities: dict[str, int] | None = None  # units refunded, by item
        self.amount_q = 0  # money refunded by amount, in quanta
        self.refunded_q = 0  # goods refunded so far, in quanta
        self.cancelled = False


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
        self.book = Book(plans, history=False)  # outcomes as they come; no ledger kept
        self.applied = 0
        self.duplicate = 0
        self.unchanged = 0
        self.refused: Counter[str] = Counter()
        self.last_at: datetime | None = None
        self.orders: dict[str, OrderRecord] = {}
        self.orders_refunded = 0
        self.orders_cancelled = 0
        self.gmv_q = 0
        self.refunded_q = 0
        self.months: dict[str, list[int]] = {}  # month -> [orders, goods, refunded]
        # slice key -> [accrued, lines, what refunds and cancellations changed]
        self.cells: dict[CellKey, list[Any]] = {}
        self.income: dict[str, Decimal] = {}  # money, by beneficiary
        self.points: dict[str, Decimal] = {}
        # performance owner -> [orders, goods, refunded goods, money net];
        # store -> the same and the set of performance owners credited through it
        self.owners: dict[str, list[Any]] = {}
        self.stores: dict[str, list[Any]] = {}
        self.gift_orders: list[OrderRecord] = []
        self._role_patterns: dict[tuple[str, ...], tuple[str, ...]] = {}
        # The month last named, as [start, end) in UTC and its name.
        self._month_span: tuple[datetime, datetime, str] | None = None

    # ---------------------------------------------------------------- applying

    def feed(self, events: Iterable[Event]) -> None:
        """Apply every event; a refused event is counted, never raised."""
        for event in events:
            self.feed_one(event)

    def feed_one(self, event: Event) -> None:
        """Apply one event and gather what it changed."""
        record = None
        before: dict[tuple[str, str | None, str, int], Decimal] = {}
        if isinstance(event, (OrderRefunded, OrderCancelled)):
            record = self.orders.get(event.order_id)
            if record is not None:
                before = self.book.order_lines(event.order_id)
        try:
            outcome = self.book.apply(event)
        except InternalInvariantError:
            raise
        except SocialCommerceError as error:
            self.refused[error.code] += 1
            return
        if outcome.status == "duplicate":
            self.duplicate += 1
            return
        if self.last_at is None or event.at > self.last_at:
            self.last_at = event.at
        if outcome.status == "unchanged":
            self.unchanged += 1
            return
        self.applied += 1
        if isinstance(event, OrderPaid):
            assert outcome.evaluation is not None
            self._paid(event, outcome.evaluation)
        elif record is not None:
            assert isinstance(event, (OrderRefunded, OrderCancelled))
            self._reversed(event, record, before)
        elif isinstance(event, ParticipantJoined) and outcome.entries:
            self._invited(event, len(outcome.entries))

    def _month(self, at: datetime) -> str:
        """``"YYYY-MM"`` of ``at`` in the time zone (the last month's span is kept)."""
        span = self._month_span
        if span is not None and span[0] <= at < span[1]:
            return span[2]
        local = at.astimezone(self.time_zone)
        start = local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
        year, month = (local.year + 1, 1) if local.month == 12 else (local.year, local.month + 1)
        end = start.replace(year=year, month=month)
        name = f"{local.year:04d}-{local.month:02d}"
        self._month_span = (start, end, name)
        return name

    def _quanta(self, amount: Decimal) -> int:
        return int(amount.scaleb(self.places, EXACT_CONTEXT))

    def _paid(self, event: OrderPaid, evaluation: Evaluation) -> None:
        order = event.order
        facts = self.facts[evaluation.plan_version]
        month = self._month(order.paid_at)
        quanta = self._quanta
        gift_items: tuple[str, ...] = ()
        goods_q = 0
        for item in order.items:
            goods_q += quanta(item.unit_price) * item.quantity
            if item.discount:
                goods_q -= quanta(item.discount)
            if item.sku in facts.gift_skus:
                gift_items += (item.item_id,)
        for deduction in (order.coupons, order.vouchers, order.points_redemption):
            if deduction:
                goods_q -= quanta(deduction)
        trigger = self._buyer_trigger(evaluation, facts)
        roles = self._credit_lines(evaluation, month, trigger, gift_items, facts.depth)
        self._count_order(evaluation, month, goods_q)
        record = OrderRecord(
            order.buyer,
            month,
            facts,
            trigger,
            gift_items,
            evaluation.performance_owner,
            evaluation.store,
            goods_q,
            order.items,
            roles,
        )
        self.orders[order.order_id] = record
        if gift_items:
            self.gift_orders.append(record)

    def _buyer_trigger(self, evaluation: Evaluation, facts: PlanFacts) -> str:
        """What the buyer's purchases trigger: own purchases if their role may earn
        money at payment (read from a level-0 line when there is one)."""
        for line in evaluation.lines:
            if line.level == 0:
                role = line.role
                break
        else:
            role = self.book.graph.role(evaluation.buyer, at=evaluation.paid_at)
        return OWN_PURCHASE if role in facts.earns_money else RETAIL

    def _credit_lines(
        self,
        evaluation: Evaluation,
        month: str,
        trigger: str,
        gift_items: tuple[str, ...],
        depth: int,
    ) -> tuple[str, ...]:
        """Add each line to its slice and its beneficiary; the role by level."""
        cells = self.cells
        roles = [""] * (depth + 1)
        for line in evaluation.lines:
            amount = line.amount
            unit = line.unit
            level = line.level
            key = (
                unit,
                line.rule_id,
                level,
                line.role,
                month,
                RECRUITMENT if line.item_id in gift_items else trigger,
            )
            cell = cells.get(key)
            if cell is None:
                cells[key] = [amount, 1, ZERO]
            else:
                cell[0] = _add(cell[0], amount)
                cell[1] += 1
            holders = self.points if unit == POINTS else self.income
            holders[line.beneficiary] = _add(holders.get(line.beneficiary, ZERO), amount)
            roles[level] = line.role
        pattern = tuple(roles)
        # Few patterns occur: orders share one tuple per pattern.
        return self._role_patterns.setdefault(pattern, pattern)

    def _count_order(self, evaluation: Evaluation, month: str, goods_q: int) -> None:
        self.gmv_q += goods_q
        months = self.months.get(month)
        if months is None:
            self.months[month] = [1, goods_q, 0]
        else:
            months[0] += 1
            months[1] += goods_q
        owner = evaluation.performance_owner
        paid = evaluation.paid
        if owner is not None:
            row = self.owners.get(owner)
            if row is None:
                self.owners[owner] = [1, goods_q, 0, paid]
            else:
                row[0] += 1
                row[1] += goods_q
                row[3] = _add(row[3], paid)
        store = evaluation.store
        if store is not None:
            row = self.stores.get(store)
            if row is None:
                row = self.stores[store] = [1, goods_q, 0, paid, set()]
            else:
                row[0] += 1
                row[1] += goods_q
                row[3] = _add(row[3], paid)
            if owner is not None:
                row[4].add(owner)

    def _reversed(
        self,
        event: OrderRefunded | OrderCancelled,
        record: OrderRecord,
        before: dict[tuple[str, str | None, str, int], Decimal],
    ) -> None:
        """Slice what a refund or cancellation changed, and the goods it returned."""
        after = self.book.order_lines(event.order_id)
        facts = record.facts
        money = ZERO
        for key, old in before.items():
            new = after.get(key, old)
            if new == old:
                continue
            delta = _subtract(new, old)
            rule_id, item_id, beneficiary, level = key
            unit = facts.rule_units.get(rule_id, facts.currency)
            trigger = RECRUITMENT if item_id in record.gift_items else record.trigger
            cell_key = (unit, rule_id, level, record.roles[level], record.month, trigger)
            cell = self.cells[cell_key]
            cell[2] = _add(cell[2], delta)
            holders = self.points if unit == POINTS else self.income
            holders[beneficiary] = _add(holders[beneficiary], delta)
            if unit != POINTS:
                money = _add(money, delta)
        if money:
            if record.owner is not None:
                row = self.owners[record.owner]
                row[3] = _add(row[3], money)
            if record.store is not None:
                row = self.stores[record.store]
                row[3] = _add(row[3], money)
        self._refund_goods(event, record)

    def _refund_goods(self, event: OrderRefunded | OrderCancelled, record: OrderRecord) -> None:
        if isinstance(event, OrderCancelled):
            record.cancelled = True
            self.orders_cancelled += 1
            refunded_q = record.goods_q
        else:
            if record.quantities is None:
                record.quantities = {}
                self.orders_refunded += 1
            for item in event.items:
                record.quantities[item.item_id] = (
                    record.quantities.get(item.item_id, 0) + item.quantity
                )
            if event.amount is not None:
                record.amount_q += self._quanta(event.amount)
            kept = sum(kept_items(record, self.places), Fraction(0))
            refunded_q = min(record.goods_q, round(record.goods_q - kept + record.amount_q))
        delta = refunded_q - record.refunded_q
        record.refunded_q = refunded_q
        self.refunded_q += delta
        self.months[record.month][2] += delta
        if record.owner is not None:
            self.owners[record.owner][2] += delta
        if record.store is not None:
            self.stores[record.store][2] += delta

    def _invited(self, event: ParticipantJoined, entries: int) -> None:
        """Slice the invite points a join awarded (the engine says by which rule)."""
        award = evaluate_invite(self.plans, self.book.graph, event.participant)
        if len(award.lines) != entries:
            raise InternalInvariantError(
                f"the book recorded {entries} invite entries, the plan awards "
                f"{len(award.lines)} lines",
                event_id=event.event_id,
            )
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


def kept_items(record: OrderRecord, places: int) -> list[Fraction]:
    """Each item's share of the goods paid for the units still kept, in quanta.

    Items share the order's coupons, vouchers and points redemption in proportion
    to their amounts (as the book does); refunds by amount are not deducted here.
    """
    nets = [
        int(item.unit_price.scaleb(places, EXACT_CONTEXT)) * item.quantity
        - int(item.discount.scaleb(places, EXACT_CONTEXT))
        for item in record.items
    ]
    total = sum(nets)
    if not total or record.cancelled:
        return [Fraction(0) for _ in record.items]
    refunded = record.quantities or {}
    return [
        Fraction(
            record.goods_q * net * (item.quantity - refunded.get(item.item_id, 0)),
            total * item.quantity,
        )
        for item, net in zip(record.items, nets, strict=True)
    ]
