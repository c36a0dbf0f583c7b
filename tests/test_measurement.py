"""Pixels and custom audiences against the fake: every object, paged, refusals isolated.

Expected records come from the fake's own world (`tests/fake_api/measurement.py`), with its
times written as RFC 3339 here, never through the tap's code.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

import pytest
import requests

from tests.conftest import run_tap, run_until_failure, tap_config
from tests.fake_api.measurement import audiences_of, pixels_of

if TYPE_CHECKING:
    from tests.fake_api import FakeData, FakeTikTokApi

ID_FIELDS = {"pixels": "pixel_id", "custom_audiences": "audience_id"}
PATHS = {"pixels": "pixel/list/", "custom_audiences": "dmp/custom_audience/list/"}
UTC = dt.timezone.utc


def expected(data: FakeData, stream: str) -> dict[tuple, dict[str, Any]]:
    """The fake's objects of every advertiser as the records the stream must emit."""
    records = {}
    if stream == "pixels":
        for advertiser_id, rows in pixels_of(data).items():
            for row in rows:
                created = dt.datetime.fromtimestamp(row["create_time"] / 1000, tz=UTC)
                record = {**row, "advertiser_id": advertiser_id, "create_time": created}
                record["create_time"] = created.isoformat()
                records[advertiser_id, row["pixel_id"]] = record
        return records
    for advertiser_id, rows in audiences_of(data).items():
        for row in rows:
            record = {**row, "advertiser_id": advertiser_id}
            for name in ("create_time", "expired_time"):
                moment = dt.datetime.strptime(row[name], "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC)
                record[name] = moment.isoformat()
            records[advertiser_id, row["audience_id"]] = record
    return records


def by_key(records: list[dict[str, Any]], stream: str) -> dict[tuple, dict[str, Any]]:
    keyed = {(r["advertiser_id"], r[ID_FIELDS[stream]]): r for r in records}
    assert len(keyed) == len(records), "an object was emitted twice"
    return keyed


@pytest.mark.parametrize("stream", ["pixels", "custom_audiences"])
def test_a_sync_equals_the_fakes_truth_page_by_page(
    fake_api: FakeTikTokApi, frozen_now: dt.datetime, stream: str
) -> None:
    result = run_tap(tap_config(fake_api, page_size=2), streams={stream: None})
    truth = expected(fake_api.data, stream)
    assert len({key[0] for key in truth}) == 2  # the third advertiser has none
    assert by_key(result.records[stream], stream) == truth
    objects = pixels_of(fake_api.data) if stream == "pixels" else audiences_of(fake_api.data)
    assert fake_api.count(PATHS[stream]) == sum(-(-len(o) // 2) or 1 for o in objects.values())
    assert "replication_key_value" not in str(result.state.get("bookmarks", {}).get(stream))


@pytest.mark.parametrize("stream", ["pixels", "custom_audiences"])
def test_a_refused_advertiser_fails_alone(
    fake_api: FakeTikTokApi, frozen_now: dt.datetime, stream: str
) -> None:
    refused, *others = fake_api.data.advertiser_ids()
    fake_api.faults.refuse_advertiser(refused, 40001, path=PATHS[stream])
    result, error = run_until_failure(tap_config(fake_api), streams={stream: None})
    assert f"{refused} (TikTok error 40001 on /{PATHS[stream]})" in str(error)
    truth = {key: r for key, r in expected(fake_api.data, stream).items() if key[0] in others}
    assert truth
    assert by_key(result.records[stream], stream) == truth


@pytest.mark.parametrize(
    ("path", "params", "complaint"),
    [
        (PATHS["pixels"], {"page_size": "21"}, "page_size"),
        (PATHS["pixels"], {"order_by": "NEWEST"}, "order_by"),
        (PATHS["pixels"], {"filtering": '{"pixel_ids": ["1"]}'}, "filtering.pixel_ids"),
        (PATHS["custom_audiences"], {"page_size": "101"}, "page_size"),
        (PATHS["custom_audiences"], {"filtering": "{}"}, "filtering"),
        (PATHS["custom_audiences"], {"custom_audience_ids": "[]"}, "custom_audience_ids"),
    ],
)
def test_the_fake_refuses_what_the_reference_does_not_allow(
    fake_api: FakeTikTokApi, path: str, params: dict[str, str], complaint: str
) -> None:
    answer = requests.get(
        f"{fake_api.base_url}/{path}",
        params={"advertiser_id": fake_api.data.advertiser_ids()[0], **params},
        headers={"Access-Token": fake_api.token},
        timeout=5,
    ).json()
    assert answer["code"] == 40002
    assert complaint in answer["message"]
