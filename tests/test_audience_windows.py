"""Audience windows sized from the IDs each account returned (Doc 1757262274182145, Scenario 4:
at most 2,000 IDs over 7 days, 5,000 over 3), for every account: a run sizes an account's
windows from what its state remembers, so windows, records and STATE are the same whatever
the concurrency; every STATE stays a resume point. The guidance is shrunk so that a small
fake account needs it.
"""

from __future__ import annotations

import copy
import datetime as dt
import time
from typing import NamedTuple

import pytest

from tap_tiktok_ads import dates, query_size
from tap_tiktok_ads.audience_windows import STATE_KEY, Returned, days_for, remember, remembered
from tests.conftest import SyncResult, run_tap, tap_config
from tests.fake_api import DataSpec, FakeData, FakeTikTokApi
from tests.reliability import resume_points
from tests.truth import REPORTS, by_key, expected_report_records

FINAL_NOW = dt.datetime(2026, 10, 31, 12, tzinfo=dt.timezone.utc)  # audience data final
START, END = dt.date(2026, 10, 1), dt.date(2026, 10, 12)
# The second run's end: it reads Oct 5 (the bookmark less the attribution window) to Oct 24.
LATER_END = dt.date(2026, 10, 24)
# One advertiser of 3 x 4 = 12 ad groups, well under the ad cap: nothing lists its IDs.
SPEC = DataSpec(
    advertisers=1,
    campaigns_per_advertiser=3,
    adgroups_per_campaign=4,
    ads_per_adgroup=2,
    first_day=dt.date(2026, 9, 1),
    last_day=dt.date(2026, 10, 31),
)
STREAM = "adgroup_audience_country_daily"
METRICS = ["spend", "impressions"]
REPORT = "report/integrated/get/"
CREATE_SECOND = 1.05  # Doc 1740302766489602: 1 QPS per app for task creations


def test_window_days_follow_the_ids_returned_within_tiktoks_guidance() -> None:
    assert days_for(0, 7, 7) == 7
    assert days_for(2_000, 7, 7) == 7
    assert days_for(2_001, 7, 7) == 3  # the same IDs over 3 days are within 5,000
    assert days_for(5_001, 7, 7) == 1
    assert days_for(850, 3, 7) == 7  # 850 x 7 / 3 = 1,984 predicted over 7 days
    assert days_for(900, 3, 7) == 3  # 2,100 predicted over 7 days: too many
    assert days_for(100, 1, 5) == 5  # never longer than the stream's own window
    assert days_for(10**400, 1, 7) == 1  # a hand-edited count too large for a float


def test_the_state_keeps_only_ids_that_ask_for_shorter_windows() -> None:
    state: dict = {STATE_KEY: "hand-edited"}
    remember(state, "1", Returned(2_001, 7), 7)
    assert state == {STATE_KEY: {"1": {"ids": 2_001, "days": 7}}}
    assert remembered(state, "1") == Returned(2_001, 7)
    remember(state, "1", Returned(2_000, 7), 7)  # within the guidance again: forgotten
    assert state == {}
    assert remembered({STATE_KEY: {"1": {"ids": True, "days": 7}}}, "1") is None
    assert remembered({STATE_KEY: {"1": {"ids": 5, "days": 0}}}, "1") is None


