"""Audience reports: late data is read again until final, and no day is ever skipped."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

import pytest

from tap_tiktok_ads import dates
from tap_tiktok_ads.metrics import METRICS, ReportType
from tap_tiktok_ads.tap import TapTikTokAds
from tests.conftest import run_tap, tap_config
from tests.fake_api import FakeTikTokApi
from tests.reliability import resume_points
from tests.truth import REPORTS, by_key, expected_report_records

if TYPE_CHECKING:
    from collections.abc import Iterator

    from tests.fake_api import FakeData

STREAM = "ad_audience_age_gender_daily"
SELECTED = ["spend", "impressions", "clicks", "conversion"]
UTC = dt.timezone.utc


class Clock:
    """One clock for the tap and the fake API, moved by the test."""

    def __init__(self, now: dt.datetime) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    shared = Clock(dt.datetime(2026, 11, 20, 3, 0, tzinfo=UTC))
    monkeypatch.setattr(dates, "utc_now", shared)
    return shared


@pytest.fixture
def api(fake_data: FakeData, clock: Clock) -> Iterator[FakeTikTokApi]:
    with FakeTikTokApi(fake_data, clock=clock) as server:
        yield server


def audience_config(api: FakeTikTokApi, **overrides: object) -> dict:
    settings: dict = {
        "start_date": "2026-11-10",
        "end_date": "today",
        "attribution_window_days": 0,
        "audience_lookback_hours": 12,
    }
    return tap_config(api, **(settings | overrides))


def streams() -> dict:
    return {STREAM: ["ad_id", "stat_time_day", "age", "gender", *SELECTED]}


def final_truth(data: FakeData, end: dt.date, now: dt.datetime) -> dict:
    records = expected_report_records(
        data, STREAM, SELECTED, start=dt.date(2026, 11, 10), end=end, now=now
    )
    return by_key(records, REPORTS[STREAM].key_properties)


def test_schema_offers_no_metric_that_audience_reports_reject() -> None:
    definition = REPORTS[STREAM]
    assert definition.report_type is ReportType.AUDIENCE
    names = {m.name for m in definition.metrics}
    assert not {"reach", "frequency", "cost_per_1000_reached", "app_install"} & names
    assert all(definition.shape.accepts(METRICS[name]) for name in names)


def test_every_metric_selected_never_gets_a_40002(api: FakeTikTokApi, clock: Clock) -> None:
    definition = REPORTS[STREAM]
    every = [m.name for m in definition.metrics]
    run_tap(
        audience_config(api, start_date="2026-11-18"),
        streams={STREAM: ["ad_id", "stat_time_day", "age", "gender", *every]},
    )
    assert api.count(code=40002) == 0
    assert api.count("report/integrated/get/") > 0


def test_late_days_are_read_again_until_final(
    api: FakeTikTokApi, clock: Clock, fake_data: FakeData
) -> None:
    config = audience_config(api)
    first = run_tap(config, streams=streams())
    first_rows = by_key(first.records[STREAM], REPORTS[STREAM].key_properties)

    # Bookmarks never pass the last final day of each advertiser's time zone.
    for partition in first.state["bookmarks"][STREAM]["partitions"]:
        advertiser = partition["context"]["advertiser_id"]
        timezone = fake_data.advertiser(advertiser)["timezone"]
        assert partition["replication_key_value"][:10] <= str(dates.last_final_day(timezone, 12))

    # Two days later every day read before is final; the merged result is the final truth.
    clock.now = dt.datetime(2026, 11, 22, 3, 0, tzinfo=UTC)
    second = run_tap(config, streams=streams(), state=first.state)
    merged = {**first_rows, **by_key(second.records[STREAM], REPORTS[STREAM].key_properties)}
    truth = final_truth(fake_data, dt.date(2026, 11, 20), clock.now)
    merged_through = {
        key: row for key, row in merged.items() if row["stat_time_day"][:10] <= "2026-11-20"
    }
    assert merged_through == truth
    # The first run saw some days before they were final: it really read partial data.
    stale = [key for key, row in first_rows.items() if truth.get(key) != row]
    assert stale


def test_a_second_run_rereads_from_the_first_non_final_day_only(
    api: FakeTikTokApi, clock: Clock, fake_data: FakeData
) -> None:
    config = audience_config(api)
    first = run_tap(config, streams=streams())
    bookmarks = {
        p["context"]["advertiser_id"]: dt.date.fromisoformat(p["replication_key_value"][:10])
        for p in first.state["bookmarks"][STREAM]["partitions"]
    }
    api.log.clear()
    clock.now = clock.now + dt.timedelta(hours=6)
    run_tap(config, streams=streams(), state=first.state)
    for advertiser, bookmark in bookmarks.items():
        starts = [
            dt.date.fromisoformat(r.params["start_date"])
            for r in api.requests
            if r.params.get("advertiser_id") == advertiser and "start_date" in r.params
        ]
        # attribution_window_days = 0: the bookmark day itself is the earliest day read.
        assert min(starts) == bookmark
        assert all(
            (
                dt.date.fromisoformat(r.params["end_date"])
                - dt.date.fromisoformat(r.params["start_date"])
            ).days
            < 7
            for r in api.requests
            if r.params.get("advertiser_id") == advertiser and "start_date" in r.params
        )


def test_a_run_interrupted_at_any_state_resumes_without_gaps(
    api: FakeTikTokApi, clock: Clock, fake_data: FakeData
) -> None:
    """Every STATE message is a resume point: what was emitted before it, plus a run
    resumed from it, covers every row (as if the tap had been killed right there)."""
    config = audience_config(api, start_date="2026-10-20")
    full = run_tap(config, streams=streams())
    keys = REPORTS[STREAM].key_properties
    truth = by_key(
        expected_report_records(
            fake_data,
            STREAM,
            SELECTED,
            start=dt.date(2026, 10, 20),
            end=dt.date(2026, 12, 31),
            now=clock.now,
        ),
        keys,
    )
    assert resume_points(full, config, streams(), STREAM, truth) >= 10


def test_default_finality_comes_from_tiktoks_latency_table(fake_api) -> None:
    tap = TapTikTokAds(config=tap_config(fake_api), setup_mapper=False)
    assert tap.streams["ad_audience_age_gender_daily"].finality == (16.0, None)
    assert tap.streams["advertiser_audience_platform_daily"].finality == (16.0, None)
    # 30 minutes, then TikTok's daily fix of real-time data at 12:00 UTC (Doc 1738864894606337)
    assert tap.streams["ad_audience_country_daily"].finality == (0.5, 12)
    configured = TapTikTokAds(
        config=tap_config(fake_api, audience_lookback_hours=5), setup_mapper=False
    )
    assert configured.streams["ad_audience_country_daily"].finality == (5.0, None)
