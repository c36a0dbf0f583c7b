"""Endpoint quotas: the endpoints TikTok limits below the app's general rate.

`gmv_max/report/get/` has its own limit per developer app, counted per second, per minute and
per day (Doc 1824721673497601); so has `report/task/create/` (Docs 1740302766489602,
1738864817670145). Its requests wait for this quota, then for the run's general limiter
while they hold the endpoint, and are counted when both let them go: so the quota is held
at the moments requests are sent, whatever the general limiter made them wait, and the tap
never meets TikTok's refusal. If TikTok refuses anyway (another program of the same app
spent the quota), the endpoint alone slows down and the request is retried.
"""

from __future__ import annotations

import collections
import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from tap_tiktok_ads.errors import TikTokFatalError
from tap_tiktok_ads.transport import RateLimiter

if TYPE_CHECKING:
    from collections.abc import Callable

# TikTok counts a request when it arrives; network jitter can move one sent at a window's end
# into the next window. Slightly longer windows keep a margin (as the general limiter does).
_MINUTE_SECONDS = 61.0
_DAY_SECONDS = 86_400


@dataclass(frozen=True)
class EndpointQuota:
    """What one endpoint allows per developer app: per second, minute and day."""

    path: str
    per_second: int
    per_minute: int
    per_day: int
    source: str


# Doc 1824721673497601, "Rate limits", the Basic level (the default): 8 QPS, 240 QPM, 20,000
# QPD. Higher levels allow more; the Basic one is safe for every app.
GMV_MAX_REPORT_QUOTA = EndpointQuota(
    "/gmv_max/report/get/", 8, 240, 20_000, "Doc 1824721673497601, Basic rate limit level"
)
# Creating asynchronous report tasks: "the rate limit for each app is 1 QPS" (Doc
# 1740302766489602) and "the total number of tasks per app per day is 4500" (Doc
# 1738864817670145); the minute follows from the second.
REPORT_TASK_CREATE_QUOTA = EndpointQuota(
    "/report/task/create/", 1, 60, 4500, "Docs 1740302766489602 and 1738864817670145"
)
ENDPOINT_QUOTAS = (GMV_MAX_REPORT_QUOTA, REPORT_TASK_CREATE_QUOTA)


class DailyQuotaUsedUpError(TikTokFatalError):
    """The run has sent an endpoint's whole daily quota: waiting would take hours."""


class EndpointLimiter:
    """Holds one endpoint to its quota across threads; the per-second part adapts.

    The per-second rate is a `RateLimiter` (halved when TikTok still throttles, recovering
    after); the minute is a sliding window; the day is TikTok's day, which TikTok resets at
    00:00 UTC (our API notes 1.8), counted on the wall clock.

    One request at a time goes through the endpoint's waits (`_turn`): the next one starts
    waiting once the previous one is counted, at its send. A slow-down waits for the counting
    step (`_taking`, which never sleeps), so the endpoint's slot cannot be taken back between
    its check and its count, after the general slot was taken. Requests to other endpoints never
    take this lock, so holding it while waiting for the general limiter delays only the
    endpoint's own requests, which could not be sent before then anyway.
    """

    def __init__(
        self,
        quota: EndpointQuota,
        *,
        pause_seconds: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        """Start with nothing sent; `clock`, `wall_clock` and `sleep` are replaceable for tests."""
        self.quota = quota
        self.per_second = RateLimiter(
            quota.per_second, pause_seconds=pause_seconds, clock=clock, sleep=sleep
        )
        self._clock = clock
        self._wall_clock = wall_clock
        self._sleep = sleep
        self._turn = threading.Lock()
        self._taking = threading.Lock()
        self._minute: collections.deque[float] = collections.deque()
        self._day = -1
        self.sent_today = 0
        self.waited_seconds = 0.0

    def acquire(
        self,
        wait_general: Callable[[], None] = lambda: None,
        take_general: Callable[[], bool] = lambda: True,
    ) -> None:
        """Block until a request may go to the endpoint; refuse past the daily quota.

        `wait_general` is the wait that comes after this one (the run's general limiter,
        counting nothing): it runs while the endpoint is held. Then, in one step that no
        slow-down enters, the endpoint's checks run and only if they pass the general slot is
        taken (`take_general`) and the request counted here: so the quota spaces the sends,
        not the moments requests passed this gate, and the general limiter counts only
        requests that are sent. When a slow-down took the endpoint's slot meanwhile, or
        another request the general one's, both waits start again with nothing counted.
        """
        with self._turn:
            while True:
                self._refuse_past_daily_quota()
                self._wait_for_minute()
                self.per_second.wait_free()
                wait_general()
                if self._take(take_general):
                    return

    def _take(self, take_general: Callable[[], bool]) -> bool:
        """Count the request here and in the general limiter, in both or in neither."""
        with self._taking:
            now = self._clock()
            if not (self._minute_has_room(now) and self.per_second.is_free()):
                return False
            if not take_general():
                return False
            # Free a moment ago; only a slow-down (kept out by `_taking`) takes that back.
            self.per_second.try_take()
            self._minute.append(now)
            self.sent_today += 1
            return True

    def _minute_has_room(self, now: float) -> bool:
        # The same sum as the wait's, so that waiting it out always makes room.
        while self._minute and self._minute[0] + _MINUTE_SECONDS <= now:
            self._minute.popleft()
        return len(self._minute) < self.quota.per_minute

    def _wait_for_minute(self) -> None:
        while not self._minute_has_room(now := self._clock()):
            delay = self._minute[0] + _MINUTE_SECONDS - now
            self.waited_seconds += delay
            self._sleep(delay)

    def _refuse_past_daily_quota(self) -> None:
        day = int(self._wall_clock() // _DAY_SECONDS)
        if day != self._day:
            self._day, self.sent_today = day, 0
        if self.sent_today >= self.quota.per_day:
            msg = (
                f"This run has sent {self.sent_today} requests to {self.quota.path} today, the "
                f"endpoint's daily quota per app ({self.quota.source}). TikTok refuses more "
                "until 00:00 UTC: run the tap again after that; it resumes from its state."
            )
            raise DailyQuotaUsedUpError(msg, where=self.quota.path)

    def slow_down(self) -> None:
        """TikTok throttled the endpoint: pause it and halve its per-second rate."""
        with self._taking:
            self.per_second.slow_down()

    def succeeded(self) -> None:
        """A request went through: move back toward the quota's rate."""
        self.per_second.succeeded()
