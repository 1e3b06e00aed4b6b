"""Two plans on the same stream, side by side: the article's scheme and a two-level variant.

Applies the bundled event stream (the article's guide -> maker -> member story: a
gift pack, orders, a partial refund, a cancellation) through
``article_scheme.toml`` (gift-pack rebate, money two levels above the buyer) and
``two_level_variant.toml`` (own purchase and direct upline only, no rebate for
recruiting), then prints the headline figures with their differences and what a
regulator would read from each ledger.  Standard library only; the same output
every run.

    python examples/compare_plans.py
"""

from __future__ import annotations

from pathlib import Path

from socialcommerce_rules import load_plan
from socialcommerce_rules.events import Event, read_events
from socialcommerce_rules.metrics import compare

HERE = Path(__file__).parent
EVENTS = HERE.parent / "src" / "socialcommerce_rules" / "data" / "article_events.jsonl"


def read_stream(path: Path) -> list[Event]:
    """The events of a JSON Lines file; a line that is not a valid event stops here."""
    events = []
    for line, event in read_events(path):
        if isinstance(event, Exception):
            raise SystemExit(f"{path}:{line}: {event}")
        events.append(event)
    return events


def main() -> None:
    plans = {
        "article": load_plan(HERE / "article_scheme.toml"),
        "two-level": load_plan(HERE / "two_level_variant.toml"),
    }
    comparison = compare(plans, read_stream(EVENTS))
    print(comparison.to_text())
    print()
    print("What a regulator reads from each ledger:")
    for name, metrics in comparison.metrics.items():
        measures = metrics.regulator
        per_level = ", ".join(
            f"level {level}: {count}" for level, count in measures.participants_per_level.items()
        )
        print(
            f"  {name:<10} money reached level {measures.money_depth} above the buyer; "
            f"tree {measures.tree_depth} levels ({per_level}); "
            f"recruitment {measures.recruitment_share}, own purchases "
            f"{measures.own_purchase_share}, retail {measures.retail_share}"
        )


if __name__ == "__main__":
    main()
