"""A slow API: report queries too heavy for TikTok are read in smaller parts, never repeated
into TikTok's punishments (Doc 1757262274182145; the fake's rules in tests/fake_api/timeouts.py).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from collections import Counter

import pytest

from tap_tiktok_ads import dates, query_size
from tap_tiktok_ads.query_size import OWN_SLOW_DOWN_AT, TimeoutWatch, audience_window_days
from tap_tiktok_ads.transport import RateLimiter
from tests.conftest import _tap, run_tap, run_until_failure, tap_config
from tests.fake_api import DataSpec, FakeData, FakeTikTokApi
from tests.truth import REPORTS, by_key, expected_report_records

NOW = dt.datetime(2026, 10, 20, 15, 30, tzinfo=dt.timezone.utc)
START, END = dt.date(2026, 10, 1), dt.date(2026, 10, 12)
# One advertiser of 3 x 4 x 5 = 60 ads (some deleted), under TikTok's ad cap: few enough
# timeouts that the client never has to wait 10 s for them to age (tested on its own below).
SPEC = DataSpec(
    advertisers=1,
    campaigns_per_advertiser=3,
    adgroups_per_campaign=4,
    ads_per_adgroup=5,
    first_day=dt.date(2026, 9, 1),
    last_day=dt.date(2026, 10, 31),
)
REPORT = "report/integrated/get/"
METRICS = ["spend", "impressions", "clicks", "ctr"]


@pytest.fixture(scope="module")
def data() -> FakeData:
    return FakeData(SPEC)


@pytest.fixture
def api(data: FakeData, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(dates, "utc_now", lambda: NOW)
    with FakeTikTokApi(data, clock=lambda: NOW) as server:
        yield server


def sync(api: FakeTikTokApi, stream: str = "ad_report_daily", **overrides) -> list[dict]:
    definition = REPORTS[stream]
    config = tap_config(
        api, start_date=START.isoformat(), end_date=END.isoformat(), page_size=50, **overrides
    )
    result = run_tap(config, streams={stream: ["advertiser_id", *definition.dimensions, *METRICS]})
    return result.records[stream]


def assert_no_punishment(api: FakeTikTokApi) -> None:
    assert api.punishments() == []
    timed_out = Counter(
        (record.path, json.dumps(record.params, sort_keys=True))
        for record in api.requests
        if record.code in {51010, 40067}
    )
    assert timed_out  # the API was slow indeed
    assert max(timed_out.values()) <= 2  # no request repeated into TikTok's block


def assert_complete(api: FakeTikTokApi, data: FakeData, stream: str, records: list[dict]) -> None:
    expected = expected_report_records(data, stream, METRICS, start=START, end=END, now=NOW)
    keys = REPORTS[stream].key_properties
    assert len(records) == len(expected) > 0
    assert by_key(records, keys) == by_key(expected, keys)


def test_timed_out_windows_are_halved_and_the_data_is_complete(api, data) -> None:
    # Cost is ads x days: 12-day windows (about 45 live ads) time out, 2 days do not.
    api.timeouts.configure(timeout_cost=100)
    records = sync(api)
    assert_complete(api, data, "ad_report_daily", records)
    assert_no_punishment(api)


def test_a_day_too_heavy_is_read_in_id_batches(api, data) -> None:
    # Even one day of all ads is too heavy; one campaign's day is not.
    api.timeouts.configure(timeout_cost=30)
    records = sync(api)
    assert_complete(api, data, "ad_report_daily", records)
    assert_no_punishment(api)
    assert any("filtering" in r.params for r in api.requests if r.path == REPORT and r.code == 0)


def test_oversized_queries_refused_with_40067_are_made_smaller(api, data) -> None:
    api.timeouts.configure(refuse_cost=100)
    records = sync(api, "adgroup_report_daily")
    assert_complete(api, data, "adgroup_report_daily", records)
    assert_no_punishment(api)


def test_a_query_that_cannot_get_smaller_is_asked_twice_then_the_run_stops(api) -> None:
    api.timeouts.configure(timeout_cost=0)  # everything times out
    config = tap_config(api, start_date=START.isoformat(), end_date=START.isoformat())
    _, error = run_until_failure(config, streams={"campaign_report_daily": None})
    assert "run the tap again later" in str(error).lower()
    assert_no_punishment(api)


@pytest.mark.parametrize("fault", ["http-504", "read-timeout"])
def test_a_gateway_timeout_or_no_answer_splits_the_query(api, data, fault) -> None:
    """HTTP 504 or no answer in time on a report's first page: TikTok's timeout seen from
    outside; the window is read in halves, not asked again unchanged, and counted."""
    if fault == "http-504":
        api.faults.http_error_next(1, status=504, path=REPORT)
    else:
        api.faults.hang_next(1, seconds=1.5, path=REPORT)
    definition = REPORTS["ad_report_daily"]
    config = tap_config(
        api,
        start_date=START.isoformat(),
        end_date=END.isoformat(),
        page_size=50,
        request_timeout_seconds=1,
        max_concurrency=1,
    )
    tap, writer = _tap(
        config, {"ad_report_daily": ["advertiser_id", *definition.dimensions, *METRICS]}, None
    )
    tap.sync_all()
    records = [m["record"] for m in writer.messages if m.get("type") == "RECORD"]
    assert_complete(api, data, "ad_report_daily", records)
    assert api.faults.pending() == 0
    # One 12-day window; the fake logs a hung request only if the tap is still there.
    spans = [
        (r.params["start_date"], r.params["end_date"], r.params.get("page"))
        for r in api.requests
        if r.path == REPORT
    ]
    whole = (START.isoformat(), END.isoformat(), "1")
    assert spans.count(whole) <= 1  # the timed-out query was never repeated
    assert ("2026-10-01", "2026-10-06", "1") in spans  # its halves were read instead
    assert tap.runtime.timeout_watch.timeouts == 1  # counted toward the own slow-down


def test_the_client_holds_back_before_tiktok_lowers_its_qps() -> None:
    """At half of TikTok's 10 timeouts in 10 s, the client slows down and waits them out."""
    now = [0.0]
    limiter = RateLimiter(20, clock=lambda: now[0], sleep=lambda _: None)
    watch = TimeoutWatch(limiter, clock=lambda: now[0])
    for n in range(OWN_SLOW_DOWN_AT):
        now[0] = n / 10
        watch.note(f"request {n}")
    assert limiter.rate < 20  # slowed down at the fifth timeout

    class Waits:
        def __init__(self) -> None:
            self.waited: list[float] = []

        def is_set(self) -> bool:
            return False

        def wait(self, seconds: float) -> None:
            self.waited.append(seconds)
            now[0] += seconds

    waits = Waits()
    now[0] = 0.5
    watch.wait_turn(waits)  # type: ignore[arg-type]
    assert waits.waited == [pytest.approx(9.5)]  # until the first timeout is 10 s old
    assert watch.may_repeat("request 1")
    watch.note("request 1")
    assert not watch.may_repeat("request 1")  # a third timeout would block it for 10 min


