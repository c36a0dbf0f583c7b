"""The app-level QPS cap (reference 1.8): calls beyond it are answered with 40100.

Endpoints with a lower limit of their own (per second, minute and day) have an
`EndpointThrottle` each; calls beyond it are answered with 40016.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from dataclasses import dataclass

QPS_LIMIT_CODE = 40100  # reference 1.7: app-level rate limit, HTTP 200


class QpsLimiter:
    """Counts answered calls in a sliding one-second window."""

    def __init__(self, limit: float | None) -> None:
        """`limit` calls per second; None means no cap."""
        self.limit = limit
        self._lock = threading.Lock()
        self._served: deque[float] = deque()

    def admit(self) -> int | None:
        """None when the call may go on, else the current QPS to report in the message."""
        if self.limit is None:
            return None
        now = time.monotonic()
        with self._lock:
            while self._served and now - self._served[0] >= 1.0:
                self._served.popleft()
            if len(self._served) >= self.limit:
                return len(self._served) + 1
            self._served.append(now)
            return None

    def message(self, app_id: str, current: int) -> str:
        """TikTok's wording, as seen in production (reference 1.7)."""
        limit = int(self.limit) if self.limit is not None else 0
        return f"App [{app_id}] reaches the QPS limit {limit}, current QPS is {current}"


# The official SDK's code list (tiktok_code.py, our API notes 1.7): 40016, requests too frequent
# for an endpoint's own limit. TikTok's wording is not documented; the message is ours.
ENDPOINT_LIMIT_CODE = 40016


@dataclass(frozen=True)
class EndpointLimit:
    """An endpoint's own limit per app: calls per second, per minute and per UTC day."""

    per_second: int
    per_minute: int
    per_day: int


# Doc 1824721673497601, "Rate limits", Basic level: 8 QPS, 240 QPM, 20,000 QPD.
ENDPOINT_LIMITS = {"gmv_max/report/get/": EndpointLimit(8, 240, 20_000)}


class EndpointThrottle:
    """Counts one endpoint's answered calls: sliding second and minute, and the UTC day."""

    def __init__(self, limit: EndpointLimit) -> None:
        """Enforce `limit` (replaceable while serving, for tests)."""
        self.limit = limit
        self._lock = threading.Lock()
        self._second: deque[float] = deque()
        self._minute: deque[float] = deque()
        self._day = -1
        self._today = 0

    def admit(self, now: float, wall: float) -> str | None:
        """None when the call may go on, else which limit it breaks (for the message)."""
        with self._lock:
            for window, seconds in ((self._second, 1.0), (self._minute, 60.0)):
                while window and now - window[0] >= seconds:
                    window.popleft()
            day = int(wall // 86_400)
            if day != self._day:
                self._day, self._today = day, 0
            if len(self._second) >= self.limit.per_second:
                return f"QPS limit {self.limit.per_second}"
            if len(self._minute) >= self.limit.per_minute:
                return f"QPM limit {self.limit.per_minute}"
            if self._today >= self.limit.per_day:
                return f"QPD limit {self.limit.per_day}"
            self._second.append(now)
            self._minute.append(now)
            self._today += 1
            return None


def endpoint_limit_message(app_id: str, path: str, broken: str) -> str:
    """The fake's wording of an endpoint limit refusal."""
    return f"App [{app_id}] reaches the {broken} of /{path}, please retry later"
