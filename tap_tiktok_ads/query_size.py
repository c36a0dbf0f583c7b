"""Report queries too heavy for TikTok: never repeat one into a block; split it; slow down.

"Reporting performance improvements" (Doc 1757262274182145): 10 timeouts of an app within
10 s lower its QPS limit to 5 for 5 minutes (20: to 1, 30: to 0); the same request timing
out three or more times within 10 minutes is blocked for 10 minutes. So a report query that
timed out (51010, "Internal timeout", official SDK's code list) or was refused as too large
(40067, "query too large", seen by Airbyte's connector users; secondary) is not sent again
unchanged: the report stream reads it in smaller parts instead (half the date window, then
ID batches). Only a query that cannot be made smaller is asked again, and at most twice in
10 minutes in all. An HTTP 504 or no answer within `request_timeout_seconds` to the first page
of a report query is the same timeout seen from outside (inferred: TikTok's gateway gives up
on the slow report): it is split and counted too, not retried unchanged. Later pages of a
report come from the report TikTok already made (Doc 1757262274182145, Scenario 1 note:
"subsequent requests with the same query parameters but different page numbers can be
returned quickly"), so their faults stay transient and are retried.

The client also counts timeouts per 10 s like TikTok and, at half of
TikTok's threshold, lowers its own request rate (`RateLimiter.slow_down`) before TikTok
lowers it.

Inferred: that TikTok answers a slow report with 51010 (its reference names no code).
"""

from __future__ import annotations

import collections
import threading
import time
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, urlsplit

from tap_tiktok_ads.envelope import response_body

if TYPE_CHECKING:
    from collections.abc import Callable

    import requests

    from tap_tiktok_ads.transport import RateLimiter

TIMEOUT_CODE = 51010  # "Internal timeout" (official SDK tiktok_code.py)
TOO_LARGE_CODE = 40067  # "query too large" (Airbyte source-tiktok-marketing 5.1.0)
HEAVY_CODES = frozenset({TIMEOUT_CODE, TOO_LARGE_CODE})
GATEWAY_TIMEOUT = 504  # HTTP 504: the gateway gave up waiting for the report (inferred)
COUNT_WINDOW_SECONDS = 10.0  # Doc 1757262274182145, Scenario 2: timeouts counted per 10 s
# TikTok lowers the app's QPS at 10 timeouts in 10 s; the client slows down at half that.
OWN_SLOW_DOWN_AT = 5
REPEAT_WINDOW_SECONDS = 600.0  # Scenario 3: 3 timeouts of one request in 10 min block it...
MAX_TIMEOUTS_PER_REQUEST = 2  # ...so no request is sent again after its second


# Doc 1757262274182145, Scenario 4: an audience query over 7 days should return at most 2,000
# IDs, over 3 days at most 5,000.
AUDIENCE_GUIDANCE = ((2_000, 7), (5_000, 3))


def audience_window_days(ids: int, longest: int) -> int:
    """Days per audience request for an account with `ids` IDs at the report's level.

    Inferred beyond the guidance: more IDs than it covers are read one day at a time (and
    a day still too heavy is read in ID batches).
    """
    for most_ids, days in AUDIENCE_GUIDANCE:
        if ids <= most_ids:
            return min(days, longest)
    return 1


class QueryTooHeavy(Exception):  # noqa: N818 - TikTok's verdict on the query, not a tap error
    """TikTok timed out on a report query or refused it as too large: ask for less."""

    def __init__(self, reason: str, request_key: str, *, timed_out: bool = True) -> None:
        """Keep why (TikTok's code and message, or the HTTP timeout) and which request it was.

        `timed_out` is False for a query refused at once as too large (40067).
        """
        super().__init__(reason)
        self.request_key = request_key
        self.timed_out = timed_out


def is_first_page(url: str) -> bool:
    """Whether a report request asks for its first page (the one TikTok computes the report for)."""
    return parse_qs(urlsplit(url).query).get("page", ["1"]) == ["1"]


