"""Asynchronous report tasks: create, check, download and cancel.

Transcribed from TikTok's reference pages:
- `POST report/task/create/` (Doc 1740302766489602): same report parameters as the sync
  report, but no limit on the date range, no paging, filters only by `campaign_ids`,
  `adgroup_ids`, `ad_ids` (20,000 IDs at most); UV metrics are refused with audience
  dimensions; `output_format` `CSV_STRING` (default); `enable_report_title_translation`
  (default true) translates the title row; 1 QPS per app, 500 tasks per ad account per hour;
  a task is valid 30 days; data is refreshed every several hours (today's may be inaccurate);
  `country_code` comes back as the country's name (a known issue).
- `GET report/task/check/` (Doc 1740302781443073): `status` QUEUING, PROCESSING, SUCCESS,
  FAILED (with `message`) or CANCELED.
- `GET report/task/download/` (Doc 1740302808815618): the CSV file stream.
- `POST report/task/cancel/` (Doc 1803615367145537): only a QUEUING or PROCESSING task;
  answers `status: CANCELED`, an error otherwise.
- 4,500 tasks per app per day (Doc 1738864817670145).

The rows are those of the synchronous report's engine for the same query, as of the last
data refresh before the task was created; the CSV carries the sync answer's value strings
(inferred: the reference shows no untranslated file), one column per requested dimension
then per metric, in the order asked.
"""

from __future__ import annotations

import csv
import io
import itertools
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from tests.fake_api.report_query import parse_report_query
from tests.fake_api.request import PARAMETER_ERROR, ApiError
from tests.fake_api.routes import RawAnswer, register

if TYPE_CHECKING:
    from collections.abc import Iterator

    from tests.fake_api.report_query import ReportQuery
    from tests.fake_api.request import ApiRequest
    from tests.fake_api.server import FakeTikTokApi

# Statuses of Doc 1740302781443073.
QUEUING, PROCESSING, SUCCESS, FAILED, CANCELED = (
    "QUEUING",
    "PROCESSING",
    "SUCCESS",
    "FAILED",
    "CANCELED",
)
CREATE_QPS = 1.0  # Doc 1740302766489602: "the rate limit for each app is 1 QPS"
TASKS_PER_ADVERTISER_PER_HOUR = 500  # Doc 1740302766489602, per ad account and user
TASKS_PER_APP_PER_DAY = 4500  # Doc 1738864817670145
TASK_VALID_FOR = timedelta(days=30)  # Doc 1740302766489602
DATA_REFRESH_HOURS = 4  # "refreshed once every several hours" (Doc 1740302766489602; 4 inferred)
TOO_FREQUENT = 40016  # reference 1.7: requests too frequent (endpoint limit); inferred here
NOT_READY = 40201  # reference 1.7: task not ready
NOT_ALLOWLISTED = 40118  # reference 1.7: app or advertiser not on the allowlist
NO_SUCH_TASK = 40007  # reference 1.7: object does not exist; inferred for unknown/expired tasks
ROWS_PER_CHUNK = 1000
# Doc 1740302766489602: "Querying UV metrics with audience dimensions is not supported".
AUDIENCE_DIMENSIONS = frozenset(
    {
        "gender",
        "age",
        "country_code",
        "ac",
        "language",
        "platform",
        "interest_category",
        "placement",
        "contextual_tag",
    }
)
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
# The names the CSV carries for the fake's country codes (buckets.SPLITS), as ISO 3166
# short names; the known issue of Doc 1740302766489602 (`US` comes back `United States`).
COUNTRY_NAMES = {
    "BR": "Brazil",
    "DE": "Germany",
    "GB": "United Kingdom",
    "JP": "Japan",
    "US": "United States",
}
# Translated titles seen in the reference's example file (Doc 1740302808815618); other
# names are title-cased with their underscores as spaces (inferred).
TITLES = {
    "campaign_id": "Campaign ID",
    "campaign_name": "Campaign Name",
    "adgroup_id": "Ad Group ID",
    "adgroup_name": "Ad Group Name",
    "ad_id": "AD ID",
    "age": "Age",
    "gender": "Gender",
    "spend": "Cost",
    "impressions": "Impression",
    "clicks": "Click",
}


@dataclass
class Task:
    """One asynchronous report task."""

    task_id: str
    advertiser_id: str
    token: str | None
    query: ReportQuery
    translate_titles: bool
    created_at: datetime  # server clock, for the 30-day validity
    data_as_of: datetime  # the data refresh the task reads
    started: float  # time.monotonic() at creation, for the lifecycle
    queue_seconds: float  # the board's timing when the task was created
    processing_seconds: float
    failure: str | None = None
    canceled: bool = False


