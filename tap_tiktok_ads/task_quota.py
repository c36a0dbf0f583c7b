"""Asynchronous report task creations per advertiser: TikTok's hourly limit, kept for the run.

Besides the app's limits on `report/task/create/` (1 QPS, 4,500 a day: `quotas.py`), the
token's user may create 500 tasks per ad account per hour (Doc 1740302766489602). Every report
stream of a run shares one count, so that a run never asks TikTok to refuse a creation.

The count is per attempt that may have reached TikTok, not per task the tap got back: an
attempt left unanswered (read timeout, broken connection, HTTP 5xx) may have created a task
all the same (`report_tasks.ReportTaskClient.create`). Only an attempt that certainly never
left (connection refused or not made in time, run ending) is given back (`release`).

Creations also take turns (`turn`): one in flight at a time, each sent at least a second after
the previous one was answered. TikTok counts its 1 QPS per app (Doc 1740302766489602) when a
request arrives, and a request arrives before it is answered: so two creations arrive at
least a second apart whatever the network's delays. The endpoint quota (`quotas.py`) spaces
sends 1.05 s apart, which a request delayed by more than 50 ms on its way defeats.
"""

from __future__ import annotations

import collections
import contextlib
import threading
import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

TASKS_PER_ADVERTISER_PER_HOUR = 500  # Doc 1740302766489602
HOUR_SECONDS = 3600.0
# 1 QPS per app (Doc 1740302766489602), measured from the previous creation's answer.
CREATE_SPACING_SECONDS = 1.0


class TaskQuota:
    """Task creations sent per advertiser over the last hour, in all, and whether any may be."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        """Nothing created yet."""
        self._clock = clock
        self._created: dict[str, collections.deque[float]] = collections.defaultdict(
            collections.deque
        )
        self._lock = threading.Lock()
        self.created = 0
        # Why no task may be created in this run at all (TikTok did not allowlist the app).
        self.unavailable: str | None = None
        self._turn = threading.Lock()
        self._next_send = clock()

    @contextlib.contextmanager
    def turn(self, stopping: threading.Event) -> Iterator[None]:
        """Hold the run's creations for one attempt, sent a second after the previous one ended.

        The next attempt waits from this one's end (answered or failed). A run that is ending
        stops the wait; the send then refuses (transport.py).
        """
        with self._turn:
            delay = self._next_send - self._clock()
            if delay > 0:
                stopping.wait(delay)
            try:
                yield
            finally:
                self._next_send = self._clock() + CREATE_SPACING_SECONDS

    def reserve(self, advertiser_id: str) -> bool:
        """Take one creation attempt for this advertiser if its hourly limit allows it.

        False when it does not: the caller reads the range with sync requests instead.
        """
        with self._lock:
            now = self._clock()
            recent = self._created[advertiser_id]
            while recent and now - recent[0] >= HOUR_SECONDS:
                recent.popleft()
            if len(recent) >= TASKS_PER_ADVERTISER_PER_HOUR:
                return False
            recent.append(now)
            self.created += 1
            return True

    def release(self, advertiser_id: str) -> None:
        """Give back the advertiser's latest creation: its attempt never reached TikTok."""
        with self._lock:
            recent = self._created[advertiser_id]
            if recent:
                recent.pop()
                self.created -= 1
