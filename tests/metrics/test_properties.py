"""Properties of the metrics on random valid streams, with gift packs and invites.

The streams come from the lifecycle strategies; a gift pack is added to their plans
(the ``SOAP`` SKU makes a maker, and its rebate rule, when drawn, pays on it) so that
recruitment, own purchases and retail all occur.
"""

from __future__ import annotations

import contextlib
import json
from decimal import Decimal, localcontext
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from lifecycle_properties.strategies import Stream, examples, streams
from socialcommerce_rules import Plan
from socialcommerce_rules.book import Book
from socialcommerce_rules.errors import SocialCommerceError
from socialcommerce_rules.events import Event, event_from_mapping
from socialcommerce_rules.ledger import MERCHANT, POINTS
from socialcommerce_rules.metrics import Metrics, compare, measure
from socialcommerce_rules.money import exact_sum


def _plan(stream: Stream) -> Plan:
    mapping: dict[str, Any] = dict(stream.plan)
    mapping["gift_packs"] = [{"sku": "SOAP", "becomes": "maker", "goods_value": "1.00"}]
    return Plan.from_mapping(mapping)


def _book(plan: Plan, events: list[Event]) -> Book:
    book = Book(plan)
    for event in events:
        with contextlib.suppress(SocialCommerceError):
            book.apply(event)
    return book


def _holder_totals(book: Book, unit: str) -> dict[str, Decimal]:
    totals: dict[str, Decimal] = {}
    for balance in book.balances():
        if balance.unit == unit and balance.holder != MERCHANT:
            totals[balance.holder] = exact_sum(
                (totals.get(balance.holder, Decimal(0)), balance.amount)
            )
    return {holder: amount for holder, amount in totals.items() if amount}


def _nonzero(rows: dict[str, Decimal]) -> dict[str, Decimal]:
    return {key: value for key, value in rows.items() if value}


@examples(60)
@given(streams(max_participants=8, max_orders=5))
def test_payout_totals_are_the_ledger_balances(stream: Stream) -> None:
    plan = _plan(stream)
    events = stream.in_order()

    metrics = measure(plan, events)
    book = _book(plan, events)

    for unit, payouts in ((plan.currency, metrics.money), (POINTS, metrics.points)):
        holders = _holder_totals(book, unit)
        assert exact_sum(holders.values()) == payouts.total.net
        merchant = [b.amount for b in book.balances() if b.holder == MERCHANT and b.unit == unit]
        assert exact_sum(merchant) == -payouts.total.net
        accrued = [
            entry.postings[0].amount
            for entry in book.entries
            if entry.unit == unit and entry.kind in ("accrual", "invite")
        ]
        assert exact_sum(accrued) == payouts.total.accrued
    money = {row.participant: row.money_net for row in metrics.participants}
    points = {row.participant: row.points_net for row in metrics.participants}
    assert _nonzero(money) == _holder_totals(book, plan.currency)
    assert _nonzero(points) == _holder_totals(book, POINTS)
    assert metrics.income.total == metrics.money.total.net


@examples(60)
@given(streams(max_participants=8, max_orders=5))
def test_every_slice_adds_up_to_the_total(stream: Stream) -> None:
    metrics = measure(_plan(stream), stream.in_order())

    for payouts in (metrics.money, metrics.points):
        total = payouts.total
        for slices in (
            payouts.by_rule,
            payouts.by_level,
            payouts.by_role,
            payouts.by_month,
            payouts.by_trigger,
        ):
            flows = list(slices.values())
            assert exact_sum(flow.accrued for flow in flows) == total.accrued
            assert exact_sum(flow.net for flow in flows) == total.net
            assert sum(flow.lines for flow in flows) == total.lines
            assert all(flow.clawed_back >= 0 and flow.net >= 0 for flow in flows)
    assert exact_sum(row.money_net for row in metrics.months.values()) == metrics.money.total.net
    assert sum(row.orders for row in metrics.months.values()) == metrics.orders
    assert exact_sum(row.gmv_net for row in metrics.months.values()) == metrics.gmv_net


@examples(60)
@given(streams(max_participants=8, max_orders=5))
def test_gmv_is_the_goods_paid_and_refunds_never_exceed_it(stream: Stream) -> None:
    metrics = measure(_plan(stream), stream.in_order())

    goods = exact_sum(Decimal(story.goods_q).scaleb(-2) for story in stream.orders)
    assert metrics.gmv == goods
    assert 0 <= metrics.gmv_net <= metrics.gmv
    assert metrics.gmv_refunded + metrics.gmv_net == metrics.gmv


@examples(60)
@given(streams(max_participants=8, max_orders=5))
def test_the_trigger_shares_add_up_to_one(stream: Stream) -> None:
    regulator = measure(_plan(stream), stream.in_order()).regulator

    shares = (regulator.recruitment_share, regulator.own_purchase_share, regulator.retail_share)
    assert all(share >= 0 for share in shares)
    assert exact_sum(shares) == (1 if regulator.money_net else 0)
    assert sum(regulator.participants_per_level.values()) == regulator.participants
    assert regulator.tree_depth == max(regulator.participants_per_level, default=0)


@examples(30)
@given(streams(max_participants=8, max_orders=5))
def test_a_plan_compared_with_itself_differs_in_nothing(stream: Stream) -> None:
    plan = _plan(stream)

    comparison = compare([plan, plan], stream.in_order())

    assert comparison.plans == ("lifecycle-under-test v1", "lifecycle-under-test v1 (2)")
    for row in comparison.rows:
        assert row.values[0] == row.values[1]
        assert row.differences[1] in (0, None)
        assert row.relative[1] in (0, None)


def _json(metrics: Metrics) -> str:
    return metrics.to_json()


@examples(30)
@given(streams(max_participants=8, max_orders=5), st.integers(1, 5))
def test_measuring_is_deterministic_whatever_the_decimal_context(
    stream: Stream, precision: int
) -> None:
    plan = _plan(stream)
    first = _json(measure(plan, stream.in_order()))

    with localcontext() as context:
        context.prec = precision
        again = _json(measure(plan, iter(stream.in_order())))

    assert again == first


@examples(30)
@given(streams(max_participants=8, max_orders=5))
def test_refused_and_redelivered_events_are_counted_and_change_nothing(stream: Stream) -> None:
    plan = _plan(stream)
    events = stream.in_order()
    first_join = stream.joins[0]
    extra = [
        # A refund of an order never paid: not ready.
        event_from_mapping(
            {
                "type": "order_refunded",
                "event_id": "refund-unknown",
                "at": first_join["at"],
                "order_id": "never-paid",
                "amount": "1.00",
            }
        ),
        # The first join again with another role: a conflict.
        event_from_mapping({**first_join, "role": "member"}),
        # The first join again, the same: a duplicate.
        event_from_mapping(first_join),
    ]

    clean = measure(plan, events)
    noisy = measure(plan, [*events, *extra])

    assert noisy.events.refused == clean.events.refused + 2
    assert noisy.events.refused_by_code["event-not-ready"] >= 1
    assert noisy.events.refused_by_code["event-conflict"] >= 1
    assert noisy.events.duplicate == clean.events.duplicate + 1
    assert json.loads(noisy.to_json()) | {"events": None} == json.loads(clean.to_json()) | {
        "events": None
    }
