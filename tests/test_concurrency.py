"""Requests in flight concurrently change nothing but speed: same records, same order, same state."""

from __future__ import annotations

import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from tap_tiktok_ads.runtime import SyncStats
from tap_tiktok_ads.streams.reports import ReportStream
from tap_tiktok_ads.transport import Redactor
from tests.conftest import run_cli, run_tap, run_until_failure, tap_config
from tests.fake_api.request import ApiError, ApiRequest
from tests.fake_api.request_log import most_within
from tests.send_moments import DELIVERY_SKEW, record_sends

STREAMS = {
    "ad_report_daily": None,
    "campaign_report_hourly": ["campaign_id", "stat_time_hour", "spend", "clicks"],
    "ad_audience_country_daily": None,
    "adgroup_report_weekly": None,
}


def messages_without_time(result) -> list[dict]:
    """Messages as a target sees them, minus the extraction timestamps."""
    return [
        {key: value for key, value in message.items() if key != "time_extracted"}
        for message in result.messages
    ]


@pytest.mark.usefixtures("frozen_now")
def test_concurrency_1_and_8_give_identical_output_and_state(fake_api) -> None:
    base = tap_config(fake_api, start_date="2026-10-01", page_size=50)
    sequential = run_tap(base | {"max_concurrency": 1}, streams=STREAMS)
    concurrent = run_tap(base | {"max_concurrency": 8}, streams=STREAMS)
    assert sum(len(records) for records in sequential.records.values()) > 2000
    assert messages_without_time(concurrent) == messages_without_time(sequential)
    assert concurrent.state == sequential.state


@pytest.mark.usefixtures("frozen_now")
def test_injected_rate_limits_slow_the_client_and_the_data_is_complete(fake_api) -> None:
    base = tap_config(fake_api, start_date="2026-11-13", max_concurrency=4)
    clean = run_tap(base, streams={"ad_report_hourly": ["ad_id", "stat_time_hour", "spend"]})
    fake_api.log.clear()
    fake_api.faults.fail_rate(0.15, codes=(40100,), seed=3)
    throttled = run_tap(base, streams={"ad_report_hourly": ["ad_id", "stat_time_hour", "spend"]})
    assert fake_api.count(code=40100) >= 2
    assert throttled.records == clean.records
    assert throttled.state == clean.state


@pytest.mark.usefixtures("frozen_now")
def test_a_hard_request_cap_holds_with_many_requests_in_flight(fake_api, monkeypatch) -> None:
    """15 a second with 8 in flight, counted where the tap sends (send_moments.py), and at the
    fake within its stamps' lag: counted in a full second there, 17 arrivals took only 117 ms
    of lag (16 sends span 1.05 s, the 17th comes 1/15 s later)."""
    sends = record_sends(monkeypatch)
    fake_api.latency_seconds = 0.05
    config = tap_config(
        fake_api, start_date="2026-11-12", max_concurrency=8, max_requests_per_second=15
    )
    run_tap(config, streams={"ad_report_hourly": ["spend"], "adgroup_report_hourly": ["spend"]})
    assert fake_api.count() == len(sends) > 40
    assert most_within([moment for moment, _ in sends], 1.0) <= 15
    assert fake_api.peak_requests_per_second(window=1.0 - DELIVERY_SKEW) <= 15


REPORT = "report/integrated/get/"


def fatal_while_others_retry(api) -> dict:
    """The first advertiser's token is refused while every other report request keeps failing.

    The refusal stops the run; the other advertisers' windows, read ahead on the pool, are
    retrying then with a budget far longer than the test may take. The refusal waits (up to
    2 s) for their first failure: on a loaded machine it could otherwise end the run before
    their first request left, and there would be nothing in flight to stop.
    """
    refused = str(api.data.advertiser_ids()[0])

    def answer(request: ApiRequest) -> dict:
        if str(request.params.get("advertiser_id")) != refused:
            raise ApiError(50002, "Error processing the request, please try again later.")
        deadline = time.monotonic() + 2
        while not api.count(REPORT, code=50002) and time.monotonic() < deadline:
            api.pause(0.01)
        raise ApiError(40105, f"No permission to operate advertiser {refused}.")

    api.register(REPORT, answer)
    return tap_config(
        api,
        max_concurrency=4,
        max_retry_seconds=30,
        max_retries=100,
        retry_initial_wait_seconds=0.2,
    )


def seconds_since_the_refusal(api) -> float:
    """How long ago TikTok refused the token (the fake runs in this process: same clock)."""
    refusal = next(r for r in api.requests if r.code == 40105)
    return time.monotonic() - refusal.monotonic


@pytest.mark.usefixtures("frozen_now")
def test_a_fatal_error_stops_the_requests_in_flight(fake_api) -> None:
    config = fatal_while_others_retry(fake_api)
    threads_before = set(threading.enumerate())
    _, error = run_until_failure(config, streams={"ad_report_daily": ["spend"]})
    assert "40105" in str(error)
    assert seconds_since_the_refusal(fake_api) < 3
    sent = fake_api.count()
    time.sleep(1.0)
    assert fake_api.count() == sent  # no request after the failure
    assert fake_api.count(REPORT, code=50002) > 0  # the others were retrying
    workers = set(threading.enumerate()) - threads_before
    assert not [t.name for t in workers if t.name.startswith("tiktok")]  # the tap's pool


