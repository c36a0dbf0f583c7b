"""Performance report streams against the fake TikTok API over real HTTP."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from tests.conftest import NOW, run_tap, run_until_failure, tap_config
from tests.fake_api import FakeTikTokApi
from tests.truth import REPORTS, by_key, expected_report_records

REPORT_PATH = "report/integrated/get/"
DAY = dt.timedelta(days=1)


def report_requests(api: FakeTikTokApi) -> list[dict]:
    return [r for r in api.requests if r.path.endswith(REPORT_PATH)]


def metrics_param(request: object) -> list[str]:
    value = request.params["metrics"]  # type: ignore[attr-defined]
    return json.loads(value) if isinstance(value, str) else list(value)


@pytest.mark.usefixtures("frozen_now")
def test_selected_metrics_are_exactly_what_is_requested_and_emitted(fake_api, fake_data) -> None:
    selected = ["spend", "clicks", "cpm"]
    result = run_tap(
        tap_config(fake_api),
        streams={"ad_report_daily": ["advertiser_id", "ad_id", "stat_time_day", *selected]},
    )
    requests = report_requests(fake_api)
    assert requests
    for request in requests:
        assert sorted(metrics_param(request)) == sorted(selected)
    records = result.records["ad_report_daily"]
    assert records
    assert {frozenset(r) for r in records} == {
        frozenset({"advertiser_id", "ad_id", "stat_time_day", *selected})
    }
    expected = expected_report_records(
        fake_data,
        "ad_report_daily",
        selected,
        start=dt.date(2026, 11, 1),
        end=dt.date(2026, 11, 20),
        now=NOW,
    )
    keys = REPORTS["ad_report_daily"].key_properties
    assert by_key(records, keys) == by_key(expected, keys)
    assert len(records) == len(expected)


@pytest.mark.usefixtures("frozen_now")
@pytest.mark.parametrize(
    "stream", ["advertiser_report_daily", "campaign_report_hourly", "adgroup_report_lifetime"]
)
def test_default_selection_matches_the_fake_truth(fake_api, fake_data, stream: str) -> None:
    config = tap_config(fake_api, start_date="2026-11-15", end_date="2026-11-18")
    result = run_tap(config, streams={stream: None})
    definition = REPORTS[stream]
    default_metrics = [m.name for m in definition.metrics if definition.is_default(m)]
    expected = expected_report_records(
        fake_data,
        stream,
        default_metrics,
        start=dt.date(2026, 11, 15),
        end=dt.date(2026, 11, 18),
        now=NOW,
    )
    keys = definition.key_properties
    records = result.records[stream]
    assert len(records) == len(expected) > 0
    assert by_key(records, keys) == by_key(expected, keys)
    properties = result.schemas[stream]["schema"]["properties"]
    assert properties["impressions"]["type"] == ["integer", "null"]
    assert properties["spend"]["type"] == ["number", "null"]
    assert result.schemas[stream]["key_properties"] == keys


@pytest.mark.usefixtures("frozen_now")
def test_windows_respect_the_api_limits(fake_api) -> None:
    config = tap_config(fake_api, start_date="2026-09-01", end_date="2026-11-20")
    run_tap(config, streams={"ad_report_daily": ["spend"], "ad_report_hourly": ["spend"]})
    daily_windows = set()
    hourly_days = set()
    for request in report_requests(fake_api):
        start = dt.date.fromisoformat(request.params["start_date"])
        end = dt.date.fromisoformat(request.params["end_date"])
        if "stat_time_hour" in request.params["dimensions"]:
            assert start == end
            hourly_days.add((request.params["advertiser_id"], start))
        else:
            assert (end - start).days + 1 <= 30
            daily_windows.add((request.params["advertiser_id"], start, end))
        assert request.code == 0
    # 81 days: three windows of at most 30 days per advertiser, every hour-day once.
    assert len(daily_windows) == 3 * 3
    assert len(hourly_days) == 81 * 3


@pytest.mark.usefixtures("frozen_now")
def test_more_than_100_metrics_are_split_and_joined(fake_api, fake_data) -> None:
    definition = REPORTS["ad_report_daily"]
    every_metric = [m.name for m in definition.metrics]
    assert len(every_metric) > 100
    config = tap_config(fake_api, start_date="2026-11-18", end_date="2026-11-20")
    result = run_tap(
        config,
        streams={"ad_report_daily": ["advertiser_id", "ad_id", "stat_time_day", *every_metric]},
    )
    requests = report_requests(fake_api)
    assert all(len(metrics_param(r)) <= 100 for r in requests)
    chunks = -(-len(every_metric) // 100)
    assert chunks > 1
    assert len(requests) == chunks * 3  # each metric chunk for each of three advertisers
    first_advertiser = requests[0].params["advertiser_id"]
    requested = [
        m
        for r in requests
        if r.params["advertiser_id"] == first_advertiser
        for m in metrics_param(r)
    ]
    assert sorted(requested) == sorted(every_metric)
    expected = expected_report_records(
        fake_data,
        "ad_report_daily",
        every_metric,
        start=dt.date(2026, 11, 18),
        end=dt.date(2026, 11, 20),
        now=NOW,
    )
    keys = definition.key_properties
    assert by_key(result.records["ad_report_daily"], keys) == by_key(expected, keys)


@pytest.mark.usefixtures("frozen_now")
def test_include_deleted_adds_rows_of_deleted_ads(fake_api, fake_data) -> None:
    config = tap_config(fake_api, include_deleted=True)
    selected = ["spend", "impressions"]
    result = run_tap(config, streams={"ad_report_daily": ["ad_id", "stat_time_day", *selected]})
    window = {"start": dt.date(2026, 11, 1), "end": dt.date(2026, 11, 20), "now": NOW}
    with_deleted = expected_report_records(
        fake_data, "ad_report_daily", selected, include_deleted=True, **window
    )
    without = expected_report_records(fake_data, "ad_report_daily", selected, **window)
    assert len(with_deleted) > len(without)
    keys = REPORTS["ad_report_daily"].key_properties
    assert by_key(result.records["ad_report_daily"], keys) == by_key(with_deleted, keys)
    for request in report_requests(fake_api):
        assert "STATUS_ALL" in json.dumps(request.params["filtering"])


def test_second_run_reads_from_bookmark_minus_attribution_window(
    fake_api, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tap_tiktok_ads import dates

    monkeypatch.setattr(dates, "utc_now", lambda: NOW)
    config = tap_config(fake_api, start_date="2026-10-01", end_date="today")
    config["attribution_window_days"] = 3
    first = run_tap(config, streams={"campaign_report_daily": ["spend"]})
    bookmarks = first.state["bookmarks"]["campaign_report_daily"]["partitions"]
    # The last final day in every zone: Nov 20 has not ended, Nov 19 had TikTok's 12:00 UTC fix.
    assert {p["replication_key_value"][:10] for p in bookmarks} == {"2026-11-19"}

    # Four days later: the next run starts three days before each advertiser's bookmark.
    later = NOW + dt.timedelta(days=4)
    monkeypatch.setattr(dates, "utc_now", lambda: later)
    fake_api.log.clear()
    second = run_tap(config, streams={"campaign_report_daily": ["spend"]}, state=first.state)
    starts = {}
    for request in report_requests(fake_api):
        advertiser = request.params["advertiser_id"]
        start = dt.date.fromisoformat(request.params["start_date"])
        starts[advertiser] = min(start, starts.get(advertiser, start))
    for partition in bookmarks:
        advertiser = partition["context"]["advertiser_id"]
        bookmark_day = dt.date.fromisoformat(partition["replication_key_value"][:10])
        assert starts[advertiser] == bookmark_day - 3 * DAY
    days = {r["stat_time_day"][:10] for r in second.records["campaign_report_daily"]}
    assert min(days) >= "2026-11-16"
    for partition in second.state["bookmarks"]["campaign_report_daily"]["partitions"]:
        assert partition["replication_key_value"] == "2026-11-23"


@pytest.mark.usefixtures("frozen_now")
def test_a_relative_start_date_never_makes_a_late_run_skip_days(
    fake_api, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tap_tiktok_ads import dates

    config = tap_config(fake_api, start_date="5", end_date="today", attribution_window_days=0)
    first = run_tap(config, streams={"advertiser_report_daily": ["spend"]})
    # The next run happens 40 days later: it must still start at the old bookmark.
    monkeypatch.setattr(dates, "utc_now", lambda: NOW + dt.timedelta(days=40))
    fake_api.log.clear()
    run_tap(config, streams={"advertiser_report_daily": ["spend"]}, state=first.state)
    first_days = {
        p["context"]["advertiser_id"]: p["replication_key_value"][:10]
        for p in first.state["bookmarks"]["advertiser_report_daily"]["partitions"]
    }
    for advertiser, bookmark in first_days.items():
        starts = [
            r.params["start_date"]
            for r in report_requests(fake_api)
            if r.params["advertiser_id"] == advertiser
        ]
        assert min(starts) == bookmark


@pytest.mark.usefixtures("frozen_now")
def test_hourly_rows_sum_to_daily_rows(fake_api) -> None:
    config = tap_config(fake_api, start_date="2026-11-10", end_date="2026-11-12")
    result = run_tap(
        config,
        streams={
            "campaign_report_hourly": ["campaign_id", "stat_time_hour", "impressions", "spend"],
            "campaign_report_daily": ["campaign_id", "stat_time_day", "impressions", "spend"],
        },
    )
    hourly: dict[tuple, int] = {}
    for record in result.records["campaign_report_hourly"]:
        key = (record["campaign_id"], record["stat_time_hour"][:10])
        hourly[key] = hourly.get(key, 0) + record["impressions"]
    daily = {
        (r["campaign_id"], r["stat_time_day"][:10]): r["impressions"]
        for r in result.records["campaign_report_daily"]
    }
    assert hourly == daily


@pytest.mark.usefixtures("frozen_now")
def test_a_metric_tiktok_retired_is_dropped_with_one_warning(fake_api, fake_data, caplog) -> None:
    fake_api.retired_metrics.add("likes")
    selected = ["spend", "likes", "clicks"]
    config = tap_config(fake_api, start_date="2026-11-18", end_date="2026-11-20")
    with caplog.at_level("WARNING"):
        result = run_tap(
            config,
            streams={"ad_report_daily": ["advertiser_id", "ad_id", "stat_time_day", *selected]},
        )
    warnings = [r.getMessage() for r in caplog.records if "refused the metric 'likes'" in r.message]
    assert len(warnings) == 1
    assert "deselect it" in warnings[0]
    assert fake_api.log.count(code=40002) >= 1
    expected = expected_report_records(
        fake_data,
        "ad_report_daily",
        ["spend", "clicks"],
        start=dt.date(2026, 11, 18),
        end=dt.date(2026, 11, 20),
        now=NOW,
    )
    for record in expected:
        record["likes"] = None
    keys = REPORTS["ad_report_daily"].key_properties
    assert expected
    assert by_key(result.records["ad_report_daily"], keys) == by_key(expected, keys)


@pytest.mark.usefixtures("frozen_now")
def test_a_40002_about_something_else_still_fails(fake_api) -> None:
    config = tap_config(fake_api, start_date="2026-11-18", end_date="2026-11-20")
    fake_api.faults.fail_next(1, 40002, path="report/integrated/get/")
    _, error = run_until_failure(config, streams={"ad_report_daily": None})
    assert "40002" in str(error)
