"""An advertiser over TikTok's report ad cap is read in ID batches and loses no row.

The fake caps reports at CAP ads (tests/fake_api/ad_cap.py: the newest ads, deleted ones
counted, every level aggregated over them, the `X-Tt-Ads-Throttle` header); the truth is
the fake's own data without the cap (tests/truth.py).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import signal
import subprocess
from collections import Counter

import pytest

from tap_tiktok_ads import dates, id_batches
from tests.conftest import catalog_for, cli_command, run_tap, tap_config
from tests.fake_api import DataSpec, FakeData, FakeTikTokApi
from tests.fake_api.ad_cap import THROTTLE_HEADER
from tests.fake_api.vocabulary import DataLevel
from tests.truth import REPORTS, by_key, expected_report_records

CAP = 50
NOW = dt.datetime(2026, 10, 20, 15, 30, tzinfo=dt.timezone.utc)
START, END = dt.date(2026, 10, 1), dt.date(2026, 10, 6)
# Two advertisers of 3 x 4 x 10 = 120 ads each, every fourth entity deleted.
SPEC = DataSpec(
    advertisers=2,
    campaigns_per_advertiser=3,
    adgroups_per_campaign=4,
    ads_per_adgroup=10,
    first_day=dt.date(2026, 9, 1),
    last_day=dt.date(2026, 10, 31),
    ad_cap=CAP,
)
REPORT = "report/integrated/get/"
ADDITIVE = ["spend", "impressions", "clicks", "conversion"]
RATIOS = ["ctr", "cpm"]


@pytest.fixture(scope="module")
def data() -> FakeData:
    return FakeData(SPEC)


@pytest.fixture
def api(data: FakeData, frozen_clock):
    with FakeTikTokApi(data, clock=lambda: NOW) as server:
        yield server


@pytest.fixture
def frozen_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(dates, "utc_now", lambda: NOW)


def config(api: FakeTikTokApi, **overrides) -> dict:
    settings = {"start_date": START.isoformat(), "end_date": END.isoformat(), "page_size": 100}
    return tap_config(api, **{**settings, **overrides})


def ids_in(request) -> list[str]:
    """The IDs of a request's ID filter (none without one)."""
    filtering = request.params.get("filtering") or []
    for item in json.loads(filtering) if isinstance(filtering, str) else filtering:
        if item["field_name"].endswith("_ids"):
            values = item["filter_value"]
            return json.loads(values) if isinstance(values, str) else values
    return []


def test_the_fake_account_is_over_the_cap(data: FakeData) -> None:
    for advertiser_id in data.advertiser_ids():
        ads = data.entities(advertiser_id, DataLevel.AD, include_deleted=True)
        assert len(ads) == 120 > CAP
        assert any(ad.deleted for ad in ads)


@pytest.mark.parametrize(
    "case",
    [
        ("ad_report_daily", ADDITIVE + RATIOS, True),
        ("ad_report_daily", ADDITIVE, False),
        ("adgroup_report_daily", ADDITIVE + RATIOS, True),
        ("campaign_report_daily", ADDITIVE + RATIOS, False),
    ],
)
def test_every_row_of_a_capped_account_at_entity_levels(api, data, caplog, case) -> None:
    stream, metrics, include_deleted = case
    definition = REPORTS[stream]
    properties = ["advertiser_id", *definition.dimensions, *metrics]
    with caplog.at_level(logging.WARNING):
        result = run_tap(config(api, include_deleted=include_deleted), streams={stream: properties})
    expected = expected_report_records(
        data, stream, metrics, start=START, end=END, include_deleted=include_deleted, now=NOW
    )
    records = result.records[stream]
    keys = definition.key_properties
    assert len(records) == len(expected) > 0  # no row lost, none twice
    assert by_key(records, keys) == by_key(expected, keys)
    # Every report answer the tap used was complete: the header came only on the first try.
    answers = [r for r in api.requests if r.path == REPORT]
    assert all(len(ids_in(r)) <= 100 for r in answers)
    announced = [m for m in caplog.messages if "read in batches" in m]
    assert len(announced) == len(data.advertiser_ids())  # once per advertiser, with the reason
    assert THROTTLE_HEADER in announced[0]
    assert api.count("ad/get/") >= len(data.advertiser_ids())


