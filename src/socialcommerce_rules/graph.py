"""The referral graph as of any time: who brought whom, roles, status and stores.

Holds every participant's join, upline changes, role history, status history and
store, and answers "as of instant t" questions in O(1) per step, so that walking
``max_depth`` uplines for an order costs O(``max_depth``) whatever the size of the
graph.  A change that would make anyone their own upline is refused and changes
nothing.

Storage is columnar: participants are numbered in join-call order, their first
upline, join instant, first role and first store sit in compact arrays, and only
participants whose upline, role, status or store later changed get a history
list.  A million members fit in well under 200 MB.

Binding changes (re-binding, a guide leaving, a transplanted team) must arrive in
time order: each is at or after the latest binding change already recorded, which
keeps cycle detection exact at every instant.  Joins and role, status and store
changes may arrive in any time order.
"""

from __future__ import annotations

import bisect
import re
from array import array
from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Final, NamedTuple, TypeVar

import networkx as nx

from ._time import format_instant, to_instant
from .errors import GraphError, UnknownParticipantError
from .limits import DEPTH_MAX, IDENTIFIER_LENGTH_MAX

__all__ = ["ReferralGraph", "RoleChange"]

_NONE: Final = -1
_T = TypeVar("_T")
_IDENTIFIER: Final = re.compile(rf"[^\s\x00-\x1f\x7f-\x9f]{{1,{IDENTIFIER_LENGTH_MAX}}}")
_FOREVER: Final = 2**62


