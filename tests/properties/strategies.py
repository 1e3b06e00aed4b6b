"""Hypothesis strategies for the property tests: referral graphs, plans, orders.

Each strategy draws valid input for the public API.  A referral graph is drawn
as a :class:`GraphSpec` (its joins and later changes as data) so that the same
graph can be rebuilt with its participants added in another valid order; a plan
is drawn as the plain mapping a plan file holds; an order is drawn as the
mapping a shop would send, with amounts written as strings, ``Decimal`` or
``int``.  :func:`scenarios` puts the three together.

The strategies follow Hypothesis's house style: plural nouns, keyword-only
bounds named ``min_size`` / ``max_size``, checked eagerly with a clear error.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

from socialcommerce_rules import (
    Evaluation,
    Order,
    Plan,
    ReferralGraph,
    RoleChange,
    evaluate,
)

__all__ = [
    "CATEGORIES",
    "CURRENCY",
    "HORIZON_MINUTES",
    "ROLES",
    "SKUS",
    "Attempt",
    "Change",
    "GraphSpec",
    "Join",
    "Scenario",
    "attempted_changes",
    "build_orders",
    "instant",
    "order_mappings",
    "plan_mappings",
    "referral_graphs",
    "scenarios",
]

ROLES = ("member", "maker", "guide")
RANKS = {"member": 0, "maker": 1, "guide": 2}
STORES = ("store-north", "store-south")
SKUS = ("TEA", "RICE", "SOAP", "GIFT")
CATEGORIES = ("food", "home", "gift-card")
CURRENCY = "CNY"

START = datetime(2026, 1, 1, tzinfo=UTC)
# A participant joins at most this many minutes after their inviter.
JOIN_GAP_MINUTES = 600
# Graph changes and payments fall within the first 30 days; later minutes are
# free for the refusal tests' own changes.
HORIZON_MINUTES = 30 * 24 * 60
SIZE_MAX = 40
LEVEL_RATE_MAX = Decimal("0.3")
ZONES = (UTC, timezone(timedelta(hours=8)), timezone(timedelta(hours=-5, minutes=-30)))


def instant(minute: int, *, microseconds: int = 0) -> datetime:
    """The aware datetime ``minute`` minutes (and some microseconds) after START."""
    return START + timedelta(minutes=minute, microseconds=microseconds)


# --------------------------------------------------------------- referral graphs


@dataclass(frozen=True)
class Join:
    """A participant joining, as :meth:`ReferralGraph.join` takes it."""

    participant: str
    minute: int
    role: str
    inviter: str | None = None
    store: str | None = None

    def apply_to(self, graph: ReferralGraph) -> None:
        graph.join(
            self.participant,
            at=instant(self.minute),
            role=self.role,
            inviter=self.inviter,
            store=self.store,
        )


@dataclass(frozen=True)
class Change:
    """A change to the graph after the joins.

    ``kind`` is ``role`` / ``active`` / ``store`` (``value`` is the new role,
    status or store), ``rebind`` / ``transplant`` (``value`` is the new upline or
    None) or ``leave`` (a guide leaves; ``value`` is the successor).
    """

    kind: str
    minute: int
    participant: str
    value: str | bool | None

    @property
    def binding(self) -> bool:
        return self.kind in ("rebind", "transplant", "leave")

    def apply_to(self, graph: ReferralGraph) -> None:
        at = instant(self.minute)
        value: Any = self.value
        if self.kind == "role":
            graph.change_role(self.participant, value, at=at)
        elif self.kind == "active":
            graph.set_active(self.participant, value, at=at)
        elif self.kind == "store":
            graph.set_store(self.participant, value, at=at)
        elif self.kind == "rebind":
            graph.rebind(self.participant, value, at=at)
        elif self.kind == "transplant":
            graph.transplant(self.participant, value, at=at)
        elif self.kind == "leave":
            graph.guide_leaves(self.participant, at=at, successor=value)
        else:  # pragma: no cover - a typo in a strategy
            raise AssertionError(f"unknown change kind {self.kind!r}")


@dataclass(frozen=True)
class RoleChanges:
    """Role changes handed to :meth:`ReferralGraph.apply` together."""

    changes: tuple[tuple[str, str, int], ...]  # participant, role, minute

    def apply_to(self, graph: ReferralGraph) -> None:
        graph.apply(
            RoleChange(participant, role, instant(minute), "attempted in a property test")
            for participant, role, minute in self.changes
        )


Attempt = Join | Change | RoleChanges


@dataclass(frozen=True)
class GraphSpec:
    """A referral graph as data: joins (inviters first), then changes in time order."""

    joins: tuple[Join, ...]
    changes: tuple[Change, ...]

    @property
    def participants(self) -> tuple[str, ...]:
        return tuple(join.participant for join in self.joins)

    def deepest(self) -> list[str]:
        """The participants with the most inviters above them when they joined."""
        depth: dict[str, int] = {}
        for join in self.joins:
            depth[join.participant] = 0 if join.inviter is None else depth[join.inviter] + 1
        most = max(depth.values())
        return [participant for participant, steps in depth.items() if steps == most]

    def joined_minute(self, participant: str) -> int:
        return next(join.minute for join in self.joins if join.participant == participant)

    def minutes(self) -> list[int]:
        """Every minute at which something happens, sorted."""
        return sorted({join.minute for join in self.joins} | {c.minute for c in self.changes})

    def build(
        self,
        *,
        join_order: Sequence[int] | None = None,
        change_order: Sequence[int] | None = None,
    ) -> ReferralGraph:
        """Replay onto a new graph.

        By default the joins are applied in the spec's order and then every change
        in time order.  ``join_order`` permutes the joins (inviters must still come
        first); ``change_order`` permutes the role, status and store changes, which
        are then applied before the binding changes (kept in time order).
        """
        graph = ReferralGraph()
        joins = self.joins if join_order is None else [self.joins[i] for i in join_order]
        for join in joins:
            join.apply_to(graph)
        if change_order is None:
            changes: Sequence[Change] = self.changes
        else:
            others = [c for c in self.changes if not c.binding]
            changes = [others[i] for i in change_order]
            changes += [c for c in self.changes if c.binding]
        for change in changes:
            change.apply_to(graph)
        return graph

    def latest_uplines(self) -> dict[str, str | None]:
        """Each participant's upline after every change, replayed independently."""
        return _Replay(self).uplines

    def downline_of(self, participant: str) -> set[str]:
        """Everyone below ``participant`` after every change (direct or not)."""
        return _below(self.latest_uplines(), participant)


