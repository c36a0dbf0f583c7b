"""The fake's GMV Max routes follow TikTok's documented rules (Docs 1822001044479041,
1826463372290177, 1824721673497601, 1824722485971009)."""

from __future__ import annotations

import json
from datetime import date, datetime, timezone

import pytest
import requests

from tests.fake_api import FakeData, FakeTikTokApi
from tests.fake_api.gmv_max import shop_world
from tests.fake_api.gmv_max_rules import METRIC_TYPES
from tests.fake_api.throttle import EndpointLimit

NOW = datetime(2027, 1, 15, 12, tzinfo=timezone.utc)
REPORT = "gmv_max/report/get/"
PRODUCT_METRICS = list(METRIC_TYPES["product_campaign"].metrics)


@pytest.fixture(scope="module")
def api():
    with FakeTikTokApi(FakeData(), clock=lambda: NOW) as server:
        # These tests send the report's refusals in quick succession; its own rate limit is
        # tested on a server of its own (test_the_report_endpoint_has_its_own_rate_limit).
        server.endpoint_throttles.clear()
        yield server


def call(api: FakeTikTokApi, path: str, **params) -> dict:
    encoded = {k: json.dumps(v) if isinstance(v, (list, dict)) else v for k, v in params.items()}
    response = requests.get(
        f"{api.base_url}/{path}", params=encoded, headers={"Access-Token": api.token}, timeout=10
    )
    return response.json()


def first_store(api: FakeTikTokApi) -> tuple[str, str]:
    advertiser_id = api.data.advertiser_ids()[0]
    return advertiser_id, shop_world(api.data).stores[advertiser_id][0].store_id


def report(api: FakeTikTokApi, **overrides) -> dict:
    advertiser_id, store_id = first_store(api)
    params = {
        "advertiser_id": advertiser_id,
        "store_ids": [store_id],
        "start_date": "2026-09-01",
        "end_date": "2026-09-30",
        "dimensions": ["campaign_id", "stat_time_day"],
        "metrics": ["cost", "gross_revenue"],
        "filtering": {"gmv_max_promotion_types": ["PRODUCT"]},
        "page_size": 1000,
    }
    params |= overrides
    return call(api, REPORT, **{k: v for k, v in params.items() if v is not None})


def test_stores_an_advertiser_without_a_shop_gets_an_empty_list(api: FakeTikTokApi) -> None:
    ids = api.data.advertiser_ids()
    lists = [call(api, "gmv_max/store/list/", advertiser_id=a)["data"]["store_list"] for a in ids]
    assert [len(stores) for stores in lists] == [2, 2, 0]
    assert [s["is_gmv_max_available"] for s in lists[1]] == [True, False]


def test_campaigns_need_a_promotion_type_and_hide_deleted_ones(api: FakeTikTokApi) -> None:
    advertiser_id, store_id = first_store(api)
    missing = call(api, "gmv_max/campaign/get/", advertiser_id=advertiser_id, filtering={})
    assert missing["code"] == 40002
    both = {"gmv_max_promotion_types": ["PRODUCT_GMV_MAX", "LIVE_GMV_MAX"]}
    shown = call(
        api,
        "gmv_max/campaign/get/",
        advertiser_id=advertiser_id,
        filtering=both | {"store_ids": [store_id]},
    )
    deleted = call(
        api,
        "gmv_max/campaign/get/",
        advertiser_id=advertiser_id,
        filtering=both | {"store_ids": [store_id], "primary_status": "STATUS_DELETE"},
    )
    assert shown["data"]["page_info"]["total_number"] == 2
    assert [c["secondary_status"] for c in deleted["data"]["list"]] == ["CAMPAIGN_STATUS_DELETE"]
    too_big = call(
        api, "gmv_max/campaign/get/", advertiser_id=advertiser_id, filtering=both, page_size=101
    )
    assert too_big["code"] == 40002


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"store_ids": None}, "store_ids"),
        ({"store_ids": []}, "store_ids"),
        ({"store_ids": ["1", "2"]}, "store_ids"),
        ({"store_ids": ["1"]}, "not available"),
        ({"end_date": "2026-10-01"}, "30 days"),
        ({"dimensions": ["campaign_id", "stat_time_hour"], "end_date": "2026-09-02"}, "1 days"),
        ({"dimensions": ["campaign_id"], "end_date": "2027-09-01"}, "365 days"),
        ({"filtering": {}}, "gmv_max_promotion_types"),
        ({"metrics": ["live_views"]}, "Invalid metric"),
        ({"dimensions": ["campaign_id", "item_id"]}, "dimension grouping"),
        ({"dimensions": ["item_group_id"]}, "campaign_ids"),
        (
            {"filtering": {"gmv_max_promotion_types": ["PRODUCT"], "campaign_ids": ["1"] * 101}},
            "maximum length 100",
        ),
    ],
)
def test_report_refuses_what_the_reference_refuses(
    api: FakeTikTokApi, overrides: dict, message: str
) -> None:
    answer = report(api, **overrides)
    assert answer["code"] == 40002
    assert message in answer["message"]


