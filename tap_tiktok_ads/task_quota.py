"""Asynchronous report task creations per advertiser: TikTok's hourly limit, kept for the run.

Besides the app's limits on `report/task/create/` (1 QPS, 4,500 a day: `quotas.py`), the
token's user may create 500 tasks per ad account per hour (Doc 1740302766489602). Every report
stream of a run shares one count, so that a run never asks TikTok to refuse a creation.

The count is per attempt that may have reached TikTok, not per task the tap got back: an
attempt left unanswered (read timeout, broken connection, HTTP 5xx) may have created a task
all the same (`report_tasks.ReportTaskClient.create`). Only an attempt that certainly never
left (connection refused or not made in time, run ending) is given back (`release`).
"""

from __future__ import annotations

import collections
import threading
import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable

TASKS_PER_ADVERTISER_PER_HOUR = 500  # Doc 1740302766489602
HOUR_SECONDS = 3600.0


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
