"""Every dated report reads a day again until its data is final, even with no attribution window.

TikTok's data latency table (Doc 1738864894606337): reach and frequency settle 16 h after the
day ends, ordinary metrics after 30 minutes and TikTok's daily fix at 12:00 UTC. A bookmark
past a day that is not final yet, with `attribution_window_days: 0`, would never read it again.
"""

from __future__ import annotations

import datetime as dt

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
    fake_data: FakeData, monkeypatch: pytest.MonkeyPatch
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
        run_tap(config, streams=selection, state=state)
        starts = [r.params["start_date"] for r in api.requests if "start_date" in r.params]
    assert min(starts) <= "2026-11-19"
