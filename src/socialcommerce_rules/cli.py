"""The ``socialcommerce-rules`` command: check plans, run event files into a ledger, read it.

Commands (``socialcommerce-rules COMMAND --help`` for each)::

    validate PLAN [PLAN ...]                 check plan files (several: one plan's versions)
    run PLAN [PLAN ...] EVENTS --db FILE     apply an events file to a SQLite ledger
    explain ORDER_ID --db FILE               an order's events, lines and entries
    balances --db FILE [--as-of T]           balances per holder, unit and state
    export --db FILE [--format jsonl|csv]    every entry, in the order recorded
    lint PLAN [--profile NAME] [--events F]  check a plan against a compliance profile
    audit PLAN [--examples N] [--seed S]     property-test the engine on a plan
    demo [--db FILE]                         the bundled guide -> maker -> member story

``--json`` (before or after the command) prints one JSON document on standard
output instead of text (``export`` prints JSON Lines).  Errors go to standard
error.  Exit status: 0 success; 1 the command ran and found problems (plan
problems, refused events, an unknown order, a refused database); 2 usage error
(bad arguments, a file that cannot be read, a plan that does not load).

``run`` is resumable: events already in the ledger are duplicates by their
``event_id`` and change nothing, so running a file again after an interruption
completes it.  Without ``--atomic`` a refused line is reported as
``FILE:LINE: code: message`` and the others are applied; with ``--atomic`` the
first refused line applies nothing of the file.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import gc
import hashlib
import json
import os
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import AbstractContextManager, ExitStack
from datetime import datetime
from importlib import resources
from pathlib import Path
from typing import IO, Any, Final

from . import __version__
from ._time import format_instant, to_instant
from .book import Book, Outcome
from .errors import (
    EventError,
    LimitError,
    PlanError,
    Problem,
    SocialCommerceError,
    StoreCorruptError,
    StoreError,
)
from .events import Event, OrderRefunded, event_to_dict, read_events
from .ledger import MERCHANT, Entry, balances
from .money import EXACT_CONTEXT, ZERO
from .plan import Plan, PlanSet, load_plan
from .store import MemoryStore, SQLiteStore

__all__ = ["EXIT_OK", "EXIT_PROBLEMS", "EXIT_USAGE", "main"]

EXIT_OK: Final = 0
"""Exit status: the command did what was asked."""
EXIT_PROBLEMS: Final = 1
"""Exit status: the command ran and found problems (refused events, plan problems...)."""
EXIT_USAGE: Final = 2
"""Exit status: bad arguments, an unreadable file or a plan that does not load."""

_JSON: Final = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))
_FREEZE_EVERY: Final = 1_000  # lines between two gc.freeze() calls in a run
_PROGRESS_AFTER_S = 2.0  # a run shorter than this shows no progress line
_PROGRESS_EVERY_S = 5.0  # between two progress lines (0.5 s on a terminal, redrawn)
_CSV_COLUMNS: Final = (
    "entry_id",
    "event_id",
    "order_id",
    "at",
    "kind",
    "unit",
    "holder",
    "state",
    "amount",
    "reverses",
    "memo",
)

_Store = SQLiteStore | MemoryStore


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status.

    >>> main(["validate", "examples/article_scheme.toml"])
    OK examples/article_scheme.toml: plan article-scheme v1 from 2026-01-01T00:00:00+08:00, ...
    0
    """
    parser = _parser()
    try:
        options = parser.parse_args(argv)
    except SystemExit as exit_:
        return exit_.code if isinstance(exit_.code, int) else EXIT_USAGE
    out = _Output(as_json=getattr(options, "json", False))
    command: Callable[[argparse.Namespace, _Output], int] = options.command
    try:
        with _long_lived_objects():
            return command(options, out)
    except _CommandError as failure:
        return out.fail(failure.status, failure.code, failure.message)
    except SocialCommerceError as error:
        return out.fail(EXIT_PROBLEMS, error.code, str(error))
    except BrokenPipeError:
        # The reader went away (``export | head``): stop quietly, without Python
        # complaining again when it flushes standard output at exit.
        with contextlib.suppress(OSError, ValueError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_PROBLEMS
    except KeyboardInterrupt:
        out.error("interrupted")
        return 130


# ---------------------------------------------------------------------- parsing


def _parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--json",
        action="store_true",
        default=argparse.SUPPRESS,
        help="print one JSON document on standard output instead of text",
    )
    parser = argparse.ArgumentParser(
        prog="socialcommerce-rules",
        description="Commission plans, event files and their ledger, from the command line.",
        parents=[common],
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(title="commands", metavar="COMMAND", required=True)

    def command(name: str, handler: Callable[..., int], text: str) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, parents=[common], help=text, description=text)
        sub.set_defaults(command=handler)
        return sub

    validate = command("validate", _validate, "check plan files and print every problem")
    validate.add_argument("plans", nargs="+", metavar="PLAN", type=Path)

    run = command("run", _run, "apply an events file (JSON Lines or CSV) to a SQLite ledger")
    run.add_argument("plans", nargs="+", metavar="PLAN", type=Path)
    run.add_argument("events", metavar="EVENTS", type=Path)
    run.add_argument("--db", required=True, type=Path, help="the ledger file (made if missing)")
    run.add_argument("--atomic", action="store_true", help="one refused line applies nothing")
    run.add_argument(
        "--commit-every",
        type=_positive,
        default=10_000,
        metavar="N",
        help="commit every N events (default 10000); an interrupted run loses at most N",
    )
    run.add_argument("--quiet", action="store_true", help="no progress line on long runs")

    explain = command("explain", _explain, "an order's events, lines and entries, with reasons")
    explain.add_argument("order_id", metavar="ORDER_ID")
    explain.add_argument("--db", required=True, type=Path)

    balance = command("balances", _balances, "balances per holder, unit and state")
    balance.add_argument("--db", required=True, type=Path)
    balance.add_argument("--as-of", type=_instant, metavar="T", help="an ISO 8601 time with zone")
    balance.add_argument("--holder", help="only this holder's balances")

    export = command("export", _export, "every ledger entry, in the order recorded")
    export.add_argument("--db", required=True, type=Path)
    export.add_argument("--format", choices=("jsonl", "csv"), help="default jsonl")
    export.add_argument("--output", "-o", type=Path, help="a file instead of standard output")

    lint = command("lint", _lint, "check a plan against a compliance profile")
    lint.add_argument("plan", metavar="PLAN", type=Path)
    lint.add_argument(
        "--profile",
        default="cn-anti-pyramid",
        metavar="NAME",
        help="a shipped profile (cn-anti-pyramid, cn-direct-selling, wechat-distribution, "
        "us-ftc-mlm) or a profile file; default cn-anti-pyramid",
    )
    lint.add_argument(
        "--events",
        type=Path,
        metavar="EVENTS",
        help="an events file (a real or simulated stream): also check what money actually "
        "did under the plan (levels it flowed, participants, recruitment share)",
    )

    audit = command("audit", _audit, "property-test the engine on a plan (needs hypothesis)")
    audit.add_argument("plan", metavar="PLAN", type=Path)
    audit.add_argument(
        "--examples",
        type=_positive,
        default=100,
        metavar="N",
        help="event streams to try (default 100)",
    )
    audit.add_argument("--seed", type=int, default=0, metavar="S", help="default 0")
    audit.add_argument(
        "--counterexample",
        type=Path,
        metavar="FILE",
        help="where to write a failing case's events (default PLAN's name + .counterexample.jsonl)",
    )

    demo = command("demo", _demo, "run the bundled guide -> maker -> member story")
    demo.add_argument("--db", type=Path, help="keep the demo's ledger in this SQLite file")
    return parser


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{value} must be at least 1")
    return value