def test_report_hides_deleted_campaigns_unless_status_all(api: FakeTikTokApi) -> None:
    advertiser_id, store_id = first_store(api)
    campaigns = shop_world(api.data).campaigns[advertiser_id, store_id]
    deleted = {c.campaign_id for c in campaigns if c.deleted}
    default = report(api)["data"]["list"]
    every = report(
        api,
        filtering={"gmv_max_promotion_types": ["PRODUCT"], "campaign_statuses": ["STATUS_ALL"]},
    )["data"]["list"]
    assert deleted
    assert not {row["dimensions"]["campaign_id"] for row in default} & deleted
    assert {row["dimensions"]["campaign_id"] for row in every} >= deleted


def test_report_rows_are_typed_strings_and_add_up(api: FakeTikTokApi) -> None:
    daily = report(api, metrics=PRODUCT_METRICS)["data"]["list"]
    total = report(api, metrics=PRODUCT_METRICS, dimensions=["campaign_id"])["data"]["list"]
    assert daily
    assert total
    for row in total:
        campaign_id = row["dimensions"]["campaign_id"]
        days = [r for r in daily if r["dimensions"]["campaign_id"] == campaign_id]
        cost = sum(float(r["metrics"]["cost"]) for r in days)
        assert float(row["metrics"]["cost"]) == pytest.approx(cost)
        assert row["metrics"]["campaign_id"] == campaign_id
    assert all(isinstance(v, str) for row in daily for v in row["metrics"].values())


def test_live_metrics_only_with_the_live_promotion_type(api: FakeTikTokApi) -> None:
    live = report(
        api,
        metrics=list(METRIC_TYPES["live_campaign"].metrics),
        filtering={"gmv_max_promotion_types": ["LIVE"]},
    )
    assert live["code"] == 0
    assert live["data"]["list"]
    assert all(int(row["metrics"]["live_views"]) > 0 for row in live["data"]["list"])


def test_no_data_after_the_advertisers_today(api: FakeTikTokApi) -> None:
    late = FakeTikTokApi(api.data, clock=lambda: datetime(2026, 9, 10, tzinfo=timezone.utc))
    with late:
        rows = report(late)["data"]["list"]
    last = max(date.fromisoformat(r["dimensions"]["stat_time_day"][:10]) for r in rows)
    assert last <= date(2026, 9, 10)


def test_the_report_endpoint_has_its_own_rate_limit() -> None:
    """Doc 1824721673497601, Basic level: 8 requests a second; the ninth gets 40016."""
    with FakeTikTokApi(FakeData(), clock=lambda: NOW) as server:
        codes = [report(server)["code"] for _ in range(12)]
        other = call(server, "gmv_max/store/list/", advertiser_id=first_store(server)[0])
    assert codes[:8] == [0] * 8  # a second is longer than 12 local requests take
    assert 40016 in codes[8:]
    assert other["code"] == 0  # the limit is the report endpoint's own


def test_the_report_endpoints_minute_and_day_limits() -> None:
    with FakeTikTokApi(FakeData(), clock=lambda: NOW) as server:
        throttle = server.endpoint_throttles[REPORT]
        throttle.limit = EndpointLimit(per_second=100, per_minute=3, per_day=1000)
        minute = [report(server) for _ in range(4)]
        throttle.limit = EndpointLimit(per_second=100, per_minute=100, per_day=4)
        day = [report(server) for _ in range(2)]  # 3 of the 4 were answered above
    assert [answer["code"] for answer in minute] == [0, 0, 0, 40016]
    assert "QPM limit 3" in minute[-1]["message"]
    assert [answer["code"] for answer in day] == [0, 40016]
    assert "QPD limit 4" in day[-1]["message"]


