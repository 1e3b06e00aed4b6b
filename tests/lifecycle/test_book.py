"""The book's lifecycle rules, one example each: refusals, batches, time, refunds.

The golden vectors pin whole scenarios; these tests pin the rules a backend
relies on one at a time, with the amounts worked out in the comments.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

import pytest

from socialcommerce_rules import Plan, SocialCommerceError, load_plan
from socialcommerce_rules.book import Book
from socialcommerce_rules.errors import EventConflictError, EventError, EventNotReadyError
from socialcommerce_rules.events import Event, event_from_mapping
from socialcommerce_rules.ledger import Balance

from ._runner import VECTORS, VectorRun, run_vector, vector_directories

PLAN = load_plan(VECTORS / "001-pay-complete-settle" / "plan.toml")


def _joined(event_id: str, at: str, who: str, role: str, inviter: str | None = None) -> Event:
    data: dict[str, Any] = {"type": "participant_joined", "event_id": event_id, "at": at}
    data |= {"participant": who, "role": role, "inviter": inviter}
    return event_from_mapping(data)


def _paid(
    event_id: str, order_id: str, buyer: str, at: str, price: str, quantity: int = 1, **extra: Any
) -> Event:
    item = {"item_id": "1", "sku": "TEA-250G", "unit_price": price, "quantity": quantity}
    order = {"order_id": order_id, "buyer": buyer, "paid_at": at, "currency": "CNY"}
    data = {
        "type": "order_paid",
        "event_id": event_id,
        "at": at,
        "order": order | {"items": [item]},
    }
    return event_from_mapping(data | extra)


def _step(kind: str, event_id: str, at: str, order_id: str = "o-1", **fields: Any) -> Event:
    data = {"type": kind, "event_id": event_id, "at": at, "order_id": order_id}
    return event_from_mapping(data | fields)


TREE = [
    _joined("j-guide-li", "2026-01-02T09:00:00+08:00", "guide-li", "guide"),
    _joined("j-ann", "2026-01-03T10:00:00+08:00", "ann", "maker", "guide-li"),
    _joined("j-zhao", "2026-01-04T10:00:00+08:00", "zhao", "member", "ann"),
]
# zhao pays 3 x 100.00: ann 10% = 30.00, guide-li 5% = 15.00, zhao 300 points.
PAID = _paid("p-o1", "o-1", "zhao", "2026-01-05T12:00:00+08:00", "100.00", 3)


def _book(*events: Event, plan: Plan = PLAN) -> Book:
    book = Book(plan)
    for event in events:
        book.apply(event)
    return book


def _state(book: Book) -> tuple[object, ...]:
    lines = {}
    for order_id in ("o-1", "o-2"):
        try:
            lines[order_id] = book.order_lines(order_id)
        except LookupError:
            lines[order_id] = None
    return (book.entries, book.events, book.balances(), lines)


def _amounts(book: Book, unit: str = "CNY") -> dict[tuple[str, str], str]:
    return {(b.holder, b.state): f"{b.amount}" for b in book.balances() if b.unit == unit}


# ------------------------------------------------------------ refused events


REFUSED_AFTER_PAYMENT = [
    pytest.param(
        _step(
            "order_refunded",
            "r-x",
            "2026-01-06T12:00:00+08:00",
            items=[{"item_id": "9", "quantity": 1}],
        ),
        "event-unknown-item",
        "items",
        id="unknown-item",
    ),
    pytest.param(
        _step(
            "order_refunded",
            "r-x",
            "2026-01-06T12:00:00+08:00",
            items=[{"item_id": "1", "quantity": 4}],
        ),
        "event-refund-exceeds-paid",
        "items",
        id="units-above-paid",
    ),
    pytest.param(
        _step("order_refunded", "r-x", "2026-01-06T12:00:00+08:00", amount="300.01"),
        "event-refund-exceeds-paid",
        "amount",
        id="amount-above-paid",
    ),
    pytest.param(
        _step("order_refunded", "r-x", "2026-01-06T12:00:00+08:00", amount="0.001"),
        "event-invalid",
        "amount",
        id="amount-finer-than-quantum",
    ),
    pytest.param(
        _paid("p-again", "o-1", "zhao", "2026-01-05T12:00:00+08:00", "100.00", 3),
        "event-order-already-paid",
        "order.order_id",
        id="second-payment",
    ),
    pytest.param(
        _step("order_refunded", "r-x", "2026-01-06T12:00:00+08:00", order_id="o-2", amount="1.00"),
        "event-not-ready",
        "order_id",
        id="refund-of-an-unpaid-order",
    ),
    pytest.param(
        _step("order_completed", "c-x", "2026-01-06T12:00:00+08:00", order_id="o-2"),
        "event-not-ready",
        "order_id",
        id="completion-of-an-unpaid-order",
    ),
    pytest.param(
        _paid("p-o2", "o-2", "nobody", "2026-01-05T13:00:00+08:00", "10.00"),
        "event-not-ready",
        "buyer",
        id="payment-by-someone-not-joined",
    ),
]


@pytest.mark.parametrize(("event", "code", "path"), REFUSED_AFTER_PAYMENT)
def test_a_refused_event_changes_nothing_and_is_not_remembered(
    event: Event, code: str, path: str
) -> None:
    book = _book(*TREE, PAID)
    before = _state(book)
    with pytest.raises(SocialCommerceError) as caught:
        book.apply(event)
    assert (caught.value.code, caught.value.path, caught.value.event_id) == (
        code,
        path,
        event.event_id,
    )
    assert isinstance(caught.value, EventNotReadyError) == (code == "event-not-ready")
    assert _state(book) == before
    # Refused, the id is free: the same id with other content is not a conflict.
    fine = _step("order_refunded", event.event_id, "2026-01-06T12:00:00+08:00", amount="1.00")
    assert book.apply(fine).status == "applied"


def test_a_not_ready_error_names_its_path_and_event_once() -> None:
    book = _book(*TREE[:2])
    with pytest.raises(EventNotReadyError) as caught:
        book.apply(PAID)
    message = str(caught.value)
    assert message.startswith("buyer: the buyer 'zhao'"), message
    assert message.count("buyer:") == 1, message
    assert message.endswith(" [p-o1]"), message
    assert message.count("[") == 1, message


def test_a_conflict_names_the_first_differing_field() -> None:
    book = _book(*TREE, PAID)
    changed = _paid("p-o1", "o-1", "zhao", "2026-01-05T12:00:00+08:00", "100.01", 3)
    with pytest.raises(EventConflictError) as caught:
        book.apply(changed)
    assert caught.value.path == "order.items[0].unit_price"
    other_type = _step("order_completed", "p-o1", "2026-01-05T12:00:00+08:00")
    with pytest.raises(EventConflictError) as caught:
        book.apply(other_type)
    assert caught.value.path == "type"


def test_a_duplicate_returns_the_first_outcome_however_late() -> None:
    book = _book(*TREE, PAID)
    refund = _step("order_refunded", "r-1", "2026-01-06T12:00:00+08:00", amount="30.00")
    first = book.apply(refund)
    book.apply(_step("order_completed", "c-1", "2026-01-07T12:00:00+08:00"))
    book.apply(
        event_from_mapping(
            {"type": "settlement_run", "event_id": "s-1", "at": "2026-02-01T00:00:00+08:00"}
        )
    )
    entries = book.entries
    again = book.apply(refund)
    assert again.status == "duplicate"
    assert again.entries == first.entries
    assert again.message == first.message
    assert book.entries == entries


# ------------------------------------------------------------------ batches


def test_an_atomic_batch_applies_nothing_when_one_event_is_refused() -> None:
    book = _book(*TREE)
    before = _state(book)
    batch = [
        PAID,
        _step("order_refunded", "r-1", "2026-01-06T12:00:00+08:00", amount="100.00"),
        _step("order_refunded", "r-2", "2026-01-06T13:00:00+08:00", amount="200.01"),
    ]
    with pytest.raises(EventError) as caught:
        book.apply_batch(batch)
    assert caught.value.code == "event-refund-exceeds-paid"
    assert caught.value.event_id == "r-2"
    assert _state(book) == before
    # The batch without its bad event applies whole: pay, then refund a third.
    outcomes = book.apply_batch(batch[:2])
    assert [outcome.status for outcome in outcomes] == ["applied", "applied"]  # type: ignore[union-attr]
    assert book.order_lines("o-1")[("sales-commission", "1", "ann", 1)] == Decimal("20.00")


def test_a_non_atomic_batch_reports_each_event_in_order() -> None:
    book = _book(*TREE)
    batch = [
        _step("order_refunded", "r-1", "2026-01-06T12:00:00+08:00", amount="100.00"),
        PAID,
        PAID,
        _step("order_refunded", "r-1", "2026-01-06T12:00:00+08:00", amount="100.00"),
        _step("order_refunded", "r-2", "2026-01-06T13:00:00+08:00", amount="200.01"),
    ]
    results = book.apply_batch(batch, atomic=False)
    kinds = [
        result.code if isinstance(result, SocialCommerceError) else result.status
        for result in results
    ]
    assert kinds == [
        "event-not-ready",
        "applied",
        "duplicate",
        "applied",
        "event-refund-exceeds-paid",
    ]
    assert _amounts(book) == {
        ("ann", "pending"): "20.00",
        ("guide-li", "pending"): "10.00",
        ("merchant", "commission"): "-30.00",
    }


# --------------------------------------------------------------------- time


def test_balances_as_of_any_instant_follow_the_lifecycle() -> None:
    book = _book(
        *TREE,
        PAID,  # 01-05 12:00: pending
        _step("order_completed", "c-1", "2026-01-08T12:00:00+08:00"),  # held until 01-15 12:00
        event_from_mapping(
            {"type": "settlement_run", "event_id": "s-1", "at": "2026-01-15T12:00:00+08:00"}
        ),
        _step(
            "order_refunded",
            "r-1",
            "2026-01-20T12:00:00+08:00",
            items=[{"item_id": "1", "quantity": 1}],
        ),
    )

    def at(text: str) -> dict[tuple[str, str], str]:
        return {
            (b.holder, b.state): f"{b.amount}"
            for b in book.balances(as_of=datetime.fromisoformat(text))
            if b.unit == "CNY"
        }

    assert at("2026-01-05T11:59:59+08:00") == {}
    assert at("2026-01-05T12:00:00+08:00") == {
        ("ann", "pending"): "30.00",
        ("guide-li", "pending"): "15.00",
        ("merchant", "commission"): "-45.00",
    }
    assert at("2026-01-10T00:00:00+08:00") == {
        ("ann", "held"): "30.00",
        ("guide-li", "held"): "15.00",
        ("merchant", "commission"): "-45.00",
    }
    assert at("2026-01-16T00:00:00+08:00") == {
        ("ann", "available"): "30.00",
        ("guide-li", "available"): "15.00",
        ("merchant", "commission"): "-45.00",
    }
    # The refund of 1 of 3 units after settlement: ann 20.00, guide-li 10.00 remain.
    assert at("2026-01-20T12:00:00+08:00") == {
        ("ann", "available"): "20.00",
        ("guide-li", "available"): "10.00",
        ("merchant", "commission"): "-30.00",
    }
    assert book.balances() == book.balances(as_of=datetime.fromisoformat("2030-01-01T00:00:00Z"))
    assert all(isinstance(balance, Balance) for balance in book.balances())


def test_a_settlement_run_never_releases_an_open_window() -> None:
    book = _book(*TREE, PAID, _step("order_completed", "c-1", "2026-01-08T12:00:00+08:00"))
    early = book.apply(
        event_from_mapping(
            {"type": "settlement_run", "event_id": "s-1", "at": "2026-01-15T11:59:59.999999+08:00"}
        )
    )
    assert early.entries == ()
    on_time = book.apply(
        event_from_mapping(
            {"type": "settlement_run", "event_id": "s-2", "at": "2026-01-15T12:00:00+08:00"}
        )
    )
    assert [entry.kind for entry in on_time.entries] == ["release", "release", "release"]
    # Nothing is released twice.
    later = book.apply(
        event_from_mapping(
            {"type": "settlement_run", "event_id": "s-3", "at": "2026-02-01T00:00:00+08:00"}
        )
    )
    assert later.entries == ()


# ------------------------------------------------------------------ refunds

# Level 1 maker 7%, level 2 guide 3%; a rule's lines on an item share its rounded
# total, leftover cents to the largest remainders (ties to the lower level).
SHARED = Plan.from_mapping(
    {
        "id": "shared-remainder",
        "version": 1,
        "effective_from": "2026-01-01T00:00:00+08:00",
        "currency": "CNY",
        "rounding": "down",
        "remainder": "beneficiaries",
        "max_depth": 2,
        "roles": [
            {"name": "member", "rank": 0, "earns": "points"},
            {"name": "maker", "rank": 1, "earns": "money"},
            {"name": "guide", "rank": 2, "earns": "money"},
        ],
        "rules": [
            {
                "kind": "level",
                "id": "sales",
                "levels": [
                    {"level": 1, "rates": {"maker": "0.07"}},
                    {"level": 2, "rates": {"guide": "0.03"}},
                ],
            }
        ],
    }
)
ONE_YUAN = _paid("p-o1", "o-1", "zhao", "2026-01-05T12:00:00+08:00", "1.00")


def test_a_refund_split_in_two_leaves_the_lines_of_the_whole_refund() -> None:
    """Kept 0.25: ann 1.75 and guide-li 0.75 cents share floor(2.5) = 2: the tie goes to
    level 1, ann 0.02, guide-li 0.00. Kept 0.24: 1.68 and 0.72 share 2: guide-li has
    the larger remainder, ann 0.01, guide-li 0.01 (at most the 0.03 the payment
    credited). Refunding 0.75 then 0.01 must end where refunding 0.76 does."""
    at_once = _book(*TREE, ONE_YUAN, plan=SHARED)
    at_once.apply(_step("order_refunded", "r-1", "2026-01-06T12:00:00+08:00", amount="0.76"))
    split = _book(*TREE, ONE_YUAN, plan=SHARED)
    split.apply(_step("order_refunded", "r-1", "2026-01-06T12:00:00+08:00", amount="0.75"))
    assert split.order_lines("o-1") == {
        ("sales", "1", "ann", 1): Decimal("0.02"),
        ("sales", "1", "guide-li", 2): Decimal("0.00"),
    }
    split.apply(_step("order_refunded", "r-2", "2026-01-06T13:00:00+08:00", amount="0.01"))
    expected = {
        ("sales", "1", "ann", 1): Decimal("0.01"),
        ("sales", "1", "guide-li", 2): Decimal("0.01"),
    }
    assert at_once.order_lines("o-1") == expected
    assert split.order_lines("o-1") == expected
    assert _amounts(split) == _amounts(at_once)


def test_a_refund_of_an_order_credited_through_a_downline_sharer() -> None:
    """guide-li buys 2 x 100.00 through ann's link, credited to the sharer: ann, a
    maker at level 1, earns 20.00; the walk up from ann stops below the buyer.
    Refunding one unit leaves ann 10.00."""
    book = _book(*TREE[:2])
    book.apply(
        _paid(
            "p-o1",
            "o-1",
            "guide-li",
            "2026-01-05T12:00:00+08:00",
            "100.00",
            2,
            sharer="ann",
            credit="sharer",
        )
    )
    assert book.order_lines("o-1") == {("sales-commission", "1", "ann", 1): Decimal("20.00")}
    book.apply(
        _step(
            "order_refunded",
            "r-1",
            "2026-01-06T12:00:00+08:00",
            items=[{"item_id": "1", "quantity": 1}],
        )
    )
    assert book.order_lines("o-1") == {("sales-commission", "1", "ann", 1): Decimal("10.00")}
    assert _amounts(book) == {("ann", "pending"): "10.00", ("merchant", "commission"): "-10.00"}


def test_an_order_whose_lines_reached_zero_still_takes_refunds_until_nothing_is_kept() -> None:
    """1.00 paid, ann 0.10 and guide-li 0.05: after 0.95 refunded every line is zero
    (ann floor(0.5) cents), but zhao still keeps 0.05: refunding it is fine, and
    only then is the order closed."""
    book = _book(*TREE, _paid("p-o1", "o-1", "zhao", "2026-01-05T12:00:00+08:00", "1.00"))
    book.apply(_step("order_refunded", "r-1", "2026-01-06T12:00:00+08:00", amount="0.95"))
    assert not any(book.order_lines("o-1").values())
    assert (
        book.apply(
            _step("order_refunded", "r-2", "2026-01-06T13:00:00+08:00", amount="0.05")
        ).entries
        == ()
    )
    with pytest.raises(EventError) as caught:
        book.apply(_step("order_refunded", "r-3", "2026-01-06T14:00:00+08:00", amount="0.01"))
    assert caught.value.code == "event-order-closed"


def test_an_order_that_credits_nobody_takes_several_partial_refunds() -> None:
    """zhao is a root member: nobody above, and the plan pays members points only on
    level 0 at 1 per yuan, so 0.50 earns nothing. Partial refunds still apply."""
    lone = _joined("j-zhao", "2026-01-04T10:00:00+08:00", "zhao", "member")
    book = _book(lone, _paid("p-o1", "o-1", "zhao", "2026-01-05T12:00:00+08:00", "0.50"))
    assert book.order_lines("o-1") == {}
    book.apply(_step("order_refunded", "r-1", "2026-01-06T12:00:00+08:00", amount="0.10"))
    book.apply(_step("order_refunded", "r-2", "2026-01-06T13:00:00+08:00", amount="0.10"))
    book.apply(_step("order_completed", "c-1", "2026-01-07T12:00:00+08:00"))
    assert book.entries == ()


# An event that contradicts what has arrived can never become ready: a retry would
# park it forever. Only a missing prerequisite is retriable.
CONTRADICTIONS = [
    pytest.param(
        _joined("j-wu", "2026-01-01T09:00:00+08:00", "wu", "member", "guide-li"),
        "graph-not-joined",
        "inviter",
        id="join-before-the-inviter-joined",
    ),
    pytest.param(
        _paid("p-o2", "o-2", "zhao", "2026-01-04T09:00:00+08:00", "10.00"),
        "order-buyer-not-joined",
        "buyer",
        id="payment-before-the-buyer-joined",
    ),
    pytest.param(
        event_from_mapping(
            {
                "type": "role_changed",
                "event_id": "rc-1",
                "at": "2026-01-03T09:00:00+08:00",
                "participant": "zhao",
                "role": "maker",
            }
        ),
        "graph-not-joined",
        "participant",
        id="role-change-before-the-join",
    ),
]


@pytest.mark.parametrize(("event", "code", "path"), CONTRADICTIONS)
def test_an_event_dated_before_a_recorded_join_is_refused_for_good(
    event: Event, code: str, path: str
) -> None:
    book = _book(*TREE)
    before = _state(book)
    with pytest.raises(SocialCommerceError) as caught:
        book.apply(event)
    assert not isinstance(caught.value, EventNotReadyError), caught.value
    assert (caught.value.code, caught.value.path, caught.value.event_id) == (
        code,
        path,
        event.event_id,
    )
    assert _state(book) == before


# ------------------------------------------- gift packs, payouts, settlement (013-015)


def _vector(prefix: str) -> VectorRun:
    return run_vector(next(path for path in vector_directories() if path.name.startswith(prefix)))


def _message(run: VectorRun, event_id: str) -> str:
    (delivery,) = [d for d in run.deliveries if d.event.event_id == event_id]
    assert delivery.outcome is not None, delivery.error
    return delivery.outcome.message


def _when(text: str) -> datetime:
    return datetime.fromisoformat(text)


def test_a_gift_pack_given_back_makes_its_buyer_their_previous_role_again() -> None:
    """013: lin is a maker from the microsecond after paying for the pack, a member
    again from the refund; the refund's message says so, the cancellation of a pack
    whose buyer was promoted since does not touch the role."""
    run = _vector("013-")
    graph = run.book.graph
    assert graph.role("lin", at=_when("2026-01-05T12:00:00+08:00")) == "member"
    assert graph.role("lin", at=_when("2026-01-05T12:00:00.000001+08:00")) == "maker"
    assert graph.role("lin", at=_when("2026-01-07T11:59:59.999999+08:00")) == "maker"
    assert graph.role("lin", at=_when("2026-01-07T12:00:00+08:00")) == "member"
    assert _message(run, "r-gift-lin") == (
        "Order o-gift-lin refunded; lines recomputed on what was kept. "
        "lin is member again: the gift pack that made them maker was given back."
    )
    # Case 2: promoted to guide since the pack; the cancellation leaves that standing.
    assert graph.role("ming", at=_when("2026-01-09T12:00:00.000001+08:00")) == "maker"
    assert graph.role("ming", at=_when("2026-01-30T00:00:00+08:00")) == "guide"
    assert _message(run, "x-gift-ming") == (
        "Order o-gift-ming cancelled; everything it credited reversed."
    )
    # An order paid while lin was a maker keeps paying lin; the next one does not.
    assert run.book.order_lines("o-mei-1")[("sales-commission", "1", "lin", 1)] == Decimal("20.00")
    assert all(key[2] != "lin" for key in run.book.order_lines("o-mei-2"))


GIFT_PLAN = load_plan(VECTORS / "013-gift-pack-given-back" / "plan.toml")
GIFT_TREE = [
    _joined("j-guide-li", "2026-01-02T09:00:00+08:00", "guide-li", "guide"),
    _joined("j-lin", "2026-01-03T10:00:00+08:00", "lin", "member", "guide-li"),
]


def _gift_paid(at: str, *extra_items: dict[str, Any]) -> Event:
    items = [{"item_id": "1", "sku": "GIFT-399", "unit_price": "399.00"}, *extra_items]
    order = {"order_id": "o-1", "buyer": "lin", "paid_at": at, "currency": "CNY"}
    data = {"type": "order_paid", "event_id": "p-o1", "at": at, "order": order | {"items": items}}
    return event_from_mapping(data)


def test_giving_back_only_the_pack_of_a_larger_order_undoes_the_upgrade() -> None:
    """The pack and a tea in one order: refunding the tea keeps the role, refunding
    the pack (the order still open) gives it back."""
    tea = {"item_id": "2", "sku": "TEA-250G", "unit_price": "100.00"}
    book = _book(*GIFT_TREE, _gift_paid("2026-01-05T12:00:00+08:00", tea), plan=GIFT_PLAN)
    kept = book.apply(
        _step("order_refunded", "r-1", "2026-01-06T12:00:00+08:00", items=[_units("2", 1)])
    )
    assert "again" not in kept.message
    assert book.graph.role("lin", at=_when("2026-01-30T00:00:00+08:00")) == "maker"
    given = book.apply(
        _step("order_refunded", "r-2", "2026-01-07T12:00:00+08:00", items=[_units("1", 1)])
    )
    assert given.message.endswith(
        "lin is member again: the gift pack that made them maker was given back."
    )
    assert book.graph.role("lin", at=_when("2026-01-07T12:00:00+08:00")) == "member"


def test_a_gift_pack_refunded_by_amount_in_full_undoes_the_upgrade() -> None:
    book = _book(*GIFT_TREE, _gift_paid("2026-01-05T12:00:00+08:00"), plan=GIFT_PLAN)
    outcome = book.apply(
        _step("order_refunded", "r-1", "2026-01-06T12:00:00+08:00", amount="399.00")
    )
    assert outcome.message.endswith(
        "lin is member again: the gift pack that made them maker was given back."
    )
    assert book.graph.role("lin", at=_when("2026-01-30T00:00:00+08:00")) == "member"


def test_a_partial_refund_of_the_pack_keeps_the_upgrade() -> None:
    book = _book(*GIFT_TREE, _gift_paid("2026-01-05T12:00:00+08:00"), plan=GIFT_PLAN)
    outcome = book.apply(
        _step("order_refunded", "r-1", "2026-01-06T12:00:00+08:00", amount="100.00")
    )
    assert "again" not in outcome.message
    assert book.graph.role("lin", at=_when("2026-01-30T00:00:00+08:00")) == "maker"


def test_a_later_promotion_delivered_before_the_refund_gives_the_in_order_roles() -> None:
    """The promotion (01-10) arrives before the refund dated 01-07: lin is a member
    from 01-07 to 01-10 and a guide after, as when delivered in time order."""
    promotion = event_from_mapping(
        {
            "type": "role_changed",
            "event_id": "rc-lin",
            "at": "2026-01-10T12:00:00+08:00",
            "participant": "lin",
            "role": "guide",
        }
    )
    refund = _step("order_refunded", "r-1", "2026-01-07T12:00:00+08:00", items=[_units("1", 1)])
    paid = _gift_paid("2026-01-05T12:00:00+08:00")
    late = _book(*GIFT_TREE, paid, promotion, refund, plan=GIFT_PLAN)
    in_order = _book(*GIFT_TREE, paid, refund, promotion, plan=GIFT_PLAN)
    for book in (late, in_order):
        assert book.graph.role("lin", at=_when("2026-01-08T00:00:00+08:00")) == "member"
        assert book.graph.role("lin", at=_when("2026-01-11T00:00:00+08:00")) == "guide"


def test_a_gift_pack_refunded_at_the_instant_it_was_paid_gives_no_lasting_upgrade() -> None:
    """The upgrade takes effect one microsecond after payment; a refund of the whole
    pack at the payment's own instant must still undo it: lin never keeps the role."""
    at = "2026-01-05T12:00:00+08:00"
    book = _book(*GIFT_TREE, _gift_paid(at), plan=GIFT_PLAN)
    outcome = book.apply(_step("order_refunded", "r-1", at, items=[_units("1", 1)]))
    assert book.graph.role("lin", at=_when("2026-01-30T00:00:00+08:00")) == "member"
    assert outcome.message.endswith("was given back.")


