"""Events a shop feeds the library: joins, role and binding changes, order lifecycle.

Turns JSON, JSON Lines or CSV records into typed, immutable event values, and back.
Every event has an ``event_id`` (the idempotency key) and an aware time ``at``;
an ``order_paid`` event carries the whole order and is at its payment time.
Amounts are exact decimals; a float anywhere is refused with the field's path.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Annotated, Any, BinaryIO, Final, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, StrictBool, TypeAdapter, ValidationError

from ._parse import parse_json_text
from .errors import EventError, LimitError
from .limits import EVENT_LINE_BYTES_MAX, PLAN_NESTING_MAX
from .money import describe
from .orders import Identifier, Instant, Money, Order, Quantity

__all__ = [
    "BindingChanged",
    "Event",
    "GuideLeft",
    "OrderCancelled",
    "OrderCompleted",
    "OrderPaid",
    "OrderRefunded",
    "ParticipantJoined",
    "ParticipantStatusChanged",
    "PayoutMade",
    "RefundedItem",
    "RoleChanged",
    "SettlementRun",
    "TeamTransplanted",
    "event_from_json",
    "event_from_mapping",
    "event_to_dict",
    "event_to_json",
    "read_events",
    "write_events",
]


class _Event(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    event_id: Identifier
    at: Instant


class ParticipantJoined(_Event):
    """Someone joined, with the role they start in and who invited them.

    Attributes:
        participant: the newcomer's id.
        role: their first role.
        inviter: who invited them (their upline), or None for a root (a guide).
        store: the store they belong to (guides), or None.
    """

    type: Literal["participant_joined"] = "participant_joined"
    participant: Identifier
    role: Identifier
    inviter: Identifier | None = None
    store: Identifier | None = None


class RoleChanged(_Event):
    """A participant holds a new role from ``at`` on (an upgrade, a demotion)."""

    type: Literal["role_changed"] = "role_changed"
    participant: Identifier
    role: Identifier


class ParticipantStatusChanged(_Event):
    """A participant becomes active (may earn) or inactive from ``at`` on."""

    type: Literal["participant_status_changed"] = "participant_status_changed"
    participant: Identifier
    active: StrictBool


class BindingChanged(_Event):
    """A participant's upline changes, or may change.

    Attributes:
        participant: whose binding changes.
        upline: the new upline (None: no upline).
        cause: ``"rebind"``: an operator's re-binding, always applied;
            ``"share_click"``: the participant opened ``upline``'s shared link, and
            the plan's binding policy decides whether the binding moves.
    """

    type: Literal["binding_changed"] = "binding_changed"
    participant: Identifier
    upline: Identifier | None
    cause: Literal["rebind", "share_click"] = "rebind"


class GuideLeft(_Event):
    """A guide leaves the store; their direct downline moves to ``successor``."""

    type: Literal["guide_left"] = "guide_left"
    guide: Identifier
    successor: Identifier


class TeamTransplanted(_Event):
    """A whole team (``team_root`` and its downline) moves under ``upline``."""

    type: Literal["team_transplanted"] = "team_transplanted"
    team_root: Identifier
    upline: Identifier | None


class OrderPaid(_Event):
    """An order was paid at ``at`` (its payment time).

    Attributes:
        order: the order; its ``paid_at`` must equal ``at``.
        sharer: who shared the link the order came through, if anyone.
        credit: ``"upline"`` credits the buyer's bound upline chain;
            ``"sharer"`` credits the sharer (and the sharer's uplines) instead,
            when a sharer is given.
    """

    type: Literal["order_paid"] = "order_paid"
    order: Order
    sharer: Identifier | None = None
    credit: Literal["upline", "sharer"] = "upline"


class OrderCompleted(_Event):
    """The order was delivered and accepted; its after-sales window starts at ``at``."""

    type: Literal["order_completed"] = "order_completed"
    order_id: Identifier


class RefundedItem(BaseModel):
    """Units of one order item given back.

    Attributes:
        item_id: the order item.
        quantity: units refunded by this event.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    item_id: Identifier
    quantity: Quantity


class OrderRefunded(_Event):
    """Part or all of an order was refunded.

    Give ``items`` (units per item) or ``amount`` (money returned, reducing every
    item's base in proportion), not both.
    """

    type: Literal["order_refunded"] = "order_refunded"
    order_id: Identifier
    items: tuple[RefundedItem, ...] = ()
    amount: Money | None = None


class OrderCancelled(_Event):
    """The order was cancelled: everything it credited is reversed."""

    type: Literal["order_cancelled"] = "order_cancelled"
    order_id: Identifier


class SettlementRun(_Event):
    """Release every completed order whose after-sales window ended by ``at``."""

    type: Literal["settlement_run"] = "settlement_run"


class PayoutMade(_Event):
    """The shop paid a participant part of their available balance (a withdrawal).

    Attributes:
        participant: who was paid.
        amount: how much, at most their available balance when the event is applied.
        unit: the plan's currency (the default) or ``"points"`` (points redeemed).
    """

    type: Literal["payout_made"] = "payout_made"
    participant: Identifier
    amount: Money
    unit: Identifier | None = None


Event = Annotated[
    ParticipantJoined
    | RoleChanged
    | ParticipantStatusChanged
    | BindingChanged
    | GuideLeft
    | TeamTransplanted
    | OrderPaid
    | OrderCompleted
    | OrderRefunded
    | OrderCancelled
    | SettlementRun
    | PayoutMade,
    Field(discriminator="type"),
]
"""Any event, told apart by its ``type``."""

_ADAPTER: TypeAdapter[Event] = TypeAdapter(Event)


def _required_nullable() -> dict[str, frozenset[str]]:
    """By event type, the fields that must be given and may be None (``upline``)."""
    result = {}
    for model in get_args(get_args(Event)[0]):
        fields = model.model_fields
        result[str(fields["type"].default)] = frozenset(
            name
            for name, field in fields.items()
            if field.is_required() and type(None) in get_args(field.annotation)
        )
    return result


# An empty CSV cell of one of these fields is None; of any other field, absent.
_REQUIRED_NULLABLE: Final = _required_nullable()


def event_from_mapping(data: Any) -> Event:
    """Validate one event given as plain data.

    Raises:
        EventError: naming the event id (when readable) and the offending field.
    """
    try:
        event = _ADAPTER.validate_python(data)
    except ValidationError as error:
        raise _event_error(error, data) from None
    # The adapter gives the exact model classes: type tests (cheaper than isinstance).
    if type(event) is OrderPaid and event.order.paid_at != event.at:
        raise EventError(
            "event-invalid",
            f"at = {event.at.isoformat()} differs from order.paid_at = "
            f"{event.order.paid_at.isoformat()}",
            path="at",
            event_id=event.event_id,
        )
    if type(event) is OrderRefunded and bool(event.items) == (event.amount is not None):
        raise EventError(
            "event-invalid",
            "give either items or amount",
            path="items",
            event_id=event.event_id,
        )
    return event


def event_from_json(text: str) -> Event:
    """Parse one event from JSON text (floats, NaN and duplicate keys refused)."""
    if len(text.encode("utf-8", errors="surrogatepass")) > EVENT_LINE_BYTES_MAX:
        raise EventError(
            "event-invalid", f"an event longer than EVENT_LINE_BYTES_MAX = {EVENT_LINE_BYTES_MAX}"
        )
    data = parse_json_text(
        text,
        nesting_max=PLAN_NESTING_MAX,
        limit_code="limit-plan-nesting",
        error=lambda kind, message, path: EventError(
            "event-number-invalid" if kind == "number-invalid" else "event-invalid",
            message,
            path=path,
        ),
    )
    return event_from_mapping(data)


def event_to_dict(event: Event) -> dict[str, Any]:
    """Plain data for an event: amounts as decimal strings, times in UTC, defaults kept."""
    return event.model_dump(mode="json")


def event_to_json(event: Event) -> str:
    """Canonical JSON text of an event: fields in a fixed order, every default kept,
    amounts as plain decimal strings, times in UTC, no spaces, UTF-8 unescaped.

    Two events have the same canonical text exactly when they are equal events.
    """
    return event.model_dump_json()


def read_events(path: str | Path) -> Iterator[tuple[int, Event | EventError]]:
    """Read events from a JSON Lines file (one event per line) or a ``.csv`` file.

    The suffix chooses: ``.csv`` (in any case) is CSV, anything else JSON Lines.

    Yields ``(line number, event)`` or ``(line number, error)`` for a bad line, so
    that a caller can report it and go on.  Lines end at ``\\n``, ``\\r\\n`` or
    ``\\r``.  A JSON line that is not UTF-8 or longer than ``EVENT_LINE_BYTES_MAX``
    bytes is an error of its own; the lines around it are still read.

    CSV files have a column per field; ``order`` and ``items`` columns hold JSON
    (read as strictly as a JSON line: no floats, NaN or duplicate keys), an
    ``active`` column holds ``true`` or ``false``, and an empty cell leaves the
    field out (or, for a field that must be given and may be empty, such as
    ``upline``, makes it None).  A CSV file that is not UTF-8 is refused whole,
    with one error at the line of its first bad byte; one with a repeated column
    name, with one error at line 1.  A cell the ``csv`` module refuses (one longer
    than ``csv.field_size_limit()``, 131,072 characters by default) ends the
    reading with one error at its line, after the events before it.  A row whose
    cells hold more than ``EVENT_LINE_BYTES_MAX`` bytes, or that has more cells
    than there are columns, is an error of its own.  A row's number is that of
    the line it starts on.
    """
    file = Path(path)
    if file.suffix.lower() == ".csv":
        yield from _read_csv(file)
        return
    with file.open("rb") as handle:
        for number, line in enumerate(_lines(handle), start=1):
            if line is None:
                yield number, _oversize_error("line")
                continue
            try:
                text = line.decode("utf-8")
            except UnicodeDecodeError as error:
                message = f"not UTF-8: {error.reason} at byte {error.start + 1} of the line"
                yield number, EventError("event-invalid", message)
                continue
            if text.strip():
                yield number, _event_from_line(text)


# Bytes read from an event file at a time.
_BLOCK_BYTES: Final = 1 << 16
_LINE_END: Final = re.compile(rb"\r\n|\r|\n")


def _lines(handle: BinaryIO) -> Iterator[bytes | None]:
    """The lines of a binary file, without their ends (``\\n``, ``\\r\\n`` or ``\\r``).

    A line longer than ``EVENT_LINE_BYTES_MAX`` bytes is None, or, when it is
    shorter than that plus one block, the line itself (which
    :func:`event_from_json` refuses by its length): no more than that much of a
    line is ever held in memory.
    """
    pending = b""
    oversize = False
    while True:
        block = handle.read(_BLOCK_BYTES)
        data = pending + block
        start = 0
        for match in _LINE_END.finditer(data):
            if block and match.end() == len(data) and match.group() == b"\r":
                break  # a "\r" that a "\n" in the next block may follow
            yield None if oversize else data[start : match.start()]
            oversize = False
            start = match.end()
        pending = data[start:]
        if not block:
            if pending or oversize:
                yield None if oversize else pending
            return
        if len(pending) > EVENT_LINE_BYTES_MAX + 1:
            oversize = True
            pending = pending[-1:] if pending.endswith(b"\r") else b""


def _event_from_line(text: str) -> Event | EventError:
    try:
        return event_from_json(text)
    except EventError as error:
        return error
    except LimitError as error:  # nesting too deep: an error of this line only
        return EventError("event-invalid", error.message)


def _oversize_error(what: str) -> EventError:
    return EventError(
        "event-invalid",
        f"a {what} longer than EVENT_LINE_BYTES_MAX = {EVENT_LINE_BYTES_MAX} bytes",
    )


def write_events(events: Iterable[Event], path: str | Path) -> None:
    """Write events as JSON Lines (or CSV, by the file's suffix)."""
    file = Path(path)
    if file.suffix.lower() == ".csv":
        rows = [event_to_dict(event) for event in events]
        columns: list[str] = []
        for row in rows:
            columns += [key for key in row if key not in columns]
        with file.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=columns)
            writer.writeheader()
            for row in rows:
                writer.writerow({key: _csv_cell(value) for key, value in row.items()})
        return
    with file.open("w", encoding="utf-8") as handle:
        for event in events:
            handle.write(event_to_json(event) + "\n")