def _instant(text: str) -> datetime:
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an ISO 8601 time") from None
    if when.tzinfo is None or when.utcoffset() is None:
        raise argparse.ArgumentTypeError(f"{text!r} has no time zone (add Z or +08:00)")
    return when


# ---------------------------------------------------------------------- output


class _CommandError(Exception):
    """Stop the command with an exit status and a message for standard error."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


class _Output:
    """Text or JSON on standard output; errors on standard error."""

    def __init__(self, *, as_json: bool) -> None:
        self.as_json = as_json

    def text(self, line: str = "") -> None:
        if not self.as_json:
            sys.stdout.write(line + "\n")

    def data(self, value: Any) -> None:
        if self.as_json:
            sys.stdout.write(json.dumps(value, ensure_ascii=False, indent=2) + "\n")

    def error(self, line: str) -> None:
        sys.stderr.write(line + "\n")

    def fail(self, status: int, code: str, message: str) -> int:
        self.error(f"error: {code}: {message}" if code else f"error: {message}")
        self.data({"ok": False, "error": {"code": code or None, "message": message}})
        return status


def _table(header: Sequence[str], rows: Sequence[Sequence[str]], right: set[int]) -> list[str]:
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]

    def line(cells: Sequence[str]) -> str:
        padded = [
            cell.rjust(width) if i in right else cell.ljust(width)
            for i, (cell, width) in enumerate(zip(cells, widths, strict=True))
        ]
        return "  " + "  ".join(padded).rstrip()

    return [line(header), "  " + "  ".join("-" * width for width in widths), *map(line, rows)]


# ---------------------------------------------------------------------- plans


def _load_plans(paths: Sequence[Path]) -> tuple[list[tuple[Path, Plan]], list[dict[str, str]]]:
    """Every plan that loads, and every problem of those that do not (with their file)."""
    loaded: list[tuple[Path, Plan]] = []
    problems: list[dict[str, str]] = []
    for path in paths:
        if not path.is_file():
            raise _CommandError(EXIT_USAGE, "", f"{path}: no such file")
        try:
            loaded.append((path, load_plan(path)))
        except PlanError as error:
            problems += [_problem(str(path), problem) for problem in error.problems]
        except LimitError as error:
            problems.append(_problem(str(path), Problem(error.code, error.path, str(error))))
        except OSError as error:
            raise _CommandError(EXIT_USAGE, "", f"{path}: {error.strerror}") from None
    if len(loaded) > 1 and not problems:
        try:
            PlanSet(plan for _, plan in loaded)
        except PlanError as error:
            problems += [_problem("plan set", problem) for problem in error.problems]
    return loaded, problems


def _problem(file: str, problem: Problem) -> dict[str, str]:
    return {"file": file, "code": problem.code, "path": problem.path, "message": problem.message}


def _problem_line(problem: dict[str, str]) -> str:
    where = f"{problem['path']}: " if problem["path"] else ""
    return f"{problem['file']}: {problem['code']}: {where}{problem['message']}"


def _plans(paths: Sequence[Path]) -> Plan | PlanSet:
    """The plan (or set of versions) to run with; a plan that does not load is a usage error."""
    loaded, problems = _load_plans(paths)
    if problems:
        for problem in problems:
            sys.stderr.write(_problem_line(problem) + "\n")
        raise _CommandError(EXIT_USAGE, problems[0]["code"], "the plan does not load")
    plans = [plan for _, plan in loaded]
    return plans[0] if len(plans) == 1 else PlanSet(plans)


def _fingerprint(plans: Plan | PlanSet) -> str:
    """Which plan versions a ledger was written with: id, version and a digest of each."""
    versions = plans if isinstance(plans, PlanSet) else (plans,)
    return _JSON.encode(
        [
            {
                "id": plan.id,
                "version": plan.version,
                "sha256": hashlib.sha256(plan.model_dump_json().encode()).hexdigest()[:16],
            }
            for plan in versions
        ]
    )


def _validate(options: argparse.Namespace, out: _Output) -> int:
    loaded, problems = _load_plans(options.plans)
    for problem in problems:
        out.error(_problem_line(problem))
    if not problems:
        for path, plan in loaded:
            out.text(
                f"OK {path}: plan {plan.id} v{plan.version} from "
                f"{plan.effective_from.isoformat()}, {len(plan.roles)} roles, "
                f"{len(plan.rules)} rules"
            )
    out.data(
        {
            "ok": not problems,
            "plans": [
                {
                    "file": str(path),
                    "id": plan.id,
                    "version": plan.version,
                    "effective_from": plan.effective_from.isoformat(),
                }
                for path, plan in loaded
            ],
            "problems": problems,
        }
    )
    return EXIT_PROBLEMS if problems else EXIT_OK


# ---------------------------------------------------------------------- lint and audit


def _one_plan(path: Path) -> Plan:
    plans = _plans([path])
    assert isinstance(plans, Plan)
    return plans


def _lint(options: argparse.Namespace, out: _Output) -> int:
    from .compliance import PROFILES, count_by_severity, lint

    plan = _one_plan(options.plan)
    profile: str | Path = options.profile
    if options.profile not in PROFILES:
        profile = Path(options.profile)
        if not profile.is_file():
            raise _CommandError(
                EXIT_USAGE,
                "",
                f"{options.profile}: neither a shipped profile ({', '.join(PROFILES)}) nor a file",
            )
    observed = None
    if options.events is not None:
        observed = _observed(plan, options.events, out)
    findings = lint(plan, profile, observed=observed)
    counts = count_by_severity(findings)
    for finding in findings:
        for line in finding.lines():
            out.text(line)
    summary = ", ".join(f"{count} {severity}" for severity, count in counts.items())
    out.text(f"{options.plan}: {len(findings)} findings under {options.profile} ({summary})")
    out.data([finding.to_dict() for finding in findings])
    return EXIT_PROBLEMS if counts.get("error") else EXIT_OK


def _observed(plan: Plan, path: Path, out: _Output) -> Any:
    """The regulator's measures of an events file under ``plan``; refused lines are
    reported and left out."""
    from .metrics import regulator_measures

    if not path.is_file():
        raise _CommandError(EXIT_USAGE, "", f"{path}: no such file")
    events: list[Event] = []
    try:
        for line, item in read_events(path):
            if isinstance(item, EventError):
                out.error(f"{path}:{line}: {item.code}: {item}")
            else:
                events.append(item)
    except OSError as error:
        raise _CommandError(EXIT_USAGE, "", f"{path}: {error.strerror}") from None
    measures = regulator_measures(plan, events)
    out.text(
        f"{path}: money flowed {measures.money_depth} levels above the buyer; "
        f"{measures.participants:,} participants on {measures.tree_depth} levels; "
        f"recruitment {measures.recruitment_share}, own purchases "
        f"{measures.own_purchase_share}, retail {measures.retail_share} of net payouts"
    )
    return measures


def _audit(options: argparse.Namespace, out: _Output) -> int:
    try:
        from .testing import audit
    except ImportError:
        raise _CommandError(
            EXIT_USAGE,
            "",
            "audit needs hypothesis: pip install 'socialcommerce_rules[testing]'",
        ) from None
    plan = _one_plan(options.plan)
    report = audit(plan, examples=options.examples, seed=options.seed)
    data = report.to_dict()
    for line in report.summary():
        out.text(line)
    if not report.ok:
        target = options.counterexample or options.plan.with_name(
            options.plan.stem + ".counterexample.jsonl"
        )
        report.write_counterexample(target)
        data["counterexample"] = str(target)
        out.text(f"  written to {target}; replay it with:")
        out.text(f"  socialcommerce-rules run {options.plan} {target} --db counterexample.sqlite")
    out.data(data)
    return EXIT_OK if report.ok else EXIT_PROBLEMS


# ---------------------------------------------------------------------- run


class _AtomicRunRefusedError(Exception):
    """An atomic run meets a refused line: undo the whole file."""


class _Progress:
    """A progress line on standard error once a run has lasted a while."""

    def __init__(self, path: Path, *, enabled: bool) -> None:
        self.path = path
        self.enabled = enabled
        self.started = time.monotonic()
        self.shown = self.started
        self.total: int | None = None
        self.tty = sys.stderr.isatty()
        self.interval = 0.5 if self.tty else _PROGRESS_EVERY_S

    def tick(self, line: int, counts: Counter[str]) -> None:
        now = time.monotonic()
        if not self.enabled or now - self.started < _PROGRESS_AFTER_S:
            return
        if now - self.shown < self.interval:
            return
        self.shown = now
        if self.total is None:
            self.total = _count_lines(self.path)
        events = sum(counts.values())
        rate = events / max(now - self.started, 1e-6)
        share = f" ({100 * line // max(self.total, 1)}%)" if self.total else ""
        text = (
            f"run: line {line:,} of {self.total:,}{share}, {rate:,.0f} events/s, "
            f"{counts['refused']:,} refused"
        )
        sys.stderr.write(f"\r{text}" if self.tty else text + "\n")
        sys.stderr.flush()

    def done(self) -> None:
        if self.enabled and self.tty and self.shown > self.started:
            sys.stderr.write("\n")


def _count_lines(path: Path) -> int:
    count = 0
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            count += chunk.count(b"\n")
    return count


@contextlib.contextmanager
def _long_lived_objects() -> Iterator[None]:
    """A context in which the objects a book keeps are spared the garbage collector's scans.

    Replaying and applying events builds millions of objects that live until the
    end; collections would scan them again and again.  They are frozen as they
    come (see :func:`gc.freeze`) and handed back to the collector at the end.
    """
    try:
        yield
    finally:
        gc.unfreeze()


def _open_book(plans: Plan | PlanSet, store: _Store) -> Book:
    """The book over a store, replayed; a ledger written with another plan is named."""
    try:
        gc.disable()  # the replay makes no garbage cycles worth a collection
        return Book(plans, store=store)
    except StoreCorruptError as error:
        written = store.read_meta("plans")
        given = _fingerprint(plans)
        if written is not None and written != given:
            raise StoreCorruptError(
                error.code,
                f"{error}; the ledger was written with the plan versions {written}, "
                f"not {given}: run it with the plan it was written with",
            ) from None
        raise
    finally:
        gc.freeze()
        gc.enable()


def _apply_file(
    book: Book,
    path: Path,
    *,
    atomic: bool,
    on_outcome: Callable[[int, Event, Outcome], None],
    on_refused: Callable[[int, SocialCommerceError], None],
    progress: _Progress | None = None,
) -> Counter[str]:
    """Apply every event of a file in order; count the outcomes by status, and refusals."""
    counts: Counter[str] = Counter()
    for line, item in read_events(path):
        if progress is not None:
            progress.tick(line, counts)
        if line % _FREEZE_EVERY == 0:
            # The book keeps every event it applied: the garbage collector need not
            # scan them again and again (up to a fifth of the time of a long run).
            gc.freeze()
        if isinstance(item, EventError):
            error: SocialCommerceError = item
        else:
            try:
                outcome = book.apply(item)
            except StoreError:
                raise
            except SocialCommerceError as refused:
                error = refused.with_traceback(None)  # keep no frames alive
            else:
                counts[outcome.status] += 1
                on_outcome(line, item, outcome)
                continue
        counts["refused"] += 1
        on_refused(line, error)
        if atomic:
            raise _AtomicRunRefusedError
    return counts


def _run(options: argparse.Namespace, out: _Output) -> int:
    plans = _plans(options.plans)
    if not options.events.is_file():
        raise _CommandError(EXIT_USAGE, "", f"{options.events}: no such file")
    refused: list[dict[str, Any]] = []

    def report(line: int, error: SocialCommerceError) -> None:
        refused.append(_refusal(line, error))
        out.error(f"{options.events}:{line}: {error.code}: {error}")

    started = time.monotonic()
    with SQLiteStore(options.db) as store:
        book = _open_book(plans, store)
        stored_before = len(store)
        progress = _Progress(options.events, enabled=not options.quiet)
        context: AbstractContextManager[None] = (
            store.transaction() if options.atomic else store.bulk(commit_every=options.commit_every)
        )
        try:
            with context:
                counts = _apply_file(
                    book,
                    options.events,
                    atomic=options.atomic,
                    on_outcome=lambda line, event, outcome: None,
                    on_refused=report,
                    progress=progress,
                )
        except _AtomicRunRefusedError:
            counts = Counter(refused=len(refused))
        except (OSError, UnicodeDecodeError) as error:
            raise _CommandError(
                EXIT_PROBLEMS, "", f"{options.events}: cannot read on: {error}"
            ) from None
        finally:
            progress.done()
        store.write_meta("plans", _fingerprint(plans))
        stored = len(store)
    return _run_summary(options, out, counts, refused, stored - stored_before, stored, started)


def _count(number: int, noun: str) -> str:
    return f"{number:,} {noun}{'' if number == 1 else 's'}"


def _refusal(line: int, error: SocialCommerceError) -> dict[str, Any]:
    return {
        "line": line,
        "code": error.code,
        "path": error.path,
        "event_id": error.event_id,
        "message": str(error),
    }


def _run_summary(
    options: argparse.Namespace,
    out: _Output,
    counts: Counter[str],
    refused: list[dict[str, Any]],
    added: int,
    stored: int,
    started: float,  # float-ok: a progress timer in seconds, never money
) -> int:
    seconds = time.monotonic() - started
    read = sum(counts.values())
    if options.atomic and refused:
        out.error(f"{options.events}: nothing applied: --atomic and a line was refused")
    out.text(
        f"{options.events}: {_count(read, 'event')} read: {counts['applied']:,} applied, "
        f"{_count(counts['duplicate'], 'duplicate')}, {counts['unchanged']:,} unchanged, "
        f"{counts['refused']:,} refused; {options.db} holds {_count(stored, 'event')} "
        f"({added:,} new) [{seconds:.1f} s]"
    )
    out.data(
        {
            "ok": not refused,
            "events_file": str(options.events),
            "db": str(options.db),
            "atomic": options.atomic,
            "read": read,
            "applied": counts["applied"],
            "duplicate": counts["duplicate"],
            "unchanged": counts["unchanged"],
            "refused": counts["refused"],
            "stored": stored,
            "added": added,
            "seconds": round(seconds, 3),
            "problems": refused,
        }
    )
    return EXIT_PROBLEMS if refused else EXIT_OK


# ---------------------------------------------------------------------- reading a ledger


def _read_store(path: Path) -> SQLiteStore:
    if not path.is_file():
        raise _CommandError(EXIT_USAGE, "", f"{path}: no such database file")
    return SQLiteStore(path, create=False)


def _explain(options: argparse.Namespace, out: _Output) -> int:
    with _read_store(options.db) as store:
        report = _order_report(store, options.order_id)
    if report is None:
        raise _CommandError(EXIT_PROBLEMS, "", f"no order {options.order_id!r} in {options.db}")
    for line in _order_text(report):
        out.text(line)
    out.data({"ok": True, **report})
    return EXIT_OK


def _order_report(store: _Store, order_id: str) -> dict[str, Any] | None:
    """An order's events, lines now (credited, clawed back, left) and entries, as plain data."""
    events = [event_to_dict(event) for event in store.events(order_id=order_id)]
    entries = list(store.entries(order_id=order_id))
    if not events and not entries:
        return None
    paid = next((event for event in events if event["type"] == "order_paid"), None)
    return {
        "order_id": order_id,
        "buyer": None if paid is None else paid["order"]["buyer"],
        "paid_at": None if paid is None else paid["at"],
        "state": _order_state(events, entries),
        "events": events,
        "lines": _order_lines(entries),
        "entries": [entry.to_dict() for entry in entries],
    }


