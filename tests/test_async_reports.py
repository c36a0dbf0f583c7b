"""Daily reports read with asynchronous report tasks (`report_mode`, issue 13).

Against the fake's task endpoints (tests/fake_api/report_tasks.py), whose rows come from the
same engine as the sync report: records of both paths must be identical and equal the
fake's truth; the creation limits (1 QPS per app, 500 per advertiser and hour) are never hit;
a killed run resumes with its tasks; tasks no longer needed are canceled.
"""

from __future__ import annotations

import datetime as dt
import io
import itertools
import json
import logging
import os
import signal
import subprocess
import threading
import time
from collections import Counter
from typing import TYPE_CHECKING, Any

import pytest
from singer_sdk.metrics import METRICS_LOGGER_NAME, Metric, Point, Tag

from tap_tiktok_ads import dates, task_quota
from tap_tiktok_ads.report_csv import ReportFileError, check_file, country_code, report_rows
from tap_tiktok_ads.settings import check_settings
from tests.conftest import NOW, _tap, catalog_for, cli_command, run_tap, tap_config
from tests.fake_api import DataSpec, FakeData, FakeTikTokApi
from tests.fake_api import server as fake_server
from tests.test_audience import Clock
from tests.truth import REPORTS, by_key, expected_report_records

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

CREATE, CHECK = "report/task/create/", "report/task/check/"
DOWNLOAD, CANCEL = "report/task/download/", "report/task/cancel/"
SYNC_REPORT = "report/integrated/get/"
FIRST_DAY = dt.date(2026, 6, 1)
START, END = dt.date(2026, 10, 1), dt.date(2026, 11, 18)  # before the days async data lags
DAY = dt.timedelta(days=1)
AD_METRICS = ["spend", "impressions", "clicks", "ctr", "cpm", "conversion", "reach"]
COUNTRY_METRICS = ["spend", "impressions", "clicks", "ctr"]
STREAMS = {
    "ad_report_daily": AD_METRICS,
    "ad_audience_country_daily": COUNTRY_METRICS,
}


@pytest.fixture(scope="module")
def data() -> FakeData:
    """Two advertisers with data from June: a first sync of more than 90 days."""
    return FakeData(
        DataSpec(
            advertisers=2,
            campaigns_per_advertiser=2,
            adgroups_per_campaign=2,
            ads_per_adgroup=2,
            first_day=FIRST_DAY,
            last_day=dt.date(2026, 12, 31),
        )
    )


@pytest.fixture
def api(data: FakeData) -> Iterator[FakeTikTokApi]:
    with FakeTikTokApi(data, clock=lambda: NOW) as server:
        yield server


def selection(stream: str) -> dict[str, list[str]]:
    return {stream: [*REPORTS[stream].key_properties, *STREAMS[stream]]}


def truth(
    data: FakeData, stream: str, end: dt.date, start: dt.date = FIRST_DAY
) -> list[dict[str, Any]]:
    return expected_report_records(data, stream, STREAMS[stream], start=start, end=end, now=NOW)


def ordered(records: list[dict[str, Any]], stream: str) -> list[dict[str, Any]]:
    keys = REPORTS[stream].key_properties
    return sorted(records, key=lambda record: tuple(str(record[k]) for k in keys))


def calls(api: FakeTikTokApi, path: str) -> list:
    return [r for r in api.requests if r.path == path]


def wait_out_the_creation_second(api: FakeTikTokApi) -> None:
    """Sleep until a second has passed since the last task creation arrived."""
    last = max((r.monotonic for r in calls(api, CREATE)), default=None)
    if last is not None:
        time.sleep(max(0.0, last + 1.05 - time.monotonic()))


def task_ids(api: FakeTikTokApi, path: str) -> set[str]:
    return {str(r.params["task_id"]) for r in calls(api, path)}


