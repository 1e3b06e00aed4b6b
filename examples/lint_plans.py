"""Lint the article's plan and a compliant two-level variant under every profile.

Run from the repository root:

    python examples/lint_plans.py

Prints each plan's findings under each shipped profile: the severity, the plan
path, the check, what triggers it, how to fix it, and the basis.  Exits with 1 if
the compliant variant gets any finding or the article's plan gets none.
"""

from __future__ import annotations

import sys
from pathlib import Path

from socialcommerce_rules import load_plan
from socialcommerce_rules.compliance import PROFILES, count_by_severity, lint

HERE = Path(__file__).parent
PLANS = ("article_scheme.toml", "two_level_compliant.toml")


def main() -> int:
    counts: dict[str, int] = {}
    for file in PLANS:
        plan = load_plan(HERE / file)
        for profile in PROFILES:
            findings = lint(plan, profile)
            counts[file] = counts.get(file, 0) + len(findings)
            tally = ", ".join(
                f"{n} {severity}{'s' if severity != 'info' and n != 1 else ''}"
                for severity, n in count_by_severity(findings).items()
            )
            print(f"== {file} under {profile}: {tally}")
            for finding in findings:
                for line in finding.lines():
                    print(line)
            print()
    return 0 if counts["two_level_compliant.toml"] == 0 and counts["article_scheme.toml"] else 1


if __name__ == "__main__":
    sys.exit(main())