def _units(item_id: str, quantity: int) -> dict[str, Any]:
    return {"item_id": item_id, "quantity": quantity}


def test_invite_points_are_available_at_once() -> None:
    """An invite under the article plan pays the inviter 50 points straight to
    `available`: nothing can take an invite back, and they can be paid out at once."""
    book = _book(*GIFT_TREE, plan=GIFT_PLAN)
    (entry,) = book.entries
    assert (entry.kind, entry.unit) == ("invite", "points")
    assert [(p.holder, p.state, str(p.amount)) for p in entry.postings] == [
        ("guide-li", "available", "50"),
        ("merchant", "points", "-50"),
    ]
    assert book.balances(as_of=_when("2026-01-03T10:00:00+08:00")) == [
        Balance("guide-li", "points", "available", Decimal(50)),
        Balance("merchant", "points", "points", Decimal(-50)),
    ]
    paid = book.apply(
        event_from_mapping(
            {
                "type": "payout_made",
                "event_id": "po-1",
                "at": "2026-01-03T10:00:00+08:00",
                "participant": "guide-li",
                "amount": "50",
                "unit": "points",
            }
        )
    )
    assert paid.message == "guide-li paid 50 points."


@pytest.mark.parametrize("history", [True, False])
def test_a_join_outcome_carries_the_invite_award_once(history: bool) -> None:
    """The outcome of a join with an inviter carries the award the book posted (or, in a
    book without entries, credited); a join without one, and a redelivery, carry none."""
    book = Book(GIFT_PLAN, history=history, entries=history)
    guide, member = GIFT_TREE
    assert book.apply(guide).award is None
    outcome = book.apply(member)
    assert outcome.award is not None
    assert [(line.beneficiary, line.unit, str(line.amount)) for line in outcome.award.lines] == [
        ("guide-li", "points", "50")
    ]
    if history:  # the entry posted says what the award says
        assert [entry.memo for entry in outcome.entries] == [
            line.reason for line in outcome.award.lines
        ]
    assert book.apply(member).award is None  # a redelivery: the first outcome, no award


