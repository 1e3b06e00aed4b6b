"""Times as text: ``utc_text`` gives the instant in UTC whatever the zone it comes in."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from socialcommerce_rules._time import format_instant, to_instant, utc_text

ZONES = [
    UTC,
    timezone(timedelta(0)),
    ZoneInfo("UTC"),
    ZoneInfo("Europe/London"),  # zero offset in winter, one hour in summer
    ZoneInfo("Asia/Shanghai"),
    timezone(timedelta(hours=-3, minutes=-30)),
]


@given(
    when=st.datetimes(
        min_value=datetime(1970, 1, 2),
        max_value=datetime(9998, 12, 30),
        timezones=st.sampled_from(ZONES),
    )
)
def test_utc_text_is_the_instant_formatted_in_utc(when: datetime) -> None:
    """Whatever the zone (a zero offset takes a shorter path), the text is that of the
    instant: the same as formatting it from microseconds since the epoch."""
    assert utc_text(when) == format_instant(to_instant(when))


@pytest.mark.parametrize(
    ("when", "text"),
    [
        (datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC), "2026-01-02T03:04:05Z"),
        (datetime(2026, 1, 2, 3, 4, 5, 60, tzinfo=UTC), "2026-01-02T03:04:05.000060Z"),
        (datetime(2026, 1, 2, 3, 4, 5, tzinfo=ZoneInfo("Asia/Shanghai")), "2026-01-01T19:04:05Z"),
    ],
)
def test_utc_text_examples(when: datetime, text: str) -> None:
    assert utc_text(when) == text


def test_utc_text_refuses_a_naive_time() -> None:
    with pytest.raises(ValueError, match="no time zone"):
        utc_text(datetime(2026, 1, 2))