def tt_shop(api: FakeTikTokApi, **overrides) -> dict:
    params = {
        "advertiser_id": first_store(api)[0],
        "service_type": "AUCTION",
        "report_type": "TT_SHOP",
        "data_level": "AUCTION_CAMPAIGN",
        "dimensions": ["campaign_id", "country_code", "stat_time_day"],
        "start_date": "2026-09-01",
        "end_date": "2026-09-30",
        "page_size": 1000,
    }
    params |= overrides
    return call(api, "report/integrated/get/", **{k: v for k, v in params.items() if v is not None})


def test_tt_shop_answers_gmv_max_spend_by_campaign_country_and_day(api: FakeTikTokApi) -> None:
    answer = tt_shop(api)
    assert answer["code"] == 0, answer
    rows = answer["data"]["list"]
    assert rows
    assert all(set(row["metrics"]) == {"spend", "billed_cost"} for row in rows)  # the default
    campaigns = {c.campaign_id for cs in shop_world(api.data).campaigns.values() for c in cs}
    assert {row["dimensions"]["campaign_id"] for row in rows} <= campaigns


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"data_level": "AUCTION_ADGROUP"}, "data_level"),
        ({"dimensions": ["campaign_id", "stat_time_day"]}, "not a supported grouping"),
        ({"dimensions": ["campaign_id", "country_code", "stat_time_hour"]}, "grouping"),
        ({"data_level": "AUCTION_ADVERTISER"}, "needs the dimension 'advertiser_id'"),
        ({"filtering": [{"field_name": "campaign_status"}]}, "filtering: Not supported"),
        ({"query_lifetime": True}, "query_lifetime"),
        ({"metrics": ["spend", "impressions"]}, "Invalid metric fields: ['impressions']"),
        ({"end_date": "2026-10-01"}, "30 days"),
    ],
)
def test_tt_shop_refuses_what_the_reference_refuses(
    api: FakeTikTokApi, overrides: dict, message: str
) -> None:
    answer = tt_shop(api, **overrides)
    assert answer["code"] == 40002
    assert message in answer["message"]


def test_product_and_livestream_levels_share_out_their_campaigns(api: FakeTikTokApi) -> None:
    """Doc 1824722485971009: products of Product GMV Max, rooms of LIVE GMV Max campaigns."""
    advertiser_id, store_id = first_store(api)
    campaigns = shop_world(api.data).campaigns[advertiser_id, store_id]
    for promotion, dimension in (("PRODUCT", "item_group_id"), ("LIVE", "room_id")):
        ids = [c.campaign_id for c in campaigns if c.promotion == promotion and not c.deleted]
        below = report(
            api,
            dimensions=["campaign_id", dimension, "stat_time_day"],
            metrics=["cost", "orders"],
            filtering={"campaign_ids": ids},
        )
        above = report(api, filtering={"gmv_max_promotion_types": [promotion]}, metrics=["cost"])
        assert below["code"] == 0, below
        totals: dict[tuple, float] = {}
        for row in below["data"]["list"]:
            key = (row["dimensions"]["campaign_id"], row["dimensions"]["stat_time_day"])
            totals[key] = totals.get(key, 0) + float(row["metrics"]["cost"])
        campaign = {
            (row["dimensions"]["campaign_id"], row["dimensions"]["stat_time_day"]): float(
                row["metrics"]["cost"]
            )
            for row in above["data"]["list"]
        }
        assert totals == pytest.approx(campaign)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"filtering": {}}, "campaign_ids"),
        ({"metrics": ["product_name", "cost"]}, "Attribute metrics ['product_name']"),
        ({"metrics": ["live_views"]}, "Invalid metric"),
    ],
)
def test_product_level_refuses_what_the_reference_refuses(
    api: FakeTikTokApi, overrides: dict, message: str
) -> None:
    advertiser_id, store_id = first_store(api)
    campaigns = shop_world(api.data).campaigns[advertiser_id, store_id]
    ids = [c.campaign_id for c in campaigns if c.promotion == "PRODUCT"]
    params = {
        "dimensions": ["campaign_id", "item_group_id", "stat_time_day"],
        "metrics": ["cost"],
        "filtering": {"campaign_ids": ids},
    }
    answer = report(api, **(params | overrides))
    assert answer["code"] == 40002
    assert message in answer["message"]
