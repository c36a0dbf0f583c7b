"""Stream maps and flattening: the SDK's built-in capabilities, configured only in config."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from tests.conftest import NOW, run_tap, tap_config
from tests.fake_api import FakeTikTokApi
from tests.truth import REPORTS, by_key, expected_report_records

pytestmark = pytest.mark.usefixtures("frozen_now")

START, END = dt.date(2026, 11, 10), dt.date(2026, 11, 12)


def config(api: FakeTikTokApi, **overrides: object) -> dict:
    return tap_config(api, start_date=START.isoformat(), end_date=END.isoformat(), **overrides)


def test_a_map_drops_a_column_from_schema_and_records(fake_api, fake_data) -> None:
    metrics = ["spend", "impressions", "cpm"]
    result = run_tap(
        config(fake_api, stream_maps={"ad_report_daily": {"cpm": "__NULL__"}}),
        streams={"ad_report_daily": metrics},
    )
    schema = result.schemas["ad_report_daily"]["schema"]
    assert "cpm" not in schema["properties"]
    assert {"spend", "impressions"} <= set(schema["properties"])
    records = result.records["ad_report_daily"]
    assert records
    assert all("cpm" not in record for record in records)
    keys = REPORTS["ad_report_daily"].key_properties
    expected = [
        {k: v for k, v in record.items() if k != "cpm"}
        for record in expected_report_records(
            fake_data, "ad_report_daily", metrics, start=START, end=END, now=NOW
        )
    ]
    assert by_key(records, keys) == by_key(expected, keys)


def test_an_alias_renames_the_stream_but_state_keeps_its_name(fake_api, fake_data) -> None:
    alias = "tiktok_campaign_daily"
    result = run_tap(
        config(fake_api, stream_maps={"campaign_report_daily": {"__alias__": alias}}),
        streams={"campaign_report_daily": ["spend"]},
    )
    assert "campaign_report_daily" not in result.records
    assert "campaign_report_daily" not in result.schemas
    assert result.schemas[alias]["key_properties"] == [
        "advertiser_id",
        "campaign_id",
        "stat_time_day",
    ]
    expected = expected_report_records(
        fake_data, "campaign_report_daily", ["spend"], start=START, end=END, now=NOW
    )
    assert len(result.records[alias]) == len(expected) > 0
    # Bookmarks belong to the tap's stream, so a renamed output resumes where it left off.
    assert set(result.state["bookmarks"]) == {"campaign_report_daily"}


def test_flattening_expands_a_nested_object_and_serialises_arrays(fake_api) -> None:
    # A map nests the whole record under `snapshot`; flattening then expands it one level.
    result = run_tap(
        config(
            fake_api,
            stream_maps={"ad_report_daily": {"snapshot": "record"}},
            flattening_enabled=True,
            flattening_max_depth=1,
        ),
        streams={"ad_report_daily": ["spend", "impressions"], "adgroups": None},
    )
    properties = result.schemas["ad_report_daily"]["schema"]["properties"]
    assert "snapshot" not in properties
    assert properties["snapshot__spend"]["type"] == properties["spend"]["type"]
    records = result.records["ad_report_daily"]
    assert records
    for record in records:
        assert "snapshot" not in record
        assert record["snapshot__spend"] == record["spend"]
        assert record["snapshot__ad_id"] == record["ad_id"]

    # Arrays are not expanded: flattened, they become JSON text with a string schema.
    adgroup_schema = result.schemas["adgroups"]["schema"]["properties"]
    assert adgroup_schema["age_groups"]["type"] == ["string", "null"]
    adgroups = result.records["adgroups"]
    assert adgroups
    for adgroup in adgroups:
        if adgroup.get("age_groups") is not None:
            assert isinstance(json.loads(adgroup["age_groups"]), list)
    assert any(adgroup.get("age_groups") for adgroup in adgroups)
