"""Shared inputs for the lint tests: a base plan, observed figures, a profile writer."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from socialcommerce_rules import Plan

ROOT = Path(__file__).parents[2]
CASES = Path(__file__).parent / "cases"
SHIPPED = ROOT / "src" / "socialcommerce_rules" / "data" / "profiles"

BASE_PLAN: dict[str, Any] = {
    "id": "lint-case",
    "version": 1,
    "effective_from": "2026-01-01T00:00:00+08:00",
    "currency": "CNY",
    "max_depth": 2,
    "roles": [
        {"name": "member", "rank": 0, "earns": "points"},
        {"name": "maker", "rank": 1, "earns": "money"},
        {"name": "guide", "rank": 2, "earns": "money"},
    ],
}


def plan_with(changes: Mapping[str, Any]) -> Plan:
    """The base plan with top-level keys replaced by ``changes``."""
    data = copy.deepcopy(BASE_PLAN)
    data.update(copy.deepcopy(dict(changes)))
    return Plan.from_mapping(data)


@dataclass(frozen=True)
class Figures:
    """Observed figures as the ledger metrics report them (an ``Observed``)."""

    money_depth: int = 0
    tree_depth: int = 1
    participants: int = 1
    participants_per_level: Mapping[int, int] = field(default_factory=lambda: {1: 1})
    recruitment_share: Decimal = Decimal(0)
    own_purchase_share: Decimal = Decimal(0)
    retail_share: Decimal = Decimal(1)


def figures_from(data: Mapping[str, Any]) -> Figures:
    """Figures from a case file: shares as decimal strings, levels as string keys."""
    values: dict[str, Any] = {}
    for key, value in data.items():
        if key.endswith("_share"):
            values[key] = Decimal(value)
        elif key == "participants_per_level":
            values[key] = {int(level): count for level, count in value.items()}
        else:
            values[key] = value
    return Figures(**values)
