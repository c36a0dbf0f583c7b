"""Slow report queries: timeouts, refusals of oversized queries, and TikTok's punishments.

"Reporting performance improvements" (Doc 1757262274182145):
- Scenario 2: 10 timed-out requests of the app within 10 s lower its QPS limit to 5 for
  5 minutes; 20 lower it to 1, 30 to 0.
- Scenario 3: the same request retried with three or more timeouts within 10 minutes is
  blocked for 10 minutes.
- Scenario 4: a daily timeout rate over 80 % "in a certain scenario" blocks the app's
  requests in that scenario. Its example is a scenario: the audience's age and gender over
  30 days with more than 20,000 IDs returned.
- Its advice for audience queries (at most 5,000 IDs over 3 days, 2,000 over 7) says that the
  cost of a query grows with the IDs returned and the days queried.

Inferred, for the fake: a query's cost is entities x days x breakdown buckets
(`ReportEngine.cost`); one above `timeout_cost` times out, and TikTok's answer to it is code
51010 "Internal service timeout" (return codes, reference 1.7); one above `refuse_cost` is
refused at once with 40067, "query too large" (reported by users of Airbyte's connector,
5.1.0; reference 1.7, 2.11, secondary). A blocked request is answered with 40100 at once.
"Same request" means the same path and parameters, page included. Every punishment is
noted in the request log (`RequestLog.punishments`) so that tests can assert there was none.
Inferred: `gmv_max/report/get/` is judged by the same rules (its cost: `gmv_max.query_cost`).

Inferred for Scenario 4: a scenario (query shape, `query_shape`) is the report type, data
level, dimensions, number of days (or lifetime) and which ID filters are used; not the
advertiser, the metrics or the page. The rate counts the queries of the shape that TikTok
computed on one day of the fake's clock (answered or timed out; refused and blocked ones do
not count), and it takes `shape_min_requests` of them (a rate over a day needs a volume; 20
by default, configurable so tests stay small). A blocked shape is answered with 40100 until
the day ends.
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from tests.fake_api.request import ApiError
from tests.fake_api.request_log import Punishment

if TYPE_CHECKING:
    from datetime import date

    from tests.fake_api.report_query import ReportQuery
    from tests.fake_api.request import ApiRequest
    from tests.fake_api.request_log import RequestLog

TIMEOUT_CODE = 51010  # reference 1.7: "internal timeout"; that a slow report gets it: inferred
TOO_LARGE_CODE = 40067  # reference 1.7 and 2.11 (secondary: Airbyte 5.1.0 "query too large")
BLOCKED_CODE = 40100  # inferred: the app-level throttling code (reference 1.7)
TIMEOUT_MESSAGE = "Internal service timeout. Please reduce the query range and try again."
TOO_LARGE_MESSAGE = "Query too large. Please narrow the date range or filter by IDs."
BLOCKED_MESSAGE = "This request timed out repeatedly and is blocked for 10 minutes on your app."
SHAPE_BLOCKED_MESSAGE = (
    "Requests of this kind timed out on more than 80% of today's calls and are blocked on "
    "your app for the rest of the day. Please reduce the query range or the IDs queried."
)

COUNT_WINDOW_SECONDS = 10.0  # Scenario 2: timeouts counted over 10 s
# Scenario 2: (timeouts in 10 s, lowered QPS limit), the harshest first.
QPS_STEPS = ((30, 0), (20, 1), (10, 5))
QPS_PUNISHMENT_SECONDS = 300.0  # Scenario 2: 5 minutes
REPEAT_TIMEOUTS = 3  # Scenario 3: three or more timeouts of the same request...
REPEAT_WINDOW_SECONDS = 600.0  # ...within 10 minutes...
BLOCK_SECONDS = 600.0  # ...block it for 10 minutes
SHAPE_BLOCK_RATE = 0.8  # Scenario 4: "daily timeout rate exceeds 80%"
SHAPE_MIN_REQUESTS = 20  # inferred (module doc)


def query_shape(query: ReportQuery) -> str:
    """The scenario of Scenario 4 a report query belongs to (inferred, module doc)."""
    days = (
        "lifetime"
        if query.lifetime or query.start is None or query.end is None
        else ((query.end - query.start).days + 1)
    )
    filters = sorted(dimension for dimension, _ in query.id_filters)
    parts = [query.report_type.value, query.level.value, sorted(query.dimensions), days, filters]
    return json.dumps(parts, default=str)


@dataclass
class _ShapeDay:
    """One shape's queries and timeouts on one day."""

    day: date
    requests: int = 0
    timeouts: int = 0
    blocked: bool = False


def request_key(request: ApiRequest) -> str:
    """What makes two requests "the same request": the path and every parameter."""
    return request.path + json.dumps(request.params, sort_keys=True, default=str)


