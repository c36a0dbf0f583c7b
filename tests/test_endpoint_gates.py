"""An endpoint's own quota holds at the moments requests are sent, whatever the general
limiter made them wait.

`report/task/create/` allows 1 request per second per app (Doc 1740302766489602);
`gmv_max/report/get/` 8 a second (Doc 1824721673497601, Basic level). The tap's request to such
an endpoint waits for the endpoint's quota, then for the run's general limiter while it
holds the endpoint, and is counted when both let it go. Were the endpoint's quota counted
before the general wait, a request that the general limiter held back (a pause after TikTok
throttled, a busy run) would leave late while the next one to the same endpoint passed its
gate on time: two requests within the quota's second.

The HTTP tests pause the general limiter as TikTok's throttling does (`slow_down`) and
send several requests to one gated endpoint at once, with requests to other endpoints in
between; the quota must hold where the tap sends them (send_moments.py), and at the fake
(tests/fake_api/report_tasks.py, throttle.py), which records when each arrived and refuses
what TikTok would, within the lag of its stamps on a loaded machine. The unit tests run on
a fake clock.
"""

from __future__ import annotations

import itertools
import threading
from typing import TYPE_CHECKING, Any

import pytest
from typing_extensions import override

from tap_tiktok_ads.quotas import (
    GMV_MAX_REPORT_QUOTA,
    REPORT_TASK_CREATE_QUOTA,
    DailyQuotaUsedUpError,
    EndpointLimiter,
    EndpointQuota,
)
from tap_tiktok_ads.runtime import Runtime
from tap_tiktok_ads.settings import Settings
from tap_tiktok_ads.transport import (
    RateLimiter,
    Redactor,
    RunStoppedError,
    TikTokAdapter,
    build_session,
)
from tests.conftest import tap_config
from tests.fake_api.request_log import most_within
from tests.send_moments import DELIVERY_SKEW, record_sends
from tests.test_gmv_max_quota import FakeClock

if TYPE_CHECKING:
    from collections.abc import Callable

    from tests.fake_api import FakeTikTokApi

CREATE, GMV_REPORT, OTHER = "report/task/create/", "gmv_max/report/get/", "advertiser/info/"
# TikTok's rules, as the fake enforces them: arrivals within 1 s of each other count together.
CREATE_PER_SECOND, GMV_PER_SECOND = 1, 8
PAUSE_SECONDS = 0.8  # the general limiter's pause after a throttled answer (slow_down)


def _runtime(api: FakeTikTokApi) -> Runtime:
    """The run's real session, limiters and gates; 20 requests a second in general."""
    config = tap_config(api, max_requests_per_second=20, retry_initial_wait_seconds=PAUSE_SECONDS)
    return Runtime(Settings.from_config(config))


def _send_together(calls: list[Callable[[], Any]]) -> None:
    """Start every call at once on its own thread; re-raise the first failure."""
    start = threading.Barrier(len(calls))
    failures: list[BaseException] = []

    def run(call: Callable[[], Any]) -> None:
        start.wait()
        try:
            call()
        except BaseException as exc:
            failures.append(exc)

    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads), "a request never went out"
    if failures:
        raise failures[0]


def _arrivals(api: FakeTikTokApi, path: str) -> list[float]:
    return sorted(record.monotonic for record in api.log.snapshot() if record.path == path)


