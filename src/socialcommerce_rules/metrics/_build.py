"""From what the collector gathered to the :class:`Metrics` value, at the end of a stream.

Runs once per stream: sums the slice cells into the payout tables, walks the
referral graph once for each participant's level (memoised, so the whole walk
is linear in participants), and computes the income statistics exactly.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from fractions import Fraction
from typing import Any, NamedTuple

from ..ledger import POINTS
from ..money import EXACT_CONTEXT, ZERO
from ..plan import PlanSet
from ._collect import TRIGGERS, Collector, OrderKind, kept_items
from ._results import (
    EventCounts,
    Flow,
    GiftPackRecoup,
    GuidePerformance,
    IncomeDistribution,
    Metrics,
    MonthFigures,
    ParticipantIncome,
    Payouts,
    RegulatorMeasures,
    StorePerformance,
)
from ._stats import gini, median_q, percentile_q, quanta_to_decimal, ratio, shares

__all__ = ["build_metrics"]

_add = EXACT_CONTEXT.add
_subtract = EXACT_CONTEXT.subtract
_POINTS_ZERO = Decimal(0)

# Positions of the slice fields in a cell key.
_SLICES = {"rule": 1, "level": 2, "role": 3, "month": 4, "trigger": 5}


def build_metrics(collector: Collector) -> Metrics:
    """The metrics of everything the collector has applied."""
    c = collector
    money_zero = quanta_to_decimal(0, c.quantum)
    sales = _sales(c)
    money = _payouts(c, c.currency, money_zero)
    points = _payouts(c, POINTS, _POINTS_ZERO)
    participants = _participants(c, money_zero)
    plans = c.plans
    versions = (
        tuple(plan.version for plan in plans) if isinstance(plans, PlanSet) else (plans.version,)
    )
    gmv_net_q = c.gmv_q - c.refunded_q
    return Metrics(
        plan_id=plans.plan_id if isinstance(plans, PlanSet) else plans.id,
        plan_versions=versions,
        currency=c.currency,
        time_zone=str(c.time_zone),
        events=EventCounts(
            c.applied,
            c.duplicate,
            c.unchanged,
            sum(c.refused.values()),
            dict(sorted(c.refused.items())),
        ),
        orders=len(c.orders),
        orders_refunded=c.orders_refunded,
        orders_cancelled=c.orders_cancelled,
        gmv=quanta_to_decimal(c.gmv_q, c.quantum),
        gmv_refunded=quanta_to_decimal(c.refunded_q, c.quantum),
        gmv_net=quanta_to_decimal(gmv_net_q, c.quantum),
        money=money,
        points=points,
        payout_ratio=ratio(_quanta(c, money.total.net), gmv_net_q),
        income=_distribution(c, [row.money_net for row in participants]),
        income_by_role=_income_by_role(c, participants),
        gift_packs=_gift_packs(c),
        guides=_guides(c, sales, money_zero),
        stores=_stores(c, sales),
        months=_months(c, sales, money, points),
        participants=tuple(participants),
        regulator=_regulator(c, money, participants),
    )


class _Sales(NamedTuple):
    """The orders' sales, added up from their kinds: month -> [orders, goods,
    refunded goods]; performance owner -> [orders, goods, refunded goods, money
    net]; store -> the same and the set of performance owners credited through it."""

    months: dict[str, list[Any]]
    owners: dict[str, list[Any]]
    stores: dict[str, list[Any]]


def _sales(c: Collector) -> _Sales:
    months: dict[str, list[Any]] = {}
    owners: dict[str, list[Any]] = {}
    stores: dict[str, list[Any]] = {}
    for kind in c.kinds.values():
        row = months.get(kind.month)
        if row is None:
            months[kind.month] = [kind.orders, kind.goods_q, kind.refunded_q]
        else:
            _count(row, kind)
        owner, store = kind.owner, kind.store
        if owner is not None:
            row = owners.get(owner)
            if row is None:
                owners[owner] = [kind.orders, kind.goods_q, kind.refunded_q, kind.money]
            else:
                _count(row, kind)
                row[3] = _add(row[3], kind.money)
        if store is not None:
            row = stores.get(store)
            if row is None:
                row = stores[store] = [
                    kind.orders,
                    kind.goods_q,
                    kind.refunded_q,
                    kind.money,
                    set(),
                ]
            else:
                _count(row, kind)
                row[3] = _add(row[3], kind.money)
            if owner is not None:
                row[4].add(owner)
    return _Sales(months, owners, stores)


def _count(row: list[Any], kind: OrderKind) -> None:
    row[0] += kind.orders
    row[1] += kind.goods_q
    row[2] += kind.refunded_q


def _quanta(c: Collector, amount: Decimal) -> int:
    return int(amount.scaleb(c.places, EXACT_CONTEXT))


def _flow(accrued: Decimal, net: Decimal, lines: int) -> Flow:
    return Flow(accrued, _subtract(accrued, net), net, lines)


def _payouts(c: Collector, unit: str, zero: Decimal) -> Payouts:
    """Sum the cells of one unit into every slice."""
    sums: dict[str, dict[Any, list[Any]]] = {name: {} for name in _SLICES}
    total: list[Any] = [zero, zero, 0]
    for key, (accrued, lines, change) in c.cells.items():
        if key[0] != unit:
            continue
        net = _add(accrued, change)
        _accumulate(total, accrued, net, lines)
        for name, position in _SLICES.items():
            row = sums[name].setdefault(key[position], [zero, zero, 0])
            _accumulate(row, accrued, net, lines)
    for trigger in TRIGGERS:
        sums["trigger"].setdefault(trigger, [zero, zero, 0])

    def flows(name: str, order: Iterable[Any]) -> dict[Any, Flow]:
        return {key: _flow(*_row(sums[name][key])) for key in order}

    return Payouts(
        unit=unit,
        total=_flow(*_row(total)),
        by_rule=flows("rule", sorted(sums["rule"])),
        by_level=flows("level", sorted(sums["level"])),
        by_role=flows("role", sorted(sums["role"])),
        by_month=flows("month", sorted(sums["month"])),
        by_trigger=flows("trigger", TRIGGERS),
    )


def _row(row: list[Any]) -> tuple[Decimal, Decimal, int]:
    return row[0], row[1], row[2]


def _accumulate(row: list[Any], accrued: Decimal, net: Decimal, lines: int) -> None:
    row[0] = _add(row[0], accrued)
    row[1] = _add(row[1], net)
    row[2] += lines


def _participants(c: Collector, money_zero: Decimal) -> list[ParticipantIncome]:
    """Every participant in join order, with their level in the tree at the end."""
    graph = c.book.graph
    end = c.last_at
    if end is None:
        return []
    levels: dict[str, int] = {}
    rows = []
    for participant in graph:
        chain = []
        node: str | None = participant
        while node is not None and node not in levels:
            chain.append(node)
            node = graph.upline(node, at=end)
        level = 0 if node is None else levels[node]
        for member in reversed(chain):
            level += 1
            levels[member] = level
        rows.append(
            ParticipantIncome(
                participant,
                graph.role(participant, at=end),
                levels[participant],
                graph.store(participant, at=end),
                c.income.get(participant, money_zero),
                c.points.get(participant, _POINTS_ZERO),
            )
        )
    return rows


def _distribution(c: Collector, incomes: list[Decimal]) -> IncomeDistribution:
    ordered = sorted(_quanta(c, income) for income in incomes)
    count = len(ordered)
    total = sum(ordered)
    mean = round(Fraction(total, count)) if count else 0
    return IncomeDistribution(
        participants=count,
        earners=sum(1 for value in ordered if value > 0),
        total=quanta_to_decimal(total, c.quantum),
        mean=quanta_to_decimal(mean, c.quantum),
        median=quanta_to_decimal(median_q(ordered), c.quantum),
        p90=quanta_to_decimal(percentile_q(ordered, 90), c.quantum),
        max=quanta_to_decimal(ordered[-1] if ordered else 0, c.quantum),
        gini=gini(ordered),
    )


def _income_by_role(
    c: Collector, participants: list[ParticipantIncome]
) -> dict[str, IncomeDistribution]:
    by_role: dict[str, list[Decimal]] = {}
    for row in participants:
        by_role.setdefault(row.role, []).append(row.money_net)
    return {role: _distribution(c, by_role[role]) for role in sorted(by_role)}


def _gift_packs(c: Collector) -> GiftPackRecoup:
    """What each buyer kept paying for gift packs, against their money income."""
    paid: dict[str, Fraction] = {}
    for order_id in c.gift_orders:
        record, returned = c.orders[order_id], c.returned.get(order_id)
        kept = kept_items(record, returned, c.places)
        kept_total = sum(kept, Fraction(0))
        if not kept_total:
            continue
        factor = (kept_total - (returned.amount_q if returned is not None else 0)) / kept_total
        pack = sum(
            (
                share
                for item, share in zip(record.items, kept, strict=True)
                if item.item_id in record.kind.gift_items
            ),
            Fraction(0),
        )
        paid[record.buyer] = paid.get(record.buyer, Fraction(0)) + pack * factor
    makers = [buyer for buyer in sorted(paid) if paid[buyer] > 0]
    recouped = sum(1 for buyer in makers if _quanta(c, c.income.get(buyer, ZERO)) >= paid[buyer])
    return GiftPackRecoup(len(makers), recouped, ratio(recouped, len(makers)))


def _guides(c: Collector, sales: _Sales, money_zero: Decimal) -> dict[str, GuidePerformance]:
    graph = c.book.graph
    result = {}
    for guide in sorted(sales.owners):
        orders, goods, refunded, payouts = sales.owners[guide]
        store = graph.store(guide, at=c.last_at) if c.last_at is not None else None
        result[guide] = GuidePerformance(
            guide,
            store,
            orders,
            quanta_to_decimal(goods, c.quantum),
            quanta_to_decimal(goods - refunded, c.quantum),
            payouts,
            c.income.get(guide, money_zero),
        )
    return result


def _stores(c: Collector, sales: _Sales) -> dict[str, StorePerformance]:
    result = {}
    for store in sorted(sales.stores):
        orders, goods, refunded, payouts, owners = sales.stores[store]
        result[store] = StorePerformance(
            store,
            len(owners),
            orders,
            quanta_to_decimal(goods, c.quantum),
            quanta_to_decimal(goods - refunded, c.quantum),
            payouts,
        )
    return result


def _months(
    c: Collector, sales: _Sales, money: Payouts, points: Payouts
) -> dict[str, MonthFigures]:
    money_zero = quanta_to_decimal(0, c.quantum)
    result = {}
    for month in sorted(set(sales.months) | set(money.by_month) | set(points.by_month)):
        orders, goods, refunded = sales.months.get(month, (0, 0, 0))
        money_flow = money.by_month.get(month)
        points_flow = points.by_month.get(month)
        money_net = money_flow.net if money_flow is not None else money_zero
        result[month] = MonthFigures(
            month,
            orders,
            quanta_to_decimal(goods, c.quantum),
            quanta_to_decimal(goods - refunded, c.quantum),
            money_net,
            points_flow.net if points_flow is not None else _POINTS_ZERO,
            ratio(_quanta(c, money_net), goods - refunded),
        )
    return result


def _regulator(
    c: Collector, money: Payouts, participants: list[ParticipantIncome]
) -> RegulatorMeasures:
    per_level: dict[int, int] = {}
    for row in participants:
        per_level[row.level] = per_level.get(row.level, 0) + 1
    net_q = _quanta(c, money.total.net)
    recruitment, own, retail = shares(
        [_quanta(c, money.by_trigger[trigger].net) for trigger in TRIGGERS]
    )
    beyond = sum(_quanta(c, flow.net) for level, flow in money.by_level.items() if level >= 2)
    beyond_share = ratio(beyond, net_q)
    return RegulatorMeasures(
        money_depth=max(
            (level for level, flow in money.by_level.items() if flow.net > 0), default=0
        ),
        tree_depth=max(per_level, default=0),
        participants=len(participants),
        participants_per_level=dict(sorted(per_level.items())),
        recruitment_share=recruitment,
        own_purchase_share=own,
        retail_share=retail,
        beyond_direct_share=beyond_share if beyond_share is not None else shares([0])[0],
        money_net=money.total.net,
    )
