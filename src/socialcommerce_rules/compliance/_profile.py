"""Lint profiles: which checks run, with what thresholds, severity and basis.

A profile is a TOML data file that a user can copy and change.  It is read with
the library's safe TOML reader (exact numbers, no duplicate keys, bounded size and
nesting) and validated strictly: an unknown key, a missing parameter or a value
of the wrong type is refused with its path, all problems at once.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, ValidationError

from .._parse import check_nesting, parse_toml_text, read_document
from ..errors import LimitError, Problem, ProfileError
from ..limits import DEPTH_MAX, PLAN_BYTES_MAX, PLAN_NESTING_MAX
from ..plan._fields import Name, Rate
from ..plan._load import problems_from_validation

__all__ = ["PROFILES", "CheckSettings", "Profile", "load_profile", "profile_from_text"]

PROFILES: tuple[str, ...] = (
    "cn-anti-pyramid",
    "cn-direct-selling",
    "us-ftc-mlm",
    "wechat-distribution",
)
"""The names of the profiles shipped with the library."""

Text = Annotated[str, Field(min_length=1, max_length=10_000)]
Level = Annotated[StrictInt, Field(ge=0, le=DEPTH_MAX)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=False)


class CheckSettings(_Model):
    """What every check of a profile states.

    Attributes:
        enabled: ``false`` keeps the check's table in the file but does not run it.
        severity: the severity of the check's findings.
        basis: the legal text or rule the check rests on, in words.
    """

    enabled: StrictBool = True
    severity: Literal["error", "warning", "info"]
    basis: Text


class _LevelSettings(CheckSettings):
    """A check with a highest level that may be paid (0 is the buyer or newcomer)."""

    max_level: Level


class RecruitingRebateSettings(_LevelSettings):
    """``recruiting-rebate``: money paid because someone bought a gift pack.

    Attributes:
        max_level: the highest level above the buyer that may earn money on a
            gift pack (0: only the buyer, as a discount).
        max_observed_share: the largest share of observed payouts that may be
            triggered by recruitment; no data check when absent.
    """

    max_observed_share: Rate | None = None


class InviteRewardSettings(_LevelSettings):
    """``invite-reward``: points (or other benefits) per participant invited.

    Attributes:
        max_level: the highest level above the newcomer that may be rewarded.
    """


class TeamPaySettings(_LevelSettings):
    """``team-pay``: money on downline purchases beyond the direct level.

    Attributes:
        max_level: the highest level above the buyer that may earn money on a
            purchase (1: the direct upline).
    """


class OwnPurchasePaySettings(CheckSettings):
    """``own-purchase-pay``: money on a participant's own purchases.

    Attributes:
        max_observed_share: the largest share of observed payouts that may come
            from participants' own purchases; no data check when absent.
    """

    max_observed_share: Rate | None = None


class DepthSettings(CheckSettings):
    """``depth``: the organised-levels test of the 2013 opinion.

    Attributes:
        min_levels: levels (counting the organiser's own) from which the test is
            met.
        min_participants: participants from which the test is met.
    """

    min_levels: Annotated[StrictInt, Field(ge=2, le=DEPTH_MAX + 1)]
    min_participants: Annotated[StrictInt, Field(ge=1, le=1_000_000_000)]


class TotalRateSettings(CheckSettings):
    """``total-rate``: all money paid on a sale, as a share of it.

    Attributes:
        max_total_rate: the largest share of a sale that may be paid in all.
    """

    max_total_rate: Rate


class _Checks(_Model):
    recruiting_rebate: RecruitingRebateSettings | None = Field(None, alias="recruiting-rebate")
    invite_reward: InviteRewardSettings | None = Field(None, alias="invite-reward")
    entry_fee: CheckSettings | None = Field(None, alias="entry-fee")
    goods_value_undeclared: CheckSettings | None = Field(None, alias="goods-value-undeclared")
    paid_threshold: CheckSettings | None = Field(None, alias="paid-threshold")
    team_pay: TeamPaySettings | None = Field(None, alias="team-pay")
    own_purchase_pay: OwnPurchasePaySettings | None = Field(None, alias="own-purchase-pay")
    total_rate: TotalRateSettings | None = Field(None, alias="total-rate")
    depth: DepthSettings | None = None


CHECKS: tuple[str, ...] = tuple(field.alias or name for name, field in _Checks.model_fields.items())
"""Every check id a profile may configure, in the order they run."""


class Profile(_Model):
    """A lint profile: a name, a title, and the settings of the checks it runs.

    Build one with :func:`load_profile` (a shipped name or a file) or
    :func:`profile_from_text`.

    Attributes:
        name: the profile's name.
        title: one line saying which law or rule it reads.
        description: free text for people.
        checks: the settings by check id; absent checks do not run.
    """

    name: Name
    title: Text
    description: str = Field(default="", max_length=10_000)
    checks: _Checks

    def enabled(self) -> tuple[tuple[str, CheckSettings], ...]:
        """The enabled checks as ``(check id, settings)``, in run order."""
        found = []
        for name, field in _Checks.model_fields.items():
            settings = getattr(self.checks, name)
            if settings is not None and settings.enabled:
                found.append((field.alias or name, settings))
        return tuple(found)


def _profile_error(problems: list[Problem]) -> ProfileError:
    """Profile problems are reported as a :class:`ProfileError` with plan codes and paths."""
    return ProfileError(problems)


def profile_from_text(text: str) -> Profile:
    """Parse and validate a profile written in TOML.

    Raises:
        LimitError: the text is larger than PLAN_BYTES_MAX or nests too deep.
        ProfileError: every problem found, with paths such as
            ``checks.team-pay.max_level``.

    >>> profile = profile_from_text('''
    ... name = "mine"
    ... title = "One level only"
    ... [checks.team-pay]
    ... severity = "error"
    ... max_level = 1
    ... basis = "House rule: commission to the direct sharer only."
    ... ''')
    >>> [check for check, _ in profile.enabled()]
    ['team-pay']
    """
    size = len(text.encode("utf-8", errors="surrogatepass"))
    if size > PLAN_BYTES_MAX:
        raise LimitError(
            "limit-plan-bytes",
            f"the profile is {size} bytes, more than PLAN_BYTES_MAX = {PLAN_BYTES_MAX}",
        )
    data = parse_toml_text(
        text,
        nesting_max=PLAN_NESTING_MAX,
        limit_code="limit-plan-nesting",
        error=lambda kind, message, path: _profile_error([Problem(f"plan-{kind}", path, message)]),
    )
    return profile_from_data(data)


def profile_from_data(data: Any) -> Profile:
    """Validate plain data (as read from TOML) as a profile.

    Raises:
        ProfileError: every problem found, with paths.
    """
    check_nesting(data, nesting_max=PLAN_NESTING_MAX, limit_code="limit-plan-nesting")
    try:
        return Profile.model_validate(data)
    except ValidationError as error:
        raise _profile_error(problems_from_validation(error)) from None


def load_profile(profile: str | Path | Profile) -> Profile:
    """A shipped profile by name, or a profile file (``.toml``) by path.

    Args:
        profile: one of :data:`PROFILES`, a path to a TOML profile file, or a
            :class:`Profile` (returned as is).

    Raises:
        ProfileError: an unknown name, a file that is not a valid profile.
        LimitError: a file larger than PLAN_BYTES_MAX or nesting too deep.
        OSError: the file cannot be read.

    >>> load_profile("cn-anti-pyramid").checks.depth.min_levels
    3
    """
    if isinstance(profile, Profile):
        return profile
    if isinstance(profile, str) and profile in PROFILES:
        data = resources.files("socialcommerce_rules").joinpath("data", "profiles")
        return profile_from_text(data.joinpath(f"{profile}.toml").read_text(encoding="utf-8"))
    file = Path(profile)
    if file.suffix.lower() != ".toml":
        raise _profile_error(
            [
                Problem(
                    "plan-invalid-value",
                    "",
                    f"{str(profile)[:100]!r} is neither a shipped profile "
                    f"({', '.join(PROFILES)}) nor a .toml profile file",
                )
            ]
        )
    text = read_document(
        file, lambda message: _profile_error([Problem("plan-syntax", "", message)])
    )
    return profile_from_text(text)
