"""Weekly and monthly reports: one query per period, so reach is TikTok's own period figure."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

import pytest

from tap_tiktok_ads import dates
from tests.conftest import NOW, run_tap, tap_config
from tests.fake_api import DataSpec, FakeData, FakeTikTokApi
from tests.truth import REPORTS, by_key, expected_record

if TYPE_CHECKING:
    from collections.abc import Iterator

SELECTED = ["spend", "impressions", "reach", "frequency", "cost_per_1000_reached"]
REPORT_PATH = "report/integrated/get/"


def period_truth(data: FakeData, stream: str, periods: dict[str, list[tuple]], now) -> list[dict]:
    """The fake's rows for each (advertiser, period), queried exactly like the tap should."""
    definition = REPORTS[stream]
    records = []
    for advertiser_id, spans in periods.items():
        for start, end in spans:
            rows = data.report_rows(
                advertiser_id,
                definition.report_type,
                definition.level,
                definition.dimensions,
                SELECTED,
                start=start,
                end=end,
                now=now,
            )
            records += [
                expected_record(
                    advertiser_id,
                    row,
                    SELECTED,
                    definition.dimensions,
                    data.timezone(advertiser_id),
                )
                | {"period_start": start.isoformat(), "period_end": end.isoformat()}
                for row in rows
            ]
    return records


def requested_periods(api: FakeTikTokApi) -> dict[str, list[tuple]]:
    periods: dict[str, list[tuple]] = {}
    for request in api.requests:
        if request.path.endswith(REPORT_PATH):
            span = (
                dt.date.fromisoformat(request.params["start_date"]),
                dt.date.fromisoformat(request.params["end_date"]),
            )
            periods.setdefault(request.params["advertiser_id"], []).append(span)
    return periods


@pytest.mark.usefixtures("frozen_now")
@pytest.mark.parametrize("week_start_day", ["MONDAY", "SUNDAY"])
def test_weekly_rows_are_the_fake_period_truth(fake_api, fake_data, week_start_day: str) -> None:
    stream = "campaign_report_weekly"
    config = tap_config(fake_api, start_date="2026-10-20", week_start_day=week_start_day)
    result = run_tap(
        config, streams={stream: ["campaign_id", "period_start", "period_end", *SELECTED]}
    )
    periods = requested_periods(fake_api)
    weekday = dates.WEEKDAYS.index(week_start_day)
    for spans in periods.values():
        assert len(spans) == len(set(spans))
        for start, end in spans:
            assert start.weekday() == weekday
            assert (end - start).days == 6
        covered = sorted(spans)
        assert covered[0][0] <= dt.date(2026, 10, 20) <= covered[0][1]
        assert covered[-1][0] <= dt.date(2026, 11, 20) <= covered[-1][1] + dt.timedelta(days=1)
    for request in fake_api.requests:
        if request.path.endswith(REPORT_PATH):
            assert not {"stat_time_day", "stat_time_hour"} & set(request.params["dimensions"])
    keys = REPORTS[stream].key_properties
    assert keys == ["advertiser_id", "campaign_id", "period_start", "period_end"]
    expected = period_truth(fake_data, stream, periods, NOW)
    assert len(result.records[stream]) == len(expected) > 0
    assert by_key(result.records[stream], keys) == by_key(expected, keys)


@pytest.mark.usefixtures("frozen_now")
def test_period_reach_is_not_a_sum_of_daily_reach(fake_api) -> None:
    config = tap_config(fake_api, start_date="2026-11-01", end_date="2026-11-20")
    result = run_tap(
        config,
        streams={
            "advertiser_report_monthly": ["period_start", "reach", "impressions"],
            "advertiser_report_daily": ["stat_time_day", "reach", "impressions"],
        },
    )
    for monthly in result.records["advertiser_report_monthly"]:
        if monthly["period_start"] != "2026-11-01":
            continue
        days = [
            r
            for r in result.records["advertiser_report_daily"]
            if r["advertiser_id"] == monthly["advertiser_id"]
        ]
        assert monthly["impressions"] == sum(d["impressions"] for d in days)
        # Unique people over the month: at least the best day, fewer than the days summed.
        assert max(d["reach"] for d in days) <= monthly["reach"] < sum(d["reach"] for d in days)


