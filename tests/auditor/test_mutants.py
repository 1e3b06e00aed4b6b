"""Proof that the auditor's checks have teeth: broken engines must be caught.

Each test breaks the engine or the book in one way with ``monkeypatch`` and runs
``audit`` with a fixed seed and few examples; the test fails if the broken
variant survives.  The unbroken engine must pass the same audits.
"""

from __future__ import annotations

import bisect as real_bisect
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from socialcommerce_rules import book as book_module
from socialcommerce_rules import engine as engine_module
from socialcommerce_rules import graph as graph_module
from socialcommerce_rules import load_plan
from socialcommerce_rules.book import Book
from socialcommerce_rules.ledger import Posting
from socialcommerce_rules.plan import Plan
from socialcommerce_rules.testing import AuditReport, audit

HERE = Path(__file__).parent
ARTICLE = load_plan(HERE.parents[1] / "examples" / "article_scheme.toml")
MIXED = load_plan(HERE / "plans" / "mixed.toml")

Mutant = Callable[[pytest.MonkeyPatch], None]


def _no_engine_self_check(monkeypatch: pytest.MonkeyPatch) -> None:
    """A broken engine whose own invariant check is broken too."""
    monkeypatch.setattr(engine_module, "_check", lambda *args: None)


def remainder_dropped(monkeypatch: pytest.MonkeyPatch) -> None:
    """Rounding leftovers shared among beneficiaries are dropped instead."""

    def share_floors(c: Any, group: list[list[Any]], denominator: int, drafts: list[Any]) -> None:
        for draft in group:
            amount = draft[2] * draft[0].numerator // denominator
            if amount:
                draft[3] = amount
                drafts.append(draft)

    monkeypatch.setattr(engine_module, "_share_rounded", share_floors)


def refund_not_reversed(monkeypatch: pytest.MonkeyPatch) -> None:
    """Refunds and cancellations record nothing."""
    monkeypatch.setattr(Book, "_recompute", lambda self, event, state, remaining, why: [])


def depth_ignored(monkeypatch: pytest.MonkeyPatch) -> None:
    """The upline walk goes one level past max_depth."""
    original = graph_module.ReferralGraph._walk

    def walk(self: Any, number: int, instant: int, count: int) -> Any:
        return original(self, number, instant, count + 1)

    monkeypatch.setattr(graph_module.ReferralGraph, "_walk", walk)
    _no_engine_self_check(monkeypatch)


def role_read_a_month_early(monkeypatch: pytest.MonkeyPatch) -> None:
    """Roles are read as they stood a month before payment, not at payment."""
    original = graph_module.ReferralGraph._walk
    month = 30 * 86_400_000_000

    def walk(self: Any, number: int, instant: int, count: int) -> Any:
        numbers, ids, _, active = original(self, number, instant, count)
        roles = [original(self, n, instant - month, 0)[2][0] for n in numbers]
        return numbers, ids, roles, active

    monkeypatch.setattr(graph_module.ReferralGraph, "_walk", walk)