def _order_state(events: list[dict[str, Any]], entries: list[Entry]) -> str:
    kinds = {event["type"] for event in events}
    if "order_cancelled" in kinds:
        return "cancelled"
    if any(entry.kind == "release" for entry in entries):
        state = "settled"
    elif "order_completed" in kinds:
        state = "completed"
    else:
        state = "paid" if "order_paid" in kinds else "unknown"
    return state + (", refunded in part or whole" if "order_refunded" in kinds else "")


def _order_lines(entries: list[Entry]) -> list[dict[str, Any]]:
    """One line per accrual: what it credited, what clawbacks took back, what is left."""
    lines: dict[str, dict[str, Any]] = {}
    clawed: dict[str, Any] = {}
    for entry in entries:
        if entry.kind == "accrual":
            holder, amount = _beneficiary(entry)
            lines[entry.entry_id] = {
                "entry_id": entry.entry_id,
                "beneficiary": holder,
                "unit": entry.unit,
                "credited": amount,
                "reason": entry.memo,
            }
        elif entry.reverses:
            _, amount = _beneficiary(entry)
            for reversed_id in entry.reverses:
                clawed[reversed_id] = EXACT_CONTEXT.add(clawed.get(reversed_id, ZERO), amount)
    result = []
    for entry_id, line in lines.items():
        # Zero in the credited amount's places ("0.00" for a money line).
        back = clawed.get(entry_id, EXACT_CONTEXT.multiply(line["credited"], ZERO))
        result.append(
            {
                **line,
                "credited": f"{line['credited']:f}",
                "clawed_back": f"{back:f}",
                "now": f"{EXACT_CONTEXT.add(line['credited'], back):f}",
            }
        )
    return result