@dataclass
class TaskBoard:
    """Every task of one fake server, with the lifecycle's timing and the creation limits.

    `queue_seconds` and `processing_seconds` set how long a task created from then on stays
    QUEUING, then PROCESSING. `refusals` lists every creation refused for a limit, so that tests can
    assert there were none.
    """

    queue_seconds: float = 0.05
    processing_seconds: float = 0.2
    create_qps: float = CREATE_QPS
    # Doc 1738864800380930: "Asynchronous report is currently an allowlist-only feature".
    allowlisted: bool = True
    per_advertiser_per_hour: int = TASKS_PER_ADVERTISER_PER_HOUR
    per_app_per_day: int = TASKS_PER_APP_PER_DAY
    refusals: list[str] = field(default_factory=list)
    tasks: dict[str, Task] = field(default_factory=dict)
    _fail_next: deque[str] = field(default_factory=deque)
    # Answers outside the reference, to test how odd ones are handled (inferred faults, no
    # rule of TikTok's): checks answering a status Doc 1740302781443073 does not list, and
    # creations answering code 0 without the `task_id` Doc 1740302766489602 promises.
    _odd_statuses: deque[str] = field(default_factory=deque)
    _creations_without_id: int = 0
    _created: deque[tuple[float, str]] = field(default_factory=deque)  # monotonic, advertiser
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(7_300_000_001))
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def fail_next(self, message: str = "Internal error, please retry.") -> None:
        """The next task created ends FAILED with this message."""
        with self._lock:
            self._fail_next.append(message)

    def odd_status_next(self, status: str = "RUNNING", n: int = 1) -> None:
        """The next `n` checks answer `status`, which Doc 1740302781443073 does not list."""
        with self._lock:
            self._odd_statuses.extend([status] * n)

    def no_task_id_next(self, n: int = 1) -> None:
        """The next `n` admitted creations answer code 0 with no `task_id` (no task made)."""
        with self._lock:
            self._creations_without_id += n

    def odd_status(self) -> str | None:
        """The odd status this check answers, if one is set."""
        with self._lock:
            return self._odd_statuses.popleft() if self._odd_statuses else None

    def without_task_id(self) -> bool:
        """Whether this creation answers without a `task_id`."""
        with self._lock:
            if self._creations_without_id <= 0:
                return False
            self._creations_without_id -= 1
            return True

    def status(self, task: Task) -> str:
        """The task's status now: by the time since it was created."""
        if task.canceled:
            return CANCELED
        elapsed = time.monotonic() - task.started
        if elapsed < task.queue_seconds:
            return QUEUING
        if elapsed < task.queue_seconds + task.processing_seconds:
            return PROCESSING
        return FAILED if task.failure else SUCCESS

    def canceled(self) -> list[Task]:
        """Tasks canceled so far."""
        with self._lock:
            return [task for task in self.tasks.values() if task.canceled]

    def admit(self, advertiser_id: str, arrival: float) -> str | None:
        """Why a task may not be created (a limit), or None; counts it if admitted.

        Counted at the request's arrival, as TikTok counts: not after the fake's latency.
        """
        now = arrival
        with self._lock:
            while self._created and now - self._created[0][0] >= 86_400:
                self._created.popleft()
            last_second = sum(1 for moment, _ in self._created if now - moment < 1.0)
            last_hour = sum(
                1
                for moment, owner in self._created
                if owner == advertiser_id and now - moment < 3600
            )
            reason = None
            if last_second >= self.create_qps:
                reason = f"report/task/create/ is limited to {self.create_qps:g} QPS per app"
            elif last_hour >= self.per_advertiser_per_hour:
                reason = (
                    f"advertiser {advertiser_id} reached {self.per_advertiser_per_hour} "
                    "asynchronous report tasks in one hour"
                )
            elif len(self._created) >= self.per_app_per_day:
                reason = f"the app reached {self.per_app_per_day} asynchronous report tasks today"
            if reason is not None:
                self.refusals.append(reason)
                return reason
            self._created.append((now, advertiser_id))
            return None

    def add(self, request: ApiRequest, query: ReportQuery, *, translate_titles: bool) -> Task:
        """Record a new task."""
        now = request.api.now()
        refreshed = now.replace(
            hour=now.hour - now.hour % DATA_REFRESH_HOURS, minute=0, second=0, microsecond=0
        )
        with self._lock:
            task = Task(
                task_id=str(next(self._ids)),
                advertiser_id=query.advertiser_id,
                token=request.token,
                query=query,
                translate_titles=translate_titles,
                created_at=now,
                data_as_of=refreshed,
                started=time.monotonic(),
                queue_seconds=self.queue_seconds,
                processing_seconds=self.processing_seconds,
                failure=self._fail_next.popleft() if self._fail_next else None,
            )
            self.tasks[task.task_id] = task
        return task

    def find(self, request: ApiRequest) -> Task:
        """The task named by `advertiser_id` and `task_id`, if this token may still see it."""
        advertiser_id = request.text("advertiser_id", required=True) or ""
        task_id = request.text("task_id", required=True) or ""
        request.require_advertiser(advertiser_id)
        with self._lock:
            task = self.tasks.get(task_id)
        if (
            task is None
            or task.advertiser_id != advertiser_id
            or task.token != request.token
            or request.api.now() - task.created_at > TASK_VALID_FOR
        ):
            raise ApiError(NO_SUCH_TASK, f"Task {task_id} does not exist or has expired.")
        return task


