"""Compliance lint: read a plan against a legal profile before it goes live.

Turns a plan (and, optionally, figures observed on a ledger) into findings: which
check fired, at which plan path, how serious it is, what in the plan triggers it,
how to fix it, and the legal text or rule it rests on.  The rules themselves live
in profiles, TOML data files that a user can copy and change; four are shipped
(:data:`PROFILES`).  The lint reads the plan's structure only: it never evaluates
an order, and the findings are the same for the same plan, profile and figures.

>>> from socialcommerce_rules import load_plan
>>> from socialcommerce_rules.compliance import lint
>>> for finding in lint(load_plan("examples/article_scheme.toml"), "wechat-distribution"):
...     print(finding)
error: gift_packs[0].becomes: [paid-threshold] buying the gift pack 'GIFT-399' ...
error: rules[0].levels[1]: [recruiting-rebate] 'gift-pack-commission' pays ...
error: rules[1].levels[2]: [team-pay] 'sales-commission' pays ...
"""

from __future__ import annotations

from pathlib import Path

from ..plan import Plan
from ._checks import CHECK_FUNCTIONS, read_observed
from ._findings import SEVERITIES, Finding, Observed, Severity, count_by_severity, sort_findings
from ._profile import (
    CHECKS,
    PROFILES,
    CheckSettings,
    DepthSettings,
    InviteRewardSettings,
    OwnPurchasePaySettings,
    Profile,
    RecruitingRebateSettings,
    TeamPaySettings,
    TotalRateSettings,
    load_profile,
    profile_from_text,
)

__all__ = [
    "CHECKS",
    "PROFILES",
    "SEVERITIES",
    "CheckSettings",
    "DepthSettings",
    "Finding",
    "InviteRewardSettings",
    "Observed",
    "OwnPurchasePaySettings",
    "Profile",
    "RecruitingRebateSettings",
    "Severity",
    "TeamPaySettings",
    "TotalRateSettings",
    "count_by_severity",
    "lint",
    "load_profile",
    "profile_from_text",
]


def lint(
    plan: Plan,
    profile: str | Path | Profile = "cn-anti-pyramid",
    *,
    observed: Observed | None = None,
) -> list[Finding]:
    """Check ``plan`` against a profile and return the findings, sorted.

    Args:
        plan: the plan to read.
        profile: a shipped profile's name (see :data:`PROFILES`), a path to a
            profile file, or a :class:`Profile`.
        observed: figures measured on a ledger (see :class:`Observed`); checks
            with a data side then report on them too.

    Returns:
        The findings, by severity (errors first), then source, plan path, check
        and message; an empty list when the plan passes every check.

    Raises:
        ProfileError: an unknown profile name, an invalid profile file, or observed
            figures of the wrong type (paths ``observed.<figure>``).
        LimitError: a profile file that is too large or nests too deep.

    >>> from socialcommerce_rules import load_plan
    >>> plan = load_plan("examples/two_level_compliant.toml")
    >>> [lint(plan, name) for name in PROFILES]
    [[], [], [], []]
    """
    settings = load_profile(profile)
    figures = read_observed(observed) if observed is not None else None
    findings = [
        Finding(
            check=check,
            path=hit.path,
            severity=check_settings.severity,
            message=hit.message,
            fix=hit.fix,
            basis=check_settings.basis.strip(),
            profile=settings.name,
            source=hit.source,
        )
        for check, check_settings in settings.enabled()
        for hit in CHECK_FUNCTIONS[check](plan, check_settings, figures)
    ]
    return sort_findings(findings)