def test_an_ad_count_at_the_cap_batches_from_the_first_report_query(
    api, data, caplog, monkeypatch
) -> None:
    """The `ads` stream (synced before `campaign_*`: the SDK orders streams by name) counted
    each account's ads: no report query goes out unfiltered, no truncated answer is asked."""
    monkeypatch.setattr(id_batches, "TIKTOK_AD_CAP", CAP)  # the tap's cap, like the fake's
    stream = "campaign_report_daily"
    definition = REPORTS[stream]
    streams = {"ads": None, stream: ["advertiser_id", *definition.dimensions, *ADDITIVE]}
    with caplog.at_level(logging.WARNING):
        result = run_tap(config(api, include_deleted=True), streams=streams)
    expected = expected_report_records(
        data, stream, ADDITIVE, start=START, end=END, include_deleted=True, now=NOW
    )
    keys = definition.key_properties
    assert len(result.records[stream]) == len(expected) > 0
    assert by_key(result.records[stream], keys) == by_key(expected, keys)
    reports = [r for r in api.requests if r.path == REPORT]
    assert reports
    assert all(ids_in(r) for r in reports)  # batched from the first query on
    announced = [m for m in caplog.messages if "read in batches" in m]
    assert len(announced) == len(data.advertiser_ids())
    assert all("ad/get/ counts" in m for m in announced)  # the reason: the count


def test_a_first_run_drops_the_capped_answers_of_reports_synced_before_the_ads_stream(
    api, data, caplog, monkeypatch
) -> None:
    """Issue 13: `ad_report_daily` syncs before `ads` (name order), so on a first run nothing
    counted the ads yet and its first queries go out unfiltered. TikTok marks those answers
    with the header: none of their rows is emitted, the windows are read in batches, and the
    bookmark moves only past the batched rows."""
    monkeypatch.setattr(id_batches, "TIKTOK_AD_CAP", CAP)  # the tap's cap, like the fake's
    stream = "ad_report_daily"
    definition = REPORTS[stream]
    streams = {stream: ["advertiser_id", *definition.dimensions, *ADDITIVE], "ads": None}
    with caplog.at_level(logging.WARNING):
        result = run_tap(config(api), streams=streams)
    unfiltered = [r for r in api.requests if r.path == REPORT and not ids_in(r)]
    assert {r.params["advertiser_id"] for r in unfiltered} == set(data.advertiser_ids())
    announced = [m for m in caplog.messages if "read in batches" in m]
    assert len(announced) == len(data.advertiser_ids())
    assert all(THROTTLE_HEADER in m for m in announced)  # learnt from the answer, not ad/get/
    expected = expected_report_records(data, stream, ADDITIVE, start=START, end=END, now=NOW)
    keys = definition.key_properties
    assert len(result.records[stream]) == len(expected) > 0  # no capped row, none twice
    assert by_key(result.records[stream], keys) == by_key(expected, keys)
    assert bookmarked(result.state, stream)
    assert sorted(result.state["bookmarks"][stream]["over_ad_cap"]) == data.advertiser_ids()


def test_the_next_run_reads_an_account_over_the_cap_in_batches_from_its_first_query(
    api, data, caplog
) -> None:
    """An account's ads never get fewer: the state keeps who was read in batches, and the
    next run asks no truncated report for them, at any level."""
    streams = {
        name: ["advertiser_id", *REPORTS[name].dimensions, *ADDITIVE]
        for name in ("ad_report_daily", "adgroup_report_daily")
    }
    first = run_tap(config(api), streams=streams)
    assert any(not ids_in(r) for r in api.requests if r.path == REPORT)  # the header taught it
    remembered = first.state["bookmarks"]["ad_report_daily"]["over_ad_cap"]
    assert sorted(remembered) == data.advertiser_ids()
    before = len(api.requests)
    with caplog.at_level(logging.WARNING):
        second = run_tap(config(api), streams=streams, state=first.state)
    reports = [r for r in api.requests[before:] if r.path == REPORT]
    assert reports
    assert all(ids_in(r) for r in reports)  # batched from the first query on
    assert any("an earlier run found it over the cap" in m for m in caplog.messages)
    for name in streams:
        expected = expected_report_records(data, name, ADDITIVE, start=START, end=END, now=NOW)
        keys = REPORTS[name].key_properties
        assert by_key(second.records[name], keys) == by_key(expected, keys)


def test_the_advertiser_level_adds_up_the_batches(api, data, caplog) -> None:
    stream = "advertiser_report_daily"
    definition = REPORTS[stream]
    properties = ["advertiser_id", *definition.dimensions, *ADDITIVE, *RATIOS]
    with caplog.at_level(logging.WARNING):
        result = run_tap(config(api), streams={stream: properties})
    expected = expected_report_records(data, stream, ADDITIVE, start=START, end=END, now=NOW)
    records = result.records[stream]
    keys = definition.key_properties
    assert len(records) == len(expected) > 0
    additive_only = [{k: v for k, v in r.items() if k not in RATIOS} for r in records]
    got, want = by_key(additive_only, keys), by_key(expected, keys)
    assert got.keys() == want.keys()
    for key, record in got.items():
        for name in ADDITIVE:
            assert record[name] == pytest.approx(want[key][name], abs=1e-9), (key, name)
    assert all(r[name] is None for r in records for name in RATIOS)
    assert any("cannot be summed" in m for m in caplog.messages)


