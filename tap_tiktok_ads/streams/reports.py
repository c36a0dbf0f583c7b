"""The report stream: one class for every report definition (built-in and the user's own).

`ReportStream` turns a `ReportDefinition` into requests to `report/integrated/get/`, typed
records and per-advertiser date bookmarks.
"""

from __future__ import annotations

import dataclasses
import functools
import itertools
import threading
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import urlsplit

from singer_sdk import metrics
from singer_sdk.helpers.conform import TypeConformanceLevel
from typing_extensions import override

from tap_tiktok_ads.advertisers import Advertiser
from tap_tiktok_ads.answer_body import reads_whole_body
from tap_tiktok_ads.async_reads import AsyncReads
from tap_tiktok_ads.audience_windows import Returned, WindowIds, remember, remembered
from tap_tiktok_ads.batched_records import PageBatchedStream
from tap_tiktok_ads.bookmarks import is_final_bookmark, state_entry
from tap_tiktok_ads.client import PerAdvertiserStream, encode_param
from tap_tiktok_ads.dates import (
    DateWindow,
    day_of,
    days_to_read,
    fix_hour_for,
    format_day,
    format_hour,
    halves,
    last_final_day,
    month_periods,
    week_periods,
    windows,
)
from tap_tiktok_ads.envelope import keep_body, response_data
from tap_tiktok_ads.errors import TikTokFatalError, refused_metrics
from tap_tiktok_ads.id_batches import (
    OVER_CAP_STATE_KEY,
    THROTTLE_HEADER,
    AdCapReached,
    BatchedReader,
    EntityLists,
    IdBatch,
    batch_params,
    list_ads,
    list_live_ids,
    remembered_over_cap,
)
from tap_tiktok_ads.metrics import METRICS, DataLevel, ReportType, TimeDimension
from tap_tiktok_ads.paging import Page, PageWalk, all_pages, following_pages
from tap_tiktok_ads.prefetch import NOT_YET, HeldBudget, OrderedPrefetcher, Peekable
from tap_tiktok_ads.query_shapes import query_shape, shape_of_url
from tap_tiktok_ads.query_size import QueryTooHeavy, audience_window_days
from tap_tiktok_ads.record_pages import Records, values_of
from tap_tiktok_ads.records import RowTyper
from tap_tiktok_ads.report_definitions import (
    MAX_METRICS_PER_REQUEST,
    PERIOD_PROPERTIES,
    Granularity,
    ReportDefinition,
)
from tap_tiktok_ads.run_log import read_plan_words
from tap_tiktok_ads.streams.heavy_queries import CountsHeavyQueries
from tap_tiktok_ads.top_view import REPORT_FILTER as TOP_VIEW_FILTER
from tap_tiktok_ads.top_view import remembered_checks
from tap_tiktok_ads.top_view_checks import TopViewAsker
from tap_tiktok_ads.zone_free import zone_free_windows

_T = TypeVar("_T")
NO_PAGE = Page([], 0)  # a window not read
AD_LIST_PATH = "/ad/get/"  # an advertiser's ads, listed when it is over the ad cap
# Values (rows x columns) of pages answered but not yet written, at most: about 50 bytes each
# once decoded, so some 25 MB whatever the number of rows (prefetch.py; issue 18).
READ_AHEAD_VALUES = 400_000

if TYPE_CHECKING:
    import datetime as dt
    from collections.abc import Callable, Iterable, Iterator

    import requests
    from singer_sdk import singerlib
    from singer_sdk.helpers.types import Context


@dataclass(frozen=True)
class ReadPlan:
    """The days one run reads for one advertiser, and where the bookmark may go."""

    start: dt.date
    end: dt.date
    final_through: dt.date  # the last final day: the bookmark may not pass it
    timezone: str
    bookmark: str | None = None  # the bookmark the days are read from (`ReportStream.based_on`)


@dataclass(frozen=True)
class WindowRead:
    """A window's first page (or, for multi-request metric sets, all of its rows).

    `requests` is how many requests it took, counted by the consumer in the SDK's
    `http_request_count` (its counter is not for worker threads). `refusal` is TikTok's
    refusal of the advertiser, kept for the consumer to handle in order: raised on the
    worker thread it would end the reads of every advertiser.
    """

    advertiser_id: str
    window: DateWindow | None
    first: Page
    requests: int
    refusal: TikTokFatalError | None = None
    over_cap: bool = False  # the advertiser is over TikTok's ad cap: read in ID batches
    id_batch: IdBatch | None = None
    too_heavy: str | None = None  # why TikTok found it too heavy: read in smaller parts
    top_view: bool = False  # the TopView pass of its window (top_view.py)


