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
        if item["field_name"].endswith("_ids"):
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


# An ad group over the cap by itself is summed from `ad_ids` batches; the fake's rows (and
# `ad_ids` filter) of an Upgraded Smart+ ad are its creatives', whose IDs `ad/get/` does not
# list, so such an ad group's rows are lost whatever `include_deleted` says. In this world
# the Smart+ ad groups are the deleted campaign's, so only the run with deleted ones shows it.
SMART_PLUS_BY_ADS = pytest.mark.xfail(
    strict=True, reason="Smart+ creatives are not in ad_ids batches (see the comment above)"
)


@pytest.mark.usefixtures("frozen_clock")
@pytest.mark.parametrize(
    ("stream", "world", "include_deleted"),
    [
        ("campaign_report_daily", CAMPAIGNS_OVER_CAP, False),
        ("campaign_report_daily", CAMPAIGNS_OVER_CAP, True),
        ("adgroup_report_daily", ADGROUPS_OVER_CAP, False),
        pytest.param("adgroup_report_daily", ADGROUPS_OVER_CAP, True, marks=SMART_PLUS_BY_ADS),
        ("advertiser_report_daily", CAMPAIGNS_OVER_CAP, False),
        ("advertiser_report_daily", CAMPAIGNS_OVER_CAP, True),
    ],
)
def test_deleted_entities_follow_include_deleted_when_summed(
    stream: str, world: DataSpec, include_deleted: bool
) -> None:
    """Exactly the rows of an uncapped query: deleted entities' only with include_deleted."""
    data = FakeData(world)
    records = capped_run(data, stream, include_deleted=include_deleted)
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
def test_deleted_adgroups_summed_from_ads_are_there_with_include_deleted() -> None:
    """The reverse at ad group level, without the Smart+ ad groups (see SMART_PLUS_BY_ADS)."""
    data = FakeData(ADGROUPS_OVER_CAP)
    stream = "adgroup_report_daily"
    records = capped_run(data, stream, include_deleted=True)
    smart_plus = smart_plus_ids(data, DataLevel.ADGROUP)
    expected = [
        record
        for record in expected_report_records(
            data, stream, ADDITIVE, start=START, end=END, include_deleted=True, now=NOW
        )
        if record["adgroup_id"] not in smart_plus
    ]
    deleted = deleted_ids(data, DataLevel.ADGROUP) - smart_plus
    assert {r["adgroup_id"] for r in expected} & deleted  # a deleted ad group with spend
    got = [record for record in records if record["adgroup_id"] not in smart_plus]
    assert_same_records(got, expected, REPORTS[stream].key_properties)


def capped_run(data: FakeData, stream: str, *, include_deleted: bool) -> list[dict]:
    """Sync one report stream of the capped world; the tap must have read it in batches."""
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
        batched = [r for r in api.requests if r.path == REPORT and ids_in(r)]
        listings = api.count("campaign/get/") + api.count("adgroup/get/")
    assert batched  # read in ID batches: the account is over the cap
    # Without deleted entities, those at a summed level are listed once per run: one page
    # in each of the two passes (TopView is a pass of its own); otherwise not at all.
    summed_without_deleted = not include_deleted and definition.level.value != "ADVERTISER"
    assert listings == (2 if summed_without_deleted else 0)
    return result.records[stream]


def assert_same_records(records: list[dict], expected: list[dict], keys: list[str]) -> None:
    """The same rows (none twice) with the same additive values as the truth."""
    assert len(records) == len(expected) > 0
    got, want = by_key(records, keys), by_key(expected, keys)
    assert got.keys() == want.keys()
    for key, record in got.items():
        for name in ADDITIVE:
            assert record[name] == pytest.approx(want[key][name], abs=1e-6), (key, name)