@pytest.mark.usefixtures("frozen_now")
@pytest.mark.parametrize("stream", list(STREAMS))
def test_async_and_sync_records_are_identical(api, data, stream: str) -> None:
    """Ad-level daily and audience by country: same keys, types and values on both paths;
    country names in the task's file come back as ISO codes."""
    config = tap_config(api, start_date=START.isoformat(), end_date=END.isoformat())
    by_sync = run_tap({**config, "report_mode": "sync"}, streams=selection(stream))
    assert not calls(api, CREATE)
    api.log.clear()
    by_async = run_tap({**config, "report_mode": "async"}, streams=selection(stream))
    assert len(calls(api, CREATE)) == len(data.advertiser_ids())
    assert not calls(api, SYNC_REPORT)
    assert api.report_tasks.refusals == []
    sync_records = ordered(by_sync.records[stream], stream)
    async_records = ordered(by_async.records[stream], stream)
    assert len(async_records) > 300
    assert async_records == sync_records
    assert async_records == ordered(truth(data, stream, END, START), stream)
    assert by_async.schemas[stream] == by_sync.schemas[stream]
    if stream == "ad_audience_country_daily":
        assert {r["country_code"] for r in async_records} == {"BR", "DE", "GB", "JP", "US"}
    # Once read, the tasks leave the state; the bookmarks are those of the sync run.
    assert by_async.state == by_sync.state


@pytest.mark.usefixtures("frozen_now")
def test_task_calls_are_counted_in_the_sdk_request_metric(api, caplog) -> None:
    config = tap_config(
        api, start_date=START.isoformat(), end_date=END.isoformat(), log_metrics=True
    )
    with caplog.at_level(logging.INFO, logger=METRICS_LOGGER_NAME):
        run_tap({**config, "report_mode": "async"}, streams=selection("ad_report_daily"))
    counted: Counter[str] = Counter()
    lines: Counter[str] = Counter()
    for record in caplog.records:
        point = record.args[0] if isinstance(record.args, tuple) and record.args else None
        if isinstance(point, Point) and point.metric == Metric.HTTP_REQUEST_COUNT:
            counted[str(point.tags[Tag.ENDPOINT]).strip("/") + "/"] += int(point.value)
            lines[str(point.tags[Tag.ENDPOINT]).strip("/") + "/"] += 1
    for path in (CREATE, CHECK, DOWNLOAD):
        assert counted[path] == len(calls(api, path)) > 0, path
    # A task's polls share one counter: one METRIC line per task, not one per check.
    tasks = task_ids(api, CHECK)
    assert len(calls(api, CHECK)) > len(tasks)
    assert lines[CHECK] == len(tasks)


@pytest.mark.usefixtures("frozen_now")
def test_auto_reads_a_long_first_sync_with_tasks_and_recent_days_with_sync(api, data) -> None:
    config = tap_config(api, start_date=FIRST_DAY.isoformat(), end_date="today")
    result = run_tap(config, streams=selection("ad_report_daily"))
    creates = calls(api, CREATE)
    assert len(creates) == len(data.advertiser_ids())
    today = {a: data.local_today(a, NOW) for a in data.advertiser_ids()}  # zones differ
    assert {
        (r.params["advertiser_id"], r.params["start_date"], r.params["end_date"]) for r in creates
    } == {(a, "2026-06-01", str(day - dt.timedelta(days=2))) for a, day in today.items()}
    sync_windows = {
        (r.params["advertiser_id"], r.params["start_date"], r.params["end_date"])
        for r in calls(api, SYNC_REPORT)
    }
    assert sync_windows == {
        (a, str(day - dt.timedelta(days=1)), str(day)) for a, day in today.items()
    }
    records = ordered(result.records["ad_report_daily"], "ad_report_daily")
    latest = max(today.values())
    assert records == ordered(truth(data, "ad_report_daily", latest), "ad_report_daily")
    assert api.report_tasks.refusals == []
    gaps = [b.monotonic - a.monotonic for a, b in itertools.pairwise(creates)]
    assert all(gap >= 1.0 for gap in gaps)  # 1 QPS per app (Doc 1740302766489602)


