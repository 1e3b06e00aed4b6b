"""A simulated stream is a valid lifecycle stream: a Book takes all of it, in order."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

from socialcommerce_rules import Plan, load_plan
from socialcommerce_rules.book import Book
from socialcommerce_rules.events import (
    OrderCancelled,
    OrderCompleted,
    OrderPaid,
    OrderRefunded,
    ParticipantJoined,
    ParticipantStatusChanged,
    TeamTransplanted,
)
from socialcommerce_rules.ledger import AVAILABLE, HELD, MERCHANT, PENDING
from socialcommerce_rules.plan import PlanSet
from socialcommerce_rules.simulate import SimulationConfig, simulate

from ._support import ARTICLE, SMALL, article_plan, small_stream


def test_a_book_applies_every_event_of_a_small_stream() -> None:
    book = Book(article_plan())
    statuses = Counter(book.apply(event).status for event in small_stream())

    assert statuses == Counter(applied=len(small_stream()))
    # The ledger moved: money pending, held after completion and available after settlement.
    states = {b.state for b in book.balances() if b.unit == "CNY" and b.holder != MERCHANT}
    assert {PENDING, HELD, AVAILABLE} <= states


def test_the_stream_holds_every_kind_of_happening() -> None:
    kinds = Counter(event.type for event in small_stream())

    assert set(kinds) == {
        "participant_joined",
        "participant_status_changed",
        "team_transplanted",
        "order_paid",
        "order_completed",
        "order_refunded",
        "order_cancelled",
        "settlement_run",
    }
    assert kinds["participant_joined"] == SMALL.participants_max


def test_events_are_in_time_order_with_unique_ids() -> None:
    events = small_stream()
    times = [event.at for event in events]

    assert times == sorted(times)
    assert len({event.event_id for event in events}) == len(events)
    assert SMALL.start <= times[0]
    assert times[-1] < SMALL.start + timedelta(days=SMALL.days)


def test_every_event_follows_what_it_depends_on() -> None:
    joined: set[str] = set()
    inactive: set[str] = set()
    paid: dict[str, OrderPaid] = {}
    completed: set[str] = set()
    closed: set[str] = set()
    for event in small_stream():
        if isinstance(event, ParticipantJoined):
            assert event.inviter is None or event.inviter in joined
            assert event.inviter not in inactive  # the churned invite nobody
            joined.add(event.participant)
        elif isinstance(event, ParticipantStatusChanged):
            assert event.participant in joined
            assert not event.active
            inactive.add(event.participant)
        elif isinstance(event, TeamTransplanted):
            assert event.team_root in joined
            assert event.upline in joined
        elif isinstance(event, OrderPaid):
            assert event.order.buyer in joined
            assert event.order.buyer not in inactive
            assert event.order.paid_at == event.at
            paid[event.order.order_id] = event
        elif isinstance(event, OrderCompleted):
            assert event.order_id in paid
            assert event.order_id not in closed
            assert event.at > paid[event.order_id].at
            completed.add(event.order_id)
        elif isinstance(event, OrderRefunded):
            assert event.order_id in completed
            assert event.order_id not in closed
            closed.add(event.order_id)  # one refund per order at most
        elif isinstance(event, OrderCancelled):
            assert event.order_id in paid
            assert event.order_id not in completed
            closed.add(event.order_id)


def test_churned_newcomers_neither_buy_nor_invite() -> None:
    events = small_stream()
    churned = {e.participant for e in events if isinstance(e, ParticipantStatusChanged)}
    buyers = {e.order.buyer for e in events if isinstance(e, OrderPaid)}
    inviters = {e.inviter for e in events if isinstance(e, ParticipantJoined)}

    assert churned
    assert not churned & buyers
    assert not churned & inviters


def test_gift_pack_buyers_become_makers_in_the_book() -> None:
    book = Book(article_plan())
    for event in small_stream():
        book.apply(event)
    gift_orders = [
        e for e in small_stream() if isinstance(e, OrderPaid) and e.order.items[0].sku == "GIFT-399"
    ]

    assert gift_orders
    for event in gift_orders:
        assert event.order.items[0].unit_price == article_plan().gift_packs[0].goods_value
        assert book.graph.role(event.order.buyer, at=SMALL.start.replace(year=2027)) == "maker"


def test_a_transplanted_team_moves_under_a_guide() -> None:
    book = Book(article_plan())
    for event in small_stream():
        book.apply(event)
    moves = [e for e in small_stream() if isinstance(e, TeamTransplanted)]

    assert moves
    for move in moves:
        assert move.upline is not None
        assert move.upline.startswith("guide-")
        assert book.graph.upline(move.team_root, at=move.at) == move.upline


def test_a_plan_set_is_simulated_with_the_version_in_force() -> None:
    plan_set = PlanSet([load_plan(ARTICLE)])
    config = SimulationConfig(seed=5, participants_max=80, days=60)

    events = simulate(plan_set, config)
    book = Book(plan_set)

    assert events == simulate(article_plan(), config)
    assert all(book.apply(event).status == "applied" for event in events)


def test_without_gift_packs_nobody_converts() -> None:
    text = ARTICLE.read_text(encoding="utf-8")
    start = text.index("[[gift_packs]]")
    plan = Plan.from_toml(text[:start] + text[text.index("[[rules]]", start) :])
    config = SimulationConfig(
        seed=5, participants_max=150, days=90, maker_share=1.0, transplant_every_days=10
    )

    events = simulate(plan, config)
    book = Book(plan)

    assert all(book.apply(event).status == "applied" for event in events)
    skus = {item.sku for e in events if isinstance(e, OrderPaid) for item in e.order.items}
    assert "GIFT-399" not in skus
    # A transplanted team's root starts as the lowest role when no gift pack names another.
    roots = {e.team_root for e in events if isinstance(e, TeamTransplanted)}
    assert roots
    assert all(
        book.graph.role(root, at=config.start.replace(year=2027)) == "member" for root in roots
    )
