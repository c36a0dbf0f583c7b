"""The app-level QPS cap (reference 1.8): calls beyond it are answered with 40100."""

from __future__ import annotations

import threading
import time
from collections import deque

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
