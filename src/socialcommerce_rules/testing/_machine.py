"""The stateful test: a hypothesis state machine that drives a book like a shop does.

Each step delivers one event - a join, an upgrade, a re-binding, a guide leaving,
a payment, a completion, a refund, a cancellation, a settlement run, a
redelivered event or one delivered before its prerequisite - to a
:class:`~socialcommerce_rules.book.Book` and to the reference model, then checks
every invariant that needs no replay.  When an example ends, the events are
replayed for the determinism and refund-path checks.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, rule

from ..book import Book
from ..errors import EventNotReadyError, SocialCommerceError
from ..events import Event, OrderCancelled, OrderCompleted, OrderPaid, OrderRefunded
from ..plan import Plan
from ._checks import Violation, replay_violations, state_violations
from ._reference import ReferenceBook, pool_quanta, quanta
from ._world import World

__all__ = ["Recorder", "plan_machine"]


@dataclass
class Recorder:
    """What the machines of one run saw: examples, steps, the last failure."""

    examples: int = 0
    steps: int = 0
    failure: Violation | None = None
    events: list[Event] = field(default_factory=list)


class InvariantBrokenError(AssertionError):
    """An invariant failed; hypothesis shrinks the example that raised it."""


class _PlanMachine(RuleBasedStateMachine):
    plan: ClassVar[Plan]
    recorder: ClassVar[Recorder]

    def __init__(self) -> None:
        super().__init__()
        self.book = Book(self.plan)
        self.reference = ReferenceBook(self.plan)
        self.world = World(self.plan)
        self.delivered: list[Event] = []  # every delivery, in order, as a shop made them
        self.applied: list[Event] = []  # first deliveries the book applied
        self.parked: dict[str, Event] = {}  # order id -> a step delivered before its payment
        self.failed = False
        self.recorder.examples += 1

    # ------------------------------------------------------------------ delivery

    def _fail(self, violation: Violation) -> None:
        self.failed = True
        self.recorder.failure = violation
        self.recorder.events = list(self.delivered)
        raise InvariantBrokenError(f"{violation.invariant}: {violation.message}")

    def _deliver(self, event: Event | None) -> None:
        if event is None:
            return
        self.recorder.steps += 1
        self.delivered.append(event)
        try:
            outcome = self.book.apply(event)
        except SocialCommerceError as error:
            self._fail(
                Violation(
                    "acceptance",
                    f"a valid event was refused: {error.code}: {error}",
                    event.event_id,
                )
            )
            return
        except Exception as error:  # the engine failed: a bug whatever it is
            self._fail(
                Violation(
                    "acceptance",
                    f"the engine failed on a valid event: {type(error).__name__}: {error}",
                    event.event_id,
                )
            )
            return
        if outcome.status != "applied":
            self._fail(
                Violation(
                    "idempotency",
                    f"a first delivery was taken as {outcome.status}",
                    event.event_id,
                )
            )
        self.applied.append(event)
        self.reference.apply(event)
        self.world.note(event)
        if isinstance(event, OrderPaid):
            self._check_evaluation(event, outcome.evaluation)
        self._check(event)

    def _check_evaluation(self, event: OrderPaid, evaluation: Any) -> None:
        order_id = event.order.order_id
        if evaluation is None:
            self._fail(Violation("conservation", "a payment gave no evaluation", event.event_id))
            return
        q = self.plan.quantum
        money = [line.amount for line in evaluation.lines if line.unit != "points"]
        try:
            paid = sum(quanta(amount, q) for amount in money)
            pool = quanta(evaluation.pool, q)
            kept = quanta(evaluation.merchant_kept, q)
            reported = quanta(evaluation.paid, q)
        except (ValueError, TypeError) as error:
            self._fail(Violation("conservation", str(error), event.event_id, order_id))
            return
        expected = pool_quanta(self.plan, event.order)
        if paid != reported or paid + kept != pool or pool != expected or kept < 0:
            self._fail(
                Violation(
                    "conservation",
                    f"lines {paid} + merchant kept {kept} quanta must equal the pool {pool} "
                    f"(the plan's pool is {expected}, the evaluation says paid {reported})",
                    event.event_id,
                    order_id,
                )
            )

    def _check(self, event: Event) -> None:
        found = state_violations(self.plan, self.reference, self.book)
        if found:
            self._fail(found[0]._replace(event_id=found[0].event_id or event.event_id))

    def _redeliver(self, event: Event, *, invariant: str, expect_ready: bool) -> None:
        """Deliver an event that must change nothing: a duplicate, or one not ready."""
        self.recorder.steps += 1
        self.delivered.append(event)
        entries, log = self.book.entries, self.book.events
        try:
            outcome = self.book.apply(event)
        except EventNotReadyError:
            if expect_ready:
                self._fail(
                    Violation(invariant, "a redelivery was refused as not ready", event.event_id)
                )
        except Exception as error:
            self._fail(Violation(invariant, f"{type(error).__name__}: {error}", event.event_id))
        else:
            if not expect_ready:
                self._fail(
                    Violation(
                        invariant,
                        f"an event delivered before its prerequisite was {outcome.status}",
                        event.event_id,
                    )
                )
            elif outcome.status != "duplicate":
                self._fail(
                    Violation(invariant, f"a redelivery was {outcome.status}", event.event_id)
                )
        if self.book.entries != entries or self.book.events != log:
            self._fail(Violation(invariant, "the delivery changed the ledger", event.event_id))
        if not expect_ready:
            self.delivered.pop()  # refused as it should be: not part of the story

    # --------------------------------------------------------------------- rules

    @initialize(data=st.data(), size=st.integers(1, 8))
    def first_joins(self, data: st.DataObject, size: int) -> None:
        """A first referral tree: often a deep chain, sometimes a fan or a forest."""
        for _ in range(size):
            self._deliver(self.world.join(data.draw))

    @rule(data=st.data())
    def join(self, data: st.DataObject) -> None:
        self._deliver(self.world.join(data.draw))

    @rule(data=st.data())
    def change_role(self, data: st.DataObject) -> None:
        self._deliver(self.world.role_change(data.draw))

    @rule(data=st.data())
    def change_status(self, data: st.DataObject) -> None:
        self._deliver(self.world.status_change(data.draw))

    @rule(data=st.data(), transplant=st.booleans())
    def rebind(self, data: st.DataObject, transplant: bool) -> None:
        self._deliver(self.world.rebinding(data.draw, transplant=transplant))

    @rule(data=st.data())
    def guide_leaves(self, data: st.DataObject) -> None:
        self._deliver(self.world.guide_departure(data.draw))

    @rule(data=st.data())
    def pay(self, data: st.DataObject) -> None:
        self._deliver(self.world.payment(data.draw))

    @rule(data=st.data())
    def pay_again(self, data: st.DataObject) -> None:
        self._deliver(self.world.payment(data.draw))

    @rule(data=st.data())
    def complete(self, data: st.DataObject) -> None:
        self._deliver(self.world.completion(data.draw))

    @rule(data=st.data())
    def refund(self, data: st.DataObject) -> None:
        self._deliver(self.world.refund(data.draw))

    @rule(data=st.data())
    def cancel(self, data: st.DataObject) -> None:
        self._deliver(self.world.cancellation(data.draw))

    @rule(data=st.data())
    def settle(self, data: st.DataObject) -> None:
        self._deliver(self.world.settlement(data.draw))

    @rule(data=st.data())
    def redeliver(self, data: st.DataObject) -> None:
        if self.applied:
            event = data.draw(st.sampled_from(self.applied))
            self._redeliver(event, invariant="idempotency", expect_ready=True)

    @rule(data=st.data())
    def prepare_late_payment(self, data: st.DataObject) -> None:
        """An order paid now whose payment event reaches the book later."""
        if len(self.world.prepared) < 2:
            self.world.payment(data.draw, prepare=True)

    @rule(data=st.data())
    def deliver_early(self, data: st.DataObject) -> None:
        """A completion, refund or cancellation delivered before its order's payment."""
        waiting = sorted(set(self.world.prepared) - set(self.parked))
        if not waiting:
            return
        order_id = data.draw(st.sampled_from(waiting))
        kind = data.draw(st.sampled_from(("complete", "refund", "cancel")))
        event: Event | None
        if kind == "complete":
            event = self.world.completion(data.draw, order_id)
        elif kind == "refund":
            event = self.world.refund(data.draw, order_id)
        else:
            event = self.world.cancellation(data.draw, order_id)
        if event is not None:
            self._redeliver(event, invariant="readiness", expect_ready=False)
            self.parked[order_id] = event

    @rule(data=st.data())
    def deliver_late_payment(self, data: st.DataObject) -> None:
        """A kept-back payment arrives; a step parked for it is then delivered again."""
        if not self.world.prepared:
            return
        order_id = data.draw(st.sampled_from(sorted(self.world.prepared)))
        self._deliver(self.world.prepared[order_id])
        parked = self.parked.pop(order_id, None)
        if isinstance(parked, (OrderCompleted, OrderRefunded, OrderCancelled)):
            self._deliver(parked)

    def teardown(self) -> None:
        if self.failed:
            return
        found = replay_violations(self.plan, self.applied, self.book)
        if found:
            self._fail(found[0])


def plan_machine(plan: Plan, *, recorder: Recorder | None = None) -> type[RuleBasedStateMachine]:
    """A state machine class that audits ``plan``; run it as a test with its ``TestCase``.

    Args:
        plan: the plan under audit (one version; the graphs, orders and events
            are generated).
        recorder: where to count examples and steps and keep the last failure
            (a new one if omitted; it is the class's ``recorder`` attribute).

    Returns:
        A :class:`hypothesis.stateful.RuleBasedStateMachine` subclass.

    >>> from socialcommerce_rules import load_plan
    >>> machine = plan_machine(load_plan("examples/article_scheme.toml"))
    >>> TestArticlePlan = machine.TestCase  # collected by pytest or unittest
    """
    attributes: dict[str, Any] = {"plan": plan, "recorder": recorder or Recorder()}
    return type(f"AuditOf{_camel(plan.id)}", (_PlanMachine,), attributes)


def _camel(name: str) -> str:
    return "".join(part[:1].upper() + part[1:] for part in name.replace("_", "-").split("-"))
