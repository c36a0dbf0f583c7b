"""Every request the tap sends is counted in the SDK's `http_request_count` metric.

Report pages are fetched ahead on worker threads, outside the SDK's `request_records`; they
must still appear in the METRIC lines, like the entity requests the SDK sends itself. The
count is compared with the requests the fake API received (`log_metrics` logs the lines).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import Counter

import pytest
from singer_sdk.metrics import METRICS_LOGGER_NAME, Metric, Point, Tag

from tap_tiktok_ads import dates
from tests.conftest import run_tap, tap_config
from tests.fake_api import DataSpec, FakeData, FakeTikTokApi
from tests.truth import REPORTS

REPORT_PATH = "report/integrated/get"
ADS_PATH = "ad/get"


def counted_requests(caplog: pytest.LogCaptureFixture) -> Counter[tuple[str, str]]:
    """Requests per stream and endpoint, summed over the METRIC lines of `http_request_count`."""
    counted: Counter[tuple[str, str]] = Counter()
    for record in caplog.records:
        point = record.args[0] if isinstance(record.args, tuple) and record.args else None
        if isinstance(point, Point) and point.metric == Metric.HTTP_REQUEST_COUNT:
            endpoint = str(point.tags[Tag.ENDPOINT]).strip("/")
            counted[point.tags[Tag.STREAM], endpoint] += int(point.value)
    return counted


def sent(api: FakeTikTokApi, path: str) -> int:
    return sum(1 for r in api.requests if r.path.strip("/") == path)


@pytest.mark.usefixtures("frozen_now")
@pytest.mark.parametrize("max_concurrency", [1, 4])
def test_report_pages_fetched_ahead_are_counted_like_entity_requests(
    fake_api: FakeTikTokApi, caplog: pytest.LogCaptureFixture, max_concurrency: int
) -> None:
    config = tap_config(
        fake_api,
        start_date="2026-11-16",
        end_date="2026-11-20",
        page_size=3,  # several pages per window and per advertiser's ads
        max_concurrency=max_concurrency,
        log_metrics=True,
    )
    with caplog.at_level(logging.INFO, logger=METRICS_LOGGER_NAME):
        result = run_tap(config, streams={"ad_report_daily": ["spend"], "ads": None})
    assert len(result.records["ad_report_daily"]) > 3 * 3  # more than one page per advertiser
    counted = counted_requests(caplog)
    assert sent(fake_api, REPORT_PATH) > 3  # more than one request per advertiser
    assert counted["ad_report_daily", REPORT_PATH] == sent(fake_api, REPORT_PATH)
    assert len(result.records["ads"]) > 3 * 3
    assert counted["ads", ADS_PATH] == sent(fake_api, ADS_PATH) > 3


@pytest.mark.usefixtures("frozen_now")
def test_reports_of_more_than_100_metrics_count_each_request(
    fake_api: FakeTikTokApi, caplog: pytest.LogCaptureFixture
) -> None:
    every_metric = [m.name for m in REPORTS["ad_report_daily"].metrics]
    config = tap_config(
        fake_api, start_date="2026-11-19", end_date="2026-11-20", page_size=10, log_metrics=True
    )
    with caplog.at_level(logging.INFO, logger=METRICS_LOGGER_NAME):
        run_tap(config, streams={"ad_report_daily": every_metric})
    requests = sent(fake_api, REPORT_PATH)
    assert requests > 2 * 3  # several metric chunks and pages per advertiser
    assert counted_requests(caplog)["ad_report_daily", REPORT_PATH] == requests


def test_the_ads_listed_for_an_advertiser_over_the_ad_cap_are_counted(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    now = dt.datetime(2026, 10, 20, 15, 30, tzinfo=dt.timezone.utc)
    monkeypatch.setattr(dates, "utc_now", lambda: now)
    spec = DataSpec(
        advertisers=1,
        campaigns_per_advertiser=2,
        adgroups_per_campaign=2,
        ads_per_adgroup=5,
        first_day=dt.date(2026, 10, 1),
        last_day=dt.date(2026, 10, 31),
        ad_cap=8,
    )
    with FakeTikTokApi(FakeData(spec), clock=lambda: now) as api:
        config = tap_config(api, start_date="2026-10-18", end_date="2026-10-19", log_metrics=True)
        with caplog.at_level(logging.INFO, logger=METRICS_LOGGER_NAME):
            result = run_tap(config, streams={"ad_report_daily": ["spend"]})
        assert result.records["ad_report_daily"]
        counted = counted_requests(caplog)
        # Every page of the listing is counted, under the report stream that asked for it.
        assert counted["ad_report_daily", ADS_PATH] == sent(api, ADS_PATH) > 0
        assert counted["ad_report_daily", REPORT_PATH] > 0
