"""Properties of the date planning, for any dates, time zones, grains and lookbacks.

Driven through `ReportStream.plan`, `read_windows`, `_advance_bookmark` and `last_final_day`:
the windows cover every planned day (and so every hour) exactly once within TikTok's limits
(30 days daily, 1 day hourly, 7 days audience, whole weeks and months for period reports),
a bookmark's day is always read again, and an audience bookmark never passes a day whose
data is not final.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from tap_tiktok_ads import dates
from tap_tiktok_ads.advertisers import Advertiser
from tap_tiktok_ads.report_definitions import Granularity
from tap_tiktok_ads.streams.reports import ReportStream
from tap_tiktok_ads.tap import TapTikTokAds

if TYPE_CHECKING:
    from collections.abc import Iterator

    from tap_tiktok_ads.dates import DateWindow

# Whole-hour, half-hour and 45-minute offsets, both date-line extremes, and zones whose
# clocks jump at midnight (Havana) or by half an hour (Lord Howe).
ZONES = (
    "UTC",
    "Pacific/Kiritimati",
    "Etc/GMT+12",
    "Asia/Kathmandu",
    "America/St_Johns",
    "America/Los_Angeles",
    "Europe/Berlin",
    "America/Havana",
    "Australia/Lord_Howe",
)
STREAMS = {
    Granularity.DAY: "ad_report_daily",
    Granularity.HOUR: "ad_report_hourly",
    Granularity.WEEK: "ad_report_weekly",
    Granularity.MONTH: "ad_report_monthly",
}
AUDIENCE = "ad_audience_country_daily"
LIMITS = {"ad_report_daily": 30, "ad_report_hourly": 1, AUDIENCE: 7}  # reference 2.5
PROPERTY_SETTINGS = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)

instants = st.datetimes(min_value=dt.datetime(2024, 1, 1), max_value=dt.datetime(2027, 12, 31)).map(
    lambda moment: moment.replace(tzinfo=dt.timezone.utc)
)
days_back = st.integers(min_value=0, max_value=400)
start_settings = st.one_of(
    days_back.map(str),
    days_back.map(lambda n: f"today-{n}"),
    days_back.map(lambda n: f"yesterday-{n}"),
    st.dates(min_value=dt.date(2023, 6, 1), max_value=dt.date(2028, 1, 31)).map(str),
)
end_settings = st.one_of(
    st.sampled_from(["today", "yesterday"]),
    st.integers(min_value=0, max_value=40).map(lambda n: f"today-{n}"),
    st.dates(min_value=dt.date(2023, 6, 1), max_value=dt.date(2028, 1, 31)).map(str),
)


@pytest.fixture(scope="module")
def tap() -> TapTikTokAds:
    return TapTikTokAds(config={}, setup_mapper=False)


@contextlib.contextmanager
def clock_at(now: dt.datetime) -> Iterator[None]:
    """The tap's clock at `now` (hypothesis runs many examples per test call)."""
    original = dates.utc_now
    dates.utc_now = lambda: now
    try:
        yield
    finally:
        dates.utc_now = original


def configure(stream: ReportStream, **changes: object) -> None:
    runtime = stream.runtime
    runtime.settings = dataclasses.replace(runtime.settings, **changes)  # type: ignore[arg-type]


def covered_days(windows: list[DateWindow]) -> list[dt.date]:
    return [
        window.start + dt.timedelta(days=offset)
        for window in windows
        for offset in range(window.days)
    ]


def day_range(start: dt.date, end: dt.date) -> list[dt.date]:
    return [start + dt.timedelta(days=n) for n in range((end - start).days + 1)]


def resolved(setting: str, today: dt.date) -> dt.date:
    return dates.parse_date_setting(setting, today)


def settled_at(day: dt.date, zone: str, lookback_hours: float) -> dt.datetime:
    """When a local day's data is final: the day's end plus the lookback."""
    day_end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), ZoneInfo(zone))
    # In UTC: aware arithmetic in a zone would add wall-clock hours across DST changes.
    return day_end.astimezone(dt.timezone.utc) + dt.timedelta(hours=lookback_hours)


