"""Transient faults are retried until the data is complete; fatal ones stop with a message."""

from __future__ import annotations

import datetime as dt
import logging

import pytest

from tap_tiktok_ads.client import RetriesExhaustedError
from tap_tiktok_ads.errors import TikTokFatalError
from tests.conftest import NOW, run_tap, tap_config
from tests.fake_api.request_log import most_within
from tests.send_moments import DELIVERY_SKEW, record_sends
from tests.truth import REPORTS, by_key, expected_report_records

REPORT_PATH = "report/integrated/get/"
SELECTED = ["spend", "impressions"]
STREAMS = {"ad_report_daily": ["ad_id", "stat_time_day", *SELECTED]}


def expected(fake_data) -> dict:
    records = expected_report_records(
        fake_data,
        "ad_report_daily",
        SELECTED,
        start=dt.date(2026, 11, 1),
        end=dt.date(2026, 11, 20),
        now=NOW,
    )
    return by_key(records, REPORTS["ad_report_daily"].key_properties)


def synced(result) -> dict:
    return by_key(result.records["ad_report_daily"], REPORTS["ad_report_daily"].key_properties)


@pytest.mark.usefixtures("frozen_now")
@pytest.mark.parametrize("code", [40100, 40133, 40200, 40201, 50000, 50002, 51001, 51002, 60001])
def test_transient_codes_in_http_200_are_retried(fake_api, fake_data, code: int) -> None:
    fake_api.faults.fail_next(2, code=code, path=REPORT_PATH)
    result = run_tap(tap_config(fake_api), streams=STREAMS)
    assert synced(result) == expected(fake_data)
    assert fake_api.count(REPORT_PATH, code=code) == 2


@pytest.mark.usefixtures("frozen_now")
@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_http_errors_with_html_bodies_are_retried(fake_api, fake_data, status: int) -> None:
    fake_api.faults.http_error_next(2, status=status, html=True, path=REPORT_PATH)
    result = run_tap(tap_config(fake_api), streams=STREAMS)
    assert synced(result) == expected(fake_data)


@pytest.mark.usefixtures("frozen_now")
def test_truncated_bodies_and_reset_connections_are_retried(fake_api, fake_data) -> None:
    fake_api.faults.truncated_next(1, path=REPORT_PATH)
    fake_api.faults.reset_next(1, path=REPORT_PATH)
    result = run_tap(tap_config(fake_api), streams=STREAMS)
    assert synced(result) == expected(fake_data)


@pytest.mark.usefixtures("frozen_now")
def test_a_request_that_hangs_past_the_timeout_is_retried(fake_api, fake_data) -> None:
    fake_api.faults.hang_next(1, seconds=3, path=REPORT_PATH)
    result = run_tap(tap_config(fake_api, request_timeout_seconds=1), streams=STREAMS)
    assert synced(result) == expected(fake_data)


@pytest.mark.usefixtures("frozen_now")
def test_a_fractional_timeout_is_kept(fake_api, fake_data, caplog) -> None:
    fake_api.faults.hang_next(1, seconds=1.2, path=REPORT_PATH)  # within 1.9 s, not within 1 s
    with caplog.at_level(logging.WARNING):
        result = run_tap(tap_config(fake_api, request_timeout_seconds=1.9), streams=STREAMS)
    assert synced(result) == expected(fake_data)
    assert fake_api.faults.pending() == 0
    assert not [r for r in caplog.records if "Retrying" in r.getMessage()]  # it was waited for


@pytest.mark.usefixtures("frozen_now")
def test_retries_give_up_after_the_budget_with_a_clear_message(fake_api) -> None:
    fake_api.faults.fail_next(50, code=50002, path=REPORT_PATH)
    config = tap_config(fake_api, max_retries=3, max_concurrency=1)
    with pytest.raises(RetriesExhaustedError, match=r"Gave up on .*report/integrated/get.*50002"):
        run_tap(config, streams=STREAMS)
    assert fake_api.count(REPORT_PATH) == 4


@pytest.mark.usefixtures("frozen_now")
def test_parameter_errors_fail_at_once_quoting_tiktok(fake_api) -> None:
    fake_api.faults.fail_next(1, code=40002, path=REPORT_PATH, message="Invalid metric fields")
    with pytest.raises(TikTokFatalError, match="40002.*Invalid metric fields"):
        run_tap(tap_config(fake_api), streams=STREAMS)
    assert fake_api.count(REPORT_PATH, code=40002) == 1
    assert fake_api.count(REPORT_PATH) <= 3  # no retry: at most one request per advertiser


@pytest.mark.usefixtures("frozen_now")
def test_rate_limit_is_shared_by_all_streams(fake_api, monkeypatch) -> None:
    """20 a second, counted where the tap sends; at the fake, within its stamps' lag."""
    sends = record_sends(monkeypatch)
    config = tap_config(fake_api, max_requests_per_second=20, start_date="2026-11-12")
    run_tap(
        config,
        streams={"ad_report_hourly": ["spend"], "campaign_report_hourly": ["spend"]},
    )
    assert fake_api.count() == len(sends) > 40
    assert most_within([moment for moment, _ in sends], 1.0) <= 20
    assert fake_api.peak_requests_per_second(window=1.0 - DELIVERY_SKEW) <= 20


@pytest.mark.usefixtures("frozen_now")
def test_a_short_page_is_asked_again_within_its_own_retry_budget(fake_api) -> None:
    ads = "ad/get/"
    for _ in range(3):  # each answer that is not an error is short
        fake_api.faults.fail_next(1, code=50002, path=ads)
        fake_api.faults.short_page_next(1, path=ads)
    config = tap_config(fake_api, advertiser_ids=fake_api.data.advertiser_ids()[:1], max_retries=2)
    with pytest.raises(RetriesExhaustedError, match="ad/get"):
        run_tap(config, streams={"ads": None})
    assert fake_api.count(ads) == 3  # one budget: max_retries + 1 attempts for the page
