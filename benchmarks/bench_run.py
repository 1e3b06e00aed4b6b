"""Benchmark: ``socialcommerce-rules run`` over a generated event file into a SQLite ledger.

Generates N events in a child process (deterministic for a seed: joins, paid
orders, completions, partial refunds by amount, cancellations and a settlement
run every 1,000 events, in causal order), writes them to a temporary ``.jsonl``
file, then times the ``run`` command in this process and prints events/s, the
ledger's size and the process's peak memory.  ``--rerun`` also times running
the same file again (the ledger replayed, every event a duplicate): the cost of
resuming after an interruption.  ``--parts`` then times the parts of a run one by one
over the same file, in CPU microseconds per event: reading and validating the lines,
the book applying them with an in-memory store (and, within it, the canonical JSON of
each event), and SQLite inserting the rows the run wrote; what remains of the run's
time is building the rows, the SQLite store's buffers and the command line.  One process, one core.

    python benchmarks/bench_run.py --events 100000
    python benchmarks/bench_run.py --events 1000000 --rerun
    python benchmarks/bench_run.py --events 100000 --parts
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import io
import json
import platform
import random
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from socialcommerce_rules.book import Book
from socialcommerce_rules.errors import EventError
from socialcommerce_rules.events import Event, event_to_json, read_events
from socialcommerce_rules.plan import load_plan
from socialcommerce_rules.store import MemoryStore

PLAN = Path(__file__).with_name("three_level_plan.toml")
GUIDES = 200
CHUNK = 1_000  # events per timed chunk in --parts, as often as run freezes what it keeps
PRICES_CENTS = (990, 1990, 4990, 9990, 15900, 29900)
SETTLE_EVERY = 1_000


def _money(cents: int) -> str:
    return f"{cents // 100}.{cents % 100:02d}"


def generate(count: int, seed: int, path: Path) -> None:
    """Write ``count`` events to ``path``: the same file for the same count and seed."""
    rng = random.Random(seed)
    start = datetime(2026, 1, 2, tzinfo=UTC)
    participants: list[str] = []
    promoters: list[str] = []
    pending: list[tuple[str, int]] = []  # paid, not completed: (order id, goods cents)
    refundable: list[tuple[str, int]] = []  # completed, refundable once
    orders = 0
    with path.open("w", encoding="utf-8") as handle:
        for number in range(1, count + 1):
            at = (start + timedelta(seconds=20 * number)).strftime("%Y-%m-%dT%H:%M:%SZ")
            head: dict[str, Any] = {"event_id": f"e{number}", "at": at}
            draw = rng.random()
            if number % SETTLE_EVERY == 0:
                data = {"type": "settlement_run", **head}
            elif len(participants) < GUIDES or draw < 0.12:
                participant = f"p{len(participants)}"
                if len(participants) < GUIDES:
                    data = {
                        "type": "participant_joined",
                        **head,
                        "participant": participant,
                        "role": "guide",
                        "store": f"store-{len(participants)}",
                    }
                    promoters.append(participant)
                else:
                    role = "maker" if rng.random() < 0.15 else "member"
                    pool = promoters if rng.random() < 0.8 else participants
                    data = {
                        "type": "participant_joined",
                        **head,
                        "participant": participant,
                        "role": role,
                        "inviter": pool[rng.randrange(len(pool))],
                    }
                    if role == "maker":
                        promoters.append(participant)
                participants.append(participant)
            elif draw < 0.55 or not pending:
                orders += 1
                quantity = rng.randint(1, 3)
                price = rng.choice(PRICES_CENTS)
                order = {
                    "order_id": f"o{orders}",
                    "buyer": participants[rng.randrange(len(participants))],
                    "paid_at": at,
                    "currency": "CNY",
                    "items": [
                        {
                            "item_id": "1",
                            "sku": f"SKU-{rng.randrange(500)}",
                            "quantity": quantity,
                            "unit_price": _money(price),
                        }
                    ],
                }
                data = {"type": "order_paid", **head, "order": order}
                pending.append((f"o{orders}", quantity * price))
            elif draw < 0.85 or not refundable:
                position = rng.randrange(len(pending))
                order_id, goods = pending[position]
                pending[position] = pending[-1]
                pending.pop()
                if rng.random() < 0.05:
                    data = {"type": "order_cancelled", **head, "order_id": order_id}
                else:
                    data = {"type": "order_completed", **head, "order_id": order_id}
                    refundable.append((order_id, goods))
            else:
                position = rng.randrange(len(refundable))
                order_id, goods = refundable[position]
                refundable[position] = refundable[-1]
                refundable.pop()
                amount = _money(rng.randint(1, max(1, goods // 2)))
                data = {"type": "order_refunded", **head, "order_id": order_id, "amount": amount}
            handle.write(json.dumps(data, separators=(",", ":")) + "\n")


def run_command(arguments: list[str]) -> tuple[float, float, dict[str, Any]]:
    """Run the command line in this process: wall seconds, CPU seconds, --json summary."""
    from socialcommerce_rules.cli import main

    output = io.StringIO()
    started, cpu_started = time.perf_counter(), time.process_time()
    with contextlib.redirect_stdout(output):
        main([*arguments, "--json", "--quiet"])
    wall, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    return wall, cpu, json.loads(output.getvalue())


def time_parts(events_path: Path, ledger: Path, scratch: Path) -> dict[str, float]:
    """Seconds of CPU for each part of a run over ``events_path``, timed one by one.

    Events are read in chunks of ``CHUNK``; each chunk is read and validated, put in
    canonical JSON (which the book does again: it is timed apart to show its share) and
    applied to a book (with an in-memory store, so that the book keeps what a
    store-backed book keeps) under separate timers, and what the book
    built is moved out of the garbage collector's scans after each chunk, as ``run``
    does.  Then the rows ``run`` wrote to ``ledger`` are inserted again into an empty
    database of the same schema, ``CHUNK`` events' rows at a time, a transaction
    every 10,000 events: SQLite's own share, without building the rows.
    """
    clock = time.process_time
    parts = dict.fromkeys(("read", "canonical", "book", "sqlite"), 0.0)
    book = Book(load_plan(PLAN), store=MemoryStore())
    lines = read_events(events_path)
    try:
        while True:
            started = clock()
            chunk: list[Event] = []
            for _, item in lines:
                if isinstance(item, EventError):
                    raise SystemExit(f"a generated line is refused: {item}")
                chunk.append(item)
                if len(chunk) == CHUNK:
                    break
            parts["read"] += clock() - started
            if not chunk:
                break
            started = clock()
            for event in chunk:
                event_to_json(event)
            parts["canonical"] += clock() - started
            started = clock()
            for event in chunk:
                book.apply(event)
            parts["book"] += clock() - started
            gc.freeze()
    finally:
        gc.unfreeze()
    del book
    source = sqlite3.connect(ledger)
    target = sqlite3.connect(scratch, isolation_level=None)
    try:
        target.execute("PRAGMA journal_mode = WAL")
        target.execute("PRAGMA synchronous = NORMAL")
        target.execute("PRAGMA cache_size = -65536")
        for (statement,) in source.execute(
            "SELECT sql FROM sqlite_master WHERE sql IS NOT NULL ORDER BY rowid"
        ):
            target.execute(statement)
        (count,) = source.execute("SELECT count(*) FROM events").fetchone()
        for first in range(1, count + 1, CHUNK):
            last = first + CHUNK - 1
            events = source.execute(
                "SELECT * FROM events WHERE seq BETWEEN ? AND ?", (first, last)
            ).fetchall()
            entries = source.execute(
                "SELECT * FROM entries WHERE event_seq BETWEEN ? AND ?", (first, last)
            ).fetchall()
            started = clock()
            if (first - 1) % 10_000 == 0:
                target.execute("BEGIN")
            target.executemany(f"INSERT INTO events VALUES ({_marks(events)})", events)
            target.executemany(f"INSERT INTO entries VALUES ({_marks(entries)})", entries)
            if last % 10_000 == 0 or last >= count:
                target.execute("COMMIT")
            parts["sqlite"] += clock() - started
    finally:
        source.close()
        target.close()
    return parts


def _marks(rows: list[Any]) -> str:
    return ", ".join("?" * (len(rows[0]) if rows else 1))


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--commit-every", type=int, default=10_000)
    parser.add_argument("--rerun", action="store_true", help="also time a second run")
    parser.add_argument(
        "--parts", action="store_true", help="then time the parts of a run one by one"
    )
    parser.add_argument("--generate-only", type=Path, help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.generate_only is not None:
        generate(options.events, options.seed, options.generate_only)
        return 0

    with tempfile.TemporaryDirectory() as directory:
        events = Path(directory) / "events.jsonl"
        db = Path(directory) / "ledger.sqlite"
        started = time.perf_counter()
        # A child process writes the file, so that the peak memory below is the run's.
        subprocess.run(
            [
                sys.executable,
                __file__,
                "--events",
                str(options.events),
                "--seed",
                str(options.seed),
                "--generate-only",
                str(events),
            ],
            check=True,
        )
        generated = time.perf_counter() - started
        arguments = [
            "run",
            str(PLAN),
            str(events),
            "--db",
            str(db),
            "--commit-every",
            str(options.commit_every),
        ]
        seconds, cpu, summary = run_command(arguments)
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        size_mb = sum(f.stat().st_size for f in Path(directory).glob("ledger.sqlite*")) / 1e6
        read = summary["read"]
        print(
            f"python        {platform.python_version():>12}  ({sys.executable}, "
            f"built {platform.python_build()[1]} with {platform.python_compiler()})"
        )
        print(
            f"events file   {options.events:>12,} lines, {events.stat().st_size / 1e6:,.0f} MB,"
            f" generated in {generated:.1f} s (seed {options.seed})"
        )
        print(
            f"run           {read / seconds:>12,.0f} events/s  ({seconds:.1f} s: "
            f"{summary['applied']:,} applied, {summary['unchanged']:,} unchanged, "
            f"{summary['refused']:,} refused; commit every {options.commit_every:,})"
        )
        print(
            f"  per CPU     {read / cpu:>12,.0f} events/CPU-s  ({cpu:.1f} s of CPU: "
            "the rate on a core of its own)"
        )
        print(f"ledger        {size_mb:>12,.0f} MB on disk")
        print(f"peak memory   {peak_mb:>12,.0f} MB")
        if options.rerun:
            # Named apart: --parts below compares its parts with the first run.
            again_seconds, again_cpu, again = run_command(arguments)
            print(
                f"rerun         {read / again_seconds:>12,.0f} events/s  "
                f"({again_seconds:.1f} s, {read / again_cpu:,.0f} events/CPU-s: ledger "
                f"replayed, {again['duplicate']:,} duplicates)"
            )
        if options.parts:
            parts = time_parts(events, db, Path(directory) / "again.sqlite")
            print(
                f"parts         {'':>12}  (CPU microseconds per event; the run: "
                f"{cpu / read * 1e6:.1f})"
            )
            rows = [
                ("read", parts["read"], "reading and validating the lines"),
                ("book", parts["book"], "the book applying them, with an in-memory store"),
                ("canonical", parts["canonical"], "  of which the canonical JSON of each event"),
                ("sqlite", parts["sqlite"], "SQLite inserting the rows the run wrote"),
                (
                    "rest",
                    cpu - parts["read"] - parts["book"] - parts["sqlite"],
                    "building the rows, the SQLite store's buffers, the command line",
                ),
            ]
            for key, seconds, name in rows:
                print(f"  {key:<11} {seconds / read * 1e6:>12.1f}  {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