@pytest.fixture
def year_end_api(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeTikTokApi]:
    now = dt.datetime(2027, 1, 10, 12, tzinfo=dt.timezone.utc)
    monkeypatch.setattr(dates, "utc_now", lambda: now)
    data = FakeData(
        DataSpec(
            advertisers=2,
            campaigns_per_advertiser=1,
            adgroups_per_campaign=1,
            ads_per_adgroup=2,
            first_day=dt.date(2026, 11, 1),
            last_day=dt.date(2027, 2, 28),
            timezones=("Pacific/Auckland", "America/Los_Angeles"),
        )
    )
    with FakeTikTokApi(data, clock=lambda: now) as api:
        yield api


def test_periods_cross_month_and_year_ends_in_zones_ahead_of_and_behind_utc(
    year_end_api: FakeTikTokApi,
) -> None:
    api = year_end_api
    config = tap_config(api, start_date="2026-11-25", end_date="today")
    result = run_tap(
        config,
        streams={
            "ad_report_monthly": ["ad_id", "period_start", "period_end", *SELECTED],
            "ad_report_weekly": ["ad_id", "period_start", "period_end", *SELECTED],
        },
    )
    monthly = {(r["period_start"], r["period_end"]) for r in result.records["ad_report_monthly"]}
    assert ("2026-12-01", "2026-12-31") in monthly
    assert ("2027-01-01", "2027-01-31") in monthly
    weekly = {(r["period_start"], r["period_end"]) for r in result.records["ad_report_weekly"]}
    assert ("2026-12-28", "2027-01-03") in weekly
    now = dt.datetime(2027, 1, 10, 12, tzinfo=dt.timezone.utc)
    for stream in ("ad_report_monthly", "ad_report_weekly"):
        periods: dict[str, list[tuple]] = {}
        for record in result.records[stream]:
            span = (
                dt.date.fromisoformat(record["period_start"]),
                dt.date.fromisoformat(record["period_end"]),
            )
            spans = periods.setdefault(record["advertiser_id"], [])
            if span not in spans:
                spans.append(span)
        keys = REPORTS[stream].key_properties
        assert by_key(result.records[stream], keys) == by_key(
            period_truth(api.data, stream, periods, now), keys
        )


def test_a_second_run_rereads_the_current_period_and_the_attribution_window(
    fake_api, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(dates, "utc_now", lambda: NOW)
    stream = "adgroup_report_weekly"
    config = tap_config(
        fake_api, start_date="2026-09-07", end_date="today", attribution_window_days=10
    )
    first = run_tap(config, streams={stream: ["adgroup_id", "period_start", *SELECTED]})
    bookmarks = {
        p["context"]["advertiser_id"]: p["replication_key_value"]
        for p in first.state["bookmarks"][stream]["partitions"]
    }
    # The bookmark is the start of the current (incomplete) week of each advertiser.
    for advertiser, bookmark in bookmarks.items():
        local_today = fake_api.data.local_today(advertiser, NOW)
        start = dt.date.fromisoformat(bookmark)
        assert start <= local_today <= start + dt.timedelta(days=6)
    fake_api.log.clear()
    run_tap(config, streams={stream: ["adgroup_id", "period_start", *SELECTED]}, state=first.state)
    for advertiser, spans in requested_periods(fake_api).items():
        current = dt.date.fromisoformat(bookmarks[advertiser])
        earliest_touched = current - dt.timedelta(days=10)
        assert min(start for start, _ in spans) <= earliest_touched
        assert min(start for start, _ in spans) > earliest_touched - dt.timedelta(days=7)
        assert max(start for start, _ in spans) == current
        assert len(spans) == 3  # the current week and the two the 10 days before it touch
