"""The values :func:`~socialcommerce_rules.metrics.measure` returns, and their plain data.

Every result is a frozen value whose mappings are sorted by key; ``to_dict()``
gives plain data (``str``, ``int``, ``Decimal``, ``None``, lists and dicts) and
``rows()`` / ``tables()`` give lists of flat dicts, ready for a DataFrame.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, fields
from decimal import Decimal
from typing import Any

from ..money import format_decimal

__all__ = [
    "EventCounts",
    "Flow",
    "GiftPackRecoup",
    "GuidePerformance",
    "IncomeDistribution",
    "Metrics",
    "MonthFigures",
    "ParticipantIncome",
    "Payouts",
    "RegulatorMeasures",
    "StorePerformance",
    "Value",
    "plain",
]

Value = int | Decimal | str | None
"""A plain figure: a count, an exact amount or share, a name, or None (undefined)."""


def plain(value: object) -> Any:
    """Plain data of a result: dataclasses become dicts, mappings dicts with their keys
    kept, tuples lists; ints, Decimals, strings and None stay as they are."""
    if hasattr(value, "__dataclass_fields__"):
        return {field.name: plain(getattr(value, field.name)) for field in fields(value)}  # type: ignore[arg-type]
    if isinstance(value, Mapping):
        return {key: plain(item) for key, item in value.items()}
    if isinstance(value, (tuple, list)):
        return [plain(item) for item in value]
    return value


def _json_default(value: object) -> str:
    if isinstance(value, Decimal):
        return format_decimal(value)
    raise TypeError(f"{type(value).__name__} is not plain data")


@dataclass(frozen=True, slots=True)
class Flow:
    """Payouts in one unit for one slice (a rule, a level, a role, a month...).

    Attributes:
        accrued: what order payments (and invites) credited.
        clawed_back: what refunds and cancellations took back, net of the
            adjustments they gave back (``accrued - net``).
        net: what the beneficiaries hold at the end of the stream.
        lines: the number of payout lines credited.
    """

    accrued: Decimal
    clawed_back: Decimal
    net: Decimal
    lines: int

    def to_dict(self) -> dict[str, Any]:
        """Plain data."""
        return plain(self)  # type: ignore[no-any-return]


@dataclass(frozen=True, slots=True)
class Payouts:
    """Every payout in one unit (the currency, or ``"points"``), sliced.

    Attributes:
        unit: the currency code or ``"points"``.
        total: all of them.
        by_rule: by the rule that paid them.
        by_level: by the beneficiary's level above the buyer (0 = the buyer);
            for money this is the depth histogram.
        by_role: by the beneficiary's role at payment time.
        by_month: by the month of the order's payment (of the join, for invites),
            in the time zone measured with, as ``"YYYY-MM"``.
        by_trigger: by what triggered them: ``"recruitment"`` (a gift-pack item
            or an invite), ``"own_purchase"`` (another item bought by someone
            whose role may earn money) or ``"retail"`` (bought by someone whose
            role may not).
    """

    unit: str
    total: Flow
    by_rule: Mapping[str, Flow]
    by_level: Mapping[int, Flow]
    by_role: Mapping[str, Flow]
    by_month: Mapping[str, Flow]
    by_trigger: Mapping[str, Flow]

    def rows(self, slice_name: str) -> list[dict[str, Any]]:
        """One row per key of ``by_<slice_name>`` (``"rule"``, ``"level"``, ...)."""
        slices: Mapping[Any, Flow] = getattr(self, f"by_{slice_name}")
        return [
            {slice_name: key, "unit": self.unit, **flow.to_dict()} for key, flow in slices.items()
        ]


@dataclass(frozen=True, slots=True)
class IncomeDistribution:
    """How money income spreads over a population of participants.

    Income is what a participant holds in money at the end of the stream (net of
    clawbacks), zero for those who earned nothing.

    Attributes:
        participants: the population's size.
        earners: those whose income is above zero.
        total: their income together.
        mean: ``total / participants``, rounded half-even to the quantum (0 for
            nobody).
        median: the middle income, or the mean of the two middle ones (exact: it
            may hold half a quantum).
        p90: the 90th percentile, nearest rank: the smallest income that at least
            90% of the population do not exceed.
        max: the largest income.
        gini: the Gini coefficient (0 = equal, towards 1 = one takes all), exact
            then rounded half-even to 6 places.
    """

    participants: int
    earners: int
    total: Decimal
    mean: Decimal
    median: Decimal
    p90: Decimal
    max: Decimal
    gini: Decimal

    def to_dict(self) -> dict[str, Any]:
        """Plain data."""
        return plain(self)  # type: ignore[no-any-return]


@dataclass(frozen=True, slots=True)
class GiftPackRecoup:
    """Whether those who bought a gift pack earned its price back.

    Attributes:
        makers: participants who kept a gift pack they paid for: the part of the
            goods paid that falls on gift-pack items (items share the order's
            coupons in proportion to their amounts), less refunds, is above zero.
        recouped: those whose money income reaches what they paid for gift packs.
        share: ``recouped / makers`` rounded half-even to 6 places, or None for
            no makers.
    """

    makers: int
    recouped: int
    share: Decimal | None

    def to_dict(self) -> dict[str, Any]:
        """Plain data."""
        return plain(self)  # type: ignore[no-any-return]


@dataclass(frozen=True, slots=True)
class GuidePerformance:
    """What one guide is credited with as the performance owner of orders.

    Attributes:
        guide: the performance owner.
        store: their store at the end of the stream, or None.
        orders: orders paid with them as performance owner.
        gmv: goods paid on those orders.
        gmv_net: the same, net of refunds and cancellations.
        payouts_net: the money those orders pay, net of clawbacks (to anyone).
        earned_net: the guide's own money income, from any order.
    """

    guide: str
    store: str | None
    orders: int
    gmv: Decimal
    gmv_net: Decimal
    payouts_net: Decimal
    earned_net: Decimal


@dataclass(frozen=True, slots=True)
class StorePerformance:
    """What one store is credited with (the performance owner's store at payment).

    Attributes:
        store: the store.
        guides: distinct performance owners credited through it.
        orders: orders credited to it.
        gmv: goods paid on them.
        gmv_net: net of refunds and cancellations.
        payouts_net: the money those orders pay, net of clawbacks.
    """

    store: str
    guides: int
    orders: int
    gmv: Decimal
    gmv_net: Decimal
    payouts_net: Decimal


@dataclass(frozen=True, slots=True)
class MonthFigures:
    """One month of payments (orders counted in the month they were paid).

    Attributes:
        month: ``"YYYY-MM"`` in the time zone measured with.
        orders: orders paid.
        gmv: goods paid.
        gmv_net: net of refunds and cancellations (whenever they came).
        money_net: money payouts of those orders, net of clawbacks.
        points_net: points of those orders and of the month's invites.
        payout_ratio: ``money_net / gmv_net`` rounded half-even to 6 places, or
            None when ``gmv_net`` is zero.
    """

    month: str
    orders: int
    gmv: Decimal
    gmv_net: Decimal
    money_net: Decimal
    points_net: Decimal
    payout_ratio: Decimal | None


@dataclass(frozen=True, slots=True)
class ParticipantIncome:
    """One participant at the end of the stream.

    Attributes:
        participant: the id.
        role: their role at the end.
        level: their level in the referral tree at the end (1 = no upline).
        store: their store at the end, or None.
        money_net: money they hold from payouts, net of clawbacks.
        points_net: points they hold.
    """

    participant: str
    role: str
    level: int
    store: str | None
    money_net: Decimal
    points_net: Decimal


@dataclass(frozen=True, slots=True)
class EventCounts:
    """What happened to each event of the stream.

    Attributes:
        applied: events the book applied.
        duplicate: redelivered events (same id, same content): nothing changed.
        unchanged: valid events with nothing to record (a share click that does
            not move a binding).
        refused: events the book refused (nothing changed; not retried).
        refused_by_code: refused events by error code, sorted by code.
    """

    applied: int
    duplicate: int
    unchanged: int
    refused: int
    refused_by_code: Mapping[str, int]


@dataclass(frozen=True, slots=True)
class RegulatorMeasures:
    """What a regulator looks at in a ledger: how deep money flowed, how wide the
    tree grew, and what triggered the payouts.

    Attributes:
        money_depth: the deepest level above the buyer at which money was paid and
            kept (a money line with a net amount above zero); 0 when money went
            only to buyers on their own purchases, or nowhere.
        tree_depth: levels of the referral tree at the end of the stream,
            counting a participant without upline as level 1 (0 for no one).
        participants: participants who joined.
        participants_per_level: participants by tree level (1 = no upline).
        recruitment_share: the share of net money payouts triggered by
            recruitment (gift-pack items; invites pay points only).
        own_purchase_share: the share paid on purchases by buyers whose role may
            earn money (the buyer's own savings and their uplines' commission).
        retail_share: the share paid on purchases by buyers whose role may not
            earn money (customers).
        beyond_direct_share: the share of net money payouts paid at level 2 or
            deeper (pay on the sales of a downline's downline).
        money_net: net money payouts, the total the shares divide.

    The three trigger shares are rounded together to 6 decimal places by largest
    remainder, so they add up to exactly 1 when there are money payouts (all
    three are 0 when there are none); ``beyond_direct_share`` is rounded half-even
    to 6 places on its own.
    """

    money_depth: int
    tree_depth: int
    participants: int
    participants_per_level: Mapping[int, int]
    recruitment_share: Decimal
    own_purchase_share: Decimal
    retail_share: Decimal
    beyond_direct_share: Decimal
    money_net: Decimal

    def to_dict(self) -> dict[str, Any]:
        """Plain data."""
        return plain(self)  # type: ignore[no-any-return]


@dataclass(frozen=True, slots=True)
class Metrics:
    """Everything :func:`~socialcommerce_rules.metrics.measure` finds in one stream.

    Money figures are in ``currency``; points are a separate unit. GMV is the
    goods paid: item price times quantity, less item discounts, less the order's
    coupons, vouchers and points redemption (shipping excluded).

    Attributes:
        plan_id: the plan measured.
        plan_versions: the versions of the plan set.
        currency: the plan's currency.
        time_zone: the time zone months are cut in (its name).
        events: what happened to each event.
        orders: orders paid.
        orders_refunded: orders with at least one refund applied.
        orders_cancelled: orders cancelled.
        gmv: goods paid.
        gmv_refunded: goods refunded or cancelled (units returned count at their
            share of the goods paid, each order's total rounded half-even to the
            quantum).
        gmv_net: ``gmv - gmv_refunded``.
        money: money payouts, sliced.
        points: points, sliced.
        payout_ratio: net money payouts over ``gmv_net``, rounded half-even to 6
            places (None when ``gmv_net`` is zero).
        income: money income over every participant.
        income_by_role: the same over the participants holding each role at the end.
        gift_packs: whether gift-pack buyers earned their price back.
        guides: per performance owner, sorted by id.
        stores: per store, sorted by id.
        months: per month of payment, sorted.
        participants: every participant with their income, in join order.
        regulator: the regulator's measures.
    """

    plan_id: str
    plan_versions: tuple[int, ...]
    currency: str
    time_zone: str
    events: EventCounts
    orders: int
    orders_refunded: int
    orders_cancelled: int
    gmv: Decimal
    gmv_refunded: Decimal
    gmv_net: Decimal
    money: Payouts
    points: Payouts
    payout_ratio: Decimal | None
    income: IncomeDistribution
    income_by_role: Mapping[str, IncomeDistribution]
    gift_packs: GiftPackRecoup
    guides: Mapping[str, GuidePerformance]
    stores: Mapping[str, StorePerformance]
    months: Mapping[str, MonthFigures]
    participants: tuple[ParticipantIncome, ...]
    regulator: RegulatorMeasures

    def headline(self) -> dict[str, Value]:
        """The headline figures by name, in a fixed order (what ``compare`` lines up).

        Names are ``"gmv"``, ``"money.net"``, ``"money.net.level 2"``,
        ``"income.median"``, ``"regulator.money_depth"`` and so on; slices
        (levels, rules, roles, months) list the keys this stream has.
        """
        figures: dict[str, Value] = {
            "events.applied": self.events.applied,
            "events.refused": self.events.refused,
            "orders": self.orders,
            "orders.refunded": self.orders_refunded,
            "orders.cancelled": self.orders_cancelled,
            "gmv": self.gmv,
            "gmv.net": self.gmv_net,
            "money.accrued": self.money.total.accrued,
            "money.clawed_back": self.money.total.clawed_back,
            "money.net": self.money.total.net,
            "payout_ratio": self.payout_ratio,
            "points.accrued": self.points.total.accrued,
            "points.net": self.points.total.net,
        }
        for slice_name in ("level", "role", "rule", "month", "trigger"):
            slices: Mapping[Any, Flow] = getattr(self.money, f"by_{slice_name}")
            for key, flow in slices.items():
                figures[f"money.net.{slice_name} {key}"] = flow.net
        income = self.income
        figures |= {
            "income.earners": income.earners,
            "income.mean": income.mean,
            "income.median": income.median,
            "income.p90": income.p90,
            "income.max": income.max,
            "income.gini": income.gini,
            "gift_packs.makers": self.gift_packs.makers,
            "gift_packs.recouped": self.gift_packs.recouped,
            "gift_packs.share": self.gift_packs.share,
        }
        regulator = self.regulator
        figures |= {
            "regulator.money_depth": regulator.money_depth,
            "regulator.tree_depth": regulator.tree_depth,
            "regulator.participants": regulator.participants,
            "regulator.recruitment_share": regulator.recruitment_share,
            "regulator.own_purchase_share": regulator.own_purchase_share,
            "regulator.retail_share": regulator.retail_share,
            "regulator.beyond_direct_share": regulator.beyond_direct_share,
        }
        return figures

    def tables(self) -> dict[str, list[dict[str, Any]]]:
        """The sliced figures as tables: lists of flat rows, one list per table.

        Tables: ``levels``, ``rules``, ``roles``, ``months_payouts``, ``triggers``
        (money and points rows), ``months``, ``guides``, ``stores``,
        ``participants``, ``participants_per_level``, ``income_by_role``.
        """
        tables: dict[str, list[dict[str, Any]]] = {}
        for table, slice_name in (
            ("levels", "level"),
            ("rules", "rule"),
            ("roles", "role"),
            ("months_payouts", "month"),
            ("triggers", "trigger"),
        ):
            tables[table] = self.money.rows(slice_name) + self.points.rows(slice_name)
        tables["months"] = [plain(row) for row in self.months.values()]
        tables["guides"] = [plain(row) for row in self.guides.values()]
        tables["stores"] = [plain(row) for row in self.stores.values()]
        tables["participants"] = [plain(row) for row in self.participants]
        tables["participants_per_level"] = [
            {"level": level, "participants": count}
            for level, count in self.regulator.participants_per_level.items()
        ]
        tables["income_by_role"] = [
            {"role": role, **income.to_dict()} for role, income in self.income_by_role.items()
        ]
        return tables

    def to_dict(self) -> dict[str, Any]:
        """Plain data of everything (mappings keep their keys; levels are ints)."""
        return plain(self)  # type: ignore[no-any-return]

    def to_json(self) -> str:
        """JSON text of :meth:`to_dict`: amounts and shares as decimal strings."""
        return json.dumps(self.to_dict(), ensure_ascii=False, default=_json_default, indent=1)
