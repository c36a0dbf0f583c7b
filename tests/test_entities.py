"""Entity streams (advertisers, campaigns, ad groups, ads) against the fake API over HTTP."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import logging
from typing import Any

import pytest
import requests

from tap_tiktok_ads import dates
from tap_tiktok_ads.metrics import DataLevel
from tap_tiktok_ads.streams.entities import EntityStream
from tap_tiktok_ads.tap import TapTikTokAds
from tests.conftest import (
    SMALL_SPEC,
    CollectingWriter,
    SyncResult,
    catalog_for,
    run_tap,
    tap_config,
)
from tests.fake_api import DataSpec, FakeData, FakeTikTokApi
from tests.fake_api.request import ApiError

# After the last day of the fake data, so that every entity's modify_time lies in the past.
LATER = dt.datetime(2027, 1, 15, 12, tzinfo=dt.timezone.utc)
STREAMS = {"campaigns": DataLevel.CAMPAIGN, "adgroups": DataLevel.ADGROUP, "ads": DataLevel.AD}
ID_FIELDS = {"campaigns": "campaign_id", "adgroups": "adgroup_id", "ads": "ad_id"}
PATHS = {"campaigns": "campaign/get/", "adgroups": "adgroup/get/", "ads": "ad/get/"}
ENTITY_STREAMS: dict[str, list[str] | None] = dict.fromkeys(STREAMS)


@pytest.fixture
def later(monkeypatch: pytest.MonkeyPatch) -> dt.datetime:
    monkeypatch.setattr(dates, "utc_now", lambda: LATER)
    return LATER


@pytest.fixture
def own_data() -> FakeData:
    """A private data set: these tests edit entities, the session's data must stay intact.

    With TopView campaigns, which the shared data sets leave out (DataSpec.top_view).
    """
    return FakeData(dataclasses.replace(SMALL_SPEC, top_view=True))


@pytest.fixture
def api(own_data: FakeData, later: dt.datetime):
    with FakeTikTokApi(own_data, clock=lambda: later) as server:
        yield server


def iso(tiktok_time: str) -> str:
    """TikTok's `YYYY-MM-DD HH:MM:SS` (UTC) as the tap emits it."""
    return dt.datetime.fromisoformat(tiktok_time).replace(tzinfo=dt.timezone.utc).isoformat()


def last_change(record: dict[str, Any]) -> str:
    """The replication value the tap must use: modify_time, else create_time (emitted form)."""
    return iso(record.get("modify_time") or record["create_time"])


def ids_by_advertiser(result: SyncResult, stream: str) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for record in result.records[stream]:
        found.setdefault(record["advertiser_id"], []).append(record[ID_FIELDS[stream]])
    return found


def truth_ids(
    data: FakeData, stream: str, *, include_deleted: bool = False, default_kinds_only: bool = False
) -> dict[str, list]:
    return {
        aid: [
            r[ID_FIELDS[stream]]
            for r in data.records(
                aid,
                STREAMS[stream],
                include_deleted=include_deleted,
                default_kinds_only=default_kinds_only,
            )
        ]
        for aid in data.advertiser_ids()
    }


def entity_filters(api: FakeTikTokApi, path: str) -> list[dict[str, Any]]:
    """The `filtering` objects the tap sent to one entity endpoint."""
    return [r.params.get("filtering") or {} for r in api.requests if r.path == path]


# Every origin and buying type: the endpoints hide Promote and TopView entities by default.
EVERY_KIND = [
    {"campaign_system_origins": ["TT_ADS_PLATFORM", "PROMOTE"], "buying_types": buying}
    for buying in (["AUCTION", "RESERVATION_RF"], ["RESERVATION_TOP_VIEW"])
]


def bookmarks(state: dict[str, Any], stream: str) -> dict[str, str]:
    """Advertiser -> bookmark, for the partitions that have one."""
    partitions = state.get("bookmarks", {}).get(stream, {}).get("partitions", [])
    return {
        p["context"]["advertiser_id"]: p["replication_key_value"]
        for p in partitions
        if p.get("replication_key_value")
    }


# -- first run ---------------------------------------------------------------------------------


