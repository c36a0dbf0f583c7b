"""GMV Max below the campaign: products of Product GMV Max, livestreams of LIVE GMV Max.

The expected records come from the fake's world and its own transcription of Doc
1824722485971009 (`tests/gmv_max_truth.py`), never from the tap's code.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any

import pytest

from tests.conftest import run_tap, tap_config
from tests.fake_api import FakeTikTokApi
from tests.gmv_max_truth import BREAKDOWN_STREAMS, breakdown_key, expected_breakdown

REPORT = "gmv_max/report/get/"
STREAMS: dict[str, list[str] | None] = dict.fromkeys(BREAKDOWN_STREAMS)
START, END = dt.date(2026, 11, 1), dt.date(2026, 11, 20)


def keyed(stream: str, records: list[dict[str, Any]]) -> dict[tuple, dict[str, Any]]:
    keys = [tuple(r[k] for k in breakdown_key(stream)) for r in records]
    assert not [k for k, n in Counter(keys).items() if n > 1], "duplicate keys in one run"
    return dict(zip(keys, records, strict=True))


@pytest.mark.parametrize("include_deleted", [False, True], ids=["undeleted", "include_deleted"])
def test_a_sync_equals_the_fakes_truth(
    fake_api: FakeTikTokApi, frozen_now: dt.datetime, include_deleted: bool
) -> None:
    start = dt.date(2026, 9, 1) if include_deleted else START  # deleted campaigns ran in Sep/Oct
    config = tap_config(fake_api, include_deleted=include_deleted, start_date=start.isoformat())
    result = run_tap(config, streams=STREAMS)
    for stream in BREAKDOWN_STREAMS:
        truth = expected_breakdown(
            fake_api.data, frozen_now, stream, start=start, end=END, deleted=include_deleted
        )
        assert truth
        assert keyed(stream, result.records[stream]) == truth


def test_two_runs_add_up_to_the_truth(fake_api: FakeTikTokApi, frozen_now: dt.datetime) -> None:
    first = run_tap(tap_config(fake_api, end_date="2026-11-10"), streams=STREAMS)
    config = tap_config(fake_api, attribution_window_days=2)
    second = run_tap(config, streams=STREAMS, state=first.state)
    for stream in BREAKDOWN_STREAMS:
        again = keyed(stream, second.records[stream])
        assert min(key[-1] for key in again) == "2026-11-08"  # two days of attribution
        merged = keyed(stream, first.records[stream]) | again
        assert merged == expected_breakdown(fake_api.data, frozen_now, stream, start=START, end=END)


def test_requests_name_the_campaigns_and_ask_for_the_selected_metrics(
    fake_api: FakeTikTokApi, frozen_now: dt.datetime
) -> None:
    streams: dict[str, list[str] | None] = {
        "gmv_max_product_report_daily": ["orders"],
        "gmv_max_live_report_daily": ["live_views", "cost"],
    }
    run_tap(tap_config(fake_api), streams=streams)
    sent = [r.params for r in fake_api.requests if r.path == REPORT]
    assert sent
    assert all(r.code == 0 for r in fake_api.requests if r.path == REPORT)
    by_dimension = {tuple(p["dimensions"]): p for p in sent}
    assert by_dimension[("campaign_id", "item_group_id", "stat_time_day")]["metrics"] == ["orders"]
    live = by_dimension[("campaign_id", "room_id", "stat_time_day")]
    assert live["metrics"] == ["cost", "live_views"]  # the catalog's order
    assert all(1 <= len(p["filtering"]["campaign_ids"]) <= 100 for p in sent)
