"""The GMV Max report endpoint's own rate limit (Doc 1824721673497601, Basic level: 8 per
second, 240 per minute, 20,000 per day): the tap holds it, and recovers when TikTok refuses.

The fake enforces the limit on its own (`tests/fake_api/throttle.py`, 40016 beyond it); the
expected records come from the fake's world (`tests/test_gmv_max.py`'s truth).
"""

from __future__ import annotations

import datetime as dt

import pytest

from tap_tiktok_ads.quotas import (
    GMV_MAX_REPORT_QUOTA,
    DailyQuotaUsedUpError,
    EndpointLimiter,
    EndpointQuota,
)
from tests.conftest import run_tap, tap_config
from tests.fake_api import FakeTikTokApi
from tests.fake_api.request_log import most_within
from tests.fake_api.throttle import EndpointLimit
from tests.gmv_max_truth import by_key, expected_report
from tests.send_moments import DELIVERY_SKEW

REPORT = "gmv_max/report/get/"
STREAMS: dict[str, list[str] | None] = {"gmv_max_report_daily": None}


class FakeClock:
    """A monotonic clock that moves only when the limiter sleeps, and a wall clock."""

    def __init__(self) -> None:
        self.now = 100.0
        self.wall = dt.datetime(2026, 11, 20, 23, 59, 58, tzinfo=dt.timezone.utc).timestamp()

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds
        self.wall += seconds


def _limiter(quota: EndpointQuota, clock: FakeClock) -> EndpointLimiter:
    return EndpointLimiter(quota, clock=clock, wall_clock=lambda: clock.wall, sleep=clock.sleep)


def test_the_minute_window_holds_requests_back() -> None:
    clock = FakeClock()
    limiter = _limiter(EndpointQuota("/x/", 100, 3, 1000, "test"), clock)
    times = []
    for _ in range(5):
        limiter.acquire()
        times.append(clock.now)
    assert times[3] - times[0] >= 60.0  # the fourth waits for the first one's minute to end
    assert times[4] - times[1] >= 60.0


def test_the_daily_quota_ends_the_run_with_advice_and_resets_at_midnight_utc() -> None:
    clock = FakeClock()
    limiter = _limiter(EndpointQuota("/gmv_max/report/get/", 100, 100, 2, "the doc"), clock)
    limiter.acquire()
    limiter.acquire()
    with pytest.raises(DailyQuotaUsedUpError) as refused:
        limiter.acquire()
    assert "/gmv_max/report/get/" in str(refused.value)
    assert "00:00 UTC" in str(refused.value)
    clock.wall += 3  # past midnight UTC: TikTok's new day
    limiter.acquire()


def test_a_sync_never_meets_the_endpoints_limit(
    fake_api: FakeTikTokApi, frozen_now: dt.datetime
) -> None:
    """Three windows x two campaign types x three stores: 18 requests, which a run held to
    the general limit only (1,000 a second here) sends within a second.

    The tap sends at most 8 in 1.05 s; the fake counts arrivals in 1 s, and its stamps lag
    the sends by up to `DELIVERY_SKEW` on a loaded machine (send_moments.py): 50 ms more lag
    on one arrival than on the one 8 before it met TikTok's refusal, which the tap retries.
    So the limit holds at the fake within that lag, and a refusal came only if the arrivals
    bunched beyond it."""
    config = tap_config(fake_api, start_date="2026-09-01")
    result = run_tap(config, streams=STREAMS)
    arrivals = [r.monotonic for r in fake_api.requests if r.path == REPORT]
    refused = fake_api.count(REPORT, code=40016)
    assert len(arrivals) == 18 + refused  # each refusal asked again
    assert most_within(arrivals, 1.0 - DELIVERY_SKEW) <= GMV_MAX_REPORT_QUOTA.per_second
    assert not refused or most_within(arrivals, 1.0) > GMV_MAX_REPORT_QUOTA.per_second
    truth = expected_report(fake_api.data, frozen_now, dt.date(2026, 9, 1), dt.date(2026, 11, 20))
    assert by_key(result.records["gmv_max_report_daily"]) == truth


def test_a_sync_recovers_when_tiktok_refuses_anyway(
    fake_api: FakeTikTokApi, frozen_now: dt.datetime
) -> None:
    """Another program of the same app spends the quota: TikTok allows this run 2 a second."""
    fake_api.endpoint_throttles[REPORT].limit = EndpointLimit(2, 240, 20_000)
    config = tap_config(fake_api, retry_initial_wait_seconds=0.3)
    result = run_tap(config, streams=STREAMS)
    assert fake_api.count(REPORT, code=40016) > 0
    truth = expected_report(fake_api.data, frozen_now, dt.date(2026, 11, 1), dt.date(2026, 11, 20))
    assert by_key(result.records["gmv_max_report_daily"]) == truth