def _read_csv(file: Path) -> Iterator[tuple[int, Event | EventError]]:
    raw = file.read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        yield (
            raw.count(b"\n", 0, error.start) + 1,
            EventError(
                "event-invalid",
                f"the CSV file is not UTF-8: {error.reason} at byte {error.start + 1}; "
                "nothing after it is read",
            ),
        )
        return
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader, None)
        if header is None:
            return
        seen: set[str] = set()
        for name in header:
            if name in seen:
                yield 1, EventError("event-invalid", f"the column {describe(name)} appears twice")
                return
            seen.add(name)
        end = reader.line_num
        for cells in reader:
            number, end = end + 1, reader.line_num
            if cells:  # not a blank line
                yield number, _event_from_row(header, cells)
    except csv.Error as error:
        # Most often a cell above csv.field_size_limit(); where the row ends is
        # then unknown, so reading stops rather than guess.
        message = f"not a readable CSV row: {error}; nothing after it is read"
        yield reader.line_num, EventError("event-invalid", message)


def _event_from_row(header: list[str], cells: list[str]) -> Event | EventError:
    if len(",".join(cells).encode("utf-8", errors="surrogatepass")) > EVENT_LINE_BYTES_MAX:
        return _oversize_error("row")
    if len(cells) > len(header):
        return EventError(
            "event-invalid", f"{len(cells)} cells, more than the {len(header)} columns"
        )
    row = dict(zip(header, cells, strict=False))
    nullable = _REQUIRED_NULLABLE.get(row.get("type", ""), frozenset())
    data: dict[str, Any] = {}
    try:
        for key, cell in row.items():
            if cell == "":
                if key in nullable:
                    data[key] = None
            elif key in ("order", "items"):
                data[key] = _json_cell(key, cell)
            elif key == "active":
                if cell.lower() not in ("true", "false"):
                    return EventError(
                        "event-invalid", f"{describe(cell)} is not true or false", path="active"
                    )
                data[key] = cell.lower() == "true"
            else:
                data[key] = cell
        return event_from_mapping(data)
    except EventError as error:
        return error


