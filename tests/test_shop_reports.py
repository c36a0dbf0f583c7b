"""GMV max ads reports (`report_type` TT_SHOP): the built-in daily streams and custom ones.

The expected records come from the fake's own TT_SHOP transcription and GMV Max world
(`tests/fake_api/shop_reports.py`), never from the tap's code.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any

import pytest

from tap_tiktok_ads import dates
from tap_tiktok_ads.custom_reports import parse_custom_reports
from tap_tiktok_ads.errors import TikTokFatalError
from tests.conftest import run_tap, tap_config
from tests.fake_api import DataSpec, FakeData, FakeTikTokApi
from tests.fake_api.shop_reports import RULES, TtShopQuery, tt_shop_truth

DAILY = {
    "advertiser_shop_report_daily": ("AUCTION_ADVERTISER", ("advertiser_id",)),
    "campaign_shop_report_daily": ("AUCTION_CAMPAIGN", ("advertiser_id", "campaign_id")),
}
STREAMS: dict[str, list[str] | None] = dict.fromkeys(DAILY)
REPORT = "report/integrated/get/"


def expected(
    data: FakeData,
    now: dt.datetime,
    level: str,
    dimensions: tuple[str, ...],
    *,
    start: dt.date,
    end: dt.date,
) -> list[dict[str, Any]]:
    """The fake's rows as records (money metrics as numbers)."""
    records: list[dict[str, Any]] = []
    for advertiser_id in data.advertiser_ids():
        query = TtShopQuery(advertiser_id, level, dimensions, RULES.defaults, start, end)
        for row in tt_shop_truth(data, query, data.local_today(advertiser_id, now)):
            record: dict[str, Any] = {"advertiser_id": advertiser_id}
            for name, value in row["dimensions"].items():
                record[name] = value[:10] if name == "stat_time_day" else value
            for name, value in row["metrics"].items():
                assert RULES.metrics[name] == "money"
                record[name] = float(value)
            records.append(record)
    return records


def keyed(records: list[dict[str, Any]]) -> dict[tuple, dict[str, Any]]:
    keys = [
        tuple(r.get(k) for k in ("advertiser_id", "campaign_id", "country_code", "stat_time_day"))
        for r in records
    ]
    assert not [k for k, n in Counter(keys).items() if n > 1], "duplicate keys in one run"
    return dict(zip(keys, records, strict=True))


def truth(
    data: FakeData, now: dt.datetime, stream: str, start: dt.date, end: dt.date
) -> dict[tuple, dict[str, Any]]:
    level, ids = DAILY[stream]
    dimensions = (*ids[1:], "country_code", "stat_time_day")
    rows = expected(data, now, level, dimensions, start=start, end=end)
    return keyed(rows)


def test_a_sync_equals_the_fakes_truth(fake_api: FakeTikTokApi, frozen_now: dt.datetime) -> None:
    result = run_tap(tap_config(fake_api), streams=STREAMS)
    for stream in DAILY:
        synced = keyed(result.records[stream])
        want = truth(fake_api.data, frozen_now, stream, dt.date(2026, 11, 1), dt.date(2026, 11, 20))
        assert want
        assert synced == want
    campaign_spend = sum(r["spend"] for r in result.records["campaign_shop_report_daily"])
    advertiser_spend = sum(r["spend"] for r in result.records["advertiser_shop_report_daily"])
    assert campaign_spend == pytest.approx(advertiser_spend)


