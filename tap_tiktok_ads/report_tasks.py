"""TikTok's asynchronous report tasks: create, check, download and cancel one task.

- `POST report/task/create/` (Doc 1740302766489602) takes the sync report's parameters in a
  JSON body, without paging and without a limit on the date range; answers `task_id`.
- `GET report/task/check/` (Doc 1740302781443073): `status` QUEUING, PROCESSING, SUCCESS,
  FAILED (with `message`) or CANCELED.
- `GET report/task/download/` (Doc 1740302808815618): with `output_format` `CSV_STRING` (the
  default), the CSV file stream itself.
- `POST report/task/cancel/` (Doc 1803615367145537): a QUEUING or PROCESSING task.

Every call goes through the stream's session (the run's rate limit, and for creations their
own: 1 QPS and 4,500 a day per app, `quotas.py`, and a second from the previous creation's
answer, `task_quota.py`), its retries and its envelope checks.
"""

from __future__ import annotations

import enum
import functools
import json
from dataclasses import dataclass
from typing import IO, TYPE_CHECKING, Any

from requests import exceptions as requests_exceptions
from singer_sdk import metrics

from tap_tiktok_ads.client import RetryBudget
from tap_tiktok_ads.envelope import checked_body, response_data
from tap_tiktok_ads.errors import TikTokFatalError
from tap_tiktok_ads.transport import HostUnreachableError, RunStoppedError

if TYPE_CHECKING:
    from collections.abc import Callable

    import requests

    from tap_tiktok_ads.client import TikTokStream

CREATE_PATH = "/report/task/create/"
CHECK_PATH = "/report/task/check/"
DOWNLOAD_PATH = "/report/task/download/"
CANCEL_PATH = "/report/task/cancel/"
_CHUNK_BYTES = 1 << 16
QUOTA_SPENT = "TikTok's limit of 500 task creations per advertiser and hour"
_SHOWN_CHARS = 200  # of an odd answer's `data`, in the warning that says what TikTok answered


class TaskUnusableError(RuntimeError):
    """A task that will not give its range: failed, canceled, too slow, or answered oddly.

    Oddly: a creation or a check answered in a way the reference does not describe. Not a
    `TikTokRetriableError`: asking again would not make the task usable, and past the retries
    nothing would catch it; the caller reads the range by sync requests instead.
    """


class TaskStatus(str, enum.Enum):
    """`status` of `report/task/check/` (Doc 1740302781443073)."""

    QUEUING = "QUEUING"
    PROCESSING = "PROCESSING"
    SUCCESS = "SUCCESS"
    FAILED = "FAILED"
    CANCELED = "CANCELED"

    @property
    def pending(self) -> bool:
        """Queued or processing: worth waiting for, and the states that can be canceled."""
        return self in {TaskStatus.QUEUING, TaskStatus.PROCESSING}


@dataclass(frozen=True)
class TaskCheck:
    """A task's status and, when it failed, TikTok's reason."""

    status: TaskStatus
    message: str = ""