def test_first_run_emits_every_entity_whatever_its_age(api: FakeTikTokApi, own_data: FakeData):
    result = run_tap(tap_config(api, page_size=3), streams=ENTITY_STREAMS)

    start_date = dt.datetime(2026, 11, 1, tzinfo=dt.timezone.utc).isoformat()
    for stream, level in STREAMS.items():
        emitted = ids_by_advertiser(result, stream)
        expected = truth_ids(own_data, stream)
        assert {aid: sorted(ids) for aid, ids in emitted.items()} == {
            aid: sorted(ids) for aid, ids in expected.items()
        }, stream
        assert all(len(ids) == len(set(ids)) for ids in emitted.values()), "duplicates"
        records = result.records[stream]
        # Entities last modified long before start_date are emitted as well.
        assert any(r["modify_time"] < start_date for r in records), stream
        truth = {
            r[ID_FIELDS[stream]]: r
            for aid in own_data.advertiser_ids()
            for r in own_data.records(aid, level)
        }
        for record in records:
            source = truth[record[ID_FIELDS[stream]]]
            assert record["advertiser_id"] == source["advertiser_id"]
            assert record["create_time"] == iso(source["create_time"])
            assert record["modify_time"] == last_change(source)
            assert record["modify_time"].endswith("+00:00")
        assert result.schemas[stream]["key_properties"] == [ID_FIELDS[stream]]
        assert result.schemas[stream]["bookmark_properties"] == ["modify_time"]
        # One bookmark per advertiser: the newest change among its entities.
        assert bookmarks(result.state, stream) == {
            aid: max(last_change(r) for r in own_data.records(aid, level))
            for aid in own_data.advertiser_ids()
        }
    # page_size 3 means several pages per advertiser; without a bookmark only the filters that
    # show every kind of entity are sent, one pass per group of buying types.
    ad_calls = [r for r in api.requests if r.path == "ad/get/"]
    assert len(ad_calls) > len(own_data.advertiser_ids())
    assert all(r.params["page_size"] == "3" for r in ad_calls)
    for path in PATHS.values():
        assert {json.dumps(f, sort_keys=True) for f in entity_filters(api, path)} == {
            json.dumps(f, sort_keys=True) for f in EVERY_KIND
        }
    # Promote, TopView and Smart+ entities are among them; the default filters hide two kinds.
    hidden = truth_ids(own_data, "campaigns", default_kinds_only=True)
    assert sum(map(len, hidden.values())) < len(result.records["campaigns"])
    assert {"PROMOTE"} == {r.get("campaign_system_origin") for r in result.records["campaigns"]} - {
        None
    }


def test_entity_records_match_their_schema_without_warnings(
    api: FakeTikTokApi, caplog: pytest.LogCaptureFixture
):
    with caplog.at_level(logging.WARNING):
        result = run_tap(tap_config(api), streams={**ENTITY_STREAMS, "advertisers": None})
    assert "not found in catalog schema" not in caplog.text
    for stream in (*STREAMS, "advertisers"):
        properties = result.schemas[stream]["schema"]["properties"]
        for record in result.records[stream]:
            assert set(record) <= set(properties), stream
    sample = result.records["adgroups"][0]
    assert sample["schedule_start_time"].endswith("+00:00")
    # The fake sends `tracking_pixel_id` as a number; the schema says text.
    assert {r.get("tracking_pixel_id", "0") for r in result.records["ads"]} == {"0"}


def test_ad_without_modify_time_is_emitted_and_bookmarked(api: FakeTikTokApi, own_data: FakeData):
    ads = [e for aid in own_data.advertiser_ids() for e in own_data.entities(aid, DataLevel.AD)]
    bare = next(ad for ad in ads if "modify_time" not in ad.record)
    # Its creation is the newest change of its advertiser, so the bookmark must come from it.
    bare.record["create_time"] = "2027-01-10 08:00:00"

    first = run_tap(tap_config(api), streams={"ads": None})
    emitted = {r["ad_id"]: r for r in first.records["ads"]}
    assert emitted[bare.entity_id]["modify_time"] == "2027-01-10T08:00:00+00:00"
    assert emitted[bare.entity_id]["create_time"] == "2027-01-10T08:00:00+00:00"
    assert bookmarks(first.state, "ads")[bare.advertiser_id] == "2027-01-10T08:00:00+00:00"

    second = run_tap(tap_config(api), streams={"ads": None}, state=first.state)
    # Every ad TikTok sends without modify_time comes back: whether it changed is unknown.
    assert sorted(
        r["ad_id"] for r in second.records["ads"] if r["advertiser_id"] == bare.advertiser_id
    ) == sorted(
        r["ad_id"]
        for r in own_data.records(bare.advertiser_id, DataLevel.AD)
        if "modify_time" not in r
    )


