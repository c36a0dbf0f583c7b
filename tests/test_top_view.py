"""TopView report rows: only with the `buying_type` filter, read by the tap where they exist.

Doc 1740302848100353 (`service_type`): TopView report data needs the filter `buying_type`
`RESERVATION_TOP_VIEW`; the advertiser level has all ads (`data_level`). Expected rows come
from the fake's own truth (tests/truth.py), which asks for the TopView rows separately.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import logging
import time
from collections import Counter
from typing import Any

import pytest
import requests

from tap_tiktok_ads import dates
from tap_tiktok_ads.tap import TapTikTokAds
from tests.conftest import run_tap, run_until_failure, tap_config
from tests.fake_api import DataSpec, FakeData, FakeTikTokApi
from tests.fake_api.request import ApiError
from tests.truth import REPORTS, by_key, expected_report_records

NOW = dt.datetime(2026, 11, 21, 12, tzinfo=dt.timezone.utc)
START, END = dt.date(2026, 11, 10), dt.date(2026, 11, 20)
TOP_VIEW = "RESERVATION_TOP_VIEW"
# Advertiser 1: campaigns 1 (manual) and 2 (Promote); advertiser 2: 3 (TopView) and 4 (Smart+).
SPEC = DataSpec(
    advertisers=2, campaigns_per_advertiser=2, ads_per_adgroup=1, deleted_every=5, top_view=True
)
REPORT = "report/integrated/get/"


@pytest.fixture(scope="module")
def data() -> FakeData:
    return FakeData(SPEC)


@pytest.fixture
def api(monkeypatch: pytest.MonkeyPatch, data: FakeData):
    monkeypatch.setattr(dates, "utc_now", lambda: NOW)
    with FakeTikTokApi(data, clock=lambda: NOW) as server:
        yield server


def report(api: FakeTikTokApi, level: str, **extra: Any) -> dict[str, Any]:
    """One page of a daily BASIC report of the TopView advertiser, straight from the fake."""
    params = {
        "advertiser_id": api.data.advertiser_ids()[1],
        "report_type": "BASIC",
        "data_level": f"AUCTION_{level}",
        "dimensions": json.dumps([f"{level.lower()}_id", "stat_time_day"]),
        "metrics": json.dumps(["spend"]),
        "start_date": START.isoformat(),
        "end_date": END.isoformat(),
        "page_size": 1000,
        **extra,
    }
    response = requests.get(
        f"{api.base_url}/{REPORT}", params=params, headers={"Access-Token": api.token}, timeout=10
    )
    return response.json()


def buying_type(values: list[str]) -> str:
    return json.dumps(
        [{"field_name": "buying_type", "filter_type": "IN", "filter_value": json.dumps(values)}]
    )


def test_fake_reports_top_view_only_when_asked(api: FakeTikTokApi, data: FakeData) -> None:
    kind = {ad.entity_id: ad.buying_type for ad in data.catalog.by_id.values()}
    default = report(api, "CAMPAIGN")["data"]["list"]
    only = report(api, "CAMPAIGN", filtering=buying_type([TOP_VIEW]))["data"]["list"]
    assert default
    assert only
    assert {kind[row["dimensions"]["campaign_id"]] for row in default} == {"AUCTION"}
    assert {kind[row["dimensions"]["campaign_id"]] for row in only} == {TOP_VIEW}
    # The advertiser level counts TopView spend without being asked.
    total = report(api, "ADVERTISER", dimensions=json.dumps(["advertiser_id"]))
    everything = sum(float(row["metrics"]["spend"]) for row in default + only)
    assert float(total["data"]["list"][0]["metrics"]["spend"]) == pytest.approx(everything)
    mixed = report(api, "CAMPAIGN", filtering=buying_type([TOP_VIEW, "AUCTION"]))
    assert mixed["code"] == 40002
    assert "cannot be combined" in mixed["message"]


@pytest.mark.parametrize("report_mode", ["sync", "async"])
def test_top_view_rows_arrive_with_one_campaign_check_per_advertiser(
    api: FakeTikTokApi, data: FakeData, report_mode: str
) -> None:
    streams = ("ad_report_daily", "campaign_report_daily")
    metrics = ["spend", "impressions"]
    config = tap_config(
        api, start_date=START.isoformat(), end_date=END.isoformat(), report_mode=report_mode
    )
    selection = {name: ["advertiser_id", *REPORTS[name].dimensions, *metrics] for name in streams}
    result = run_tap(config, streams=selection)

    for name in streams:
        expected = expected_report_records(data, name, metrics, start=START, end=END, now=NOW)
        keys = REPORTS[name].key_properties
        assert len(result.records[name]) == len(expected)
        assert by_key(result.records[name], keys) == by_key(expected, keys)
    top_view_ids = {e.entity_id for e in data.catalog.by_id.values() if e.buying_type == TOP_VIEW}
    assert top_view_ids & {r["ad_id"] for r in result.records["ad_report_daily"]}

    # One campaign/get/ per advertiser and run tells who has TopView campaigns; only that
    # advertiser's reports get the TopView pass.
    checks = [r for r in api.requests if r.path == "campaign/get/"]
    assert sorted(r.params["advertiser_id"] for r in checks) == data.advertiser_ids()
    asked = {
        r.params["advertiser_id"]
        for r in api.requests
        if r.path == REPORT and "buying_type" in json.dumps(r.params.get("filtering"))
    }
    assert asked == {data.advertiser_ids()[1]}


# A TopView campaign created between two runs (issue 15): the first run's check finds none,
# the campaign delivers from its creation day on; the run that reads its spend must find it
# before the window holding that spend is bookmarked past it.
CHECKED = dt.datetime(2026, 11, 18, 1, tzinfo=dt.timezone.utc)  # first run: no TopView yet
LATER_SAME_DAY = CHECKED + dt.timedelta(hours=2)
NEXT_DAY = CHECKED + dt.timedelta(days=1, hours=2)
STREAM = "ad_report_daily"


def run_at(
    monkeypatch: pytest.MonkeyPatch, data: FakeData, now: dt.datetime, state: dict | None
) -> tuple[Any, FakeTikTokApi]:
    """One incremental run (no end date) at `now` against `data`; the result and the fake."""
    monkeypatch.setattr(dates, "utc_now", lambda: now)
    with FakeTikTokApi(data, clock=lambda: now) as server:
        config = tap_config(server, start_date=START.isoformat(), report_mode="sync")
        del config["end_date"]
        selection = {STREAM: ["advertiser_id", *REPORTS[STREAM].dimensions, "spend"]}
        return run_tap(config, streams=selection, state=state), server


def top_view_truth(data: FakeData, advertiser_id: str, now: dt.datetime) -> dict[tuple, Any]:
    """The fake's TopView ad rows of one advertiser through its today at `now`, by key."""
    today = data.local_today(advertiser_id, now)
    rows = data.report_rows(
        advertiser_id,
        "BASIC",
        "AD",
        ["ad_id", "stat_time_day"],
        ["spend"],
        start=START,
        end=today,
        now=now,
        buying_types=(TOP_VIEW,),
    )
    return {
        (row["dimensions"]["ad_id"], row["dimensions"]["stat_time_day"][:10]): float(
            row["metrics"]["spend"]
        )
        for row in rows
        if float(row["metrics"]["spend"])
    }


