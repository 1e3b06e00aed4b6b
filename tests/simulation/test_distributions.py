"""The draws follow the configured distributions, and the network shows them."""

from __future__ import annotations

import random
from collections import Counter
from datetime import timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from socialcommerce_rules.events import (
    OrderCancelled,
    OrderCompleted,
    OrderPaid,
    OrderRefunded,
    ParticipantJoined,
    ParticipantStatusChanged,
    TeamTransplanted,
)
from socialcommerce_rules.simulate import PowerLaw, Uniform, Weighted
from socialcommerce_rules.simulate._distributions import _sampler

from ._support import MID, mid_stream

DRAWS = 40_000


def _frequencies(distribution: PowerLaw | Weighted | Uniform, seed: int) -> Counter[int]:
    draw, rng = _sampler(distribution), random.Random(seed)
    return Counter(draw(rng) for _ in range(DRAWS))


@settings(max_examples=10, deadline=None)
@given(
    exponent=st.sampled_from([1.0, 1.5, 2.0, 3.0]),
    minimum=st.integers(0, 3),
    width=st.integers(0, 30),
    seed=st.integers(0, 1_000),
)
def test_a_power_law_draws_each_value_at_its_probability(
    exponent: float, minimum: int, width: int, seed: int
) -> None:
    law = PowerLaw(exponent=exponent, minimum=minimum, maximum=minimum + width)
    seen = _frequencies(law, seed)

    assert set(seen) <= set(range(minimum, minimum + width + 1))
    for value in range(minimum, minimum + 3):
        expected = law.probability(value)
        # Five standard deviations of a binomial share.
        assert abs(seen[value] / DRAWS - expected) <= 5 * (expected / DRAWS) ** 0.5 + 1e-9


def test_the_default_invitations_are_heavy_tailed() -> None:
    law = PowerLaw(exponent=2.0, maximum=50)
    seen = _frequencies(law, 1)

    assert sum(seen[k] for k in (0, 1, 2)) / DRAWS > 0.8  # most invite 0-2
    assert sum(count for k, count in seen.items() if k >= 10) / DRAWS > 0.03  # a few many
    assert max(seen) > 40
    assert abs(law.mean() - sum(k * c for k, c in seen.items()) / DRAWS) < 0.1


def test_a_weighted_table_is_drawn_in_its_proportions() -> None:
    seen = _frequencies(Weighted((1, 2, 3), (6, 3, 1)), 2)

    for value, share in ((1, 0.6), (2, 0.3), (3, 0.1)):
        assert seen[value] / DRAWS == pytest.approx(share, abs=0.015)


def test_a_uniform_range_is_drawn_evenly_and_whole() -> None:
    seen = _frequencies(Uniform(1, 5), 3)

    assert sorted(seen) == [1, 2, 3, 4, 5]
    assert all(count / DRAWS == pytest.approx(0.2, abs=0.015) for count in seen.values())
    assert _frequencies(Uniform(4, 4), 0) == Counter({4: DRAWS})


# ---------------------------------------------------------------- the network


def _newcomers() -> list[ParticipantJoined]:
    """Invited participants outside transplanted teams: those who may churn.

    A team joins whole at the instant it is transplanted.
    """
    arrivals = {e.at for e in mid_stream() if isinstance(e, TeamTransplanted)}
    return [
        e
        for e in mid_stream()
        if isinstance(e, ParticipantJoined) and e.inviter is not None and e.at not in arrivals
    ]


def test_the_churn_share_is_as_configured() -> None:
    end = MID.start + timedelta(days=MID.days - MID.churn_days)
    newcomers = [e for e in _newcomers() if e.at < end]  # their churn falls in the horizon
    churned = {e.participant for e in mid_stream() if isinstance(e, ParticipantStatusChanged)}

    share = sum(e.participant in churned for e in newcomers) / len(newcomers)

    assert len(newcomers) > 2_000
    assert share == pytest.approx(MID.churn_share, abs=0.03)