def test_entities_without_modify_time_are_never_skipped(api: FakeTikTokApi, own_data: FakeData):
    """A changed entity without modify_time is not lost to the bookmark; one with neither time
    comes on every run, and neither moves the bookmark past the dated entities' changes."""
    # The small data set's Upgraded Smart+ campaign is a deleted one.
    every_ad = [
        ad
        for a in own_data.advertiser_ids()
        for ad in own_data.entities(a, DataLevel.AD, include_deleted=True)
    ]
    smart_plus = next(ad for ad in every_ad if ad.smart_plus and "modify_time" not in ad.record)
    aid = smart_plus.advertiser_id
    ads = own_data.entities(aid, DataLevel.AD, include_deleted=True)
    timeless = next(ad for ad in ads if ad.smart_plus and ad is not smart_plus)
    del timeless.record["create_time"]
    config = tap_config(api, include_deleted=True)

    first = run_tap(config, streams={"ads": None})
    assert {timeless.entity_id, smart_plus.entity_id} <= {r["ad_id"] for r in first.records["ads"]}
    mark = bookmarks(first.state, "ads")[aid]
    assert mark == max(last_change(ad.record) for ad in ads if ad is not timeless)

    own_data.edit(smart_plus.entity_id, ad_name="Renamed after the first run")
    second = run_tap(config, streams={"ads": None}, state=first.state)
    emitted = {r["ad_id"]: r for r in second.records["ads"] if r["advertiser_id"] == aid}
    expected = {ad.entity_id for ad in ads if "modify_time" not in ad.record} | {
        ad.entity_id for ad in ads if "modify_time" in ad.record and last_change(ad.record) == mark
    }
    assert set(emitted) == expected
    assert emitted[smart_plus.entity_id]["ad_name"] == "Renamed after the first run"
    assert emitted[timeless.entity_id].get("modify_time") is None
    assert emitted[timeless.entity_id].get("create_time") is None
    # Neither moves the bookmark; a campaign or ad group changed after it does (entities.py).
    parents_changed = max(
        last_change(r)
        for level in (DataLevel.CAMPAIGN, DataLevel.ADGROUP)
        for r in own_data.records(aid, level, include_deleted=True)
        if "modify_time" in r
    )
    assert bookmarks(second.state, "ads")[aid] == max(mark, parents_changed)


# -- later runs --------------------------------------------------------------------------------


def test_second_run_emits_only_changed_entities(api: FakeTikTokApi, own_data: FakeData):
    config = tap_config(api)
    first = run_tap(config, streams=ENTITY_STREAMS)
    aids = own_data.advertiser_ids()
    touched = {
        "campaigns": own_data.entities(aids[0], DataLevel.CAMPAIGN)[0],
        "adgroups": own_data.entities(aids[1], DataLevel.ADGROUP)[-1],
        "ads": own_data.entities(aids[2], DataLevel.AD)[1],
    }
    when = LATER - dt.timedelta(hours=2)
    for entity in touched.values():
        own_data.touch(entity.entity_id, when)
    api.log.clear()

    second = run_tap(config, streams=ENTITY_STREAMS, state=first.state)

    for stream, level in STREAMS.items():
        marks = bookmarks(first.state, stream)
        boundary = {
            r[ID_FIELDS[stream]]
            for aid in aids
            for r in own_data.records(aid, level)
            # the boundary of `>=`, and every entity TikTok sends without modify_time
            if last_change(r) == marks[aid]
            or "modify_time" not in r
            # and the ad groups and ads of a changed campaign, the ads of a changed ad group
            or touched["campaigns"].entity_id == r.get("campaign_id")
            or touched["adgroups"].entity_id == r.get("adgroup_id")
        }
        emitted = {r[ID_FIELDS[stream]]: r for r in second.records[stream]}
        assert set(emitted) == boundary | {touched[stream].entity_id}, stream
        assert emitted[touched[stream].entity_id]["modify_time"] == when.isoformat()
        assert bookmarks(second.state, stream)[touched[stream].advertiser_id] == when.isoformat()
    # Every level is read whole and filtered by the tap: `modified_after` (ad/get/ only) is
    # not sent, as TikTok does not say how it treats ads without modify_time.
    assert all(
        "modified_after" not in f for path in PATHS.values() for f in entity_filters(api, path)
    )


@pytest.mark.parametrize("start_date", ["2026-11-15", "30"])
def test_start_date_never_filters_entities_even_with_a_bookmark(
    api: FakeTikTokApi, own_data: FakeData, start_date: str
):
    first = run_tap(tap_config(api), streams={"campaigns": None})
    campaign = own_data.entities(own_data.advertiser_ids()[0], DataLevel.CAMPAIGN)[0]
    own_data.touch(campaign.entity_id, dt.datetime(2026, 10, 1, tzinfo=dt.timezone.utc))
    # The change is older than start_date but newer than the bookmark: it must come back.
    second = run_tap(
        tap_config(api, start_date=start_date), streams={"campaigns": None}, state=first.state
    )
    assert campaign.entity_id in {r["campaign_id"] for r in second.records["campaigns"]}


def test_interrupted_run_bookmarks_only_finished_advertisers(
    api: FakeTikTokApi, own_data: FakeData, monkeypatch: pytest.MonkeyPatch
):
    # A STATE message after every record, so any bookmark taken too early would show.
    monkeypatch.setattr(EntityStream, "STATE_MSG_FREQUENCY", 1)
    aids = own_data.advertiser_ids()
    original = api.routes["ad/get/"].handler

    def broken(request):
        if request.params.get("advertiser_id") == aids[1] and request.params.get("page") == "2":
            raise ApiError(40002, "Injected failure on the second page.")
        return original(request)

    api.register("ad/get/", broken)
    config = tap_config(api, page_size=2)
    writer = CollectingWriter()
    tap = TapTikTokAds(
        config=config, catalog=catalog_for(config, {"ads": None}), message_writer=writer
    )
    with pytest.raises(Exception, match="Injected failure"):
        tap.sync_all()
    partial = SyncResult(writer.messages)
    assert any(aids[0] in bookmarks(state, "ads") for state in partial.states)
    # Page 1 of the second advertiser was emitted, yet no state ever bookmarks it.
    assert any(r["advertiser_id"] == aids[1] for r in partial.records["ads"])
    assert all(aids[1] not in bookmarks(state, "ads") for state in partial.states)

    api.register("ad/get/", original)
    resumed = run_tap(config, streams={"ads": None}, state=partial.state)
    emitted = ids_by_advertiser(resumed, "ads")
    assert sorted(emitted[aids[1]]) == sorted(truth_ids(own_data, "ads")[aids[1]])
    assert sorted(emitted[aids[2]]) == sorted(truth_ids(own_data, "ads")[aids[2]])