class _Replay:
    """The graph's latest state, tracked by the strategy itself while drawing."""

    def __init__(self, spec: GraphSpec | None = None) -> None:
        self.uplines: dict[str, str | None] = {}
        self.minutes: dict[str, int] = {}
        self.roles: dict[str, str] = {}
        self.active: dict[str, bool] = {}
        if spec is not None:
            for join in spec.joins:
                self.join(join)
            for change in spec.changes:
                self.change(change)

    def join(self, join: Join) -> None:
        self.uplines[join.participant] = join.inviter
        self.minutes[join.participant] = join.minute
        self.roles[join.participant] = join.role
        self.active[join.participant] = True

    def change(self, change: Change) -> None:
        if change.kind == "role":
            assert isinstance(change.value, str)
            self.roles[change.participant] = change.value
        elif change.kind == "active":
            self.active[change.participant] = bool(change.value)
        elif change.kind in ("rebind", "transplant"):
            assert not isinstance(change.value, bool)
            self.uplines[change.participant] = change.value
        elif change.kind == "leave":
            assert isinstance(change.value, str)
            for child in self.direct_downline(change.participant, change.minute):
                self.uplines[child] = change.value
            self.active[change.participant] = False

    def direct_downline(self, participant: str, minute: int) -> list[str]:
        return [
            child
            for child, upline in self.uplines.items()
            if upline == participant and self.minutes[child] <= minute
        ]

    def joined_by(self, minute: int) -> list[str]:
        return [p for p, joined in self.minutes.items() if joined <= minute]


def _below(uplines: dict[str, str | None], participant: str) -> set[str]:
    found = set()
    for candidate in uplines:
        walker = uplines[candidate]
        steps = 0
        while walker is not None and steps <= len(uplines):
            if walker == participant:
                found.add(candidate)
                break
            walker = uplines[walker]
            steps += 1
    return found


