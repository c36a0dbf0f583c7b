"""TikTok's documented example answers of the GMV Max store and campaign listings, replayed.

Like `tests/test_replay.py`: the replay server answers with the examples of Docs
1822001044479041 and 1826463372290177 (placeholders filled, fixtures/SOURCES.md), the tap syncs
them, and every record is compared with values written out here from the fixture and checked to
hold every member TikTok sent.
"""

from __future__ import annotations

import datetime as dt
import json

from tests.replay.server import Reply, fixture, nothing_listed
from tests.replay_harness import assert_every_field_kept, replay

UTC = dt.timezone.utc
ADVERTISER = "7002238017842757633"  # the advertiser the fixtures name (Airbyte's recorded one)
INFO = Reply(fixture("advertiser_info/advertisers_airbyte_recorded"))
NOW = dt.datetime(2025, 7, 1, 12, tzinfo=UTC)
STORES = fixture("gmv_max_store_list/store_list_doc")
CAMPAIGNS = fixture("gmv_max_campaign_get/campaign_get_doc")
# The doc example's second store is available for GMV Max; its Product GMV Max campaigns are
# the example's two, every other listing (LIVE, the third store) is empty.
STORE = "7495000000000000002"
PRODUCT_OF_STORE = json.dumps(
    {"gmv_max_promotion_types": ["PRODUCT_GMV_MAX"], "store_ids": [STORE]},
    separators=(",", ":"),
)
NONE_LISTED = nothing_listed(100)
ROUTES = {
    "/advertiser/info/": INFO,
    "/gmv_max/store/list/": Reply(STORES),
    "/gmv_max/campaign/get/": [Reply(CAMPAIGNS, {"filtering": PRODUCT_OF_STORE}), NONE_LISTED],
}


def test_gmv_max_stores_and_campaigns_from_tiktoks_reference_examples(monkeypatch) -> None:
    """Every store of Doc 1822001044479041's example, the campaigns of Doc 1826463372290177's."""
    result, server = replay(
        monkeypatch,
        NOW,
        ROUTES,
        {"gmv_max_stores": None, "gmv_max_campaigns": None},
        advertiser_ids=[ADVERTISER],
    )
    sent_stores = STORES["data"]["store_list"]
    assert result.records["gmv_max_stores"] == [
        {**store, "advertiser_id": ADVERTISER} for store in sent_stores
    ]
    assert_every_field_kept(result.records["gmv_max_stores"], sent_stores)
    sent_campaigns = CAMPAIGNS["data"]["list"]
    assert result.records["gmv_max_campaigns"] == [
        {
            "advertiser_id": ADVERTISER,
            "store_id": STORE,
            "campaign_id": f"183000000000000000{n}",
            "campaign_name": f"Doc GMV Max campaign {n}",
            "gmv_max_promotion_type": "PRODUCT",
            "objective_type": "PRODUCT_SALES",
            "secondary_status": "CAMPAIGN_STATUS_DISABLE",
            "operation_status": "DISABLE",
            "create_time": f"2025-06-0{n}T10:00:0{n}+00:00",  # TikTok: "2025-06-01 10:00:01", UTC
            "modify_time": f"2025-06-1{n}T08:30:0{n}+00:00",
        }
        for n in (1, 2)
    ]
    assert_every_field_kept(result.records["gmv_max_campaigns"], sent_campaigns)
    # The two stores available for GMV Max, each campaign type: all fields (no `fields`).
    asked = server.asked("/gmv_max/campaign/get/")
    listed = {
        (
            r.json_param("filtering")["store_ids"][0],
            *r.json_param("filtering")["gmv_max_promotion_types"],
        )
        for r in asked
    }
    assert listed == {
        (store, kind)
        for store in (STORE, "7495000000000000003")
        for kind in ("PRODUCT_GMV_MAX", "LIVE_GMV_MAX")
    }
    assert all("fields" not in r.query for r in asked)


def test_gmv_max_campaigns_ask_only_for_the_selected_fields(monkeypatch) -> None:
    """A deselected documented field is not asked for (Doc 1826463372290177's `fields`)."""
    selected = ["advertiser_id", "store_id", "campaign_id", "campaign_name", "modify_time"]
    result, server = replay(
        monkeypatch,
        NOW,
        ROUTES,
        {"gmv_max_campaigns": selected},
        advertiser_ids=[ADVERTISER],
    )
    assert [set(r) for r in result.records["gmv_max_campaigns"]] == [set(selected)] * 2
    asked = server.asked("/gmv_max/campaign/get/")
    assert asked
    for request in asked:
        fields = request.json_param("fields")
        assert fields == ["advertiser_id", "campaign_id", "campaign_name", "modify_time"]
