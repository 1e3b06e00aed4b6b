"""``audit``: run the state machine against one plan and report what it found.

The plan is fixed; the referral graphs, orders and event streams are generated.
A run is deterministic for its seed: hypothesis's example database is off, so
nothing from an earlier run changes the next one.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, Phase, settings
from hypothesis import seed as hypothesis_seed
from hypothesis.stateful import run_state_machine_as_test

from ..events import Event, event_to_dict, write_events
from ..plan import Plan
from ._checks import INVARIANTS, Violation
from ._machine import InvariantBrokenError, Recorder, plan_machine

__all__ = ["AuditReport", "audit"]


@dataclass(frozen=True)
class AuditReport:
    """What an audit checked and, when an invariant broke, the smallest case found.

    Attributes:
        plan_id: the plan audited.
        plan_version: its version.
        ok: whether every invariant held in every example.
        examples: the examples (event streams) run, shrinking included.
        steps: the events delivered over all examples.
        invariants: the names of the invariants checked.
        seed: the seed of the run.
        violation: the broken invariant of the minimal counterexample, or None.
        events: the minimal counterexample's events, in delivery order (empty
            when ``ok``); :meth:`write_counterexample` saves them for
            ``socialcommerce-rules run``.
    """

    plan_id: str
    plan_version: int
    ok: bool
    examples: int
    steps: int
    invariants: tuple[str, ...]
    seed: int
    violation: Violation | None = None
    events: tuple[Event, ...] = ()

    def summary(self) -> list[str]:
        """The report as lines of text, as the ``audit`` command prints it."""
        head = f"Audit of plan {self.plan_id} v{self.plan_version} (seed {self.seed}): "
        lines = [
            head + ("OK" if self.ok else "FAILED"),
            f"  {self.examples} examples, {self.steps} events delivered",
            f"  invariants checked: {', '.join(self.invariants)}",
        ]
        if self.violation is not None:
            where = ""
            if self.violation.event_id is not None:
                where += f" at event {self.violation.event_id}"
            if self.violation.order_id is not None:
                where += f" (order {self.violation.order_id})"
            lines += [
                f"  violated: {self.violation.invariant}{where}",
                f"  {self.violation.message}",
                f"  minimal counterexample: {len(self.events)} events",
            ]
            lines += [f"    {_describe(event)}" for event in self.events]
        return lines

    def to_dict(self) -> dict[str, Any]:
        """Plain data for JSON: the counts, the violation and the events as mappings."""
        return {
            "ok": self.ok,
            "plan_id": self.plan_id,
            "plan_version": self.plan_version,
            "seed": self.seed,
            "examples": self.examples,
            "steps": self.steps,
            "invariants": list(self.invariants),
            "violation": None if self.violation is None else self.violation._asdict(),
            "events": [event_to_dict(event) for event in self.events],
        }

    def write_counterexample(self, path: str | Path) -> None:
        """Save the counterexample's events (JSON Lines, or CSV by the suffix).

        Replay them with ``socialcommerce-rules run PLAN FILE --db LEDGER``.

        Raises:
            ValueError: the audit found nothing to write.
        """
        if self.ok:
            raise ValueError("the audit passed: there is no counterexample to write")
        write_events(self.events, path)


def audit(
    plan: Plan,
    *,
    examples: int = 100,
    seed: int = 0,
    max_steps: int = 30,
    shrink: bool = True,
) -> AuditReport:
    """Property-test the engine on ``plan`` with generated graphs and event streams.

    Args:
        plan: the plan to audit (one version).
        examples: how many event streams to try.
        seed: the random seed; the same seed gives the same report.
        max_steps: the most events one stream delivers.
        shrink: shrink a failing example to a minimal one (the default); False
            reports the first failing example as found, which is faster.

    Returns:
        The report; on failure it holds the shrunk minimal counterexample.

    Raises:
        ValueError: ``examples`` or ``max_steps`` below 1.

    >>> from socialcommerce_rules import load_plan
    >>> report = audit(load_plan("examples/article_scheme.toml"), examples=3)
    >>> report.ok, report.examples >= 3
    (True, True)
    """
    if examples < 1 or max_steps < 1:
        raise ValueError(f"examples = {examples} and max_steps = {max_steps} must be at least 1")
    recorder = Recorder()
    machine = plan_machine(plan, recorder=recorder)
    hypothesis_seed(seed)(machine)
    options = settings(
        max_examples=examples,
        stateful_step_count=max_steps,
        database=None,
        deadline=None,
        print_blob=False,
        derandomize=False,
        suppress_health_check=list(HealthCheck),
        report_multiple_bugs=False,
        # No explain phase: the counterexample's events say what happened.
        phases=(Phase.explicit, Phase.generate, Phase.shrink)
        if shrink
        else (Phase.explicit, Phase.generate),
    )
    with contextlib.suppress(InvariantBrokenError):
        run_state_machine_as_test(machine, settings=options)
    failure = recorder.failure
    return AuditReport(
        plan_id=plan.id,
        plan_version=plan.version,
        ok=failure is None,
        examples=recorder.examples,
        steps=recorder.steps,
        invariants=INVARIANTS,
        seed=seed,
        violation=failure,
        events=tuple(recorder.events) if failure is not None else (),
    )


def _describe(event: Event) -> str:
    data = event_to_dict(event)
    kind, event_id, at = data.pop("type"), data.pop("event_id"), data.pop("at")
    if "order" in data:
        order = data.pop("order")
        data["order"] = f"{order['order_id']} by {order['buyer']}, {len(order['items'])} items"
    fields = ", ".join(f"{key}={value}" for key, value in data.items() if value not in (None, []))
    return f"{at} {kind} {event_id}: {fields}"