class ReportTaskClient:
    """The four task endpoints, through one stream's request machinery."""

    def __init__(self, stream: TikTokStream) -> None:
        """Send with this stream's session, token, retries and error handling."""
        self.stream = stream

    def create(self, query: dict[str, Any]) -> str:
        """Create a task for this report query; its `task_id`.

        Titles untranslated, so that the CSV's columns are the field names (Doc
        1740302766489602 recommends `enable_report_title_translation: false`).
        """
        body = {**query, "output_format": "CSV_STRING", "enable_report_title_translation": False}
        advertiser_id = str(query["advertiser_id"])
        attempt = functools.partial(self._create_attempt, advertiser_id)
        data = self._call("POST", CREATE_PATH, body, send=attempt)
        task_id = data.get("task_id")
        if not task_id:
            shown = json.dumps(data, default=str)[:_SHOWN_CHARS]
            msg = f"TikTok's answer to {CREATE_PATH} carried no task_id (its data: {shown})"
            raise TaskUnusableError(self.stream.runtime.redactor(msg))
        return str(task_id)

    def _create_attempt(
        self, advertiser_id: str, prepared: requests.PreparedRequest, _context: object
    ) -> requests.Response:
        """One creation attempt, counted toward the advertiser's 500 an hour before it is sent.

        An attempt left unanswered may have created the task: it stays counted, and the
        creation is asked again (within the retry budget). TikTok lists no tasks, so the first
        one, if TikTok made it, cannot be found; it is never read and expires after 30 days
        (Doc 1740302766489602). With no creation left this hour, the range is read with sync
        requests (the caller's fallback). Attempts take turns, a second from the previous
        answer (`TaskQuota.turn`), so that no network delay brings two within TikTok's second.
        """
        quota = self.stream.runtime.task_quota
        if not quota.reserve(advertiser_id):
            raise TikTokFatalError(QUOTA_SPENT, where=CREATE_PATH)
        try:
            with quota.turn(self.stream.runtime.stopping):
                return self._send(prepared, CREATE_PATH)
        except (requests_exceptions.ConnectTimeout, HostUnreachableError, RunStoppedError):
            quota.release(advertiser_id)  # never reached TikTok
            raise
        except requests_exceptions.RequestException as exc:
            self.stream.logger.warning(
                "No answer to the creation of a report task for advertiser %s (%s); TikTok "
                "may have created it. Asking again; both attempts count toward its 500 "
                "creations an hour.",
                advertiser_id,
                self.stream.runtime.redactor(str(exc)),
            )
            raise

    def check(
        self, advertiser_id: str, task_id: str, counter: metrics.Counter | None = None
    ) -> TaskCheck:
        """The task's status now; the call counted in `counter` when given."""
        fields = {"advertiser_id": advertiser_id, "task_id": task_id}
        data = self._call("GET", CHECK_PATH, fields, counter=counter)
        try:
            status = TaskStatus(str(data.get("status")))
        except ValueError:
            answered = str(data.get("status"))[:_SHOWN_CHARS]
            msg = (
                f"TikTok's answer to {CHECK_PATH} for task {task_id} has an unknown status "
                f"{answered!r} (Doc 1740302781443073 lists {', '.join(TaskStatus)})"
            )
            raise TaskUnusableError(self.stream.runtime.redactor(msg)) from None
        return TaskCheck(status, str(data.get("message") or ""))

    def cancel(self, advertiser_id: str, task_id: str) -> None:
        """Cancel a queued or processing task."""
        self._call("POST", CANCEL_PATH, {"advertiser_id": advertiser_id, "task_id": task_id})

    def download(self, advertiser_id: str, task_id: str, into: IO[bytes]) -> None:
        """Write the task's CSV into `into`, chunk by chunk, never holding it whole.

        An attempt that breaks off is retried from the start of the file.
        """

        def fetch(prepared: requests.PreparedRequest, _context: object) -> requests.Response:
            into.seek(0)
            into.truncate()
            response = self.stream.requests_session.send(
                prepared, timeout=self.stream.timeout, stream=True
            )
            with response:
                if response.headers.get("Content-Type", "").startswith("application/json"):
                    self._check(response, DOWNLOAD_PATH)
                    msg = f"TikTok answered {DOWNLOAD_PATH} with JSON, not the CSV file"
                    raise TikTokFatalError(msg, where=DOWNLOAD_PATH)
                checked_status(response, DOWNLOAD_PATH)
                for chunk in response.iter_content(_CHUNK_BYTES):
                    into.write(chunk)
            into.flush()
            return response

        fields = {"advertiser_id": advertiser_id, "task_id": task_id}
        self._call("GET", DOWNLOAD_PATH, fields, send=fetch)

    # --- one call ---------------------------------------------------------------------

    def _call(
        self,
        method: str,
        path: str,
        fields: dict[str, Any],
        *,
        send: Callable[[requests.PreparedRequest, object], requests.Response] | None = None,
        counter: metrics.Counter | None = None,
    ) -> dict[str, Any]:
        """One call with the stream's retries; `data` of its envelope (empty for a file).

        `fields` (the query or body) name the advertiser. The call is counted in `counter`, or
        in a counter of its own.
        """
        stream, advertiser_id = self.stream, str(fields["advertiser_id"])
        url = stream.url_base + path
        if method == "POST":
            prepared = stream.build_prepared_request(
                method=method, url=url, json=fields, headers=stream.http_headers
            )
        else:
            prepared = stream.build_prepared_request(
                method=method, url=url, params=fields, headers=stream.http_headers
            )
        settings = stream.runtime.settings
        budget = RetryBudget.start(settings.max_retries, settings.max_retry_seconds)
        response = stream._within_budget(  # noqa: SLF001 - the stream's own retry engine
            send or (lambda request, _context: self._send(request, path)),
            budget,
            prepared,
            {"advertiser_id": advertiser_id},
        )
        if counter is not None:
            counter.increment()
        else:
            with self.request_counter(advertiser_id, path) as own:
                own.increment()
        if path == DOWNLOAD_PATH:
            return {}
        return response_data(response)

    def request_counter(self, advertiser_id: str, path: str = CHECK_PATH) -> metrics.Counter:
        """A counter in the SDK's `http_request_count`, as the SDK counts its own requests.

        One for all the checks of a task's wait, not one (and one METRIC line) per check.
        """
        counter = metrics.http_request_counter(self.stream.name, endpoint=path)
        counter.with_context({"advertiser_id": advertiser_id})
        return counter

    def _send(self, prepared: requests.PreparedRequest, path: str) -> requests.Response:
        response = self.stream.requests_session.send(prepared, timeout=self.stream.timeout)
        self._check(response, path)
        return response

    def _check(self, response: requests.Response, path: str) -> None:
        self.stream.check_envelope(response, path)


def checked_status(response: requests.Response, where: str) -> None:
    """HTTP faults of a file answer, as `checked_body` judges those of a JSON one."""
    if response.status_code >= 400:  # noqa: PLR2004
        checked_body(response, where)
