"""Every dated report reads a day again until its data is final, even with no attribution window.

TikTok's data latency table (Doc 1738864894606337): reach and frequency settle 16 h after the
day ends, ordinary metrics after 30 minutes and TikTok's daily fix at 12:00 UTC. A bookmark
past a day that is not final yet, with `attribution_window_days: 0`, would never read it again.
"""

from __future__ import annotations

import datetime as dt
import logging

import pytest

from tap_tiktok_ads import dates
from tests.conftest import run_tap, tap_config
from tests.fake_api import FakeData, FakeTikTokApi
from tests.truth import REPORTS

UTC = dt.timezone.utc
# Asia/Tokyo (UTC+9): Friday 2026-11-20 00:10 local, the first run after local midnight.
JUST_AFTER_MIDNIGHT = dt.datetime(2026, 11, 19, 15, 10, tzinfo=UTC)
# Monday 2026-11-23 00:10 local, the first run of a week.
WEEK_JUST_STARTED = dt.datetime(2026, 11, 22, 15, 10, tzinfo=UTC)
LATER = dt.timedelta(hours=17)  # 17:10 local: Nov 19's reach (16 h) is in, not its 12:00 UTC fix


class Clock:
    """A clock the test moves; the tap and the fake API both read it."""

    def __init__(self, now: dt.datetime) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now


def second_run_first_day(
    fake_data: FakeData,
    monkeypatch: pytest.MonkeyPatch,
    stream: str,
    metrics: list[str],
    first_run: dt.datetime,
) -> tuple[str, str]:
    """The Tokyo advertiser's bookmark after a first run, and the first day a later run asks."""
    tokyo = next(
        a for a in fake_data.advertiser_ids() if str(fake_data.timezone(a)) == "Asia/Tokyo"
    )
    clock = Clock(first_run)
    monkeypatch.setattr(dates, "utc_now", clock)
    with FakeTikTokApi(fake_data, clock=clock) as api:
        config = tap_config(api, advertiser_ids=[tokyo], start_date="2026-11-09", end_date="today")
        config["attribution_window_days"] = 0
        selection = {stream: [*REPORTS[stream].key_properties, *metrics]}
        first = run_tap(config, streams=selection)
        (partition,) = first.state["bookmarks"][stream]["partitions"]
        clock.now = first_run + LATER
        api.log.clear()
        run_tap(config, streams=selection, state=first.state)
        starts = [r.params["start_date"] for r in api.requests if "start_date" in r.params]
    return partition["replication_key_value"], min(starts)


@pytest.mark.parametrize(
    ("stream", "metrics", "bookmark"),
    [
        ("ad_report_daily", ["spend", "reach"], "2026-11-18"),  # reach: 16 h
        ("ad_report_daily", ["spend"], "2026-11-18"),  # Nov 19 waits for the fix on Nov 20
        ("campaign_report_hourly", ["spend", "reach"], "2026-11-18T23:00:00+09:00"),
    ],
)
def test_a_day_read_before_it_is_final_is_read_again_with_no_attribution_window(
    fake_data: FakeData,
    monkeypatch: pytest.MonkeyPatch,
    stream: str,
    metrics: list[str],
    bookmark: str,
) -> None:
    """Read first at 00:10 local, Nov 19 is not final: the bookmark stays before it."""
    written, first_day = second_run_first_day(
        fake_data, monkeypatch, stream, metrics, JUST_AFTER_MIDNIGHT
    )
    assert written == bookmark
    assert first_day <= "2026-11-19"


def test_a_period_whose_last_day_is_not_final_is_read_again(
    fake_data: FakeData, monkeypatch: pytest.MonkeyPatch
) -> None:
    """At the start of a week, the bookmark stays at the previous week until Sunday is final."""
    written, first_day = second_run_first_day(
        fake_data, monkeypatch, "campaign_report_weekly", ["spend", "reach"], WEEK_JUST_STARTED
    )
    assert written == "2026-11-16"
    assert first_day == "2026-11-16"


