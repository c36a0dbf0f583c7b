"""Relative dates, windows and finality, including property-based checks of the windows."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from tap_tiktok_ads import dates
from tap_tiktok_ads.dates import DateSettingError, parse_date_setting, windows

TODAY = dt.date(2026, 3, 10)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2026-01-31", dt.date(2026, 1, 31)),
        ("today", TODAY),
        ("yesterday", dt.date(2026, 3, 9)),
        ("today-3", dt.date(2026, 3, 7)),
        ("today - 3", dt.date(2026, 3, 7)),
        ("yesterday-1", dt.date(2026, 3, 8)),
        ("30", dt.date(2026, 2, 8)),
        ("0", TODAY),
        (" Today ", TODAY),
    ],
)
def test_date_settings_resolve_against_the_given_today(value: str, expected: dt.date) -> None:
    assert parse_date_setting(value, TODAY) == expected


@pytest.mark.parametrize("value", ["2026-13-01", "tomorrow", "today+3", "-5", "3 days", ""])
def test_bad_date_settings_say_what_is_accepted(value: str) -> None:
    with pytest.raises(DateSettingError, match="today-N"):
        parse_date_setting(value, TODAY)


@given(
    start=st.dates(min_value=dt.date(2016, 9, 1), max_value=dt.date(2030, 1, 1)),
    length=st.integers(min_value=0, max_value=400),
    max_days=st.sampled_from([1, 7, 30, 365]),
)
def test_windows_cover_every_day_once_within_the_limit(
    start: dt.date, length: int, max_days: int
) -> None:
    end = start + dt.timedelta(days=length)
    covered: list[dt.date] = []
    for window in windows(start, end, max_days):
        assert 1 <= window.days <= max_days
        covered += [window.start + dt.timedelta(days=i) for i in range(window.days)]
    assert covered == [start + dt.timedelta(days=i) for i in range(length + 1)]


def test_no_windows_when_start_is_after_end() -> None:
    assert list(windows(TODAY, TODAY - dt.timedelta(days=1), 30)) == []


@given(
    now=st.datetimes(min_value=dt.datetime(2020, 1, 1), max_value=dt.datetime(2030, 1, 1)),
    timezone=st.sampled_from(
        ["UTC", "Asia/Tokyo", "America/Los_Angeles", "Etc/GMT+8", "Pacific/Kiritimati"]
    ),
    lookback=st.floats(min_value=0, max_value=168),
)
# Found by Hypothesis: 74 h after Los Angeles' Oct 31 began (PDT) is 01:00 PST on Nov 3, the
# hour the clocks fall back; wall-clock arithmetic across the change is an hour off.
@example(now=dt.datetime(2024, 11, 3, 9, 0), timezone="America/Los_Angeles", lookback=74.0)
def test_a_final_day_has_ended_plus_the_lookback(
    now: dt.datetime, timezone: str, lookback: float
) -> None:
    utc_now = now.replace(tzinfo=dt.timezone.utc)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(dates, "utc_now", lambda: utc_now)
        final = dates.last_final_day(timezone, lookback)
        local = dates.local_now(timezone)

    def end_of(day: dt.date) -> dt.datetime:  # the local midnight after it, in UTC
        midnight = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), local.tzinfo)
        return midnight.astimezone(dt.timezone.utc)

    lookback_time = dt.timedelta(hours=lookback)
    assert end_of(final) + lookback_time <= utc_now
    assert end_of(final + dt.timedelta(days=1)) + lookback_time > utc_now


def test_timezone_names_from_tiktok_are_known() -> None:
    assert dates.is_valid_timezone("Etc/GMT+8")
    assert dates.is_valid_timezone("America/Los_Angeles")
    assert not dates.is_valid_timezone("Mars/Olympus")


def test_real_time_days_are_final_only_after_the_daily_fix(monkeypatch) -> None:
    def at(hour: int) -> None:
        moment = dt.datetime(2026, 11, 20, hour, 0, tzinfo=dt.timezone.utc)
        monkeypatch.setattr(dates, "utc_now", lambda: moment)

    at(11)  # Nov 19 (UTC) ended 11 h ago, but the 12:00 UTC fix of Nov 20 has not run yet
    assert dates.last_final_day("UTC", 0.5) == dt.date(2026, 11, 19)
    assert dates.last_final_day("UTC", 0.5, daily_fix_utc_hour=12) == dt.date(2026, 11, 18)
    at(13)
    assert dates.last_final_day("UTC", 0.5, daily_fix_utc_hour=12) == dt.date(2026, 11, 19)
    at(11)  # Tokyo's Nov 19 ended at 15:00 UTC on Nov 19; its first fix is 12:00 UTC Nov 20
    assert dates.last_final_day("Asia/Tokyo", 0.5, daily_fix_utc_hour=12) == dt.date(2026, 11, 18)