def board(api: FakeTikTokApi) -> TaskBoard:
    """The server's task board."""
    return api.report_tasks


def _create_rules(request: ApiRequest) -> bool:
    """The parameters the sync report does not have; returns whether titles are translated."""
    if request.params.get("advertiser_ids") is not None:
        raise ApiError(PARAMETER_ERROR, "advertiser_ids: the fake serves advertiser_id only.")
    report_type = request.text("report_type")
    if report_type == "PLAYABLE_MATERIAL":
        message = "Playable ads reports are not supported in asynchronous reports."
        raise ApiError(PARAMETER_ERROR, message)
    output_format = request.text("output_format") or "CSV_STRING"
    if output_format != "CSV_STRING":
        raise ApiError(PARAMETER_ERROR, "output_format: the fake serves CSV_STRING only.")
    for name in ("page", "page_size"):
        if request.params.get(name) is not None:
            raise ApiError(PARAMETER_ERROR, f"{name}: paging is not supported in async reports.")
    return request.flag("enable_report_title_translation", default=True)


def report_task_create(request: ApiRequest) -> dict[str, Any]:
    """Validate like the sync report (without its range and filter limits), then queue."""
    if request.method != "POST":
        raise ApiError(PARAMETER_ERROR, "report/task/create/ takes POST.")
    if not board(request.api).allowlisted:
        message = "The app is not on the allowlist of asynchronous reports."
        raise ApiError(NOT_ALLOWLISTED, message)
    translate_titles = _create_rules(request)
    query, _, _ = parse_report_query(request, asynchronous=True)
    request.require_advertiser(query.advertiser_id)
    uv = sorted(UV_METRICS.intersection(query.metrics))
    if uv and AUDIENCE_DIMENSIONS.intersection(query.dimensions):
        raise ApiError(
            PARAMETER_ERROR,
            f"Querying UV metrics {uv} with audience dimensions is not supported in "
            "asynchronous reports.",
        )
    tasks = board(request.api)
    refused = tasks.admit(query.advertiser_id, request.arrival or time.monotonic())
    if refused is not None:
        raise ApiError(TOO_FREQUENT, f"Requests made too frequently: {refused}.")
    if tasks.without_task_id():
        return {}
    task = tasks.add(request, query, translate_titles=translate_titles)
    return {"task_id": task.task_id}


def report_task_check(request: ApiRequest) -> dict[str, Any]:
    """The task's status; a FAILED task also says why."""
    tasks = board(request.api)
    task = tasks.find(request)
    status = tasks.odd_status() or tasks.status(task)
    return {"status": status, "message": task.failure if status == FAILED else ""}


def report_task_cancel(request: ApiRequest) -> dict[str, Any]:
    """Cancel a QUEUING or PROCESSING task; any other status is an error (inferred code)."""
    tasks = board(request.api)
    task = tasks.find(request)
    status = tasks.status(task)
    if status not in {QUEUING, PROCESSING}:
        raise ApiError(
            PARAMETER_ERROR,
            f"Task {task.task_id} is {status}; only queued or processing tasks can be canceled.",
        )
    task.canceled = True
    return {"status": CANCELED}


def report_task_download(request: ApiRequest) -> RawAnswer:
    """The CSV of a task that succeeded, streamed page by page from the report engine."""
    tasks = board(request.api)
    task = tasks.find(request)
    status = tasks.status(task)
    if status != SUCCESS:
        raise ApiError(NOT_READY, f"Task is not ready: its status is {status}.")
    return RawAnswer("text/csv; charset=utf-8", _csv_chunks(request.api, task))


def _title(name: str, *, translate: bool) -> str:
    if not translate:
        return name
    return TITLES.get(name) or name.replace("_", " ").title()


def _csv_chunks(api: FakeTikTokApi, task: Task) -> Iterator[bytes]:
    """The title row, then the rows of 1,000 at a time: the file is never held whole."""
    query = task.query
    columns = [*query.dimensions, *query.metrics]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([_title(name, translate=task.translate_titles) for name in columns])
    engine = api.data.engine
    for page in itertools.count(1):
        total, rows = engine.page(query, task.data_as_of, page, ROWS_PER_CHUNK)
        for row in rows:
            dimensions, metrics = row["dimensions"], row["metrics"]
            values = [dimensions[name] for name in query.dimensions]
            if "country_code" in query.dimensions:
                index = query.dimensions.index("country_code")
                values[index] = COUNTRY_NAMES.get(values[index], values[index])
            writer.writerow([*values, *(metrics[name] for name in query.metrics)])
        yield buffer.getvalue().encode()
        buffer.seek(0)
        buffer.truncate()
        if page * ROWS_PER_CHUNK >= total:
            return


register("report/task/create/", report_task_create, methods=("POST",))
register("report/task/check/", report_task_check)
register("report/task/download/", report_task_download)
register("report/task/cancel/", report_task_cancel, methods=("POST",))