def _default_kinds(filtering: dict[str, Any]) -> bool:
    """The pass over the kinds TikTok shows by default (not TopView), without a status filter."""
    buying = filtering.get("buying_types") or []
    return "RESERVATION_TOP_VIEW" not in buying and "primary_status" not in filtering


def test_entity_deleted_mid_paging_leaves_the_bookmark_so_the_change_it_hid_comes_next_run(
    api: FakeTikTokApi, own_data: FakeData, caplog: pytest.LogCaptureFixture
):
    """TikTok pages by offset over a list sorted by id descending (Doc 1739315828649986).

    An entity deleted after page 1 was read moves the next one onto page 1, which page 2 then
    skips; a bookmark moved to the newest `modify_time` read would pass that entity's change.
    """
    config = tap_config(api, page_size=1)
    first = run_tap(config, streams={"campaigns": None})
    aid = own_data.advertiser_ids()[0]
    listed = sorted(
        (
            e
            for e in own_data.entities(aid, DataLevel.CAMPAIGN)
            if e.buying_type != "RESERVATION_TOP_VIEW"
        ),
        key=lambda e: e.entity_id,
        reverse=True,
    )
    high, low = listed[0], listed[1]
    # Both changed since the first run: `low` first (renamed), then `high`.
    own_data.touch(low.entity_id, LATER - dt.timedelta(hours=3))
    own_data.edit(low.entity_id, campaign_name="renamed after the first run")
    own_data.touch(high.entity_id, LATER - dt.timedelta(hours=2))
    original = api.routes["campaign/get/"].handler

    def deleting_after_page_one(request):
        answer = original(request)
        filtering = request.params.get("filtering") or {}
        if (
            request.params.get("advertiser_id") == aid
            and str(request.params.get("page")) == "1"
            and _default_kinds(filtering)
        ):
            high.deleted = True  # the user deletes `high` while the tap pages
        return answer

    api.register("campaign/get/", deleting_after_page_one)
    with caplog.at_level(logging.WARNING):
        second = run_tap(config, streams={"campaigns": None}, state=first.state)
    api.register("campaign/get/", original)
    third = run_tap(config, streams={"campaigns": None}, state=second.state)

    assert low.entity_id not in {r["campaign_id"] for r in second.records["campaigns"]}
    assert bookmarks(second.state, "campaigns")[aid] == bookmarks(first.state, "campaigns")[aid]
    assert any("changed while the tap paged" in r.getMessage() for r in caplog.records)
    renamed = {r["campaign_id"]: r["campaign_name"] for r in third.records["campaigns"]}
    assert renamed.get(low.entity_id) == "renamed after the first run"
    assert bookmarks(third.state, "campaigns")[aid] > bookmarks(first.state, "campaigns")[aid]


# -- deleted entities --------------------------------------------------------------------------


def test_include_deleted_adds_deleted_entities_of_every_advertiser(
    api: FakeTikTokApi, own_data: FakeData
):
    default = run_tap(tap_config(api), streams=ENTITY_STREAMS)
    with_deleted = run_tap(tap_config(api, include_deleted=True), streams=ENTITY_STREAMS)

    advertisers_with_deleted = set()
    for stream in STREAMS:
        active = truth_ids(own_data, stream)
        every = truth_ids(own_data, stream, include_deleted=True)
        assert {a: sorted(i) for a, i in ids_by_advertiser(default, stream).items()} == {
            a: sorted(i) for a, i in active.items()
        }
        emitted = ids_by_advertiser(with_deleted, stream)
        assert {a: sorted(i) for a, i in emitted.items()} == {
            a: sorted(i) for a, i in every.items()
        }
        advertisers_with_deleted |= {a for a in every if set(every[a]) - set(active[a])}
    assert len(advertisers_with_deleted) >= 2
    statuses = {r["secondary_status"] for r in with_deleted.records["campaigns"]}
    assert "CAMPAIGN_STATUS_DELETE" in statuses
    filters = entity_filters(api, "campaign/get/")
    assert {"primary_status": "STATUS_DELETE", **EVERY_KIND[0]} in filters