def _beneficiary(entry: Entry) -> tuple[str, Any]:
    for posting in entry.postings:
        if posting.holder != MERCHANT:
            return posting.holder, posting.amount
    return MERCHANT, ZERO


def _order_text(report: dict[str, Any]) -> Iterator[str]:
    yield (
        f"Order {report['order_id']}: paid {report['paid_at']} by {report['buyer']}; "
        f"{report['state']}"
    )
    yield ""
    yield "Events:"
    yield from _table(
        ["at", "event", "type"],
        [[event["at"], event["event_id"], event["type"]] for event in report["events"]],
        right=set(),
    )
    yield ""
    yield "Lines now (credited at payment, less what refunds and cancellations took back):"
    lines = report["lines"]
    yield from _table(
        ["beneficiary", "unit", "credited", "clawed back", "now"],
        [
            [line["beneficiary"], line["unit"], line["credited"], line["clawed_back"], line["now"]]
            for line in lines
        ],
        right={2, 3, 4},
    )
    for number, line in enumerate(lines, start=1):
        yield f"  {number:>2}. {line['reason']}"
    yield ""
    yield "Entries:"
    for entry in report["entries"]:
        postings = ", ".join(f"{p['holder']} {p['state']} {p['amount']}" for p in entry["postings"])
        yield f"  {entry['entry_id']}  {entry['at']}  {entry['kind']}  {entry['unit']}: {postings}"
        yield f"      {entry['memo']}"