@PROPERTY_SETTINGS
@given(
    now=instants,
    zone=st.sampled_from(ZONES),
    name=st.sampled_from([*STREAMS.values(), AUDIENCE]),
    start_date=start_settings,
    end_date=end_settings,
    attribution_days=st.integers(min_value=0, max_value=90),
    lookback_hours=st.floats(min_value=0, max_value=168),
    bookmark_days_back=st.none() | st.integers(min_value=-1, max_value=120),
    week_start=st.sampled_from(dates.WEEKDAYS),
)
def test_windows_cover_every_planned_day_once_within_the_limits(
    tap: TapTikTokAds,
    *,
    now: dt.datetime,
    zone: str,
    name: str,
    start_date: str,
    end_date: str,
    attribution_days: int,
    lookback_hours: float,
    bookmark_days_back: int | None,
    week_start: str,
) -> None:
    stream = tap.streams[name]
    assert isinstance(stream, ReportStream)
    with clock_at(now):
        today = dates.local_today(zone)
        assume(resolved(start_date, today) <= resolved(end_date, today))  # else a config error
        configure(
            stream,
            start_date=start_date,
            end_date=end_date,
            attribution_window_days=attribution_days,
            audience_lookback_hours=lookback_hours,
            week_start_day=week_start,
        )
        bookmark = None
        if bookmark_days_back is not None:
            bookmark = (today - dt.timedelta(days=bookmark_days_back)).isoformat()
        plan = stream.plan(Advertiser("1", zone), bookmark)
        windows = list(stream.read_windows(plan))

    assert plan.end <= today  # no day that has not begun
    if plan.start > plan.end:
        assert windows == []
        return
    granularity = stream.definition.granularity
    if granularity.is_period:
        assert covered_days(windows) == day_range(windows[0].start, windows[-1].end)
        assert windows[0].start <= plan.start
        assert windows[-1].end >= plan.end
        assert windows[-1].start <= plan.end
        for window in windows:
            if granularity is Granularity.WEEK:
                assert window.days == 7
                assert dates.WEEKDAYS[window.start.weekday()] == week_start
            else:
                assert window.start.day == 1
                assert (window.end + dt.timedelta(days=1)).day == 1
    else:
        # Every day (and so, for hourly reports, every hour) exactly once, in order.
        assert covered_days(windows) == day_range(plan.start, plan.end)
        assert all(1 <= window.days <= LIMITS[name] for window in windows)
    if bookmark is not None and not granularity.is_period:
        # The bookmark's day and the attribution window before it are read again; an
        # absolute `start_date` is a floor.
        bound = dt.date.fromisoformat(bookmark) - dt.timedelta(days=attribution_days)
        if "-" in start_date and start_date[:1].isdigit():
            bound = max(bound, resolved(start_date, today))
        assert plan.start <= bound


@PROPERTY_SETTINGS
@given(
    now=instants,
    zone=st.sampled_from(ZONES),
    lookback_hours=st.floats(min_value=0, max_value=168),
)
def test_last_final_day_is_the_newest_day_whose_data_has_settled(
    now: dt.datetime, zone: str, lookback_hours: float
) -> None:
    with clock_at(now):
        final = dates.last_final_day(zone, lookback_hours)

    assert settled_at(final, zone, lookback_hours) <= now
    assert settled_at(final + dt.timedelta(days=1), zone, lookback_hours) > now


