"""Audience windows sized from what each account returns, within TikTok's guidance.

"Reporting performance improvements" (Doc 1757262274182145), Scenario 4: an audience query
over 3 days should return at most 5,000 IDs, over 7 days at most 2,000 (`AUDIENCE_GUIDANCE`,
query_size.py). So the days of each audience window of an advertiser come from the IDs (at
the report's level) its previous window returned; before any, from the IDs the run listed
for the account (an account over the ad cap, id_batches.py), else the stream's 7 days.

Inferred: the IDs a query returns grow at most in proportion to its days, so a window that
returned n IDs over m days predicts at most n IDs over fewer days and n x d / m over d > m
days. Windows change size only at window boundaries and the bookmark still moves at the end
of each window, so every STATE stays a resume point.
"""

from __future__ import annotations

import datetime as dt
import math
import threading
from typing import TYPE_CHECKING

from tap_tiktok_ads.dates import DateWindow
from tap_tiktok_ads.query_size import AUDIENCE_GUIDANCE, audience_window_days

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator


def days_for(ids: int, days: int, longest: int) -> int:
    """The most days (at most `longest`) whose predicted IDs stay within TikTok's guidance.

    `ids` were returned over `days` days.
    """
    candidates = sorted({min(longest, d) for _, d in AUDIENCE_GUIDANCE} | {1}, reverse=True)
    for candidate in candidates:
        predicted = ids if candidate <= days else math.ceil(ids * candidate / max(days, 1))
        if audience_window_days(predicted, longest) >= candidate:
            return candidate
    return 1


def sized_windows(
    start: dt.date, end: dt.date, next_days: Callable[[], int]
) -> Iterator[DateWindow]:
    """Consecutive windows covering start..end once, each as long as `next_days()` says then."""
    current = start
    while current <= end:
        window_end = min(current + dt.timedelta(days=max(1, next_days()) - 1), end)
        yield DateWindow(current, window_end)
        current = window_end + dt.timedelta(days=1)


class AudienceSizer:
    """Each advertiser's audience window days, from the IDs its windows returned."""

    def __init__(self, longest: int) -> None:
        """Windows of at most `longest` days (the stream's own limit)."""
        self.longest = longest
        self._days: dict[str, int] = {}
        self._lock = threading.Lock()

    def days(self, advertiser_id: str, first: int) -> int:
        """Days of the advertiser's next window; `first` before any window returned."""
        with self._lock:
            return self._days.get(advertiser_id, min(first, self.longest))

    def observe(self, advertiser_id: str, days: int, ids: int) -> int | None:
        """A window of `days` days returned `ids` IDs; the new days when windows get shorter."""
        sized = days_for(ids, days, self.longest)
        with self._lock:
            before = self._days.get(advertiser_id, self.longest)
            self._days[advertiser_id] = sized
        return sized if sized < min(before, days) else None
