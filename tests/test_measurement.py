"""Pixels and custom audiences against the fake: every object, paged, refusals isolated.

Expected records come from the fake's own world (`tests/fake_api/measurement.py`), with its
times written as RFC 3339 here, never through the tap's code.
"""

from __future__ import annotations

import copy
import datetime as dt
from dataclasses import replace
from typing import Any

import pytest
import requests

from tests.conftest import SMALL_SPEC, run_tap, run_until_failure, tap_config
from tests.extra_fields_check import assert_undocumented_field_kept_and_said_once
from tests.fake_api import FakeData, FakeTikTokApi
from tests.fake_api.entity_fields import UNDOCUMENTED_FIELD
from tests.fake_api.measurement import audiences_of, event_counts, pixels_of, stats_events

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
                records[advertiser_id, row["pixel_id"]] = kept_apart(record)
        return records
    for advertiser_id, rows in audiences_of(data).items():
        for row in rows:
            record = {**row, "advertiser_id": advertiser_id}
            for name in ("create_time", "expired_time"):
                moment = dt.datetime.strptime(row[name], "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC)
                record[name] = moment.isoformat()
            records[advertiser_id, row["audience_id"]] = kept_apart(record)
    return records


def kept_apart(record: dict[str, Any]) -> dict[str, Any]:
    """The fake's undocumented field, as TikTok sent it, in `extra_fields`."""
    if UNDOCUMENTED_FIELD in record:
        record["extra_fields"] = {UNDOCUMENTED_FIELD: record.pop(UNDOCUMENTED_FIELD)}
    return record


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
    fake_api.faults.refuse_advertiser(refused, 40106, path=PATHS[stream])
    result, error = run_until_failure(tap_config(fake_api), streams={stream: None})
    assert f"{refused} (TikTok error 40106 on /{PATHS[stream]})" in str(error)
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


STATS = "pixel_event_stats_daily"
STATS_KEY = ("advertiser_id", "pixel_id", "date", "event")


def expected_stats(data: FakeData, first: dt.date, last: dt.date) -> dict[tuple, dict[str, Any]]:
    """Every advertiser x pixel x UTC day x event type from the fake's own counts."""
    records = {}
    for advertiser_id, pixels in pixels_of(data).items():
        for pixel in pixels:
            for offset in range((last - first).days + 1):
                day = first + dt.timedelta(days=offset)
                for standard, custom in stats_events(pixel):
                    event = standard or custom
                    counts = event_counts(data, pixel["pixel_id"], event, day)
                    record = {
                        **counts,
                        "advertiser_id": advertiser_id,
                        "pixel_id": pixel["pixel_id"],
                        "date": day.isoformat(),
                        "event": event,
                        "pixel_event_type": standard,
                        "custom_event_type": custom,
                    }
                    if custom:  # the fake's undocumented field, as sent
                        record["extra_fields"] = {UNDOCUMENTED_FIELD: f"value of {custom}"}
                    records[tuple(record[k] for k in STATS_KEY)] = record
    return records


def stats_by_key(records: list[dict[str, Any]]) -> dict[tuple, dict[str, Any]]:
    keyed = {tuple(r[k] for k in STATS_KEY): r for r in records}
    assert len(keyed) == len(records), "a statistic was emitted twice in one run"
    return keyed


def test_pixel_event_stats_day_by_day_then_incrementally(
    fake_api: FakeTikTokApi, frozen_now: dt.datetime
) -> None:
    first = run_tap(tap_config(fake_api, end_date="2026-11-10"), streams={STATS: None})
    truth = expected_stats(fake_api.data, dt.date(2026, 11, 1), dt.date(2026, 11, 10))
    assert truth
    assert stats_by_key(first.records[STATS]) == truth
    assert all(len(p) <= 10 for p in pixels_of(fake_api.data).values())  # one batch each
    assert fake_api.count("pixel/event/stats/") == 10 * 2  # ten days, two advertisers
    assert fake_api.count("pixel/list/") == 2 + 1  # once per advertiser (5 pixels: 2 pages)
    assert "pixels" not in first.records  # listed for the statistics, not written
    assert "pixels" not in first.schemas
    bookmarks = {
        p["context"]["advertiser_id"]: p.get("replication_key_value")
        for p in first.state["bookmarks"][STATS]["partitions"]
    }
    with_pixels = {a for a, p in pixels_of(fake_api.data).items() if p}
    assert {a: b for a, b in bookmarks.items() if a in with_pixels} == dict.fromkeys(
        with_pixels, "2026-11-10"
    )

    config = tap_config(fake_api, attribution_window_days=2)
    second = run_tap(config, streams={STATS: None}, state=first.state)
    # From two days before the bookmark to the fake's (UTC) today.
    today = frozen_now.date()
    assert stats_by_key(second.records[STATS]) == expected_stats(
        fake_api.data, dt.date(2026, 11, 8), today
    )


def test_pixel_event_stats_of_a_refused_advertiser_fail_alone(
    fake_api: FakeTikTokApi, frozen_now: dt.datetime
) -> None:
    refused, *others = fake_api.data.advertiser_ids()
    fake_api.faults.refuse_advertiser(refused, 40106, path="pixel/event/stats/")
    config = tap_config(fake_api, start_date="2026-11-19")
    result, error = run_until_failure(config, streams={STATS: None})
    assert f"{refused} (TikTok error 40106 on /pixel/event/stats/)" in str(error)
    truth = expected_stats(fake_api.data, dt.date(2026, 11, 19), frozen_now.date())
    assert stats_by_key(result.records[STATS]) == {k: r for k, r in truth.items() if k[0] in others}


@pytest.mark.parametrize(
    ("params", "complaint"),
    [
        ({"date_range": '{"start_date": "2026-10-01", "end_date": "2026-11-01"}'}, "30 days"),
        ({"date_range": '{"start_date": "2026-11-01"}'}, "date_range"),
        (
            {"page": "1", "date_range": '{"start_date": "2026-11-01", "end_date": "2026-11-01"}'},
            "page",
        ),
    ],
)
def test_the_fake_refuses_bad_pixel_stats_requests(
    fake_api: FakeTikTokApi, params: dict[str, str], complaint: str
) -> None:
    advertiser_id = fake_api.data.advertiser_ids()[0]
    pixel_id = pixels_of(fake_api.data)[advertiser_id][0]["pixel_id"]
    answer = requests.get(
        f"{fake_api.base_url}/pixel/event/stats/",
        params={"advertiser_id": advertiser_id, "pixel_ids": f'["{pixel_id}"]', **params},
        headers={"Access-Token": fake_api.token},
        timeout=5,
    ).json()
    assert answer["code"] == 40002
    assert complaint in answer["message"]


def test_more_than_ten_pixels_are_asked_for_ten_at_a_time(frozen_now: dt.datetime) -> None:
    data = FakeData(replace(SMALL_SPEC, assets_per_advertiser=12))
    with FakeTikTokApi(data, clock=lambda: frozen_now) as api:
        config = tap_config(api, start_date="2026-11-20", advertiser_ids=data.advertiser_ids()[:1])
        result = run_tap(config, streams={STATS: None})
        assert api.count("pixel/event/stats/") == 2  # 12 pixels: 10, then 2
        asked = [len(r.params["pixel_ids"]) for r in api.requests if "stats" in r.path]
    assert sorted(asked) == [2, 10]
    truth = expected_stats(data, frozen_now.date(), frozen_now.date())
    first = data.advertiser_ids()[0]
    assert stats_by_key(result.records[STATS]) == {k: r for k, r in truth.items() if k[0] == first}


def test_one_pixel_listing_serves_pixels_and_their_statistics(
    fake_api: FakeTikTokApi, frozen_now: dt.datetime
) -> None:
    config = tap_config(fake_api, start_date="2026-11-19", end_date="2026-11-20", page_size=2)
    result = run_tap(config, streams={"pixels": None, STATS: None})
    pages = sum(-(-len(p) // 2) or 1 for p in pixels_of(fake_api.data).values())
    assert fake_api.count("pixel/list/") == pages  # as for `pixels` alone: no second listing
    assert by_key(result.records["pixels"], "pixels") == expected(fake_api.data, "pixels")
    truth = expected_stats(fake_api.data, dt.date(2026, 11, 19), dt.date(2026, 11, 20))
    assert stats_by_key(result.records[STATS]) == truth
    assert fake_api.count("pixel/event/stats/") == 2 * 2  # two days, two advertisers with pixels


def test_a_field_the_schema_lacks_is_kept_in_extra_fields_and_said_once(
    fake_api: FakeTikTokApi, frozen_now: dt.datetime, caplog: pytest.LogCaptureFixture
) -> None:
    """The fake sends a field TikTok added after the transcription on some objects."""
    rows = {"pixels": pixels_of(fake_api.data), "custom_audiences": audiences_of(fake_api.data)}
    assert_undocumented_field_kept_and_said_once(fake_api, caplog, rows)


@pytest.mark.parametrize(("marked", "first_day"), [(False, 9), (True, 10)])
def test_pixel_event_stats_not_marked_final_are_read_from_the_day_before_the_bookmark(
    fake_api: FakeTikTokApi, frozen_now: dt.datetime, *, marked: bool, first_day: int
) -> None:
    """An older version's bookmark went up to the day of its run, whose day before was not
    final then: without the mark the state gives this version's, it is read again."""
    first = run_tap(tap_config(fake_api, end_date="2026-11-10"), streams={STATS: None})
    state = copy.deepcopy(first.state)
    for partition in state["bookmarks"][STATS]["partitions"]:
        if not marked:
            partition.pop("final_bookmark", None)
    config = tap_config(fake_api, attribution_window_days=0)
    second = run_tap(config, streams={STATS: None}, state=state)
    assert stats_by_key(second.records[STATS]) == expected_stats(
        fake_api.data, dt.date(2026, 11, first_day), frozen_now.date()
    )
    partitions = [
        p for p in second.state["bookmarks"][STATS]["partitions"] if "replication_key_value" in p
    ]
    assert partitions
    assert all(p["final_bookmark"] == p["replication_key_value"] for p in partitions)
