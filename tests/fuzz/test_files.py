"""Hostile files: encodings, BOMs, truncation, CSV quirks, read through the file APIs.

``load_plan`` and ``read_events`` take a path.  Whatever the bytes, a plan file
gets a plan or a library error, and ``read_events`` yields events or library
errors line by line; nothing else may escape, and each file is done in budget.
"""

# ruff: noqa: E501 - the tables of cases read best one case per line

from __future__ import annotations

from pathlib import Path

import pytest

from socialcommerce_rules import Plan, load_plan
from socialcommerce_rules.events import EventError

from ._support import EVENT_LINES, PLAN_JSON, PLAN_TOML, only_typed_errors, read_all_events

JSONL = ("\n".join(EVENT_LINES) + "\n").encode("utf-8")
CSV_HEADER = b"type,event_id,at,participant,role,inviter,store\n"
CSV_ROW = b"participant_joined,join-a,2026-01-02T09:00:00+08:00,a,guide,,store-1\n"

PLAN_FILES: list[tuple[str, str, bytes]] = [
    ("toml-utf8", ".toml", PLAN_TOML.encode("utf-8")),
    ("toml-utf8-bom", ".toml", b"\xef\xbb\xbf" + PLAN_TOML.encode("utf-8")),
    ("toml-utf16", ".toml", PLAN_TOML.encode("utf-16")),
    ("toml-latin1", ".toml", PLAN_TOML.replace("导购", "caf\xe9").encode("latin-1", "replace")),
    ("toml-invalid-utf8", ".toml", PLAN_TOML.encode("utf-8") + b"\n# \xff\xfe\n"),
    ("toml-overlong-utf8", ".toml", b'id = "\xc0\xaf"\n'),
    ("toml-encoded-surrogate", ".toml", b'id = "\xed\xa0\x80"\n'),
    ("toml-nul-bytes", ".toml", b"\x00" * 1000),
    ("toml-crlf", ".TOML", PLAN_TOML.replace("\n", "\r\n").encode("utf-8")),
    ("toml-lone-cr", ".toml", PLAN_TOML.replace("\n", "\r").encode("utf-8")),
    ("json-utf8-bom", ".json", b"\xef\xbb\xbf" + PLAN_JSON.encode("utf-8")),
    ("json-utf16", ".json", PLAN_JSON.encode("utf-16")),
    ("json-oversize", ".json", PLAN_JSON.encode("utf-8") + b" " * (1 << 21)),
    ("yaml-suffix", ".yaml", b"id: x\n"),
    ("no-suffix", "", PLAN_TOML.encode("utf-8")),
]


@pytest.mark.parametrize(
    ("suffix", "content"),
    [case[1:] for case in PLAN_FILES],
    ids=[case[0] for case in PLAN_FILES],
)
def test_a_hostile_plan_file_gets_a_plan_or_a_typed_error(
    tmp_path: Path, suffix: str, content: bytes
) -> None:
    file = tmp_path / f"plan{suffix}"
    file.write_bytes(content)

    only_typed_errors(lambda: load_plan(file))