class ReferralGraph:
    """Participants and their referral relations, queryable as of any instant.

    Every method that takes ``at`` takes an aware :class:`~datetime.datetime`.
    A change applies to every instant at or after ``at``.

    Args:
        roles: if given, the only role names participants may hold.

    >>> from datetime import datetime, timezone
    >>> t = datetime(2026, 1, 1, tzinfo=timezone.utc)
    >>> graph = ReferralGraph()
    >>> graph.join("guide-1", at=t, role="guide", store="store-1")
    >>> graph.join("member-1", at=t, role="member", inviter="guide-1")
    >>> graph.upline("member-1", at=t)
    'guide-1'
    """

    __slots__ = (
        "_binding_clock",
        "_bound_child",
        "_bound_head",
        "_bound_next",
        "_ids",
        "_index",
        "_joined",
        "_role_changes",
        "_role_first",
        "_role_index",
        "_role_names",
        "_roles_allowed",
        "_status_changes",
        "_store_changes",
        "_store_first",
        "_store_index",
        "_store_names",
        "_upline_changes",
        "_upline_first",
    )

    def __init__(self, *, roles: Iterable[str] | None = None) -> None:
        self._index: dict[str, int] = {}
        self._ids: list[str] = []
        self._joined = array("q")
        self._upline_first = array("i")
        self._upline_changes: dict[int, list[tuple[int, int]]] = {}
        self._role_first = array("h")
        self._role_changes: dict[int, list[tuple[int, int]]] = {}
        self._role_index: dict[str, int] = {}
        self._role_names: list[str] = []
        self._roles_allowed = None if roles is None else frozenset(roles)
        self._status_changes: dict[int, list[tuple[int, bool]]] = {}
        self._store_first = array("i")
        self._store_changes: dict[int, list[tuple[int, int]]] = {}
        self._store_index: dict[str, int] = {}
        self._store_names: list[str] = []
        # Everyone ever bound to each participant, as singly linked lists in flat
        # arrays (no Python container per participant): _bound_head[upline] is the
        # newest binding's position, -1 for none; at a position, _bound_child is the
        # participant bound and _bound_next the position of the binding before it.
        self._bound_head = array("i")
        self._bound_child = array("i")
        self._bound_next = array("i")
        self._binding_clock = -_FOREVER

    # ----------------------------------------------------------------- changes

    def join(
        self,
        participant: str,
        *,
        at: datetime,
        role: str,
        inviter: str | None = None,
        store: str | None = None,
    ) -> None:
        """Add a participant who joined at ``at``, invited by ``inviter``.

        Raises:
            GraphError: a duplicate id, an id of the wrong form, a disallowed role,
                or an inviter who had not joined by ``at``.
            UnknownParticipantError: the inviter is not in the graph.
        """
        _check_identifier(participant, "participant")
        instant = _instant(at)
        if participant in self._index:
            raise GraphError(
                "graph-duplicate-participant",
                f"{participant!r} has already joined",
                path="participant",
            )
        role_number = self._role_number(role)
        upline = _NONE
        if inviter is not None:
            upline = self._require(inviter, "inviter")
            self._require_joined(upline, instant, "inviter")
        store_number = _NONE if store is None else self._store_number(store)
        number = len(self._ids)
        self._index[participant] = number
        self._ids.append(participant)
        self._joined.append(instant)
        self._upline_first.append(upline)
        self._role_first.append(role_number)
        self._store_first.append(store_number)
        self._bound_head.append(_NONE)
        if upline != _NONE:
            self._add_bound(upline, number)

    def change_role(self, participant: str, role: str, *, at: datetime) -> None:
        """Record that ``participant`` holds ``role`` from ``at`` on.

        Raises:
            GraphError: a disallowed role, a time before the join, or a second
                role change for this participant at the same instant.
            UnknownParticipantError: the participant is not in the graph.
        """
        number = self._require(participant, "participant")
        instant = _instant(at)
        self._require_joined(number, instant, "participant")
        role_number = self._role_number(role)
        _insert_change(
            self._role_changes,
            number,
            self._joined[number],
            self._role_first[number],
            instant,
            role_number,
            "role",
            participant,
        )

    def _replace_role_change(self, participant: str, role: str, instant: int) -> None:
        """Make the role change recorded at ``instant`` one to ``role`` (a book undoing
        a gift pack's upgrade before it took effect)."""
        number = self._index[participant]
        _insert_change(
            self._role_changes,
            number,
            self._joined[number],
            self._role_first[number],
            instant,
            self._role_number(role),
            "role",
            participant,
            replace=True,
        )

    def set_active(self, participant: str, active: bool, *, at: datetime) -> None:
        """Record that ``participant`` is active (may earn) or not from ``at`` on."""
        number = self._require(participant, "participant")
        instant = _instant(at)
        self._require_joined(number, instant, "participant")
        _insert_change(
            self._status_changes,
            number,
            self._joined[number],
            True,
            instant,
            bool(active),
            "status",
            participant,
        )

    def set_store(self, participant: str, store: str | None, *, at: datetime) -> None:
        """Record that ``participant`` belongs to ``store`` (or none) from ``at`` on."""
        number = self._require(participant, "participant")
        instant = _instant(at)
        self._require_joined(number, instant, "participant")
        store_number = _NONE if store is None else self._store_number(store)
        _insert_change(
            self._store_changes,
            number,
            self._joined[number],
            self._store_first[number],
            instant,
            store_number,
            "store",
            participant,
        )

    def rebind(self, participant: str, upline: str | None, *, at: datetime) -> None:
        """Bind ``participant`` (and with them their whole downline) to ``upline``.

        Used for a member re-bound to another guide, and for a team transplanted
        under a new upline (the team's root is re-bound; its tree moves with it).
        ``upline=None`` makes the participant a root.

        Raises:
            GraphError: binding someone to themselves, a change that would create a
                cycle, a time before the latest binding change, or either party not
                yet joined at ``at``.
            UnknownParticipantError: either id is not in the graph.
        """
        number = self._require(participant, "participant")
        instant = _instant(at)
        self._check_binding_time(instant)
        self._require_joined(number, instant, "participant")
        target = _NONE
        if upline is not None:
            target = self._require(upline, "upline")
            self._require_joined(target, instant, "upline")
            self._check_no_cycle(number, target)
        self._set_upline(number, instant, target)
        self._binding_clock = instant

    def transplant(self, team_root: str, upline: str | None, *, at: datetime) -> None:
        """Move a whole team (``team_root`` and its downline) under ``upline``.

        The same as :meth:`rebind` on the team's root, named for the operation.
        """
        self.rebind(team_root, upline, at=at)

    def guide_leaves(self, guide: str, *, at: datetime, successor: str) -> tuple[str, ...]:
        """A guide leaves the store: their direct downline moves to ``successor``.

        The guide becomes inactive and store-less from ``at`` on.  Returns the
        ids moved, in join order.  Nothing changes if any check fails.

        Raises:
            GraphError: as :meth:`rebind`; ``successor`` may not be the guide or in
                the guide's downline.
            UnknownParticipantError: either id is not in the graph.
        """
        number = self._require(guide, "guide")
        target = self._require(successor, "successor")
        instant = _instant(at)
        self._check_binding_time(instant)
        self._require_joined(number, instant, "guide")
        self._require_joined(target, instant, "successor")
        if target == number:
            raise GraphError(
                "graph-self-binding", f"{guide!r} cannot succeed themselves", path="successor"
            )
        self._check_no_cycle(number, target)
        moved = sorted(
            child
            for child in self._ever_bound(number)
            if self._joined[child] <= instant and self._upline_at(child, instant) == number
        )
        for child in moved:
            history = self._upline_changes.get(child)
            if history is not None and len(history) > 1 and history[-1][0] == instant:
                raise GraphError(
                    "graph-conflicting-change",
                    f"{self._ids[child]!r} already changed upline at {format_instant(instant)}",
                    path="at",
                )
        for child in moved:
            self._set_upline(child, instant, target)
        # A departed guide may not earn and is no longer in a store; these histories
        # accept the change whatever their time order, so they cannot fail now.
        _insert_change(
            self._status_changes,
            number,
            self._joined[number],
            True,
            instant,
            False,
            "status",
            guide,
            replace=True,
        )
        _insert_change(
            self._store_changes,
            number,
            self._joined[number],
            self._store_first[number],
            instant,
            _NONE,
            "store",
            guide,
            replace=True,
        )
        self._binding_clock = instant
        return tuple(self._ids[child] for child in moved)

    def apply(self, changes: Iterable[RoleChange]) -> None:
        """Record role changes produced by an evaluation (a gift pack's upgrade).

        All changes are checked before any is recorded.
        """
        pending = list(changes)
        seen: set[tuple[int, int]] = set()
        for change in pending:
            number = self._require(change.participant, "participant")
            instant = _instant(change.effective_at)
            self._require_joined(number, instant, "participant")
            self._role_number(change.role)
            history = self._role_changes.get(number, ())
            if (number, instant) in seen or any(
                when == instant and position > 0 for position, (when, _) in enumerate(history)
            ):
                raise GraphError(
                    "graph-conflicting-change",
                    f"{change.participant!r} already has a role change at "
                    f"{format_instant(instant)}",
                    path="effective_at",
                )
            seen.add((number, instant))
        for change in pending:
            self.change_role(change.participant, change.role, at=change.effective_at)

    # ----------------------------------------------------------------- queries

    def __contains__(self, participant: object) -> bool:
        return participant in self._index

    def __len__(self) -> int:
        return len(self._ids)

    def __iter__(self) -> Iterator[str]:
        """Participant ids in the order they were added."""
        return iter(self._ids)

    def joined_at(self, participant: str) -> str:
        """The participant's join instant as ISO 8601 UTC text."""
        return format_instant(self._joined[self._require(participant, "participant")])

    def upline(self, participant: str, *, at: datetime) -> str | None:
        """The participant's upline at ``at``, or ``None`` for a root."""
        number = self._require(participant, "participant")
        instant = _instant(at)
        self._require_joined(number, instant, "participant")
        upline = self._upline_at(number, instant)
        return None if upline == _NONE else self._ids[upline]

    def role(self, participant: str, *, at: datetime) -> str:
        """The role the participant held at ``at``."""
        number = self._require(participant, "participant")
        instant = _instant(at)
        self._require_joined(number, instant, "participant")
        return self._role_names[self._role_at(number, instant)]

    def is_active(self, participant: str, *, at: datetime) -> bool:
        """Whether the participant was active (allowed to earn) at ``at``."""
        number = self._require(participant, "participant")
        instant = _instant(at)
        self._require_joined(number, instant, "participant")
        return self._active_at(number, instant)

    def store(self, participant: str, *, at: datetime) -> str | None:
        """The store the participant belonged to at ``at``, if any."""
        number = self._require(participant, "participant")
        instant = _instant(at)
        self._require_joined(number, instant, "participant")
        store = self._store_at(number, instant)
        return None if store == _NONE else self._store_names[store]

    def ancestors(self, participant: str, *, at: datetime, max_depth: int) -> tuple[str, ...]:
        """Uplines at ``at``, nearest first, at most ``max_depth`` (and DEPTH_MAX) of them."""
        number = self._require(participant, "participant")
        instant = _instant(at)
        self._require_joined(number, instant, "participant")
        return tuple(self._ids[i] for i in self._ancestors(number, instant, max_depth))

    def downline(self, participant: str, *, at: datetime) -> tuple[str, ...]:
        """The participant's direct downline at ``at``, in join order.

        Costs time proportional to everyone ever bound to the participant.
        """
        number = self._require(participant, "participant")
        instant = _instant(at)
        found = {
            child
            for child in self._ever_bound(number)
            if self._joined[child] <= instant and self._upline_at(child, instant) == number
        }
        return tuple(self._ids[child] for child in sorted(found))

    def to_networkx(self, *, at: datetime) -> nx.DiGraph[str]:
        """The graph at ``at`` as a networkx DiGraph with edges upline -> downline.

        Nodes carry ``role``, ``active`` and ``store`` attributes and are added in
        join order, so iteration order is deterministic.
        """
        instant = _instant(at)
        graph: nx.DiGraph[str] = nx.DiGraph()
        for number, participant in enumerate(self._ids):
            if self._joined[number] > instant:
                continue
            store = self._store_at(number, instant)
            graph.add_node(
                participant,
                role=self._role_names[self._role_at(number, instant)],
                active=self._active_at(number, instant),
                store=None if store == _NONE else self._store_names[store],
            )
        for number, participant in enumerate(self._ids):
            if self._joined[number] > instant:
                continue
            upline = self._upline_at(number, instant)
            if upline != _NONE:
                graph.add_edge(self._ids[upline], participant)
        return graph

    def check(self, *, at: datetime) -> None:
        """Verify with networkx that the graph at ``at`` is a forest.

        Raises:
            InternalInvariantError: the graph has a cycle or a node with two
                uplines (which the change methods make impossible).
        """
        from .errors import InternalInvariantError

        graph = self.to_networkx(at=at)
        if graph.number_of_nodes() and not nx.is_forest(graph):
            raise InternalInvariantError("the referral graph is not a forest")

    # --------------------------------------------------------------- internals

    def _require(self, participant: str, field: str) -> int:
        number = self._index.get(participant)
        if number is None:
            raise UnknownParticipantError(
                "graph-unknown-participant",
                f"{participant!r} is not a participant of the graph",
                path=field,
            )
        return number

    def _require_joined(self, number: int, instant: int, field: str) -> None:
        if self._joined[number] > instant:
            raise GraphError(
                "graph-not-joined",
                f"{self._ids[number]!r} joined at {format_instant(self._joined[number])}, "
                f"after {format_instant(instant)}",
                path=field,
            )

    def _role_number(self, role: str) -> int:
        number = self._role_index.get(role)
        if number is not None:
            return number
        if self._roles_allowed is not None and role not in self._roles_allowed:
            raise GraphError(
                "graph-unknown-role",
                f"{role!r} is not one of the roles {sorted(self._roles_allowed)}",
                path="role",
            )
        _check_identifier(role, "role")
        self._role_index[role] = len(self._role_names)
        self._role_names.append(role)
        return self._role_index[role]

    def _store_number(self, store: str) -> int:
        number = self._store_index.get(store)
        if number is None:
            _check_identifier(store, "store")
            number = self._store_index[store] = len(self._store_names)
            self._store_names.append(store)
        return number

    def _check_binding_time(self, instant: int) -> None:
        if instant < self._binding_clock:
            raise GraphError(
                "graph-change-out-of-order",
                f"{format_instant(instant)} is before the latest binding change "
                f"({format_instant(self._binding_clock)})",
                path="at",
            )

    def _check_no_cycle(self, participant: int, upline: int) -> None:
        if participant == upline:
            raise GraphError(
                "graph-self-binding",
                f"{self._ids[participant]!r} cannot be their own upline",
                path="upline",
            )
        # Binding changes arrive in time order, so the latest state is the state
        # at every instant from now on; a cycle exists iff the participant is
        # already above the new upline.
        walker = upline
        while walker != _NONE:
            if walker == participant:
                raise GraphError(
                    "graph-cycle",
                    f"binding {self._ids[participant]!r} under {self._ids[upline]!r} would "
                    f"make {self._ids[participant]!r} their own upline",
                    path="upline",
                )
            walker = self._upline_at(walker, _FOREVER)

    def _set_upline(self, number: int, instant: int, upline: int) -> None:
        history = self._upline_changes.get(number)
        if history is None:
            history = self._upline_changes[number] = [
                (self._joined[number], self._upline_first[number])
            ]
        if history[-1][0] == instant:
            if len(history) > 1:
                raise GraphError(
                    "graph-conflicting-change",
                    f"{self._ids[number]!r} already changed upline at {format_instant(instant)}",
                    path="at",
                )
            # A change at the very instant of the join replaces the join's binding.
            history[-1] = (instant, upline)
        else:
            history.append((instant, upline))
        if upline != _NONE:
            self._add_bound(upline, number)

    def _add_bound(self, upline: int, number: int) -> None:
        self._bound_child.append(number)
        self._bound_next.append(self._bound_head[upline])
        self._bound_head[upline] = len(self._bound_child) - 1

    def _ever_bound(self, upline: int) -> set[int]:
        """Everyone ever bound to ``upline``: O(the number of those bindings)."""
        child, following = self._bound_child, self._bound_next
        found = set()
        position = self._bound_head[upline]
        while position != _NONE:
            found.add(child[position])
            position = following[position]
        return found

    def _upline_at(self, number: int, instant: int) -> int:
        history = self._upline_changes.get(number)
        if history is None:
            return self._upline_first[number]
        return _value_at(history, instant, self._upline_first[number])

    def _role_at(self, number: int, instant: int) -> int:
        history = self._role_changes.get(number)
        if history is None:
            return self._role_first[number]
        return _value_at(history, instant, self._role_first[number])

    def _active_at(self, number: int, instant: int) -> bool:
        history = self._status_changes.get(number)
        if history is None:
            return True
        return _value_at(history, instant, True)

    def _store_at(self, number: int, instant: int) -> int:
        history = self._store_changes.get(number)
        if history is None:
            return self._store_first[number]
        return _value_at(history, instant, self._store_first[number])

    def _walk(
        self, number: int, instant: int, count: int
    ) -> tuple[list[int], list[str], list[str], list[bool]]:
        """The participant and up to ``count`` uplines at ``instant``, nearest first:
        their numbers, ids, role names and statuses.  The engine's hot path: O(count)."""
        upline_changes = self._upline_changes
        role_changes = self._role_changes
        status_changes = self._status_changes
        upline_first = self._upline_first
        role_first = self._role_first
        role_names = self._role_names
        ids = self._ids
        count = min(count, DEPTH_MAX)
        numbers = [number]
        walked = [ids[number]]
        roles = []
        active = []
        # Most participants never change: "in" tests are cheaper than dict.get calls.
        for step in range(count + 1):
            if number in role_changes:
                held = _value_at(role_changes[number], instant, role_first[number])
            else:
                held = role_first[number]
            roles.append(role_names[held])
            active.append(
                number not in status_changes or _value_at(status_changes[number], instant, True)
            )
            if step == count:
                break
            if number in upline_changes:
                number = _value_at(upline_changes[number], instant, _NONE)
            else:
                number = upline_first[number]
            if number < 0:  # _NONE: no upline (a local test, not a global lookup)
                break
            numbers.append(number)
            walked.append(ids[number])
        return numbers, walked, roles, active

    def _holder_above(self, number: int, instant: int, role: str, count: int) -> int:
        """The nearest of ``number``'s first ``count`` uplines at ``instant`` who held
        ``role`` then, or -1.  The engine's hot path (the performance owner): O(count)."""
        wanted = self._role_index.get(role)
        if wanted is None:
            return _NONE  # nobody ever held the role
        upline_changes = self._upline_changes
        role_changes = self._role_changes
        upline_first = self._upline_first
        role_first = self._role_first
        for _ in range(min(count, DEPTH_MAX)):
            if number in upline_changes:
                number = _value_at(upline_changes[number], instant, _NONE)
            else:
                number = upline_first[number]
            if number < 0:  # _NONE: no upline (a local test, not a global lookup)
                break
            if number in role_changes:
                held = _value_at(role_changes[number], instant, role_first[number])
            else:
                held = role_first[number]
            if held == wanted:
                return number
        return _NONE

    def _ancestors(self, number: int, instant: int, count: int) -> list[int]:
        found = []
        for _ in range(min(count, DEPTH_MAX)):
            number = self._upline_at(number, instant)
            if number == _NONE:
                break
            found.append(number)
        return found