def referral_graphs(
    *, min_size: int = 1, max_size: int = 14, max_changes: int = 8
) -> st.SearchStrategy[GraphSpec]:
    """Referral graphs of ``min_size`` to ``max_size`` participants.

    Shapes range from deep chains to wide fans and forests; roles are member,
    maker or guide (guides in a store).  Up to ``max_changes`` later changes,
    each valid when it happens: role changes, participants made inactive (and
    sometimes active again), store moves, re-bindings and transplanted teams
    (never into the team's own downline) and guides leaving with their direct
    downline moved to a successor.
    """
    _check_sizes(min_size, max_size, lowest=1)
    if max_size > SIZE_MAX:
        raise InvalidArgument(f"max_size={max_size} must be at most {SIZE_MAX}")
    if max_changes < 0:
        raise InvalidArgument(f"max_changes={max_changes} must not be negative")
    return _referral_graphs(min_size, max_size, max_changes)


@st.composite
def _referral_graphs(draw: st.DrawFn, min_size: int, max_size: int, max_changes: int) -> GraphSpec:
    count = draw(st.integers(min_size, max_size))
    shape = draw(st.sampled_from(("forest", "chain", "fan")))
    replay = _Replay()
    joins = []
    for index in range(count):
        inviter = None
        if index:
            if shape == "chain":
                inviter = f"p{index - 1}"
            elif shape == "fan":
                inviter = f"p{draw(st.integers(0, min(1, index - 1)))}"
            else:
                parent = draw(st.integers(-1, index - 1))  # -1: a new root
                inviter = None if parent < 0 else f"p{parent}"
        role = draw(st.sampled_from(ROLES))
        earliest = 0 if inviter is None else replay.minutes[inviter]
        join = Join(
            participant=f"p{index}",
            minute=earliest + draw(st.integers(0, JOIN_GAP_MINUTES)),
            role=role,
            inviter=inviter,
            store=draw(st.sampled_from(STORES)) if role == "guide" else None,
        )
        replay.join(join)
        joins.append(join)
    minutes = draw(
        st.lists(st.integers(0, HORIZON_MINUTES), max_size=max_changes, unique=True).map(sorted)
    )
    changes = []
    for minute in minutes:
        change = _draw_change(draw, replay, minute)
        if change is not None:
            replay.change(change)
            changes.append(change)
    return GraphSpec(joins=tuple(joins), changes=tuple(changes))


def _draw_change(draw: st.DrawFn, replay: _Replay, minute: int) -> Change | None:
    present = replay.joined_by(minute)
    if not present:
        return None
    kind = draw(st.sampled_from(("role", "active", "rebind", "leave", "store", "transplant")))
    if kind == "role":
        return Change("role", minute, draw(st.sampled_from(present)), draw(st.sampled_from(ROLES)))
    if kind == "active":
        return Change("active", minute, draw(st.sampled_from(present)), draw(st.booleans()))
    if kind == "store":
        store = draw(st.sampled_from((*STORES, None)))
        return Change("store", minute, draw(st.sampled_from(present)), store)
    if kind == "leave":
        return _draw_guide_leaving(draw, replay, minute, present)
    # An upline change at the participant's join instant is a conflicting change.
    movable = [p for p in present if replay.minutes[p] < minute]
    if not movable:
        return None
    participant = draw(st.sampled_from(movable))
    below = _below(replay.uplines, participant)
    targets = [p for p in present if p != participant and p not in below]
    upline = draw(st.none() | st.sampled_from(targets)) if targets else None
    return Change(kind, minute, participant, upline)


def _draw_guide_leaving(
    draw: st.DrawFn, replay: _Replay, minute: int, present: list[str]
) -> Change | None:
    guides = [p for p in present if replay.roles[p] == "guide" and replay.active[p]]
    if not guides:
        return None
    guide = draw(st.sampled_from(guides))
    moved = replay.direct_downline(guide, minute)
    if any(replay.minutes[child] == minute for child in moved):
        # Someone who joined at this very instant cannot also move at it; such
        # attempts belong to the refusal tests (see attempted_changes).
        return None
    below = _below(replay.uplines, guide)
    successors = [p for p in present if p != guide and p not in below]
    if not successors:
        return None
    return Change("leave", minute, guide, draw(st.sampled_from(successors)))


def build_orders(spec: GraphSpec) -> st.SearchStrategy[tuple[list[int], list[int]]]:
    """Another valid order to build ``spec`` in: (join order, change order).

    The join order is a random topological order (every inviter before those
    they invited); the change order is a permutation of the role, status and
    store changes.  Feed both to :meth:`GraphSpec.build`.
    """
    return _build_orders(spec)


