"""Dates: relative config dates, advertiser time zones, report windows and finality.

TikTok reads `start_date`/`end_date` in the ad account's time zone (reference section 5), so
every calendar computation here takes the advertiser's zone; the clock is `utc_now`, which
tests replace to run the tap at a chosen moment.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import pendulum

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

_RELATIVE = re.compile(r"^(today|yesterday)(?:\s*-\s*(\d+))?$")
_DAYS_BACK = re.compile(r"^\d+$")

DATE_FORMAT_HELP = "YYYY-MM-DD, 'today', 'yesterday', 'today-N' or a number N of days back"


def utc_now() -> dt.datetime:
    """The current time (aware, UTC). Tests patch this to freeze the clock."""
    return dt.datetime.now(dt.timezone.utc)


def local_now(timezone: str, at: dt.datetime | None = None) -> dt.datetime:
    """The wall-clock time in an advertiser's time zone, now or at the aware moment `at`."""
    return pendulum.instance(utc_now() if at is None else at).in_timezone(timezone)


def day_start(day: dt.date, timezone: str) -> dt.datetime:
    """The moment a local day begins in an advertiser's time zone, in UTC.

    Its first midnight where the clocks go back over one (`fold=0`), the end of the gap where
    they skip it: the earliest moment whose local date is `day`.
    """
    return dt.datetime.combine(day, dt.time(), ZoneInfo(timezone)).astimezone(dt.timezone.utc)


def local_today(timezone: str) -> dt.date:
    """Today's calendar date in an advertiser's time zone."""
    return local_now(timezone).date()


def is_valid_timezone(timezone: str) -> bool:
    """Whether pendulum knows the zone name (TikTok sends IANA names, incl. `Etc/GMT+8`)."""
    try:
        pendulum.timezone(timezone)
    except (pendulum.tz.exceptions.InvalidTimezone, ValueError):  # type: ignore[attr-defined]
        return False
    return True


class DateSettingError(ValueError):
    """A date setting that cannot be understood."""


def parse_date_setting(value: str, today: dt.date) -> dt.date:
    """Resolve a `start_date`/`end_date` value against `today` (the advertiser's today).

    Accepts `YYYY-MM-DD`, `today`, `yesterday`, `today-N`, `yesterday-N` and `N` (N days back).
    """
    text = str(value).strip().lower()
    if _DAYS_BACK.match(text):
        return today - dt.timedelta(days=int(text))
    relative = _RELATIVE.match(text)
    if relative:
        base = today if relative.group(1) == "today" else today - dt.timedelta(days=1)
        return base - dt.timedelta(days=int(relative.group(2) or 0))
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        msg = f"'{value}' is not a date; use {DATE_FORMAT_HELP}"
        raise DateSettingError(msg) from None


def is_absolute_date_setting(value: str) -> bool:
    """Whether a date setting is a calendar date rather than relative to today."""
    try:
        dt.date.fromisoformat(str(value).strip())
    except ValueError:
        return False
    return True


def first_day_to_read(start_date: str, today: dt.date, resume_day: dt.date | None) -> dt.date:
    """The first day a run reads: `start_date` on a first run, else the day it resumes from.

    `resume_day` is the bookmark minus the days every run reads again. A relative
    `start_date` moves with the calendar: as a floor it would make a run after a pause longer
    than it skip every day since the bookmark. An absolute `start_date` stays a floor.
    """
    start = parse_date_setting(start_date, today)
    if resume_day is None:
        return start
    return max(resume_day, start) if is_absolute_date_setting(start_date) else resume_day


def days_to_read(
    start_date: str,
    end_date: str,
    attribution_window_days: int,
    timezone: str,
    bookmark: str | None,
) -> tuple[dt.date, dt.date]:
    """A daily report's first and last local day on this run.

    With a bookmark, from `attribution_window_days` before it (late conversions); without, from
    `start_date`. To `end_date`, never past the account's today.
    """
    today = local_now(timezone).date()
    resume_day = None
    if bookmark:
        resume_day = day_of(bookmark) - dt.timedelta(days=attribution_window_days)
    start = first_day_to_read(start_date, today, resume_day)
    return start, min(parse_date_setting(end_date, today), today)


def parse_tiktok_time(value: Any) -> dt.datetime | None:  # noqa: ANN401
    """TikTok's `YYYY-MM-DD HH:MM:SS` (UTC) or an ISO timestamp; None when absent or bad."""
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        moment = dt.datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.timezone.utc)


@dataclass(frozen=True)
class DateWindow:
    """An inclusive range of local calendar days sent as one report request."""

    start: dt.date
    end: dt.date

    @property
    def days(self) -> int:
        """How many days the window covers (both ends included)."""
        return (self.end - self.start).days + 1


