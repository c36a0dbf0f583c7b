"""Audience windows sized from the IDs each account returns (Doc 1757262274182145, Scenario 4:
at most 2,000 IDs over 7 days, 5,000 over 3), for every account; every STATE stays a resume
point while windows change size. The guidance is shrunk so that a small fake account needs it.
"""

from __future__ import annotations

import datetime as dt
import itertools

import pytest

from tap_tiktok_ads import dates, query_size
from tap_tiktok_ads.audience_windows import days_for, sized_windows
from tests.conftest import run_tap, tap_config
from tests.fake_api import DataSpec, FakeData, FakeTikTokApi
from tests.reliability import resume_points
from tests.truth import REPORTS, by_key, expected_report_records

FINAL_NOW = dt.datetime(2026, 10, 31, 12, tzinfo=dt.timezone.utc)  # audience data final
START, END = dt.date(2026, 10, 1), dt.date(2026, 10, 12)
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


def test_window_days_follow_the_ids_returned_within_tiktoks_guidance() -> None:
    assert days_for(0, 7, 7) == 7
    assert days_for(2_000, 7, 7) == 7
    assert days_for(2_001, 7, 7) == 3  # the same IDs over 3 days are within 5,000
    assert days_for(5_001, 7, 7) == 1
    assert days_for(850, 3, 7) == 7  # 850 x 7 / 3 = 1,984 predicted over 7 days
    assert days_for(900, 3, 7) == 3  # 2,100 predicted over 7 days: too many
    assert days_for(100, 1, 5) == 5  # never longer than the stream's own window


def test_windows_change_size_between_windows_and_cover_every_day_once() -> None:
    sizes = iter([7, 3, 3, 1])
    windows = list(sized_windows(START, END, lambda: next(sizes)))
    assert [w.days for w in windows] == [7, 3, 2]
    assert windows[0].start == START
    assert windows[-1].end == END
    for before, after in itertools.pairwise(windows):
        assert after.start == before.end + dt.timedelta(days=1)


@pytest.fixture
def shrunk_guidance(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(query_size, "AUDIENCE_GUIDANCE", ((5, 7), (20, 3)))
    monkeypatch.setattr(dates, "utc_now", lambda: FINAL_NOW)


def streams() -> dict:
    return {STREAM: ["advertiser_id", *REPORTS[STREAM].dimensions, *METRICS]}


@pytest.mark.usefixtures("shrunk_guidance")
def test_an_account_under_the_cap_gets_windows_sized_from_what_it_returned() -> None:
    """The first 7-day window returns the 12 ad groups, over the (shrunk) 5 IDs per 7
    days: the following windows are of 3 days; the data is complete, each STATE a resume
    point (what was emitted before it plus a run resumed from it is the truth)."""
    data = FakeData(SPEC)
    with FakeTikTokApi(data, clock=lambda: FINAL_NOW) as api:
        config = tap_config(
            api, start_date=START.isoformat(), end_date=END.isoformat(), max_concurrency=1
        )
        full = run_tap(config, streams=streams())
        spans = [
            (
                dt.date.fromisoformat(r.params["end_date"])
                - dt.date.fromisoformat(r.params["start_date"])
            ).days
            + 1
            for r in api.requests
            if r.path == REPORT and r.params.get("page") in {None, "1"}
        ]
        assert spans == [7, 3, 2]
        keys = REPORTS[STREAM].key_properties
        truth = by_key(
            expected_report_records(data, STREAM, METRICS, start=START, end=END, now=FINAL_NOW),
            keys,
        )
        assert by_key(full.records[STREAM], keys) == truth
        assert len(full.records[STREAM]) == len(truth) > 0
        assert resume_points(full, config, streams(), STREAM, truth) >= 2