class ReportStream(PageBatchedStream, CountsHeavyQueries, PerAdvertiserStream):
    """Any TikTok report, from its definition: schema, selection, windows, bookmarks."""

    path = "/report/integrated/get/"
    # Bookmarks move at window boundaries only (see `_increment_stream_state`), so the
    # state in every STATE message is resumable even though rows arrive in no date order.
    is_sorted = True
    check_sorted = False
    # `RowTyper` already emits exactly the schema's types; the SDK's per-record, per-field
    # conformance pass would cost about 40 % of the CPU of a large sync (benchmarks/README.md).
    TYPE_CONFORMANCE_LEVEL = TypeConformanceLevel.NONE

    def __init__(self, tap: Any, runtime: Any, definition: ReportDefinition) -> None:  # noqa: ANN401
        """Build the stream for one report definition."""
        self.definition = definition
        # Built when first read (`schema`): a sync reads only the selected streams' schemas.
        super().__init__(tap, runtime, name=definition.name)
        self.primary_keys = definition.key_properties
        self._plans: dict[str, ReadPlan] = {}
        self._audience_days_of: dict[str, int] = {}  # days per audience window, per advertiser
        self._audience_days_lock = threading.Lock()  # sized before any of its IDs are observed
        self._heaviest_returned: dict[str, Returned] = {}  # by audience windows, this run
        self._retired_metrics: set[str] = set()  # refused by TikTok during this run
        self._retired_lock = threading.Lock()
        self._reads: Peekable[WindowRead] | None = None
        # The report stream that syncs next: its reads start once this one's are all asked.
        self.next_reports: ReportStream | None = None
        self._consumer_came = False  # this stream's records are being written
        self._chain_waits = False  # its reads were all asked before that: chain then
        self.replication_key = definition.replication_key  # type: ignore[assignment]

    # --- schema and selection -------------------------------------------------------

    @property
    @override
    def schema(self) -> dict[str, Any]:
        """The report's schema, built on first read.

        There are 34 reports of about 800 metrics each, and a sync reads the schemas of the
        one or few the catalog selects. The SDK reads a stream's schema only through this
        property (tests/test_sdk_contract.py).
        """
        if self._schema is None:
            self._schema = self._build_schema()
        return self._schema

    def _build_schema(self) -> dict[str, Any]:
        definition = self.definition
        properties: dict[str, Any] = {"advertiser_id": {"type": ["string"]}}
        for dimension in definition.dimensions:
            if dimension == TimeDimension.DAY.value:
                properties[dimension] = {"type": ["string"], "format": "date"}
            elif dimension == TimeDimension.HOUR.value:
                properties[dimension] = {"type": ["string"], "format": "date-time"}
            else:
                properties[dimension] = {"type": ["string"]}
        if definition.granularity.is_period:
            for name in PERIOD_PROPERTIES:
                properties[name] = {"type": ["string"], "format": "date"}
        for metric in definition.metrics:
            properties[metric.name] = {"type": [metric.json_type, "null"]}
        return {
            "type": "object",
            "properties": properties,
            "required": definition.key_properties,
        }

    @property
    @override
    def metadata(self) -> singerlib.MetadataMapping:
        """Standard metadata, with metrics outside the default set deselected by default."""
        metadata = super().metadata
        for metric in self.definition.metrics:
            if not self.definition.is_default(metric):
                metadata[("properties", metric.name)].selected_by_default = False
        return metadata

    @cached_property
    def selected_metrics(self) -> list[str]:
        """The metrics the catalog selects: exactly what is requested from TikTok."""
        mask = self.mask
        return [
            metric.name
            for metric in self.definition.metrics
            if mask.get(("properties", metric.name), False)
        ]

    @override
    def emitted_properties(self) -> list[str]:
        """The keys (advertiser, dimensions, period) and the selected metrics."""
        return [*self.definition.key_properties, *self.selected_metrics]

    @cached_property
    def metric_chunks(self) -> list[list[str]]:
        """Selected metrics split into requests of at most 100 metrics."""
        selected = self.selected_metrics
        if not selected:
            return [[]]
        return [
            selected[i : i + MAX_METRICS_PER_REQUEST]
            for i in range(0, len(selected), MAX_METRICS_PER_REQUEST)
        ]

    @cached_property
    def typer(self) -> RowTyper:
        """Types TikTok's string values by the registry."""
        return RowTyper(
            [METRICS[name] for name in self.selected_metrics],
            self.definition.dimensions,
            self.definition.time_dimension,
        )

    # --- partitions and plans -------------------------------------------------------

    @override
    def get_replication_key_signpost(self, context: Context | None = None) -> None:
        """No signpost: bookmarks are written at window ends, never past the data read."""
        del context

    def plan(
        self, advertiser: Advertiser, bookmark: str | None, *, final: bool = False
    ) -> ReadPlan:
        """Which days to read for one advertiser on this run.

        With a bookmark, the run starts `attribution_window_days` before the bookmark it is
        based on (`based_on`; late conversions); without, at `start_date`. An absolute
        `start_date` is a floor. The bookmark stops at the last final day (`finality`), so
        days read before their data was final are read again whatever
        `attribution_window_days` is. `final`: the state marks the bookmark as written so;
        without the mark it is read as an older version's (`based_on`), which reads more.
        """
        settings = self.runtime.settings
        final_through = self.final_through(advertiser.timezone)
        based_on = self.based_on(advertiser.timezone, bookmark, final=final)
        start, end = days_to_read(
            settings.start_date,
            settings.end_date,
            settings.attribution_window_days,
            advertiser.timezone,
            based_on,
        )
        return ReadPlan(
            start=start,
            end=end,
            final_through=final_through,
            timezone=advertiser.timezone,
            bookmark=based_on,
        )

    def resume_plan(self, advertiser: Advertiser) -> ReadPlan:
        """The advertiser's plan from the state the run started with."""
        state = self.resume_state({"advertiser_id": advertiser.advertiser_id})
        bookmark = state.get("replication_key_value")
        final = is_final_bookmark(state)
        return self.plan(advertiser, None if bookmark is None else str(bookmark), final=final)

    def based_on(self, timezone: str, bookmark: str | None, *, final: bool) -> str | None:
        """The bookmark the read is based on: the state's, or an earlier day (`resume_day`)."""
        if not bookmark:
            return bookmark
        last_final = functools.partial(self.final_through, timezone)
        day = self.resumed_day(bookmark, timezone, last_final, final=final)
        return bookmark if day == day_of(bookmark) else day.isoformat()

    def final_through(self, timezone: str, at: dt.datetime | None = None) -> dt.date:
        """The last final day now (or at `at`): the bookmark may not pass it."""
        hours, fix_hour = self.finality
        return last_final_day(timezone, hours, daily_fix_utc_hour=fix_hour, at=at)

    @property
    def finality(self) -> tuple[float, int | None]:
        """Hours after a day ends until its data is final, and the UTC hour of TikTok's fix.

        For AUDIENCE reports the user's `audience_lookback_hours` wins. Otherwise TikTok's
        latency table (Doc 1738864894606337) decides, per breakdown and selected metric: about
        16 h for reach, frequency, age, gender, platform and the like; 30 minutes for
        ordinary metrics, country and placement, whose real-time data TikTok then revises in
        its daily fix at 12:00 UTC.
        """
        configured = self.runtime.settings.audience_lookback_hours
        if configured is not None and self.definition.report_type is ReportType.AUDIENCE:
            return configured, None
        hours = max(
            [self.definition.shape.latency_hours]
            + [METRICS[name].latency_hours for name in self.selected_metrics]
        )
        return hours, fix_hour_for(hours)

    @override
    def partition_start(self, context: Context | None) -> tuple[str, str, str]:
        """The advertiser's days to read on this run, and why from that day."""
        mode, whose, start = super().partition_start(context)
        if context is None or self.definition.granularity is Granularity.LIFETIME:
            return mode, whose, start
        plan, settings = self._plan_of(context["advertiser_id"]), self.runtime.settings
        stored = self.resume_bookmark(context)
        return (
            mode,
            whose,
            read_plan_words(
                plan, stored, settings.start_date, settings.attribution_window_days, plan.bookmark
            ),
        )

    # --- requests -------------------------------------------------------------------

    @override
    def request_params(self, context: Context | None) -> dict[str, Any]:
        """The report query for one advertiser, window and metric chunk."""
        context = context or {}
        definition = self.definition
        params: dict[str, Any] = {
            "advertiser_id": context["advertiser_id"],
            "service_type": "AUCTION",
            "report_type": definition.report_type.value,
            "data_level": definition.level.api_value,
            "dimensions": definition.dimensions,
            "metrics": [
                name
                for name in self.metric_chunks[context.get("metric_chunk", 0)]
                if name not in self._retired_metrics
            ],
        }
        if definition.granularity is Granularity.LIFETIME:
            params["query_lifetime"] = True
        else:
            params["start_date"] = context["start_date"]
            params["end_date"] = context["end_date"]
        filtering = []
        status_field = definition.status_filter_field
        if self.runtime.settings.include_deleted and status_field:
            filtering.append(
                {
                    "field_name": status_field,
                    "filter_type": "IN",
                    "filter_value": '["STATUS_ALL"]',
                }
            )
        if context.get("top_view"):
            filtering.append(dict(TOP_VIEW_FILTER))
        if filtering:
            params["filtering"] = filtering
        batch = context.get("id_batch")
        return params if batch is None else batch_params(params, batch, definition.level)

    @override
    def build_prepared_request(self, *args: Any, **kwargs: Any) -> requests.PreparedRequest:
        """The SDK's request; its answer (MBs for a report page) read in one call."""
        return reads_whole_body(super().build_prepared_request(*args, **kwargs))

    @override
    def validate_response(self, response: requests.Response) -> None:
        """An answer truncated at the ad cap, or a timeout, asks for smaller queries.

        Neither is retried unchanged (id_batches.py, heavy_queries.py). A report page is
        decoded with its metrics already typed when it can be (records.py).
        """
        is_report = self.is_sized_query(response.request)
        if is_report and len(self.metric_chunks) == 1:
            body = self.typer.page_decoder.decode(response.content)
            if body is not None:
                keep_body(response, body)
        super().validate_response(response)
        if is_report:
            shape = shape_of_url(response.request.url or "")
            self.runtime.shape_watch.answered(shape, timed_out=False)
        if THROTTLE_HEADER in response.headers:
            if not self.definition.takes_filters:  # no ID batches possible: rows as sent
                self.logger.warning(
                    "%s: TikTok capped this answer at its newest ads (%s) and takes no ID "
                    "filter for this report type; its rows are taken as sent",
                    self.name,
                    THROTTLE_HEADER,
                )
                return
            raise AdCapReached(response.headers[THROTTLE_HEADER])

    @override
    def is_sized_query(self, request: requests.PreparedRequest) -> bool:
        """Report queries only: the ads listed for ID batches keep the SDK's retries."""
        return (request.path_url or "").startswith(self._path_url)

    @override
    def note_too_heavy(self, heavy: QueryTooHeavy) -> None:
        """Count it as any heavy answer, and a timeout per query shape (query_shapes.py)."""
        super().note_too_heavy(heavy)
        if heavy.timed_out:
            self.runtime.shape_watch.answered(shape_of_url(heavy.request_key), timed_out=True)

    @cached_property
    def _path_url(self) -> str:
        return urlsplit(self.get_url({})).path

    def read_windows(self, plan: ReadPlan) -> Iterator[DateWindow]:
        """The date ranges to request: fixed-size windows, or whole weeks or months.

        Nothing when the plan is empty: the period around a start past the end would be
        read otherwise.
        """
        if plan.start > plan.end:
            return iter(())
        granularity = self.definition.granularity
        if granularity is Granularity.WEEK:
            return week_periods(plan.start, plan.end, self.runtime.settings.week_start_day)
        if granularity is Granularity.MONTH:
            return month_periods(plan.start, plan.end)
        return windows(plan.start, plan.end, self.definition.window_days)

    def _request_context(
        self,
        advertiser_id: str,
        window: DateWindow | None,
        metric_chunk: int = 0,
        id_batch: IdBatch | None = None,
        *,
        top_view: bool = False,
    ) -> dict[str, Any]:
        context: dict[str, Any] = {"advertiser_id": advertiser_id, "metric_chunk": metric_chunk}
        if top_view:
            context["top_view"] = True
        if window is not None:
            context |= {"start_date": window.start.isoformat(), "end_date": window.end.isoformat()}
        if id_batch is not None:
            context["id_batch"] = id_batch.context()
        return context

    def _read_window(
        self, advertiser_id: str, window: DateWindow | None, *, top_view: bool = False
    ) -> WindowRead:
        """The first page of one window (runs on a worker thread).

        When the selected metrics need several requests, the whole window is read here and
        the chunks are joined on the dimensions. A window of an advertiser that failed is
        not requested, nor the TopView pass of an advertiser without TopView campaigns.
        """
        if self.runtime.failures.advertiser_failed(advertiser_id):
            return WindowRead(advertiser_id, window, NO_PAGE, 0, top_view=top_view)
        self.runtime.top_view.raise_if_ended()  # a check's error ends the run: the map stops
        try:
            if top_view and not self._top_view.has_top_view(advertiser_id):
                return WindowRead(advertiser_id, window, NO_PAGE, 0, top_view=True)
            read = self._without_refused_metrics(
                functools.partial(self._read_window_rows, advertiser_id, window, top_view=top_view)
            )
        except TikTokFatalError as exc:
            if not exc.concerns_one_advertiser:
                raise
            return WindowRead(advertiser_id, window, NO_PAGE, 0, refusal=exc, top_view=top_view)
        return read

    @property
    def _reads_top_view(self) -> bool:
        """Whether this report has TopView rows that need their own pass (top_view.py)."""
        definition = self.definition
        return definition.level is not DataLevel.ADVERTISER and definition.report_type in {
            ReportType.BASIC,
            ReportType.AUDIENCE,
        }

    @cached_property
    def _top_view(self) -> TopViewAsker:
        """This stream's TopView checks (top_view_checks.py), with those its state keeps.

        Made on the writer's thread, by the first planned reads, before any worker asks.
        """
        self.runtime.top_view.remember(remembered_checks(self.tap_state))

        def plan_end(advertiser_id: str) -> tuple[dt.date, str]:
            plan = self._plan_of(advertiser_id)
            return plan.end, plan.timezone

        return TopViewAsker(self.name, self.logger, self.runtime, self._get_data, plan_end)

    def _without_refused_metrics(self, request: Callable[[], _T]) -> _T:
        """Run a request; if TikTok refuses selected metrics (40002), ask again without them.

        TikTok retires metrics; one that it no longer accepts must not stop the rows of every
        other metric. It is dropped for the rest of the run, its column stays null, and the
        user is told once which metric to deselect.
        """
        sent_without: set[str] = set()
        while True:
            try:
                return request()
            except TikTokFatalError as exc:  # noqa: PERF203 - a retry loop by design
                refused = refused_metrics(exc) & set(self.selected_metrics)
                with self._retired_lock:
                    new = refused - self._retired_metrics
                    self._retired_metrics |= new
                if not refused or refused <= sent_without:
                    raise  # not about metrics, or refused although they were not sent
                sent_without |= refused
                for name in sorted(new):
                    self.logger.warning(
                        "TikTok refused the metric '%s' in %s (40002: %s). It is no longer "
                        "requested in this run and its column stays empty; deselect it.",
                        name,
                        self.name,
                        exc,
                    )

    def _read_window_rows(
        self,
        advertiser_id: str,
        window: DateWindow | None,
        id_batch: IdBatch | None = None,
        *,
        top_view: bool = False,
    ) -> WindowRead:
        """A window's first page; an advertiser over the ad cap is read in batches instead.

        A TopView pass is first read whole, even for an account over the cap: the cap counts
        the ads a filter lets through (inferred, like the ID filters), TopView ones few. If
        its answer still carries the cap's header, it is read in batches of TopView IDs.
        """
        read = self._read_window_part(advertiser_id, window, id_batch, top_view=top_view)
        return dataclasses.replace(read, top_view=top_view) if top_view else read

    def _read_window_part(
        self,
        advertiser_id: str,
        window: DateWindow | None,
        id_batch: IdBatch | None,
        *,
        top_view: bool,
    ) -> WindowRead:
        census, watch = self.runtime.ad_census, self.runtime.timeout_watch
        if (
            id_batch is None
            and not top_view
            and self.definition.takes_filters
            and census.over_cap(advertiser_id)
        ):
            return WindowRead(advertiser_id, window, NO_PAGE, 0, over_cap=True)
        heavy_days = watch.too_heavy_days(f"{self.name}:{advertiser_id}")
        if id_batch is None and window and heavy_days and window.days >= heavy_days:
            reason = f"windows of {heavy_days} days were too heavy before"
            return WindowRead(advertiser_id, window, NO_PAGE, 0, too_heavy=reason)
        if id_batch is None and window is not None:
            params = self.request_params(
                self._request_context(advertiser_id, window, top_view=top_view)
            )
            avoided = self.runtime.shape_watch.avoid(query_shape(params))
            if avoided is not None:
                return WindowRead(advertiser_id, window, NO_PAGE, 0, too_heavy=avoided)
        watch.wait_turn(self.runtime.stopping)
        try:
            return self._read_query(advertiser_id, window, id_batch, top_view=top_view)
        except AdCapReached:
            if id_batch is not None:
                raise
            census.note_over_cap(advertiser_id, self.path, self.logger)
            return WindowRead(advertiser_id, window, NO_PAGE, 0, over_cap=True)
        except QueryTooHeavy as heavy:
            if id_batch is not None:
                raise
            if window is not None:
                watch.note_too_heavy_days(f"{self.name}:{advertiser_id}", window.days)
            return WindowRead(advertiser_id, window, NO_PAGE, 0, too_heavy=str(heavy))

    def _read_query(
        self,
        advertiser_id: str,
        window: DateWindow | None,
        id_batch: IdBatch | None,
        *,
        top_view: bool = False,
    ) -> WindowRead:
        if len(self.metric_chunks) == 1:
            context = self._request_context(
                advertiser_id, window, id_batch=id_batch, top_view=top_view
            )
            first = self.fetch_page(context, 1)
            return WindowRead(advertiser_id, window, first, 1, id_batch=id_batch)
        joined: dict[tuple, dict] = {}
        requests = 0
        for index in range(len(self.metric_chunks)):
            context = self._request_context(
                advertiser_id, window, index, id_batch, top_view=top_view
            )
            # One page after the other: this already runs on a worker thread.
            fetch = functools.partial(self.fetch_page, context)
            for page in all_pages(fetch, self._paging_subject(context), self.logger):
                requests += 1
                for row in page.rows:
                    key = tuple(sorted((row.get("dimensions") or {}).items()))
                    existing = joined.get(key)
                    if existing is None:
                        joined[key] = row
                    else:
                        existing["metrics"] = {
                            **existing.get("metrics", {}),
                            **row.get("metrics", {}),
                        }
        rows = Page(list(joined.values()), 1)
        return WindowRead(advertiser_id, window, rows, requests, id_batch=id_batch)

    def _window_pages(self, read: WindowRead, requests: metrics.Counter) -> Iterator[list[dict]]:
        """All rows of a window, page by page: the first, then the others, fetched ahead.

        Which pages exist is `paging.PageWalk`'s to decide; each page read is counted in the
        SDK's `http_request_count`, here on the thread that writes the records.
        """
        requests.increment(read.requests)
        yield read.first.rows
        context = self._request_context(
            read.advertiser_id, read.window, id_batch=read.id_batch, top_view=read.top_view
        )

        def fetch(number: int) -> Page:
            return self._without_refused_metrics(
                functools.partial(self.fetch_page, context, number)
            )

        walk = PageWalk(read.first, self._paging_subject(context), self.logger)
        for page in following_pages(walk, fetch, self._prefetcher.map):
            requests.increment()
            yield page.rows

    def _paging_subject(self, context: Context) -> str:
        """The answer a page belongs to, for paging warnings."""
        subject = f"{self.path} for advertiser {context['advertiser_id']}"
        if "start_date" not in context:
            return subject
        return f"{subject}, {context['start_date']} to {context['end_date']}"

    def _pages_of(self, read: WindowRead, requests: metrics.Counter) -> Iterator[list[dict]]:
        """A window's rows in pages: as read, in ID batches (ad cap), or in smaller parts.

        The cap or a timeout met on a later page, after rows of the window went out, ends
        the run with a message: the window's bookmark has not moved, so the next run reads it
        again, in smaller queries from its first page on.
        """
        if read.over_cap:
            self._remember_over_cap(read.advertiser_id)
            pages = _pages(self._batched_rows(read, requests))
        elif read.too_heavy is not None:
            pages = self._smaller_pages(read, requests)
        else:
            pages = self._window_pages(read, requests)
        try:
            yield from pages
        except (AdCapReached, QueryTooHeavy) as exc:
            msg = (
                f"TikTok changed its answer while the tap paged through {self.name} for "
                f"advertiser {read.advertiser_id}, {read.window} ({type(exc).__name__}: {exc}). "
                "Run the tap again; it resumes from its state and reads that window in "
                "smaller queries."
            )
            raise TikTokFatalError(self.runtime.redactor(msg)) from None

    def _smaller_pages(self, read: WindowRead, requests: metrics.Counter) -> Iterator[list[dict]]:
        """A window TikTok found too heavy: its halves (daily reports), else ID batches.

        The halves are read one after the other; the bookmark still moves at the end of the
        whole window, so every STATE stays a resume point.
        """
        window = read.window
        if window is None or window.days == 1 or self.definition.granularity is not Granularity.DAY:
            if not self.definition.takes_filters:  # no ID batch to make it smaller (TT_SHOP)
                msg = (
                    f"TikTok found the report {self.name} of advertiser {read.advertiser_id} "
                    f"for {window or 'its lifetime'} too heavy ({read.too_heavy}); it cannot "
                    "be split further (this report type takes no ID filter) and is not "
                    "repeated into TikTok's block. Run the tap again later; it resumes from "
                    "its state."
                )
                raise TikTokFatalError(self.runtime.redactor(msg))
            yield from _pages(self._batched_rows(read, requests))
            return
        self.logger.info(
            "TikTok found the report of advertiser %s for %s too heavy (%s); reading it in "
            "two halves instead of repeating it",
            read.advertiser_id,
            window,
            read.too_heavy,
        )
        for part in halves(window):
            first = self._without_refused_metrics(
                functools.partial(
                    self._read_window_rows, read.advertiser_id, part, top_view=read.top_view
                )
            )
            yield from self._pages_of(first, requests)

    def _remember_over_cap(self, advertiser_id: str) -> None:
        """Keep in the state that the advertiser is read in batches (id_batches.py)."""
        listed = state_entry(self.stream_state, OVER_CAP_STATE_KEY, list)
        if advertiser_id not in listed:
            listed.append(advertiser_id)

    def _batched_rows(self, read: WindowRead, requests: metrics.Counter) -> Iterator[dict]:
        """The window's rows of an advertiser over TikTok's ad cap, read in ID batches."""

        def read_batch(batch: IdBatch) -> Iterator[dict]:
            first = self._without_refused_metrics(
                functools.partial(
                    self._read_window_rows,
                    read.advertiser_id,
                    read.window,
                    batch,
                    top_view=read.top_view,
                )
            )
            return itertools.chain.from_iterable(self._window_pages(first, requests))

        return self._batched_reader.rows(
            read.advertiser_id,
            read_batch,
            stream=self.name,
            window=read.window,
            top_view=read.top_view,
        )

    def _get_data(self, path: str, params: dict[str, Any]) -> dict[str, Any]:
        """The `data` of one GET of an advertiser's list endpoint (ID batches, TopView check)."""
        prepared = self.build_prepared_request(
            method="GET",
            url=f"{self.url_base}{path}",
            params={k: encode_param(v) for k, v in params.items()},
            headers=self.http_headers,
        )
        context = {"advertiser_id": params["advertiser_id"]}
        return response_data(self._retrying_request(prepared, context))

    @cached_property
    def _batched_reader(self) -> BatchedReader:
        def entity_pages(path: str, params: dict[str, Any]) -> Iterator[Page]:
            advertiser_id = params["advertiser_id"]
            context = {"advertiser_id": advertiser_id}

            def fetch(number: int) -> Page:
                return Page.of(self._get_data(path, params | {"page": number}))

            where = f"{path} for advertiser {advertiser_id}"
            with metrics.http_request_counter(self.name, endpoint=path) as requests:
                requests.with_context(context)
                for page in all_pages(fetch, where, self.logger):
                    requests.increment()
                    yield page

        return BatchedReader(
            self.runtime.ad_census,
            self.definition.level,
            EntityLists(
                ads=lambda advertiser_id: list_ads(
                    advertiser_id, functools.partial(entity_pages, AD_LIST_PATH)
                ),
                live_ids=None
                if self.runtime.settings.include_deleted
                else lambda advertiser_id, level: list_live_ids(advertiser_id, level, entity_pages),
            ),
            self.runtime.timeout_watch.may_repeat,
            self.logger,
        )

    @cached_property
    def _prefetcher(self) -> OrderedPrefetcher:
        """Window reads and pages ahead of the writer, holding at most `READ_AHEAD_VALUES`."""
        columns = len(self.emitted_properties())

        def values(result: object) -> int:
            page = result.first if isinstance(result, WindowRead) else result
            return len(page.rows) * columns if isinstance(page, Page) else 0

        return OrderedPrefetcher(
            self.runtime.executor,
            self.runtime.settings.max_concurrency,
            self.runtime.in_flight_target,
            HeldBudget(READ_AHEAD_VALUES, values, self.runtime.settings.page_size * columns),
        )

    def stop_reads(self) -> None:
        """Cancel the reads started ahead (the run ends before this stream syncs)."""
        if self._reads is not None:
            self._reads.close()
            self._reads = None
        self._cancel_top_view_checks()

    def _cancel_top_view_checks(self) -> None:
        """Drop the TopView checks asked ahead that have not started, if any were."""
        asker = self.__dict__.get("_top_view")
        if asker is not None:
            asker.cancel_ahead()

    def read_early(self, advertiser_ids: list[str]) -> None:
        """Start the reads no time zone changes while the run looks its advertisers up.

        The zones come with `advertiser/info/`, one latency after it is sent; the windows
        every zone reads (zone_free.py) need not wait. Their pages wait for this stream's
        turn; the reads of an advertiser the lookup leaves out are dropped.
        """
        if self._reads is None and not self._sized_by_ids:
            self._reads = self._planned_reads(advertiser_ids, early=True)

    def _planned_reads(
        self, advertiser_ids: list[str], *, early: bool = False
    ) -> Peekable[WindowRead]:
        """First pages of these advertisers' windows, in order, read ahead on the pool."""
        # Computed once here, before worker threads read them.
        _ = self.metric_chunks, self.typer, self._path_url
        if self._reads_top_view:
            _ = self._top_view
        if self.definition.takes_filters:
            remembered = remembered_over_cap(self.tap_state) & set(advertiser_ids)
            self.runtime.ad_census.note_remembered(sorted(remembered), self.logger)
        checks = (
            self._top_view.ahead(advertiser_ids, self.runtime.executor)
            if self._reads_top_view
            else lambda _: None
        )

        def tasks() -> Iterator[Callable[[], WindowRead]]:
            for index, advertiser_id in enumerate(advertiser_ids):
                for window in self._windows_to_read(advertiser_id):
                    not_yet = window is NOT_YET  # the advertisers are still being looked up
                    checks(index)
                    yield (
                        NOT_YET
                        if not_yet
                        else functools.partial(self._read_window, advertiser_id, window)
                    )
                    # Read ahead only where TopView is known to be: another pass in the
                    # queue of every advertiser would delay the others' first reads. Not
                    # before the lookup answered: a pass needs the advertiser's plan (a
                    # zone-free window's pass is read when the window is written).
                    if (
                        not not_yet
                        and self.runtime.directory.resolved
                        and self._reads_top_view
                        and self._top_view.found(advertiser_id)
                    ):
                        yield functools.partial(
                            self._read_window, advertiser_id, window, top_view=True
                        )
            while not self.runtime.directory.resolved:
                yield NOT_YET
            checks(len(advertiser_ids) - 1)
            # No drain between two report streams, but one stream ahead at most: a map
            # started before its consumer chains the next when that consumer comes.
            if early and not self._consumer_came:
                self._chain_waits = True
            else:
                self._start_next_reports()

        return Peekable(self._prefetcher.map(tasks(), start_now=early))

    def _windows_to_read(self, advertiser_id: str) -> Iterator[DateWindow | None]:
        """The advertiser's windows; before its time zone is known, the zone-free ones first.

        Then `NOT_YET` until the run knows its advertisers, and the rest of the plan, if the
        advertiser is part of the run.
        """
        directory = self.runtime.directory
        early: list[DateWindow | None] = []
        if not directory.resolved:
            early, complete = zone_free_windows(
                functools.partial(self._windows_in_zone, advertiser_id)
            )
            yield from early
            if complete:
                return
            while not directory.resolved:
                yield NOT_YET
        if not directory.includes(advertiser_id):
            return
        planned = self._windows_of(advertiser_id)
        if list(itertools.islice(planned, len(early))) != early:
            msg = f"{self.name}: the windows read before advertiser {advertiser_id}'s time zone "
            raise RuntimeError(msg + "was known are not its plan's (a bug in the tap)")
        yield from planned

    def _windows_in_zone(self, advertiser_id: str, timezone: str) -> list[Any]:
        """The advertiser's windows if its time zone were `timezone` (zone_free.py).

        Where an asynchronous report task may read part of the plan (`report_mode`), a
        marker of its own instead: the sync windows then wait for the zone.
        """
        if self.definition.granularity is Granularity.LIFETIME:
            return [None]
        plan = self.resume_plan(Advertiser(advertiser_id, timezone))
        if self.async_reads.may_read(plan):
            return [object()]
        return list(self._sized_windows(advertiser_id, plan))

    def _windows_of(self, advertiser_id: str) -> Iterator[DateWindow | None]:
        if self.definition.granularity is Granularity.LIFETIME:
            yield None
            return
        plan = self.async_reads.sync_plan(advertiser_id, self._plan_of(advertiser_id))
        yield from self._sized_windows(advertiser_id, plan)

    def _sized_windows(self, advertiser_id: str, plan: ReadPlan) -> Iterator[DateWindow]:
        """The plan's windows; audience ones of the days sized for the advertiser this run.

        Sized once, when first planned, from the state and the run's census: the same days
        whichever of the windows read ahead TikTok answers first (audience_windows.py).
        """
        if not self._sized_by_ids or plan.start > plan.end:
            return self.read_windows(plan)
        return windows(plan.start, plan.end, self._sized_days(advertiser_id))

    def _sized_days(self, advertiser_id: str) -> int:
        """The days of the advertiser's audience windows this run (`_audience_days`), once.

        The first to ask (the planner, on a worker thread, or a range read by a task) sizes
        them from the state before any of this run's windows of the advertiser returned IDs.
        """
        with self._audience_days_lock:
            days = self._audience_days_of.get(advertiser_id)
            if days is None:
                days = self._audience_days_of[advertiser_id] = self._audience_days(advertiser_id)
            return days

    def _range_ids(self, advertiser_id: str, span: DateWindow) -> WindowIds | None:
        """Where the IDs of a range's rows are counted, by sized windows; None if not sized."""
        if not self._sized_by_ids:
            return None
        return WindowIds(span, self._sized_days(advertiser_id))

    def _count_ids(self, counted: WindowIds, records: Records) -> None:
        """Count the records' IDs by day (an audience report's time is `stat_time_day`)."""
        definition = self.definition
        time_dimension = definition.time_dimension
        assert time_dimension is not None  # noqa: S101 - sized reports are daily
        counted.add(
            values_of(records, time_dimension), values_of(records, definition.level.id_dimension)
        )

    def _observe_ids(self, advertiser_id: str, counted: WindowIds) -> None:
        """Keep the IDs each window returned, if the heaviest yet: they size the next run.

        The heaviest asks for the shortest windows (the latest of those); a quiet last window
        (today's first hours) does not make the next run forget a busy week.
        """
        longest = self.definition.window_days
        for returned in counted.returned():
            heaviest = self._heaviest_returned.get(advertiser_id)
            if heaviest is not None and heaviest.window_days(longest) < returned.window_days(
                longest
            ):
                continue
            self._heaviest_returned[advertiser_id] = returned
            remember(self.stream_state, advertiser_id, returned, longest)

    @cached_property
    def async_reads(self) -> AsyncReads:
        """The ranges read with asynchronous report tasks (`report_mode`), before the others."""
        return AsyncReads(self, self._plan_of, self._sync_ranges)

    def _sync_ranges(
        self, advertiser_id: str, span: DateWindow
    ) -> Iterator[tuple[DateWindow, Iterator[dict]]]:
        """A range a task could not give, in the windows sync mode reads (audience ones sized)."""
        plan = dataclasses.replace(self._plan_of(advertiser_id), start=span.start, end=span.end)
        for window in self._sized_windows(advertiser_id, plan):
            yield window, self._sync_rows(advertiser_id, window)

    def _sync_rows(self, advertiser_id: str, window: DateWindow) -> Iterator[dict]:
        """All rows of one window by sync requests."""
        read = self._read_window(advertiser_id, window)
        if read.refusal is not None:
            raise read.refusal
        with self.get_http_request_counter() as requests:
            requests.with_context({"advertiser_id": advertiser_id})
            for rows in self._pages_of(read, requests):
                yield from rows

    def _plan_of(self, advertiser_id: str) -> ReadPlan:
        """The advertiser's plan, made once from the state the run started with."""
        plan = self._plans.get(advertiser_id)
        if plan is None:
            plan = self.resume_plan(self.runtime.directory.get(advertiser_id))
            self._plans[advertiser_id] = plan
        return plan

    @property
    def _sized_by_ids(self) -> bool:
        """Daily audience reports below the advertiser level: windows sized by the IDs."""
        definition = self.definition
        return (
            definition.report_type is ReportType.AUDIENCE
            and definition.granularity is Granularity.DAY
            and definition.level is not DataLevel.ADVERTISER
        )

    def _audience_days(self, advertiser_id: str) -> int:
        """Days of each of the advertiser's audience windows this run; logged when fewer than 7.

        From the IDs its windows returned in the run before (the state's `audience_ids`);
        else from the IDs counted in the account's ads when this run listed them already (an
        account over the ad cap, id_batches.py), so that no request is spent on it; else
        TikTok's general advice of 7 days (audience_windows.py, Doc 1757262274182145).
        """
        longest = self.definition.window_days
        level = self.definition.level.value.lower()
        returned = remembered(self.stored_stream_state(), advertiser_id)
        if returned is not None:
            days = returned.window_days(longest)
            why = f"returned {returned.ids} {level} IDs over {returned.days} day(s) last time"
        else:
            ids = self.runtime.ad_census.known_ids(advertiser_id, self.definition.level)
            if ids is None:
                return longest
            days = audience_window_days(ids, longest)
            why = f"has {ids} {level} IDs"
        if days < longest:
            self.logger.info(
                "Advertiser %s %s: %s reads %d day(s) per request, within TikTok's guidance "
                "for audience reports (Doc 1757262274182145)",
                advertiser_id,
                why,
                self.name,
                days,
            )
        return days

    @override
    def get_record_batches(self, context: Context | None) -> Iterable[Records]:
        """Typed records of one advertiser, page by page, window by window, moving the bookmark.

        Windows of this and the following advertisers are read ahead, so requests overlap,
        while records come out in the order a one-request-at-a-time run would give. When
        TikTok refuses the advertiser, its remaining windows are skipped (its bookmark stays
        after the last complete window) and the run goes on with the next advertiser.
        """
        if context is None:
            return
        try:
            with self.get_http_request_counter() as requests:
                requests.with_context(context)
                reads = self._reads_from(context)
                yield from self._pages_unless_refused(context, reads, requests)
        except BaseException as exc:
            # The SDK closes this generator early (`GeneratorExit`) only for the record
            # limit of `--test`: the run goes on then. Any other way out ends the run.
            if self._reads is not None:
                self._reads.close()
            self._cancel_top_view_checks()
            if not isinstance(exc, GeneratorExit):
                self.runtime.close()
            raise

    def _start_next_reports(self) -> None:
        """Start the following report stream's reads: this stream's are all asked."""
        following = self.next_reports
        self._chain_waits = False
        if following is not None:
            following.read_early([p["advertiser_id"] for p in following.partitions or []])

    def _reads_from(self, context: Context) -> Peekable[WindowRead]:
        """The reads ahead, starting with this advertiser's windows."""
        advertiser_id = context["advertiser_id"]
        self._consumer_came = True
        if self._chain_waits:  # its reads were all asked before this stream's turn
            self._start_next_reports()
        if self._reads is None:
            self._reads = self._planned_reads([p["advertiser_id"] for p in self.partitions or []])
        head = self._reads.peek()
        while head is not None and not self.runtime.directory.includes(head.advertiser_id):
            self._reads.take()  # read before the lookup left its advertiser out of the run
            head = self._reads.peek()
        if head is None or head.advertiser_id != advertiser_id:
            # Not the partition order planned for: read this advertiser on its own.
            self._reads.close()
            self._reads = self._planned_reads([advertiser_id])
        return self._reads

    def _pages_unless_refused(
        self, context: Context, reads: Peekable[WindowRead], requests: metrics.Counter
    ) -> Iterator[Records]:
        """The advertiser's records; after TikTok refused it, its other windows are skipped."""
        advertiser_id = context["advertiser_id"]
        pages = self._advertiser_pages(context, reads, requests)
        yield from self.unless_refused(advertiser_id, pages)
        while (head := reads.peek()) is not None and head.advertiser_id == advertiser_id:
            reads.take()

    def _advertiser_pages(
        self, context: Context, reads: Peekable[WindowRead], requests: metrics.Counter
    ) -> Iterator[Records]:
        """The records of one advertiser's planned windows, by page, bookmark moving after each."""
        advertiser_id = context["advertiser_id"]
        yield from self._task_range_pages(context, requests)
        while (head := reads.peek()) is not None and head.advertiser_id == advertiser_id:
            if self.runtime.failures.advertiser_failed(advertiser_id):
                return
            read = reads.take()
            assert read is not None  # noqa: S101 - peek() just returned it
            if read.refusal is not None:
                raise read.refusal
            if read.window is not None:
                self.runtime.run_log.window(self.name, read.window, self._plan_of(advertiser_id))
            yield from self._window_pages_typed(read, requests)
            if self._reads_top_view:
                yield from self._window_pages_typed(self._top_view_read(read, reads), requests)
            if read.window is not None:
                self._advance_bookmark(context, read.window, self._plan_of(advertiser_id))

    def _task_range_pages(self, context: Context, requests: metrics.Counter) -> Iterator[Records]:
        """The records of the advertiser's range read by a task (or, failing, by sync windows).

        Its IDs size the next run's audience windows, as its sync windows' would.
        """
        advertiser_id, typer = context["advertiser_id"], self.typer
        for window, rows in self.async_reads.ranges(advertiser_id):
            plan = self._plan_of(advertiser_id)
            self.runtime.run_log.window(self.name, window, plan)
            counted = self._range_ids(advertiser_id, window)
            for page in _pages(rows):
                records = typer.records(advertiser_id, page, plan.timezone)
                if counted is not None:
                    self._count_ids(counted, records)
                yield records
            for page in self._top_view_pages(advertiser_id, window, requests):
                yield typer.records(advertiser_id, page, plan.timezone)
            if counted is not None:
                self._observe_ids(advertiser_id, counted)
            self._advance_bookmark(context, window, plan)

    def _window_pages_typed(self, read: WindowRead, requests: metrics.Counter) -> Iterator[Records]:
        """A window's typed records by page; an audience window's IDs size the next run's."""
        advertiser_id, typer = read.advertiser_id, self.typer
        period = self._period_values(read.window) if read.window else {}
        timezone = self._plan_of(advertiser_id).timezone
        counted = (
            self._range_ids(advertiser_id, read.window)
            if read.window is not None and not read.top_view
            else None
        )
        for page in self._pages_of(read, requests):
            records = typer.records(advertiser_id, page, timezone, period)
            if counted is not None:
                self._count_ids(counted, records)
            yield records
        if counted is not None:
            self._observe_ids(advertiser_id, counted)

    def _top_view_read(self, read: WindowRead, reads: Peekable[WindowRead]) -> WindowRead:
        """The TopView pass of a window just read: read ahead, or now (no request without)."""
        head = reads.peek()
        if (
            head is not None
            and head.top_view
            and (head.advertiser_id, head.window) == (read.advertiser_id, read.window)
        ):
            reads.take()
            top_view = head
        else:
            top_view = self._read_window(read.advertiser_id, read.window, top_view=True)
        if top_view.refusal is not None:
            raise top_view.refusal
        self._top_view.remember(read.advertiser_id, self.stream_state)
        return top_view

    def _top_view_pages(
        self, advertiser_id: str, span: DateWindow, requests: metrics.Counter
    ) -> Iterator[list[dict]]:
        """The TopView rows of a range read by a task, by sync windows (top_view.py).

        Tasks take ID filters only (Doc 1740302766489602), so not `buying_type` (inferred).
        None for reports without TopView rows.
        """
        if not self._reads_top_view:
            return
        for part in windows(span.start, span.end, self.definition.window_days):
            read = self._read_window(advertiser_id, part, top_view=True)
            if read.refusal is not None:
                raise read.refusal
            self._top_view.remember(advertiser_id, self.stream_state)
            yield from self._pages_of(read, requests)

    def _period_values(self, window: DateWindow) -> dict[str, str]:
        """`period_start`/`period_end` of period reports; nothing for other grains."""
        if not self.definition.granularity.is_period:
            return {}
        return dict(
            zip(PERIOD_PROPERTIES, (window.start.isoformat(), window.end.isoformat()), strict=True)
        )

    # --- bookmarks ------------------------------------------------------------------

    def _advance_bookmark(self, context: Context, window: DateWindow, plan: ReadPlan) -> None:
        """After a window is fully emitted, move the bookmark (never backwards).

        Bookmarks stop at the last final day, so unfinished days are read again. Period
        reports bookmark the start of the period read last, or of the period holding the last
        final day when that is earlier, so every period not final yet is read again.
        """
        through = min(window.end, plan.final_through)
        if self.definition.granularity.is_period:
            holding = window if through >= window.start else self._period_of(through)
            self.set_bookmark(context, holding.start.isoformat(), final=True)
            return
        self.set_bookmark(context, self._bookmark_value(plan.timezone, through), final=True)

    def _period_of(self, day: dt.date) -> DateWindow:
        """The week or month that holds `day`."""
        if self.definition.granularity is Granularity.WEEK:
            return next(week_periods(day, day, self.runtime.settings.week_start_day))
        return next(month_periods(day, day))

    def _bookmark_value(self, timezone: str, day: dt.date) -> str:
        """A bookmark in the replication key's own format; for hours, the day's last hour.

        The day is final (`ReadPlan.final_through`), so all its hours are: the next run starts
        on that day whatever the hour.
        """
        if self.definition.granularity is Granularity.HOUR:
            return format_hour(day, 23, timezone)
        return format_day(day)


def _pages(rows: Iterable[dict[str, Any]], size: int = 1000) -> Iterator[list[dict[str, Any]]]:
    """Rows that do not come in pages (ID batches, report task files), in lists of `size`."""
    iterator = iter(rows)
    while page := list(itertools.islice(iterator, size)):
        yield page
