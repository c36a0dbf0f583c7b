"""GMV Max streams against the fake: every store, campaign and day, incrementally, no errors.

The expected records come from the fake's own world and its own metric transcription
(`tests/fake_api/gmv_max*.py`), never from the tap's code.
"""

from __future__ import annotations

import copy
import datetime as dt
import logging

import pytest

from tap_tiktok_ads.stream_fields import stream_fields
from tap_tiktok_ads.streams.gmv_max import CAMPAIGN_FIELDS
from tap_tiktok_ads.tap import TapTikTokAds
from tests.conftest import run_tap, tap_config
from tests.fake_api import FakeTikTokApi
from tests.fake_api.gmv_max import shop_world
from tests.gmv_max_truth import REPORT_KEY, by_key, expected_report

STREAMS: dict[str, list[str] | None] = {
    "gmv_max_stores": None,
    "gmv_max_campaigns": None,
    "gmv_max_report_daily": None,
}


def test_a_sync_equals_the_fakes_truth(fake_api: FakeTikTokApi, frozen_now: dt.datetime) -> None:
    config = tap_config(fake_api)
    result = run_tap(config, streams=STREAMS)
    world = shop_world(fake_api.data)
    stores = [(s.advertiser_id, s.store_id) for ss in world.stores.values() for s in ss]
    assert [(r["advertiser_id"], r["store_id"]) for r in result.records["gmv_max_stores"]] == stores
    campaigns = {
        (c.advertiser_id, c.store_id, c.campaign_id)
        for cs in world.campaigns.values()
        for c in cs
        if not c.deleted
    }
    synced = [
        (r["advertiser_id"], r["store_id"], r["campaign_id"])
        for r in result.records["gmv_max_campaigns"]
    ]
    assert sorted(synced) == sorted(campaigns)
    expected = expected_report(
        fake_api.data, frozen_now, dt.date(2026, 11, 1), dt.date(2026, 11, 20)
    )
    assert expected
    assert by_key(result.records["gmv_max_report_daily"]) == expected


def test_two_runs_add_up_to_the_truth(fake_api: FakeTikTokApi, frozen_now: dt.datetime) -> None:
    streams = {"gmv_max_report_daily": None}
    first = run_tap(tap_config(fake_api, end_date="2026-11-10"), streams=streams)
    bookmarks = first.state["bookmarks"]["gmv_max_report_daily"]["partitions"]
    assert {p["replication_key_value"] for p in bookmarks} == {"2026-11-10"}  # the window's end
    config = tap_config(fake_api, attribution_window_days=2)
    second = run_tap(config, streams=streams, state=first.state)
    second_records = by_key(second.records["gmv_max_report_daily"])
    assert min(key[3] for key in second_records) == "2026-11-08"  # two days of attribution
    merged = by_key(first.records["gmv_max_report_daily"]) | second_records
    truth = expected_report(fake_api.data, frozen_now, dt.date(2026, 11, 1), dt.date(2026, 11, 20))
    assert merged == truth
    partitions = second.state["bookmarks"]["gmv_max_report_daily"]["partitions"]
    assert {p["context"]["store_id"] for p in partitions} == {
        s.store_id for ss in shop_world(fake_api.data).stores.values() for s in ss if s.available
    }


def test_deleted_campaigns_with_include_deleted(
    fake_api: FakeTikTokApi, frozen_now: dt.datetime
) -> None:
    config = tap_config(fake_api, include_deleted=True, start_date="2026-09-01")
    result = run_tap(config, streams=STREAMS)
    deleted = {
        c.campaign_id
        for cs in shop_world(fake_api.data).campaigns.values()
        for c in cs
        if c.deleted
    }
    assert deleted <= {r["campaign_id"] for r in result.records["gmv_max_campaigns"]}
    assert deleted <= {r["campaign_id"] for r in result.records["gmv_max_report_daily"]}
    truth = expected_report(
        fake_api.data, frozen_now, dt.date(2026, 9, 1), dt.date(2026, 11, 20), deleted=True
    )
    assert by_key(result.records["gmv_max_report_daily"]) == truth