def test_turning_include_deleted_on_emits_entities_deleted_before_the_bookmark_once(
    api: FakeTikTokApi, own_data: FakeData, caplog: pytest.LogCaptureFixture
):
    """A run without `include_deleted` bookmarks each advertiser at its newest modify_time,
    past the deletions it did not read; with the setting turned on they must still come.
    """
    aids = own_data.advertiser_ids()
    for aid in aids:  # an active entity of each level edited after the deletions
        for level in STREAMS.values():
            own_data.touch(own_data.entities(aid, level)[0].entity_id, LATER)
    first = run_tap(tap_config(api), streams=ENTITY_STREAMS)
    partitions = first.state["bookmarks"]["campaigns"]["partitions"]
    assert {p.get("include_deleted") for p in partitions} == {False}
    config = tap_config(api, include_deleted=True)
    with caplog.at_level(logging.WARNING):
        second = run_tap(config, streams=ENTITY_STREAMS, state=first.state)
    third = run_tap(config, streams=ENTITY_STREAMS, state=second.state)

    for stream, level in STREAMS.items():
        active, every = (
            truth_ids(own_data, stream),
            truth_ids(own_data, stream, include_deleted=True),
        )
        deleted = {i for aid in aids for i in set(every[aid]) - set(active[aid])}
        assert deleted, stream
        ids = ID_FIELDS[stream]
        assert deleted <= {r[ids] for r in second.records[stream]}, stream
        # Once: the bookmark says it covers them now (those without modify_time come always).
        partitions = second.state["bookmarks"][stream]["partitions"]
        assert {p.get("include_deleted") for p in partitions} == {True}, stream
        undated = {
            r[ids]
            for aid in aids
            for r in own_data.records(aid, level, include_deleted=True)
            if "modify_time" not in r
        }
        assert deleted - undated, stream
        assert not (deleted - undated) & {r[ids] for r in third.records[stream]}, stream
    told = [r.getMessage() for r in caplog.records if "bookmarks were written" in r.getMessage()]
    assert len(told) == len(STREAMS)
    assert "Report days already read are not read again" in told[0]


@pytest.mark.parametrize("parents_synced", [True, False], ids=["with-parents", "children-alone"])
def test_a_campaign_deleted_after_a_run_re_emits_its_ad_groups_and_ads(
    api: FakeTikTokApi, own_data: FakeData, *, parents_synced: bool
):
    """Deleting a campaign turns its ad groups' and ads' `secondary_status` into
    ..._CAMPAIGN_DELETE without moving their `modify_time` (the fake's model, catalog.py
    `_adgroup`; TikTok documents neither way): the tap must emit them again all the same.
    """
    config = tap_config(api, include_deleted=True)
    streams = ENTITY_STREAMS if parents_synced else {"adgroups": None, "ads": None}
    first = run_tap(config, streams=streams)
    aid = own_data.advertiser_ids()[0]
    campaign = next(
        e
        for e in own_data.entities(aid, DataLevel.CAMPAIGN)
        if e.buying_type != "RESERVATION_TOP_VIEW" and e.origin != "PROMOTE"
    )
    children = {
        "adgroups": [
            e
            for e in own_data.entities(aid, DataLevel.ADGROUP)
            if e.record["campaign_id"] == campaign.entity_id
        ],
        "ads": [
            e
            for e in own_data.entities(aid, DataLevel.AD)
            if e.record["campaign_id"] == campaign.entity_id
        ],
    }
    assert all(children.values())
    # The user deletes the campaign (as catalog.py models a deleted campaign).
    campaign.deleted = True
    campaign.record["secondary_status"] = "CAMPAIGN_STATUS_DELETE"
    own_data.touch(campaign.entity_id, LATER - dt.timedelta(hours=1))
    for stream, entities in children.items():
        for entity in entities:
            entity.deleted = True
            entity.record["secondary_status"] = f"{stream[:-1].upper()}_STATUS_CAMPAIGN_DELETE"
    before = {path: api.count(path) for path in ("campaign/get/", "adgroup/get/")}

    second = run_tap(config, streams=streams, state=first.state)

    reads = {path: api.count(path) - count for path, count in before.items()}
    if parents_synced:
        assert campaign.entity_id in {r["campaign_id"] for r in second.records["campaigns"]}
    for stream, entities in children.items():
        latest = {r[ID_FIELDS[stream]]: r["secondary_status"] for r in first.records[stream]}
        latest.update({r[ID_FIELDS[stream]]: r["secondary_status"] for r in second.records[stream]})
        status = f"{stream[:-1].upper()}_STATUS_CAMPAIGN_DELETE"
        assert {latest[e.entity_id] for e in entities} == {status}, stream
        # The other campaigns' dated ad groups and ads, unchanged, are not sent again.
        others = {
            r[ID_FIELDS[stream]]
            for other in own_data.advertiser_ids()
            for r in own_data.records(other, STREAMS[stream], include_deleted=True)
            if r["campaign_id"] != campaign.entity_id
            and "modify_time" in r
            and last_change(r) < bookmarks(first.state, stream)[other]
        }
        assert others, stream
        assert not others & {r[ID_FIELDS[stream]] for r in second.records[stream]}, stream
        # The bookmark moved to the campaign's change: the next run does not send them again.
        assert bookmarks(second.state, stream)[aid] == (LATER - dt.timedelta(hours=1)).isoformat()
    third = run_tap(config, streams=streams, state=second.state)
    for stream, entities in children.items():
        dated = {e.entity_id for e in entities if "modify_time" in e.record}
        assert dated, stream
        assert not dated & {r[ID_FIELDS[stream]] for r in third.records[stream]}, stream
    # The ad groups and ads read their campaigns' ids and modify_time once per advertiser and
    # pass (4 passes: two kinds, active and deleted), and the ads their ad groups' not at all.
    assert reads["campaign/get/"] == (before["campaign/get/"] if parents_synced else 0) + 4 * 3
    assert reads["adgroup/get/"] == before["adgroup/get/"]