def _json_cell(key: str, cell: str) -> Any:
    """A CSV cell of JSON, read as strictly as a JSON line."""
    try:
        return parse_json_text(
            cell,
            nesting_max=PLAN_NESTING_MAX,
            limit_code="limit-plan-nesting",
            error=lambda kind, message, path: EventError(
                "event-number-invalid" if kind == "number-invalid" else "event-invalid",
                message,
                path=f"{key}.{path}" if path else key,
            ),
        )
    except LimitError as error:
        raise EventError("event-invalid", error.message, path=key) from None


def _csv_cell(value: object) -> str:
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    if value is None:
        return ""
    return str(value)


def _event_error(error: ValidationError, data: Any) -> EventError:
    from .plan._load import _without_echoes, format_path

    details = _without_echoes(error.errors(include_url=False))
    first = details[0]
    location = list(first["loc"])
    if (
        location
        and isinstance(location[0], str)
        and location[0].endswith(
            (
                "_joined",
                "_changed",
                "_left",
                "_transplanted",
                "_paid",
                "_completed",
                "_refunded",
                "_cancelled",
                "_run",
                "_made",
            )
        )
    ):
        location = location[1:]
    kind = first["type"]
    if kind.startswith("order-"):
        code = "event-float" if kind == "order-float" else "event-invalid"
        if kind == "order-number-invalid":
            code = "event-number-invalid"
    else:
        code = "event-invalid"
    event_id = data.get("event_id") if isinstance(data, dict) else None
    message = first["msg"]
    if kind == "extra_forbidden":
        message = "is not a field of this event"
    elif "input" in first and code == "event-invalid":
        message = f"{describe(first['input'])}: {message}"
    if len(details) > 1:
        message += f" (and {len(details) - 1} more problems)"
    return EventError(
        code,
        message,
        path=format_path(location),
        event_id=event_id if isinstance(event_id, str) else None,
    )
