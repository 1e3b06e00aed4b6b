"""The error hierarchy: every error the library raises, with stable codes.

Bad input is expected and is refused with a typed error that names the offending
field (``.path``) or event (``.event_id``); nothing already recorded changes.  A
broken internal invariant is a bug and raises :class:`InternalInvariantError`.

::

    SocialCommerceError
    ├── PlanError            (ValueError)   a plan is invalid; ``.problems`` lists all
    ├── LimitError           (ValueError)   input exceeds a hard limit in ``limits``
    ├── GraphError           (ValueError)   a referral-graph change is refused
    │   └── UnknownParticipantError (LookupError)
    ├── OrderError           (ValueError)   an order cannot be evaluated as given
    │   └── NoPlanInForceError      (LookupError)
    ├── EventError           (ValueError)   an event is refused; nothing changed
    │   ├── EventConflictError      the same event id with different content
    │   └── EventNotReadyError      a prerequisite has not arrived (retriable)
    ├── StoreError           (RuntimeError) a store cannot be opened or written
    │   └── StoreCorruptError       a stored ledger fails its invariants
    └── InternalInvariantError (RuntimeError) a bug: conservation, depth or cap broken

Every error has a ``code`` from :data:`ERROR_CODES`; renaming a code is a breaking
change.  ``str(error)`` names the path and the value.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

__all__ = [
    "ERROR_CODES",
    "EventConflictError",
    "EventError",
    "EventNotReadyError",
    "GraphError",
    "InternalInvariantError",
    "LimitError",
    "NoPlanInForceError",
    "OrderError",
    "PlanError",
    "Problem",
    "ProfileError",
    "SocialCommerceError",
    "StoreCorruptError",
    "StoreError",
    "UnknownParticipantError",
]

ERROR_CODES: Final[dict[str, str]] = {
    # Plans.
    "plan-syntax": "The plan file is not valid TOML or JSON.",
    "plan-unknown-key": "A key the plan language does not define.",
    "plan-missing-key": "A required key is absent.",
    "plan-invalid-value": "A value has the wrong type or form.",
    "plan-float": "A number was written as a float; write amounts and rates as strings.",
    "plan-number-invalid": "NaN, Infinity or an unparseable number.",
    "plan-duplicate-key": "The same key appears twice in one table or object.",
    "plan-rate-out-of-range": "A rate outside [0, 1].",
    "plan-amount-out-of-range": "An amount that is negative or above AMOUNT_MAX.",
    "plan-too-precise": "A rate or amount with more decimal places than allowed.",
    "plan-unknown-role": "A role name the plan does not declare.",
    "plan-duplicate": "Two roles, rules, levels, gift packs or versions share a name.",
    "plan-level-beyond-max-depth": "A rule pays a level above the plan's max_depth.",
    "plan-rates-exceed-base": "Rules that together promise more than the whole base.",
    "plan-quantum-invalid": "The quantum is not a positive power of ten at most 1.",
    "plan-version-mismatch": "Versions of one plan set disagree on id or order.",
    "plan-limit": "A list or value in the plan exceeds a hard limit.",
    # Limits on raw input.
    "limit-plan-bytes": "The plan file is larger than PLAN_BYTES_MAX.",
    "limit-plan-nesting": "The plan file nests deeper than PLAN_NESTING_MAX.",
    # Referral graph.
    "graph-duplicate-participant": "A participant id joined twice.",
    "graph-unknown-participant": "A participant id the graph does not hold.",
    "graph-self-binding": "A participant bound to themselves.",
    "graph-cycle": "A change that would make someone their own upline.",
    "graph-not-joined": "A participant used before their join time.",
    "graph-change-out-of-order": "A binding change earlier than the latest binding change.",
    "graph-conflicting-change": "Two changes of the same kind for one participant at one time.",
    "graph-unknown-role": "A role outside the roles the graph was given.",
    "graph-invalid-value": "An identifier, time or status of the wrong form.",
    # Orders.
    "order-invalid": "An order field has the wrong type or form.",
    "order-float": "An amount given as a float; give Decimal, int or a decimal string.",
    "order-number-invalid": "NaN, Infinity, a negative or an oversize amount.",
    "order-not-quantized": "An amount finer than the plan's quantum.",
    "order-currency-mismatch": "The order's currency is not the plan's.",
    "order-discount-exceeds-price": "Discounts or deductions larger than what they reduce.",
    "order-buyer-not-joined": "The buyer had not joined at the payment time.",
    "order-unknown-role": "A participant holds a role the plan does not declare.",
    "order-no-plan-in-force": "No plan version was in force at the payment time.",
    # Events and the ledger.
    "event-invalid": "An event field has the wrong type or form.",
    "event-float": "An amount given as a float in an event.",
    "event-number-invalid": "NaN, Infinity, a negative or an oversize amount in an event.",
    "event-conflict": "An event id seen before, with different content.",
    "event-not-ready": "An event whose prerequisite (such as the order's payment) is missing.",
    "event-order-already-paid": "A second payment of an order under another event id.",
    "event-order-closed": "An event for an order that is cancelled or fully refunded.",
    "event-order-state": "An event the order's state does not allow (a second completion).",
    "event-refund-exceeds-paid": "Refunds that would add up to more than was paid.",
    "event-unknown-item": "A refund naming an item the order does not have.",
    "event-payout-exceeds-available": "A payout of more than the participant's available "
    "balance.",
    "limit-batch": "A batch with more than EVENTS_PER_BATCH_MAX events.",
    "store-corrupt": "A stored ledger that fails its invariants on open.",
    # Simulation.
    "simulation-config-invalid": "A simulation parameter of the wrong type, out of range, "
    "or not fitting the plan simulated.",
    "store-unavailable": "A store file that cannot be opened or written.",
    # Bugs.
    "internal-invariant": "An internal invariant broke; this is a bug in the library.",
}
"""Every error code the library raises, with its meaning; see docs/errors.md."""


@dataclass(frozen=True, slots=True)
class Problem:
    """One problem found in an input.

    Attributes:
        code: a key of :data:`ERROR_CODES`.
        path: where the problem is, e.g. ``rules[2].levels[1].rates.maker``;
            empty for the input as a whole.
        message: one sentence naming the value and what is wrong with it.
    """

    code: str
    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.path else self.message


class SocialCommerceError(Exception):
    """Root of every error the library raises.

    Attributes:
        code: a stable key of :data:`ERROR_CODES`.
        path: the offending field, or ``""``.
        event_id: the offending event or order id, or ``None``.
    """

    code: str
    path: str
    event_id: str | None

    def __init__(
        self, code: str, message: str, *, path: str = "", event_id: str | None = None
    ) -> None:
        if code not in ERROR_CODES:
            raise ValueError(f"unregistered error code {code!r}")
        self.code = code
        self.path = path
        self.event_id = event_id
        self.message = message
        prefix = f"{path}: " if path else ""
        where = f" [{event_id}]" if event_id is not None else ""
        super().__init__(f"{prefix}{message}{where}")


class PlanError(SocialCommerceError, ValueError):
    """A plan is invalid.  ``problems`` lists every problem found, in path order.

    ``code`` and ``path`` are those of the first problem.
    """

    problems: tuple[Problem, ...]

    _document = "plan"

    def __init__(self, problems: Sequence[Problem]) -> None:
        if not problems:
            raise ValueError(f"{type(self).__name__} needs at least one problem")
        self.problems = tuple(problems)
        first = self.problems[0]
        if len(self.problems) == 1:
            message = first.message
        else:
            listed = "\n".join(f"  - {problem}" for problem in self.problems)
            message = (
                f"{first.message}\n{len(self.problems)} problems in the {self._document}:\n"
                f"{listed}"
            )
        super().__init__(first.code, message, path=first.path)


class ProfileError(PlanError):
    """A compliance lint profile (or the observed figures given to a lint) is invalid.

    Profiles are read like plans, so their problems carry the plan codes
    (``plan-invalid-value``, ``plan-unknown-key``...); ``problems`` lists them all.
    """

    _document = "profile"


class LimitError(SocialCommerceError, ValueError):
    """Input exceeds a hard limit of :mod:`socialcommerce_rules.limits`."""


class GraphError(SocialCommerceError, ValueError):
    """A change to the referral graph is refused; the graph is unchanged."""


class UnknownParticipantError(GraphError, LookupError):
    """A participant id that the graph does not hold."""


class OrderError(SocialCommerceError, ValueError):
    """An order cannot be evaluated as given; nothing was recorded."""


class NoPlanInForceError(OrderError, LookupError):
    """No version of the plan was in force at the order's payment time."""


class EventError(SocialCommerceError, ValueError):
    """An event is refused; nothing recorded changed."""


class EventConflictError(EventError):
    """An event id seen before, with different content; ``path`` names the first
    differing field."""


class EventNotReadyError(EventError):
    """An event whose prerequisite has not been applied yet.  Deliver it again
    after the prerequisite: the result is then the same as in order."""


class StoreError(SocialCommerceError, RuntimeError):
    """A store cannot be opened or written."""


class StoreCorruptError(StoreError):
    """A stored ledger fails its invariants when opened; the file is refused."""


class InternalInvariantError(SocialCommerceError, RuntimeError):
    """An invariant the library guarantees broke.  This is a bug; please report it."""

    def __init__(self, message: str, *, event_id: str | None = None) -> None:
        super().__init__("internal-invariant", message, event_id=event_id)