@pytest.mark.usefixtures("frozen_now")
def test_a_creation_delayed_on_its_way_does_not_bring_the_next_within_a_second(
    api, data, monkeypatch
) -> None:
    """TikTok counts 1 QPS per app at arrival (Doc 1740302766489602): the first creation
    reaches the fake 0.4 s after it left (as a slow network or a loaded machine delays it);
    spaced from its send (1.05 s), the second would arrive 0.65 s after it and be refused."""
    first_delayed = threading.Event()
    answer = fake_server.dispatch

    def delayed(api_: FakeTikTokApi, method: str, target: str, *args: Any) -> Any:
        if target.endswith(CREATE) and not first_delayed.is_set():
            first_delayed.set()
            time.sleep(0.4)
        return answer(api_, method, target, *args)

    monkeypatch.setattr(fake_server, "dispatch", delayed)
    config = tap_config(
        api, start_date=START.isoformat(), end_date=END.isoformat(), report_mode="async"
    )
    result = run_tap(config, streams=selection("ad_report_daily"))
    creates = calls(api, CREATE)
    assert first_delayed.is_set()
    assert api.report_tasks.refusals == []
    assert len(creates) == len(data.advertiser_ids()) == 2
    assert creates[1].monotonic - creates[0].monotonic >= 1.0
    records = ordered(result.records["ad_report_daily"], "ad_report_daily")
    assert records == ordered(truth(data, "ad_report_daily", END, START), "ad_report_daily")


@pytest.mark.usefixtures("frozen_now")
def test_auto_keeps_short_ranges_on_sync_requests(api) -> None:
    config = tap_config(api, start_date="2026-08-25", end_date="today")  # 88 days
    run_tap(config, streams=selection("ad_report_daily"))
    assert not calls(api, CREATE)


@pytest.mark.usefixtures("frozen_now")
def test_a_failed_task_is_read_with_sync_requests_instead(api, data, caplog) -> None:
    api.report_tasks.fail_next("Internal error.")
    config = tap_config(
        api, start_date=START.isoformat(), end_date=END.isoformat(), report_mode="async"
    )
    result = run_tap(config, streams=selection("ad_report_daily"))
    records = ordered(result.records["ad_report_daily"], "ad_report_daily")
    assert records == ordered(truth(data, "ad_report_daily", END, START), "ad_report_daily")
    failed = data.advertiser_ids()[0]
    assert {r.params["advertiser_id"] for r in calls(api, SYNC_REPORT)} == {failed}
    assert "is FAILED: Internal error." in caplog.text
    assert "report_tasks" not in json.dumps(result.state)


@pytest.mark.usefixtures("frozen_now")
@pytest.mark.parametrize(
    ("fault", "answered"),
    [
        ("odd_status", "unknown status 'RUNNING'"),
        ("no_task_id", f"answer to /{CREATE} carried no task_id"),
    ],
)
def test_an_odd_task_answer_reads_that_range_with_sync_requests(
    api, data, caplog, fault: str, answered: str
) -> None:
    """A status the reference does not list, or a creation without its task_id: the task
    is unusable, its range read by sync requests with a warning; nothing stops the run."""
    if fault == "odd_status":
        api.report_tasks.odd_status_next("RUNNING")
    else:
        api.report_tasks.no_task_id_next()
    config = tap_config(
        api, start_date=START.isoformat(), end_date=END.isoformat(), report_mode="async"
    )
    with caplog.at_level(logging.WARNING):
        result = run_tap(config, streams=selection("ad_report_daily"))
    records = ordered(result.records["ad_report_daily"], "ad_report_daily")
    assert records == ordered(truth(data, "ad_report_daily", END, START), "ad_report_daily")
    synced = {r.params["advertiser_id"] for r in calls(api, SYNC_REPORT)}
    assert len(synced) == 1
    warnings = [r.getMessage() for r in caplog.records if answered in r.getMessage()]
    assert len(warnings) == 1
    assert f"advertiser {synced.pop()}, {START} to {END}: read with sync requests" in warnings[0]
    assert "report_tasks" not in json.dumps(result.state)


