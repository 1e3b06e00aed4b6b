"""The ``socialcommerce-rules`` command: every command, its exit status, its text and its JSON.

The commands run in-process through ``main(argv)``; one test runs them as
``python -m socialcommerce_rules`` from another directory.
"""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest

from socialcommerce_rules import cli
from socialcommerce_rules.cli import EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE, main
from socialcommerce_rules.store import SQLiteStore

ROOT = Path(__file__).resolve().parents[2]
PLAN = ROOT / "examples" / "article_scheme.toml"
T = "2026-01-0{day}T{hour:02d}:00:00+08:00"


class Result:
    def __init__(self, status: int, out: str, err: str) -> None:
        self.status, self.out, self.err = status, out, err

    def json(self) -> Any:
        return json.loads(self.out)


@pytest.fixture
def cmd(capsys: pytest.CaptureFixture[str]) -> Any:
    def run(*argv: object) -> Result:
        status = main([str(arg) for arg in argv])
        captured = capsys.readouterr()
        return Result(status, captured.out, captured.err)

    return run


def at(day: int, hour: int = 9) -> str:
    return T.format(day=day, hour=hour)


def joined(
    event_id: str, participant: str, inviter: str | None, day: int, role: str = "member"
) -> dict[str, Any]:
    data: dict[str, Any] = {
        "type": "participant_joined",
        "event_id": event_id,
        "at": at(day),
        "participant": participant,
        "role": "guide" if inviter is None else role,
    }
    if inviter is not None:
        data["inviter"] = inviter
    return data


def paid(
    event_id: str, order_id: str, buyer: str, day: int, price: str = "100.00"
) -> dict[str, Any]:
    return {
        "type": "order_paid",
        "event_id": event_id,
        "at": at(day),
        "order": {
            "order_id": order_id,
            "buyer": buyer,
            "paid_at": at(day),
            "currency": "CNY",
            "items": [{"item_id": "1", "sku": "TEA-250G", "unit_price": price}],
        },
    }


def refunded(event_id: str, order_id: str, day: int, amount: str) -> dict[str, Any]:
    return {
        "type": "order_refunded",
        "event_id": event_id,
        "at": at(day, 12),
        "order_id": order_id,
        "amount": amount,
    }


GOOD = [
    joined("j1", "guide-li", None, 2),
    joined("j2", "wang", "guide-li", 3, role="maker"),
    joined("j3", "zhao", "wang", 3),
    paid("p1", "o1", "zhao", 4),
    paid("p2", "o2", "wang", 5, "59.90"),
    {"type": "order_completed", "event_id": "c1", "at": at(6), "order_id": "o1"},
    refunded("r2", "o2", 7, "10.00"),
]


def write_lines(path: Path, records: list[dict[str, Any] | str]) -> Path:
    lines = [record if isinstance(record, str) else json.dumps(record) for record in records]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def good(tmp_path: Path) -> Path:
    return write_lines(tmp_path / "good.jsonl", list(GOOD))


@pytest.fixture
def mixed(tmp_path: Path) -> Path:
    """Good events, a line that is not JSON, and a refund before its payment."""
    records: list[dict[str, Any] | str] = list(GOOD)
    records.insert(3, '{"type": "order_paid", "event_id": ')
    records.insert(5, refunded("r9", "o9", 4, "1.00"))
    return write_lines(tmp_path / "mixed.jsonl", records)


@pytest.fixture
def ledger(cmd: Any, good: Path, tmp_path: Path) -> Path:
    db = tmp_path / "ledger.sqlite"
    assert cmd("run", PLAN, good, "--db", db).status == EXIT_OK
    return db


def stored_ids(db: Path) -> list[str]:
    with SQLiteStore(db, create=False) as store:
        return [event.event_id for event in store.events()]


# ---------------------------------------------------------------- validate


def test_validate_a_good_plan(cmd: Any) -> None:
    result = cmd("validate", PLAN)

    assert result.status == EXIT_OK
    assert result.out.startswith(f"OK {PLAN}: plan article-scheme v1 from ")
    assert result.err == ""


