"""The creative library streams against the fake: every asset, paged, incremental, isolated.

Expected records come from the fake's own world (`tests/fake_api/assets.py`), with TikTok's
times written as RFC 3339 here, never through the tap's code.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import TYPE_CHECKING, Any

import pytest
import requests

from tests.conftest import NOW, SMALL_SPEC, run_tap, run_until_failure, tap_config
from tests.extra_fields_check import assert_undocumented_field_kept_and_said_once
from tests.fake_api import FakeData, FakeTikTokApi
from tests.fake_api.assets import asset_world, touch_asset
from tests.fake_api.entity_fields import UNDOCUMENTED_FIELD

if TYPE_CHECKING:
    from collections.abc import Iterator

ID_FIELDS = {"videos": "video_id", "images": "image_id"}
PATHS = {"videos": "file/video/ad/search/", "images": "file/image/ad/search/"}
TIME_FIELDS = ("create_time", "modify_time", "preview_url_expire_time")


def rfc3339(text: str) -> str:
    """`2020-06-10T07:39:14Z` or `2020-06-10 07:39:14` (UTC) as the tap writes times."""
    moment = dt.datetime.strptime(text.replace("T", " ").removesuffix("Z"), "%Y-%m-%d %H:%M:%S")
    return moment.replace(tzinfo=dt.timezone.utc).isoformat()


def expected(data: FakeData, stream: str, since: str | None = None) -> dict[tuple, dict]:
    """The fake's assets of every advertiser as records, modified at or after `since`."""
    world = asset_world(data)
    assets = world.videos if stream == "videos" else world.images
    records = {}
    for advertiser_id, rows in assets.items():
        for row in rows:
            record: dict[str, Any] = {**row, "advertiser_id": advertiser_id}
            if UNDOCUMENTED_FIELD in record:  # kept as sent, beside the declared fields
                record["extra_fields"] = {UNDOCUMENTED_FIELD: record.pop(UNDOCUMENTED_FIELD)}
            for name in TIME_FIELDS:
                if name in record:
                    record[name] = rfc3339(record[name])
            if since is None or record["modify_time"] >= since:
                records[advertiser_id, record[ID_FIELDS[stream]]] = record
    return records


def by_key(records: list[dict[str, Any]], stream: str) -> dict[tuple, dict]:
    keyed = {(r["advertiser_id"], r[ID_FIELDS[stream]]): r for r in records}
    assert len(keyed) == len(records), "an asset was emitted twice"
    return keyed


@pytest.fixture
def own_api(frozen_now: dt.datetime) -> Iterator[FakeTikTokApi]:
    """A fake with its own data, for tests that edit assets."""
    with FakeTikTokApi(FakeData(SMALL_SPEC), clock=lambda: frozen_now) as api:
        yield api


