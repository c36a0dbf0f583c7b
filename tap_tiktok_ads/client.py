"""The base stream that owns TikTok's envelope, errors, retries, pagination and auth header.

Stream classes stay declarative: they say which path and parameters to send and how to turn
a row into a record; everything about talking to TikTok lives here.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import urlsplit

import backoff
import requests
from singer_sdk import RESTStream
from singer_sdk.exceptions import FatalAPIError, RetriableAPIError
from singer_sdk.metrics import DEFAULT_LOG_INTERVAL
from singer_sdk.pagination import BaseAPIPaginator
from singer_sdk.singerlib.catalog import REPLICATION_INCREMENTAL
from singer_sdk.streams.rest import PageContext
from typing_extensions import override

from tap_tiktok_ads.bookmarks import is_final_bookmark
from tap_tiktok_ads.catalog_schema import CatalogSchemaOnDemand
from tap_tiktok_ads.dates import day_of, resume_day
from tap_tiktok_ads.envelope import checked_body, response_data
from tap_tiktok_ads.errors import (
    PARTIAL_SUCCESS,
    SUCCESS_CODES,
    RetriesExhaustedError,
    TikTokFatalError,
    TikTokRetriableError,
    classify,
)
from tap_tiktok_ads.paging import Page, PageWalk, ask_until_complete
from tap_tiktok_ads.run_log import ProgressCounter, quiet_sdk_logs
from tap_tiktok_ads.transport import HostUnreachableError

if TYPE_CHECKING:
    import datetime as dt
    import logging
    from collections.abc import Callable, Generator, Iterable, Iterator, Mapping

    from singer_sdk.helpers.types import Context
    from singer_sdk.streams.rest import HTTPRequest

    from tap_tiktok_ads.runtime import Runtime

_T = TypeVar("_T")


@dataclass
class RetryBudget:
    """What one request may still cost: attempts (`max_retries` + 1) and seconds.

    One budget covers everything one page costs, the repeated request for a short page
    included, so that no page can cost several budgets.
    """

    attempts: int
    deadline: float  # time.monotonic()

    @classmethod
    def start(cls, max_retries: int, max_retry_seconds: float) -> RetryBudget:
        """A full budget, from now."""
        return cls(max_retries + 1, time.monotonic() + max_retry_seconds)

    def seconds_left(self) -> float:
        """Seconds until the deadline (never negative)."""
        return max(0.0, self.deadline - time.monotonic())

    def left(self) -> bool:
        """Whether another attempt fits."""
        return self.attempts > 0 and self.seconds_left() > 0


def _subject(context: Any) -> str:  # noqa: ANN401
    """Whose data a request was for, for error messages."""
    if not isinstance(context, dict):
        return ""
    if context.get("advertiser_id"):
        return f" for advertiser {context['advertiser_id']}"
    if context.get("business_id"):
        return f" for TikTok account {context['business_id']}"
    return ""


def encode_param(value: Any) -> Any:  # noqa: ANN401
    """TikTok wants arrays and objects as JSON text inside one query value (reference 1.3)."""
    if isinstance(value, (list, tuple, dict)):
        return json.dumps(value, separators=(",", ":"))
    if isinstance(value, bool):
        return "true" if value else "false"
    return value


class TikTokPaginator(BaseAPIPaginator[int]):
    """`page`/`page_size` pagination, one page after the other, as `PageWalk` decides."""

    def __init__(self, where: str, logger: logging.Logger, list_key: str = "list") -> None:
        """Start at page 1; the rows are in `data.<list_key>`."""
        super().__init__(1)
        self._where = where
        self._logger = logger
        self._list_key = list_key
        self._walk: PageWalk | None = None

    @override
    def get_next(self, response: requests.Response) -> int | None:
        """The next page the walk hands out, or None at the end."""
        page = Page.of(response_data(response), self._list_key)
        if self._walk is None:
            self._walk = PageWalk(page, self._where, self._logger)
        else:
            self._walk.seen(self.current_value, page)
        return next(iter(self._walk.take(1)), None)

    @property
    def totals_changed(self) -> bool:
        """Whether TikTok's totals changed while it paged (`PageWalk.totals_changed`)."""
        return self._walk is not None and self._walk.totals_changed

    @override
    def continue_if_empty(self, response: requests.Response) -> bool:
        """An empty page ends the paging only when the walk says so (past page 1's count)."""
        del response
        return True