@pytest.mark.usefixtures("frozen_now")
def test_an_app_not_allowlisted_reads_with_sync_requests_after_one_refusal(
    api, data, caplog
) -> None:
    """Async reports are allowlist-only (Doc 1738864800380930): auto must still work."""
    api.report_tasks.allowlisted = False
    config = tap_config(api, start_date=FIRST_DAY.isoformat(), end_date="today")
    result = run_tap(config, streams=selection("ad_report_daily"))
    assert len(calls(api, CREATE)) == 1
    assert [r.code for r in calls(api, CREATE)] == [40118]
    records = ordered(result.records["ad_report_daily"], "ad_report_daily")
    latest = max(data.local_today(a, NOW) for a in data.advertiser_ids())
    assert records == ordered(truth(data, "ad_report_daily", latest), "ad_report_daily")
    assert "did not allowlist this app" in caplog.text


def kill_after_tasks_are_stored(tmp_path: Path, config: dict[str, Any], streams) -> dict:
    """Run the CLI; SIGKILL it at the first STATE that holds task ids; that STATE."""
    (tmp_path / "config.json").write_text(json.dumps(config))
    (tmp_path / "catalog.json").write_text(json.dumps(catalog_for(config, streams)))
    command = cli_command(
        "--config", str(tmp_path / "config.json"),
        "--catalog", str(tmp_path / "catalog.json"),
        now=NOW,
    )  # fmt: skip
    with subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
    ) as process:
        assert process.stdout is not None
        for line in process.stdout:
            message = json.loads(line)
            if message["type"] == "STATE" and "report_tasks" in json.dumps(message["value"]):
                os.kill(process.pid, signal.SIGKILL)
                process.wait(timeout=30)
                return message["value"]
    raise AssertionError("the run stored no task")


@pytest.mark.usefixtures("frozen_now")
def test_a_killed_run_resumes_with_its_tasks(api, data, tmp_path) -> None:
    api.report_tasks.queue_seconds = 1.0  # the tasks are still queued when the run is killed
    config = tap_config(
        api, start_date=START.isoformat(), end_date=END.isoformat(), report_mode="async"
    )
    streams = selection("ad_report_daily")
    state = kill_after_tasks_are_stored(tmp_path, config, streams)
    stored = state["bookmarks"]["ad_report_daily"]["report_tasks"]
    assert set(stored) == set(data.advertiser_ids())
    created = task_ids(api, CHECK) | {t.task_id for t in api.report_tasks.tasks.values()}
    assert {entry["task_id"] for entry in stored.values()} <= created
    api.log.clear()
    api.report_tasks.queue_seconds = 0.05
    result = run_tap(config, streams=streams, state=state)
    assert not calls(api, CREATE)
    assert task_ids(api, DOWNLOAD) == {entry["task_id"] for entry in stored.values()}
    records = ordered(result.records["ad_report_daily"], "ad_report_daily")
    assert records == ordered(truth(data, "ad_report_daily", END, START), "ad_report_daily")
    assert "report_tasks" not in json.dumps(result.state)
    assert api.report_tasks.refusals == []