def test_validate_prints_every_problem_with_its_file_and_path(cmd: Any, tmp_path: Path) -> None:
    text = PLAN.read_text(encoding="utf-8")
    text = text.replace('rates = { maker = "0.05" }', 'rates = { maker = "1.5" }')
    text = text.replace('order_ratio = "0.35"', 'order_ratio = "-1"')
    bad = tmp_path / "bad.toml"
    bad.write_text(text, encoding="utf-8")

    result = cmd("validate", bad)

    assert result.status == EXIT_PROBLEMS
    assert result.out == ""
    problems = result.err.splitlines()
    assert len(problems) >= 2
    assert all(line.startswith(f"{bad}: plan-") for line in problems)
    assert any("rules[1].levels[0].rates.maker" in line for line in problems)
    assert any("caps.order_ratio" in line for line in problems)


def test_validate_json(cmd: Any, tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"id": "p", "rate": 1.5}', encoding="utf-8")

    good = cmd("validate", "--json", PLAN).json()
    refused = cmd("--json", "validate", bad)

    assert good["ok"] is True
    assert good["plans"] == [
        {
            "file": str(PLAN),
            "id": "article-scheme",
            "version": 1,
            "effective_from": "2026-01-01T00:00:00+08:00",
        }
    ]
    assert refused.status == EXIT_PROBLEMS
    document = refused.json()
    assert document["ok"] is False
    assert {problem["file"] for problem in document["problems"]} == {str(bad)}
    assert all(problem["code"].startswith("plan-") for problem in document["problems"])


def versions(tmp_path: Path, *pairs: tuple[int, str]) -> list[Path]:
    text = PLAN.read_text(encoding="utf-8")
    paths: list[Path] = []
    for version, start in pairs:
        path = tmp_path / f"v{version}-{len(paths)}.toml"
        path.write_text(
            text.replace("version = 1", f"version = {version}").replace(
                'effective_from = "2026-01-01T00:00:00+08:00"', f'effective_from = "{start}"'
            ),
            encoding="utf-8",
        )
        paths.append(path)
    return paths


def test_validate_several_versions_as_one_plan_set(cmd: Any, tmp_path: Path) -> None:
    plans = versions(tmp_path, (1, "2026-01-01T00:00:00+08:00"), (2, "2026-03-01T00:00:00+08:00"))
    clash = versions(tmp_path, (1, "2026-01-01T00:00:00+08:00"), (1, "2026-03-01T00:00:00+08:00"))

    assert cmd("validate", *plans).status == EXIT_OK
    result = cmd("validate", *clash)
    assert result.status == EXIT_PROBLEMS
    assert result.err.startswith("plan set: plan-duplicate: versions[1].version: ")


def test_validate_a_missing_file_is_a_usage_error(cmd: Any, tmp_path: Path) -> None:
    result = cmd("validate", tmp_path / "missing.toml")

    assert result.status == EXIT_USAGE
    assert "missing.toml: no such file" in result.err


# ---------------------------------------------------------------- run


def test_run_applies_a_file_and_a_second_run_finds_only_duplicates(
    cmd: Any, good: Path, tmp_path: Path
) -> None:
    db = tmp_path / "ledger.sqlite"

    first = cmd("run", PLAN, good, "--db", db)
    again = cmd("run", PLAN, good, "--db", db)

    assert first.status == again.status == EXIT_OK
    assert f"{good}: 7 events read: 7 applied, 0 duplicates, 0 unchanged, 0 refused" in first.out
    assert f"{good}: 7 events read: 0 applied, 7 duplicates" in again.out
    assert first.err == again.err == ""
    assert stored_ids(db) == [event["event_id"] for event in GOOD]


def test_run_reports_bad_lines_and_applies_the_good_ones(
    cmd: Any, mixed: Path, tmp_path: Path
) -> None:
    db = tmp_path / "ledger.sqlite"

    result = cmd("run", PLAN, mixed, "--db", db)

    assert result.status == EXIT_PROBLEMS
    assert result.err.splitlines() == [
        f"{mixed}:4: event-invalid: " + result.err.splitlines()[0].split("event-invalid: ")[1],
        f"{mixed}:6: event-not-ready: order_id: order 'o9' has not been paid yet [r9]",
    ]
    assert "7 applied, 0 duplicates, 0 unchanged, 2 refused" in result.out
    assert stored_ids(db) == [event["event_id"] for event in GOOD]


def test_run_json(cmd: Any, mixed: Path, tmp_path: Path) -> None:
    result = cmd("run", "--json", PLAN, mixed, "--db", tmp_path / "ledger.sqlite")

    document = result.json()
    assert result.status == EXIT_PROBLEMS
    assert {key: document[key] for key in ("ok", "read", "applied", "refused", "stored")} == {
        "ok": False,
        "read": 9,
        "applied": 7,
        "refused": 2,
        "stored": 7,
    }
    assert [(p["line"], p["code"], p["event_id"]) for p in document["problems"]] == [
        (4, "event-invalid", None),
        (6, "event-not-ready", "r9"),
    ]