def halves(window: DateWindow) -> tuple[DateWindow, DateWindow]:
    """The two halves of a window of two days or more, the first one the shorter."""
    middle = window.start + dt.timedelta(days=window.days // 2)
    return DateWindow(window.start, middle - dt.timedelta(days=1)), DateWindow(middle, window.end)


def windows(start: dt.date, end: dt.date, max_days: int) -> Iterator[DateWindow]:
    """Consecutive windows of at most `max_days` days covering start..end exactly once."""
    if max_days < 1:
        msg = f"max_days must be at least 1, not {max_days}"
        raise ValueError(msg)
    current = start
    step = dt.timedelta(days=max_days - 1)
    while current <= end:
        window_end = min(current + step, end)
        yield DateWindow(current, window_end)
        current = window_end + dt.timedelta(days=1)


WEEKDAYS = ("MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY", "SUNDAY")


def week_periods(start: dt.date, end: dt.date, week_start_day: str) -> Iterator[DateWindow]:
    """Whole weeks (starting on `week_start_day`) that overlap start..end."""
    offset = (start.weekday() - WEEKDAYS.index(week_start_day)) % 7
    current = start - dt.timedelta(days=offset)
    while current <= end:
        yield DateWindow(current, current + dt.timedelta(days=6))
        current += dt.timedelta(days=7)


def month_periods(start: dt.date, end: dt.date) -> Iterator[DateWindow]:
    """Whole calendar months that overlap start..end."""
    current = start.replace(day=1)
    while current <= end:
        following = (current.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
        yield DateWindow(current, following - dt.timedelta(days=1))
        current = following


DAILY_FIX_UTC_HOUR = 12  # TikTok revises real-time data daily at 12:00 UTC (Doc 1738864894606337)
# "Real-time" in TikTok's latency table (Doc 1738864894606337): 30 min, then the daily fix.
REAL_TIME_LATENCY_HOURS = 0.5


def fix_hour_for(latency_hours: float) -> int | None:
    """The UTC hour of the daily fix that revises data this fast, none for slower data.

    Doc 1738864894606337: TikTok's daily fix revises its real-time data (30 min latency);
    data that takes hours (reach: 16 h) is final once its latency has passed.
    """
    return DAILY_FIX_UTC_HOUR if latency_hours < 1 else None


def last_final_real_time_day(timezone: str, at: dt.datetime | None = None) -> dt.date:
    """The last final day of real-time data now (or at `at`): 30 minutes, then the next fix."""
    return last_final_day(
        timezone,
        REAL_TIME_LATENCY_HOURS,
        daily_fix_utc_hour=fix_hour_for(REAL_TIME_LATENCY_HOURS),
        at=at,
    )


def resume_day(
    bookmark_day: dt.date,
    last_final: Callable[[dt.datetime | None], dt.date],
    timezone: str,
    attribution_window_days: int,
    *,
    final: bool,
) -> dt.date:
    """The day a dated read resumes from as if its bookmark were there, before its window.

    `last_final(at)` is the stream's last final day at `at` (None: now). A bookmark past the
    last final day now (an older version's, or one written before the stream's finality grew)
    cannot move back, so the read starts as if it had stopped there. A bookmark the state does
    not mark `final` (`bookmarks.is_final_bookmark`: an older version's, whose bookmarks went
    up to today) was written on its own day at the earliest, when the days from the one after
    that moment's last final day on might not have been final: the read starts there too,
    unless the attribution window already does (that day plus the window is returned). That is
    the day before the bookmark for TikTok's latencies (under a day), more for long
    `audience_lookback_hours`. Weekly and monthly bookmarks (a period's start) so read the
    period before theirs again; hourly ones go by their day, as reads are of whole days (the
    hour before would read nothing more). Once: the next bookmark written is marked.
    """
    day = min(bookmark_day, last_final(None))
    if not final:
        settled = last_final(day_start(bookmark_day, timezone))
        day = min(day, settled + dt.timedelta(days=1 + attribution_window_days))
    return day


def last_final_day(
    timezone: str,
    lookback_hours: float,
    *,
    daily_fix_utc_hour: int | None = None,
    at: dt.datetime | None = None,
) -> dt.date:
    """The latest local day whose data is final now (or at `at`): its end plus lookback passed.

    A day D ends at midnight local time, so D is final once now >= D + 1 day + lookback.
    Real-time data is also revised by TikTok's daily fix at `daily_fix_utc_hour` UTC (Doc
    1738864894606337: 12:00 UTC); with it, D is final only after the first fix after D ended.
    """
    now = local_now(timezone, at)
    day = (now - dt.timedelta(hours=lookback_hours)).date() - dt.timedelta(days=1)
    if daily_fix_utc_hour is None:
        return day
    while _first_fix_after(day, timezone, daily_fix_utc_hour) > now:
        day -= dt.timedelta(days=1)
    return day


def _first_fix_after(day: dt.date, timezone: str, fix_utc_hour: int) -> pendulum.DateTime:
    """The first daily data fix (at `fix_utc_hour` UTC) after the local day `day` ends."""
    end = pendulum.datetime(day.year, day.month, day.day, tz=timezone).add(days=1).in_tz("UTC")
    fix = end.replace(hour=fix_utc_hour, minute=0, second=0, microsecond=0)
    return fix if fix >= end else fix.add(days=1)


def format_day(day: dt.date) -> str:
    """A local day as records carry `stat_time_day`: an ISO date (`YYYY-MM-DD`)."""
    return day.isoformat()


def format_hour(day: dt.date, hour: int, timezone: str) -> str:
    """A local hour as records carry `stat_time_hour`: RFC 3339 with the account's offset."""
    local = pendulum.datetime(day.year, day.month, day.day, hour, tz=timezone)
    return local.isoformat()


def local_hour_value(tiktok_value: str, timezone: str) -> str:
    """TikTok's `YYYY-MM-DD HH:MM:SS` (account-local, no offset) as RFC 3339 with the offset.

    Without the offset, warehouses read TikTok's value as UTC and shift every hour.
    """
    day = dt.date.fromisoformat(tiktok_value[:10])
    return format_hour(day, int(tiktok_value[11:13]), timezone)


def day_of(time_value: str) -> dt.date:
    """The calendar day of a `stat_time_*` value or a bookmark (`YYYY-MM-DD[ HH:MM:SS]`)."""
    return dt.date.fromisoformat(str(time_value)[:10])