@st.composite
def _build_orders(draw: st.DrawFn, spec: GraphSpec) -> tuple[list[int], list[int]]:
    position = {join.participant: index for index, join in enumerate(spec.joins)}
    children: dict[int, list[int]] = {}
    roots = []
    for index, join in enumerate(spec.joins):
        if join.inviter is None:
            roots.append(index)
        else:
            children.setdefault(position[join.inviter], []).append(index)
    keys = draw(st.lists(st.integers(0, 1000), min_size=len(spec.joins), max_size=len(spec.joins)))
    ready = [(keys[index], index) for index in roots]
    heapq.heapify(ready)
    join_order = []
    while ready:
        _, index = heapq.heappop(ready)
        join_order.append(index)
        for child in children.get(index, ()):
            heapq.heappush(ready, (keys[child], child))
    others = sum(1 for change in spec.changes if not change.binding)
    change_order = draw(st.permutations(range(others)))
    return join_order, list(change_order)


def attempted_changes(
    spec: GraphSpec, *, min_size: int = 1, max_size: int = 8
) -> st.SearchStrategy[list[Attempt]]:
    """Graph changes made after ``spec``'s, valid or not, for the refusal tests.

    They include unknown and duplicate participants, times before a join or
    before the latest binding change, conflicting changes at one instant,
    cycles, self-bindings, a guide leaving at the instant one of their members
    joined, and role changes handed to :meth:`ReferralGraph.apply` together.
    """
    _check_sizes(min_size, max_size, lowest=0)
    return _attempted_changes(spec, min_size, max_size)


@st.composite
def _attempted_changes(
    draw: st.DrawFn, spec: GraphSpec, min_size: int, max_size: int
) -> list[Attempt]:
    count = draw(st.integers(min_size, max_size))
    participants = [*spec.participants, "ghost"]
    minutes = [*spec.minutes(), HORIZON_MINUTES + 10, HORIZON_MINUTES + 20]
    # (inviter, minute) of every join: a guide leaving at the instant someone
    # they invited joined is an edge case worth meeting often.
    invited = [(j.inviter, j.minute) for j in spec.joins if j.inviter is not None]
    attempts: list[Attempt] = []
    for index in range(count):
        kind = draw(
            st.sampled_from(
                (
                    "join",
                    "leave",
                    "rebind",
                    "role",
                    "apply",
                    "active",
                    "store",
                    "transplant",
                    "join-and-leave",
                )
            )
        )
        # Reuse what earlier attempts touched, so that they meet at one instant.
        minute = draw(st.sampled_from(minutes))
        participant = draw(st.sampled_from(participants))
        if kind == "join":
            newcomer = draw(st.sampled_from((f"n{index}", participant)))
            inviter = draw(st.none() | st.sampled_from(participants))
            role = draw(st.sampled_from(ROLES))
            attempts.append(Join(newcomer, minute, role, inviter))
            participants.append(newcomer)
            minutes.append(minute)
            if inviter is not None:
                invited.append((inviter, minute))
        elif kind == "join-and-leave":
            # Someone joins under an inviter, who leaves at that very instant
            # (after every change of the spec, so that only this can refuse it).
            if invited:
                participant = draw(st.sampled_from([inviter for inviter, _ in invited]))
            minute = draw(st.sampled_from((HORIZON_MINUTES + 10, HORIZON_MINUTES + 20, minute)))
            newcomer = f"n{index}"
            attempts.append(Join(newcomer, minute, draw(st.sampled_from(ROLES)), participant))
            successor = draw(st.sampled_from(participants))
            attempts.append(Change("leave", minute, participant, successor))
            participants.append(newcomer)
            minutes.append(minute)
        elif kind == "apply":
            changes = draw(
                st.lists(
                    st.tuples(
                        st.sampled_from(participants),
                        st.sampled_from(ROLES),
                        st.sampled_from(minutes),
                    ),
                    min_size=1,
                    max_size=3,
                )
            )
            attempts.append(RoleChanges(tuple(changes)))
        elif kind in ("role", "active", "store"):
            values: dict[str, st.SearchStrategy[str | bool | None]] = {
                "role": st.sampled_from(ROLES),
                "active": st.booleans(),
                "store": st.sampled_from((*STORES, None)),
            }
            attempts.append(Change(kind, minute, participant, draw(values[kind])))
        elif kind == "leave":
            at_a_join = draw(st.booleans())
            if invited and at_a_join:
                inviter, minute = draw(st.sampled_from(invited))
                participant = inviter
            successor = draw(st.sampled_from(participants))
            attempts.append(Change(kind, minute, participant, successor))
        else:
            upline = draw(st.none() | st.sampled_from(participants))
            attempts.append(Change(kind, minute, participant, upline))
    return attempts