def test_a_campaign_deleted_while_ad_groups_read_their_campaigns_keeps_their_bookmark(
    api: FakeTikTokApi, own_data: FakeData, caplog: pytest.LogCaptureFixture
):
    """The ad groups' read of their campaigns pages by offset too: a campaign deleted after
    page 1 hides the next one, whose change must then come with the next run."""
    config = tap_config(api, page_size=1)
    first = run_tap(config, streams={"adgroups": None})
    aid = own_data.advertiser_ids()[0]
    high, low = sorted(
        (
            e
            for e in own_data.entities(aid, DataLevel.CAMPAIGN)
            if e.buying_type != "RESERVATION_TOP_VIEW"
        ),
        key=lambda e: e.entity_id,
        reverse=True,
    )[:2]
    groups = [
        e
        for e in own_data.entities(aid, DataLevel.ADGROUP)
        if e.record["campaign_id"] == low.entity_id
    ]
    assert groups
    own_data.touch(low.entity_id, LATER - dt.timedelta(hours=1))  # the user pauses `low`
    for group in groups:
        group.record["secondary_status"] = "ADGROUP_STATUS_CAMPAIGN_DISABLE"
    other = next(
        e
        for e in own_data.entities(aid, DataLevel.ADGROUP)
        if e.record["campaign_id"] == high.entity_id
    )
    own_data.touch(other.entity_id, LATER - dt.timedelta(minutes=30))  # a later change
    original = api.routes["campaign/get/"].handler

    def deleting_after_page_one(request):
        answer = original(request)
        filtering = request.params.get("filtering") or {}
        if str(request.params.get("page")) == "1" and _default_kinds(filtering):
            high.deleted = True  # the user deletes `high` while the tap pages
        return answer

    api.register("campaign/get/", deleting_after_page_one)
    with caplog.at_level(logging.WARNING):
        second = run_tap(config, streams={"adgroups": None}, state=first.state)
    api.register("campaign/get/", original)
    third = run_tap(config, streams={"adgroups": None}, state=second.state)

    assert bookmarks(second.state, "adgroups")[aid] == bookmarks(first.state, "adgroups")[aid]
    assert any("changed while the tap paged" in r.getMessage() for r in caplog.records)
    status = {r["adgroup_id"]: r["secondary_status"] for r in third.records["adgroups"]}
    assert {status.get(g.entity_id) for g in groups} == {"ADGROUP_STATUS_CAMPAIGN_DISABLE"}


# -- advertisers -------------------------------------------------------------------------------


def test_advertiser_info_is_called_once_per_100_advertisers(later: dt.datetime):
    data = FakeData(DataSpec(advertisers=150, campaigns_per_advertiser=0))
    with FakeTikTokApi(data, clock=lambda: later) as server:
        result = run_tap(tap_config(server), streams={"advertisers": None, "campaigns": None})
        assert server.count("advertiser/info/") == 2
        sizes = [
            len(r.params["advertiser_ids"]) for r in server.requests if r.path == "advertiser/info/"
        ]
    assert sizes == [100, 50]
    records = result.records["advertisers"]
    assert sorted(r["advertiser_id"] for r in records) == data.advertiser_ids()
    record = records[0]
    source = data.advertiser(record["advertiser_id"])
    expected_created = dt.datetime.fromtimestamp(source["create_time"], tz=dt.timezone.utc)
    assert record["create_time"] == expected_created.isoformat()
    assert record["promotion_area"] == source["promotion_area"]
    assert "brand" in record
    assert result.records["campaigns"] == []


# -- the fake's entity endpoints ---------------------------------------------------------------


def call(api: FakeTikTokApi, path: str, **params: Any) -> dict[str, Any]:
    encoded = {k: v if isinstance(v, (str, int)) else json.dumps(v) for k, v in params.items()}
    response = requests.get(
        f"{api.base_url}/{path}", params=encoded, headers={"Access-Token": api.token}, timeout=10
    )
    assert response.status_code == 200
    return response.json()