def emitted(result: Any, advertiser_id: str, ids: set[str]) -> dict[tuple, Any]:
    return {
        (r["ad_id"], str(r["stat_time_day"])[:10]): r["spend"]
        for r in result.records[STREAM]
        if r["advertiser_id"] == advertiser_id and r["ad_id"] in ids and r["spend"]
    }


def test_a_top_view_campaign_created_since_the_last_check_is_never_missed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    before = FakeData(dataclasses.replace(SPEC, top_view=False))
    after = FakeData(SPEC)
    advertiser_id = after.advertiser_ids()[1]
    campaign = next(
        e.entity_id
        for e in after.catalog.by_id.values()
        if e.buying_type == TOP_VIEW and e.level.value == "CAMPAIGN"
    )
    after.launch(campaign, CHECKED + dt.timedelta(minutes=30))  # just after the first check
    top_view_ads = {
        e.entity_id
        for e in after.catalog.by_id.values()
        if e.lineage.get("campaign_id") == campaign
    }
    launch_day = after.local_today(advertiser_id, CHECKED)

    # First run: one check per advertiser, none has TopView campaigns yet.
    first, api = run_at(monkeypatch, before, CHECKED, None)
    assert api.count("campaign/get/") == 2

    # Later the same local day: the check of today still holds (no request). The campaign's
    # rows of today are not read yet, and the bookmark does not pass today: a bookmark on a
    # day reads that day again (days_to_read).
    second, api = run_at(monkeypatch, after, LATER_SAME_DAY, first.state)
    assert api.count("campaign/get/") == 0
    assert not emitted(second, advertiser_id, top_view_ads)
    partitions = second.state["bookmarks"][STREAM]["partitions"]
    bookmark = next(p for p in partitions if p["context"]["advertiser_id"] == advertiser_id)
    assert bookmark["replication_key_value"][:10] <= launch_day.isoformat()

    # The next day the check is a day old: asked again, the campaign is found and its spend
    # of every day since its launch arrives, the launch day's included.
    third, api = run_at(monkeypatch, after, NEXT_DAY, second.state)
    assert api.count("campaign/get/") == 2
    truth = top_view_truth(after, advertiser_id, NEXT_DAY)
    assert {day for _, day in truth} >= {launch_day.isoformat()}
    assert emitted(third, advertiser_id, top_view_ads) == pytest.approx(truth)

    # Found TopView campaigns need no further check: every window reads its TopView pass.
    fourth, api = run_at(monkeypatch, after, NEXT_DAY + dt.timedelta(days=1), third.state)
    checked = {r.params["advertiser_id"] for r in api.requests if r.path == "campaign/get/"}
    assert checked == {after.advertiser_ids()[0]}
    assert emitted(fourth, advertiser_id, top_view_ads)


