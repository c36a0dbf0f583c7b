"""Long ranges of a daily report read with asynchronous report tasks instead of sync windows.

A year of ad-level history is 13 sync windows per advertiser, each of as many pages as it has
rows / 1000; one asynchronous task (Doc 1740302766489602: no date-range limit, no paging, CSV
output) reads it in a handful of requests. `report_mode` decides:

- `sync`: never.
- `async`: the whole range of every daily report whose data tasks can give.
- `auto`: the part of the range that ends 2 days ago, when it is longer than 90 days (first
  syncs, backfills); the recent days, which async data may not have yet ("refreshed once
  every several hours", "the data for the current day may be inaccurate"), by sync.

Tasks are created up front for every advertiser of the stream (1 QPS and 4,500 a day per app:
`quotas.py`; 500 per advertiser and hour: `TaskQuota`), their ids kept in the stream's state,
so that a killed run resumes with the same tasks instead of creating them again, while their
data is as final as a new task's would be (`AsyncReads._as_fresh_as_now`); each is polled
with growing waits, its CSV downloaded to a temporary file (memory stays flat), checked, and
read back into the rows the sync path types. A task the run no longer needs (superseded by a
new range, its advertiser refused, waited for too long) is canceled. When tasks cannot give
a range (refused, failed, a file that does not read), it is read by sync windows instead,
of the days sync mode reads (audience ones sized, audience_windows.py).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import tempfile
import time
from dataclasses import dataclass, replace
from functools import cached_property
from typing import IO, TYPE_CHECKING, Any

from tap_tiktok_ads.bookmarks import state_entry
from tap_tiktok_ads.dates import DateWindow, local_now, local_today, utc_now
from tap_tiktok_ads.errors import TikTokFatalError
from tap_tiktok_ads.metrics import AUDIENCE_DIMENSIONS
from tap_tiktok_ads.report_csv import ReportFileError, check_file, report_rows
from tap_tiktok_ads.report_definitions import Granularity
from tap_tiktok_ads.report_tasks import ReportTaskClient, TaskStatus, TaskUnusableError

if TYPE_CHECKING:
    import logging
    from collections.abc import Callable, Iterator
    from concurrent.futures import Future

NOT_ALLOWLISTED = 40118  # reference 1.7: app or advertiser not on the allowlist
STATE_KEY = "report_tasks"  # the stream's state: advertiser ID -> its task
AUTO_MIN_DAYS = 90  # auto: more than 3 sync windows of 30 days (inferred threshold)
RECENT_SYNC_DAYS = 2  # auto: today and yesterday by sync; async data lags (Doc 1740302766489602)
POLL_FIRST_WAIT_SECONDS = 0.5
POLL_MAX_WAIT_SECONDS = 30.0
TASK_WAIT_LIMIT_SECONDS = 3 * 3600.0  # then the range is read by sync requests (inferred)
# Doc 1740302766489602: UV metrics are not allowed with audience dimensions in async tasks
# (the audience dimensions are the metric registry's `metrics.AUDIENCE_DIMENSIONS`).
UV_METRICS = frozenset(
    {
        "average_video_play_per_user",
        "frequency",
        "cost_per_1000_reached",
        "real_time_result",
        "real_time_result_rate",
        "real_time_cost_per_result",
        "result",
        "result_rate",
        "cost_per_result",
        "reach",
        "live_play_count",
    }
)


@dataclass
class TaskPart:
    """The range of one advertiser read by one task, and how that went."""

    advertiser_id: str
    start: dt.date
    end: dt.date
    task_id: str | None = None
    created_at: str | None = None
    fallback: str | None = None  # why this range is read by sync requests after all
    resumed: bool = False  # a task of an earlier run, still valid

    @property
    def window(self) -> DateWindow:
        """The days the task covers."""
        return DateWindow(self.start, self.end)


class AsyncReads:
    """The asynchronous side of one report stream (see the module's docstring)."""

    def __init__(
        self,
        stream: Any,  # noqa: ANN401 - a ReportStream (which imports this module)
        plan_of: Callable[[str], Any],
        read_sync: Callable[
            [str, DateWindow], Iterator[tuple[DateWindow, Iterator[dict[str, Any]]]]
        ],
    ) -> None:
        """Keep the stream, its per-advertiser read plans and its sync reader (the fallback).

        `read_sync` reads a range as sync mode does, by windows of the stream's own sizes
        (an audience report's sized for the advertiser, audience_windows.py).
        """
        self.stream = stream
        self.plan_of = plan_of
        self.read_sync = read_sync
        self.client = ReportTaskClient(stream)
        self._parts: dict[str, TaskPart | None] = {}
        self._superseded: list[dict[str, Any]] = []
        self._prepared = False
        self._state_checked = False  # the state's tasks, once checked (`_stored`)
        self._order: list[TaskPart] = []  # the parts in the order their rows are read
        self._fetches: dict[str, Future[IO[bytes]]] = {}  # advertiser -> its file, read ahead

    @property
    def logger(self) -> logging.Logger:
        """The stream's logger."""
        return self.stream.logger  # type: ignore[no-any-return]

    # --- which ranges -----------------------------------------------------------------

    @cached_property
    def unusable(self) -> str | None:
        """Why this stream is read by sync requests only; None when tasks may read it."""
        settings = self.stream.runtime.settings
        if settings.report_mode == "sync":
            return "report_mode is sync"
        reason = self._unusable_report()
        if reason and settings.report_mode == "async":
            self.logger.info("%s is read with sync requests: %s.", self.stream.name, reason)
        return reason

    def _unusable_report(self) -> str | None:
        definition = self.stream.definition
        if definition.synchronous_only:
            return "TikTok reads GMV max ads (TT_SHOP) reports synchronously only"
        if definition.granularity is not Granularity.DAY:
            return "only daily reports are read with asynchronous report tasks"
        if self.stream.runtime.settings.include_deleted:
            return "asynchronous report tasks cannot include deleted ads (ID filters only)"
        if len(self.stream.metric_chunks) > 1:
            return "more than 100 metrics are selected"
        uv = sorted(UV_METRICS.intersection(self.stream.selected_metrics))
        if uv and AUDIENCE_DIMENSIONS.intersection(definition.dimensions):
            return (
                f"TikTok's tasks refuse UV metrics ({', '.join(uv)}) with audience dimensions "
                "(Doc 1740302766489602)"
            )
        return None

    def sync_plan(self, advertiser_id: str, plan: Any) -> Any:  # noqa: ANN401 - a ReadPlan
        """The part of the advertiser's plan left to sync requests."""
        part = self._part(advertiser_id)
        if part is None:
            return plan
        return replace(plan, start=part.end + dt.timedelta(days=1))

    def _part(self, advertiser_id: str) -> TaskPart | None:
        """The advertiser's task range on this run, decided once."""
        if advertiser_id not in self._parts:
            if self.unusable:
                self._supersede(advertiser_id)  # a task of an earlier run, in another mode
                self._parts[advertiser_id] = None
            else:
                self._parts[advertiser_id] = self._decide(advertiser_id)
        return self._parts[advertiser_id]

    def may_read(self, plan: Any) -> bool:  # noqa: ANN401 - a ReadPlan
        """Whether a task may read part of this plan (asked before the zone is known)."""
        return not self.unusable and self._task_end(plan) >= plan.start

    def _task_end(self, plan: Any) -> dt.date:  # noqa: ANN401 - a ReadPlan
        """The plan's last day a task reads; before its first day when none does."""
        end: dt.date = plan.end
        if self.stream.runtime.settings.report_mode == "auto":
            recent = local_today(plan.timezone) - dt.timedelta(days=RECENT_SYNC_DAYS)
            end = min(end, recent, plan.final_through)  # days not final are read by sync
            if (end - plan.start).days + 1 <= AUTO_MIN_DAYS:
                end = plan.start - dt.timedelta(days=1)
        return end

    def _decide(self, advertiser_id: str) -> TaskPart | None:
        plan = self.plan_of(advertiser_id)
        end = self._task_end(plan)
        stored = self._stored().get(advertiser_id)
        if end < plan.start:
            if stored is not None:
                self._supersede(advertiser_id)
            return None
        part = TaskPart(advertiser_id, plan.start, end)
        if stored is not None:
            if self._reusable(stored, part, plan):
                part.end = dt.date.fromisoformat(stored["end_date"])
                part.task_id, part.created_at = str(stored["task_id"]), stored.get("created_at")
            else:
                self._supersede(advertiser_id)
        return part

    def _query(self, part: TaskPart) -> dict[str, Any]:
        """The sync report's parameters for this range: the task's query."""
        context = {
            "advertiser_id": part.advertiser_id,
            "metric_chunk": 0,
            "start_date": part.start.isoformat(),
            "end_date": part.end.isoformat(),
        }
        return self.stream.request_params(context)  # type: ignore[no-any-return]

    def _signature(self, part: TaskPart) -> str:
        """What a task asks for besides its dates: a stored task is reused only if equal."""
        query = {
            k: v
            for k, v in self._query(part).items()
            if k not in {"start_date", "end_date", "advertiser_id"}
        }
        text = json.dumps(query, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    def _reusable(self, stored: dict[str, Any], part: TaskPart, plan: Any) -> bool:  # noqa: ANN401
        """A stored task of the same query and start, within the part, as final as a new one."""
        try:
            start = dt.date.fromisoformat(stored["start_date"])
            end = dt.date.fromisoformat(stored["end_date"])
            created = dt.datetime.fromisoformat(stored["created_at"])
        except (KeyError, TypeError, ValueError):
            return False
        same = stored.get("query") == self._signature(part)
        in_range = start == part.start and part.start <= end <= part.end
        return same and in_range and self._as_fresh_as_now(created, plan)

    def _as_fresh_as_now(self, created: dt.datetime, plan: Any) -> bool:  # noqa: ANN401
        """Whether a task created at `created` holds data as final as one created now would.

        A task's file holds the data of its creation, and the bookmark moves past every day
        of its range that is final now: later runs re-read only the attribution window before
        the bookmark. A sync read never bookmarks past its own local day, so neither may a
        task's data: a task is reused on the advertiser's local day it was created, and only
        while no further day has become final since (it holds that day unfinished). A later
        run creates a new task (TikTok's limits allow one per advertiser and day easily).
        """
        zone = plan.timezone
        same_day = local_now(zone, created).date() == local_today(zone)
        return same_day and self.stream.final_through(zone, created) == plan.final_through

    # --- state ------------------------------------------------------------------------

    def _stored(self) -> dict[str, Any]:
        """The stream's stored tasks, read without creating a state entry.

        An entry of a hand-edited state that holds no task ID is dropped with a warning, as
        the TopView checks' are ignored: its range is read as if it were not there.
        """
        tasks = self.stream.stored_stream_state().get(STATE_KEY)
        if not isinstance(tasks, dict):
            return {}
        if not self._state_checked:
            self._state_checked = True
            for advertiser_id, stored in list(tasks.items()):
                if not isinstance(stored, dict) or not stored.get("task_id"):
                    self.logger.warning(
                        "%s: the state's %s entry of advertiser %s is %r, not a task as the tap "
                        "writes it (an object with its task_id): ignored.",
                        self.stream.name,
                        STATE_KEY,
                        advertiser_id,
                        stored,
                    )
                    del tasks[advertiser_id]
        return tasks

    def _store(self, part: TaskPart) -> None:
        tasks = state_entry(self.stream.stream_state, STATE_KEY, dict)
        tasks[part.advertiser_id] = {
            "task_id": part.task_id,
            "start_date": part.start.isoformat(),
            "end_date": part.end.isoformat(),
            "query": self._signature(part),
            "created_at": part.created_at,
        }

    def _forget(self, advertiser_id: str) -> None:
        tasks = self._stored()
        if advertiser_id not in tasks:
            return
        del tasks[advertiser_id]
        if not tasks:
            self.stream.stream_state.pop(STATE_KEY, None)

    def _supersede(self, advertiser_id: str) -> None:
        """A stored task this run does not use: canceled once the run starts reading."""
        stored = self._stored().get(advertiser_id)
        if stored is not None:
            self._superseded.append({"advertiser_id": advertiser_id, **stored})
            self._forget(advertiser_id)

    def _write_state(self) -> None:
        """A STATE message now, so that a run killed from here on finds its tasks."""
        self.stream.state_manager.is_flushed = False
        self.stream._write_state_message()  # noqa: SLF001 - the SDK's one STATE writer

    # --- tasks ------------------------------------------------------------------------

    def _prepare(self) -> None:
        """Before the first advertiser's rows: cancel superseded tasks, create the others."""
        if self._prepared:
            return
        self._prepared = True
        parts = [
            part
            for partition in self.stream.partitions or []
            if (part := self._part(partition["advertiser_id"])) is not None
        ]
        for stored in self._superseded:
            self._cancel(stored["advertiser_id"], str(stored.get("task_id")), "superseded")
        for part in parts:
            self._start(part)
        self._order = parts
        if not parts and not self._superseded:
            return
        if parts:
            self.logger.info(
                "%s: %d advertiser range(s) read with asynchronous report tasks "
                "(report_mode %s), %d created, %d resumed.",
                self.stream.name,
                len(parts),
                self.stream.runtime.settings.report_mode,
                sum(1 for part in parts if part.task_id and not part.resumed),
                sum(1 for part in parts if part.resumed),
            )
        self._write_state()

    def _start(self, part: TaskPart) -> None:
        """Keep a resumed task that TikTok still has; otherwise create one.

        A refusal falls back to sync requests: if it concerns the advertiser, those meet it
        too and the run handles it as for any report. TikTok allowlists async reports (Doc
        1738864800380930): once it says the app is not allowlisted (40118), no further task
        is asked for in this run.
        """
        quota = self.stream.runtime.task_quota
        if self.stream.runtime.failures.advertiser_failed(part.advertiser_id):
            return
        if part.task_id is not None:
            try:
                check = self.client.check(part.advertiser_id, part.task_id)
            except (TikTokFatalError, TaskUnusableError):
                check = None
            if check is not None and (check.status.pending or check.status is TaskStatus.SUCCESS):
                part.resumed = True
                return
            part.task_id = None
        if quota.unavailable is not None:
            part.fallback = quota.unavailable
            return
        try:
            part.task_id = self.client.create(self._query(part))
        except TaskUnusableError as exc:
            part.fallback = str(exc)
            return
        except TikTokFatalError as exc:
            part.fallback = str(exc)
            if exc.code == NOT_ALLOWLISTED:
                quota.unavailable = (
                    f"TikTok did not allowlist this app for asynchronous reports ({exc})"
                )
            return
        part.created_at = utc_now().isoformat()
        self._store(part)

    def _cancel(self, advertiser_id: str, task_id: str, why: str) -> None:
        """Cancel a task if it is still queued or processing (the only ones TikTok cancels)."""
        try:
            if self.client.check(advertiser_id, task_id).status.pending:
                self.client.cancel(advertiser_id, task_id)
                self.logger.info(
                    "Canceled asynchronous report task %s of advertiser %s (%s).",
                    task_id,
                    advertiser_id,
                    why,
                )
        except (TikTokFatalError, TaskUnusableError) as exc:
            self.logger.info("Could not cancel task %s (%s): %s", task_id, why, exc)

    def _wait(self, part: TaskPart) -> None:
        """Poll until the task succeeded, with waits that double up to 30 s."""
        assert part.task_id is not None  # noqa: S101 - only started parts are waited for
        wait, deadline = POLL_FIRST_WAIT_SECONDS, time.monotonic() + TASK_WAIT_LIMIT_SECONDS
        stopping = self.stream.runtime.stopping
        with self.client.request_counter(part.advertiser_id) as polls:
            while True:
                check = self.client.check(part.advertiser_id, part.task_id, polls)
                if check.status is TaskStatus.SUCCESS:
                    return
                if not check.status.pending:
                    reason = check.message or "no reason"
                    msg = f"task {part.task_id} is {check.status.value}: {reason}"
                    raise TaskUnusableError(msg)
                if time.monotonic() + wait > deadline:
                    self._cancel(part.advertiser_id, part.task_id, "waited too long")
                    msg = f"task {part.task_id} was not done after {TASK_WAIT_LIMIT_SECONDS:.0f} s"
                    raise TaskUnusableError(msg)
                stopping.wait(wait)
                wait = min(wait * 2, POLL_MAX_WAIT_SECONDS)

    # --- rows -------------------------------------------------------------------------

    def ranges(self, advertiser_id: str) -> Iterator[tuple[DateWindow, Iterator[dict[str, Any]]]]:
        """The advertiser's task range with its rows, or its sync windows if tasks cannot.

        Each range is complete once its rows are consumed: the caller moves the bookmark.
        """
        part = self._part(advertiser_id)
        self._prepare()
        if part is None:
            return
        if part.task_id is not None and part.fallback is None:
            try:
                rows = self._task_rows(part)
            except (TaskUnusableError, ReportFileError) as exc:
                part.fallback = str(exc)
            else:
                yield part.window, rows
                return
        self.logger.warning(
            "%s, advertiser %s, %s to %s: read with sync requests instead of an asynchronous "
            "report task: %s.",
            self.stream.name,
            advertiser_id,
            part.start,
            part.end,
            part.fallback,
        )
        self._forget(advertiser_id)
        yield from self.read_sync(advertiser_id, part.window)

    def _task_rows(self, part: TaskPart) -> Iterator[dict[str, Any]]:
        """The task's file (waited for and downloaded ahead if it can be); its rows, lazily.

        While this advertiser's rows are emitted, the next advertiser's task is waited for and
        its file downloaded on a worker thread, as sync windows are read ahead.
        """
        ahead = self._fetches.pop(part.advertiser_id, None)
        self._fetch_next(part)
        file = ahead.result() if ahead is not None else self._fetch(part)
        return self._rows_then_forget(part, file)

    def _fetch_next(self, current: TaskPart) -> None:
        """Start fetching the file of the next advertiser's task, if a worker pool runs."""
        executor = self.stream.runtime.executor
        started = [part for part in self._order if part.task_id and part.fallback is None]
        index = next((i for i, p in enumerate(started) if p is current), None)
        if executor is None or index is None or index + 1 >= len(started):
            return
        upcoming = started[index + 1]
        if upcoming.advertiser_id not in self._fetches:
            self._fetches[upcoming.advertiser_id] = executor.submit(self._fetch, upcoming)

    def _fetch(self, part: TaskPart) -> IO[bytes]:
        """Wait for the task, download its file and check it (safe on a worker thread)."""
        assert part.task_id is not None  # noqa: S101 - only started parts are fetched
        self._wait(part)
        file = tempfile.TemporaryFile()  # noqa: SIM115 - closed when its rows are read
        try:
            self.client.download(part.advertiser_id, part.task_id, file)
            check_file(file, self.stream.definition.dimensions, self._query(part)["metrics"])
        except BaseException:
            file.close()
            raise
        return file

    def _rows_then_forget(self, part: TaskPart, file: IO[bytes]) -> Iterator[dict[str, Any]]:
        """The file's rows; once all are read, the task leaves the state."""
        definition = self.stream.definition
        try:
            yield from report_rows(file, definition.dimensions, self._query(part)["metrics"])
        finally:
            file.close()
        self._forget(part.advertiser_id)
