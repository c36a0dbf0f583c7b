"""The fake's ad cap and timeout rules (tests/fake_api/ad_cap.py, timeouts.py), on their own."""

from __future__ import annotations

import dataclasses
import json
from collections import defaultdict
from datetime import date, datetime, timezone

import pytest
import requests

from tests.fake_api import DataSpec, FakeData, FakeTikTokApi
from tests.fake_api.ad_cap import THROTTLE_HEADER, THROTTLE_TEXT
from tests.fake_api.vocabulary import DataLevel

FINAL_NOW = datetime(2027, 1, 15, 12, tzinfo=timezone.utc)
REPORT = "report/integrated/get/"
CAP = 50
# One advertiser with 3 x 4 x 10 = 120 ads, every fourth entity deleted.
CAPPED_SPEC = DataSpec(
    advertisers=1,
    campaigns_per_advertiser=3,
    adgroups_per_campaign=4,
    ads_per_adgroup=10,
    first_day=date(2026, 9, 1),
    last_day=date(2026, 10, 31),
    ad_cap=CAP,
)
START, END = "2026-10-01", "2026-10-10"


@pytest.fixture(scope="module")
def data() -> FakeData:
    return FakeData(CAPPED_SPEC)


@pytest.fixture
def api(data: FakeData):
    with FakeTikTokApi(data, clock=lambda: FINAL_NOW) as server:
        yield server


def ask(
    api: FakeTikTokApi, level: str, filtering: list[dict] | None = None, **extra
) -> requests.Response:
    params = {
        "advertiser_id": api.data.advertiser_ids()[0],
        "report_type": "BASIC",
        "data_level": f"AUCTION_{level}",
        "dimensions": json.dumps([f"{level.lower()}_id", "stat_time_day"]),
        "metrics": json.dumps(["spend", "impressions", "ctr"]),
        "start_date": START,
        "end_date": END,
        "page_size": 1000,
        **extra,
    }
    if filtering is not None:
        params["filtering"] = json.dumps(filtering)
    return requests.get(
        f"{api.base_url}/{REPORT}", params=params, headers={"Access-Token": api.token}, timeout=10
    )


def ids_filter(field: str, ids: list[str]) -> dict:
    return {"field_name": field, "filter_type": "IN", "filter_value": json.dumps(ids)}


def status_all(level: str) -> dict:
    return ids_filter(f"{level.lower()}_status", ["STATUS_ALL"])


def truth(data: FakeData, level: str) -> list[dict]:
    return data.report_rows(
        data.advertiser_ids()[0],
        "BASIC",
        level,
        [f"{level.lower()}_id", "stat_time_day"],
        ["spend", "impressions", "ctr"],
        start=date.fromisoformat(START),
        end=date.fromisoformat(END),
        include_deleted=True,
        now=FINAL_NOW,
    )


def test_an_account_over_the_cap_gets_the_newest_ads_and_the_header(api, data):
    advertiser_id = data.advertiser_ids()[0]
    ads = data.entities(advertiser_id, DataLevel.AD, include_deleted=True)
    assert len(ads) == 120
    assert any(ad.deleted for ad in ads)
    newest = sorted(ads, key=lambda ad: (ad.record["create_time"], ad.entity_id), reverse=True)
    kept = {ad.entity_id for ad in newest[:CAP]}
    response = ask(api, "AD", [status_all("AD")])
    assert response.headers[THROTTLE_HEADER] == THROTTLE_TEXT
    rows = response.json()["data"]["list"]
    returned = {row["dimensions"]["ad_id"] for row in rows}
    assert returned <= kept
    assert returned < {row["dimensions"]["ad_id"] for row in truth(data, "AD")}


@pytest.mark.parametrize("level", ["ADVERTISER", "CAMPAIGN", "ADGROUP"])
def test_every_level_aggregates_only_the_capped_ads(api, data, level):
    filtering = None if level == "ADVERTISER" else [status_all(level)]
    response = ask(api, level, filtering)
    assert response.headers[THROTTLE_HEADER] == THROTTLE_TEXT
    spend = sum(float(row["metrics"]["spend"]) for row in response.json()["data"]["list"])
    assert 0 < spend < sum(float(row["metrics"]["spend"]) for row in truth(data, level))


def test_id_filters_apply_before_the_cap(api, data):
    """Campaigns with fewer than CAP ads between them are read whole, without the header."""
    advertiser_id = data.advertiser_ids()[0]
    ads_per_campaign: dict[str, int] = defaultdict(int)
    for ad in data.entities(advertiser_id, DataLevel.AD, include_deleted=True):
        ads_per_campaign[ad.lineage["campaign_id"]] += 1
    campaign = min(ads_per_campaign)
    assert ads_per_campaign[campaign] < CAP
    response = ask(api, "AD", [status_all("AD"), ids_filter("campaign_ids", [campaign])])
    assert THROTTLE_HEADER not in response.headers
    expected = [
        row
        for row in truth(data, "AD")
        if data.entity(row["dimensions"]["ad_id"]).lineage["campaign_id"] == campaign
    ]
    assert response.json()["data"]["list"] == expected


@pytest.mark.parametrize(("field", "dimension"), [("ad_ids", "ad_id"), ("ad_ids_v2", "ad_id_v2")])
def test_more_than_100_ids_are_refused(api, field, dimension):
    too_many = [ids_filter(field, [str(n) for n in range(101)])]
    response = ask(api, "AD", too_many, dimensions=json.dumps([dimension]))
    assert response.json()["code"] == 40002
    assert "100" in response.json()["message"]


# Campaign 4 is an Upgraded Smart+ campaign (tests/fake_api/catalog.py): 4 x 4 x 3 ads.
SMART_PLUS_SPEC = dataclasses.replace(CAPPED_SPEC, campaigns_per_advertiser=4, ads_per_adgroup=3)