def test_a_refused_check_reads_the_top_view_pass_instead(
    api: FakeTikTokApi, data: FakeData, caplog: pytest.LogCaptureFixture
) -> None:
    """A token without the scope of campaign/get/ still gets every TopView row."""
    refused = data.advertiser_ids()[1]  # the one with a TopView campaign
    api.faults.refuse_advertiser(refused, 40001, path="campaign/get/")
    config = tap_config(api, start_date=START.isoformat(), end_date=END.isoformat())
    metrics = ["spend"]
    selection = {STREAM: ["advertiser_id", *REPORTS[STREAM].dimensions, *metrics]}
    result = run_tap(config, streams=selection)

    expected = expected_report_records(data, STREAM, metrics, start=START, end=END, now=NOW)
    keys = REPORTS[STREAM].key_properties
    assert by_key(result.records[STREAM], keys) == by_key(expected, keys)
    assert api.count("campaign/get/", code=40001) == 1  # asked once, not once per window
    assert any(f"Advertiser {refused}: TikTok refused" in m for m in caplog.messages)
    # Nothing is kept of a refused check: the next run asks again.
    assert set(result.state["bookmarks"][STREAM]["top_view_checks"]) == {data.advertiser_ids()[0]}


def test_refused_checks_are_logged_once_per_run(
    api: FakeTikTokApi, data: FakeData, caplog: pytest.LogCaptureFixture
) -> None:
    """An agency token without the scope would otherwise log one warning per advertiser."""
    caplog.set_level(logging.INFO)
    for advertiser_id in data.advertiser_ids():
        api.faults.refuse_advertiser(advertiser_id, 40001, path="campaign/get/")
    config = tap_config(api, start_date=START.isoformat(), end_date=END.isoformat())
    selection = {STREAM: ["advertiser_id", *REPORTS[STREAM].dimensions, "spend"]}
    result = run_tap(config, streams=selection)

    expected = expected_report_records(data, STREAM, ["spend"], start=START, end=END, now=NOW)
    keys = REPORTS[STREAM].key_properties
    assert by_key(result.records[STREAM], keys) == by_key(expected, keys)
    assert api.count("campaign/get/", code=40001) == len(data.advertiser_ids())
    warnings = [m for m in caplog.messages if "TikTok refused /campaign/get/" in m]
    assert len(warnings) == 1, warnings
    # The run's last lines name them all.
    summary = [m for m in caplog.messages if m.startswith("TopView checks refused")]
    assert len(summary) == 1
    assert all(advertiser_id in summary[0] for advertiser_id in data.advertiser_ids())