@pytest.mark.parametrize("stream", ["videos", "images"])
def test_a_sync_equals_the_fakes_truth_page_by_page(
    fake_api: FakeTikTokApi, frozen_now: dt.datetime, stream: str
) -> None:
    result = run_tap(tap_config(fake_api, page_size=2), streams={stream: None})
    truth = expected(fake_api.data, stream)
    assert truth
    assert by_key(result.records[stream], stream) == truth
    pages = sum(-(-len(rows) // 2) or 1 for rows in _assets(fake_api.data, stream).values())
    assert fake_api.count(PATHS[stream]) == pages


def _assets(data: FakeData, stream: str) -> dict[str, list[dict[str, Any]]]:
    world = asset_world(data)
    return world.videos if stream == "videos" else world.images


@pytest.mark.parametrize("stream", ["videos", "images"])
def test_a_second_run_emits_what_changed_since(own_api: FakeTikTokApi, stream: str) -> None:
    config = tap_config(own_api)
    first = run_tap(config, streams={stream: None})
    assert by_key(first.records[stream], stream) == expected(own_api.data, stream)
    partitions = first.state["bookmarks"][stream]["partitions"]
    bookmarks = {p["context"]["advertiser_id"]: p.get("replication_key_value") for p in partitions}
    assets = _assets(own_api.data, stream)
    for advertiser_id, rows in assets.items():
        newest = max((rfc3339(r["modify_time"]) for r in rows), default=None)
        assert bookmarks.get(advertiser_id) == newest

    edited_advertiser = next(a for a, rows in assets.items() if len(rows) > 1)
    edited = assets[edited_advertiser][-1][ID_FIELDS[stream]]
    touch_asset(own_api.data, edited_advertiser, edited, NOW - dt.timedelta(hours=1))
    second = run_tap(config, streams={stream: None}, state=first.state)

    want = {
        key: record
        for key, record in expected(own_api.data, stream).items()
        if record["modify_time"] >= (bookmarks.get(key[0]) or "")
    }
    assert (edited_advertiser, edited) in want
    assert by_key(second.records[stream], stream) == want
    assert len(want) < len(expected(own_api.data, stream))


def test_a_refused_advertiser_fails_alone(fake_api: FakeTikTokApi, frozen_now: dt.datetime) -> None:
    refused, *others = fake_api.data.advertiser_ids()
    fake_api.faults.refuse_advertiser(refused, 40106, path=PATHS["videos"])
    result, error = run_until_failure(tap_config(fake_api), streams={"videos": None})
    assert f"{refused} (TikTok error 40106 on /file/video/ad/search/)" in str(error)
    truth = {key: r for key, r in expected(fake_api.data, "videos").items() if key[0] in others}
    assert truth
    assert by_key(result.records["videos"], "videos") == truth


@pytest.mark.parametrize(
    ("path", "params", "complaint"),
    [
        (PATHS["videos"], {"page_size": "101"}, "page_size"),
        (PATHS["images"], {"page_size": "0"}, "page_size"),
        (PATHS["videos"], {"fields": '["video_id"]'}, "fields"),
        (PATHS["videos"], {"filtering": '{"width": 720}'}, "filtering.width"),
        (
            PATHS["videos"],
            {"filtering": '{"material_ids": ' + str(list(range(21))) + "}"},
            "length 20",
        ),
        (PATHS["images"], {"filtering": '{"video_ids": ["1"]}'}, "filtering.video_ids"),
        ("creative/portfolio/list/", {"page_size": "101"}, "page_size"),
        (
            "creative/portfolio/list/",
            {"filtering": '{"creative_portfolio_types": ["PRODUCT_CARD"]}'},
            "creative_portfolio_types",
        ),
        ("tt_video/list/", {"page_size": "51"}, "page_size"),
        ("tt_video/list/", {"item_types": '["LIVE"]'}, "item_types"),
        ("tt_video/list/", {"filtering": "{}"}, "filtering"),
    ],
)
def test_the_fake_refuses_what_the_reference_does_not_allow(
    fake_api: FakeTikTokApi, path: str, params: dict[str, str], complaint: str
) -> None:
    advertiser_id = fake_api.data.advertiser_ids()[0]
    answer = requests.get(
        f"{fake_api.base_url}/{path}",
        params={"advertiser_id": advertiser_id, **params},
        headers={"Access-Token": fake_api.token},
        timeout=5,
    ).json()
    assert answer["code"] == 40002
    assert complaint in answer["message"]


def expected_portfolios(data: FakeData) -> dict[tuple, dict[str, Any]]:
    """The fake's creative portfolios as records (a sticker's cutoff time as RFC 3339)."""
    records = {}
    for advertiser_id, rows in asset_world(data).portfolios.items():
        for row in rows:
            record: dict[str, Any] = {**row, "advertiser_id": advertiser_id}
            if UNDOCUMENTED_FIELD in record:  # kept as sent, beside the declared fields
                record["extra_fields"] = {UNDOCUMENTED_FIELD: record.pop(UNDOCUMENTED_FIELD)}
            if "sticker_param" in row:
                cutoff = rfc3339(row["sticker_param"]["cutoff_time"])
                record["sticker_param"] = {**row["sticker_param"], "cutoff_time": cutoff}
            records[advertiser_id, row["creative_portfolio_id"]] = record
    return records


def expected_posts(data: FakeData) -> dict[tuple, dict[str, Any]]:
    """The fake's Spark Ads posts as records: `item_info` with the other objects nested."""
    records = {}
    for advertiser_id, rows in asset_world(data).posts.items():
        for row in rows:
            auth = {
                name: rfc3339(value) for name, value in row["auth_info"].items() if "time" in name
            }
            item = {k: v for k, v in row["item_info"].items() if k != "auth_code"}  # a secret
            record = {
                **item,
                "advertiser_id": advertiser_id,
                "auth_info": {**row["auth_info"], **auth},
                "user_info": row["user_info"],
                "video_info": row["video_info"],
            }
            if UNDOCUMENTED_FIELD in row:  # beside `item_info` in the answer: kept as sent
                record["extra_fields"] = {UNDOCUMENTED_FIELD: row[UNDOCUMENTED_FIELD]}
            records[advertiser_id, row["item_info"]["item_id"]] = record
    return records


@pytest.mark.parametrize(
    ("stream", "path", "key"),
    [
        ("creative_portfolios", "creative/portfolio/list/", "creative_portfolio_id"),
        ("spark_ads_posts", "tt_video/list/", "item_id"),
    ],
)
def test_portfolios_and_posts_equal_the_fakes_truth_and_refusals_isolate(
    fake_api: FakeTikTokApi, frozen_now: dt.datetime, stream: str, path: str, key: str
) -> None:
    truth = (expected_portfolios if stream == "creative_portfolios" else expected_posts)(
        fake_api.data
    )
    result = run_tap(tap_config(fake_api, page_size=2), streams={stream: None})
    records = {(r["advertiser_id"], r[key]): r for r in result.records[stream]}
    assert len(records) == len(result.records[stream])
    assert records == truth
    assert fake_api.count(path) == 3 + 2 + 1  # 5, 3 and 0 objects, 2 a page
    if stream == "spark_ads_posts":  # the creators' authorisation codes appear nowhere
        codes = [
            p["item_info"]["auth_code"]
            for ps in asset_world(fake_api.data).posts.values()
            for p in ps
        ]
        assert codes
        assert not [c for c in codes if c in json.dumps(result.messages)]
        assert "auth_code" not in result.schemas[stream]["schema"]["properties"]

    refused, *others = fake_api.data.advertiser_ids()
    fake_api.faults.refuse_advertiser(refused, 40106, path=path)
    failed, error = run_until_failure(tap_config(fake_api), streams={stream: None})
    assert f"{refused} (TikTok error 40106 on /{path})" in str(error)
    kept = {(r["advertiser_id"], r[key]): r for r in failed.records[stream]}
    assert kept == {k: r for k, r in truth.items() if k[0] in others}


def test_a_field_the_schema_lacks_is_kept_in_extra_fields_and_said_once(
    fake_api: FakeTikTokApi, frozen_now: dt.datetime, caplog: pytest.LogCaptureFixture
) -> None:
    """The fake sends a field TikTok added after the transcription on some assets."""
    rows = {stream: _assets(fake_api.data, stream) for stream in ("videos", "images")}
    assert_undocumented_field_kept_and_said_once(fake_api, caplog, rows)