@pytest.fixture
def smart_plus_api():
    with FakeTikTokApi(FakeData(SMART_PLUS_SPEC), clock=lambda: FINAL_NOW) as server:
        yield server


def test_rows_by_ad_id_v2_are_the_ads_and_ad_ids_v2_selects_them(smart_plus_api):
    """Doc 1740302848100353: an Upgraded Smart+ ad reports one row by `ad_id_v2`, the sum of
    its creatives' rows by `ad_id`; a Manual ad's rows are the same either way."""
    api = smart_plus_api
    data = api.data
    advertiser_id = data.advertiser_ids()[0]
    ads = data.entities(advertiser_id, DataLevel.AD, include_deleted=True)
    smart_plus = next(ad for ad in ads if ad.smart_plus)
    manual = next(ad for ad in ads if not ad.smart_plus)
    wanted = [smart_plus.entity_id, manual.entity_id]
    by_v2 = ask(
        api,
        "AD",
        [status_all("AD"), ids_filter("ad_ids_v2", wanted)],
        dimensions=json.dumps(["ad_id_v2", "stat_time_day"]),
    ).json()
    assert by_v2["code"] == 0, by_v2
    groups = [smart_plus.lineage["adgroup_id"], manual.lineage["adgroup_id"]]
    by_creative = ask(api, "AD", [status_all("AD"), ids_filter("adgroup_ids", groups)]).json()
    expected: dict[tuple[str, str], float] = defaultdict(float)
    for row in by_creative["data"]["list"]:
        ad_id_v2 = data.entity(row["dimensions"]["ad_id"]).lineage["ad_id_v2"]
        if ad_id_v2 in wanted:
            expected[ad_id_v2, row["dimensions"]["stat_time_day"]] += float(row["metrics"]["spend"])
    got = {
        (row["dimensions"]["ad_id_v2"], row["dimensions"]["stat_time_day"]): float(
            row["metrics"]["spend"]
        )
        for row in by_v2["data"]["list"]
    }
    assert {ad_id for ad_id, _ in got} == set(wanted)  # both ads have spend in the window
    assert got == pytest.approx(dict(expected))
    creatives = {row["dimensions"]["ad_id"] for row in by_creative["data"]["list"]}
    assert smart_plus.entity_id not in creatives  # by `ad_id`, its creatives report instead


@pytest.mark.parametrize(
    ("level", "dimension", "field"),
    [
        ("AD", "ad_id_v2", "ad_ids"),  # bububa model/report/metrics.go
        ("AD", "ad_id", "ad_ids_v2"),  # inferred: the filter goes with its dimension
        ("ADGROUP", "adgroup_id", "ad_ids_v2"),
    ],
)
def test_ad_id_v2_combinations_that_are_refused(api, data, level, dimension, field):
    ad_id = data.entities(data.advertiser_ids()[0], DataLevel.AD)[0].entity_id
    response = ask(api, level, [ids_filter(field, [ad_id])], dimensions=json.dumps([dimension]))
    assert response.json()["code"] == 40002


def test_slow_query_times_out_and_a_repeated_one_is_blocked(api):
    api.timeouts.configure(timeout_cost=100)
    small = ask(
        api,
        "CAMPAIGN",
        [
            ids_filter(
                "campaign_ids",
                [api.data.entities(api.data.advertiser_ids()[0], DataLevel.CAMPAIGN)[0].entity_id],
            )
        ],
        end_date=START,
    )
    assert small.json()["code"] == 0
    assert api.punishments() == []
    codes = [ask(api, "AD").json()["code"] for _ in range(4)]
    assert codes == [51010, 51010, 51010, 40100]
    assert [p.kind for p in api.punishments()] == ["request_blocked"]


def test_ten_timeouts_in_ten_seconds_lower_the_qps_limit(api):
    api.timeouts.configure(timeout_cost=100)
    for day in range(1, 11):  # ten different requests, each timing out once
        assert ask(api, "AD", end_date=f"2026-10-{day + 10:02d}").json()["code"] == 51010
    assert [p.kind for p in api.punishments()] == ["qps_lowered"]
    assert "QPS limit 5" in api.punishments()[0].detail
    codes = [ask(api, "ADVERTISER", end_date=START).json()["code"] for _ in range(8)]
    assert 40100 in codes  # at most 5 calls a second get through now


def test_oversized_query_is_refused_with_40067(api):
    api.timeouts.configure(refuse_cost=100)
    assert ask(api, "AD").json()["code"] == 40067
    assert ask(api, "ADVERTISER").json()["code"] == 0
    assert api.punishments() == []


def test_a_kind_of_query_timing_out_on_most_calls_of_the_day_is_blocked(api):
    """Scenario 4: past 80 % daily timeouts, the shape (not one request) is blocked."""
    api.timeouts.configure(timeout_cost=100, shape_min_requests=5)
    # Five different 10-day ad-level queries: one shape, each timing out once.
    for day in range(1, 5):
        span = {"start_date": f"2026-10-{day:02d}", "end_date": f"2026-10-{day + 9:02d}"}
        assert ask(api, "AD", **span).json()["code"] == 51010
    assert api.punishments() == []  # too few calls yet for a daily rate
    fifth = ask(api, "AD", start_date="2026-10-05", end_date="2026-10-14").json()
    assert fifth["code"] == 51010
    assert [p.kind for p in api.punishments()] == ["shape_blocked"]
    sixth = ask(api, "AD", start_date="2026-10-06", end_date="2026-10-15").json()
    assert sixth["code"] == 40100
    assert "80%" in sixth["message"]
    assert ask(api, "ADVERTISER", end_date=START).json()["code"] == 0  # another shape
