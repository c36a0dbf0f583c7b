"""Upgraded Smart+ ads in ID batches: `ad/get/` lists their creatives, reports sum the ads.

Doc 1854103649826817 ("Retrieve data for Upgrade Smart+, Smart+, and Manual Campaigns",
Creative row): `/ad/get/` "with the `ad_ids_v2` filter not specified" lists an Upgraded Smart+
ad's creatives, `ad_id` a creative's ID and `smart_plus_ad_id` the ad's; reports by `ad_id_v2`
(filter `ad_ids_v2`) give the ad's rows, reports by `ad_id` (filter `ad_ids`) the creatives'.
The fake lists the ads themselves (tests/fake_api/catalog.py), so TikTok's listing is given
here as `ad/get/` pages.
"""

from __future__ import annotations

import json

from tap_tiktok_ads.id_batches import RollUp, batch_params, list_ads, plan_batches
from tap_tiktok_ads.metrics import DataLevel
from tap_tiktok_ads.paging import Page
from tests.conftest import run_tap, tap_config
from tests.fake_api import FakeData, FakeTikTokApi
from tests.test_ad_cap import ONE_CAMPAIGN

# TikTok's ad/get/ answer for one Upgraded Smart+ ad 900 with the creatives 901 and 902, and
# one Manual ad 800, all in ad group 20 of campaign 10.
LISTED = [
    {"ad_id": "901", "smart_plus_ad_id": "900", "adgroup_id": "20", "campaign_id": "10"},
    {"ad_id": "902", "smart_plus_ad_id": "900", "adgroup_id": "20", "campaign_id": "10"},
    {"ad_id": "800", "smart_plus_ad_id": None, "adgroup_id": "20", "campaign_id": "10"},
]


def _listed(params):
    assert "smart_plus_ad_id" in params["fields"]
    top_view = "RESERVATION_TOP_VIEW" in params["filtering"]["buying_types"]
    return [] if top_view else [Page(LISTED, 1)]


def _sent_ids(level: DataLevel, dimension: str) -> list[tuple[str, list[str]]]:
    """(filter, IDs) of each request of a report at `level` over an ad group too big alone."""
    batches = plan_batches(list_ads("1", _listed), level, max_ads=1)
    params = {"data_level": f"AUCTION_{level.value}", "dimensions": [dimension]}
    sent = [batch_params({**params, "metrics": ["spend"]}, b.context(), level) for b in batches]
    return [
        (item["field_name"], json.loads(item["filter_value"]))
        for request in sent
        for item in request["filtering"]
        if item["field_name"].endswith("_ids") or item["field_name"].endswith("_ids_v2")
    ]


def test_an_ad_group_summed_from_ads_filters_the_smart_plus_ad_once_by_its_own_id() -> None:
    assert sorted(_sent_ids(DataLevel.ADGROUP, "adgroup_id")) == [
        ("ad_ids_v2", ["800"]),
        ("ad_ids_v2", ["900"]),  # the ad, not its creatives 901 and 902
    ]
    rollup = RollUp(DataLevel.ADGROUP, "1", list_ads("1", _listed))
    rollup.add({"dimensions": {"ad_id_v2": "900"}, "metrics": {"spend": "5.00"}}, DataLevel.AD)
    rollup.add({"dimensions": {"ad_id_v2": "800"}, "metrics": {"spend": "1.50"}}, DataLevel.AD)
    assert not rollup.unknown
    assert rollup.rows() == [{"dimensions": {"adgroup_id": "20"}, "metrics": {"spend": "6.50"}}]


def test_the_ad_level_filters_creatives_by_ad_id() -> None:
    assert sorted(_sent_ids(DataLevel.AD, "ad_id")) == [
        ("ad_ids", ["800"]),
        ("ad_ids", ["901"]),
        ("ad_ids", ["902"]),
    ]


def test_the_ads_stream_has_the_ads_own_id_and_automation_type(frozen_now) -> None:
    """Doc 1854103649826817: `ad/get/` returns `ad_id_v2`, `smart_plus_ad_id` (a creative's
    ad) and `campaign_automation_type`; the ads stream's schema has them."""
    data = FakeData(ONE_CAMPAIGN)
    with FakeTikTokApi(data, clock=lambda: frozen_now) as api:
        result = run_tap(tap_config(api), streams={"ads": None})
    records = result.records["ads"]
    assert records
    assert all(r["ad_id_v2"] == r["ad_id"] for r in records)  # the fake lists the ads
    assert {r["campaign_automation_type"] for r in records} <= {"MANUAL", "UPGRADED_SMART_PLUS"}
    assert all("smart_plus_ad_id" in r for r in records)
