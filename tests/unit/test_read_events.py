"""read_events: JSON Lines and CSV files, read line by line, bad lines as errors."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from socialcommerce_rules import events as events_module
from socialcommerce_rules.events import (
    BindingChanged,
    Event,
    EventError,
    OrderPaid,
    ParticipantJoined,
    ParticipantStatusChanged,
    SettlementRun,
    TeamTransplanted,
    read_events,
    write_events,
)
from socialcommerce_rules.limits import EVENT_LINE_BYTES_MAX

ROOT = Path(__file__).parents[2]
EVENT_LINES = (
    (ROOT / "src" / "socialcommerce_rules" / "data" / "article_events.jsonl")
    .read_text(encoding="utf-8")
    .splitlines()
)
AT = datetime(2026, 1, 2, tzinfo=UTC)
SETTLE = '{"type":"settlement_run","event_id":"s1","at":"2026-02-01T00:00:00Z"}'
CSV_HEADER = "type,event_id,at,participant,role,inviter,store\n"
CSV_ROW = "participant_joined,join-a,2026-01-02T09:00:00+08:00,a,guide,,store-1\n"
ORDER_HEADER = "type,event_id,at,order\n"
ORDER_ROW = 'order_paid,e,2026-01-01T00:00:00Z,"{order}"\n'
ORDER = (
    '{""order_id"": ""o1"", ""buyer"": ""b"", ""paid_at"": ""2026-01-01T00:00:00Z"", '
    '""currency"": ""CNY"", ""items"": [{""item_id"": ""1"", ""sku"": ""S"", '
    '""category"": ""c"", ""unit_price"": ""399.00""}]}'
)


def _read(tmp_path: Path, name: str, content: bytes) -> list[tuple[int, Event | EventError]]:
    file = tmp_path / name
    file.write_bytes(content)
    return list(read_events(file))


def _kinds(items: list[tuple[int, Event | EventError]]) -> list[tuple[int, str]]:
    return [
        (number, "error" if isinstance(item, EventError) else item.event_id)
        for number, item in items
    ]


# ------------------------------------------------------------- JSON Lines


def test_a_line_that_is_not_utf8_is_an_error_and_the_others_are_read(tmp_path: Path) -> None:
    lines = [line.encode() for line in EVENT_LINES]
    lines[1] = lines[1].replace(b"guide", b"guid\xff")

    items = _read(tmp_path, "events.jsonl", b"\n".join(lines) + b"\n")

    assert len(items) == len(EVENT_LINES)
    number, error = items[1]
    assert number == 2
    assert isinstance(error, EventError)
    assert error.code == "event-invalid"
    assert "not UTF-8" in str(error)
    assert not any(isinstance(item, EventError) for _, item in items[:1] + items[2:])


def test_a_utf16_file_is_all_errors(tmp_path: Path) -> None:
    text = "\n".join(EVENT_LINES) + "\n"

    items = _read(tmp_path, "events.jsonl", text.encode("utf-16"))

    assert items
    assert all(isinstance(item, EventError) for _, item in items)


@pytest.mark.parametrize("end", [b"\n", b"\r\n", b"\r"], ids=["lf", "crlf", "cr"])
def test_every_line_end_counts_one_line(tmp_path: Path, end: bytes) -> None:
    content = end.join([EVENT_LINES[0].encode(), b"", EVENT_LINES[1].encode()]) + end

    items = _read(tmp_path, "events.jsonl", content)

    assert [number for number, _ in items] == [1, 3]
    assert not any(isinstance(item, EventError) for _, item in items)


def test_a_line_of_event_line_bytes_max_is_read_and_one_more_refused(tmp_path: Path) -> None:
    at_limit = SETTLE + " " * (EVENT_LINE_BYTES_MAX - len(SETTLE))
    past = SETTLE + " " * (EVENT_LINE_BYTES_MAX + 1 - len(SETTLE))
    content = f"{at_limit}\r\n{past}\n{at_limit}".encode()

    items = _read(tmp_path, "events.jsonl", content)

    assert _kinds(items) == [(1, "s1"), (2, "error"), (3, "s1")]


def test_a_huge_line_is_refused_and_the_next_line_read(tmp_path: Path) -> None:
    content = b'{"type": "' + b"a" * (5 * EVENT_LINE_BYTES_MAX) + b'"}\n' + SETTLE.encode()

    items = _read(tmp_path, "events.jsonl", content)

    assert _kinds(items) == [(1, "error"), (2, "s1")]
    error = items[0][1]
    assert isinstance(error, EventError)
    assert "EVENT_LINE_BYTES_MAX" in str(error)


def test_a_deeply_nested_line_is_an_error_of_its_own(tmp_path: Path) -> None:
    content = b"[" * 100_000 + b"]" * 100_000 + b"\n" + SETTLE.encode()

    items = _read(tmp_path, "events.jsonl", content)

    assert _kinds(items) == [(1, "error"), (2, "s1")]


_PIECES = st.sampled_from([b"a", b"bc", b"\r", b"\n", b"\r\n", b"\xff", b"x" * 7])


@given(st.lists(_PIECES, max_size=30).map(b"".join), st.integers(1, 9))
def test_lines_end_where_universal_newlines_end_them(content: bytes, block: int) -> None:
    # Reading in blocks of any size, "\r\n" split across two blocks included.
    expected = [
        line.removesuffix("\n")
        for line in io.TextIOWrapper(
            io.BytesIO(content), encoding="latin-1", newline=None
        ).readlines()
    ]
    original = events_module._BLOCK_BYTES
    events_module._BLOCK_BYTES = block  # type: ignore[misc]
    try:
        lines = list(events_module._lines(io.BytesIO(content)))
    finally:
        events_module._BLOCK_BYTES = original  # type: ignore[misc]

    assert [None if line is None else line.decode("latin-1") for line in lines] == expected


@given(st.lists(_PIECES, max_size=30).map(b"".join), st.integers(1, 9))
def test_a_line_over_the_limit_is_none_or_whole(content: bytes, block: int) -> None:
    # A line over the limit is None once more than the limit plus a block of it
    # has been read, so memory stays bounded; a shorter one may be kept whole,
    # and event_from_json refuses it by its length.
    limit = 5
    expected = [
        text.removesuffix("\n").encode("latin-1")
        for text in io.TextIOWrapper(
            io.BytesIO(content), encoding="latin-1", newline=None
        ).readlines()
    ]
    original = (events_module._BLOCK_BYTES, events_module.EVENT_LINE_BYTES_MAX)
    events_module._BLOCK_BYTES = block  # type: ignore[misc]
    events_module.EVENT_LINE_BYTES_MAX = limit  # type: ignore[misc]
    try:
        lines = list(events_module._lines(io.BytesIO(content)))
    finally:
        events_module._BLOCK_BYTES, events_module.EVENT_LINE_BYTES_MAX = original  # type: ignore[misc]

    assert len(lines) == len(expected)
    for line, wanted in zip(lines, expected, strict=True):
        if len(wanted) <= limit:
            assert line == wanted
        elif line is not None:
            assert line == wanted
            assert len(line) <= limit + 1 + block
        if len(wanted) > limit + 1 + block:
            assert line is None


# ------------------------------------------------------------------- CSV


def test_a_csv_file_that_is_not_utf8_is_one_error_at_its_first_bad_line(tmp_path: Path) -> None:
    content = (CSV_HEADER + CSV_ROW + CSV_ROW.replace("join-a", "join-b")).encode()
    content = content.replace(b"join-b", b"join-\xff")

    items = _read(tmp_path, "events.csv", content)

    assert _kinds(items) == [(3, "error")]
    error = items[0][1]
    assert isinstance(error, EventError)
    assert error.code == "event-invalid"
    assert "not UTF-8" in str(error)


def test_a_cell_above_the_csv_limit_stops_reading_at_its_line(tmp_path: Path) -> None:
    big = CSV_ROW.replace("join-a", "a" * 200_000)
    content = (CSV_HEADER + CSV_ROW + big + CSV_ROW).encode()

    items = _read(tmp_path, "events.csv", content)

    assert _kinds(items) == [(2, "join-a"), (3, "error")]
    error = items[1][1]
    assert isinstance(error, EventError)
    assert error.code == "event-invalid"


def test_a_row_above_event_line_bytes_max_is_an_error_of_its_own(tmp_path: Path) -> None:
    # Each cell fits the csv module's limit; together they exceed an event's.
    cell = "a" * 100_000
    header = "type,event_id,at,x,y,z\n"
    row = f"settlement_run,s1,2026-02-01T00:00:00Z,{cell},{cell},{cell}\n"
    small = "settlement_run,s2,2026-02-01T00:00:00Z,,,\n"

    items = _read(tmp_path, "events.csv", (header + row + small).encode())

    assert _kinds(items) == [(2, "error"), (3, "s2")]
    assert "EVENT_LINE_BYTES_MAX" in str(items[0][1])


def test_a_deeply_nested_json_cell_is_an_error_of_its_own(tmp_path: Path) -> None:
    deep = "[" * 60_000 + "]" * 60_000
    content = (ORDER_HEADER + ORDER_ROW.format(order=deep) + SETTLE_ROW).encode()

    items = _read(tmp_path, "events.csv", content)

    assert _kinds(items) == [(2, "error"), (3, "s1")]
    error = items[0][1]
    assert isinstance(error, EventError)
    assert (error.code, error.path) == ("event-invalid", "order")


SETTLE_ROW = "settlement_run,s1,2026-02-01T00:00:00Z,\n"


CELLS = [
    (ORDER.replace('""399.00""', "399.5"), "event-float", "order.items[0].unit_price"),
    (ORDER.replace('""399.00""', "NaN"), "event-number-invalid", "order.items[0].unit_price"),
    (
        ORDER.replace('""399.00""', "9" * 4301),
        "event-number-invalid",
        "order.items[0].unit_price",
    ),
    (
        ORDER.replace('""buyer"": ""b""', '""buyer"": ""b"", ""buyer"": ""c""'),
        "event-invalid",
        "order.buyer",
    ),
    (
        ORDER.replace('""sku"": ""S""', '""sku"": ""S"", ""sku"": ""T""'),
        "event-invalid",
        "order.items[0].sku",
    ),
    ("{", "event-invalid", "order"),
]


def test_the_order_cell_of_a_valid_row_is_read(tmp_path: Path) -> None:
    [(_, event)] = _read(
        tmp_path, "events.csv", (ORDER_HEADER + ORDER_ROW.format(order=ORDER)).encode()
    )

    assert isinstance(event, OrderPaid)
    assert str(event.order.items[0].unit_price) == "399.00"


@pytest.mark.parametrize(
    ("order", "code", "path"),
    CELLS,
    ids=["float", "nan", "4301-digits", "duplicate-key", "nested-duplicate-key", "syntax"],
)
def test_a_json_cell_is_read_as_strictly_as_a_json_line(
    tmp_path: Path, order: str, code: str, path: str
) -> None:
    content = (ORDER_HEADER + ORDER_ROW.format(order=order)).encode()

    items = _read(tmp_path, "events.csv", content)

    assert len(items) == 1
    error = items[0][1]
    assert isinstance(error, EventError)
    assert (error.code, error.path) == (code, path)


@pytest.mark.parametrize(("cell", "active"), [("true", True), ("False", False), ("TRUE", True)])
def test_an_active_cell_is_true_or_false(tmp_path: Path, cell: str, active: bool) -> None:
    content = f"type,event_id,at,participant,active\nparticipant_status_changed,e,{AT},p,{cell}\n"

    [(_, event)] = _read(tmp_path, "events.csv", content.encode())

    assert isinstance(event, ParticipantStatusChanged)
    assert event.active is active


@pytest.mark.parametrize("cell", ["maybe", "1", "yes", " true"])
def test_any_other_active_cell_is_refused(tmp_path: Path, cell: str) -> None:
    content = f"type,event_id,at,participant,active\nparticipant_status_changed,e,{AT},p,{cell}\n"

    [(_, error)] = _read(tmp_path, "events.csv", content.encode())

    assert isinstance(error, EventError)
    assert (error.code, error.path) == ("event-invalid", "active")


def test_a_repeated_column_refuses_the_file(tmp_path: Path) -> None:
    items = _read(tmp_path, "events.csv", b"type,type,event_id\nparticipant_joined,x,e\n")

    assert _kinds(items) == [(1, "error")]
    assert "'type'" in str(items[0][1])


def test_a_row_with_more_cells_than_columns_is_refused(tmp_path: Path) -> None:
    content = (CSV_HEADER + CSV_ROW.replace("\n", ",x\n") + CSV_ROW).encode()

    assert _kinds(_read(tmp_path, "events.csv", content)) == [(2, "error"), (3, "join-a")]


def test_a_row_is_numbered_by_the_line_it_starts_on(tmp_path: Path) -> None:
    quoted = 'settlement_run,s1,2026-02-01T00:00:00Z,"two\nlines"\n'
    content = ("type,event_id,at,x\n\n" + quoted + "\n" + SETTLE_ROW.replace("s1", "s2")).encode()

    items = _read(tmp_path, "events.csv", content)

    assert [number for number, _ in items] == [3, 6]


def test_events_round_trip_through_csv(tmp_path: Path) -> None:
    written: list[Event] = [
        ParticipantJoined(event_id="j1", at=AT, participant="p", role="guide", store="s"),
        BindingChanged(event_id="b1", at=AT, participant="p", upline=None),
        BindingChanged(event_id="b2", at=AT, participant="p", upline="q", cause="share_click"),
        TeamTransplanted(event_id="t1", at=AT, team_root="p", upline=None),
        ParticipantStatusChanged(event_id="s1", at=AT, participant="p", active=False),
        SettlementRun(event_id="r1", at=AT),
    ]
    file = tmp_path / "events.csv"

    write_events(written, file)
    read = [event for _, event in read_events(file)]

    assert all(not isinstance(event, EventError) for event in read)
    assert read == written


def test_the_article_events_round_trip_through_csv(tmp_path: Path) -> None:
    source = ROOT / "src" / "socialcommerce_rules" / "data" / "article_events.jsonl"
    written = [event for _, event in read_events(source)]
    assert not any(isinstance(event, EventError) for event in written)
    assert any(isinstance(event, OrderPaid) for event in written)
    file = tmp_path / "events.csv"

    write_events(written, file)  # type: ignore[arg-type]
    read = [event for _, event in read_events(file)]

    assert read == written