# ------------------------------------------------------------------------ plans


def plan_mappings(*, min_rules: int = 1, max_rules: int = 4) -> st.SearchStrategy[dict[str, Any]]:
    """Valid plans as the mapping a plan file holds, over member / maker / guide.

    Covers level rules paying rates or fixed amounts, role differentials and
    points rules; retain and compress; rounding down, half-even and half-up;
    remainders kept by the merchant or shared by beneficiaries; caps with and
    without a per-beneficiary ratio; quantum 0.01 or 1; ``max_depth`` 0 to 4;
    rule scopes and base exclusions.  The money rules' rates add up to at most
    1 on every item, so every drawn plan is valid.
    """
    _check_sizes(min_rules, max_rules, lowest=1, names=("min_rules", "max_rules"))
    return _plan_mappings(min_rules, max_rules)


@st.composite
def _plan_mappings(draw: st.DrawFn, min_rules: int, max_rules: int) -> dict[str, Any]:
    max_depth = draw(st.sampled_from(range(5)))
    quantum = draw(st.sampled_from(("0.01", "1")))
    earns = {
        "member": draw(st.sampled_from(("points", "money", "nothing"))),
        "maker": draw(st.sampled_from(("money", "money", "money", "points", "nothing"))),
        "guide": draw(st.sampled_from(("money", "money", "money", "points", "nothing"))),
    }
    order = draw(st.permutations(ROLES))
    budget = [Decimal(1)]  # what the money rules may still promise of a base
    rules = []
    for index in range(draw(st.integers(min_rules, max_rules))):
        kind = draw(st.sampled_from(("rates", "amounts", "differential", "points", "rates")))
        rule = _draw_rule(draw, kind, max_depth, Decimal(quantum), budget)
        rules.append({"id": f"rule-{index}", **rule, **_draw_scope(draw)})
    caps: dict[str, str] = {}
    if draw(st.booleans()):
        caps["order_ratio"] = str(_draw_rate(draw, Decimal(1)))
    if draw(st.booleans()):
        caps["beneficiary_ratio"] = str(_draw_rate(draw, Decimal(1)))
    gift_packs = []
    if draw(st.booleans()):
        gift_packs.append({"sku": "GIFT", "becomes": draw(st.sampled_from(("maker", "guide")))})
    return {
        "id": "plan-under-test",
        "version": 1,
        "effective_from": (START - timedelta(days=1)).isoformat(),
        "currency": CURRENCY,
        "quantum": quantum,
        "rounding": draw(st.sampled_from(("down", "half-even", "half-up"))),
        "remainder": draw(st.sampled_from(("merchant", "beneficiaries"))),
        "roles": [{"name": n, "rank": RANKS[n], "earns": earns[n]} for n in order],
        "performance_role": draw(st.sampled_from(("guide", None, "maker"))),
        "base": {
            "include_shipping": draw(st.booleans()),
            "include_points_redemption": draw(st.booleans()),
            "exclude_skus": draw(_sometimes(st.lists(st.sampled_from(SKUS), max_size=1))),
            "exclude_categories": draw(_sometimes(st.lists(st.just("gift-card"), max_size=1))),
        },
        "max_depth": max_depth,
        "ineligible": draw(st.sampled_from(("retain", "compress"))),
        "caps": caps,
        "gift_packs": gift_packs,
        "rules": rules,
    }


def _sometimes(strategy: st.SearchStrategy[list[str]]) -> st.SearchStrategy[list[str]]:
    return st.just([]) | strategy


def _draw_rate(draw: st.DrawFn, most: Decimal) -> Decimal:
    places = draw(st.sampled_from((2, 3, 4)))
    scale = 10**places
    return Decimal(draw(st.integers(0, int(most * scale)))).scaleb(-places)


