"""Hypothesis strategies for auditors: plans, referral trees, orders and event streams.

They follow Hypothesis's house style: plural nouns, keyword-only bounds named
``min_size`` / ``max_size``, checked eagerly with
:class:`hypothesis.errors.InvalidArgument`.  Event streams are lists of
:mod:`socialcommerce_rules.events` values that respect causality and that a
:class:`~socialcommerce_rules.book.Book` applies in order without refusing any.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

from ..events import Event, ParticipantJoined
from ..orders import Order
from ..plan import Plan
from ._world import World, order_for

__all__ = [
    "event_streams",
    "invalid_plans",
    "orders",
    "plan_mappings",
    "plans",
    "referral_trees",
]

_ROLES = ("member", "maker", "guide")
_RANKS = {"member": 0, "maker": 1, "guide": 2}
_SKUS = ("TEA", "RICE", "SOAP", "GIFT")
_CATEGORIES = ("food", "home", "gift-card")
_START = datetime(2026, 1, 1, tzinfo=UTC)
_LEVEL_RATE_MAX = Decimal("0.3")


def _check_sizes(low: int, high: int, names: tuple[str, str], lowest: int) -> None:
    for name, value in zip(names, (low, high), strict=True):
        if isinstance(value, bool) or not isinstance(value, int):
            raise InvalidArgument(f"{name}={value!r} must be an integer")
    if low < lowest:
        raise InvalidArgument(f"{names[0]}={low} must be at least {lowest}")
    if high < low:
        raise InvalidArgument(f"{names[1]}={high} must be at least {names[0]}={low}")


# ------------------------------------------------------------------------ plans


def plan_mappings(
    *, min_rules: int = 1, max_rules: int = 4, max_depth: int = 4
) -> st.SearchStrategy[dict[str, Any]]:
    """Valid plans as the mapping a plan file holds, over member / maker / guide.

    Level rules paying rates or fixed amounts, role differentials, purchase and
    invite points, gift packs; retain and compress; every rounding mode and
    remainder policy; order and per-beneficiary caps; quantum 0.01 or 1;
    ``max_depth`` 0 to ``max_depth``; rule scopes and base exclusions;
    after-sales windows of 0 to 7 days.  Money rules never promise more than
    the whole base, so every mapping drawn loads.
    """
    _check_sizes(min_rules, max_rules, ("min_rules", "max_rules"), 0)
    if not 0 <= max_depth <= 8:
        raise InvalidArgument(f"max_depth={max_depth} must be between 0 and 8")
    return _plan_mappings(min_rules, max_rules, max_depth)


def plans(*, min_rules: int = 1, max_rules: int = 4, max_depth: int = 4) -> st.SearchStrategy[Plan]:
    """Valid :class:`~socialcommerce_rules.plan.Plan` values (see :func:`plan_mappings`).

    >>> from hypothesis import given
    >>> @given(plans(max_rules=2))
    ... def test_depth_is_bounded(plan):
    ...     assert plan.max_depth <= 4
    >>> test_depth_is_bounded()
    """
    return plan_mappings(min_rules=min_rules, max_rules=max_rules, max_depth=max_depth).map(
        Plan.from_mapping
    )


@st.composite
def _plan_mappings(
    draw: st.DrawFn, min_rules: int, max_rules: int, depth_max: int
) -> dict[str, Any]:
    max_depth = draw(st.integers(0, depth_max))
    quantum = draw(st.sampled_from(("0.01", "0.01", "1")))
    earns = {
        "member": draw(st.sampled_from(("points", "money", "nothing"))),
        "maker": draw(st.sampled_from(("money", "money", "points", "nothing"))),
        "guide": draw(st.sampled_from(("money", "money", "money", "points"))),
    }
    budget = [Decimal(1)]
    rules = []
    for index in range(draw(st.integers(min_rules, max_rules))):
        kind = draw(st.sampled_from(("rates", "amounts", "differential", "points", "invite")))
        rule = _draw_rule(draw, kind, max_depth, Decimal(quantum), budget)
        scope = _draw_scope(draw) if kind != "invite" else {}
        rules.append({"id": f"rule-{index}", **rule, **scope})
    caps: dict[str, str] = {}
    if draw(st.booleans()):
        caps["order_ratio"] = str(_draw_rate(draw, Decimal(1)))
    if draw(st.booleans()):
        caps["beneficiary_ratio"] = str(_draw_rate(draw, Decimal(1)))
    gift_packs = []
    if draw(st.booleans()):
        pack: dict[str, str] = {"sku": "GIFT", "becomes": draw(st.sampled_from(("maker", "guide")))}
        if draw(st.booleans()):
            pack["goods_value"] = str(Decimal(draw(st.integers(1, 500))))
        gift_packs.append(pack)
    return {
        "id": "plan-under-test",
        "version": 1,
        "effective_from": (_START - timedelta(days=1)).isoformat(),
        "currency": "CNY",
        "quantum": quantum,
        "rounding": draw(st.sampled_from(("down", "half-even", "half-up"))),
        "remainder": draw(st.sampled_from(("merchant", "beneficiaries"))),
        "roles": [{"name": n, "rank": _RANKS[n], "earns": earns[n]} for n in _ROLES],
        "performance_role": draw(st.sampled_from(("guide", None))),
        "base": {
            "include_shipping": draw(st.booleans()),
            "include_points_redemption": draw(st.booleans()),
            "exclude_skus": draw(st.just([]) | st.lists(st.sampled_from(_SKUS), max_size=1)),
            "exclude_categories": draw(st.just([]) | st.just(["gift-card"])),
        },
        "max_depth": max_depth,
        "ineligible": draw(st.sampled_from(("retain", "compress"))),
        "caps": caps,
        "after_sales_days": draw(st.integers(0, 7)),
        "gift_packs": gift_packs,
        "rules": rules,
    }


def _draw_rate(draw: st.DrawFn, most: Decimal) -> Decimal:
    places = draw(st.sampled_from((2, 3, 4)))
    return Decimal(draw(st.integers(0, int(most * 10**places)))).scaleb(-places)


def _draw_rule(
    draw: st.DrawFn, kind: str, max_depth: int, quantum: Decimal, budget: list[Decimal]
) -> dict[str, Any]:
    if kind == "differential":
        paid = draw(st.lists(st.sampled_from(_ROLES), min_size=1, unique=True))
        rates = sorted(_draw_rate(draw, budget[0]) for _ in paid)
        ranked = sorted(paid, key=_RANKS.__getitem__)
        budget[0] -= rates[-1]
        return {
            "kind": "differential",
            "rates": {role: str(rate) for role, rate in zip(ranked, rates, strict=True)},
            "include_buyer": draw(st.booleans()),
        }
    low = 1 if kind == "invite" and max_depth else 0
    levels = draw(
        st.lists(st.integers(low, max_depth), min_size=1, max_size=max_depth + 1, unique=True)
    )
    drawn = []
    for level in levels:
        roles: Sequence[str] = draw(
            st.just(_ROLES) | st.lists(st.sampled_from(_ROLES), min_size=1, unique=True)
        )
        if kind == "rates":
            by_role = {role: _draw_rate(draw, min(budget[0], _LEVEL_RATE_MAX)) for role in roles}
            budget[0] -= max(by_role.values())
            drawn.append({"level": level, "rates": {r: str(v) for r, v in by_role.items()}})
        elif kind == "amounts":
            top = 5000 if quantum < 1 else 50
            amounts = {role: str(Decimal(draw(st.integers(0, top))) * quantum) for role in roles}
            drawn.append({"level": level, "amounts": amounts})
        elif kind == "points":
            per_unit = st.sampled_from(("1", "0.5", "2", "0.01", "0", "10"))
            drawn.append({"level": level, "points": {role: draw(per_unit) for role in roles}})
        else:
            whole = st.sampled_from(("0", "1", "5", "50"))
            drawn.append({"level": level, "points": {role: draw(whole) for role in roles}})
    if kind in ("points", "invite"):
        trigger = "purchase" if kind == "points" else "invite"
        return {"kind": "points", "trigger": trigger, "levels": drawn}
    return {"kind": "level", "levels": drawn}


def _draw_scope(draw: st.DrawFn) -> dict[str, list[str]]:
    if draw(st.integers(0, 3)):
        return {}
    scope = {
        "skus": draw(st.lists(st.sampled_from(_SKUS), max_size=2, unique=True)),
        "categories": draw(st.lists(st.sampled_from(_CATEGORIES), max_size=2, unique=True)),
        "exclude_skus": draw(st.lists(st.sampled_from(_SKUS), max_size=1, unique=True)),
        "exclude_categories": draw(st.lists(st.sampled_from(_CATEGORIES), max_size=1)),
    }
    return {key: value for key, value in scope.items() if value}


_BREAKAGES = (
    ("rate above one", ("rules", 0, "levels", 0, "rates"), {"maker": "1.2"}),
    ("negative amount", ("rules", 0, "levels", 0, "amounts"), {"guide": "-1.00"}),
    ("float rate", ("rules", 0, "levels", 0, "rates"), {"maker": 0.1}),
    ("unknown role", ("rules", 0, "levels", 0, "rates"), {"boss": "0.1"}),
    ("level beyond max_depth", ("rules", 0, "levels", 0, "level"), 9),
    ("max_depth beyond DEPTH_MAX", ("max_depth",), 10_000),
    ("unknown key", ("surprise",), "yes"),
    ("quantum not a power of ten", ("quantum",), "0.05"),
    ("NaN rate", ("rules", 0, "levels", 0, "rates"), {"maker": "NaN"}),
    ("missing currency", ("currency",), None),
    (
        "rates over the base",
        ("rules", 0, "levels"),
        [{"level": 0, "rates": {"maker": "0.6"}}, {"level": 1, "rates": {"maker": "0.6"}}],
    ),
    ("duplicate rule id", ("rules", 1, "id"), "sales"),
)


def invalid_plans() -> st.SearchStrategy[tuple[str, dict[str, Any]]]:
    """Plan mappings broken in one way each: ``(what is wrong, mapping)``.

    Each must be refused by :meth:`Plan.from_mapping` with a
    :class:`~socialcommerce_rules.errors.PlanError` (or a
    :class:`~socialcommerce_rules.errors.LimitError`) naming the field.
    """
    return st.sampled_from(_BREAKAGES).map(_broken)


def _broken(breakage: tuple[str, tuple[Any, ...], Any]) -> tuple[str, dict[str, Any]]:
    what, path, value = breakage
    data: dict[str, Any] = {
        "id": "broken",
        "version": 1,
        "effective_from": _START.isoformat(),
        "currency": "CNY",
        "roles": [{"name": n, "rank": _RANKS[n]} for n in _ROLES],
        "max_depth": 2,
        "rules": [
            {"kind": "level", "id": "sales", "levels": [{"level": 1, "rates": {"maker": "0.1"}}]},
            {"kind": "level", "id": "rebate", "levels": [{"level": 1, "amounts": {"guide": "5"}}]},
        ],
    }
    if path[-1] == "amounts":
        data["rules"][0]["levels"][0].pop("rates")
    target: Any = data
    for key in path[:-1]:
        target = target[key]
    if value is None:
        target.pop(path[-1])
    else:
        target[path[-1]] = value
    return what, data


# ---------------------------------------------------------------- trees, orders, streams


def referral_trees(
    plan: Plan, *, min_size: int = 1, max_size: int = 12, max_changes: int = 6
) -> st.SearchStrategy[list[Event]]:
    """The joins and later changes that build a referral graph, as events in order.

    Deep chains (each newcomer invited by the newest), wide fans (by the first),
    forests (new roots), with up to ``max_changes`` role changes, status
    changes, re-bindings, transplanted teams and guides leaving, each valid when
    it happens.  Roles are the plan's; roots hold its performance role (or
    the top-ranked one).
    """
    _check_sizes(min_size, max_size, ("min_size", "max_size"), 1)
    if max_changes < 0:
        raise InvalidArgument(f"max_changes={max_changes} must not be negative")
    return _referral_trees(plan, min_size, max_size, max_changes)


@st.composite
def _referral_trees(
    draw: st.DrawFn, plan: Plan, min_size: int, max_size: int, max_changes: int
) -> list[Event]:
    return _tree(draw, World(plan), min_size, max_size, max_changes)


def _tree(
    draw: st.DrawFn, world: World, min_size: int, max_size: int, max_changes: int
) -> list[Event]:
    events: list[Event] = []
    for _ in range(draw(st.integers(min_size, max_size))):
        join: ParticipantJoined = world.join(draw)
        world.note(join)
        events.append(join)
    for _ in range(draw(st.integers(0, max_changes))):
        kind = draw(st.sampled_from(("role", "status", "rebind", "transplant", "leave")))
        change: Event | None
        if kind == "role":
            change = world.role_change(draw)
        elif kind == "status":
            change = world.status_change(draw)
        elif kind == "leave":
            change = world.guide_departure(draw)
        else:
            change = world.rebinding(draw, transplant=kind == "transplant")
        if change is not None:
            world.note(change)
            events.append(change)
    return events


def orders(
    plan: Plan,
    *,
    buyer: str = "p0",
    paid_at: datetime | None = None,
    order_id: str = "order-1",
    max_items: int = 3,
) -> st.SearchStrategy[Order]:
    """Valid orders for ``plan``: its SKUs and categories (and others), gift packs,
    discounts, coupons, vouchers, points redemption and shipping, amounts on its
    quantum, paid by ``buyer`` at ``paid_at`` (default: an hour after the plan
    takes effect)."""
    if max_items < 1:
        raise InvalidArgument(f"max_items={max_items} must be at least 1")
    at = paid_at or plan.effective_from + timedelta(hours=1)
    return order_for(plan, order_id, buyer, at, max_items=max_items)


def event_streams(
    plan: Plan, *, max_participants: int = 8, max_events: int = 30
) -> st.SearchStrategy[list[Event]]:
    """Whole event streams for ``plan`` that respect causality, in delivery order.

    A referral tree is built, then joins, role and status changes, re-bindings,
    guide departures, payments, completions, partial and full refunds,
    cancellations and settlement runs follow in time order; nothing refers to
    a participant or order before it exists, and refunds never exceed what was
    paid.  A book applies every event (none is refused).
    """
    _check_sizes(1, max_participants, ("min_participants", "max_participants"), 1)
    _check_sizes(1, max_events, ("min_events", "max_events"), 1)
    return _event_streams(plan, max_participants, max_events)


@st.composite
def _event_streams(
    draw: st.DrawFn, plan: Plan, max_participants: int, max_events: int
) -> list[Event]:
    world = World(plan)
    events = _tree(draw, world, 1, max(1, max_participants // 2), 2)
    kinds = (
        "join",
        "role",
        "status",
        "rebind",
        "leave",
        "pay",
        "pay",
        "pay",
        "complete",
        "refund",
        "refund",
        "cancel",
        "settle",
    )
    while len(events) < max_events and draw(st.integers(0, 9)):
        kind = draw(st.sampled_from(kinds))
        event: Event | None
        if kind == "join":
            event = world.join(draw) if len(world.joined) < max_participants else None
        elif kind == "role":
            event = world.role_change(draw)
        elif kind == "status":
            event = world.status_change(draw)
        elif kind == "rebind":
            event = world.rebinding(draw, transplant=draw(st.booleans()))
        elif kind == "leave":
            event = world.guide_departure(draw)
        elif kind == "pay":
            event = world.payment(draw)
        elif kind == "complete":
            event = world.completion(draw)
        elif kind == "refund":
            event = world.refund(draw)
        elif kind == "cancel":
            event = world.cancellation(draw)
        else:
            event = world.settlement(draw)
        if event is not None:
            world.note(event)
            events.append(event)
    return events