class TikTokStream(CatalogSchemaOnDemand, RESTStream[int]):
    """Base stream for TikTok API for Business v1.3 endpoints."""

    records_jsonpath = "$.data.list[*]"
    # The key of the answer's rows in `data` (most endpoints: `list`).
    list_key = "list"
    # Only these paths carry `page_info`; others answer in one page.
    paginated = True
    # The endpoint's largest `page_size` where it takes fewer rows than the reports (each
    # stream cites its reference): pages are no larger, whatever the `page_size` setting.
    max_page_size: int | None = None
    # Whether the tap resolves the run's advertisers before this stream syncs.
    needs_advertisers = False
    # Whether an expired token (40102) is refreshed and the call repeated: only a TikTok
    # account's token can be; an expired Marketing API token stops the run.
    refreshes_tokens = False

    def __init__(self, tap: Any, runtime: Runtime, **kwargs: Any) -> None:  # noqa: ANN401
        """Keep the run-wide runtime (advertisers, rate limiter, redactor)."""
        self.runtime = runtime
        # The budget of the request each thread is sending (see `_within_budget`).
        self._budgets = threading.local()
        super().__init__(tap, **kwargs)
        quiet_sdk_logs([tap.logger, self.logger], log_metrics=runtime.settings.log_metrics)

    @property
    @override
    def url_base(self) -> str:
        """The API base URL: the configured one, or the sandbox host."""
        return self.runtime.settings.api_base_url

    @property
    @override
    def timeout(self) -> float:  # type: ignore[override]  # the SDK says int; requests takes float
        """Seconds before a request that hangs counts as failed (and is retried)."""
        return self.runtime.settings.request_timeout_seconds

    @property
    @override
    def http_headers(self) -> dict[str, str]:
        """The Access-Token header (reference 1.2: not `Authorization: Bearer`)."""
        token = self.access_token()
        return {"Access-Token": token} if token else {}

    def access_token(self) -> str | None:
        """The token for this stream's calls; organic streams use per-account tokens."""
        return self.runtime.settings.access_token

    @cached_property
    @override
    def requests_session(self) -> requests.Session:
        """Every stream shares the run's session, and so its rate limit."""
        return self.runtime.session

    @override
    def get_new_paginator(self) -> TikTokPaginator | None:
        """Page through `page_info` on paginated endpoints."""
        return TikTokPaginator(self.path, self.logger, self.list_key) if self.paginated else None

    def request_params(self, context: Context | None) -> dict[str, Any]:
        """The endpoint's parameters for this context; streams override this."""
        del context
        return {}

    @override
    def get_http_request(self, *, page: PageContext) -> HTTPRequest:
        """Build the request with TikTok's JSON-in-query encoding."""
        request = super().get_http_request(page=page)
        params = self.request_params(page.stream_context)
        if self.paginated:
            params["page"] = page.next_page_token or 1
            size = self.runtime.settings.page_size
            params["page_size"] = min(size, self.max_page_size) if self.max_page_size else size
        request.params = {key: encode_param(value) for key, value in params.items()}
        return request

    @override
    def validate_response(self, response: requests.Response) -> None:
        """Raise for HTTP faults and for a non-zero TikTok `code` in an HTTP 200 body."""
        self.check_envelope(response, self.endpoint_of(response.request))

    def endpoint_of(self, request: object) -> str:
        """The endpoint a request went to, for messages: not always the stream's `path`.

        A stream may ask other endpoints too (`campaign/get/` for a report's TopView check,
        `ad/get/` for its ID batches), and an error must name the one that failed.
        """
        url = getattr(request, "url", None)
        if not isinstance(url, str):
            return self.path
        # Paths compared, not URLs: `requests` lowercases the host and may encode the path.
        path = urlsplit(url).path
        base = urlsplit(self.url_base).path.rstrip("/")
        if not path.startswith(f"{base}/"):
            return self.path
        return path[len(base) :]

    def check_envelope(self, response: requests.Response, where: str) -> None:
        """`validate_response` for an answer of the endpoint `where` (not always `path`)."""
        body = checked_body(response, where)
        code = body.get("code")
        if (code is None or code in SUCCESS_CODES) and isinstance(body.get("data"), dict):
            if code == PARTIAL_SUCCESS:
                self.logger.warning(
                    "TikTok answered %s with 20001 (partially successful): %s; using the data "
                    "it sent",
                    where,
                    self.runtime.redactor(str(body.get("message", ""))),
                )
            self.runtime.limiter_for(where).succeeded()
            return
        if not isinstance(code, int):
            msg = f"TikTok sent an envelope without a valid `code` on {where}; will retry"
            raise TikTokRetriableError(msg, where=where)
        error = classify(
            code,
            self.runtime.redactor(str(body.get("message", ""))),
            where,
            body.get("request_id"),
            token_refreshable=self.refreshes_tokens,
        )
        if isinstance(error, TikTokRetriableError) and error.is_rate_limit:
            self.runtime.throttled(where)
        raise error

    @cached_property
    def _retrying_request(self) -> Callable[..., requests.Response]:
        return self.request_decorator(self._request)

    def fetch_page(self, context: Context, page: int) -> Page:
        """One page, with retries and the shared rate limit; safe on worker threads.

        The SDK's `request_records` walks pages one after the other; this lets a stream
        fetch pages whose numbers it already knows concurrently.
        """
        http_request = self.get_http_request(
            page=PageContext(stream_context=context, next_page_token=page)
        )
        prepared = self.build_prepared_request(
            method=http_request.method,
            url=http_request.url,
            params=http_request.encode_params(),
            headers=http_request.headers,
        )
        response = self._retrying_request(prepared, context)
        return Page.of(response_data(response), self.list_key)

    @override
    def parse_response(self, response: requests.Response) -> Iterable[dict]:
        """The rows of `data.<list_key>`."""
        rows = response_data(response).get(self.list_key) or []
        yield from rows

    @override
    def request_decorator(self, func: Callable) -> Callable:
        """Retry transient faults with exponential backoff and jitter, within one budget.

        A page short of the rows its own `page_info` promises is asked for once more, within
        what is left of the same budget (`paging.ask_until_complete`).
        """

        def call(*args: Any, **kwargs: Any) -> requests.Response:  # noqa: ANN401
            settings = self.runtime.settings
            budget = RetryBudget.start(settings.max_retries, settings.max_retry_seconds)

            def ask_again() -> bool:
                if not budget.left():
                    return False
                self.runtime.stats.count_retry()
                return True

            return ask_until_complete(
                lambda: self._within_budget(func, budget, *args, **kwargs),
                response_data,
                ask_again,
                self._warn_short,
                self.list_key,
            )

        return call

    def _within_budget(
        self,
        func: Callable,
        budget: RetryBudget,
        *args: Any,  # noqa: ANN401
        **kwargs: Any,  # noqa: ANN401
    ) -> requests.Response:
        """`func` with its transient faults retried while `budget` lasts; it spends the budget."""

        def attempt() -> requests.Response:
            budget.attempts -= 1
            return func(*args, **kwargs)  # type: ignore[no-any-return]

        # The SDK's own decorator, so that which faults are retried is the SDK's list: TikTok's
        # retriable answers are `RetriableAPIError`s. The budget reaches it through
        # `backoff_max_tries` and `backoff_wait_generator`, read on this thread at its start.
        retrying: Callable[[], requests.Response] = super().request_decorator(attempt)  # type: ignore[arg-type,assignment]
        outer, self._budgets.current = getattr(self._budgets, "current", None), budget
        started = time.monotonic()
        try:
            return retrying()
        except FatalAPIError:
            raise
        except HostUnreachableError as exc:
            seconds = time.monotonic() - started
            attempts = HostUnreachableError.RETRIES + 1
            raise RetriesExhaustedError(exc.help(attempts, seconds)) from None
        except (RetriableAPIError, requests.exceptions.RequestException, OSError) as exc:
            seconds = time.monotonic() - started
            context = args[1] if len(args) > 1 else kwargs.get("context")
            endpoint = self.endpoint_of(args[0]) if args else self.path
            msg = (
                f"Gave up on {endpoint}{_subject(context)} after {seconds:.0f} s of retries "
                f"(settings `max_retries`, `max_retry_seconds`): {exc}. TikTok or the "
                "network kept failing; run the tap again later, it resumes from its state."
            )
            where, cause = self._fault_of(exc, endpoint)
            raise RetriesExhaustedError(self.runtime.redactor(msg), where, cause) from None
        finally:
            self._budgets.current = outer

    def _fault_of(self, failure: Exception, endpoint: str) -> tuple[str, str]:
        """The path that kept failing (a token refresh, maybe, not `endpoint`) and the fault.

        The fault in words every request it hits shares (`TikTokRetriableError.cause`, or
        the kind of network error), to tell one account's lasting fault from TikTok's.
        """
        if isinstance(failure, TikTokRetriableError):
            return failure.where or endpoint, failure.cause
        request = getattr(failure, "request", None)
        where = self.endpoint_of(request) if request is not None else endpoint
        return where, type(failure).__name__

    def _warn_short(self, page: int, missing: int, outcome: str) -> None:
        """Rows may be missing from the output: say which page, how many, and what follows."""
        self.logger.warning(
            "TikTok's page %d of %s lacks %d of the rows its page_info promises; %s",
            page,
            self.path,
            missing,
            outcome,
        )

    def _budget(self) -> RetryBudget:
        """The budget of the request this thread sends; a full one outside `_within_budget`."""
        budget: RetryBudget | None = getattr(self._budgets, "current", None)
        if budget is None:
            settings = self.runtime.settings
            budget = RetryBudget.start(settings.max_retries, settings.max_retry_seconds)
        return budget

    @override
    def backoff_max_tries(self) -> int:
        """The attempts left in the request's budget (the SDK reads this once per request)."""
        return max(self._budget().attempts, 1)

    @override
    def backoff_handler(self, details: Any) -> None:
        """Nothing: `backoff_wait_generator` counts and logs each retry, without the request."""
        del details

    @override
    def backoff_wait_generator(self) -> Generator[float, Any, None]:
        """Exponential waits from `retry_initial_wait_seconds`, jittered, taken right here.

        backoff's own sleep cannot be cut short: a worker asleep in it would keep a failed
        run alive for up to `max_retry_seconds`. So each wait is taken on the run's stop
        signal and backoff is told to sleep 0; backoff sends in each failure, which is
        logged here, where the wait is known. No wait goes past the budget's deadline, and
        once it has passed the generator ends, which makes backoff give up with the fault.
        """
        deadline = self._budget().deadline
        waits = backoff.expo(base=2, factor=self.runtime.settings.retry_initial_wait_seconds)
        next(waits)  # expo's first value only answers backoff's priming
        failure = yield 0.0
        for attempt, wait in enumerate(waits, start=1):
            refused = isinstance(failure, HostUnreachableError)
            if deadline - time.monotonic() <= 0 or (
                refused and attempt > HostUnreachableError.RETRIES
            ):
                return
            seconds = max(0.0, min(self.backoff_jitter(wait), deadline - time.monotonic()))
            if refused:
                seconds = min(seconds, HostUnreachableError.MAX_WAIT_SECONDS)
            self._note_retry(attempt, seconds, failure)
            self.runtime.stopping.wait(seconds)  # a stopping run's next attempt is refused
            failure = yield 0.0

    @override
    def backoff_jitter(self, value: float) -> float:
        """Full jitter: spreads the retries of concurrent requests over the whole wait."""
        return backoff.full_jitter(value)  # type: ignore[no-any-return]

    def _note_retry(self, attempt: int, seconds: float, failure: object) -> None:
        """Count and log a retry with its cause, never the request (its URL may hold a secret)."""
        self.runtime.stats.count_retry()
        self.logger.warning(
            "Retrying %s in %.1f s (attempt %d): %s",
            self.path,
            seconds,
            attempt,
            self.runtime.redactor(str(failure)),
        )

    @override
    def response_error_message(self, response: requests.Response) -> str:
        """Status and path only: bodies and URLs may carry secrets."""
        return f"HTTP {response.status_code} on {self.endpoint_of(response.request)}"

    @override
    def get_record_counter(
        self, *, endpoint: str | None = None, log_interval: float = DEFAULT_LOG_INTERVAL
    ) -> ProgressCounter:
        """The SDK's record counter, which also feeds the run's progress lines and table."""
        return ProgressCounter(
            self, self.runtime.run_log, endpoint=endpoint, log_interval=log_interval
        )

    def partition_start(self, context: Context | None) -> tuple[str, str, str]:
        """The replication mode, whose data the partition is, and where it starts, in words.

        For the log; streams that know more (report windows) say more.
        """
        whose = _subject(context).removeprefix(" for ")
        if self.replication_method != REPLICATION_INCREMENTAL:
            return "full-table", whose, ""
        bookmark = self.resume_bookmark(context) if context else None
        start = f"changes since {bookmark}" if bookmark else "everything (no bookmark yet)"
        return "incremental", whose, start

    @override
    def get_records(self, context: Context | None) -> Iterable[dict[str, Any]]:
        """Records for one context (advertiser or account); see `request_records`."""
        yield from self.request_records(context)

    def resume_bookmark(self, context: Context) -> str | None:
        """The partition's bookmark in the state the run started with, if it resumes from it."""
        value = self.resume_state(context).get("replication_key_value")
        return None if value is None else str(value)

    def resume_day_bookmark(
        self, context: Context, timezone: str, last_final: Callable[[dt.datetime | None], dt.date]
    ) -> str | None:
        """A dated stream's bookmark as the day its read resumes from (`dates.resume_day`).

        `last_final(at)`: the stream's last final day at `at`; its bookmarks never pass it and
        are marked so (`set_bookmark(final=True)`).
        """
        state = self.resume_state(context)
        bookmark = state.get("replication_key_value")
        if bookmark is None:
            return None
        day = self.resumed_day(str(bookmark), timezone, last_final, final=is_final_bookmark(state))
        return day.isoformat()

    def resumed_day(
        self,
        bookmark: str,
        timezone: str,
        last_final: Callable[[dt.datetime | None], dt.date],
        *,
        final: bool,
    ) -> dt.date:
        """The day a read resumes from after `bookmark` (`dates.resume_day`)."""
        return resume_day(
            day_of(bookmark),
            last_final,
            timezone,
            self.runtime.settings.attribution_window_days,
            final=final,
        )

    def resume_state(self, context: Context) -> Mapping[str, Any]:
        """The partition's state the run started with, if it resumes from it; else empty.

        Empty when the catalog forces FULL_TABLE (Meltano's `replication-method` metadata, or
        `forced-replication-method`): the user asked for everything again. Read without
        creating a state entry, so that reading ahead for partitions whose turn has not come
        leaves the STATE messages as a one-request-at-a-time run writes them.
        """
        if self.replication_method != REPLICATION_INCREMENTAL:
            return {}
        for partition in self.stored_stream_state().get("partitions", []):
            if partition.get("context") == dict(context):
                return partition
        return {}

    def stored_stream_state(self) -> Mapping[str, Any]:
        """The stream's state as it stands, read without creating an entry for it.

        The SDK's `stream_state` creates one: called from a worker thread reading ahead, it
        would make STATE messages depend on timing.
        """
        stored: Mapping[str, Any] = self.tap_state.get("bookmarks", {}).get(self.name, {})
        return stored

    @override
    def log_sync_costs(self) -> None:
        """Log the run's totals once, after every stream has synced.

        The SDK calls this for every stream after the last one synced; the last call ends
        the run's requests and fails the run for each advertiser or account TikTok
        refused, after everything else was synced and its state emitted.
        """
        super().log_sync_costs()
        self.runtime.log_totals_once(self.logger.parent or self.logger)
        if self.name == list(self._tap.streams)[-1]:
            self.runtime.close()
            self.runtime.failures.raise_if_any()


class PerAdvertiserStream(TikTokStream):
    """A stream with one partition, and so one bookmark, per advertiser of the run."""

    needs_advertisers = True

    @property
    @override
    def partitions(self) -> list[dict] | None:
        """The run's advertisers, which the tap resolved when the sync started."""
        return [{"advertiser_id": a.advertiser_id} for a in self.runtime.directory.advertisers]

    @override
    def compare_start_date(self, value: str, start_date_value: str) -> str:
        """The bookmark alone: each stream applies `start_date` itself, if at all.

        The SDK would parse `start_date` as a timestamp, which relative dates such as
        `today-3` are not, and entities are read whatever their age.
        """
        del start_date_value
        return value

    def unless_refused(self, advertiser_id: str, items: Iterable[_T]) -> Iterator[_T]:
        """The advertiser's items; none once TikTok refused it, which the run notes and goes on.

        A refusal (40001, 40106, 40300, ...) concerns that advertiser only: its bookmark stays,
        the other advertisers sync, and the run fails at its end naming it.
        """
        failures = self.runtime.failures
        if failures.advertiser_failed(advertiser_id):
            return
        try:
            yield from items
        except TikTokFatalError as exc:
            if not failures.advertiser_refused(advertiser_id, exc, self.logger):
                raise
