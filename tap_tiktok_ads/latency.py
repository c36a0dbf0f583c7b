"""How long TikTok takes to answer, as the client sees it: what sizes the requests in flight.

Keeping `rate` requests per second going takes about `rate x latency` requests in flight
(Little's law). The latency is a moving average of the answers' times, and at least the age of
the oldest request still waiting, so that a slow API is noticed before its first answer.
The time is measured from the moment the rate limiter lets a request go, so waiting for the
limit never counts as latency.
"""

from __future__ import annotations

import itertools
import threading
import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable

_WEIGHT = 0.2  # of the newest answer in the moving average


class LatencyGauge:
    """Observed seconds per request; thread-safe."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        """No answer yet: the latency is the age of the requests waiting, or 0."""
        self._clock = clock
        self._average: float | None = None
        self._waiting: dict[int, float] = {}
        self._tickets = itertools.count()
        self._lock = threading.Lock()

    def started(self) -> int:
        """A request went out; the ticket to hand to `finished`."""
        ticket = next(self._tickets)
        with self._lock:
            self._waiting[ticket] = self._clock()
        return ticket

    def finished(self, ticket: int) -> None:
        """Its answer arrived (or it failed): one more sample."""
        with self._lock:
            seconds = self._clock() - self._waiting.pop(ticket)
            average = self._average
            self._average = seconds if average is None else average + _WEIGHT * (seconds - average)

    def seconds(self) -> float:
        """The latency: the moving average, or the oldest waiting request's age if longer."""
        with self._lock:
            now = self._clock()
            oldest = max((now - start for start in self._waiting.values()), default=0.0)
            return max(self._average or 0.0, oldest)