def test_invitations_in_the_network_are_heavy_tailed() -> None:
    invited = Counter(
        e.inviter for e in mid_stream() if isinstance(e, ParticipantJoined) and e.inviter
    )
    churned = {e.participant for e in mid_stream() if isinstance(e, ParticipantStatusChanged)}
    members = [
        e.participant
        for e in mid_stream()
        if isinstance(e, ParticipantJoined)
        and not e.participant.startswith("guide-")
        and e.participant not in churned
    ]
    counts = [invited[m] for m in members]

    assert sum(c <= 2 for c in counts) / len(counts) > 0.75  # most invite 0-2
    assert max(counts) >= 15  # a few invite many
    assert sum(c >= 10 for c in counts) >= 10


def test_refunds_and_cancellations_happen_at_the_configured_rates() -> None:
    end = MID.start + timedelta(days=MID.days - MID.refund_days)
    paid = {e.order.order_id: e for e in mid_stream() if isinstance(e, OrderPaid)}
    ordinary = {oid for oid, e in paid.items() if e.order.items[0].sku != "GIFT-399"}
    completed = {
        e.order_id: e.at
        for e in mid_stream()
        if isinstance(e, OrderCompleted) and e.order_id in ordinary
    }
    refunded = [e for e in mid_stream() if isinstance(e, OrderRefunded)]
    cancelled = {e.order_id for e in mid_stream() if isinstance(e, OrderCancelled)}
    settled_in_time = {oid for oid, at in completed.items() if at < end}
    refund_share = sum(e.order_id in settled_in_time for e in refunded) / len(settled_in_time)
    early = [oid for oid in ordinary if paid[oid].at < end]

    assert refund_share == pytest.approx(MID.refund_share, abs=0.015)
    assert sum(oid in cancelled for oid in early) / len(early) == pytest.approx(
        MID.cancel_share, abs=0.006
    )
    fulls = 0
    for event in refunded:
        order = paid[event.order_id].order
        units = {item.item_id: item.quantity for item in order.items}
        back = {item.item_id: item.quantity for item in event.items}
        assert all(0 < back[i] <= units[i] for i in back)
        fulls += back == units
    assert fulls / len(refunded) > MID.full_refund_share - 0.05


def test_baskets_coupons_and_prices_follow_the_config() -> None:
    prices = {p.sku: p.unit_price for p in MID.catalogue}
    orders = [
        e.order
        for e in mid_stream()
        if isinstance(e, OrderPaid) and e.order.items[0].sku != "GIFT-399"
    ]
    with_coupon = [order for order in orders if order.coupons]

    for order in orders:
        goods = sum((item.unit_price * item.quantity for item in order.items), Decimal(0))
        assert order.coupons <= goods
        assert all(item.unit_price == prices[item.sku] for item in order.items)
        assert all(isinstance(item.unit_price, Decimal) for item in order.items)
        assert 1 <= len(order.items) <= MID.basket_items.maximum
        assert all(1 <= item.quantity <= 3 for item in order.items)
    assert {c.amount for c in MID.coupons} == {order.coupons for order in with_coupon}
    sizes = Counter(len(order.items) for order in orders)
    assert sizes[1] / len(orders) == pytest.approx(MID.basket_items.probability(1), abs=0.02)


def test_some_members_become_makers_through_the_gift_pack() -> None:
    gift = [
        e for e in mid_stream() if isinstance(e, OrderPaid) and e.order.items[0].sku == "GIFT-399"
    ]
    churned = {e.participant for e in mid_stream() if isinstance(e, ParticipantStatusChanged)}
    engaged = len(_newcomers()) - len(churned)

    assert len({e.order.buyer for e in gift}) == len(gift)  # once each
    assert len(gift) / engaged == pytest.approx(MID.maker_share, abs=0.03)