def test_run_atomic_applies_nothing_of_a_file_with_a_bad_line(
    cmd: Any, mixed: Path, good: Path, tmp_path: Path
) -> None:
    db = tmp_path / "ledger.sqlite"

    refused = cmd("run", PLAN, mixed, "--db", db, "--atomic")
    applied = cmd("run", PLAN, good, "--db", db, "--atomic")

    assert refused.status == EXIT_PROBLEMS
    assert refused.err.splitlines()[0].startswith(f"{mixed}:4: event-invalid: ")
    assert "nothing applied" in refused.err
    assert applied.status == EXIT_OK
    assert stored_ids(db) == [event["event_id"] for event in GOOD]


def test_run_reads_csv_events(cmd: Any, good: Path, tmp_path: Path) -> None:
    from socialcommerce_rules.events import read_events, write_events

    events = [event for _, event in read_events(good)]
    csv_file = tmp_path / "events.csv"
    write_events(events, csv_file)  # type: ignore[arg-type]
    db = tmp_path / "ledger.sqlite"

    result = cmd("run", PLAN, csv_file, "--db", db)

    assert result.status == EXIT_OK, result.err
    assert stored_ids(db) == [event["event_id"] for event in GOOD]


def test_run_with_another_plan_names_the_plan_the_ledger_was_written_with(
    cmd: Any, ledger: Path, good: Path, tmp_path: Path
) -> None:
    other = tmp_path / "other.toml"
    other.write_text(
        PLAN.read_text(encoding="utf-8").replace('maker = "0.10"', 'maker = "0.12"'),
        encoding="utf-8",
    )

    result = cmd("run", other, good, "--db", ledger)

    assert result.status == EXIT_PROBLEMS
    assert "store-corrupt" in result.err
    assert "written with the plan versions" in result.err
    assert cmd("run", PLAN, good, "--db", ledger).status == EXIT_OK


def test_run_shows_progress_on_long_runs(
    cmd: Any, good: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cli, "_PROGRESS_AFTER_S", 0.0)
    monkeypatch.setattr(cli, "_PROGRESS_EVERY_S", 0.0)

    shown = cmd("run", PLAN, good, "--db", tmp_path / "a.sqlite")
    quiet = cmd("run", PLAN, good, "--db", tmp_path / "b.sqlite", "--quiet")

    assert "run: line 4 of 7 (57%), " in shown.err
    assert quiet.err == ""


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["run", PLAN, "missing.jsonl", "--db", "x.sqlite"], "missing.jsonl: no such file"),
        (["run", PLAN, "x.jsonl"], "the following arguments are required: --db"),
        (["run", PLAN, "x.jsonl", "--db", "x.sqlite", "--commit-every", "0"], "at least 1"),
        (["run", "missing.toml", "x.jsonl", "--db", "x.sqlite"], "missing.toml: no such file"),
        (["frobnicate"], "invalid choice"),
        ([], "required: COMMAND"),
    ],
    ids=["events-missing", "no-db", "commit-every-0", "plan-missing", "unknown", "nothing"],
)
def test_usage_errors_exit_2(cmd: Any, arguments: list[object], message: str) -> None:
    result = cmd(*arguments)

    assert result.status == EXIT_USAGE
    assert message in result.err
    assert result.out == ""


def test_run_with_a_plan_that_does_not_load_is_a_usage_error(
    cmd: Any, good: Path, tmp_path: Path
) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('id = "p"\nrate = 1.5\n', encoding="utf-8")

    result = cmd("run", bad, good, "--db", tmp_path / "ledger.sqlite")

    assert result.status == EXIT_USAGE
    assert f"{bad}: plan-" in result.err
    assert not (tmp_path / "ledger.sqlite").exists()