@PROPERTY_SETTINGS
@given(
    now=instants,
    zone=st.sampled_from(ZONES),
    start_days_back=st.integers(min_value=0, max_value=45),
    lookback_hours=st.floats(min_value=0, max_value=168),
    attribution_days=st.integers(min_value=0, max_value=30),
    name=st.sampled_from([AUDIENCE, "ad_report_daily", "ad_report_hourly"]),
)
def test_bookmarks_never_pass_a_day_that_is_read_again_too_late(
    tap: TapTikTokAds,
    *,
    now: dt.datetime,
    zone: str,
    start_days_back: int,
    lookback_hours: float,
    attribution_days: int,
    name: str,
) -> None:
    """Audience bookmarks stop at the last final day; every bookmark's day is read again."""
    stream = tap.streams[name]
    assert isinstance(stream, ReportStream)
    context = {"advertiser_id": "1"}
    stream.tap_state.get("bookmarks", {}).pop(stream.name, None)  # each example from scratch
    with clock_at(now):
        configure(
            stream,
            start_date=f"today-{start_days_back}",
            end_date="today",
            audience_lookback_hours=lookback_hours,
            attribution_window_days=attribution_days,
        )
        plan = stream.plan(Advertiser(context["advertiser_id"], zone), None)
        final = dates.last_final_day(zone, lookback_hours)
        previous = None
        for window in stream.read_windows(plan):
            stream._advance_bookmark(context, window, plan)
            value = stream.get_context_state(context).get("replication_key_value")
            if value is None:
                continue
            day = dates.day_of(value)
            assert day <= window.end  # never past the data read
            if name == AUDIENCE:
                assert day <= final  # never past a day whose data is not final
            assert previous is None or value >= previous  # never backwards
            previous = value
        if previous is not None:
            resumed = stream.plan(Advertiser(context["advertiser_id"], zone), previous)
            # The next run reads the bookmark's own day again (and every later one).
            assert resumed.start <= dates.day_of(previous)


@PROPERTY_SETTINGS
@given(
    now=instants,
    zone=st.sampled_from(ZONES),
    lookback_hours=st.floats(min_value=0, max_value=168),
    attribution_days=st.integers(min_value=0, max_value=30),
    bookmark_days_back=st.integers(min_value=-1, max_value=60),
)
# Havana's clocks go back at 01:00 to midnight: Nov 1, 2026 begins at 04:00 UTC, when Oct 31's
# data (final at 04:30 UTC) is not; its second midnight (05:00 UTC) is too late a start.
@example(
    now=dt.datetime(2026, 11, 5, 12, tzinfo=dt.timezone.utc),
    zone="America/Havana",
    lookback_hours=0.5,
    attribution_days=0,
    bookmark_days_back=4,
)
def test_an_unmarked_bookmark_is_read_from_the_first_day_that_was_not_final_on_its_day(
    tap: TapTikTokAds,
    *,
    now: dt.datetime,
    zone: str,
    lookback_hours: float,
    attribution_days: int,
    bookmark_days_back: int,
) -> None:
    """An older version wrote its bookmark on the bookmark's day at the earliest, maybe past
    days not final then: the read starts at the first of them, or earlier if the attribution
    window does; a bookmark marked final reads from itself less the window, as before."""
    stream = tap.streams[AUDIENCE]
    assert isinstance(stream, ReportStream)
    with clock_at(now):
        configure(
            stream,
            start_date="today-90",
            end_date="today",
            audience_lookback_hours=lookback_hours,
            attribution_window_days=attribution_days,
        )
        today = now.astimezone(ZoneInfo(zone)).date()
        day = today - dt.timedelta(days=bookmark_days_back)
        unmarked = stream.plan(Advertiser("1", zone), day.isoformat())
        marked = stream.plan(Advertiser("1", zone), day.isoformat(), final=True)

    final_now = today
    while settled_at(final_now, zone, lookback_hours) > now:
        final_now -= dt.timedelta(days=1)
    written_at = dt.datetime.combine(day, dt.time(), ZoneInfo(zone))  # its day's first moment
    first_not_final = day
    while settled_at(first_not_final - dt.timedelta(days=1), zone, lookback_hours) > written_at:
        first_not_final -= dt.timedelta(days=1)
    assert marked.start == min(day, final_now) - dt.timedelta(days=attribution_days)
    assert unmarked.start == min(marked.start, first_not_final)