def test_no_duplicate_keys_and_bookmarks_at_window_ends(api, data) -> None:
    stream = "ad_report_daily"
    definition = REPORTS[stream]
    result = run_tap(
        config(api), streams={stream: ["advertiser_id", *definition.dimensions, "spend"]}
    )
    keys = definition.key_properties
    counts = Counter(tuple(r[k] for k in keys) for r in result.records[stream])
    assert counts
    assert max(counts.values()) == 1
    partitions = result.state["bookmarks"][stream]["partitions"]
    assert {p["replication_key_value"] for p in partitions} == {END.isoformat()}


ONE_CAMPAIGN = DataSpec(
    advertisers=1,
    campaigns_per_advertiser=1,
    adgroups_per_campaign=12,
    ads_per_adgroup=10,
    first_day=dt.date(2026, 9, 1),
    last_day=dt.date(2026, 10, 31),
    ad_cap=CAP,
)


@pytest.mark.usefixtures("frozen_clock")
def test_a_batch_that_still_hits_the_cap_is_split_and_read_again() -> None:
    """One campaign of 120 ads: its ad groups are batched; a batch over the cap is split."""
    data = FakeData(ONE_CAMPAIGN)
    stream = "ad_report_daily"
    definition = REPORTS[stream]
    with FakeTikTokApi(data, clock=lambda: NOW) as api:
        result = run_tap(
            config(api, include_deleted=True),
            streams={stream: ["advertiser_id", *definition.dimensions, *ADDITIVE]},
        )
        filtered = [r for r in api.requests if r.path == REPORT and ids_in(r)]
    expected = expected_report_records(
        data, stream, ADDITIVE, start=START, end=END, include_deleted=True, now=NOW
    )
    keys = definition.key_properties
    assert len(result.records[stream]) == len(expected) > 0
    assert by_key(result.records[stream], keys) == by_key(expected, keys)
    per_batch = Counter(len(ids_in(r)) for r in filtered)
    assert len(per_batch) > 1  # a first, too big batch of ad groups, then smaller ones


def bookmarked(state: dict, stream: str) -> bool:
    """Whether a STATE holds a bookmark of the stream for some advertiser."""
    partitions = state.get("bookmarks", {}).get(stream, {}).get("partitions", [])
    return any(p.get("replication_key_value") for p in partitions)


@pytest.mark.usefixtures("frozen_clock")
def test_a_run_killed_mid_batch_resumes_without_gaps(api, data, tmp_path) -> None:
    """SIGKILL between two records of a batch; the next run starts from the last STATE."""
    stream = "ad_report_daily"
    definition = REPORTS[stream]
    start = dt.date(2026, 9, 1)  # two 30-day windows per advertiser
    run_config = config(
        api, include_deleted=True, max_concurrency=1, page_size=20, start_date=start.isoformat()
    )
    (tmp_path / "config.json").write_text(json.dumps(run_config))
    catalog = catalog_for(run_config, {stream: ["advertiser_id", *definition.dimensions, "spend"]})
    (tmp_path / "catalog.json").write_text(json.dumps(catalog))
    command = cli_command(
        *("--config", str(tmp_path / "config.json")),
        *("--catalog", str(tmp_path / "catalog.json")),
        now=NOW,
    )
    first: list[dict] = []
    states: list[dict] = []
    batched_requests_at_kill = records_at_bookmark = 0
    with subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
    ) as process:
        assert process.stdout is not None
        for line in process.stdout:
            try:
                message = json.loads(line)
            except ValueError:
                continue
            if message["type"] == "RECORD":
                first.append(message["record"])
            if message["type"] == "STATE":
                states.append(message["value"])
            if message["type"] == "STATE" and bookmarked(message["value"], stream):
                records_at_bookmark = records_at_bookmark or len(first)
            # A window was bookmarked; now well inside the batches of the next one.
            if records_at_bookmark and len(first) >= records_at_bookmark + 300:
                batched_requests_at_kill = sum(
                    1 for r in api.requests if r.path == REPORT and ids_in(r)
                )
                os.kill(process.pid, signal.SIGKILL)
                break
        process.wait(timeout=30)
    assert batched_requests_at_kill
    expected = expected_report_records(
        data, stream, ["spend"], start=start, end=END, include_deleted=True, now=NOW
    )
    assert len(first) < len(expected)  # killed before the end
    second = run_tap(
        run_config,
        streams={stream: ["advertiser_id", *definition.dimensions, "spend"]},
        state=states[-1] if states else None,
    )
    assert len(second.records[stream]) < len(expected)  # resumed, not started over
    keys = definition.key_properties
    merged = {**by_key(first, keys), **by_key(second.records[stream], keys)}
    assert merged == by_key(expected, keys)