def _payout(event_id: str, at: str, who: str, amount: str, unit: str | None = None) -> Event:
    data: dict[str, Any] = {"type": "payout_made", "event_id": event_id, "at": at}
    data |= {"participant": who, "amount": amount}
    if unit is not None:
        data["unit"] = unit
    return event_from_mapping(data)


def test_a_negative_available_balance_stays_visible_as_of_every_later_time() -> None:
    """014: ann is paid 20.00, then o-1's refund claws 10.00 back from `available`:
    -10.00 from 01-15 12:00 until o-2's settlement lifts it to 5.00 on 01-24."""
    book = _vector("014-").book

    def ann(text: str) -> dict[str, str]:
        return {
            b.state: f"{b.amount}"
            for b in book.balances(as_of=_when(text))
            if b.holder == "ann" and b.unit == "CNY"
        }

    # A zero balance is not listed.
    assert ann("2026-01-14T10:00:00+08:00") == {"paid_out": "20.00"}
    assert ann("2026-01-15T12:00:00+08:00") == {"available": "-10.00", "paid_out": "20.00"}
    assert ann("2026-01-24T11:59:59+08:00")["available"] == "-10.00"
    assert ann("2026-01-24T12:00:00+08:00") == {"available": "5.00", "paid_out": "20.00"}
    assert ann("2026-01-24T14:00:00+08:00") == {"paid_out": "25.00"}


