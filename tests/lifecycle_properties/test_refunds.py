"""Properties of refunds: recomputed on what was kept, path-independent, netting to zero."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from decimal import Decimal
from itertools import pairwise
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from socialcommerce_rules import Order, ReferralGraph, evaluate
from socialcommerce_rules.book import Book
from socialcommerce_rules.errors import EventError
from socialcommerce_rules.events import Event, event_from_mapping
from socialcommerce_rules.plan import Plan

from .checks import check_order_conservation
from .strategies import examples, instant, order_mapping, plan_mappings

PAID_MINUTE = 2 * 1440
ORDER_ID = "o-1"


class Sale:
    """One order in a small tree, paid; refunds and other steps are added to it."""

    def __init__(self, plan: dict[str, Any], roles: list[str], order: dict[str, Any]) -> None:
        self.plan = Plan.from_mapping(plan)
        self.roles = roles
        self.order = order
        self.minute = PAID_MINUTE
        self.count = 0

    def __repr__(self) -> str:
        plan = self.plan.model_dump(mode="json")
        return f"Sale(plan={plan!r}, roles={self.roles!r}, order={self.order!r})"

    def book(self) -> Book:
        """A book in which the tree has joined and the order is paid."""
        book = Book(self.plan)
        for event in self.setup():
            book.apply(event)
        return book

    def setup(self) -> list[Event]:
        events = []
        for index, role in enumerate(self.roles):
            join: dict[str, Any] = {
                "type": "participant_joined",
                "event_id": f"join-{index}",
                "at": instant(index),
                "participant": f"p{index}",
                "role": role,
            }
            if index:
                join["inviter"] = f"p{index - 1}"
            events.append(event_from_mapping(join))
        paid_at = instant(PAID_MINUTE)
        payment = {"type": "order_paid", "event_id": "paid", "at": paid_at, "order": self.order}
        return [*events, event_from_mapping(payment)]

    def step(self, kind: str, **fields: Any) -> Event:
        """The next step of the order, a minute after the previous one."""
        return self.event(kind, order_id=ORDER_ID, **fields)

    def event(self, kind: str, **fields: Any) -> Event:
        """The next event, a minute after the previous one."""
        self.minute += 1
        self.count += 1
        at = instant(self.minute)
        return event_from_mapping(
            {"type": kind, "event_id": f"{kind}-{self.count}", "at": at, **fields}
        )

    def units(self, quantities: dict[str, int]) -> Event:
        items = [{"item_id": item, "quantity": q} for item, q in sorted(quantities.items()) if q]
        return self.step("order_refunded", items=items)

    def amount(self, quanta: int) -> Event:
        return self.step("order_refunded", amount=f"{Decimal(quanta).scaleb(-2):f}")

    def graph(self) -> ReferralGraph:
        graph = ReferralGraph()
        for index, role in enumerate(self.roles):
            inviter = f"p{index - 1}" if index else None
            graph.join(f"p{index}", at=_time(index), role=role, inviter=inviter)
        return graph


def _time(minute: int) -> datetime:
    return datetime.fromisoformat(instant(minute))


@st.composite
def sales(draw: st.DrawFn, *, plain: bool = False) -> Sale:
    """A plan, a chain of 1 to 4 participants from a guide down to the buyer, a paid order."""
    plan = draw(plan_mappings())
    below = draw(st.lists(st.sampled_from(("member", "maker", "guide")), max_size=3))
    roles = ["guide", *below]
    order, _ = order_mapping(
        draw, ORDER_ID, f"p{len(roles) - 1}", instant(PAID_MINUTE), plain=plain
    )
    return Sale(plan, roles, order)


def _goods_q(order: dict[str, Any]) -> int:
    total = 0
    for item in order["items"]:
        total += _quanta(item["unit_price"]) * item["quantity"] - _quanta(item["discount"])
    return total - _quanta(order["coupons"])


def _quanta(text: str) -> int:
    return int(Decimal(text).scaleb(2))


def _parts(draw: st.DrawFn, total: int) -> list[int]:
    """``total`` split into 1 to 5 positive parts."""
    if total <= 1:
        return [total] if total else []
    cuts = draw(st.lists(st.integers(1, total - 1), max_size=4, unique=True))
    bounds = [0, *sorted(cuts), total]
    return [high - low for low, high in pairwise(bounds)]


def _unit_parts(draw: st.DrawFn, units: dict[str, int]) -> list[dict[str, int]]:
    """The units of ``units`` refunded over 1 to 4 events."""
    events: list[dict[str, int]] = []
    for item, count in sorted(units.items()):
        for part in _parts(draw, count):
            index = draw(st.integers(0, len(events)))
            if index == len(events):
                events.append({})
            events[index][item] = events[index].get(item, 0) + part
    return events


def _beneficiary_totals(book: Book) -> dict[tuple[str, str], Decimal]:
    totals: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for entry in book.entries:
        if entry.order_id == ORDER_ID:
            for posting in entry.postings:
                totals[(posting.holder, entry.unit)] += posting.amount
    return totals


# ------------------------------------------------------------------ properties


@examples(300)
@given(sales(plain=True), st.sampled_from(("units", "amount", "both")), st.data())
def test_any_split_of_a_cumulative_refund_gives_the_same_lines(
    sale: Sale, mode: str, data: st.DataObject
) -> None:
    units = {}
    if mode != "amount":
        units = {
            item["item_id"]: data.draw(st.integers(0, item["quantity"]))
            for item in sale.order["items"]
        }
    refunded_units_q = sum(
        _quanta(item["unit_price"]) * units.get(item["item_id"], 0) for item in sale.order["items"]
    )
    amount_q = 0
    if mode != "units":
        amount_q = data.draw(st.integers(0, _goods_q(sale.order) - refunded_units_q))
    whole: list[Event] = []
    if any(units.values()):
        whole.append(sale.units(units))
    if amount_q:
        whole.append(sale.amount(amount_q))
    split = [sale.units(part) for part in _unit_parts(data.draw, units)]
    split += [sale.amount(part) for part in _parts(data.draw, amount_q)]
    split = data.draw(st.permutations(split))
    at_once, piecemeal = sale.book(), sale.book()
    for event in whole:
        at_once.apply(event)
    for event in split:
        piecemeal.apply(event)
        check_order_conservation(piecemeal, "CNY")
    assert piecemeal.order_lines(ORDER_ID) == at_once.order_lines(ORDER_ID)
    assert piecemeal.balances() == at_once.balances()


@examples(300)
@given(sales(plain=True), st.data())
def test_refunded_units_leave_the_plan_on_the_units_kept(sale: Sale, data: st.DataObject) -> None:
    units = {
        item["item_id"]: data.draw(st.integers(0, item["quantity"] - 1))
        for item in sale.order["items"]
    }
    book = sale.book()
    accrued = book.order_lines(ORDER_ID)
    for part in _unit_parts(data.draw, units):
        book.apply(sale.units(part))
    kept = dict(sale.order)
    kept["items"] = [
        {**item, "quantity": item["quantity"] - units[item["item_id"]]}
        for item in sale.order["items"]
    ]
    _assert_lines_are_the_plan_on(book, sale, kept, accrued)


@examples(300)
@given(sales(plain=True), st.data())
def test_refunded_amounts_leave_the_plan_on_the_money_kept(sale: Sale, data: st.DataObject) -> None:
    (item, *_) = sale.order["items"]
    sale.order = {**sale.order, "items": [{**item, "quantity": 1}]}
    price_q = _quanta(item["unit_price"])
    refunded_q = data.draw(st.integers(0, price_q - 1))
    book = sale.book()
    accrued = book.order_lines(ORDER_ID)
    for part in _parts(data.draw, refunded_q):
        book.apply(sale.amount(part))
    kept = dict(sale.order)
    kept["items"] = [
        {**item, "quantity": 1, "unit_price": f"{Decimal(price_q - refunded_q).scaleb(-2):f}"}
    ]
    _assert_lines_are_the_plan_on(book, sale, kept, accrued)


def _assert_lines_are_the_plan_on(
    book: Book, sale: Sale, kept: dict[str, Any], accrued: dict[Any, Decimal]
) -> None:
    """Each line holds the plan on ``kept``, never more than the payment credited."""
    evaluation = evaluate(sale.plan, sale.graph(), Order.from_mapping(kept))
    plan_on_kept = {
        (line.rule_id, line.item_id, line.beneficiary, line.level): line.amount
        for line in evaluation.lines
    }
    expected = {key: min(plan_on_kept.get(key, Decimal(0)), paid) for key, paid in accrued.items()}
    assert book.order_lines(ORDER_ID) == expected


FULL_REFUNDS = ["cancellation", "units", "amounts"]


@pytest.mark.parametrize("how", FULL_REFUNDS)
@examples(150)
@given(sale=sales(), data=st.data())
def test_a_full_refund_nets_every_beneficiary_to_zero(
    how: str, sale: Sale, data: st.DataObject
) -> None:
    book = sale.book()
    steps: list[Event] = []
    if how == "cancellation":
        steps.append(sale.step("order_cancelled"))
    elif how == "units":
        units = {item["item_id"]: item["quantity"] for item in sale.order["items"]}
        steps += [sale.units(part) for part in _unit_parts(data.draw, units)]
    else:
        goods_q = _goods_q(sale.order)
        if not goods_q:
            steps.append(sale.step("order_cancelled"))
        steps += [sale.amount(part) for part in _parts(data.draw, goods_q)]
    _full_refund(book, sale, steps, data)


@examples(150)
@given(sale=sales(plain=True), data=st.data())
def test_a_full_refund_by_units_and_amounts_nets_every_beneficiary_to_zero(
    sale: Sale, data: st.DataObject
) -> None:
    units = {
        item["item_id"]: data.draw(st.integers(0, item["quantity"])) for item in sale.order["items"]
    }
    refunded_units_q = sum(
        _quanta(item["unit_price"]) * units[item["item_id"]] for item in sale.order["items"]
    )
    steps = [sale.units(part) for part in _unit_parts(data.draw, units)]
    steps += [
        sale.amount(part) for part in _parts(data.draw, _goods_q(sale.order) - refunded_units_q)
    ]
    _full_refund(sale.book(), sale, data.draw(st.permutations(steps)), data)


def _full_refund(book: Book, sale: Sale, steps: list[Event], data: st.DataObject) -> None:
    """Complete (and settle) the order at a drawn point, then check it nets to zero."""
    completion = data.draw(st.integers(0, len(steps)))  # len(steps): never completed
    for index, step in enumerate(steps):
        if index == completion:
            book.apply(sale.step("order_completed"))
            if data.draw(st.booleans()):
                sale.minute += sale.plan.after_sales_days * 1440
                book.apply(sale.event("settlement_run"))
        book.apply(_later(step, sale))
        check_order_conservation(book, "CNY")
    assert not any(_beneficiary_totals(book).values())
    assert not any(book.order_lines(ORDER_ID).values())
    with pytest.raises(EventError) as caught:
        book.apply(sale.amount(1))
    assert caught.value.code == "event-order-closed"


def _later(step: Event, sale: Sale) -> Event:
    """``step`` moved after whatever the sale recorded last, keeping its content."""
    sale.minute += 1
    return step.model_copy(update={"at": _time(sale.minute)})
