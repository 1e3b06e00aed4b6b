"""What every fuzz case checks: only the library's typed errors, within a time budget."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path

from socialcommerce_rules import Plan, SocialCommerceError
from socialcommerce_rules.events import read_events

ROOT = Path(__file__).parents[2]
PLAN_TOML = (ROOT / "examples" / "article_scheme.toml").read_text(encoding="utf-8")
PLAN_JSON = json.dumps(Plan.from_toml(PLAN_TOML).model_dump(mode="json"), ensure_ascii=False)
EVENT_LINES = (
    (ROOT / "src" / "socialcommerce_rules" / "data" / "article_events.jsonl")
    .read_text(encoding="utf-8")
    .splitlines()
)

# Seconds one case may take.  Refusing a hostile input must cost no more than
# reading a valid one; the worst valid input here parses in a few milliseconds.
BUDGET_SECONDS = 1.0


def only_typed_errors(action: Callable[[], object]) -> SocialCommerceError | None:
    """Run ``action``: it may succeed or raise a library error, nothing else, in budget.

    Returns the library error raised, or None.
    """
    start = time.perf_counter()
    caught: SocialCommerceError | None = None
    try:
        action()
    except SocialCommerceError as error:
        caught = error
        str(error)  # the message itself must be printable
    elapsed = time.perf_counter() - start
    assert elapsed < BUDGET_SECONDS, f"took {elapsed:.2f} s, more than {BUDGET_SECONDS} s"
    return caught


def read_all_events(path: Path) -> list[object]:
    """Every item ``read_events`` yields; bad lines must be yielded as library errors."""
    items: list[object] = []
    for number, item in read_events(path):
        assert isinstance(number, int)
        assert isinstance(item, SocialCommerceError) or hasattr(item, "event_id"), item
        items.append(item)
    return items