def test_the_command_exits_promptly_after_a_fatal_error(fake_api, tmp_path) -> None:
    config = fatal_while_others_retry(fake_api)
    done = run_cli(tmp_path, config=config, streams={"ad_report_daily": ["spend"]})
    assert done.returncode == 1
    assert "40105" in done.stderr
    assert seconds_since_the_refusal(fake_api) < 8  # the retry budget is 30 s


@pytest.mark.usefixtures("frozen_now")
def test_the_connection_pool_holds_every_request_in_flight(fake_api, caplog) -> None:
    fake_api.latency_seconds = 0.05
    config = tap_config(fake_api, start_date="2026-10-20", max_concurrency=32)
    with caplog.at_level(logging.WARNING, logger="urllib3"):
        run_tap(config, streams={"ad_report_hourly": ["spend"]})
    assert fake_api.count() > 90
    assert not [r for r in caplog.records if "pool is full" in r.getMessage()]


def test_run_counters_add_up_across_threads() -> None:
    stats = SyncStats()
    with ThreadPoolExecutor(8) as pool:
        for _ in range(8):
            pool.submit(lambda: [stats.count_retry() for _ in range(20_000)])
    assert stats.retries == 160_000


def test_secrets_learnt_while_other_threads_redact_are_masked() -> None:
    redactor = Redactor(["first-secret"])
    tokens = [f"refreshed-token-{n:04d}" for n in range(2_000)]
    with ThreadPoolExecutor(4) as pool:
        masking = [pool.submit(redactor, f"{token} first-secret") for token in tokens]
        for token in tokens:
            redactor.add(token)
        assert all("first-secret" not in future.result() for future in masking)
    assert redactor(" ".join(tokens)) == " ".join(["***"] * len(tokens))


@pytest.mark.usefixtures("frozen_now")
@pytest.mark.parametrize(("max_concurrency", "least", "most"), [(16, 8, 11), (3, 1, 3)])
def test_a_slow_api_gets_rate_x_latency_requests_in_flight_within_the_bound(
    fake_api, monkeypatch, max_concurrency: int, least: int, most: int
) -> None:
    """1 s per answer at 10 requests/s takes about 10 in flight; `max_concurrency` caps it.

    Every request takes 1 s, so the requests sent within one second were all in flight
    together: their most is the run's peak in flight, and the rate held too. Counted where
    the tap sends (send_moments.py): at the fake's arrivals a loaded machine bunched 12
    within 0.99 s (load 20), the lag of its stamps, not the tap's doing. The tap's rule allows
    10 sends in 1.05 s, one under the bound of 11; the cap of 3 holds at any load (a fourth
    request leaves only after an answer, 1 s after its request left).
    """
    sends = record_sends(monkeypatch)
    fake_api.latency_seconds = 1.0
    config = tap_config(
        fake_api,
        start_date="2026-11-12",
        max_requests_per_second=10,
        max_concurrency=max_concurrency,
    )
    result = run_tap(config, streams={"ad_report_hourly": ["spend"]})
    reports = [r for r in fake_api.requests if r.path == REPORT]
    assert len(reports) == 27  # 3 advertisers x 9 one-day windows
    assert least <= most_within([moment for moment, _ in sends], 0.99) <= most
    assert len(result.records["ad_report_hourly"]) > 0


@pytest.mark.usefixtures("frozen_now")
def test_the_next_advertisers_requests_start_before_the_last_answer_of_one_arrives(
    fake_api,
) -> None:
    """No drain at advertiser boundaries: the reads ahead run across advertisers.

    A run that waited for every answer of one advertiser before asking for the next would
    send the next advertiser's first request one latency after the last one of this. At 1 s
    and 10 requests/s all 9 requests fit before the first answer (about 10 in flight), so
    the gaps are a tenth of a second and the bound has most of a second to spare. At 0.4 s
    (4 or 5 in flight) a loaded CI machine once sent one 0.45 s after the other, waiting
    for in-flight room, not for a drain.
    """
    latency = 1.0
    fake_api.latency_seconds = latency
    config = tap_config(fake_api, start_date="2026-09-01", max_requests_per_second=10)
    run_tap(config, streams={"ad_report_daily": ["ad_id", "stat_time_day", "spend"]})
    arrivals: dict[str, list[float]] = {}
    for request in fake_api.requests:
        if request.path == REPORT:
            arrivals.setdefault(request.params["advertiser_id"], []).append(request.monotonic)
    assert [len(times) for times in arrivals.values()] == [3, 3, 3]  # 3 windows each
    first, second, third = arrivals.values()
    assert min(second) < max(first) + latency
    assert min(third) < max(second) + latency


INFO = "advertiser/info/"


