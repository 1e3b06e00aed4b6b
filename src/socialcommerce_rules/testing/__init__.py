"""Tools to audit a plan: strategies, invariant checkers, a state machine, ``audit``.

Requires hypothesis (``pip install socialcommerce_rules[testing]``); nothing else in
the library imports this package.  See ``docs/auditing.md``.
"""

from ._audit import AuditReport, audit
from ._checks import INVARIANTS, Violation, check_invariants
from ._machine import plan_machine
from ._strategies import (
    event_streams,
    invalid_plans,
    orders,
    plan_mappings,
    plans,
    referral_trees,
)

__all__ = [
    "INVARIANTS",
    "AuditReport",
    "Violation",
    "audit",
    "check_invariants",
    "event_streams",
    "invalid_plans",
    "orders",
    "plan_machine",
    "plan_mappings",
    "plans",
    "referral_trees",
]