def test_a_bookmark_an_older_version_set_past_the_last_final_day_is_read_from_that_day(
    fake_data: FakeData, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """Before bookmarks stopped at the last final day, a run at 00:10 on Nov 20 left
    `2026-11-20`; a bookmark never moves back, so the next run reads from the last final day."""
    tokyo = next(
        a for a in fake_data.advertiser_ids() if str(fake_data.timezone(a)) == "Asia/Tokyo"
    )
    clock = Clock(JUST_AFTER_MIDNIGHT + LATER + dt.timedelta(days=1))  # Nov 21, 17:10 local
    monkeypatch.setattr(dates, "utc_now", clock)
    stream = "ad_report_daily"
    partition = {
        "context": {"advertiser_id": tokyo},
        "replication_key": "stat_time_day",
        "replication_key_value": "2026-11-20",
    }
    state = {"bookmarks": {stream: {"partitions": [partition]}}}
    with FakeTikTokApi(fake_data, clock=clock) as api:
        config = tap_config(api, advertiser_ids=[tokyo], start_date="2026-11-09", end_date="today")
        config["attribution_window_days"] = 0
        selection = {stream: [*REPORTS[stream].key_properties, "spend"]}
        with caplog.at_level(logging.INFO):
            run_tap(config, streams=selection, state=state)
        starts = [r.params["start_date"] for r in api.requests if "start_date" in r.params]
    assert min(starts) <= "2026-11-19"
    # The log names the bookmark the read is based on, not the state's.
    assert any(
        "(bookmark 2026-11-19 less attribution_window_days 0; the state's 2026-11-20" in m
        for m in caplog.messages
    )


# Friday 2026-11-27 17:10 in Tokyo: a week after an older version's run at 00:10 on Nov 20,
# which bookmarked Nov 20 (Nov 19's reach, 16 h, was not in yet). Every day to Nov 26 is final.
WEEK_LATER = JUST_AFTER_MIDNIGHT + dt.timedelta(days=7) + LATER


def run_from(
    fake_data: FakeData,
    monkeypatch: pytest.MonkeyPatch,
    stream: str,
    partition: dict[str, str],
    *,
    attribution_window_days: int = 0,
    at: dt.datetime = WEEK_LATER,
) -> tuple[str, dict[str, str]]:
    """The first day a run from this Tokyo partition state asks, and the partition it writes."""
    tokyo = next(
        a for a in fake_data.advertiser_ids() if str(fake_data.timezone(a)) == "Asia/Tokyo"
    )
    clock = Clock(at)
    monkeypatch.setattr(dates, "utc_now", clock)
    state = {"bookmarks": {stream: {"partitions": [{"context": {"advertiser_id": tokyo}}]}}}
    state["bookmarks"][stream]["partitions"][0] |= partition
    with FakeTikTokApi(fake_data, clock=clock) as api:
        config = tap_config(api, advertiser_ids=[tokyo], start_date="today-60", end_date="today")
        config["attribution_window_days"] = attribution_window_days
        selection = {stream: [*REPORTS[stream].key_properties, "spend", "reach"]}
        run = run_tap(config, streams=selection, state=state)
        starts = [r.params["start_date"] for r in api.requests if "start_date" in r.params]
    (written,) = run.state["bookmarks"][stream]["partitions"]
    return min(starts), written


def older_versions(bookmark: str, key: str = "stat_time_day") -> dict[str, str]:
    """A partition an older version wrote: the bookmark, and no mark that it was final."""
    return {"replication_key": key, "replication_key_value": bookmark}


def marked_final(bookmark: str) -> dict[str, str]:
    """A partition this version wrote: the bookmark, marked as never past the last final day."""
    return {**older_versions(bookmark), "final_bookmark": bookmark}


@pytest.mark.parametrize(
    ("stream", "partition", "first_day"),
    [
        ("ad_report_daily", older_versions("2026-11-20"), "2026-11-19"),
        (
            "campaign_report_hourly",
            older_versions("2026-11-20T23:00:00+09:00", "stat_time_hour"),
            "2026-11-19",
        ),
        # A period's start: the period before it is read again.
        ("campaign_report_weekly", older_versions("2026-11-16", "period_start"), "2026-11-09"),
        ("campaign_report_monthly", older_versions("2026-11-01", "period_start"), "2026-10-01"),
    ],
)
def test_an_older_versions_bookmark_is_read_again_from_the_day_before_it_once(
    fake_data: FakeData,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    *,
    stream: str,
    partition: dict[str, str],
    first_day: str,
) -> None:
    """Written at 00:10 on its own day at the earliest, the day before it may not have been
    final: read again a week later, where `attribution_window_days: 0` alone reads from it."""
    with caplog.at_level(logging.INFO):
        asked, written = run_from(fake_data, monkeypatch, stream, partition)
    assert asked == first_day
    assert written["final_bookmark"] == written["replication_key_value"]
    (line,) = (
        m for m in caplog.messages if m.startswith(f"Starting incremental sync of '{stream}'")
    )
    assert line.endswith(
        f"(bookmark {dates.day_of(partition['replication_key_value']) - dt.timedelta(days=1)} "
        f"less attribution_window_days 0; the state's {partition['replication_key_value']} may "
        "be past data read before it was final)"
    )
    # Once: the next run reads from the bookmark it wrote.
    again, _ = run_from(fake_data, monkeypatch, stream, written, at=WEEK_LATER + LATER)
    assert again == written["replication_key_value"][:10]


@pytest.mark.parametrize(
    ("partition", "attribution_window_days", "first_day"),
    [
        (marked_final("2026-11-20"), 0, "2026-11-20"),  # this version's: final when written
        (older_versions("2026-11-20"), 7, "2026-11-13"),  # the window covers Nov 19 already
        (marked_final("2026-11-20"), 7, "2026-11-13"),
    ],
)
def test_a_bookmark_marked_final_or_one_the_attribution_window_covers_reads_as_before(
    fake_data: FakeData,
    monkeypatch: pytest.MonkeyPatch,
    partition: dict[str, str],
    attribution_window_days: int,
    first_day: str,
) -> None:
    """Read from the bookmark less the window, and marked again; the state then keeps it."""
    asked, written = run_from(
        fake_data,
        monkeypatch,
        "ad_report_daily",
        partition,
        attribution_window_days=attribution_window_days,
    )
    assert asked == first_day
    assert written["replication_key_value"] == "2026-11-26"
    assert written["final_bookmark"] == "2026-11-26"
