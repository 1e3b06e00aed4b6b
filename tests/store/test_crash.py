"""Crash safety: ``run`` killed by SIGKILL while writing, then run again, loses nothing.

A process runs a generated file of events into a SQLite ledger and is killed
(``SIGKILL``: no clean-up, no flush) each time the file holds a number of
committed events drawn with a fixed seed; the ledger must open cleanly after
every kill.  Running the same command again completes the ledger, since the
events already stored are duplicates.  Meanwhile another process runs the same
file uninterrupted; the two exported ledgers must be the same bytes: nothing
lost, nothing doubled.
"""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from contextlib import closing
from pathlib import Path

import pytest

from socialcommerce_rules.cli import main
from socialcommerce_rules.store import SQLiteStore

from . import _events

ROOT = Path(__file__).resolve().parents[2]
EVENTS = 16_000
KILLS = 3
SEED = 20260105
WAIT_S = 120.0

pytestmark = pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")


def command(events: Path, db: Path) -> list[str]:
    return [
        sys.executable,
        "-m",
        "socialcommerce_rules",
        "run",
        str(_events.PLAN),
        str(events),
        "--db",
        str(db),
        "--quiet",
        "--commit-every",
        "250",
    ]


def environment() -> dict[str, str]:
    # The child imports the same source as the tests, installed or not.
    path = os.pathsep.join(filter(None, [str(ROOT / "src"), os.environ.get("PYTHONPATH")]))
    return {**os.environ, "PYTHONPATH": path}


def committed(db: Path) -> int:
    """How many events the ledger holds committed (0 until the file exists)."""
    if not db.exists():
        return 0
    try:
        with closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=1.0)) as reader:
            row = reader.execute("SELECT value FROM meta WHERE key = 'events'").fetchone()
    except sqlite3.Error:
        return 0
    return 0 if row is None else int(row[0])


def kill_when_committed(events: Path, db: Path, target: int, rng: random.Random) -> bool:
    """Start a run; SIGKILL it once ``target`` events are committed.  Was it still running?"""
    process = subprocess.Popen(
        command(events, db),
        env=environment(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + WAIT_S
    try:
        while process.poll() is None and committed(db) < target:
            assert time.monotonic() < deadline, "the run made no progress"
            time.sleep(rng.uniform(0.001, 0.02))
        alive = process.poll() is None
        process.send_signal(signal.SIGKILL)
    finally:
        process.kill()
        process.wait(timeout=WAIT_S)
    return alive


def refused_lines(stderr: str) -> list[str]:
    lines = [line.split(": ", 1)[0] for line in stderr.splitlines() if ".jsonl:" in line]
    assert lines
    return lines


def export(db: Path, target: Path) -> bytes:
    assert main(["export", "--db", str(db), "--output", str(target)]) == 0
    return target.read_bytes()


def test_a_killed_run_completed_by_running_again_equals_an_uninterrupted_run(
    tmp_path: Path,
) -> None:
    events = _events.write(tmp_path / "events.jsonl", EVENTS, seed=SEED)
    whole, resumed = tmp_path / "whole.sqlite", tmp_path / "resumed.sqlite"
    uninterrupted = subprocess.Popen(
        command(events, whole),
        env=environment(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    rng = random.Random(SEED)
    targets = sorted(rng.sample(range(1_000, EVENTS - 2_000), KILLS))

    kills = 0
    for target in targets:
        kills += kill_when_committed(events, resumed, target, rng)
        with SQLiteStore(resumed, create=False) as store:  # opens: the invariants hold
            assert len(store) >= target
    final = subprocess.run(
        command(events, resumed),
        env=environment(),
        capture_output=True,
        text=True,
        timeout=WAIT_S,
        check=False,
    )
    _, refusals = uninterrupted.communicate(timeout=WAIT_S)

    assert kills == KILLS, "every kill must land on a running process"
    assert uninterrupted.returncode == final.returncode == 1  # the file has bad lines
    # The same lines are refused (a refusal may name another reason the second time:
    # a refund above what was paid is refused, or the order is closed by then).
    assert refused_lines(final.stderr) == refused_lines(refusals)
    assert "duplicates" in final.stdout
    assert export(resumed, tmp_path / "resumed.jsonl") == export(whole, tmp_path / "whole.jsonl")