PAYOUT_REFUSALS = [
    pytest.param(
        _payout("po-x", "2026-01-06T12:00:00+08:00", "ann", "0.01"),
        "event-payout-exceeds-available",
        "amount",
        id="nothing-available",
    ),
    pytest.param(
        _payout("po-x", "2026-01-06T12:00:00+08:00", "ann", "1.00", "USD"),
        "event-invalid",
        "unit",
        id="another-currency",
    ),
    pytest.param(
        _payout("po-x", "2026-01-06T12:00:00+08:00", "ann", "0.001"),
        "event-invalid",
        "amount",
        id="finer-than-the-quantum",
    ),
    pytest.param(
        _payout("po-x", "2026-01-06T12:00:00+08:00", "ann", "0"),
        "event-invalid",
        "amount",
        id="zero",
    ),
    pytest.param(
        _payout("po-x", "2026-01-06T12:00:00+08:00", "ann", "0.5", "points"),
        "event-invalid",
        "amount",
        id="a-fraction-of-a-point",
    ),
    pytest.param(
        _payout("po-x", "2026-01-06T12:00:00+08:00", "nobody", "1.00"),
        "event-not-ready",
        "participant",
        id="someone-not-joined",
    ),
]


@pytest.mark.parametrize(("event", "code", "path"), PAYOUT_REFUSALS)
def test_a_refused_payout_changes_nothing(event: Event, code: str, path: str) -> None:
    book = _book(*TREE, PAID)  # ann holds 30.00 pending: nothing available
    before = _state(book)
    with pytest.raises(SocialCommerceError) as caught:
        book.apply(event)
    assert (caught.value.code, caught.value.path) == (code, path)
    assert _state(book) == before