def _balances(options: argparse.Namespace, out: _Output) -> int:
    with _read_store(options.db) as store:
        rows = _balance_rows(store.entries(), as_of=options.as_of, holder=options.holder)
    as_of = None if options.as_of is None else format_instant(to_instant(options.as_of))
    _print_balances(out, rows, as_of)
    out.data({"ok": True, "as_of": as_of, "balances": rows})
    return EXIT_OK


def _balance_rows(
    entries: Iterable[Entry], *, as_of: datetime | None, holder: str | None = None
) -> list[dict[str, str]]:
    return [
        {"holder": b.holder, "unit": b.unit, "state": b.state, "amount": f"{b.amount:f}"}
        for b in balances(entries, as_of=as_of)
        if holder is None or b.holder == holder
    ]


def _print_balances(out: _Output, rows: list[dict[str, str]], as_of: str | None) -> None:
    out.text(f"Balances as of {as_of}:" if as_of else "Balances:")
    if not rows:
        out.text("  (none)")
        return
    for line in _table(
        ["holder", "unit", "state", "amount"],
        [[row["holder"], row["unit"], row["state"], row["amount"]] for row in rows],
        right={3},
    ):
        out.text(line)


def _export(options: argparse.Namespace, out: _Output) -> int:
    if out.as_json and options.format == "csv":
        raise _CommandError(
            EXIT_USAGE, "", "--json prints JSON Lines; it does not go with --format csv"
        )
    file_format = options.format or "jsonl"
    with _read_store(options.db) as store, ExitStack() as stack:
        if options.output is None:
            target: IO[str] = sys.stdout
        else:
            try:
                target = stack.enter_context(options.output.open("w", encoding="utf-8", newline=""))
            except OSError as error:
                raise _CommandError(EXIT_USAGE, "", f"{options.output}: {error.strerror}") from None
        count = _write_entries(store.entries(), target, file_format)
    if options.output is not None:
        out.error(f"{count:,} entries written to {options.output}")
    return EXIT_OK