def test_task_creations_reach_tiktok_a_second_apart_after_a_pause(
    fake_api: FakeTikTokApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Three creations at once, the general limiter paused for 0.8 s: counted at the gate,
    the second would leave 0.25 s after the first (1.05 s after the gate, 0.8 s of pause)."""
    runtime = _runtime(fake_api)
    session, advertisers = runtime.session, fake_api.data.advertiser_ids()
    headers = {"Access-Token": fake_api.token}
    body = {
        "advertiser_id": advertisers[0],
        "report_type": "BASIC",
        "data_level": "AUCTION_AD",
        "dimensions": ["ad_id", "stat_time_day"],
        "metrics": ["spend"],
        "start_date": "2026-11-01",
        "end_date": "2026-11-18",
    }
    session.get(f"{fake_api.base_url}/{OTHER}", headers=headers, timeout=10)  # a connection
    fake_api.log.clear()
    runtime.limiter.slow_down()
    sends = record_sends(monkeypatch)
    answers: list[dict[str, Any]] = []
    creating: set[int] = set()

    def create() -> None:
        creating.add(threading.get_ident())
        url = f"{fake_api.base_url}/{CREATE}"
        answers.append(session.post(url, json=body, headers=headers, timeout=10).json())

    def other() -> None:
        params = {"advertiser_ids": f'["{advertisers[0]}"]'}
        session.get(f"{fake_api.base_url}/{OTHER}", params=params, headers=headers, timeout=10)

    _send_together([create] * 3 + [other] * 3)
    sent = sorted(moment for moment, thread in sends if thread in creating)
    assert len(sent) == 3
    sent_gaps = [later - earlier for earlier, later in itertools.pairwise(sent)]
    assert min(sent_gaps) >= 1.0 / CREATE_PER_SECOND, sent_gaps
    creations = _arrivals(fake_api, CREATE)
    assert len(creations) == 3
    gaps = [later - earlier for earlier, later in itertools.pairwise(creations)]
    assert min(gaps) >= 1.0 / CREATE_PER_SECOND - DELIVERY_SKEW, gaps
    # The fake refuses (as TikTok would) a creation that arrived within 1 s of the previous
    # one: possible only if the load delayed that one's arrival more than the tap's margin.
    refused = [answer for answer in answers if answer["code"] != 0]
    assert len(refused) == len(fake_api.report_tasks.refusals), answers
    assert not refused or min(gaps) < 1.0 / CREATE_PER_SECOND, answers
    # The other endpoint's requests did not queue behind the held creations.
    assert max(_arrivals(fake_api, OTHER)) < creations[1]
    runtime.close()


def test_a_gmv_max_burst_after_a_pause_stays_within_eight_a_second(
    fake_api: FakeTikTokApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Twelve report requests at once, the general limiter paused: counted at the gate, the
    eight passed within 0.875 s would leave together after the pause, with the ninth."""
    runtime = _runtime(fake_api)
    session, headers = runtime.session, {"Access-Token": fake_api.token}
    params = {"advertiser_id": fake_api.data.advertiser_ids()[0]}
    session.get(f"{fake_api.base_url}/{OTHER}", headers=headers, timeout=10)
    fake_api.log.clear()
    runtime.limiter.slow_down()
    sends = record_sends(monkeypatch)

    def report() -> None:
        url = f"{fake_api.base_url}/{GMV_REPORT}"
        session.get(url, params=params, headers=headers, timeout=10)

    _send_together([report] * 12)
    assert len(sends) == 12
    assert most_within([moment for moment, _ in sends], 1.0) <= GMV_PER_SECOND
    arrivals = _arrivals(fake_api, GMV_REPORT)
    assert len(arrivals) == 12
    assert most_within(arrivals, 1.0 - DELIVERY_SKEW) <= GMV_PER_SECOND
    # Refused (as TikTok would) only if the load bunched the arrivals beyond the quota.
    refused = fake_api.count(GMV_REPORT, code=40016)
    assert not refused or most_within(arrivals, 1.0) > GMV_PER_SECOND
    runtime.close()


def test_an_endpoint_held_in_its_general_wait_blocks_only_its_own_requests(
    fake_api: FakeTikTokApi,
) -> None:
    """A GMV Max request holds its gate while it waits for the general limiter (here until
    the test lets it go): task creations and other endpoints go through meanwhile; the next
    GMV Max request waits for the gate, and ends when the run stops."""
    runtime = _runtime(fake_api)
    session, headers = runtime.session, {"Access-Token": fake_api.token}
    advertiser = fake_api.data.advertiser_ids()[0]
    gmv_gate = runtime.endpoint_limiters["/" + GMV_REPORT]
    holding, release = threading.Event(), threading.Event()

    def general_wait() -> None:
        holding.set()
        release.wait(30)

    holder = threading.Thread(target=gmv_gate.acquire, args=(general_wait,))
    holder.start()
    assert holding.wait(30)
    queued: list[BaseException] = []

    def gmv_report() -> None:
        url = f"{fake_api.base_url}/{GMV_REPORT}"
        try:
            session.get(url, params={"advertiser_id": advertiser}, headers=headers, timeout=10)
        except RunStoppedError as exc:
            queued.append(exc)

    waiting = threading.Thread(target=gmv_report)
    waiting.start()
    body = {"advertiser_id": advertiser, "report_type": "BASIC"}  # refused, but it arrives
    session.post(f"{fake_api.base_url}/{CREATE}", json=body, headers=headers, timeout=10)
    session.get(f"{fake_api.base_url}/{OTHER}", headers=headers, timeout=10)
    assert fake_api.count(CREATE) == 1
    assert fake_api.count(OTHER) == 1
    assert waiting.is_alive()  # behind the held gate: nothing of it was sent
    runtime.stopping.set()
    release.set()
    holder.join(30)
    waiting.join(30)
    assert not waiting.is_alive()
    assert len(queued) == 1
    assert fake_api.count(GMV_REPORT) == 0
    runtime.close()


def _limiter(quota: EndpointQuota, clock: FakeClock) -> EndpointLimiter:
    return EndpointLimiter(quota, clock=clock, wall_clock=lambda: clock.wall, sleep=clock.sleep)


@pytest.mark.parametrize("quota", [REPORT_TASK_CREATE_QUOTA, GMV_MAX_REPORT_QUOTA])
def test_the_quota_counts_a_request_when_the_general_wait_lets_it_go(
    quota: EndpointQuota,
) -> None:
    """Each request waits a different time in the general limiter; the sends, not the
    moments the gate opened, keep the quota's spacing: at least 1/rate apart and no more
    than the quota in any 1.05 s."""
    clock = FakeClock()
    limiter = _limiter(quota, clock)
    sent = []
    for general_wait in [0.9, 0.0, 0.3, 0.0, 0.7, 0.1, 0.0, 0.0, 0.5, 0.0, 0.0, 0.2]:
        limiter.acquire(lambda wait=general_wait: clock.sleep(wait))
        sent.append(clock.now)
    gaps = [later - earlier for earlier, later in itertools.pairwise(sent)]
    assert min(gaps) >= 1.0 / quota.per_second - 1e-9
    window = [sent[i + quota.per_second] - sent[i] for i in range(len(sent) - quota.per_second)]
    assert min(window) >= 1.05 - 1e-9


def test_a_slow_down_during_the_general_wait_sends_the_request_after_the_pause() -> None:
    """TikTok throttled an earlier request while this one waited in the general limiter:
    it waits out the endpoint's pause, and the general limiter again."""
    clock = FakeClock()
    limiter = _limiter(GMV_MAX_REPORT_QUOTA, clock)
    general_waits = []

    def general() -> None:
        general_waits.append(clock.now)
        if len(general_waits) == 1:
            limiter.slow_down()  # pauses the endpoint for 1 s from now

    limiter.acquire(general)
    assert general_waits == [100.0, 101.0]
    assert clock.now == pytest.approx(101.0)


class CountingLimiter(RateLimiter):
    """A general limiter that counts the slots it gave out (requests it counted as sent)."""

    def __init__(self, rate: float, **kwargs: Any) -> None:
        super().__init__(rate, **kwargs)
        self.taken = 0

    @override
    def acquire(self) -> None:
        super().acquire()
        self.taken += 1

    @override
    def try_take(self) -> bool:
        taken = super().try_take()
        self.taken += taken
        return taken


def test_a_slow_down_during_the_general_wait_takes_one_general_slot(
    fake_api: FakeTikTokApi,
) -> None:
    """TikTok throttled the endpoint while a request waited in the general limiter: the
    request waits again, and the general limiter counts it once, when it is sent. Counted at
    each general wait, every slow-down met there would spend a slot of the app's rate that
    no request used. Through the adapter as the run wires it, on a fake clock."""
    clock = FakeClock()
    endpoint = _limiter(GMV_MAX_REPORT_QUOTA, clock)
    throttled: list[float] = []

    def general_sleep(seconds: float) -> None:
        if not throttled:  # an earlier request's throttled answer arrives meanwhile
            throttled.append(clock.now)
            endpoint.slow_down()
        clock.sleep(seconds)

    general = CountingLimiter(10, pause_seconds=0.5, clock=clock, sleep=general_sleep)
    general.slow_down()  # the general limiter pauses: the request waits there
    gates = {GMV_MAX_REPORT_QUOTA.path: endpoint.acquire}
    adapter = TikTokAdapter(
        general, Redactor(), threading.Event(), max_in_flight=1, endpoint_gates=gates
    )
    session = build_session(adapter, "tap-tiktok-ads/test")
    params = {"advertiser_id": fake_api.data.advertiser_ids()[0]}
    headers = {"Access-Token": fake_api.token}
    session.get(f"{fake_api.base_url}/{GMV_REPORT}", params=params, headers=headers, timeout=10)
    session.close()
    assert throttled == [100.0]
    assert clock.now == pytest.approx(101.0)  # after the endpoint's 1 s pause
    assert fake_api.count(GMV_REPORT) == adapter.requests_sent == 1
    assert general.taken == 1


def test_past_the_daily_quota_no_general_slot_is_taken() -> None:
    clock = FakeClock()
    limiter = _limiter(EndpointQuota("/x/", 100, 100, 1, "the doc"), clock)
    general_waits = []
    limiter.acquire(lambda: general_waits.append(clock.now))
    with pytest.raises(DailyQuotaUsedUpError):
        limiter.acquire(lambda: general_waits.append(clock.now))
    assert len(general_waits) == 1