def _draw_rule(
    draw: st.DrawFn, kind: str, max_depth: int, quantum: Decimal, budget: list[Decimal]
) -> dict[str, Any]:
    if kind == "differential":
        paid = draw(st.lists(st.sampled_from(ROLES), min_size=1, unique=True))
        rates = sorted(_draw_rate(draw, budget[0]) for _ in paid)
        ranked = sorted(paid, key=RANKS.__getitem__)
        budget[0] -= rates[-1]
        return {
            "kind": "differential",
            "rates": {role: str(rate) for role, rate in zip(ranked, rates, strict=True)},
            "include_buyer": draw(st.booleans()),
        }
    levels = draw(
        st.lists(st.integers(0, max_depth), min_size=1, max_size=max_depth + 1, unique=True)
    )
    drawn = []
    for level in levels:
        roles: Sequence[str] = draw(
            st.just(ROLES) | st.lists(st.sampled_from(ROLES), min_size=1, unique=True)
        )
        if kind == "rates":
            # A level takes at most 30% so that later levels and rules get some.
            by_role = {role: _draw_rate(draw, min(budget[0], LEVEL_RATE_MAX)) for role in roles}
            budget[0] -= max(by_role.values())
            drawn.append({"level": level, "rates": {r: str(v) for r, v in by_role.items()}})
        elif kind == "amounts":
            top = 5000 if quantum < 1 else 50
            amounts = {role: str(Decimal(draw(st.integers(0, top))) * quantum) for role in roles}
            drawn.append({"level": level, "amounts": amounts})
        else:
            per_unit = st.sampled_from(("1", "0.5", "2", "0.01", "0", "10"))
            drawn.append({"level": level, "points": {role: draw(per_unit) for role in roles}})
    if kind == "points":
        return {"kind": "points", "trigger": "purchase", "levels": drawn}
    return {"kind": "level", "levels": drawn}


def _draw_scope(draw: st.DrawFn) -> dict[str, list[str]]:
    if draw(st.integers(0, 3)):
        return {}  # most rules apply to every item
    scope = {
        "skus": draw(st.lists(st.sampled_from(SKUS), max_size=2, unique=True)),
        "categories": draw(st.lists(st.sampled_from(CATEGORIES), max_size=2, unique=True)),
        "exclude_skus": draw(st.lists(st.sampled_from(SKUS), max_size=1, unique=True)),
        "exclude_categories": draw(st.lists(st.sampled_from(CATEGORIES), max_size=1)),
    }
    return {key: value for key, value in scope.items() if value}


# ----------------------------------------------------------------------- orders


def order_mappings(
    spec: GraphSpec,
    quantum: Decimal,
    *,
    order_id: str = "order-1",
    min_size: int = 1,
    max_size: int = 4,
) -> st.SearchStrategy[dict[str, Any]]:
    """Valid paid orders of ``min_size`` to ``max_size`` items, as mappings.

    The buyer is a participant of ``spec`` who had joined at the payment time,
    which falls anywhere in the horizon and often on, or a microsecond either
    side of, a change to the graph.  Prices are multiples of ``quantum``
    (down to a single quantum); items carry discounts; the order carries
    coupons, vouchers, points redemption and shipping.
    """
    _check_sizes(min_size, max_size, lowest=1)
    if quantum <= 0:
        raise InvalidArgument(f"quantum={quantum} must be positive")
    return _order_mappings(spec, quantum, order_id, min_size, max_size)