def _write_entries(entries: Iterable[Entry], target: IO[str], file_format: str) -> int:
    count = 0
    if file_format == "jsonl":
        for entry in entries:
            target.write(_JSON.encode(entry.to_dict()) + "\n")
            count += 1
        return count
    writer = csv.writer(target, lineterminator="\n")
    writer.writerow(_CSV_COLUMNS)
    for entry in entries:
        data = entry.to_dict()
        for posting in data["postings"]:
            writer.writerow(
                [
                    data["entry_id"],
                    data["event_id"],
                    data["order_id"] or "",
                    data["at"],
                    data["kind"],
                    data["unit"],
                    posting["holder"],
                    posting["state"],
                    posting["amount"],
                    " ".join(data["reverses"]),
                    data["memo"],
                ]
            )
        count += 1
    return count


# ---------------------------------------------------------------------- demo


def _demo(options: argparse.Namespace, out: _Output) -> int:
    data = resources.files("socialcommerce_rules").joinpath("data")
    with ExitStack() as stack:
        plan_path = stack.enter_context(resources.as_file(data / "article_scheme.toml"))
        events_path = stack.enter_context(resources.as_file(data / "article_events.jsonl"))
        plan = load_plan(plan_path)
        store: _Store = (
            MemoryStore() if options.db is None else stack.enter_context(SQLiteStore(options.db))
        )
        book = _open_book(plan, store)
        outcomes: list[dict[str, Any]] = []
        refused: list[dict[str, Any]] = []
        out.text(f"Plan {plan.id} v{plan.version}: {plan.description}")
        out.text("")
        with store.transaction():
            _apply_file(
                book,
                events_path,
                atomic=False,
                on_outcome=lambda line, event, outcome: _demo_outcome(
                    out, outcomes, event, outcome
                ),
                on_refused=lambda line, error: refused.append(_refusal(line, error)),
            )
        store.write_meta("plans", _fingerprint(plan))
        rows = _balance_rows(store.entries(), as_of=None)
        # The story's first refunded order shows a line recomputed after a refund.
        refunded = next(e.order_id for e in store.events() if isinstance(e, OrderRefunded))
        report = _order_report(store, refunded)
    if report is None:  # pragma: no cover - the refunded order has its events
        raise _CommandError(EXIT_PROBLEMS, "", f"order {refunded} was not recorded")
    for problem in refused:
        out.error(f"demo:{problem['line']}: {problem['code']}: {problem['message']}")
    out.text("")
    _print_balances(out, rows, None)
    out.text("")
    for line in _order_text(report):
        out.text(line)
    out.data({"ok": not refused, "outcomes": outcomes, "balances": rows, "explain": report})
    return EXIT_PROBLEMS if refused else EXIT_OK


def _demo_outcome(
    out: _Output, outcomes: list[dict[str, Any]], event: Event, outcome: Outcome
) -> None:
    outcomes.append(
        {
            "event_id": outcome.event_id,
            "type": event.type,
            "status": outcome.status,
            "message": outcome.message,
            "entries": [entry.entry_id for entry in outcome.entries],
        }
    )
    out.text(f"{outcome.event_id:<22} {outcome.status:<9} {outcome.message}")
