"""What the fake was asked, for assertions: every request, and requests per second."""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import dataclass
from typing import Any

from tests.fake_api.routes import normalize_path


@dataclass(frozen=True)
class RequestRecord:
    """One request and how it was answered."""

    method: str
    path: str  # relative to /open_api/v1.3/
    params: dict[str, Any]
    time: float  # wall clock (epoch seconds) at arrival
    monotonic: float  # monotonic clock at arrival, for rate checks
    http_status: int
    code: int | None  # envelope code; None when no JSON envelope was sent
    request_id: str | None
    fault: str | None  # the injected fault kind, if one fired
    token: str | None


@dataclass(frozen=True)
class Punishment:
    """A penalty TikTok imposes on the app for timeouts (timeouts.py), for assertions."""

    kind: str  # "qps_lowered", "request_blocked" or "shape_blocked"
    monotonic: float
    detail: str


class RequestLog:
    """A thread-safe, append-only list of `RequestRecord`s, and the punishments imposed."""

    def __init__(self) -> None:
        """Start empty."""
        self._lock = threading.Lock()
        self._records: list[RequestRecord] = []
        self._punishments: list[Punishment] = []

    def punish(self, punishment: Punishment) -> None:
        """Note a punishment (a lowered QPS limit, a blocked request)."""
        with self._lock:
            self._punishments.append(punishment)

    def punishments(self) -> list[Punishment]:
        """Every punishment so far, in order."""
        with self._lock:
            return list(self._punishments)

    def add(self, record: RequestRecord) -> None:
        """Append one record."""
        with self._lock:
            self._records.append(record)

    def snapshot(self) -> list[RequestRecord]:
        """A copy of every record so far, in arrival order of completion."""
        with self._lock:
            return list(self._records)

    def clear(self) -> None:
        """Forget every record."""
        with self._lock:
            self._records.clear()
            self._punishments.clear()

    def count(self, path: str | None = None, *, code: int | None = None) -> int:
        """How many requests hit `path` (all paths if None), optionally with one code."""
        wanted = normalize_path(path) if path else None
        return sum(
            1
            for record in self.snapshot()
            if (wanted is None or record.path == wanted) and (code is None or record.code == code)
        )

    def per_second(self) -> dict[int, int]:
        """Requests per wall-clock second (epoch second -> count)."""
        return dict(sorted(Counter(int(record.time) for record in self.snapshot()).items()))

    def peak_rate(self, window: float = 1.0) -> int:
        """The most requests that arrived within any sliding window of `window` seconds."""
        return most_within([record.monotonic for record in self.snapshot()], window)


def most_within(times: list[float], seconds: float) -> int:
    """The most moments within any `seconds` (a window open at its end, as TikTok counts).

    The arrivals of `peak_rate`, and any other moments a test counts by the same rule.
    """
    times = sorted(times)
    best, start = 0, 0
    for end, moment in enumerate(times):
        while moment - times[start] >= seconds:
            start += 1
        best = max(best, end - start + 1)
    return best