def test_a_settlement_counts_only_the_orders_it_released() -> None:
    """015: three windows ended, two orders refunded in full while held."""
    run = _vector("015-")
    assert _message(run, "s-1") == "Released the money of 1 order as of 2026-01-14T04:00:00Z."
    assert _message(run, "s-2") == "Released the money of 0 orders as of 2026-01-20T04:00:00Z."


def test_giving_back_one_of_two_gift_packs_keeps_the_role_the_other_gives() -> None:
    """lin buys a pack (o-1, member -> maker) and, a maker already, a second (o-2,
    no upgrade of its own). Giving back o-1 leaves lin holding o-2's pack, which
    makes its buyer a maker: lin must stay a maker, as if o-1 had never been."""
    second = event_from_mapping(
        {
            "type": "order_paid",
            "event_id": "p-o2",
            "at": "2026-01-06T12:00:00+08:00",
            "order": {
                "order_id": "o-2",
                "buyer": "lin",
                "paid_at": "2026-01-06T12:00:00+08:00",
                "currency": "CNY",
                "items": [{"item_id": "1", "sku": "GIFT-399", "unit_price": "399.00"}],
            },
        }
    )
    book = _book(*GIFT_TREE, _gift_paid("2026-01-05T12:00:00+08:00"), second, plan=GIFT_PLAN)
    book.apply(_step("order_refunded", "r-1", "2026-01-07T12:00:00+08:00", items=[_units("1", 1)]))
    assert book.graph.role("lin", at=_when("2026-01-30T00:00:00+08:00")) == "maker"