def test_run_a_partial_refund_of_an_order_without_lines_leaves_it_open(
    cmd: Any, tmp_path: Path
) -> None:
    # A guide with no upline earns nothing on their own purchase: the order has no
    # lines.  Refunding one unit of three must not close it; its completion and a
    # second refund are then applied like any other order's.
    order = paid("p1", "o1", "guide-li", 4)
    order["order"]["items"][0]["quantity"] = 3
    events = write_lines(
        tmp_path / "events.jsonl",
        [
            joined("j1", "guide-li", None, 2),
            order,
            {
                "type": "order_refunded",
                "event_id": "r1",
                "at": at(5),
                "order_id": "o1",
                "items": [{"item_id": "1", "quantity": 1}],
            },
            {"type": "order_completed", "event_id": "c1", "at": at(6), "order_id": "o1"},
            refunded("r2", "o1", 7, "10.00"),
        ],
    )

    result = cmd("run", PLAN, events, "--db", tmp_path / "ledger.sqlite")

    assert result.err == ""
    assert result.status == EXIT_OK


# ---------------------------------------------------------------- reading a ledger


def test_explain_an_order(cmd: Any, ledger: Path) -> None:
    result = cmd("explain", "o2", "--db", ledger)

    assert result.status == EXIT_OK
    assert result.out.startswith("Order o2: paid 2026-01-05T01:00:00Z by wang; paid, refunded")
    assert "guide-li earns 4.79 CNY: 8% of the 59.90 CNY paid" in result.out
    assert "r2#0" in result.out


def test_explain_json_lines_add_up(cmd: Any, ledger: Path) -> None:
    document = cmd("explain", "o2", "--db", ledger, "--json").json()

    assert document["ok"] is True
    assert [event["event_id"] for event in document["events"]] == ["p2", "r2"]
    # 10.00 of 59.90 refunded: the lines are recomputed on the 49.90 kept, rounded down.
    assert [
        (line["beneficiary"], line["credited"], line["clawed_back"], line["now"])
        for line in document["lines"]
    ] == [("wang", "2.99", "-0.50", "2.49"), ("guide-li", "4.79", "-0.80", "3.99")]
    assert {entry["kind"] for entry in document["entries"]} == {"accrual", "clawback"}


def test_explain_an_unknown_order(cmd: Any, ledger: Path) -> None:
    result = cmd("explain", "nope", "--db", ledger, "--json")

    assert result.status == EXIT_PROBLEMS
    assert "no order 'nope'" in result.err
    assert result.json() == {
        "ok": False,
        "error": {"code": None, "message": f"no order 'nope' in {ledger}"},
    }


def test_balances(cmd: Any, ledger: Path) -> None:
    result = cmd("balances", "--db", ledger)

    assert result.status == EXIT_OK
    rows = [line.split() for line in result.out.splitlines()[3:]]
    assert ["wang", "CNY", "held", "10.00"] in rows  # o1, completed: zhao's order, level 1
    assert ["guide-li", "CNY", "held", "5.00"] in rows  # o1, level 2
    assert ["guide-li", "CNY", "pending", "3.99"] in rows  # o2, partly refunded
    assert ["merchant", "CNY", "commission", "-21.48"] in rows


def test_balances_as_of_and_for_one_holder_in_json(cmd: Any, ledger: Path) -> None:
    before = cmd("balances", "--db", ledger, "--as-of", "2026-01-04T00:00:00Z", "--json").json()
    wang = cmd("--json", "balances", "--db", ledger, "--holder", "wang").json()

    assert before["as_of"] == "2026-01-04T00:00:00Z"
    assert {row["holder"] for row in before["balances"]} == {"guide-li", "wang", "merchant"}
    assert all(row["unit"] == "points" for row in before["balances"])  # invites only
    assert {row["holder"] for row in wang["balances"]} == {"wang"}
    assert {"holder": "wang", "unit": "CNY", "state": "held", "amount": "10.00"} in wang["balances"]


def test_balances_as_of_a_time_without_zone_is_a_usage_error(cmd: Any, ledger: Path) -> None:
    result = cmd("balances", "--db", ledger, "--as-of", "2026-01-04")

    assert result.status == EXIT_USAGE
    assert "has no time zone" in result.err


@pytest.mark.parametrize("command", [["explain", "o1"], ["balances"], ["export"]])
def test_reading_a_missing_ledger_is_a_usage_error(
    cmd: Any, command: list[str], tmp_path: Path
) -> None:
    result = cmd(*command, "--db", tmp_path / "missing.sqlite")

    assert result.status == EXIT_USAGE
    assert "no such database file" in result.err
    assert not (tmp_path / "missing.sqlite").exists()