def test_audience_window_days_follow_tiktoks_guidance() -> None:
    assert audience_window_days(1, 7) == 7
    assert audience_window_days(2_000, 7) == 7
    assert audience_window_days(2_001, 7) == 3
    assert audience_window_days(5_000, 7) == 3
    assert audience_window_days(5_001, 7) == 1
    assert audience_window_days(10, 5) == 5  # never longer than the stream's own window


def test_audience_windows_are_sized_from_the_ids_the_account_has(monkeypatch) -> None:
    """An account over the ad cap had its ads listed: its 12 ad groups, over a (shrunk)
    guidance of 5 IDs per 7 days, give 3-day audience windows; the data is complete."""
    monkeypatch.setattr(query_size, "AUDIENCE_GUIDANCE", ((5, 7), (20, 3)))
    final_now = dt.datetime(2026, 10, 31, 12, tzinfo=dt.timezone.utc)  # audience data final
    monkeypatch.setattr(dates, "utc_now", lambda: final_now)
    data = FakeData(dataclasses.replace(SPEC, ad_cap=50))
    basic, audience = "ad_report_daily", "adgroup_audience_country_daily"
    metrics = ["spend", "impressions"]
    streams = {
        name: ["advertiser_id", *REPORTS[name].dimensions, *metrics] for name in (basic, audience)
    }
    with FakeTikTokApi(data, clock=lambda: final_now) as api:
        config = tap_config(api, start_date=START.isoformat(), end_date=END.isoformat())
        result = run_tap(config, streams=streams)
        spans = {
            (r.params["start_date"], r.params["end_date"])
            for r in api.requests
            if r.path == REPORT and r.params.get("report_type") == "AUDIENCE"
        }
    assert {
        (dt.date.fromisoformat(end) - dt.date.fromisoformat(start)).days + 1 for start, end in spans
    } == {3}
    for name in (basic, audience):
        expected = expected_report_records(data, name, metrics, start=START, end=END, now=final_now)
        keys = REPORTS[name].key_properties
        assert len(result.records[name]) == len(expected) > 0
        assert by_key(result.records[name], keys) == by_key(expected, keys)