def float_in_line_amount(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each line's amount goes through a binary float on its way out."""
    original = engine_module._lines

    def lines(*args: Any) -> list[Any]:
        return [line._replace(amount=Decimal(float(line.amount))) for line in original(*args)]

    monkeypatch.setattr(engine_module, "_lines", lines)


def duplicate_applied_twice(monkeypatch: pytest.MonkeyPatch) -> None:
    """The idempotency check is skipped: a redelivered event is applied again."""
    monkeypatch.setattr(Book, "apply", lambda self, event: self._apply_in_memory(event))


def cap_ignored(monkeypatch: pytest.MonkeyPatch) -> None:
    """Caps are never applied."""
    monkeypatch.setattr(engine_module, "_apply_caps", lambda c, money, base_q, cap_q: money)
    _no_engine_self_check(monkeypatch)


def clawback_above_credit(monkeypatch: pytest.MonkeyPatch) -> None:
    """A cancellation or full refund takes back twice what the order credited."""
    original = Book._recompute

    def recompute(self: Book, event: Any, state: Any, remaining: Any, why: str) -> Any:
        if not remaining:
            remaining = {key: line[0].copy_negate() for key, line in state.lines.items()}
        return original(self, event, state, remaining, why)

    monkeypatch.setattr(Book, "_recompute", recompute)


def settlement_ignores_window(monkeypatch: pytest.MonkeyPatch) -> None:
    """A settlement run releases every completed order, window over or not."""
    shim = SimpleNamespace(
        insort=real_bisect.insort,
        bisect_right=lambda held, *args, **kwargs: len(held),
    )
    monkeypatch.setattr(book_module, "bisect", shim)


def inactive_participants_earn(monkeypatch: pytest.MonkeyPatch) -> None:
    """Status is ignored: inactive participants and departed guides still earn."""
    original = graph_module.ReferralGraph._walk

    def walk(self: Any, number: int, instant: int, count: int) -> Any:
        numbers, ids, roles, active = original(self, number, instant, count)
        return numbers, ids, roles, [True] * len(active)

    monkeypatch.setattr(graph_module.ReferralGraph, "_walk", walk)


def unbalanced_entry(monkeypatch: pytest.MonkeyPatch) -> None:
    """The first posting of each money entry is off by one quantum (and not checked)."""
    original = Book._entry

    def entry(
        event: Any,
        index: int,
        order_id: Any,
        kind: str,
        unit: str,
        postings: list[Posting],
        reverses: Any,
        memo: str,
    ) -> Any:
        if unit != "points":
            first = postings[0]
            postings = [first._replace(amount=first.amount - Decimal("0.01")), *postings[1:]]
        return original(event, index, order_id, kind, unit, postings, reverses, memo)

    monkeypatch.setattr(Book, "_entry", staticmethod(entry))
    monkeypatch.setattr(book_module, "check_entry", lambda entry: None)


def memo_counts_calls(monkeypatch: pytest.MonkeyPatch) -> None:
    """Global state leaks into the ledger: memos number every entry ever made."""
    original = Book._entry
    calls = [0]

    def entry(*args: Any) -> Any:
        calls[0] += 1
        made = original(*args)
        return made._replace(memo=f"{made.memo} #{calls[0]}")

    monkeypatch.setattr(Book, "_entry", staticmethod(entry))


MUTANTS: list[tuple[Mutant, Plan, str]] = [
    (remainder_dropped, MIXED, "model"),
    (refund_not_reversed, ARTICLE, "model"),
    (depth_ignored, MIXED, "depth"),
    (role_read_a_month_early, ARTICLE, "model"),
    (float_in_line_amount, ARTICLE, "conservation"),
    (duplicate_applied_twice, ARTICLE, "idempotency"),
    (cap_ignored, MIXED, "conservation"),
    (clawback_above_credit, ARTICLE, "refund"),
    (settlement_ignores_window, ARTICLE, "model"),
    (inactive_participants_earn, MIXED, "eligibility"),
    (unbalanced_entry, ARTICLE, "balance"),
    (memo_counts_calls, ARTICLE, "determinism"),
]


@pytest.mark.parametrize(
    ("mutant", "plan", "invariant"),
    MUTANTS,
    ids=[mutant.__name__ for mutant, _, _ in MUTANTS],
)
def test_mutant_is_caught(
    monkeypatch: pytest.MonkeyPatch, mutant: Mutant, plan: Plan, invariant: str
) -> None:
    with monkeypatch.context() as patched:
        mutant(patched)
        report = audit(plan, examples=40, seed=0, shrink=False)
    assert not report.ok, f"{mutant.__name__} survived {report.examples} examples"
    assert report.violation is not None
    print(report.violation)
    assert report.events, "a counterexample has events"


@pytest.mark.parametrize("mutant", [refund_not_reversed, duplicate_applied_twice])
def test_counterexample_is_shrunk(monkeypatch: pytest.MonkeyPatch, mutant: Mutant) -> None:
    with monkeypatch.context() as patched:
        mutant(patched)
        report = audit(ARTICLE, examples=40, seed=0)
    assert not report.ok
    assert len(report.events) <= 6, "\n".join(report.summary())


@pytest.mark.parametrize("plan", [ARTICLE, MIXED], ids=["article", "mixed"])
def test_unbroken_engine_passes(plan: Plan) -> None:
    report: AuditReport = audit(plan, examples=40, seed=0)
    assert report.ok, "\n".join(report.summary())
    assert report.examples >= 40