def test_reading_a_corrupted_ledger_fails_with_its_code(cmd: Any, ledger: Path) -> None:
    import sqlite3
    from contextlib import closing

    with closing(sqlite3.connect(ledger, isolation_level=None)) as db:
        db.execute(
            "UPDATE entries SET postings = json_set(postings, '$[0].amount', '9.00') "
            "WHERE entry_id = 'p1#0'"
        )

    result = cmd("balances", "--db", ledger, "--json")

    assert result.status == EXIT_PROBLEMS
    assert result.err.startswith("error: store-corrupt: ")
    assert result.json()["error"]["code"] == "store-corrupt"


def test_export_jsonl(cmd: Any, ledger: Path) -> None:
    result = cmd("export", "--db", ledger)

    entries = [json.loads(line) for line in result.out.splitlines()]
    assert result.status == EXIT_OK
    assert [entry["entry_id"] for entry in entries][:3] == ["j2#0", "j3#0", "p1#0"]
    assert entries[2]["postings"] == [
        {"holder": "wang", "state": "pending", "amount": "10.00"},
        {"holder": "merchant", "state": "commission", "amount": "-10.00"},
    ]
    assert cmd("export", "--db", ledger, "--json").out == result.out


def test_export_csv_has_a_row_per_posting(cmd: Any, ledger: Path, tmp_path: Path) -> None:
    target = tmp_path / "entries.csv"

    result = cmd("export", "--db", ledger, "--format", "csv", "-o", target)

    rows = list(csv.DictReader(io.StringIO(target.read_text(encoding="utf-8"))))
    entries = cmd("export", "--db", ledger).out.splitlines()
    assert result.status == EXIT_OK
    assert f"{len(entries)} entries written to {target}" in result.err
    assert len(rows) == sum(len(json.loads(line)["postings"]) for line in entries)
    [row] = [row for row in rows if row["entry_id"] == "p1#0" and row["holder"] == "wang"]
    assert row == row | {"order_id": "o1", "kind": "accrual", "state": "pending", "amount": "10.00"}
    assert [row["reverses"] for row in rows if row["entry_id"] == "r2#0"] == ["p2#1", "p2#1"]
    assert sum(int(row["amount"].replace(".", "")) for row in rows) == 0


def test_export_json_does_not_go_with_csv(cmd: Any, ledger: Path) -> None:
    assert cmd("export", "--db", ledger, "--format", "csv", "--json").status == EXIT_USAGE


# ---------------------------------------------------------------- demo


def test_demo(cmd: Any) -> None:
    result = cmd("demo")

    assert result.status == EXIT_OK
    assert result.err == ""
    assert "pay-order-1002         duplicate Order order-1002 paid: 59.38 CNY" in result.out
    assert "Order order-1002: paid 2026-01-06T12:15:00Z by zhao" in result.out
    assert "wang earns 33.60 CNY: 10% of the 336.00 CNY paid" in result.out


def test_demo_json_and_its_ledger(cmd: Any, tmp_path: Path) -> None:
    db = tmp_path / "demo.sqlite"

    document = cmd("demo", "--json", "--db", db).json()
    again = cmd("demo", "--json", "--db", db).json()

    statuses = [outcome["status"] for outcome in document["outcomes"]]
    assert statuses.count("duplicate") == 1
    assert set(statuses) == {"applied", "duplicate"}
    assert {outcome["status"] for outcome in again["outcomes"]} == {"duplicate"}
    assert again["balances"] == document["balances"]
    assert document["explain"]["order_id"] == "order-1002"
    assert cmd("explain", "order-1004", "--db", db).out.splitlines()[0].endswith("cancelled")


def test_the_bundled_plan_is_the_example_plan() -> None:
    bundled = ROOT / "src" / "socialcommerce_rules" / "data" / "article_scheme.toml"

    assert bundled.read_text(encoding="utf-8") == PLAN.read_text(encoding="utf-8")


def test_the_command_is_declared_and_runs_as_a_module(tmp_path: Path) -> None:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert pyproject["project"]["scripts"] == {
        "socialcommerce-rules": "socialcommerce_rules.cli:main"
    }
    environment = {**os.environ, "PYTHONPATH": str(ROOT / "src")}

    completed = subprocess.run(
        [sys.executable, "-m", "socialcommerce_rules", "demo", "--json"],
        cwd=tmp_path,  # the demo's plan and events are package data
        env=environment,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=60,
        check=False,
    )

    assert completed.returncode == EXIT_OK, completed.stderr
    assert json.loads(completed.stdout)["ok"] is True
