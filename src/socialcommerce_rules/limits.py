"""Hard limits: every bound the library enforces, with the reason for it.

Each limit is a plain constant so that callers can read it and tests can exercise
it at the limit and one past it.  Input beyond a limit is refused with a
:class:`~socialcommerce_rules.errors.LimitError` (or a plan/order error naming the
field) before any arithmetic runs.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Final

__all__ = [
    "AMOUNT_MAX",
    "DEPTH_MAX",
    "EVENTS_PER_BATCH_MAX",
    "EVENT_LINE_BYTES_MAX",
    "IDENTIFIER_LENGTH_MAX",
    "LEVELS_PER_RULE_MAX",
    "NUMBER_LITERAL_LENGTH_MAX",
    "ORDER_ITEMS_MAX",
    "PLAN_BYTES_MAX",
    "PLAN_NESTING_MAX",
    "PLAN_VERSIONS_MAX",
    "QUANTITY_MAX",
    "RATE_PLACES_MAX",
    "ROLES_MAX",
    "RULES_MAX",
    "SCOPE_ENTRIES_MAX",
    "SLOT_CACHE_MAX",
]

# Levels above the buyer that may ever receive anything.  Social-commerce plans keep
# money within two or three levels for legal reasons; ten leaves room for points
# schemes and audits of deeper legacy plans while bounding every upline walk.
DEPTH_MAX: Final = 10

# A plan file is a few kilobytes in practice; one mebibyte stops a hostile or
# mistaken file before the parser allocates for it.
PLAN_BYTES_MAX: Final = 1_048_576

# Plans nest tables about five deep (plan > rules > levels > rates); 32 refuses
# pathological nesting long before the parser's recursion limit.
PLAN_NESTING_MAX: Final = 32

# Real plans have a handful of rules; the cost of evaluating an order grows with
# the rule count, so it is bounded.
RULES_MAX: Final = 64

# A rule's levels run from 0 (the buyer) to DEPTH_MAX.
LEVELS_PER_RULE_MAX: Final = DEPTH_MAX + 1

# Roles are ranks such as member < maker < guide; more than 32 is a data error.
ROLES_MAX: Final = 32

# SKUs or categories listed in one scope or exclusion list.
SCOPE_ENTRIES_MAX: Final = 10_000

# Versions held by one plan set.
PLAN_VERSIONS_MAX: Final = 1_000

# Items on one order; a shop basket is far smaller, and the per-order cost is
# proportional to it.
ORDER_ITEMS_MAX: Final = 500

# Units of one SKU on one order item.
QUANTITY_MAX: Final = 1_000_000

# The largest money amount accepted anywhere (one trillion currency units).  With
# at most RATE_PLACES_MAX places in a rate, every product stays far inside the
# precision of the library's decimal context, so arithmetic is exact.
AMOUNT_MAX: Final = Decimal("1000000000000")

# Decimal places allowed in a rate ("0.0000000001").
RATE_PLACES_MAX: Final = 10

# Characters in a participant, order, SKU, store, rule or plan identifier.
IDENTIFIER_LENGTH_MAX: Final = 128

# Characters in one numeric literal in a file or string; refuses 4300-digit
# integers and "1e999999"-style spellings before they are converted.
NUMBER_LITERAL_LENGTH_MAX: Final = 40

# Chain patterns (roles and statuses from the buyer up to max_depth) whose level
# assignment a compiled plan remembers.  Three roles and three levels give a few
# hundred patterns; the bound keeps memory flat for plans with many roles.
SLOT_CACHE_MAX: Final = 65_536

# Events in one atomic batch: a batch is applied in one store transaction and
# rebuilt from the store if it fails, so it is bounded.
EVENTS_PER_BATCH_MAX: Final = 100_000

# One event as a JSON line; an order of ORDER_ITEMS_MAX items fits in far less.
EVENT_LINE_BYTES_MAX: Final = 262_144