def test_two_runs_add_up_to_the_truth(fake_api: FakeTikTokApi, frozen_now: dt.datetime) -> None:
    first = run_tap(tap_config(fake_api, end_date="2026-11-10"), streams=STREAMS)
    second = run_tap(
        tap_config(fake_api, attribution_window_days=2), streams=STREAMS, state=first.state
    )
    for stream in DAILY:
        partitions = first.state["bookmarks"][stream]["partitions"]
        assert {p["context"]["advertiser_id"] for p in partitions} == set(
            fake_api.data.advertiser_ids()
        )
        assert {p["replication_key_value"] for p in partitions} == {"2026-11-10"}
        again = keyed(second.records[stream])
        assert min(key[3] for key in again) == "2026-11-08"  # two days of attribution
        merged = keyed(first.records[stream]) | again
        want = truth(fake_api.data, frozen_now, stream, dt.date(2026, 11, 1), dt.date(2026, 11, 20))
        assert merged == want


def test_requests_follow_tiktoks_tt_shop_rules(
    fake_api: FakeTikTokApi, frozen_now: dt.datetime
) -> None:
    """No filter even with `include_deleted`, no lifetime, the default metrics TikTok names."""
    run_tap(tap_config(fake_api, include_deleted=True), streams=STREAMS)
    sent = [r for r in fake_api.requests if r.path == REPORT]
    assert sent
    assert all(r.code == 0 for r in sent)
    assert {r.params["data_level"] for r in sent} == {"AUCTION_ADVERTISER", "AUCTION_CAMPAIGN"}
    assert all(r.params["report_type"] == "TT_SHOP" for r in sent)
    assert all("filtering" not in r.params and "query_lifetime" not in r.params for r in sent)
    assert all(r.params["metrics"] == ["spend", "billed_cost"] for r in sent)


def test_tt_shop_reports_never_use_asynchronous_tasks(
    fake_api: FakeTikTokApi, frozen_now: dt.datetime
) -> None:
    """Doc 1803073629472770: synchronous only, whatever `report_mode` says."""
    config = tap_config(fake_api, report_mode="async", start_date="2026-09-01")
    result = run_tap(config, streams=STREAMS)
    assert not [r for r in fake_api.requests if r.path.startswith("report/task/")]
    for stream in DAILY:
        want = truth(fake_api.data, frozen_now, stream, dt.date(2026, 9, 1), dt.date(2026, 11, 20))
        assert keyed(result.records[stream]) == want


