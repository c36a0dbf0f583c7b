"""The rate limiter on its own, on a fake clock: no test waits, and no timing is flaky."""

from __future__ import annotations

import itertools

import pytest

from tap_tiktok_ads.transport import RateLimiter


class FakeClock:
    """A monotonic clock that moves only when the limiter sleeps."""

    def __init__(self) -> None:
        self.now = 100.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def _limiter(rate: float, clock: FakeClock, **kwargs: float) -> RateLimiter:
    return RateLimiter(rate, clock=clock, sleep=clock.sleep, **kwargs)


def _send_times(limiter: RateLimiter, clock: FakeClock, count: int) -> list[float]:
    times = []
    for _ in range(count):
        limiter.acquire()
        times.append(clock.now)
    return times


def test_requests_are_spaced_one_over_rate_apart_with_a_margin_per_second() -> None:
    clock = FakeClock()
    times = _send_times(_limiter(4, clock), clock, 9)
    gaps = [b - a for a, b in itertools.pairwise(times)]
    assert times[0] == 100.0  # the first request does not wait
    # The fifth waits for the first one's second to end, plus a 0.05 s margin for jitter.
    assert gaps == pytest.approx([0.25, 0.25, 0.25, 0.30] * 2)


def test_no_more_than_rate_requests_in_any_window() -> None:
    clock = FakeClock()
    times = _send_times(_limiter(10, clock), clock, 40)
    for index in range(len(times) - 10):
        assert times[index + 10] - times[index] >= 1.05 - 1e-9


def test_slow_down_pauses_and_halves_the_rate_once_per_second() -> None:
    clock = FakeClock()
    limiter = _limiter(8, clock, pause_seconds=1.0)
    limiter.acquire()
    limiter.slow_down()
    limiter.slow_down()  # the same overload: paused, not halved again
    assert limiter.rate == 4
    assert limiter.slow_downs == 1
    before = clock.now
    limiter.acquire()
    assert clock.now - before == pytest.approx(1.0)
    clock.now += 1.0
    limiter.slow_down()
    assert limiter.rate == 2


def test_the_rate_never_drops_below_one_request_per_two_seconds() -> None:
    clock = FakeClock()
    limiter = _limiter(1, clock)
    for _ in range(5):
        clock.now += 2.0
        limiter.slow_down()
    assert limiter.rate == 0.5


def test_successes_win_the_configured_rate_back_without_passing_it() -> None:
    clock = FakeClock()
    limiter = _limiter(10, clock, recovery_seconds=5)
    limiter.slow_down()
    assert limiter.rate == 5
    for _ in range(100):
        limiter.succeeded()
    assert limiter.rate == 10


def test_waited_seconds_adds_up_the_waits() -> None:
    clock = FakeClock()
    limiter = _limiter(2, clock)
    _send_times(limiter, clock, 3)
    assert limiter.waited_seconds == pytest.approx(sum(clock.slept))
    assert clock.now - 100.0 == pytest.approx(1.05)  # 0.5 apart, the third past the margin
