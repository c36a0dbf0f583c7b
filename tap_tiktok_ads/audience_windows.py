"""Audience windows sized from what each account returned, within TikTok's guidance.

"Reporting performance improvements" (Doc 1757262274182145), Scenario 4: an audience query
over 3 days should return at most 5,000 IDs, over 7 days at most 2,000 (`AUDIENCE_GUIDANCE`,
query_size.py). So an advertiser's audience windows are sized from the IDs (at the report's
level) its windows returned in the run before, which the stream's state keeps
(`STATE_KEY`); without, from the IDs the run listed for the account (an account over the ad
cap, id_batches.py), else the stream's 7 days.

A run sizes all of an advertiser's windows when it plans them, and what they return sizes
the next run's: windows read ahead, in parallel, cannot wait for the answers of the windows
before them, and sizes taken from answers as they come would depend on which came first. So
windows, bookmarks and STATE messages are the same at any concurrency, and every STATE stays
a resume point. The state keeps the window of the run that asks for the shortest windows (the
latest of those), and only where they are shorter than the stream's: an account within the
guidance leaves the state as it was.

A range read otherwise (an asynchronous report task, async_reads.py) counts its rows' IDs by
the windows a sync read of it would have asked for (`WindowIds`), so that it sizes the next
run as those windows would have.

Inferred: the IDs a query returns grow at most in proportion to its days, so a window that
returned n IDs over m days predicts at most n IDs over fewer days and n x d / m over d > m
days.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from tap_tiktok_ads.bookmarks import state_entry
from tap_tiktok_ads.dates import DateWindow, day_of, windows
from tap_tiktok_ads.query_size import AUDIENCE_GUIDANCE, audience_window_days

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator, Mapping

# A sized audience stream's state: per advertiser, the IDs its last window returned and its days.
STATE_KEY = "audience_ids"


def days_for(ids: int, days: int, longest: int) -> int:
    """The most days (at most `longest`) whose predicted IDs stay within TikTok's guidance.

    `ids` were returned over `days` days.
    """
    candidates = sorted({min(longest, d) for _, d in AUDIENCE_GUIDANCE} | {1}, reverse=True)
    for candidate in candidates:
        predicted = ids if candidate <= days else -(-ids * candidate // max(days, 1))
        if audience_window_days(predicted, longest) >= candidate:
            return candidate
    return 1


@dataclass(frozen=True)
class Returned:
    """The IDs one audience window of an advertiser returned, over its days."""

    ids: int
    days: int

    def window_days(self, longest: int) -> int:
        """The days of the windows these IDs ask for (`days_for`)."""
        return days_for(self.ids, self.days, longest)

    def to_state(self) -> dict[str, int]:
        """As the stream's state keeps it."""
        return {"ids": self.ids, "days": self.days}

    @classmethod
    def from_state(cls, value: object) -> Returned | None:
        """One kept in the state; None when it is not one (a hand-edited value is ignored)."""
        if not isinstance(value, dict):
            return None
        ids, days = _count(value.get("ids")), _count(value.get("days"))
        if ids is None or days is None or days < 1:
            return None
        return cls(ids, days)


@dataclass
class WindowIds:
    """The distinct IDs of a range's rows, by its windows of `days` days (the last may be shorter).

    Rows may come in any order (a task's file); the counts come in window order, every
    window's, also those without rows: as the windows read one by one would have returned.
    """

    span: DateWindow
    days: int
    _ids: dict[int, set[object]] = field(default_factory=dict)
    _window_of_day: dict[str, int] = field(default_factory=dict)  # a row's day -> its window

    def add(self, days: Iterable[str], ids: Iterable[object]) -> None:
        """Count rows by their day (`stat_time_day`) and ID."""
        window_of_day = self._window_of_day
        for day, id_value in zip(days, ids, strict=True):
            index = window_of_day.get(day)
            if index is None:
                index = window_of_day[day] = (day_of(day) - self.span.start).days // self.days
            self._ids.setdefault(index, set()).add(id_value)

    def returned(self) -> Iterator[Returned]:
        """What each window returned, in date order."""
        for index, window in enumerate(windows(self.span.start, self.span.end, self.days)):
            yield Returned(len(self._ids.get(index, ())), window.days)


def _count(value: object) -> int | None:
    """A whole number of at least 0 (JSON's, so not a bool), else None."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        return None
    return value


def remembered(stream_state: Mapping[str, Any], advertiser_id: str) -> Returned | None:
    """What the advertiser's audience windows returned in an earlier run, if the state says."""
    kept = stream_state.get(STATE_KEY)
    return Returned.from_state(kept.get(advertiser_id)) if isinstance(kept, dict) else None


def remember(
    stream_state: dict[str, Any], advertiser_id: str, returned: Returned, longest: int
) -> None:
    """Keep a window's IDs for the next run; forget them when they ask for no shorter windows."""
    if returned.window_days(longest) < longest:
        state_entry(stream_state, STATE_KEY, dict)[advertiser_id] = returned.to_state()
        return
    kept = stream_state.get(STATE_KEY)
    if isinstance(kept, dict):
        kept.pop(advertiser_id, None)
        if not kept:
            del stream_state[STATE_KEY]