@st.composite
def _order_mappings(
    draw: st.DrawFn,
    spec: GraphSpec,
    quantum: Decimal,
    order_id: str,
    min_size: int,
    max_size: int,
) -> dict[str, Any]:
    buyer = draw(st.sampled_from(spec.participants) | st.sampled_from(spec.deepest()))
    joined = spec.joined_minute(buyer)
    boundaries = [m for m in spec.minutes() if m >= joined]
    minute = draw(st.sampled_from(boundaries) | st.integers(joined, HORIZON_MINUTES))
    nudge = draw(st.sampled_from((0, 1, -1, 30_000_000)))
    if minute == joined and nudge < 0:
        nudge = 0
    paid_at = instant(minute, microseconds=nudge).astimezone(draw(st.sampled_from(ZONES)))
    write = _amount_writer(draw, quantum)
    items = []
    nets = 0
    for index in range(draw(st.integers(min_size, max_size))):
        quantity = draw(st.integers(1, 5) | st.integers(1, 1000))
        # Mostly ordinary prices, sometimes a few quanta (down to one, or zero).
        price = draw(
            st.integers(0, 10)
            | st.integers(100, 1_000_000)
            | st.integers(100, 100_000)
            | st.integers(1_000, 20_000)
        )
        gross = price * quantity
        discount = draw(st.just(0) | st.integers(0, gross // 5) | st.integers(0, gross))
        nets += gross - discount
        items.append(
            {
                "item_id": f"item-{index}",
                "sku": draw(st.sampled_from(SKUS)),
                "category": draw(st.sampled_from(CATEGORIES)),
                "quantity": quantity,
                "unit_price": write(price),
                "discount": write(discount),
            }
        )
    coupons = draw(_deductions(nets))
    vouchers = draw(_deductions(nets - coupons))
    points = draw(_deductions(nets - coupons - vouchers))
    return {
        "order_id": order_id,
        "buyer": buyer,
        "paid_at": draw(st.sampled_from((paid_at, paid_at.isoformat()))),
        "currency": CURRENCY,
        "items": items,
        "coupons": write(coupons),
        "vouchers": write(vouchers),
        "points_redemption": write(points),
        "shipping": write(draw(st.just(0) | st.integers(0, 2000))),
    }


def _deductions(most: int) -> st.SearchStrategy[int]:
    """Nothing, a modest share, or anything up to ``most`` quanta."""
    return st.just(0) | st.integers(0, most // 4) | st.integers(0, most)


def _amount_writer(draw: st.DrawFn, quantum: Decimal) -> Callable[[int], object]:
    """Write a number of quanta as a string, a Decimal or an int, drawn each time."""

    def write(quanta: int) -> object:
        amount = Decimal(quanta) * quantum
        form = draw(st.sampled_from(("string", "decimal", "int", "padded")))
        if form == "int" and amount == amount.to_integral_value():
            return int(amount)
        if form == "padded":
            return f"{amount:f}0" if "." in f"{amount:f}" else f"{amount:f}.00"
        return f"{amount:f}" if form == "string" else amount

    return write


# -------------------------------------------------------------------- scenarios


@dataclass(frozen=True)
class Scenario:
    """A graph, a plan and some orders paid on it, with the data they came from."""

    graph_spec: GraphSpec
    plan_data: dict[str, Any]
    order_data: tuple[dict[str, Any], ...]
    graph: ReferralGraph = field(repr=False)
    plan: Plan = field(repr=False)
    orders: tuple[Order, ...] = field(repr=False)

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        # Hypothesis prints falsifying examples with this: the data, not the
        # objects built from it.
        printer.text(
            f"Scenario(graph_spec={self.graph_spec!r}, plan_data={self.plan_data!r}, "
            f"order_data={self.order_data!r})"
        )

    def evaluations(self) -> Iterator[tuple[Order, Evaluation]]:
        """Each order with its evaluation against the scenario's plan and graph."""
        for order in self.orders:
            yield order, evaluate(self.plan, self.graph, order)


def scenarios(
    *, min_size: int = 1, max_size: int = 14, max_orders: int = 3
) -> st.SearchStrategy[Scenario]:
    """A referral graph of ``min_size`` to ``max_size`` participants, a plan, and
    one to ``max_orders`` orders paid on them at random times."""
    _check_sizes(min_size, max_size, lowest=1)
    if max_orders < 1:
        raise InvalidArgument(f"max_orders={max_orders} must be at least 1")
    return _scenarios(min_size, max_size, max_orders)


@st.composite
def _scenarios(draw: st.DrawFn, min_size: int, max_size: int, max_orders: int) -> Scenario:
    spec = draw(referral_graphs(min_size=min_size, max_size=max_size))
    plan_data = draw(plan_mappings())
    quantum = Decimal(plan_data["quantum"])
    order_data = tuple(
        draw(order_mappings(spec, quantum, order_id=f"order-{index}"))
        for index in range(draw(st.integers(1, max_orders)))
    )
    return Scenario(
        graph_spec=spec,
        plan_data=plan_data,
        order_data=order_data,
        graph=spec.build(),
        plan=Plan.from_mapping(plan_data),
        orders=tuple(Order.from_mapping(data) for data in order_data),
    )


def _check_sizes(
    low: int, high: int, *, lowest: int, names: tuple[str, str] = ("min_size", "max_size")
) -> None:
    for name, value in zip(names, (low, high), strict=True):
        if isinstance(value, bool) or not isinstance(value, int):
            raise InvalidArgument(f"{name}={value!r} must be an integer")
    if low < lowest:
        raise InvalidArgument(f"{names[0]}={low} must be at least {lowest}")
    if high < low:
        raise InvalidArgument(f"{names[1]}={high} must be at least {names[0]}={low}")