class TimeoutRules:
    """Which report queries time out or are refused, and the punishments that follow."""

    def __init__(self, log: RequestLog) -> None:
        """No query times out until `configure` sets a cost limit."""
        self._log = log
        self._lock = threading.Lock()
        self.timeout_cost: int | None = None
        self.refuse_cost: int | None = None
        self.timeout_seconds = 0.0
        self._timeouts: deque[float] = deque()
        self._by_request: dict[str, deque[float]] = {}
        self._blocked: dict[str, float] = {}  # request key -> monotonic end of the block
        self._lowered: tuple[int, float] | None = None  # QPS limit, monotonic end
        self._served: deque[float] = deque()
        self._shapes: dict[str, _ShapeDay] = {}
        self.shape_min_requests = SHAPE_MIN_REQUESTS

    def configure(
        self,
        *,
        timeout_cost: int | None = None,
        refuse_cost: int | None = None,
        timeout_seconds: float = 0.0,
        shape_min_requests: int = SHAPE_MIN_REQUESTS,
    ) -> None:
        """Queries above `timeout_cost` time out after `timeout_seconds`; above `refuse_cost`
        they are refused with 40067. None turns a rule off. A shape is judged on its daily
        timeout rate from `shape_min_requests` queries on."""
        with self._lock:
            self.timeout_cost = timeout_cost
            self.refuse_cost = refuse_cost
            self.timeout_seconds = timeout_seconds
            self.shape_min_requests = shape_min_requests

    def admit(self, app_id: str) -> str | None:
        """None when a call may go on; else the message of the lowered QPS limit (40100)."""
        now = time.monotonic()
        with self._lock:
            if self._lowered is None or now >= self._lowered[1]:
                self._lowered = None
                return None
            limit = self._lowered[0]
            while self._served and now - self._served[0] >= 1.0:
                self._served.popleft()
            if len(self._served) >= limit:
                return f"App [{app_id}] reaches the QPS limit {limit}, current QPS is {len(self._served) + 1}"
            self._served.append(now)
            return None

    def judge(self, request: ApiRequest, cost: int, shape: str = "") -> None:
        """Raise TikTok's answer when this query is blocked, too large or times out.

        `shape` is the query's scenario (`query_shape`), judged on its daily timeout rate.
        """
        key = request_key(request)
        now = time.monotonic()
        with self._lock:
            if self._blocked.get(key, 0.0) > now:
                raise ApiError(BLOCKED_CODE, BLOCKED_MESSAGE)
            today = self._shape_day(shape, request.api.now().date())
            if today.blocked:
                raise ApiError(BLOCKED_CODE, SHAPE_BLOCKED_MESSAGE)
            if self.refuse_cost is not None and cost > self.refuse_cost:
                raise ApiError(TOO_LARGE_CODE, TOO_LARGE_MESSAGE)
            today.requests += 1
            if self.timeout_cost is None or cost <= self.timeout_cost:
                return
            today.timeouts += 1
            self._note_timeout(key, now)
            self._judge_shape(shape, today, now)
            delay = self.timeout_seconds
        request.api.pause(delay)
        raise ApiError(TIMEOUT_CODE, TIMEOUT_MESSAGE)

    def _shape_day(self, shape: str, day: date) -> _ShapeDay:
        """The shape's counts of `day`; a new day starts from nothing (lock held)."""
        counts = self._shapes.get(shape)
        if counts is None or counts.day != day:
            counts = self._shapes[shape] = _ShapeDay(day)
        return counts

    def _judge_shape(self, shape: str, today: _ShapeDay, now: float) -> None:
        """Scenario 4: block the shape for the day past 80 % timeouts (lock held)."""
        if today.requests < self.shape_min_requests:
            return
        if today.timeouts <= SHAPE_BLOCK_RATE * today.requests:
            return
        today.blocked = True
        detail = f"{today.timeouts} of {today.requests} timed out today: shape blocked: {shape}"
        self._log.punish(Punishment("shape_blocked", now, detail))

    def shape_counts(self, shape: str) -> tuple[int, int]:
        """(queries, timeouts) of a shape on its latest day, for tests."""
        with self._lock:
            counts = self._shapes.get(shape)
            return (0, 0) if counts is None else (counts.requests, counts.timeouts)

    def _note_timeout(self, key: str, now: float) -> None:
        """Count a timeout for the app and for the request; punish like TikTok (lock held)."""
        self._timeouts.append(now)
        while now - self._timeouts[0] >= COUNT_WINDOW_SECONDS:
            self._timeouts.popleft()
        for threshold, limit in QPS_STEPS:
            if len(self._timeouts) < threshold:
                continue
            if self._lowered is None or self._lowered[0] > limit:
                self._lowered = (limit, now + QPS_PUNISHMENT_SECONDS)
                detail = f"{len(self._timeouts)} timeouts in 10 s: QPS limit {limit} for 5 min"
                self._log.punish(Punishment("qps_lowered", now, detail))
            break
        times = self._by_request.setdefault(key, deque())
        times.append(now)
        while now - times[0] >= REPEAT_WINDOW_SECONDS:
            times.popleft()
        if len(times) >= REPEAT_TIMEOUTS:
            self._blocked[key] = now + BLOCK_SECONDS
            detail = f"{len(times)} timeouts of one request in 10 min: blocked 10 min: {key}"
            self._log.punish(Punishment("request_blocked", now, detail))

    def state(self) -> dict[str, Any]:
        """Counts for tests: timeouts in the last 10 s and requests blocked now."""
        now = time.monotonic()
        with self._lock:
            recent = sum(1 for moment in self._timeouts if now - moment < COUNT_WINDOW_SECONDS)
            blocked = sum(1 for until in self._blocked.values() if until > now)
        return {"recent_timeouts": recent, "blocked_requests": blocked}
