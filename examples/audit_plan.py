"""Audit the bundled guide -> maker -> member plan and print what was checked.

The auditor's state machine generates referral graphs and event streams for the
plan, drives a book with them and checks every invariant after every event.

    python examples/audit_plan.py
"""

from __future__ import annotations

import sys
from pathlib import Path

from socialcommerce_rules import load_plan
from socialcommerce_rules.testing import audit


def main() -> int:
    plan = load_plan(Path(__file__).with_name("article_scheme.toml"))
    report = audit(plan, examples=30, seed=0)
    print("\n".join(report.summary()))
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
