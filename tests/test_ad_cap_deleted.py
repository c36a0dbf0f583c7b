"""An entity over the ad cap by itself is summed from the level below, and `include_deleted`
still decides whether deleted entities' rows are there, exactly as in an uncapped query.

The fake caps reports at a few ads (tests/fake_api/ad_cap.py); every fourth entity is
deleted, campaign 4 (Upgraded Smart+) on the second day of the window, so it has spend in
it. Expected rows are the fake's truth without the cap (tests/truth.py).
"""

from __future__ import annotations

import datetime as dt
import json

import pytest

from tap_tiktok_ads import dates
from tests.conftest import run_tap, tap_config
from tests.fake_api import DataSpec, FakeData, FakeTikTokApi
from tests.fake_api.vocabulary import DataLevel
from tests.truth import REPORTS, by_key, expected_report_records

NOW = dt.datetime(2026, 10, 20, 15, 30, tzinfo=dt.timezone.utc)
START, END = dt.date(2026, 10, 1), dt.date(2026, 10, 6)
ADDITIVE = ["spend", "impressions", "clicks"]
REPORT = "report/integrated/get/"


def spec(adgroups: int, ads: int, cap: int) -> DataSpec:
    return DataSpec(
        advertisers=1,
        campaigns_per_advertiser=4,
        adgroups_per_campaign=adgroups,
        ads_per_adgroup=ads,
        first_day=dt.date(2026, 9, 1),
        last_day=dt.date(2026, 10, 31),
        ad_cap=cap,
    )


# Campaigns of 20 ads, ad groups of 5, a cap of 8: every campaign is over the cap by
# itself and is summed from its ad groups.
CAMPAIGNS_OVER_CAP = spec(adgroups=4, ads=5, cap=8)
# Ad groups of 6 ads, a cap of 6: every ad group is over the cap by itself and is summed
# from its ads.
ADGROUPS_OVER_CAP = spec(adgroups=2, ads=6, cap=6)


@pytest.fixture
def frozen_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(dates, "utc_now", lambda: NOW)


def ids_in(request) -> list[str]:
    """The IDs of a report request's ID filter (none without one)."""
    filtering = request.params.get("filtering") or []
    for item in json.loads(filtering) if isinstance(filtering, str) else filtering:
        if item["field_name"].endswith(("_ids", "_ids_v2")):
            values = item["filter_value"]
            return json.loads(values) if isinstance(values, str) else values
    return []


def deleted_ids(data: FakeData, level: DataLevel) -> set[str]:
    advertiser_id = data.advertiser_ids()[0]
    return {
        entity.entity_id
        for entity in data.entities(advertiser_id, level, include_deleted=True)
        if entity.deleted
    }


def smart_plus_ids(data: FakeData, level: DataLevel) -> set[str]:
    advertiser_id = data.advertiser_ids()[0]
    return {
        entity.entity_id
        for entity in data.entities(advertiser_id, level, include_deleted=True)
        if entity.smart_plus
    }


@pytest.mark.usefixtures("frozen_clock")
@pytest.mark.parametrize(
    ("stream", "world", "include_deleted"),
    [
        ("campaign_report_daily", CAMPAIGNS_OVER_CAP, False),
        ("campaign_report_daily", CAMPAIGNS_OVER_CAP, True),
        ("adgroup_report_daily", ADGROUPS_OVER_CAP, False),
        ("adgroup_report_daily", ADGROUPS_OVER_CAP, True),
        ("advertiser_report_daily", CAMPAIGNS_OVER_CAP, False),
        ("advertiser_report_daily", CAMPAIGNS_OVER_CAP, True),
    ],
)
def test_deleted_entities_follow_include_deleted_when_summed(
    stream: str, world: DataSpec, include_deleted: bool
) -> None:
    """Exactly the rows of an uncapped query: deleted entities' only with include_deleted."""
    data = FakeData(world)
    records, _ = capped_run(data, stream, include_deleted=include_deleted)
    expected = expected_report_records(
        data, stream, ADDITIVE, start=START, end=END, include_deleted=include_deleted, now=NOW
    )
    level = DataLevel(REPORTS[stream].level.value)
    if level is not DataLevel.ADVERTISER:  # the world has deleted entities with spend
        with_deleted = expected_report_records(
            data, stream, ADDITIVE, start=START, end=END, include_deleted=True, now=NOW
        )
        assert {r[level.id_dimension] for r in with_deleted} & deleted_ids(data, level)
    assert_same_records(records, expected, REPORTS[stream].key_properties)


@pytest.mark.usefixtures("frozen_clock")
def test_smart_plus_adgroups_are_summed_from_rows_by_ad_id_v2() -> None:
    """Rows by `ad_id` of an Upgraded Smart+ ad are its creatives', whose IDs the fake's
    `ad/get/` does not list: ads are summed from rows by `ad_id_v2`, filtered by `ad_ids_v2` (Doc
    1740302848100353), so the Smart+ ad groups over the cap by themselves keep their rows."""
    data = FakeData(ADGROUPS_OVER_CAP)
    records, reports = capped_run(data, "adgroup_report_daily", include_deleted=True)
    assert smart_plus_ids(data, DataLevel.ADGROUP) & {r["adgroup_id"] for r in records}
    summed = [r for r in reports if r.params["data_level"] == "AUCTION_AD"]
    assert summed
    for request in summed:
        assert "ad_id_v2" in as_list(request.params["dimensions"])
        fields = {item["field_name"] for item in as_list(request.params["filtering"])}
        assert "ad_ids_v2" in fields
        assert "ad_ids" not in fields


def as_list(value: object) -> list:
    """A request parameter as sent, JSON text or already a list."""
    return json.loads(value) if isinstance(value, str) else list(value)  # type: ignore[arg-type]


def capped_run(data: FakeData, stream: str, *, include_deleted: bool) -> tuple[list[dict], list]:
    """Sync one report stream of the capped world; the tap must have read it in batches.

    Returns the stream's records and the report requests the fake received.
    """
    definition = REPORTS[stream]
    with FakeTikTokApi(data, clock=lambda: NOW) as api:
        config = tap_config(
            api,
            start_date=START.isoformat(),
            end_date=END.isoformat(),
            include_deleted=include_deleted,
        )
        result = run_tap(
            config, streams={stream: ["advertiser_id", *definition.dimensions, *ADDITIVE]}
        )
        reports = [r for r in api.requests if r.path == REPORT]
        batched = [r for r in reports if ids_in(r)]
        listings = api.count("campaign/get/") + api.count("adgroup/get/")
    assert batched  # read in ID batches: the account is over the cap
    # Without deleted entities, those at a summed level are listed once per run: one page
    # in each of the two passes (TopView is a pass of its own); otherwise not at all.
    # Below the advertiser level, one campaign/get/ per advertiser (two with include_deleted)
    # also tells whether it has TopView campaigns (top_view.py).
    below_advertiser = definition.level.value != "ADVERTISER"
    summed_without_deleted = not include_deleted and below_advertiser
    top_view_checks = (2 if include_deleted else 1) if below_advertiser else 0
    assert listings == (2 if summed_without_deleted else 0) + top_view_checks
    return result.records[stream], reports


def assert_same_records(records: list[dict], expected: list[dict], keys: list[str]) -> None:
    """The same rows (none twice) with the same additive values as the truth."""
    assert len(records) == len(expected) > 0
    got, want = by_key(records, keys), by_key(expected, keys)
    assert got.keys() == want.keys()
    for key, record in got.items():
        for name in ADDITIVE:
            assert record[name] == pytest.approx(want[key][name], abs=1e-6), (key, name)