def heavy_answer(response: requests.Response, redact: Callable[[str], str]) -> QueryTooHeavy | None:
    """The verdict when an answer says the query was too heavy; None for any other answer.

    51010 and 40067 come with HTTP 200; HTTP 504 counts on a first page only (module doc).
    """
    key = response.request.url or ""
    if response.status_code == GATEWAY_TIMEOUT and is_first_page(key):
        return QueryTooHeavy(f"HTTP {GATEWAY_TIMEOUT} (gateway timeout)", key)
    if response.status_code != 200:  # noqa: PLR2004 - TikTok's codes come with HTTP 200
        return None
    try:
        body = response_body(response)
    except ValueError:
        return None
    code = body.get("code")
    if code not in HEAVY_CODES:
        return None
    reason = f"TikTok error {code}: {redact(str(body.get('message', '')))}"
    return QueryTooHeavy(reason, key, timed_out=code == TIMEOUT_CODE)


def no_answer(url: str, seconds: float) -> QueryTooHeavy | None:
    """The verdict on a first report page that got no answer within `seconds`; else None."""
    if not is_first_page(url):
        return None
    return QueryTooHeavy(f"no answer within {seconds:g} s (read timeout)", url)


class TimeoutWatch:
    """Counts heavy answers per run, per 10 s and per request, like TikTok does."""

    def __init__(self, limiter: RateLimiter, clock: Callable[[], float] = time.monotonic) -> None:
        """Slow `limiter` down when timeouts bunch up."""
        self._limiter = limiter
        self._clock = clock
        self._lock = threading.Lock()
        self._recent: collections.deque[float] = collections.deque()
        self._per_request: dict[str, collections.deque[float]] = {}
        self._heavy_days: dict[str, int] = {}
        self.timeouts = 0
        self.slow_downs = 0
        self.held_seconds = 0.0

    def note(self, request_key: str) -> None:
        """One heavy answer to this request; slow the whole client down when they bunch up."""
        with self._lock:
            now = self._clock()
            self.timeouts += 1
            self._recent.append(now)
            while now - self._recent[0] >= COUNT_WINDOW_SECONDS:
                self._recent.popleft()
            times = self._per_request.setdefault(request_key, collections.deque())
            times.append(now)
            while now - times[0] >= REPEAT_WINDOW_SECONDS:
                times.popleft()
            bunched = len(self._recent) >= OWN_SLOW_DOWN_AT
            if bunched:
                self.slow_downs += 1
        if bunched:
            self._limiter.slow_down()

    def wait_turn(self, stopping: threading.Event) -> None:
        """Before a report query: while timeouts bunch up, wait until they are 10 s old.

        TikTok counts the app's timeouts per 10 s (Scenario 2); holding back at half its
        threshold leaves room for the requests already in flight.
        """
        while not stopping.is_set():
            with self._lock:
                now = self._clock()
                while self._recent and now - self._recent[0] >= COUNT_WINDOW_SECONDS:
                    self._recent.popleft()
                if len(self._recent) < OWN_SLOW_DOWN_AT:
                    return
                delay = self._recent[0] + COUNT_WINDOW_SECONDS - now
                self.held_seconds += delay
            stopping.wait(delay)

    def too_heavy_days(self, key: str) -> int | None:
        """The fewest days of a window of `key` (stream and advertiser) TikTok found too heavy."""
        with self._lock:
            return self._heavy_days.get(key)

    def note_too_heavy_days(self, key: str, days: int) -> None:
        """A window of `days` days of `key` was too heavy: later ones start smaller."""
        with self._lock:
            self._heavy_days[key] = min(days, self._heavy_days.get(key, days))

    def may_repeat(self, request_key: str) -> bool:
        """Whether this request may be sent again without risking TikTok's 10-minute block."""
        with self._lock:
            now = self._clock()
            times = self._per_request.get(request_key, collections.deque())
            recent = sum(1 for moment in times if now - moment < REPEAT_WINDOW_SECONDS)
        return recent < MAX_TIMEOUTS_PER_REQUEST