def test_an_advertiser_without_a_shop_is_one_log_line(
    fake_api: FakeTikTokApi, frozen_now: dt.datetime, caplog: pytest.LogCaptureFixture
) -> None:
    no_shop = [a for a, stores in shop_world(fake_api.data).stores.items() if not stores]
    assert no_shop
    with caplog.at_level(logging.INFO):
        result = run_tap(tap_config(fake_api), streams=STREAMS)
    lines = [r for r in caplog.records if "no TikTok Shop" in r.getMessage()]
    assert [no_shop[0] in r.getMessage() for r in lines] == [True]
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert all(r["advertiser_id"] != no_shop[0] for rs in result.records.values() for r in rs)


def test_the_request_asks_for_exactly_the_selected_metrics(
    fake_api: FakeTikTokApi, frozen_now: dt.datetime
) -> None:
    chosen = ["cost", "gross_revenue", "live_views"]
    streams: dict[str, list[str] | None] = {"gmv_max_report_daily": [*REPORT_KEY, *chosen]}
    result = run_tap(tap_config(fake_api), streams=streams)
    sent = {
        tuple(r.params["filtering"]["gmv_max_promotion_types"]): r.params["metrics"]
        for r in fake_api.requests
        if r.path == "gmv_max/report/get/"
    }
    assert sent == {
        ("PRODUCT",): ["campaign_id", "cost", "gross_revenue"],
        ("LIVE",): ["campaign_id", "cost", "gross_revenue", "live_views"],
    }
    assert all(set(r) <= {*REPORT_KEY, *chosen} for r in result.records["gmv_max_report_daily"])


def test_records_never_move_the_bookmark(fake_api: FakeTikTokApi) -> None:
    """Bookmarks move at window ends only (`CompleteDataBookmarks`), never per record."""
    tap = TapTikTokAds(config=tap_config(fake_api), setup_mapper=False)
    stream = tap.streams["gmv_max_report_daily"]
    context = {"advertiser_id": "1", "store_id": "2"}
    stream._increment_stream_state({"stat_time_day": "2999-01-01"}, context=context)
    assert stream.get_context_state(context).get("replication_key_value") is None
    tap.runtime.close()


def test_the_campaign_fields_asked_for_are_the_documented_rows_of_the_fields_file() -> None:
    """`fields` may name the fields of Doc 1826463372290177's `list`: that page's rows, no other."""
    documented = [
        field.name
        for field in stream_fields("gmv_max_campaigns")
        if field.source.startswith("Doc 1826463372290177")
    ]
    assert sorted(CAMPAIGN_FIELDS) == sorted(documented)


@pytest.mark.parametrize(("marked", "first_day"), [(False, "2026-11-09"), (True, "2026-11-10")])
def test_a_bookmark_not_marked_final_is_read_from_the_day_before_it(
    fake_api: FakeTikTokApi, frozen_now: dt.datetime, *, marked: bool, first_day: str
) -> None:
    """Older versions' bookmarks went up to the day of their run, whose day before was not final
    then (real-time data: 30 minutes and TikTok's 12:00 UTC fix); without the mark the state
    gives this version's, that day is read again, even with `attribution_window_days: 0`."""
    del frozen_now
    streams = {"gmv_max_report_daily": None}
    first = run_tap(tap_config(fake_api, end_date="2026-11-10"), streams=streams)
    state = copy.deepcopy(first.state)
    for partition in state["bookmarks"]["gmv_max_report_daily"]["partitions"]:
        assert partition["replication_key_value"] == "2026-11-10"
        if not marked:
            partition.pop("final_bookmark", None)
    config = tap_config(fake_api, attribution_window_days=0)
    second = run_tap(config, streams=streams, state=state)
    assert min(key[3] for key in by_key(second.records["gmv_max_report_daily"])) == first_day
    partitions = second.state["bookmarks"]["gmv_max_report_daily"]["partitions"]
    assert all(p["final_bookmark"] == p["replication_key_value"] for p in partitions)