@pytest.mark.usefixtures("frozen_now")
def test_report_requests_go_while_the_advertisers_time_zones_are_looked_up(fake_api) -> None:
    """The windows no time zone changes do not wait for `advertiser/info/` (zone_free.py).

    With `end_date` today, the window with today waits for the zone, and so do the next
    advertisers' windows (results come in order). Output and state are those of a
    one-request-at-a-time run, which reads nothing before the zones are known.
    """
    latency = 0.5
    fake_api.latency_seconds = latency
    base = tap_config(
        fake_api, start_date="2026-09-01", end_date="today", max_requests_per_second=10
    )
    streams = {"ad_report_daily": ["ad_id", "stat_time_day", "spend"]}
    sequential = run_tap(base | {"max_concurrency": 1}, streams=streams)
    fake_api.log.clear()
    early = run_tap(base, streams=streams)
    info = next(r for r in fake_api.requests if r.path == INFO)
    reports = [r for r in fake_api.requests if r.path == REPORT]
    assert len(reports) == 9  # 3 advertisers x 3 windows: nothing read twice
    before = [r for r in reports if r.monotonic < info.monotonic + latency]
    first = fake_api.data.advertiser_ids()[0]
    # Today is 2026-11-20 at UTC-12 and the 21st at UTC+14: the third window waits.
    zone_free = {(first, "2026-09-30"), (first, "2026-10-30")}
    assert before
    assert {(r.params["advertiser_id"], r.params["end_date"]) for r in before} <= zone_free
    assert messages_without_time(early) == messages_without_time(sequential)
    assert early.state == sequential.state


@pytest.mark.usefixtures("frozen_now")
def test_a_refused_lookup_ends_the_reads_started_while_it_was_in_flight(fake_api) -> None:
    """A token TikTok refuses: the lookup fails the run, the reads read early stop with it."""
    fake_api.latency_seconds = 0.5
    config = tap_config(
        fake_api, access_token="not-a-token", max_requests_per_second=10, max_concurrency=4
    )
    threads_before = set(threading.enumerate())
    _, error = run_until_failure(config, streams={"ad_report_daily": ["spend"]})
    assert "40105" in str(error)
    assert "advertiser/info/" in str(error)
    sent = fake_api.count()
    time.sleep(1.0)
    assert fake_api.count() == sent  # no request after the failure
    # Read early, within `max_concurrency` with the lookup's own request.
    assert 1 <= fake_api.count(REPORT) <= 3
    workers = set(threading.enumerate()) - threads_before
    assert not [t.name for t in workers if t.name.startswith(("tiktok", "prefetch"))]


@pytest.mark.usefixtures("frozen_now")
def test_the_next_report_streams_requests_start_before_the_last_answer_of_one_arrives(
    fake_api,
) -> None:
    """No drain at report stream boundaries: the next stream's reads start ahead too.

    A run that drained would send the next stream's first request after the last answer of
    this one, one latency after its request. The first stream's windows need no time zone:
    they go during the lookup (1 s), a tenth of a second apart; the next stream's go once it
    answered and that stream's TopView checks left (0.3 s). With 9 of them the first stream's
    last leaves at about 0.9 s and the next stream's first at about 1.3 s: 0.6 s to spare
    under the bound. With 6 at 0.4 s (ending at 0.6 s, the lookup at 0.4 s) the spare was
    0.3 s less the checks', whatever the latency, and 0.24 s was measured at load 18.
    """
    latency = 1.0
    fake_api.latency_seconds = latency
    config = tap_config(fake_api, start_date="2026-09-01", max_requests_per_second=10)
    run_tap(
        config,
        streams={
            "campaign_report_daily": ["campaign_id", "stat_time_day", "spend"],
            "ad_report_daily": ["ad_id", "stat_time_day", "spend"],
        },
    )
    arrivals: dict[str, list[float]] = {}
    for request in fake_api.requests:
        if request.path == REPORT:
            arrivals.setdefault(request.params["data_level"], []).append(request.monotonic)
    assert [len(times) for times in arrivals.values()] == [9, 9]  # 3 advertisers x 3 windows
    first, second = arrivals.values()
    assert min(second) < max(first) + latency


@pytest.mark.usefixtures("frozen_now")
def test_the_reads_ahead_reach_one_report_stream_beyond_the_one_written(
    fake_api, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Small report streams chain their reads, but only one stream ahead of the one being
    written: each stream holds up to its read-ahead budget, so N streams read ahead at once
    would hold N budgets. A stream's reads start once the previous stream's writer came."""
    starts: list[tuple[str, list[str]]] = []
    original = ReportStream.read_early

    def recording(self: ReportStream, advertiser_ids: list[str]) -> None:
        came = [s.name for s in self._tap.streams.values() if getattr(s, "_consumer_came", False)]
        starts.append((self.name, came))
        original(self, advertiser_ids)

    monkeypatch.setattr(ReportStream, "read_early", recording)
    names = ["campaign_report_daily", "adgroup_report_daily", "ad_report_daily"]
    config = tap_config(fake_api, start_date="2026-10-01")
    run_tap(config, streams=dict.fromkeys(names))

    order = [name for name, _ in starts]  # the first one read during the lookup
    assert sorted(order) == sorted(names)
    for (name, came), previous in zip(starts[1:], order, strict=False):
        assert previous in came, (name, came)