def _value_at(history: list[tuple[int, _T]], instant: int, first: _T) -> _T:
    # history is sorted by instant and starts at the join; an instant before the
    # first entry cannot reach here (callers check the join), but fall back safely.
    if instant >= history[-1][0]:
        return history[-1][1]
    position = bisect.bisect_right(history, instant, key=lambda entry: entry[0])
    return history[position - 1][1] if position else first


def _insert_change(
    changes: dict[int, list[tuple[int, _T]]],
    number: int,
    joined: int,
    first: _T,
    instant: int,
    value: _T,
    what: str,
    participant: str,
    *,
    replace: bool = False,
) -> None:
    history = changes.get(number)
    history = [(joined, first)] if history is None else list(history)
    position = bisect.bisect_left(history, instant, key=lambda entry: entry[0])
    if position < len(history) and history[position][0] == instant:
        if not replace and position > 0:
            raise GraphError(
                "graph-conflicting-change",
                f"{participant!r} already has a {what} change at {format_instant(instant)}",
                path="at",
            )
        history[position] = (instant, value)
    else:
        history.insert(position, (instant, value))
    changes[number] = history


def _instant(at: datetime) -> int:
    try:
        return to_instant(at)
    except ValueError as error:
        raise GraphError("graph-invalid-value", str(error), path="at") from None


def _check_identifier(value: object, field: str) -> None:
    if not isinstance(value, str) or _IDENTIFIER.fullmatch(value) is None:
        raise GraphError(
            "graph-invalid-value",
            f"{value!r} is not an identifier (1 to {IDENTIFIER_LENGTH_MAX} printable "
            "characters without spaces)",
            path=field,
        )


class RoleChange(NamedTuple):
    """A role a participant holds from an instant on, as an order's effect.

    Attributes:
        participant: who changes role.
        role: the new role.
        effective_at: the first instant the new role holds (aware, UTC).
        reason: one sentence saying why.
    """

    participant: str
    role: str
    effective_at: datetime
    reason: str