EVENT_FILES: list[tuple[str, str, bytes]] = [
    ("jsonl-utf8-bom", ".jsonl", b"\xef\xbb\xbf" + JSONL),
    ("jsonl-crlf", ".jsonl", JSONL.replace(b"\n", b"\r\n")),
    ("jsonl-nul-line", ".jsonl", JSONL + b"\x00\x00\x00\n"),
    ("jsonl-form-feed-lines", ".jsonl", JSONL.replace(b"\n", b"\x0c")),
    ("jsonl-unicode-line-separators", ".jsonl", JSONL.replace(b"\n", "\u2028".encode())),
    ("jsonl-truncated-last-line", ".jsonl", JSONL[:-40]),
    ("jsonl-oversize-line", ".jsonl", b'{"type": "' + b"a" * 300_000 + b'"}\n'),
    ("jsonl-many-blank-lines", ".jsonl", b"\n" * 200_000 + JSONL),
    ("jsonl-deep-line", ".jsonl", b"[" * 100_000 + b"]" * 100_000 + b"\n"),
    ("json-array", ".json", b"[" + b",".join(JSONL.splitlines()) + b"]"),
    ("csv-ok", ".csv", CSV_HEADER + CSV_ROW),
    ("csv-utf8-bom", ".csv", b"\xef\xbb\xbf" + CSV_HEADER + CSV_ROW),
    ("csv-nul", ".csv", CSV_HEADER + CSV_ROW.replace(b"join-a", b"join\x00a")),
    ("csv-extra-cells", ".csv", CSV_HEADER + CSV_ROW.replace(b"\n", b",x,y,z\n")),
    ("csv-missing-cells", ".csv", CSV_HEADER + b"participant_joined,join-a\n"),
    ("csv-duplicate-columns", ".csv", b"type,type,event_id\nparticipant_joined,x,e\n"),
    ("csv-unterminated-quote", ".csv", CSV_HEADER + b'participant_joined,"join-a\n'),
    ("csv-quoted-newline", ".csv", CSV_HEADER + CSV_ROW.replace(b"join-a", b'"join\na"')),
    ("csv-header-only", ".csv", CSV_HEADER),
    ("csv-empty", ".csv", b""),
    ("csv-float-in-order", ".csv", b'type,event_id,at,order\norder_paid,e,2026-01-01T00:00:00Z,"{""x"": 1.5}"\n'),
    ("csv-nan-in-order", ".csv", b'type,event_id,at,order\norder_paid,e,2026-01-01T00:00:00Z,"{""x"": NaN}"\n'),
    ("csv-4301-digits-in-order", ".csv", b'type,event_id,at,order\norder_paid,e,2026-01-01T00:00:00Z,"{""x"": ' + b"9" * 4301 + b'}"\n'),
    ("csv-active-odd", ".csv", b"type,event_id,at,participant,active\nparticipant_status_changed,e,2026-01-01T00:00:00Z,p,maybe\n"),
    ("csv-huge-column-count", ".csv", b",".join(b"c%d" % n for n in range(20_000)) + b"\n" + b"," * 19_999 + b"\n"),
    ("jsonl-invalid-utf8", ".jsonl", JSONL + b"\xff\xfe\n"),
    ("jsonl-utf16", ".jsonl", JSONL.decode("utf-8").encode("utf-16")),
    ("csv-invalid-utf8", ".csv", CSV_HEADER + CSV_ROW.replace(b"join-a", b"join-\xff")),
    ("csv-field-above-csv-limit", ".csv", CSV_HEADER + CSV_ROW.replace(b"join-a", b"a" * 200_000)),
    ("csv-deep-json-cell", ".csv", b'type,event_id,at,order\norder_paid,e,2026-01-01T00:00:00Z,"' + b"[" * 60_000 + b"]" * 60_000 + b'"\n'),
]  # fmt: skip


@pytest.mark.parametrize(
    ("suffix", "content"),
    [case[1:] for case in EVENT_FILES],
    ids=[case[0] for case in EVENT_FILES],
)
def test_a_hostile_event_file_yields_events_or_typed_errors(
    tmp_path: Path, suffix: str, content: bytes
) -> None:
    file = tmp_path / f"events{suffix}"
    file.write_bytes(content)

    only_typed_errors(lambda: read_all_events(file))


def test_an_invalid_line_is_reported_and_reading_goes_on(tmp_path: Path) -> None:
    file = tmp_path / "events.jsonl"
    file.write_bytes(b"NaN\n" + JSONL)

    items = read_all_events(file)

    assert isinstance(items[0], EventError)
    assert len(items) == 1 + len(EVENT_LINES)
    assert not any(isinstance(item, EventError) for item in items[1:])


@pytest.mark.parametrize("form", ["toml", "json"])
def test_every_truncation_of_a_plan_gets_a_plan_or_a_typed_error(form: str) -> None:
    text = PLAN_TOML if form == "toml" else PLAN_JSON
    parse = Plan.from_toml if form == "toml" else Plan.from_json
    # Every 3rd cut keeps the test fast while still cutting inside every token.
    for end in range(0, len(text), 3):
        only_typed_errors(lambda end=end: parse(text[:end]))  # type: ignore[misc]


def test_every_truncation_of_an_event_line_gets_an_event_or_a_typed_error() -> None:
    from socialcommerce_rules.events import event_from_json

    for line in EVENT_LINES:
        for end in range(0, len(line), 2):
            only_typed_errors(lambda line=line, end=end: event_from_json(line[:end]))  # type: ignore[misc]