def test_every_unit_can_come_back_after_a_refund_by_amount() -> None:
    """30.00 of a 100.00 order refunded as money, then the unit itself returned: the
    order closes and every line nets to zero; nothing is refused."""
    at = "2026-01-05T12:00:00+08:00"
    book = _book(
        *GIFT_TREE,
        event_from_mapping(
            {
                "type": "order_paid",
                "event_id": "p-tea",
                "at": at,
                "order": {
                    "order_id": "o-tea",
                    "buyer": "lin",
                    "paid_at": at,
                    "currency": "CNY",
                    "items": [{"item_id": "1", "sku": "TEA-250G", "unit_price": "100.00"}],
                },
            }
        ),
        plan=GIFT_PLAN,
    )
    credited = book.order_lines("o-tea")
    assert any(credited.values())
    book.apply(
        _step("order_refunded", "r-money", "2026-01-06T12:00:00+08:00", "o-tea", amount="30.00")
    )
    book.apply(
        _step(
            "order_refunded", "r-unit", "2026-01-07T12:00:00+08:00", "o-tea", items=[_units("1", 1)]
        )
    )
    assert all(not amount for amount in book.order_lines("o-tea").values())
    with pytest.raises(EventError) as closed:
        book.apply(
            _step("order_refunded", "r-again", "2026-01-08T12:00:00+08:00", "o-tea", amount="1.00")
        )
    assert closed.value.code == "event-order-closed"