@pytest.fixture
def shrunk_guidance(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(query_size, "AUDIENCE_GUIDANCE", ((5, 7), (20, 3)))
    monkeypatch.setattr(dates, "utc_now", lambda: FINAL_NOW)


def streams() -> dict:
    return {STREAM: ["advertiser_id", *REPORTS[STREAM].dimensions, *METRICS]}


def spans(api: FakeTikTokApi) -> list[int]:
    """Days of each report query, by start date (sent in any order at a width above 1)."""
    queries = sorted(
        (dt.date.fromisoformat(r.params["start_date"]), dt.date.fromisoformat(r.params["end_date"]))
        for r in api.requests
        if r.path == REPORT and r.params.get("page") in {None, "1"}
    )
    api.log.clear()
    return [(end - start).days + 1 for start, end in queries]


def bookmarks(result: SyncResult, advertiser_id: str) -> list[str]:
    """The advertiser's bookmark in each STATE, in order."""
    return [
        partition["replication_key_value"]
        for state in result.states
        for partition in state["bookmarks"][STREAM].get("partitions", [])
        if partition["context"]["advertiser_id"] == advertiser_id
        and "replication_key_value" in partition
    ]


class TwoRuns(NamedTuple):
    """A first run to END, a second from its state to LATER_END."""

    first: SyncResult
    second: SyncResult
    query_days: list[list[int]]  # of each run's report queries
    said: list[str]  # the second run's lines about the days per request


def two_runs(data: FakeData, max_concurrency: int, caplog: pytest.LogCaptureFixture) -> TwoRuns:
    """Both runs, `max_concurrency` reads in flight, each answered 50 ms late."""
    with FakeTikTokApi(data, clock=lambda: FINAL_NOW) as api:
        api.latency_seconds = 0.05  # the windows' reads overlap at a width above 1
        config = tap_config(
            api,
            start_date=START.isoformat(),
            end_date=END.isoformat(),
            max_concurrency=max_concurrency,
        )
        first = run_tap(config, streams=streams())
        first_days = spans(api)
        caplog.clear()
        later = {**config, "end_date": LATER_END.isoformat()}
        second = run_tap(later, streams=streams(), state=first.state)
        said = [r.getMessage() for r in caplog.records if "per request" in r.getMessage()]
        return TwoRuns(first, second, [first_days, spans(api)], said)


@pytest.mark.usefixtures("shrunk_guidance")
def test_windows_are_sized_from_the_ids_the_state_remembers_at_any_concurrency(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """With 8 reads in flight, whichever answers first, the windows, the records and every
    STATE are those of one read at a time. The first run reads 7-day windows: no run before
    it saw the account's IDs. Its last window returns 9 ad groups over 5 days, more than the
    (shrunk) 5 IDs per 7 days predicted: the state keeps them, and the second run reads 3-day
    windows."""
    data = FakeData(SPEC)
    advertiser_id = data.advertiser_ids()[0]
    caplog.set_level("INFO", logger="tap-tiktok-ads")
    one_by_one = two_runs(data, 1, caplog)
    in_parallel = two_runs(data, 8, caplog)

    for run in ("first", "second"):
        alone, parallel = getattr(one_by_one, run), getattr(in_parallel, run)
        assert parallel.records == alone.records
        assert parallel.states == alone.states
    assert in_parallel.query_days == one_by_one.query_days
    assert in_parallel.said == one_by_one.said

    first, second, query_days, said = one_by_one
    assert query_days == [[7, 5], [3, 3, 3, 3, 3, 3, 2]]
    assert len(said) == 1  # once per advertiser and run
    assert "returned 9 adgroup IDs over 5 day(s) last time" in said[0]
    assert first.state["bookmarks"][STREAM][STATE_KEY] == {advertiser_id: {"ids": 9, "days": 5}}
    assert bookmarks(first, advertiser_id) == ["2026-10-07", "2026-10-12"]
    # Its first STATE holds the first run's bookmark, which windows before it do not move.
    assert bookmarks(second, advertiser_id) == [
        "2026-10-12",
        "2026-10-13",
        "2026-10-16",
        "2026-10-19",
        "2026-10-22",
        "2026-10-24",
    ]
    keys = REPORTS[STREAM].key_properties
    for result, start, end in ((first, START, END), (second, dt.date(2026, 10, 5), LATER_END)):
        truth = expected_report_records(data, STREAM, METRICS, start=start, end=end, now=FINAL_NOW)
        assert by_key(result.records[STREAM], keys) == by_key(truth, keys)
        assert len(result.records[STREAM]) == len(truth) > 0


@pytest.mark.usefixtures("shrunk_guidance")
def test_every_state_is_a_resume_point_while_windows_change_size() -> None:
    """Each STATE of a run sized from the state (7, then 3 days) resumes to the truth."""
    data = FakeData(SPEC)
    advertiser_id = data.advertiser_ids()[0]
    with FakeTikTokApi(data, clock=lambda: FINAL_NOW) as api:
        config = tap_config(api, start_date=START.isoformat(), end_date=END.isoformat())
        state = {"bookmarks": {STREAM: {STATE_KEY: {advertiser_id: {"ids": 9, "days": 5}}}}}
        full = run_tap(config, streams=streams(), state=state)
        assert spans(api) == [3, 3, 3, 3]
        keys = REPORTS[STREAM].key_properties
        truth = by_key(
            expected_report_records(data, STREAM, METRICS, start=START, end=END, now=FINAL_NOW),
            keys,
        )
        assert by_key(full.records[STREAM], keys) == truth
        assert resume_points(full, config, streams(), STREAM, truth) >= 3


@pytest.mark.usefixtures("shrunk_guidance")
@pytest.mark.parametrize("kept", ["yes", {"1": {"ids": "many", "days": 7}}, {"1": {"ids": 3}}])
def test_a_remembered_value_not_of_this_tap_is_replaced(kept: object) -> None:
    """A hand-edited `audience_ids` sizes nothing (7-day windows) and is written anew."""
    data = FakeData(SPEC)
    advertiser_id = data.advertiser_ids()[0]
    if isinstance(kept, dict):
        kept = {advertiser_id: kept["1"]}
    with FakeTikTokApi(data, clock=lambda: FINAL_NOW) as api:
        config = tap_config(api, start_date=START.isoformat(), end_date=END.isoformat())
        state = {"bookmarks": {STREAM: {STATE_KEY: kept}}}
        result = run_tap(config, streams=streams(), state=state)
        assert spans(api) == [7, 5]
    assert result.state["bookmarks"][STREAM][STATE_KEY] == {advertiser_id: {"ids": 9, "days": 5}}


TASKS = "report/task/create/"


def run_by_mode(
    api: FakeTikTokApi, report_mode: str, state: dict
) -> tuple[SyncResult, list[int], int]:
    """A run from `state`; the days of its sync report queries and the tasks it created."""
    time.sleep(CREATE_SECOND)  # TikTok's 1 task creation per second and app, across runs
    config = tap_config(
        api, start_date=START.isoformat(), end_date=END.isoformat(), report_mode=report_mode
    )
    result = run_tap(config, streams=streams(), state=copy.deepcopy(state))
    created = sum(1 for r in api.requests if r.path == TASKS)
    return result, spans(api), created


@pytest.mark.usefixtures("shrunk_guidance")
def test_a_failed_tasks_range_is_read_in_the_windows_sync_mode_sizes() -> None:
    """The state says the account returned 9 ad groups over 5 days (3-day windows): when its
    report task fails, its range is read by 3-day sync windows, as sync mode reads it, and
    the run ends with sync mode's records and state."""
    data = FakeData(SPEC)
    advertiser_id = data.advertiser_ids()[0]
    state = {"bookmarks": {STREAM: {STATE_KEY: {advertiser_id: {"ids": 9, "days": 5}}}}}
    with FakeTikTokApi(data, clock=lambda: FINAL_NOW) as api:
        by_sync, sync_days, _ = run_by_mode(api, "sync", state)
        api.report_tasks.fail_next("Internal error.")
        by_async, async_days, created = run_by_mode(api, "async", state)
    assert created == 1
    assert async_days == sync_days == [3, 3, 3, 3]
    assert by_async.records == by_sync.records
    assert by_async.state == by_sync.state


@pytest.mark.usefixtures("shrunk_guidance")
@pytest.mark.parametrize(
    ("kept", "expected"),
    [
        (None, {"ids": 9, "days": 5}),  # 7-day windows: Oct 8-12 returned 9 over 5 days
        ({"ids": 100, "days": 1}, {"ids": 9, "days": 1}),  # 1-day windows: 9 a day
        ({"ids": 9, "days": 5}, {"ids": 9, "days": 3}),  # 3-day windows: 9 over Oct 10-12
    ],
    ids=["none", "more-than-now", "as-now"],
)
def test_an_async_runs_task_keeps_the_ids_as_sync_windows_would(
    kept: dict | None, expected: dict
) -> None:
    """A task's rows, counted by the windows sync mode would read (7 days without a state,
    1 or 3 with), write `audience_ids` as those windows would: recorded where there was
    none, refreshed where the state said more."""
    data = FakeData(SPEC)
    advertiser_id = data.advertiser_ids()[0]
    state = {"bookmarks": {STREAM: {STATE_KEY: {advertiser_id: kept}} if kept else {}}}
    with FakeTikTokApi(data, clock=lambda: FINAL_NOW) as api:
        by_sync, _, _ = run_by_mode(api, "sync", state)
        by_async, sync_days, created = run_by_mode(api, "async", state)
    assert (created, sync_days) == (1, [])
    assert api.report_tasks.refusals == []
    keys = REPORTS[STREAM].key_properties
    assert by_key(by_async.records[STREAM], keys) == by_key(by_sync.records[STREAM], keys)
    assert by_async.state["bookmarks"][STREAM][STATE_KEY] == {advertiser_id: expected}
    assert by_async.state == by_sync.state
