"""The windows read before the advertisers' time zones are known are the ones every zone reads."""

from __future__ import annotations

import datetime as dt
import functools

import pytest

from tap_tiktok_ads import dates
from tap_tiktok_ads.zone_free import zone_free_windows

# Every whole-hour offset from UTC-12 to UTC+14, and the zones with odd offsets at both ends.
ZONES = [
    *(f"Etc/GMT{-hours:+d}" if hours else "UTC" for hours in range(-12, 15)),
    "Asia/Kolkata",  # +5:30
    "Asia/Kathmandu",  # +5:45
    "Australia/Eucla",  # +8:45
    "Pacific/Chatham",  # +12:45 / +13:45
    "Pacific/Kiritimati",  # +14
    "Pacific/Marquesas",  # -9:30
    "America/St_Johns",  # -3:30 / -2:30
]


def windows_in(
    start_date: str, end_date: str, bookmark: str | None, zone: str
) -> list[dates.DateWindow]:
    """A daily report's 30-day windows for an advertiser in `zone` (7 days re-read)."""
    start, end = dates.days_to_read(start_date, end_date, 7, zone, bookmark)
    return list(dates.windows(start, end, 30)) if start <= end else []


PLANS = [
    ("2026-01-01", "2026-11-10", None),  # a backfill that ends before every zone's today
    ("2026-01-01", "today", None),  # up to today: the last window depends on the zone
    ("2026-01-01", "yesterday", None),
    ("today-100", "today", None),  # relative start: every window depends on the zone
    ("today-100", "today", "2026-09-15"),  # resumes at the bookmark: zone-free up to today
    ("2026-10-01", "2026-11-20", "2026-11-01"),
    ("2026-12-01", "today", None),  # nothing to read yet
]


@pytest.mark.parametrize(("start_date", "end_date", "bookmark"), PLANS)
@pytest.mark.parametrize("hour", [0, 5, 11, 13, 23])
def test_every_zone_reads_the_zone_free_windows_first(
    monkeypatch: pytest.MonkeyPatch, start_date: str, end_date: str, bookmark: str | None, hour: int
) -> None:
    now = dt.datetime(2026, 11, 20, hour, 10, tzinfo=dt.timezone.utc)
    monkeypatch.setattr(dates, "utc_now", lambda: now)
    plan = functools.partial(windows_in, start_date, end_date, bookmark)
    common, complete = zone_free_windows(plan)
    for zone in ZONES:
        read = plan(zone)
        assert read[: len(common)] == common, zone
        if complete:
            assert read == common, zone


def test_what_is_zone_free_and_what_is_not(monkeypatch: pytest.MonkeyPatch) -> None:
    now = dt.datetime(2026, 11, 20, 15, 30, tzinfo=dt.timezone.utc)
    monkeypatch.setattr(dates, "utc_now", lambda: now)

    backfill, complete = zone_free_windows(
        functools.partial(windows_in, "2026-05-01", "2026-11-18", None)
    )
    assert complete  # ends before the earliest today (2026-11-20 at UTC-12)
    assert backfill == list(dates.windows(dt.date(2026, 5, 1), dt.date(2026, 11, 18), 30))

    to_today, complete = zone_free_windows(
        functools.partial(windows_in, "2026-09-01", "today", None)
    )
    assert not complete  # today is the 20th at UTC-12, the 21st at UTC+14
    assert to_today == list(dates.windows(dt.date(2026, 9, 1), dt.date(2026, 10, 30), 30))

    relative, complete = zone_free_windows(functools.partial(windows_in, "30", "today", None))
    assert (relative, complete) == ([], False)  # its first day moves with the zone's today
