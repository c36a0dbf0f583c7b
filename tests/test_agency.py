"""An agency: 120 small advertisers in one run (issue 13; the benchmark's `agency` has 200).

At that scale the run must still emit exactly the fake's truth with the fewest requests
(`advertiser/info/` takes at most 100 advertisers per call, reference 3.2; one report request
per advertiser and 30-day window when its rows fit one page), log each advertiser's start
once with its place in the run, and keep an advertiser TikTok refuses from hiding the others.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import math
import re
from typing import TYPE_CHECKING, Any

import pytest

from tests.conftest import NOW, run_tap, run_until_failure, tap_config
from tests.fake_api import DataSpec, FakeData, FakeTikTokApi
from tests.truth import REPORTS, expected_report_records

if TYPE_CHECKING:
    from collections.abc import Iterator

ADVERTISERS = 120
INFO, REPORT = "advertiser/info/", "report/integrated/get/"
STREAM = "ad_report_daily"
METRICS = ["spend", "impressions", "clicks", "ctr"]
START, END = dt.date(2026, 11, 1), dt.date(2026, 11, 14)
LOOKBACK = dt.timedelta(days=7)  # attribution_window_days' default: read again from the bookmark


@pytest.fixture(scope="module")
def data() -> FakeData:
    """120 advertisers of one campaign, one ad group and two ads each."""
    return FakeData(
        DataSpec(
            advertisers=ADVERTISERS,
            campaigns_per_advertiser=1,
            adgroups_per_campaign=1,
            ads_per_adgroup=2,
            first_day=dt.date(2026, 10, 1),
            last_day=dt.date(2026, 11, 30),
        )
    )


@pytest.fixture
def api(data: FakeData) -> Iterator[FakeTikTokApi]:
    with FakeTikTokApi(data, clock=lambda: NOW) as server:
        yield server


def config(api: FakeTikTokApi) -> dict[str, Any]:
    return tap_config(
        api,
        start_date=START.isoformat(),
        end_date=END.isoformat(),
        report_mode="sync",
        progress_interval_seconds=0,
    )


def selection() -> dict[str, list[str]]:
    return {STREAM: [*REPORTS[STREAM].key_properties, *METRICS]}


def ordered(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    keys = REPORTS[STREAM].key_properties
    return sorted(records, key=lambda record: tuple(str(record[k]) for k in keys))


def info_batches(api: FakeTikTokApi) -> list[list[str]]:
    batches = []
    for request in api.requests:
        if request.path == INFO:
            ids = request.params["advertiser_ids"]
            batches.append(json.loads(ids) if isinstance(ids, str) else ids)
    return batches


@pytest.mark.usefixtures("frozen_now")
def test_an_agency_gets_every_row_with_the_fewest_requests(api, data, caplog) -> None:
    with caplog.at_level(logging.INFO):
        result = run_tap(config(api), streams=selection())
    truth = expected_report_records(data, STREAM, METRICS, start=START, end=END, now=NOW)
    records = ordered(result.records[STREAM])
    assert len(truth) > ADVERTISERS
    assert records == ordered(truth)
    # The fewest requests: advertiser/info/ per 100 advertisers, one page per advertiser.
    batches = info_batches(api)
    assert sorted(len(batch) for batch in batches) == [20, 100]
    assert sorted(ad for batch in batches for ad in batch) == data.advertiser_ids()
    minimum = math.ceil(ADVERTISERS / 100) + ADVERTISERS
    assert api.count(REPORT) == ADVERTISERS
    # A first run also asks each advertiser once whether it has TopView campaigns, whose
    # rows need a pass of their own (top_view.py); the state keeps the answers, so a run
    # later the same day (below) asks none.
    assert api.count("campaign/get/") == ADVERTISERS
    assert api.count() == minimum + ADVERTISERS
    # Every advertiser's start is logged once, with its place among the 120.
    starts = [
        m for m in caplog.messages if m.startswith(f"Starting incremental sync of '{STREAM}'")
    ]
    places = [re.search(r"\((\d+) of (\d+)\)", m) for m in starts]
    assert [(int(p[1]), int(p[2])) for p in places if p] == [
        (n, ADVERTISERS) for n in range(1, ADVERTISERS + 1)
    ]
    assert {
        advertiser_id for m in starts for advertiser_id in re.findall(r"advertiser (\d+)", m)
    } == set(data.advertiser_ids())

    api.log.clear()
    again = run_tap(config(api), streams=selection(), state=result.state)
    assert ordered(again.records[STREAM]) == ordered(
        expected_report_records(data, STREAM, METRICS, start=END - LOOKBACK, end=END, now=NOW)
    )
    assert api.count("campaign/get/") == 0
    assert api.count(REPORT) == ADVERTISERS
    assert api.count() == minimum


@pytest.mark.usefixtures("frozen_now")
def test_refused_advertisers_do_not_hide_the_other_118(api, data) -> None:
    refused = [data.advertiser_ids()[7], data.advertiser_ids()[111]]
    for advertiser_id in refused:
        api.faults.refuse_advertiser(advertiser_id, 40001, path=REPORT)
    failed, error = run_until_failure(config(api), streams=selection())
    others = [a for a in data.advertiser_ids() if a not in refused]
    truth = expected_report_records(
        data, STREAM, METRICS, start=START, end=END, advertiser_ids=others, now=NOW
    )
    assert ordered(failed.records[STREAM]) == ordered(truth)
    message = str(error)
    assert "TikTok refused access to 2 advertiser(s): " in message
    assert all(f"{advertiser_id} (TikTok error 40001" in message for advertiser_id in refused)
    assert not any(advertiser_id in message for advertiser_id in others)
    assert api.count(REPORT, code=40001) == len(refused)  # each asked once
    assert api.count(REPORT) == ADVERTISERS
