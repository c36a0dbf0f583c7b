"""Requests in flight concurrently change nothing but speed: same records, same order, same state."""

from __future__ import annotations

import pytest

from tests.conftest import run_tap, tap_config

STREAMS = {
    "ad_report_daily": None,
    "campaign_report_hourly": ["campaign_id", "stat_time_hour", "spend", "clicks"],
    "ad_audience_country_daily": None,
    "adgroup_report_weekly": None,
}


def messages_without_time(result) -> list[dict]:
    """Messages as a target sees them, minus the extraction timestamps."""
    return [
        {key: value for key, value in message.items() if key != "time_extracted"}
        for message in result.messages
    ]


@pytest.mark.usefixtures("frozen_now")
def test_concurrency_1_and_8_give_identical_output_and_state(fake_api) -> None:
    base = tap_config(fake_api, start_date="2026-10-01", page_size=50)
    sequential = run_tap(base | {"max_concurrency": 1}, streams=STREAMS)
    concurrent = run_tap(base | {"max_concurrency": 8}, streams=STREAMS)
    assert sum(len(records) for records in sequential.records.values()) > 2000
    assert messages_without_time(concurrent) == messages_without_time(sequential)
    assert concurrent.state == sequential.state


@pytest.mark.usefixtures("frozen_now")
def test_injected_rate_limits_slow_the_client_and_the_data_is_complete(fake_api) -> None:
    base = tap_config(fake_api, start_date="2026-11-13", max_concurrency=4)
    clean = run_tap(base, streams={"ad_report_hourly": ["ad_id", "stat_time_hour", "spend"]})
    fake_api.log.clear()
    fake_api.faults.fail_rate(0.15, codes=(40100,), seed=3)
    throttled = run_tap(base, streams={"ad_report_hourly": ["ad_id", "stat_time_hour", "spend"]})
    assert fake_api.count(code=40100) >= 2
    assert throttled.records == clean.records
    assert throttled.state == clean.state


@pytest.mark.usefixtures("frozen_now")
def test_a_hard_request_cap_holds_with_many_requests_in_flight(fake_api) -> None:
    fake_api.latency_seconds = 0.05
    config = tap_config(
        fake_api, start_date="2026-11-12", max_concurrency=8, max_requests_per_second=15
    )
    run_tap(config, streams={"ad_report_hourly": ["spend"], "adgroup_report_hourly": ["spend"]})
    assert fake_api.count() > 40
    assert fake_api.peak_requests_per_second(window=1.0) <= 16