@pytest.mark.usefixtures("frozen_now")
def test_tasks_the_run_no_longer_needs_are_canceled(api, data, tmp_path) -> None:
    """A killed run's tasks for another metric selection are superseded: canceled."""
    api.report_tasks.queue_seconds = 30.0
    config = tap_config(
        api, start_date=START.isoformat(), end_date=END.isoformat(), report_mode="async"
    )
    state = kill_after_tasks_are_stored(tmp_path, config, selection("ad_report_daily"))
    old = {e["task_id"] for e in state["bookmarks"]["ad_report_daily"]["report_tasks"].values()}
    api.report_tasks.queue_seconds = 0.05  # for the tasks created from now on
    # TikTok's 1 QPS for task creation is per app: a run started within the second of the
    # killed run's last creation could meet a refusal (40016) the tap then retries. The
    # next run here starts after that second, as an hourly one would.
    wait_out_the_creation_second(api)
    fewer = {"ad_report_daily": [*REPORTS["ad_report_daily"].key_properties, "spend"]}
    run_tap(config, streams=fewer, state=state)
    assert {task.task_id for task in api.report_tasks.canceled()} == old
    assert task_ids(api, CANCEL) == old
    assert len(calls(api, CREATE)) == 2 * len(data.advertiser_ids())
    assert api.report_tasks.refusals == []


@pytest.mark.usefixtures("frozen_now")
def test_a_run_in_sync_mode_cancels_the_tasks_an_async_run_left(api, data, tmp_path) -> None:
    api.report_tasks.queue_seconds = 30.0
    config = tap_config(
        api, start_date=START.isoformat(), end_date=END.isoformat(), report_mode="async"
    )
    state = kill_after_tasks_are_stored(tmp_path, config, selection("ad_report_daily"))
    old = {e["task_id"] for e in state["bookmarks"]["ad_report_daily"]["report_tasks"].values()}
    result = run_tap(
        {**config, "report_mode": "sync"}, streams=selection("ad_report_daily"), state=state
    )
    assert task_ids(api, CANCEL) == old
    assert "report_tasks" not in json.dumps(result.state)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    """One clock for the tap and the fake API, at NOW until the test moves it."""
    shared = Clock(NOW)
    monkeypatch.setattr(dates, "utc_now", shared)
    return shared


@pytest.fixture
def moving_api(data: FakeData, clock: Clock) -> Iterator[FakeTikTokApi]:
    with FakeTikTokApi(data, clock=clock) as server:
        yield server


@pytest.mark.parametrize(("later", "reused"), [(dt.timedelta(hours=1), True), (DAY, False)])
def test_a_killed_runs_tasks_are_reused_on_their_local_day_only(
    moving_api, data, clock, tmp_path, *, later: dt.timedelta, reused: bool
) -> None:
    """A task's file holds the data of its creation and the bookmark moves past its range:
    a run an hour after the killed one reuses its tasks, a run the next day makes new ones
    (else the days of the task's range before the next runs' re-read would keep the late
    conversions of the killed run's day out)."""
    api = moving_api
    api.report_tasks.queue_seconds = 1.0  # the tasks are still queued when the run is killed
    config = tap_config(api, start_date=FIRST_DAY.isoformat(), end_date="today")  # auto
    streams = selection("ad_report_daily")
    state = kill_after_tasks_are_stored(tmp_path, config, streams)
    stored = {e["task_id"] for e in state["bookmarks"]["ad_report_daily"]["report_tasks"].values()}
    api.report_tasks.queue_seconds = 0.05
    wait_out_the_creation_second(api)
    api.log.clear()
    clock.now = NOW + later
    result = run_tap(config, streams=streams, state=state)
    assert len(calls(api, CREATE)) == (0 if reused else len(data.advertiser_ids()))
    assert (task_ids(api, DOWNLOAD) == stored) is reused
    latest = max(data.local_today(a, clock.now) for a in data.advertiser_ids())
    expected = expected_report_records(
        data, "ad_report_daily", AD_METRICS, start=FIRST_DAY, end=latest, now=clock.now
    )
    records = ordered(result.records["ad_report_daily"], "ad_report_daily")
    assert records == ordered(expected, "ad_report_daily")
    assert api.report_tasks.refusals == []