def test_a_later_run_reads_ahead_while_the_advertisers_are_looked_up(
    api: FakeTikTokApi, data: FakeData
) -> None:
    """With TopView found in the state, the reads that need no time zone start before the
    lookup answers (zone_free.py); their TopView passes wait for it: they need the plan."""
    config = tap_config(api, start_date=START.isoformat(), end_date=END.isoformat())
    selection = {STREAM: ["advertiser_id", *REPORTS[STREAM].dimensions, "spend"]}
    first = run_tap(config, streams=selection)
    state = json.loads(json.dumps(first.state))
    assert state["bookmarks"][STREAM]["top_view_checks"][data.advertiser_ids()[1]]["found"]
    for partition in state["bookmarks"][STREAM]["partitions"]:  # read the same days again
        partition.pop("replication_key_value", None)
        partition.pop("replication_key", None)
    api.latency_seconds = 0.3  # advertiser/info/ answers after the first report requests left

    second = run_tap(config, streams=selection, state=state)

    keys = REPORTS[STREAM].key_properties
    assert by_key(second.records[STREAM], keys) == by_key(first.records[STREAM], keys)
    assert api.count("campaign/get/") == 2  # the first run's two: the state's checks hold


@pytest.mark.parametrize("kept", [[], "yes", 3])
def test_a_state_whose_checks_are_not_this_taps_is_replaced(
    api: FakeTikTokApi, data: FakeData, kept: object
) -> None:
    """A hand-edited `top_view_checks` is asked again and written anew (an odd `over_ad_cap`
    beside it stops nothing)."""
    config = tap_config(api, start_date=START.isoformat(), end_date=END.isoformat())
    selection = {STREAM: ["advertiser_id", *REPORTS[STREAM].dimensions, "spend"]}
    state = {"bookmarks": {STREAM: {"top_view_checks": kept, "over_ad_cap": {"no": kept}}}}

    result = run_tap(config, streams=selection, state=state)

    checks = result.state["bookmarks"][STREAM]["top_view_checks"]
    assert set(checks) == set(data.advertiser_ids())
    assert api.count("campaign/get/") == 2


