"""What the lint reports: findings, their severities and order, and observed figures.

A :class:`Finding` is an immutable value naming the check, the plan path it
concerns, its severity, what in the plan (or in the observed figures) triggers
it, how to fix it and the legal text or rule it rests on.  :class:`Observed` is
the shape of the figures measured on a ledger that the data side of some checks
reads.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal, Protocol

__all__ = ["SEVERITIES", "Finding", "Observed", "Severity", "count_by_severity", "sort_findings"]

Severity = Literal["error", "warning", "info"]
"""How serious a finding is: ``error`` (the plan crosses the line), ``warning``
(it may, depending on how it is run) or ``info`` (worth knowing)."""

SEVERITIES: tuple[Severity, ...] = ("error", "warning", "info")
"""The severities, most serious first; findings are sorted in this order."""

_PATH_PART = re.compile(r"\[(\d+)\]|([^.\[\]]+)")


class Observed(Protocol):
    """Figures measured on a ledger (a real or simulated event stream).

    Any object with these attributes will do; the ledger metrics produce one.

    Attributes:
        money_depth: the deepest level above the buyer at which money was
            actually paid (0: only buyers' own purchases earned money).
        tree_depth: levels of the referral tree that took part, counting the
            top participant's own level.
        participants: how many participants took part.
        participants_per_level: participants by tree level (1 is the top).
        recruitment_share: share of money payouts triggered by recruitment
            (gift packs, invites), between 0 and 1.
        own_purchase_share: share of money payouts triggered by participants'
            own purchases.
        retail_share: share of money payouts triggered by retail sales to
            customers who are not participants.
    """

    @property
    def money_depth(self) -> int: ...

    @property
    def tree_depth(self) -> int: ...

    @property
    def participants(self) -> int: ...

    @property
    def participants_per_level(self) -> Mapping[int, int]: ...

    @property
    def recruitment_share(self) -> Decimal: ...

    @property
    def own_purchase_share(self) -> Decimal: ...

    @property
    def retail_share(self) -> Decimal: ...


@dataclass(frozen=True, slots=True)
class Finding:
    """One thing a profile's check found in a plan or in observed figures.

    Attributes:
        check: the check's id, such as ``team-pay``.
        path: the plan path it concerns (``rules[1].levels[2]``,
            ``gift_packs[0].goods_value``), or ``observed.<figure>`` for a
            finding on observed figures.
        severity: ``error``, ``warning`` or ``info``, as the profile sets it.
        message: what in this plan or these figures triggers it.
        fix: how to change the plan so that the check passes.
        basis: the legal text or rule the check rests on, from the profile.
        profile: the name of the profile that ran the check.
        source: ``plan`` (found in the plan) or ``observed`` (in the figures).
    """

    check: str
    path: str
    severity: Severity
    message: str
    fix: str
    basis: str
    profile: str
    source: Literal["plan", "observed"] = "plan"

    def to_dict(self) -> dict[str, str]:
        """Plain data for JSON output, keys in a fixed order."""
        return {
            "check": self.check,
            "severity": self.severity,
            "path": self.path,
            "source": self.source,
            "message": self.message,
            "fix": self.fix,
            "basis": self.basis,
            "profile": self.profile,
        }

    def lines(self) -> tuple[str, ...]:
        """Readable text: a headline, then the fix and the basis, indented.

        >>> finding = Finding("team-pay", "rules[1].levels[2]", "error",
        ...     "pays guide 0.05 two levels up", "drop level 2", "art. 7(3)", "cn")
        >>> print("\\n".join(finding.lines()))
        error: rules[1].levels[2]: [team-pay] pays guide 0.05 two levels up
            fix: drop level 2
            basis: art. 7(3)
        """
        where = self.path or "(plan)"
        return (
            f"{self.severity}: {where}: [{self.check}] {self.message}",
            f"    fix: {self.fix}",
            f"    basis: {' '.join(self.basis.split())}",
        )

    def __str__(self) -> str:
        return self.lines()[0]


def _path_key(path: str) -> tuple[tuple[int, str, int], ...]:
    """``rules[10].levels[2]`` sorts after ``rules[2]``: indices compare as numbers."""
    return tuple(
        (1, "", int(index)) if index else (0, name, 0) for index, name in _PATH_PART.findall(path)
    )


def sort_findings(findings: Iterable[Finding]) -> list[Finding]:
    """Findings in a fixed order: by severity, source, path, check, then message."""
    return sorted(
        findings,
        key=lambda finding: (
            SEVERITIES.index(finding.severity),
            finding.source != "plan",
            _path_key(finding.path),
            finding.check,
            finding.message,
        ),
    )


def count_by_severity(findings: Iterable[Finding]) -> Mapping[Severity, int]:
    """How many findings of each severity, every severity present (maybe 0)."""
    counts: dict[Severity, int] = dict.fromkeys(SEVERITIES, 0)
    for finding in findings:
        counts[finding.severity] += 1
    return counts
