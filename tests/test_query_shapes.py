"""TikTok blocks a kind of report query whose daily timeout rate passes 80 % (Doc
1757262274182145, Scenario 4; the fake's rule in tests/fake_api/timeouts.py): the tap stops
sending a kind of query that keeps timing out and reads its windows smaller instead.
"""

from __future__ import annotations

import datetime as dt
import json
import logging

import requests

from tap_tiktok_ads import dates
from tap_tiktok_ads.query_shapes import AVOID_AFTER_TIMEOUTS, ShapeWatch, query_shape, shape_of_url
from tests.conftest import run_tap, tap_config
from tests.fake_api import DataSpec, FakeData, FakeTikTokApi
from tests.truth import REPORTS, by_key, expected_report_records

NOW = dt.datetime(2026, 10, 20, 15, 30, tzinfo=dt.timezone.utc)
START, END = dt.date(2026, 10, 1), dt.date(2026, 10, 12)
# Six advertisers of 2 x 2 x 5 = 20 ads: each one's 12-day window of ads is too heavy.
SPEC = DataSpec(
    advertisers=6,
    campaigns_per_advertiser=2,
    adgroups_per_campaign=2,
    ads_per_adgroup=5,
    first_day=dt.date(2026, 9, 1),
    last_day=dt.date(2026, 10, 31),
)
REPORT = "report/integrated/get/"
STREAM = "ad_report_daily"
METRICS = ["spend", "impressions", "clicks"]


def test_a_shape_is_what_a_query_asks_for_not_whose_data() -> None:
    params = {
        "advertiser_id": "1",
        "report_type": "BASIC",
        "data_level": "AUCTION_AD",
        "dimensions": ["stat_time_day", "ad_id"],
        "metrics": ["spend"],
        "start_date": "2026-10-01",
        "end_date": "2026-10-12",
    }
    other_days = {**params, "start_date": "2026-09-01", "end_date": "2026-09-12"}
    other_account = {**params, "advertiser_id": "2", "metrics": ["clicks"]}
    assert query_shape(params) == query_shape(other_days) == query_shape(other_account)
    assert query_shape(params) != query_shape({**params, "end_date": "2026-10-06"})
    batch = {"field_name": "ad_ids", "filter_type": "IN", "filter_value": '["1"]'}
    assert query_shape(params) != query_shape({**params, "filtering": [batch]})
    sent = requests.Request(
        "GET",
        "http://x/report/integrated/get/",
        params={k: json.dumps(v) if isinstance(v, list) else v for k, v in params.items()},
    ).prepare()
    assert shape_of_url(sent.url or "") == query_shape(params)


def test_a_shape_is_avoided_after_repeated_timeouts_on_most_of_its_calls() -> None:
    today = [dt.date(2026, 10, 20)]
    watch = ShapeWatch(lambda: today[0])
    for _ in range(AVOID_AFTER_TIMEOUTS - 1):
        watch.answered("s", timed_out=True)
    assert watch.avoid("s") is None  # one or two slow accounts change nothing
    watch.answered("s", timed_out=True)
    assert "timed out today" in (watch.avoid("s") or "")
    for _ in range(AVOID_AFTER_TIMEOUTS * 2):
        watch.answered("t", timed_out=False)
    for _ in range(AVOID_AFTER_TIMEOUTS):
        watch.answered("t", timed_out=True)
    assert watch.avoid("t") is None  # a third of its calls: far below TikTok's 80 %
    today[0] += dt.timedelta(days=1)
    assert watch.avoid("s") is None  # TikTok's rate is per day


def test_the_tap_never_drives_a_shape_into_tiktoks_daily_block(monkeypatch, caplog) -> None:
    """Every advertiser's 12-day window times out. The tap sends that shape until it
    has timed out 3 times, then halves the others' windows before sending them: the fake
    (blocking a shape from 4 calls on, over 80 % timeouts) blocks nothing."""
    monkeypatch.setattr(dates, "utc_now", lambda: NOW)
    data = FakeData(SPEC)
    definition = REPORTS[STREAM]
    with FakeTikTokApi(data, clock=lambda: NOW) as api:
        api.timeouts.configure(timeout_cost=80, shape_min_requests=AVOID_AFTER_TIMEOUTS + 1)
        config = tap_config(
            api,
            start_date=START.isoformat(),
            end_date=END.isoformat(),
            page_size=100,
            max_concurrency=1,
        )
        with caplog.at_level(logging.INFO):
            result = run_tap(
                config, streams={STREAM: ["advertiser_id", *definition.dimensions, *METRICS]}
            )
        assert api.punishments() == []
        whole = [
            r
            for r in api.requests
            if r.path == REPORT
            and (r.params["start_date"], r.params["end_date"])
            == (START.isoformat(), END.isoformat())
        ]
    assert len(whole) == AVOID_AFTER_TIMEOUTS < len(data.advertiser_ids())
    assert all(r.code == 51010 for r in whole)
    assert any("queries of this kind timed out today" in m for m in caplog.messages)
    expected = expected_report_records(data, STREAM, METRICS, start=START, end=END, now=NOW)
    keys = definition.key_properties
    assert len(result.records[STREAM]) == len(expected) > 0
    assert by_key(result.records[STREAM], keys) == by_key(expected, keys)