def test_an_advertiser_over_the_ad_cap_gets_no_id_filter_in_tt_shop_reports(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The BASIC report finds the advertisers over TikTok's ad cap and reads them in ID batches;
    TT_SHOP reports take no filter (Doc 1740302848100353), so they are read whole as ever."""
    now = dt.datetime(2026, 10, 20, 15, tzinfo=dt.timezone.utc)
    monkeypatch.setattr(dates, "utc_now", lambda: now)
    spec = DataSpec(
        advertisers=2,
        campaigns_per_advertiser=3,
        adgroups_per_campaign=4,
        ads_per_adgroup=10,
        first_day=dt.date(2026, 9, 1),
        last_day=dt.date(2026, 10, 31),
        ad_cap=50,
    )
    with FakeTikTokApi(FakeData(spec), clock=lambda: now) as api:
        config = tap_config(api, start_date="2026-10-01", end_date="2026-10-06")
        streams = {"ad_report_daily": ["spend"], "campaign_shop_report_daily": None}
        result = run_tap(config, streams=streams)
        shop = [r for r in api.requests if r.params.get("report_type") == "TT_SHOP"]
        batched = [r for r in api.requests if r.params.get("filtering") and r.path == REPORT]
        window = (dt.date(2026, 10, 1), dt.date(2026, 10, 6))
        want = truth(api.data, now, "campaign_shop_report_daily", *window)
    assert batched  # the cap was met: the BASIC report was read in ID batches
    assert shop
    assert all("filtering" not in r.params and r.code == 0 for r in shop)
    assert keyed(result.records["campaign_shop_report_daily"]) == want


def test_a_weekly_custom_tt_shop_report_syncs_whole_weeks(
    fake_api: FakeTikTokApi, frozen_now: dt.datetime
) -> None:
    custom = {
        "name": "shop_spend_weekly",
        "report_type": "TT_SHOP",
        "data_level": "ADVERTISER",
        "dimensions": ["advertiser_id"],
        "metrics": ["spend"],
        "granularity": "WEEK",
    }
    config = tap_config(fake_api, custom_reports=[custom], start_date="2026-11-02")
    result = run_tap(config, streams={"shop_spend_weekly": None})
    records = result.records["shop_spend_weekly"]
    assert records
    data = fake_api.data
    for record in records:
        start = dt.date.fromisoformat(record["period_start"])
        end = dt.date.fromisoformat(record["period_end"])
        query = TtShopQuery(
            record["advertiser_id"],
            "AUCTION_ADVERTISER",
            ("advertiser_id",),
            ("spend",),
            start,
            end,
        )
        rows = tt_shop_truth(data, query, data.local_today(record["advertiser_id"], frozen_now))
        assert [float(row["metrics"]["spend"]) for row in rows] == [record["spend"]]


SHOP = {
    "name": "shop_daily",
    "report_type": "TT_SHOP",
    "data_level": "CAMPAIGN",
    "dimensions": ["campaign_id", "country_code", "stat_time_day"],
    "metrics": ["spend", "billed_cost"],
}


def test_a_valid_tt_shop_entry_becomes_a_definition() -> None:
    definitions, errors = parse_custom_reports([SHOP])
    assert errors == []
    assert definitions[0].key_properties == [
        "advertiser_id",
        "campaign_id",
        "stat_time_day",
        "country_code",
    ]
    assert definitions[0].status_filter_field is None


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        (
            {
                "data_level": "ADGROUP",
                "dimensions": ["adgroup_id", "country_code", "stat_time_day"],
            },
            "TT_SHOP reports are ADVERTISER or CAMPAIGN level; data_level ADGROUP is not",
        ),
        (
            {"dimensions": ["campaign_id", "country_code", "stat_time_hour"]},
            "TT_SHOP reports have no hourly data",
        ),
        (
            {"data_level": "ADVERTISER", "dimensions": ["advertiser_id"]},
            "TT_SHOP reports have no lifetime metrics",
        ),
        (
            {"dimensions": ["campaign_id", "stat_time_day"]},
            "TikTok does not group TT_SHOP reports by campaign_id, stat_time_day",
        ),
        (
            {"metrics": ["spend", "impressions"]},
            "TikTok does not offer 'impressions' in TT_SHOP reports",
        ),
        (
            {"dimensions": ["campaign_id", "age", "stat_time_day"]},
            "dimension 'age' is not valid in TT_SHOP reports",
        ),
    ],
)
def test_tt_shop_reports_tiktok_would_refuse_are_refused(changes: dict, message: str) -> None:
    definitions, errors = parse_custom_reports([{**SHOP, **changes}])
    assert definitions == []
    assert any(message in error for error in errors), errors


def test_a_one_day_tt_shop_report_tiktok_times_out_on_stops_clearly(
    fake_api: FakeTikTokApi, frozen_now: dt.datetime
) -> None:
    """A one-day window cannot be halved and TT_SHOP takes no ID filter (Doc
    1740302848100353): the run stops with what to do, without a filtered query TikTok would
    refuse and without repeating the timed-out one."""
    fake_api.faults.fail_next(1, code=51010, path=REPORT)
    config = tap_config(fake_api, start_date="2026-11-10", end_date="2026-11-10")
    with pytest.raises(TikTokFatalError, match="cannot be split further"):
        run_tap(config, streams={"campaign_shop_report_daily": None})
    sent = [r for r in fake_api.requests if r.path == REPORT]
    timed_out = [r for r in sent if r.code == 51010]
    assert len(timed_out) == 1  # never repeated (other advertisers' reads may have started)
    repeated = [r for r in sent if r.params == timed_out[0].params]
    assert len(repeated) == 1
    assert all("filtering" not in r.params for r in sent)
