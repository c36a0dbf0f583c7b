"""TikTok blocks a kind of report query that times out too often in a day: stay well below.

"Reporting performance improvements" (Doc 1757262274182145), Scenario 4: "If your daily
timeout rate exceeds 80% in a certain scenario, then we will block the request on your
developer app in this scenario." Its example of a scenario is the audience's age and gender
over 30 days with more than 20,000 IDs returned.

Inferred: a scenario (a query shape) is what a query asks for, not whose data: report type,
data level, dimensions, the number of days (or lifetime) and which ID filters it uses; the
advertiser, metrics and page are not part of it. Smaller windows or ID batches are therefore
other shapes. The client counts the report requests of each shape per UTC day, and once a
shape has timed out `AVOID_AFTER_TIMEOUTS` times on at least `AVOID_RATE` of its requests,
the report stream reads its windows smaller from the start instead of sending that shape
again (so its rate stops growing far below 80 %). A slow account or two leaves the others'
queries as they are. Inferred, too: the counts live for one run; TikTok's day may see more
runs.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlsplit

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

TIKTOK_BLOCK_RATE = 0.8  # Doc 1757262274182145, Scenario 4: "exceeds 80%"
AVOID_RATE = 0.5  # inferred: well below TikTok's rate
AVOID_AFTER_TIMEOUTS = 3  # inferred: one or two slow accounts do not resize everyone's windows


def _decoded(value: Any) -> Any:  # noqa: ANN401 - a JSON-in-query parameter
    if not isinstance(value, str):
        return value
    try:
        return json.loads(value)
    except ValueError:
        return value


def query_shape(params: Mapping[str, Any]) -> str:
    """The shape of a report query, from its parameters (decoded or as sent)."""
    values = {key: _decoded(value) for key, value in params.items()}
    if values.get("query_lifetime") or "start_date" not in values:
        days: int | str = "lifetime"
    else:
        start = dt.date.fromisoformat(str(values["start_date"]))
        days = (dt.date.fromisoformat(str(values["end_date"])) - start).days + 1
    filtering = values.get("filtering")
    filters = sorted(
        str(item.get("field_name"))
        for item in (filtering if isinstance(filtering, list) else [])
        if isinstance(item, dict) and str(item.get("field_name", "")).endswith("_ids")
    )
    dimensions = sorted(str(name) for name in values.get("dimensions") or [])
    parts = [values.get("report_type"), values.get("data_level"), dimensions, days, filters]
    return json.dumps(parts)


def shape_of_url(url: str) -> str:
    """The shape of a report request, from its URL."""
    return query_shape(dict(parse_qsl(urlsplit(url).query)))


@dataclass
class _Counts:
    day: dt.date
    requests: int = 0
    timeouts: int = 0


class ShapeWatch:
    """Report requests and timeouts per shape and UTC day; which shapes to stop sending."""

    def __init__(self, today: Callable[[], dt.date]) -> None:
        """Count per day of `today` (UTC)."""
        self._today = today
        self._lock = threading.Lock()
        self._shapes: dict[str, _Counts] = {}

    def _counts(self, shape: str) -> _Counts:
        today = self._today()
        counts = self._shapes.get(shape)
        if counts is None or counts.day != today:
            counts = self._shapes[shape] = _Counts(today)
        return counts

    def answered(self, shape: str, *, timed_out: bool) -> None:
        """One report request of `shape` was answered, or timed out."""
        with self._lock:
            counts = self._counts(shape)
            counts.requests += 1
            counts.timeouts += timed_out

    def avoid(self, shape: str) -> str | None:
        """Why `shape` should not be sent again today; None when it may be."""
        with self._lock:
            counts = self._counts(shape)
            if counts.timeouts < AVOID_AFTER_TIMEOUTS:
                return None
            if counts.timeouts < AVOID_RATE * counts.requests:
                return None
            return (
                f"{counts.timeouts} of {counts.requests} queries of this kind timed out today; "
                f"TikTok blocks a kind of query past {TIKTOK_BLOCK_RATE:.0%} "
                "(Doc 1757262274182145)"
            )