def test_the_checks_are_asked_ahead_not_one_by_one_as_the_writer_reaches_them(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Each advertiser's campaign/get/ check leaves as soon as the lookup answered, beside
    the report reads, not when the writer reaches the advertiser: three advertisers' checks
    go out together, not one latency after another (issue 18, a slow API kept busy)."""
    latency = 0.5
    data = FakeData(dataclasses.replace(SPEC, advertisers=3))
    monkeypatch.setattr(dates, "utc_now", lambda: NOW)
    with FakeTikTokApi(data, clock=lambda: NOW, latency_seconds=latency) as server:
        config = tap_config(server, start_date=START.isoformat(), end_date=END.isoformat())
        selection = {STREAM: ["advertiser_id", *REPORTS[STREAM].dimensions, "spend"]}
        result = run_tap(config, streams=selection)
        checks = sorted(r.monotonic for r in server.requests if r.path == "campaign/get/")

    assert len(checks) == len(data.advertiser_ids())
    assert checks[-1] - checks[0] < latency
    expected = expected_report_records(data, STREAM, ["spend"], start=START, end=END, now=NOW)
    keys = REPORTS[STREAM].key_properties
    assert by_key(result.records[STREAM], keys) == by_key(expected, keys)


def many_advertisers(monkeypatch: pytest.MonkeyPatch, count: int, latency: float) -> FakeTikTokApi:
    monkeypatch.setattr(dates, "utc_now", lambda: NOW)
    data = FakeData(dataclasses.replace(SPEC, advertisers=count))
    return FakeTikTokApi(data, clock=lambda: NOW, latency_seconds=latency)


def test_a_token_refused_on_a_check_asked_ahead_stops_every_request(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """TikTok refuses the token on campaign/get/ (40105: not one advertiser's): the checks
    asked ahead must not let the reads and the other checks go on until the writer meets it."""
    latency = 0.2
    answered: list[float] = []

    def refused(request: Any) -> dict[str, Any]:
        answered.append(time.monotonic())
        raise ApiError(40105, "Access token is invalid.")

    with many_advertisers(monkeypatch, 12, latency) as server:
        server.register("campaign/get/", refused)
        config = tap_config(
            server, start_date=START.isoformat(), end_date=END.isoformat(), max_concurrency=4
        )
        selection = {STREAM: ["advertiser_id", *REPORTS[STREAM].dimensions, "spend"]}
        _, error = run_until_failure(config, streams=selection)
        time.sleep(latency)  # what was still on the wire arrives
        refusal_known = min(answered) + latency + 0.05
        after = [r.path for r in server.requests if r.monotonic > refusal_known]

    assert "TikTok error 40105 on /campaign/get/" in str(error)
    # At most what was already leaving when the refusal came back (4 at once).
    assert len(after) <= 4, Counter(after)


def test_a_failing_check_asked_ahead_spends_one_retry_budget(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """campaign/get/ keeps failing (50002): the writer raises what the check asked ahead met
    instead of asking again with a second budget of retries."""
    with many_advertisers(monkeypatch, 1, 0.01) as server:

        def failing(request: Any) -> dict[str, Any]:
            raise ApiError(50002, "Error processing the request, please try again later.")

        server.register("campaign/get/", failing)
        config = tap_config(
            server,
            start_date=START.isoformat(),
            end_date=END.isoformat(),
            max_retries=3,
            retry_initial_wait_seconds=0.01,
        )
        selection = {STREAM: ["advertiser_id", *REPORTS[STREAM].dimensions, "spend"]}
        _, error = run_until_failure(config, streams=selection)
        checks = server.count("campaign/get/")

    assert "Gave up on /campaign/get/" in str(error)
    assert checks == 4  # one request and its 3 retries


@pytest.mark.parametrize(
    "base",
    [
        "https://Business-API.tiktok.com/open_api/v1.3",
        "https://sandbox-ads.tiktok.com/open_api/v1.3/",
        "http://127.0.0.1:8123",
    ],
)
def test_an_error_names_the_endpoint_that_failed_whatever_the_base_url(base: str) -> None:
    """A report stream also asks campaign/get/ (its TopView check): messages name that one."""
    tap = TapTikTokAds(
        config={"access_token": "t", "advertiser_ids": ["1"], "api_base_url": base},
        setup_mapper=False,
    )
    stream = tap.streams[STREAM]
    url = f"{base.rstrip('/')}/campaign/get/"
    prepared = requests.Request("GET", url, params={"filtering": '{"a": 1}'}).prepare()
    assert stream.endpoint_of(prepared) == "/campaign/get/"
    assert stream.endpoint_of(object()) == stream.path
