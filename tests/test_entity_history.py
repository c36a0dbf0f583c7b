"""History streams: one row per entity version seen, from the entity streams' own requests."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from tap_tiktok_ads import dates
from tests.conftest import SMALL_SPEC, run_tap, tap_config
from tests.fake_api import FakeData, FakeTikTokApi
from tests.fake_api.vocabulary import DataLevel

LATER = dt.datetime(2027, 1, 15, 12, tzinfo=dt.timezone.utc)
LEVELS = {"campaigns": DataLevel.CAMPAIGN, "adgroups": DataLevel.ADGROUP, "ads": DataLevel.AD}
ID_FIELDS = {"campaigns": "campaign_id", "adgroups": "adgroup_id", "ads": "ad_id"}
PATHS = {"campaigns": "campaign/get/", "adgroups": "adgroup/get/", "ads": "ad/get/"}


@pytest.fixture
def own_data() -> FakeData:
    return FakeData(SMALL_SPEC)


@pytest.fixture
def api(own_data: FakeData, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(dates, "utc_now", lambda: LATER)
    with FakeTikTokApi(own_data, clock=lambda: LATER) as server:
        yield server


def iso(tiktok_time: str) -> str:
    return dt.datetime.fromisoformat(tiktok_time).replace(tzinfo=dt.timezone.utc).isoformat()


def versions(data: FakeData, stream: str) -> set[tuple[str, str]]:
    """(id, modify_time) of every entity as the fake holds it now (deleted ones hidden)."""
    return {
        (r[ID_FIELDS[stream]], iso(r.get("modify_time") or r["create_time"]))
        for aid in data.advertiser_ids()
        for r in data.records(aid, LEVELS[stream])
    }


def keys(records: list[dict[str, Any]], stream: str) -> list[tuple[str, str]]:
    return [(r[ID_FIELDS[stream]], r["modify_time"]) for r in records]


def requests(api: FakeTikTokApi) -> list[tuple[str, str, str]]:
    return sorted(
        (r.path, str(r.params.get("advertiser_id")), str(r.params.get("filtering")))
        for r in api.requests
        if r.path in PATHS.values()
    )


@pytest.mark.parametrize("stream", list(LEVELS))
def test_history_costs_no_request_and_holds_every_version(
    api: FakeTikTokApi, own_data: FakeData, stream: str
) -> None:
    alone = run_tap(tap_config(api), streams={stream: None})
    entity_only = requests(api)
    api.log.clear()

    both = run_tap(tap_config(api), streams={stream: None, f"{stream}_history": None})
    assert requests(api) == entity_only  # the same requests, once
    api.log.clear()

    history_only = run_tap(tap_config(api), streams={f"{stream}_history": None})
    assert requests(api) == entity_only
    assert stream not in history_only.records  # read for the history, not written

    expected = versions(own_data, stream)
    for result in (both, history_only):
        history = result.records[f"{stream}_history"]
        assert sorted(keys(history, stream)) == sorted(expected)
        assert result.schemas[f"{stream}_history"]["key_properties"] == [
            ID_FIELDS[stream],
            "modify_time",
        ]
    # A version is the entity as read: the same record the entity stream emits.
    assert both.records[f"{stream}_history"] == both.records[stream] == alone.records[stream]


def test_history_appends_the_new_version_of_a_changed_entity(
    api: FakeTikTokApi, own_data: FakeData
) -> None:
    streams: dict[str, list[str] | None] = {"campaigns_history": None, "adgroups_history": None}
    first = run_tap(tap_config(api), streams=streams)
    adgroup = own_data.entities(own_data.advertiser_ids()[0], DataLevel.ADGROUP)[0]
    before = dict(adgroup.record)
    when = LATER - dt.timedelta(hours=3)
    own_data.touch(adgroup.entity_id, when)
    adgroup.record["budget"] = 12345.0

    second = run_tap(tap_config(api), streams=streams, state=first.state)

    rows = [
        r
        for result in (first, second)
        for r in result.records["adgroups_history"]
        if r["adgroup_id"] == adgroup.entity_id
    ]
    assert [(r["modify_time"], r["budget"]) for r in rows] == [
        (iso(before["modify_time"]), before["budget"]),
        (when.isoformat(), 12345.0),
    ]
    # The second run emits only versions at or after the bookmark, never all entities again.
    assert len(second.records["adgroups_history"]) < len(first.records["adgroups_history"])
    all_keys = keys(
        first.records["adgroups_history"] + second.records["adgroups_history"], "adgroups"
    )
    assert len(set(all_keys)) == len(versions(own_data, "adgroups")) + 1