@pytest.mark.parametrize("stream", list(STREAMS))
def test_fake_pages_sorted_by_id_descending(api: FakeTikTokApi, own_data: FakeData, stream: str):
    aid = own_data.advertiser_ids()[0]
    expected = sorted(truth_ids(own_data, stream, default_kinds_only=True)[aid], reverse=True)
    body = call(api, PATHS[stream], advertiser_id=aid)
    assert body["code"] == 0
    assert body["data"]["page_info"] == {
        "page": 1,
        "page_size": 10,
        "total_number": len(expected),
        "total_page": -(-len(expected) // 10),
    }
    got = []
    for page in (1, 2, 3):
        data = call(api, PATHS[stream], advertiser_id=aid, page=page, page_size=3)["data"]
        assert data["page_info"]["total_page"] == -(-len(expected) // 3)
        got += [r[ID_FIELDS[stream]] for r in data["list"]]
    assert got == expected[:9]


@pytest.mark.parametrize(
    ("params", "fragment"),
    [
        ({}, "advertiser_id"),
        ({"page_size": 0}, "page_size"),
        ({"page_size": 1001}, "page_size"),
        ({"page": 0}, "page"),
        ({"filtering": [{"field_name": "x"}]}, "filtering"),
        ({"filtering": {"primary_status": "STATUS_GONE"}}, "primary_status"),
        ({"filtering": {"secondary_status": "AD_STATUS_ALL"}}, "secondary_status"),
        ({"filtering": {"campaign_ids": [str(i) for i in range(101)]}}, "campaign_ids"),
        ({"fields": ["campaign_id", "no_such_field"]}, "fields"),
        ({"no_such_parameter": "1"}, "no_such_parameter"),
        ({"filtering": {"adgroup_ids": ["1"]}}, "adgroup_ids"),
        ({"filtering": {"campaign_system_origins": ["ELSEWHERE"]}}, "campaign_system_origins"),
        ({"filtering": {"buying_types": ["AUCTION", "RESERVATION_TOP_VIEW"]}}, "buying_types"),
    ],
)
def test_fake_rejects_bad_entity_requests(
    api: FakeTikTokApi, own_data: FakeData, params: dict, fragment: str
):
    if fragment != "advertiser_id":
        params = {"advertiser_id": own_data.advertiser_ids()[0], **params}
    body = call(api, "campaign/get/", **params)
    assert body["code"] == 40002
    assert fragment in body["message"]
    assert body["data"] == {}


def test_fake_status_filters_and_fields(api: FakeTikTokApi, own_data: FakeData):
    aid = next(
        a
        for a in own_data.advertiser_ids()
        if any(
            e.deleted
            for e in own_data.entities(
                a, DataLevel.CAMPAIGN, include_deleted=True, default_kinds_only=True
            )
        )
    )
    everything = truth_ids(own_data, "campaigns", include_deleted=True, default_kinds_only=True)[
        aid
    ]
    active = truth_ids(own_data, "campaigns", default_kinds_only=True)[aid]
    deleted = sorted(set(everything) - set(active), reverse=True)

    def ids(**filtering: str) -> list[str]:
        body = call(api, "campaign/get/", advertiser_id=aid, filtering=filtering, page_size=100)
        return [r["campaign_id"] for r in body["data"]["list"]]

    assert ids() == sorted(active, reverse=True)
    assert ids(primary_status="STATUS_DELETE") == deleted
    assert ids(secondary_status="CAMPAIGN_STATUS_DELETE") == deleted
    assert ids(secondary_status="CAMPAIGN_STATUS_ALL") == sorted(everything, reverse=True)
    assert ids(primary_status="STATUS_ALL") == sorted(everything, reverse=True)
    body = call(api, "campaign/get/", advertiser_id=aid, fields=["campaign_id", "modify_time"])
    assert all(set(r) == {"campaign_id", "modify_time"} for r in body["data"]["list"])
    body = call(
        api,
        "campaign/get/",
        advertiser_id=aid,
        filtering={"campaign_ids": [everything[0]], "primary_status": "STATUS_ALL"},
    )
    assert [r["campaign_id"] for r in body["data"]["list"]] == [everything[0]]


def test_fake_hides_promote_and_top_view_unless_asked(api: FakeTikTokApi, own_data: FakeData):
    """The documented defaults: TT_ADS_PLATFORM origin, AUCTION and RESERVATION_RF buys."""
    for stream, path in PATHS.items():
        for aid in own_data.advertiser_ids():
            default = call(api, path, advertiser_id=aid, page_size=100)["data"]["list"]
            visible = truth_ids(own_data, stream, default_kinds_only=True)[aid]
            assert [r[ID_FIELDS[stream]] for r in default] == sorted(visible, reverse=True)
            every = []
            for kinds in EVERY_KIND:
                body = call(api, path, advertiser_id=aid, filtering=kinds, page_size=100)
                every += [r[ID_FIELDS[stream]] for r in body["data"]["list"]]
            assert sorted(every) == sorted(truth_ids(own_data, stream)[aid])
    promote = call(
        api,
        "campaign/get/",
        advertiser_id=own_data.advertiser_ids()[0],
        filtering={"campaign_system_origins": ["PROMOTE"]},
    )["data"]["list"]
    # Only six settings of a Promote campaign can be read, and its origin.
    assert promote
    assert all("modify_time" not in r and r["campaign_system_origin"] == "PROMOTE" for r in promote)
    top_view = {**EVERY_KIND[1]}
    aid = own_data.advertiser_ids()[1]
    too_big = call(api, "adgroup/get/", advertiser_id=aid, filtering=top_view, page_size=101)
    assert too_big["code"] == 40002
    assert "page_size" in too_big["message"]


def test_fake_modified_after_only_on_ads(api: FakeTikTokApi, own_data: FakeData):
    aid = own_data.advertiser_ids()[0]
    cutoff = "2026-09-05 00:00:00"
    newer = sorted(
        (
            r["ad_id"]
            for r in own_data.records(aid, DataLevel.AD, default_kinds_only=True)
            if (r.get("modify_time") or r["create_time"]) > cutoff
        ),
        reverse=True,
    )
    body = call(
        api, "ad/get/", advertiser_id=aid, filtering={"modified_after": cutoff}, page_size=100
    )
    assert [r["ad_id"] for r in body["data"]["list"]] == newer
    assert 0 < len(newer) < len(own_data.records(aid, DataLevel.AD, default_kinds_only=True))
    # Campaigns and ad groups have no such filter: the reference does not list it, refused.
    body = call(api, "campaign/get/", advertiser_id=aid, filtering={"modified_after": cutoff})
    assert body["code"] == 40002
    assert "modified_after" in body["message"]
    too_old = call(
        api, "ad/get/", advertiser_id=aid, filtering={"modified_after": "2026-01-01 00:00:00"}
    )
    assert too_old["code"] == 40002
    bad = call(api, "ad/get/", advertiser_id=aid, filtering={"modified_after": "2026-12-01"})
    assert bad["code"] == 40002


def test_a_campaign_paused_after_the_ad_groups_read_it_reaches_its_ads_next_run(
    api: FakeTikTokApi, own_data: FakeData, monkeypatch
):
    """Ads reuse the campaigns' read the ad groups made, a whole stream earlier.

    A campaign paused after that read, then any ad changed before the ads' read: the ads'
    bookmark stops where the reused read began, so the next run sends the paused campaign's
    ads with their new secondary_status (it moved past the pause: never; review r5).
    """
    config = tap_config(api)
    streams = {"adgroups": None, "ads": None}
    first = run_tap(config, streams=streams)
    aid = own_data.advertiser_ids()[0]
    campaigns = [
        e
        for e in own_data.entities(aid, DataLevel.CAMPAIGN)
        if e.buying_type != "RESERVATION_TOP_VIEW" and e.origin != "PROMOTE"
    ]
    paused = campaigns[0]
    paused_ads = [
        e
        for e in own_data.entities(aid, DataLevel.AD)
        if e.record["campaign_id"] == paused.entity_id and "modify_time" in e.record
    ]
    # The user also edits one of them after pausing: a newer change the ads' read sees.
    other_ad = paused_ads[-1]
    assert len(paused_ads) > 1
    done = []

    # A clock that moves: run 2 starts an hour later; the user acts while the ad groups
    # stream reads (after it read the campaigns, before the ads stream starts).
    now = [LATER + dt.timedelta(hours=1)]
    monkeypatch.setattr(dates, "utc_now", lambda: now[0])
    base = now[0]
    original_groups = api.routes["adgroup/get/"].handler

    def user_acts_while_ad_groups_read(request):
        if not done and request.params.get("advertiser_id") == aid:
            done.append(1)
            own_data.touch(paused.entity_id, base + dt.timedelta(minutes=10))
            for ad in paused_ads:
                ad.record["secondary_status"] = "AD_STATUS_CAMPAIGN_DISABLE"
            own_data.touch(other_ad.entity_id, base + dt.timedelta(minutes=20))
            now[0] = base + dt.timedelta(minutes=30)
        return original_groups(request)

    api.register("adgroup/get/", user_acts_while_ad_groups_read)
    second = run_tap(config, streams=streams, state=first.state)
    api.register("adgroup/get/", original_groups)
    now[0] = base + dt.timedelta(hours=1)
    third = run_tap(config, streams=streams, state=second.state)

    status = {r["ad_id"]: r["secondary_status"] for r in first.records["ads"]}
    for result in (second, third):
        status.update({r["ad_id"]: r["secondary_status"] for r in result.records["ads"]})
    assert {status[a.entity_id] for a in paused_ads} == {"AD_STATUS_CAMPAIGN_DISABLE"}
    assert bookmarks(second.state, "ads")[aid] <= (base + dt.timedelta(minutes=10)).isoformat()