@pytest.mark.parametrize("store", [None, "memory"])
def test_a_redelivery_with_the_same_values_written_otherwise_is_a_duplicate(
    store: str | None,
) -> None:
    """ "100" for "100.00" and +00:00 for +08:00 at the same instant are the same event;
    another amount is a conflict naming the field."""
    from socialcommerce_rules.store import MemoryStore

    book = Book(GIFT_PLAN, store=MemoryStore() if store else None)
    for event in GIFT_TREE:
        book.apply(event)
    paid = {
        "type": "order_paid",
        "event_id": "p-tea",
        "at": "2026-01-05T12:00:00+08:00",
        "order": {
            "order_id": "o-tea",
            "buyer": "lin",
            "paid_at": "2026-01-05T12:00:00+08:00",
            "currency": "CNY",
            "items": [{"item_id": "1", "sku": "TEA-250G", "unit_price": "100.00"}],
        },
    }
    first = book.apply(event_from_mapping(paid))
    same = {
        **paid,
        "at": "2026-01-05T04:00:00+00:00",
        "order": {
            **paid["order"],
            "paid_at": "2026-01-05T04:00:00Z",
            "items": [{"item_id": "1", "sku": "TEA-250G", "unit_price": "100"}],
        },
    }
    again = book.apply(event_from_mapping(same))
    assert (again.status, again.entries) == ("duplicate", first.entries)
    other = {
        **paid,
        "order": {
            **paid["order"],
            "items": [{"item_id": "1", "sku": "TEA-250G", "unit_price": "100.01"}],
        },
    }
    with pytest.raises(EventConflictError) as conflict:
        book.apply(event_from_mapping(other))
    assert conflict.value.path == "order.items[0].unit_price"