@pytest.mark.parametrize(
    ("later", "final_day"),
    [
        (10 * DAY, dt.date(2026, 11, 25)),  # the reviewer's case
        # The same local day in both zones, but one more day final in each since the kill.
        (dt.timedelta(hours=16), dt.date(2026, 11, 19)),
    ],
)
def test_a_task_older_than_the_last_final_day_is_not_reused(
    moving_api, data, clock, tmp_path, *, later: dt.timedelta, final_day: dt.date
) -> None:
    """Audience by age and gender (final 16 h after a day ends) in async mode, the run killed
    once its tasks were stored; the next run `later`, another an hour after that. The stored
    tasks hold days that were not final when they were made: reused 10 days later, their days
    were bookmarked as final and never read again. Merged like a target's upserts, the two
    runs give the truth of every day final by then (in the fake, 10 h after its end)."""
    api, stream = moving_api, "ad_audience_age_gender_daily"
    keys = REPORTS[stream].key_properties
    streams, metrics = {stream: [*keys, "spend", "impressions"]}, ["spend", "impressions"]
    api.report_tasks.queue_seconds = 1.0
    config = tap_config(api, start_date="2026-11-01", end_date="today", report_mode="async")
    state = kill_after_tasks_are_stored(tmp_path, config, streams)
    stored = {e["task_id"] for e in state["bookmarks"][stream]["report_tasks"].values()}
    api.report_tasks.queue_seconds = 0.05
    wait_out_the_creation_second(api)
    api.log.clear()
    clock.now = NOW + later
    second = run_tap(config, streams=streams, state=state)
    assert not task_ids(api, DOWNLOAD) & stored
    wait_out_the_creation_second(api)
    clock.now += dt.timedelta(hours=1)
    third = run_tap(config, streams=streams, state=second.state)
    merged = by_key(second.records[stream], keys) | by_key(third.records[stream], keys)
    expected = expected_report_records(
        data, stream, metrics, start=dt.date(2026, 11, 1), end=final_day, now=clock.now
    )
    day = keys.index("stat_time_day")
    wrong = {k[day] for k, v in by_key(expected, keys).items() if merged.get(k) != v}
    assert not wrong
    assert api.report_tasks.refusals == []


@pytest.mark.usefixtures("frozen_now")
@pytest.mark.parametrize("kept", ["entries", "whole"])
def test_report_tasks_of_a_hand_edited_state_that_are_no_tasks_are_ignored(
    api, data, caplog, kept: str
) -> None:
    """As TopView checks are: the run reads the ranges anew, with a warning for each entry."""
    first, second = data.advertiser_ids()
    partial = {"task_id": "1", "start_date": START.isoformat()}  # a task, not reused: superseded
    tasks = {first: "x", second: partial} if kept == "entries" else "x"
    state = {"bookmarks": {"ad_report_daily": {"report_tasks": tasks}}}
    config = tap_config(
        api, start_date=START.isoformat(), end_date=END.isoformat(), report_mode="async"
    )
    result = run_tap(config, streams=selection("ad_report_daily"), state=state)
    records = ordered(result.records["ad_report_daily"], "ad_report_daily")
    assert records == ordered(truth(data, "ad_report_daily", END, START), "ad_report_daily")
    assert len(calls(api, CREATE)) == len(data.advertiser_ids())
    if kept == "entries":
        assert f"report_tasks entry of advertiser {first} is 'x', not a task" in caplog.text
    assert "report_tasks" not in json.dumps(result.state)


def test_country_names_map_back_to_iso_codes() -> None:
    assert country_code("United States") == "US"
    assert country_code("united kingdom") == "GB"
    assert country_code("South Korea") == country_code("Korea, Republic of") == "KR"
    assert country_code("US") == "US"
    assert country_code("Atlantis") is None


def test_async_mode_refuses_include_deleted() -> None:
    errors = check_settings({"report_mode": "async", "include_deleted": True})
    assert any("`report_mode`" in e and "`include_deleted`" in e for e in errors)
    assert not check_settings({"report_mode": "auto", "include_deleted": True})


