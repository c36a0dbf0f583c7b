"""Entity schemas from TikTok's documented fields; undeclared fields kept; `fields` requested."""

from __future__ import annotations

import datetime as dt
import logging
from importlib import resources

import pytest

from tap_tiktok_ads import dates
from tap_tiktok_ads.conform import conform
from tap_tiktok_ads.entity_fields import entity_schema, load_fields
from tap_tiktok_ads.extra_fields import EXTRA_FIELDS, undeclared_members
from tap_tiktok_ads.stream_fields import stream_schema
from tap_tiktok_ads.tap import TapTikTokAds
from tests.conftest import SMALL_SPEC, run_tap, tap_config
from tests.fake_api import FakeData, FakeTikTokApi
from tests.fake_api.entity_fields import UNDOCUMENTED_FIELD

LATER = dt.datetime(2027, 1, 15, 12, tzinfo=dt.timezone.utc)
ENDPOINTS = ("campaign_get", "adgroup_get", "ad_get", "advertiser_info")
PATHS = {"campaigns": "campaign/get/", "adgroups": "adgroup/get/", "ads": "ad/get/"}
STREAM_FIELD_FILES = sorted(
    path.name.removesuffix(".csv")
    for path in resources.files("tap_tiktok_ads").joinpath("data", "stream_fields").iterdir()
)
SOURCES = ("Doc ", "bububa ", "Airbyte ", "recorded answer ", "the tap: ")


