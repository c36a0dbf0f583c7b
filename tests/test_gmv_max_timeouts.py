"""GMV Max reports that TikTok times out on: read in halves, never repeated into its punishments.

Doc 1757262274182145: three timeouts of the same request within 10 minutes block it for 10
minutes, 10 timeouts of the app within 10 s lower its QPS. The fake applies these rules to
`gmv_max/report/get/` (inferred: the doc speaks of the Reporting API) with a query's cost of
campaigns x days (tests/fake_api/gmv_max.py). Expected records come from the fake's own world
(tests/gmv_max_truth.py).
"""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter

import pytest

from tap_tiktok_ads.query_size import TimeoutWatch
from tests.conftest import _tap, run_tap, run_until_failure, tap_config
from tests.fake_api import FakeTikTokApi
from tests.gmv_max_truth import by_key, expected_breakdown, expected_report
from tests.test_gmv_max_breakdowns import keyed

REPORT = "gmv_max/report/get/"
START, END = dt.date(2026, 11, 1), dt.date(2026, 11, 20)


def timed_out_requests(api: FakeTikTokApi) -> Counter[str]:
    """How often each GMV Max report request (path, parameters, page) timed out."""
    return Counter(
        json.dumps(record.params, sort_keys=True)
        for record in api.requests
        if record.path == REPORT and record.code == 51010
    )


def assert_no_punishment(api: FakeTikTokApi) -> None:
    assert api.punishments() == []
    timed_out = timed_out_requests(api)
    assert timed_out  # TikTok was slow indeed
    assert max(timed_out.values()) <= 2  # no request repeated into the block


def spans(api: FakeTikTokApi) -> list[tuple[str, str]]:
    return [
        (r.params["start_date"], r.params["end_date"]) for r in api.requests if r.path == REPORT
    ]


def test_timed_out_windows_are_halved_and_the_report_is_complete(
    fake_api: FakeTikTokApi, frozen_now: dt.datetime
) -> None:
    # One campaign of a type per store: 20 and 10 days time out, 5 do not.
    fake_api.timeouts.configure(timeout_cost=6)
    result = run_tap(tap_config(fake_api), streams={"gmv_max_report_daily": None})
    expected = expected_report(fake_api.data, frozen_now, START, END)
    assert expected
    assert by_key(result.records["gmv_max_report_daily"]) == expected
    assert_no_punishment(fake_api)
    sent = spans(fake_api)
    assert sent.count(("2026-11-01", "2026-11-20")) == 2  # once per advertiser
    assert ("2026-11-01", "2026-11-05") in sent
    # Later windows, the other campaign type and store start below the size that timed out.
    assert sent.count(("2026-11-01", "2026-11-10")) == 2
    # The last final day (inferred: GMV Max data as TikTok's real-time data): Nov 20 is not over.
    assert bookmarks(result.state, "gmv_max_report_daily") == {"2026-11-19"}


def bookmarks(state: dict, stream: str) -> set[str]:
    partitions = state["bookmarks"][stream]["partitions"]
    return {p["replication_key_value"] for p in partitions}


def test_breakdown_queries_are_halved_too(fake_api: FakeTikTokApi, frozen_now: dt.datetime) -> None:
    fake_api.timeouts.configure(timeout_cost=12)  # one campaign a batch: 20 days time out
    stream = "gmv_max_product_report_daily"
    result = run_tap(tap_config(fake_api), streams={stream: None})
    truth = expected_breakdown(fake_api.data, frozen_now, stream, start=START, end=END)
    assert truth
    assert keyed(stream, result.records[stream]) == truth
    assert_no_punishment(fake_api)


@pytest.mark.parametrize("fault", ["http-504", "read-timeout"])
def test_a_gateway_timeout_or_no_answer_splits_the_query(
    fake_api: FakeTikTokApi, frozen_now: dt.datetime, fault: str
) -> None:
    """HTTP 504 or no answer in time: TikTok's timeout seen from outside, split and counted."""
    if fault == "http-504":
        fake_api.faults.http_error_next(1, status=504, path=REPORT)
    else:
        fake_api.faults.hang_next(1, seconds=1.5, path=REPORT)
    config = tap_config(fake_api, request_timeout_seconds=1, max_concurrency=1)
    tap, writer = _tap(config, {"gmv_max_report_daily": None}, None)
    watch: TimeoutWatch = tap.runtime.timeout_watch
    tap.sync_all()
    records = [m["record"] for m in writer.messages if m.get("type") == "RECORD"]
    assert by_key(records) == expected_report(fake_api.data, frozen_now, START, END)
    assert fake_api.faults.pending() == 0
    assert watch.timeouts == 1  # counted toward the client's own slow-down
    sent = Counter(
        json.dumps(r.params, sort_keys=True) for r in fake_api.requests if r.path == REPORT
    )
    assert max(sent.values()) == 1  # the query that timed out was never sent again
    assert ("2026-11-01", "2026-11-10") in spans(fake_api)  # its halves were read instead


def test_a_day_that_keeps_timing_out_is_asked_twice_then_the_run_stops(
    fake_api: FakeTikTokApi, frozen_now: dt.datetime
) -> None:
    fake_api.timeouts.configure(timeout_cost=0)  # every query with a campaign times out
    config = tap_config(fake_api, start_date="2026-11-05", end_date="2026-11-05")
    _, error = run_until_failure(config, streams={"gmv_max_report_daily": None})
    assert "run the tap again later" in str(error).lower()
    assert_no_punishment(fake_api)
    assert max(timed_out_requests(fake_api).values()) == 2