def csv_file(text: str) -> io.BytesIO:
    return io.BytesIO(text.encode())


def test_a_task_file_is_checked_whole_before_any_row_is_read() -> None:
    dimensions, metrics = ["ad_id", "stat_time_day", "country_code"], ["spend"]
    good = "ad_id,stat_time_day,country_code,spend\n1,2026-11-01 00:00:00,Japan,1.50\n"
    check_file(csv_file(good), dimensions, metrics)
    assert list(report_rows(csv_file(good), dimensions, metrics)) == [
        {
            "dimensions": {
                "ad_id": "1",
                "stat_time_day": "2026-11-01 00:00:00",
                "country_code": "JP",
            },
            "metrics": {"spend": "1.50"},
        }
    ]
    bad = {
        "translated titles": "AD ID,Stat Time Day,Country,Cost\n1,2026-11-01,Japan,1\n",
        "unknown country": good + "2,2026-11-01 00:00:00,Atlantis,1.00\n",
        "short line": good + "2,2026-11-01 00:00:00\n",
        "empty file": "",
    }
    for name, text in bad.items():
        with pytest.raises(ReportFileError, match=WORDS[name]):
            check_file(csv_file(text), dimensions, metrics)


WORDS = {
    "translated titles": "lacks the columns",
    "unknown country": "Atlantis",
    "short line": "fields",
    "empty file": "empty",
}


@pytest.mark.usefixtures("frozen_now")
def test_an_unanswered_task_creation_is_asked_again_and_counted_twice(api, data, caplog) -> None:
    """TikTok made the task but its answer never came: the creation is asked again, and the
    advertiser's count of 500 an hour (Doc 1740302766489602) holds both attempts."""
    api.faults.lose_answer_next(1, seconds=1.5, path=CREATE)
    config = tap_config(
        api,
        start_date=START.isoformat(),
        end_date=END.isoformat(),
        report_mode="async",
        request_timeout_seconds=1,
    )
    tap, writer = _tap(config, selection("ad_report_daily"), None)
    tap.sync_all()
    records = [m["record"] for m in writer.messages if m.get("type") == "RECORD"]
    expected = ordered(truth(data, "ad_report_daily", END, START), "ad_report_daily")
    assert ordered(records, "ad_report_daily") == expected
    assert api.faults.pending() == 0
    made = len(api.report_tasks.tasks)
    assert made == len(data.advertiser_ids()) + 1  # the unanswered attempt made one too
    assert tap.runtime.task_quota.created == made
    assert api.report_tasks.refusals == []
    assert not calls(api, SYNC_REPORT)
    assert "TikTok may have created it" in caplog.text


@pytest.mark.usefixtures("frozen_now")
def test_an_unanswered_creation_spends_the_hourly_limit_and_falls_back_to_sync(
    api, data, monkeypatch
) -> None:
    """With one creation an hour left, an unanswered attempt leaves none: the advertiser's
    range is read with sync requests, and TikTok never refuses a creation."""
    monkeypatch.setattr(task_quota, "TASKS_PER_ADVERTISER_PER_HOUR", 1)
    api.report_tasks.per_advertiser_per_hour = 1
    api.faults.lose_answer_next(1, seconds=1.5, path=CREATE)
    config = tap_config(
        api,
        start_date=START.isoformat(),
        end_date=END.isoformat(),
        report_mode="async",
        request_timeout_seconds=1,
    )
    result = run_tap(config, streams=selection("ad_report_daily"))
    records = ordered(result.records["ad_report_daily"], "ad_report_daily")
    assert records == ordered(truth(data, "ad_report_daily", END, START), "ad_report_daily")
    assert api.report_tasks.refusals == []
    assert len(calls(api, CREATE)) == len(data.advertiser_ids())
    first = data.advertiser_ids()[0]
    assert {r.params["advertiser_id"] for r in calls(api, SYNC_REPORT)} == {first}