@pytest.fixture
def api(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(dates, "utc_now", lambda: LATER)
    with FakeTikTokApi(FakeData(SMALL_SPEC), clock=lambda: LATER) as server:
        yield server


@pytest.mark.parametrize(
    ("folder", "name"),
    [("entity_fields", endpoint) for endpoint in ENDPOINTS]
    + [("stream_fields", stream) for stream in STREAM_FIELD_FILES],
)
def test_every_row_has_a_source_and_a_parent(folder: str, name: str) -> None:
    fields = load_fields(name, folder)
    paths = {field.path for field in fields}
    assert len(paths) == len(fields), "a field is listed twice"
    for field in fields:
        assert field.source.startswith(SOURCES), field
        if len(field.path) > 1:
            parent = next(f for f in fields if f.path == field.path[:-1])
            assert parent.data_type in ("object", "object[]"), field
    if folder == "entity_fields":  # every data type is one the schema knows
        entity_schema(name)
    else:
        stream_schema(name, ())


def test_every_stream_fields_file_is_a_streams_schema_in_the_catalog() -> None:
    catalog = TapTikTokAds(config={}, parse_env_config=False).catalog_dict
    properties = {
        entry["tap_stream_id"]: list(entry["schema"]["properties"]) for entry in catalog["streams"]
    }
    for stream in STREAM_FIELD_FILES:
        top_level = [f.name for f in load_fields(stream, "stream_fields") if len(f.path) == 1]
        assert properties[stream] == [*top_level, EXTRA_FIELDS], stream


def test_stream_schemas_take_the_sdks_types_keys_and_descriptions() -> None:
    videos = stream_schema("videos", ("advertiser_id", "video_id"))
    assert videos["required"] == ["advertiser_id", "video_id"]
    assert videos["properties"]["video_id"] == {"type": ["string"]}
    assert videos["properties"]["allowed_placements"] == {
        "type": ["array", "null"],
        "items": {"type": ["string"]},
    }
    assert videos["properties"]["modify_time"]["format"] == "date-time"
    audience = stream_schema("custom_audiences", ())["properties"]["lookalike_spec"]
    assert audience["type"] == ["object", "null"]
    assert audience["additionalProperties"] is True
    assert audience["properties"]["placements"]["type"] == ["array", "string", "null"]
    daily = stream_schema("organic_profile_daily", ("business_id", "date"))["properties"]
    assert daily["date"] == {"type": ["string"], "format": "date", "description": "UTC day."}
    hour = daily["audience_activity"]["items"]["properties"]["hour"]
    assert hour == {"type": ["integer", "null"], "description": "Hour of the day, UTC."}


def test_schema_types_objects_arrays_and_ids() -> None:
    properties = entity_schema("adgroup_get", ("advertiser_id", "adgroup_id"))["properties"]
    assert properties["adgroup_id"]["type"] == ["string"]
    assert properties["campaign_id"]["type"] == ["string", "null"]
    assert properties["location_ids"] == {"type": ["array", "null"], "items": {"type": "string"}}
    actions = properties["actions"]
    assert actions["type"] == ["array", "null"]
    assert actions["items"]["properties"]["action_category_ids"]["items"] == {"type": "string"}
    keywords = properties["search_keywords"]["items"]["properties"]
    reasons = keywords["reject_info"]["items"]["properties"]["reject_reasons"]
    assert reasons["items"]["properties"]["reason"]["type"] == ["string", "null"]
    assert properties["schedule_start_time"]["format"] == "date-time"
    assert properties["budget"]["type"] == ["number", "null"]
    assert properties["included_custom_actions"]["items"]["properties"]["days"]["type"] == [
        "integer",
        "null",
    ]
    assert properties[EXTRA_FIELDS]["additionalProperties"] is True


def test_conform_ids_as_text_at_any_depth() -> None:
    properties = entity_schema("adgroup_get")["properties"]
    assert conform(1714073022392322, properties["adgroup_id"]) == "1714073022392322"
    assert conform([5332921, "6252001"], properties["location_ids"]) == ["5332921", "6252001"]
    actions = [{"action_category_ids": [1, 2], "action_period": 7, "new_key": 1}]
    assert conform(actions, properties["actions"]) == [
        {"action_category_ids": ["1", "2"], "action_period": 7, "new_key": 1}
    ]
    assert undeclared_members(actions, properties["actions"], "actions") == ["actions.new_key"]
    assert conform({"a": 1}, properties["dayparting"]) == '{"a": 1}'
    assert conform(None, properties["dayparting"]) is None


def test_undeclared_fields_kept_in_extra_fields_and_logged_once(
    api: FakeTikTokApi, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING):
        result = run_tap(
            tap_config(api),
            streams={"campaigns": None, "adgroups": None, "ads": None, "advertisers": None},
        )
    for stream in ("campaigns", "adgroups", "ads", "advertisers"):
        records = result.records[stream]
        kept = [r[EXTRA_FIELDS] for r in records if EXTRA_FIELDS in r]
        assert kept, stream
        assert all(set(extra) == {UNDOCUMENTED_FIELD} for extra in kept), stream
        assert all(UNDOCUMENTED_FIELD not in r for r in records)
        warnings = [m for m in caplog.messages if m.startswith(f"{stream}: TikTok sent")]
        assert len(warnings) == 1, (stream, warnings)
        assert UNDOCUMENTED_FIELD in warnings[0]


def test_fields_sent_only_when_some_documented_field_is_deselected(api: FakeTikTokApi) -> None:
    run_tap(tap_config(api), streams={"campaigns": None})
    assert all("fields" not in r.params for r in api.requests if r.path == "campaign/get/")
    api.log.clear()

    result = run_tap(
        tap_config(api), streams={"campaigns": ["campaign_name", "budget"], "ads": ["ad_name"]}
    )
    asked = {r.path: r.params["fields"] for r in api.requests if r.path in PATHS.values()}
    assert asked == {
        "campaign/get/": [
            "advertiser_id",
            "campaign_id",
            "create_time",
            "modify_time",
            "campaign_name",
            "budget",
        ],
        # An ad's campaign and ad group: a change of theirs sends the ad again (entities.py).
        "ad/get/": [
            "advertiser_id",
            "ad_id",
            "campaign_id",
            "adgroup_id",
            "create_time",
            "modify_time",
            "ad_name",
        ],
    }
    assert result.records["campaigns"]
    assert all(set(r) <= {*asked["campaign/get/"]} for r in result.records["campaigns"])


def test_fields_asked_alone_cost_one_request_only_when_selected(api: FakeTikTokApi) -> None:
    default = run_tap(tap_config(api), streams={"advertisers": None})
    assert api.count("advertiser/info/") == 1
    assert all("company_name_editable" not in r for r in default.records["advertisers"])
    api.log.clear()

    chosen = ["advertiser_id", "name", "company_name_editable", "ads_only_mode"]
    result = run_tap(tap_config(api), streams={"advertisers": chosen})
    asked = [r.params.get("fields") for r in api.requests if r.path == "advertiser/info/"]
    assert asked == [None, ["company_name_editable", "ads_only_mode"]]
    data = api.data
    assert {
        r["advertiser_id"]: (r["company_name_editable"], r["ads_only_mode"])
        for r in result.records["advertisers"]
    } == {
        aid: (data.advertiser(aid)["company_name_editable"], data.advertiser(aid)["ads_only_mode"])
        for aid in data.advertiser_ids()
    }
