"""TikTok Shop GMV Max: stores, GMV Max campaigns and their daily report.

GMV Max spend is not in `report/integrated/get/` nor `campaign/get/`; it has its own endpoints
(API Reference / GMV Max). The stores of each advertiser are listed once per run and shared by
the three streams: the campaigns and the report are read per store (the report takes exactly one
store per request), and an advertiser without a TikTok Shop is logged once and skipped. The
stores' and campaigns' fields, with their sources, are `data/stream_fields/gmv_max_stores.csv`
and `gmv_max_campaigns.csv` (`tap_tiktok_ads.stream_fields`); a field their answers carry beyond
them is kept (`extra_fields`).
"""

from __future__ import annotations

import functools
import threading
from typing import TYPE_CHECKING, Any

from singer_sdk import typing as th
from typing_extensions import override

from tap_tiktok_ads.bookmarks import CompleteDataBookmarks
from tap_tiktok_ads.client import PerAdvertiserStream
from tap_tiktok_ads.dates import (
    day_of,
    days_to_read,
    format_day,
    last_final_real_time_day,
    parse_tiktok_time,
    windows,
)
from tap_tiktok_ads.envelope import response_data
from tap_tiktok_ads.extra_fields import ExtraFields
from tap_tiktok_ads.gmv_max_metrics import (
    GMV_MAX_BREAKDOWN_METRICS,
    GMV_MAX_METRICS,
    PROMOTION_TYPES,
    ShopMetric,
)
from tap_tiktok_ads.records import to_integer, to_number
from tap_tiktok_ads.stream_fields import stream_schema
from tap_tiktok_ads.streams.heavy_queries import SplitsHeavyQueries

if TYPE_CHECKING:
    import datetime as dt
    from collections.abc import Iterable, Iterator

    import requests
    from singer_sdk import Tap
    from singer_sdk.helpers.types import Context

    from tap_tiktok_ads.dates import DateWindow
    from tap_tiktok_ads.runtime import Runtime

# Doc 1824721673497601: with `stat_time_day`, start_date..end_date spans at most 30 days.
DAILY_WINDOW_DAYS = 30
# Doc 1826463372290177: gmv_max/campaign/get/ takes page_size 1-100 (the reports take 1,000).
CAMPAIGN_PAGE_SIZE = 100
# Doc 1826463372290177: the campaign endpoint's names of the two campaign types.
CAMPAIGN_PROMOTION_TYPES = {"PRODUCT": "PRODUCT_GMV_MAX", "LIVE": "LIVE_GMV_MAX"}
# Doc 1824722485971009: products (SPUs) of Product GMV Max, livestream rooms of LIVE GMV Max.
BREAKDOWNS = {"PRODUCT": "item_group_id", "LIVE": "room_id"}
BREAKDOWN_STREAM_NAMES = {"item_group_id": "product", "room_id": "live"}
MAX_FILTER_CAMPAIGNS = 100  # Doc 1824721673497601: filtering.campaign_ids, "Max size: 100"
# Doc 1826463372290177: the fields of `list`, which the `fields` parameter may name, in the
# page's order (the schema's rows with that source, in the schema's order, are the same fields).
CAMPAIGN_FIELDS = (
    "advertiser_id",
    "campaign_id",
    "campaign_name",
    "operation_status",
    "create_time",
    "modify_time",
    "objective_type",
    "secondary_status",
    "roi_protection_compensation_status",
)
TIKTOK_TIME_FORMAT = "%Y-%m-%d %H:%M:%S"  # Doc 1826463372290177: create/modify_time, UTC
_CONVERTERS = {"integer": to_integer, "number": to_number}


def _utc_time(value: Any) -> str | None:  # noqa: ANN401
    """TikTok's `YYYY-MM-DD HH:MM:SS` (UTC) as RFC 3339; anything else as sent."""
    moment = parse_tiktok_time(value)
    if moment is None:
        return str(value) if value else None
    return moment.isoformat()


class GmvMaxStoresStream(PerAdvertiserStream):
    """The TikTok Shops each advertiser can access (Doc 1822001044479041)."""

    name = "gmv_max_stores"
    path = "/gmv_max/store/list/"
    primary_keys = ("advertiser_id", "store_id")
    paginated = False  # Doc 1822001044479041: no page parameters, one `store_list`
    schema = stream_schema(name, required=primary_keys)

    def __init__(self, tap: Tap, runtime: Runtime) -> None:
        """Start with no store listed; each advertiser's list is read once, when first needed."""
        super().__init__(tap, runtime)
        self._stores: dict[str, list[dict[str, Any]]] = {}
        self._lock = threading.Lock()
        self.extra_fields = ExtraFields(self.name, self.schema, self.logger)

    @override
    def request_params(self, context: Context | None) -> dict[str, Any]:
        """Only the advertiser (Doc 1822001044479041)."""
        return {"advertiser_id": (context or {})["advertiser_id"]}

    @override
    def parse_response(self, response: requests.Response) -> Iterable[dict]:
        """The rows of `data.store_list`."""
        yield from response_data(response).get("store_list") or []

    def stores_of(self, advertiser_id: str) -> list[dict[str, Any]]:
        """The advertiser's stores, listed once per run; none when TikTok refused it.

        An advertiser whose list has no store available for GMV Max has no TikTok Shop to
        report on: that is logged once, and every GMV Max stream skips it without an error.
        """
        with self._lock:
            stores = self._stores.get(advertiser_id)
            if stores is not None:
                return stores
            stores = self._list(advertiser_id)
            self._stores[advertiser_id] = stores
        if not any(store.get("is_gmv_max_available") for store in stores):
            self.logger.info(
                "Advertiser %s has no TikTok Shop available for GMV Max "
                "(gmv_max/store/list/ lists none); the GMV Max streams skip it",
                advertiser_id,
            )
        return stores

    def _list(self, advertiser_id: str) -> list[dict[str, Any]]:
        context = {"advertiser_id": advertiser_id}
        rows = self.request_records(context)
        return [{**row, **context} for row in self.unless_refused(advertiser_id, rows)]

    def store_partitions(self) -> list[dict[str, str]]:
        """One partition per advertiser and store available for GMV Max."""
        return [
            {"advertiser_id": advertiser.advertiser_id, "store_id": str(store["store_id"])}
            for advertiser in self.runtime.directory.advertisers
            for store in self.stores_of(advertiser.advertiser_id)
            if store.get("is_gmv_max_available")
        ]

    @override
    def get_records(self, context: Context | None) -> Iterable[dict[str, Any]]:
        """The advertiser's stores, from the run's one listing."""
        if context is not None:
            for store in self.stores_of(context["advertiser_id"]):
                yield self.extra_fields.keep(dict(store))


class _PerStoreStream(PerAdvertiserStream):
    """A GMV Max stream with one partition per advertiser and store."""

    def __init__(
        self,
        tap: Tap,
        runtime: Runtime,
        stores: GmvMaxStoresStream,
        **kwargs: Any,  # noqa: ANN401
    ) -> None:
        """Read the stores through the run's one listing; `kwargs` go to the SDK's stream."""
        self.stores = stores
        super().__init__(tap, runtime, **kwargs)

    @property
    @override
    def partitions(self) -> list[dict] | None:
        """Each advertiser's stores available for GMV Max."""
        return self.stores.store_partitions()

    @override
    def get_records(self, context: Context | None) -> Iterable[dict[str, Any]]:
        """The store's records; TikTok refusing the advertiser skips it, as in every stream."""
        if context is not None:
            yield from self.unless_refused(context["advertiser_id"], self.store_records(context))

    def store_records(self, context: Context) -> Iterator[dict[str, Any]]:
        """The records of one store."""
        raise NotImplementedError


class GmvMaxCampaignsStream(_PerStoreStream):
    """The GMV Max campaigns of each store (Doc 1826463372290177), read whole each run."""

    name = "gmv_max_campaigns"
    path = "/gmv_max/campaign/get/"
    primary_keys = ("advertiser_id", "store_id", "campaign_id")
    schema = stream_schema(name, required=primary_keys)
    max_page_size = CAMPAIGN_PAGE_SIZE

    def requested_fields(self) -> list[str] | None:
        """The `fields` parameter: the selected documented fields, or None for all of them.

        Without `fields` TikTok sends every field, undocumented ones too (`extra_fields` keeps
        those); so it is sent only when some documented field is deselected (or the stream is,
        and the campaigns are listed for the product and livestream reports only). The ids are
        always asked for.
        """
        selected = [name for name in CAMPAIGN_FIELDS if self.mask.get(("properties", name), True)]
        if len(selected) == len(CAMPAIGN_FIELDS):
            return None
        return list(dict.fromkeys(["advertiser_id", "campaign_id", *selected]))

    @override
    def request_params(self, context: Context | None) -> dict[str, Any]:
        """One campaign type of one store, the selected fields; deleted ones when asked."""
        context = context or {}
        filtering: dict[str, Any] = {
            "gmv_max_promotion_types": [CAMPAIGN_PROMOTION_TYPES[context["promotion"]]],
            "store_ids": [context["store_id"]],
        }
        if context.get("deleted"):
            filtering["primary_status"] = "STATUS_DELETE"
        params: dict[str, Any] = {"advertiser_id": context["advertiser_id"], "filtering": filtering}
        fields = self.requested_fields()
        if fields is not None:
            params["fields"] = fields
        return params

    def __init__(self, tap: Tap, runtime: Runtime, stores: GmvMaxStoresStream) -> None:
        """Start with no campaign listed; each store's list is read once, when first needed."""
        super().__init__(tap, runtime, stores)
        self._ids: dict[tuple[str, str], dict[str, list[str]]] = {}
        self._ids_lock = threading.Lock()
        self.extra_fields = ExtraFields(self.name, self.schema, self.logger)

    def campaign_ids(self, context: Context, promotion: str) -> list[str]:
        """The ids of a store's campaigns of one type (deleted ones with `include_deleted`).

        Listed once per run and store, for the product- and livestream-level reports, which
        TikTok gives only for the campaigns named in `campaign_ids` (Doc 1824722485971009).
        """
        key = (context["advertiser_id"], context["store_id"])
        with self._ids_lock:
            listed = self._ids.get(key)
            if listed is None:
                listed = {promotion_type: [] for promotion_type in PROMOTION_TYPES}
                store = {"advertiser_id": key[0], "store_id": key[1]}
                for row in self.store_records(store):
                    listed[row["gmv_max_promotion_type"]].append(row["campaign_id"])
                self._ids[key] = listed
        return listed[promotion]

    @override
    def store_records(self, context: Context) -> Iterator[dict[str, Any]]:
        """Each campaign type in turn (the answer does not say which), deleted ones on request.

        Doc 1826463372290177 has no "all statuses" value: with `include_deleted`, the deleted
        campaigns are a second request.
        """
        passes = [False, True] if self.runtime.settings.include_deleted else [False]
        for promotion in PROMOTION_TYPES:
            for deleted in passes:
                query = {**context, "promotion": promotion, "deleted": deleted}
                for row in self.request_records(query):
                    record = {**row, **context, "campaign_id": str(row.get("campaign_id"))}
                    record["gmv_max_promotion_type"] = promotion
                    for name in ("create_time", "modify_time"):
                        if name in row:
                            record[name] = _utc_time(row[name])
                    yield self.extra_fields.keep(record)


class _GmvMaxReportStream(CompleteDataBookmarks, SplitsHeavyQueries, _PerStoreStream):
    """A daily GMV Max report (Doc 1824721673497601): windows, bookmarks and typed metrics.

    A query TikTok times out on is read in halves, never repeated (heavy_queries.py; that
    Doc 1757262274182145 applies to GMV Max reports is inferred).
    """

    path = "/gmv_max/report/get/"
    replication_key = "stat_time_day"
    # Bookmarks move at window ends only (`set_bookmark`), so every STATE message is resumable.
    is_sorted = True
    check_sorted = False
    report_metrics: dict[str, ShopMetric] = GMV_MAX_METRICS

    @property
    def selected_metrics(self) -> list[str]:
        """The metrics the catalog selects: exactly what is requested."""
        return [name for name in self.report_metrics if self.mask.get(("properties", name), False)]

    def days_to_read(self, context: Context) -> tuple[dt.date, dt.date]:
        """From `attribution_window_days` before the bookmark (or `start_date`) to today."""
        settings = self.runtime.settings
        timezone = self.runtime.directory.get(context["advertiser_id"]).timezone
        return days_to_read(
            settings.start_date,
            settings.end_date,
            settings.attribution_window_days,
            timezone,
            self.resume_day_bookmark(
                context, timezone, functools.partial(last_final_real_time_day, timezone)
            ),
        )

    def typed_metrics(self, metrics: dict[str, Any]) -> dict[str, Any]:
        """The selected metrics of a row, typed by the catalog."""
        record: dict[str, Any] = {}
        for name in self.selected_metrics:
            value = metrics.get(name)
            convert = _CONVERTERS.get(self.report_metrics[name].json_type)
            record[name] = convert(value) if convert else (value if value != "" else None)
        return record

    def bookmark_window(self, context: Context, window: DateWindow) -> None:
        """After a window: the bookmark, never past the last final day.

        Later days are read again by the next run whatever `attribution_window_days` is.
        Inferred: TikTok documents no latency for GMV Max reports; they are taken as its
        real-time report data (Doc 1738864894606337), final 30 minutes after the day and its
        next 12:00 UTC data fix.
        """
        advertiser = self.runtime.directory.get(context["advertiser_id"])
        final = last_final_real_time_day(advertiser.timezone)
        self.set_bookmark(context, format_day(min(window.end, final)), final=True)

    @override
    def get_replication_key_signpost(self, context: Context | None = None) -> None:
        """No signpost: bookmarks are written at window ends, never past the data read."""
        del context


class GmvMaxReportDailyStream(_GmvMaxReportStream):
    """Campaign-level GMV Max metrics per store, campaign and day (Doc 1824721673497601).

    Each 30-day window is two requests per store, Product and LIVE GMV Max, because
    campaign-level metrics need exactly one campaign type (Doc 1824722485971009). Each asks for
    the selected metrics that type accepts; the others stay null in its rows.
    """

    name = "gmv_max_report_daily"
    primary_keys = ("advertiser_id", "store_id", "campaign_id", "stat_time_day")
    schema = th.PropertiesList(
        th.Property("advertiser_id", th.StringType, required=True),
        th.Property("store_id", th.StringType, required=True),
        th.Property("campaign_id", th.StringType, required=True),
        th.Property("stat_time_day", th.DateType, required=True),
        th.Property("gmv_max_promotion_type", th.StringType),
        *(
            th.Property(metric.name, th.CustomType({"type": [metric.json_type, "null"]}))
            for metric in GMV_MAX_METRICS.values()
        ),
    ).to_dict()

    @override
    def request_params(self, context: Context | None) -> dict[str, Any]:
        """One store, window and campaign type; `campaign_id` is the key and always asked for."""
        context = context or {}
        promotion = context["promotion"]
        metrics = [
            name
            for name in self.selected_metrics
            if promotion in GMV_MAX_METRICS[name].promotion_types
        ]
        filtering: dict[str, Any] = {"gmv_max_promotion_types": [promotion]}
        if self.runtime.settings.include_deleted:
            # Doc 1824721673497601: only undeleted campaigns unless a status filter says so.
            filtering["campaign_statuses"] = ["STATUS_ALL"]
        return {
            "advertiser_id": context["advertiser_id"],
            "store_ids": [context["store_id"]],
            "start_date": context["start_date"],
            "end_date": context["end_date"],
            "dimensions": ["campaign_id", "stat_time_day"],
            "metrics": ["campaign_id", *metrics],
            "filtering": filtering,
        }

    @override
    def store_records(self, context: Context) -> Iterator[dict[str, Any]]:
        """The store's days, window by window, both campaign types; the bookmark after each."""
        start, end = self.days_to_read(context)
        if start > end:
            return
        for window in windows(start, end, DAILY_WINDOW_DAYS):
            records: list[dict[str, Any]] = []
            for promotion in PROMOTION_TYPES:
                query = {**context, "promotion": promotion}
                records.extend(
                    self.rows_in_halves(
                        window,
                        functools.partial(self._read, query, promotion),
                        context["advertiser_id"],
                    )
                )
            records.sort(key=lambda r: (r["stat_time_day"], r["campaign_id"]))
            yield from records
            self.bookmark_window(context, window)

    def _read(self, query: Context, promotion: str, window: DateWindow) -> list[dict[str, Any]]:
        """One campaign type's records of a window, all pages."""
        query = {
            **query,
            "start_date": window.start.isoformat(),
            "end_date": window.end.isoformat(),
        }
        return [self._record(query, promotion, row) for row in self.request_records(query)]

    def _record(self, context: Context, promotion: str, row: dict[str, Any]) -> dict[str, Any]:
        dimensions = row.get("dimensions") or {}
        metrics = row.get("metrics") or {}
        record: dict[str, Any] = {
            "advertiser_id": context["advertiser_id"],
            "store_id": context["store_id"],
            "campaign_id": str(dimensions.get("campaign_id")),
            "stat_time_day": format_day(day_of(str(dimensions.get("stat_time_day")))),
            "gmv_max_promotion_type": promotion,
        }
        return record | self.typed_metrics(metrics)


class GmvMaxBreakdownDailyStream(_GmvMaxReportStream):
    """Product- or livestream-level GMV Max metrics per campaign and day (Doc 1824722485971009).

    TikTok reports products (SPUs, `item_group_id`) of Product GMV Max campaigns and livestream
    rooms (`room_id`) of LIVE GMV Max campaigns only for the campaigns a request names in
    `campaign_ids`, at most 100 (Doc 1824721673497601): each window is one request per 100 of
    the store's campaigns of that type, from the run's one campaign listing.
    """

    def __init__(
        self,
        tap: Tap,
        runtime: Runtime,
        campaigns: GmvMaxCampaignsStream,
        *,
        promotion: str,
        breakdown: str,
    ) -> None:
        """One stream per campaign type and its breakdown dimension."""
        self.promotion = promotion
        self.breakdown = breakdown
        self.campaigns = campaigns
        self.report_metrics = {
            name: metric
            for name, metric in GMV_MAX_BREAKDOWN_METRICS.items()
            if promotion in metric.promotion_types
        }
        schema = th.PropertiesList(
            th.Property("advertiser_id", th.StringType, required=True),
            th.Property("store_id", th.StringType, required=True),
            th.Property("campaign_id", th.StringType, required=True),
            th.Property(breakdown, th.StringType, required=True),
            th.Property("stat_time_day", th.DateType, required=True),
            *(
                th.Property(metric.name, th.CustomType({"type": [metric.json_type, "null"]}))
                for metric in self.report_metrics.values()
            ),
        ).to_dict()
        name = f"gmv_max_{BREAKDOWN_STREAM_NAMES[breakdown]}_report_daily"
        super().__init__(tap, runtime, campaigns.stores, name=name, schema=schema)
        self.primary_keys = ("advertiser_id", "store_id", "campaign_id", breakdown, "stat_time_day")

    @override
    def request_params(self, context: Context | None) -> dict[str, Any]:
        """One store, window and batch of campaigns; one metric at least, as TikTok requires."""
        context = context or {}
        return {
            "advertiser_id": context["advertiser_id"],
            "store_ids": [context["store_id"]],
            "start_date": context["start_date"],
            "end_date": context["end_date"],
            "dimensions": ["campaign_id", self.breakdown, "stat_time_day"],
            "metrics": self.selected_metrics or ["cost"],
            "filtering": {"campaign_ids": context["campaign_ids"]},
        }

    @override
    def store_records(self, context: Context) -> Iterator[dict[str, Any]]:
        """The store's days, window by window, 100 campaigns a request; the bookmark after each."""
        start, end = self.days_to_read(context)
        if start > end:
            return
        campaign_ids = self.campaigns.campaign_ids(context, self.promotion)
        batches = [
            campaign_ids[i : i + MAX_FILTER_CAMPAIGNS]
            for i in range(0, len(campaign_ids), MAX_FILTER_CAMPAIGNS)
        ]
        for window in windows(start, end, DAILY_WINDOW_DAYS):
            records: list[dict[str, Any]] = []
            for batch in batches:
                query = {**context, "campaign_ids": batch}
                read = functools.partial(self._read, query)
                records.extend(self.rows_in_halves(window, read, context["advertiser_id"]))
            records.sort(key=lambda r: (r["stat_time_day"], r["campaign_id"], r[self.breakdown]))
            yield from records
            self.bookmark_window(context, window)

    def _read(self, query: Context, window: DateWindow) -> list[dict[str, Any]]:
        """One batch's records of a window, all pages."""
        query = {
            **query,
            "start_date": window.start.isoformat(),
            "end_date": window.end.isoformat(),
        }
        return [self._record(query, row) for row in self.request_records(query)]

    def _record(self, context: Context, row: dict[str, Any]) -> dict[str, Any]:
        dimensions = row.get("dimensions") or {}
        record: dict[str, Any] = {
            "advertiser_id": context["advertiser_id"],
            "store_id": context["store_id"],
            "campaign_id": str(dimensions.get("campaign_id")),
            self.breakdown: str(dimensions.get(self.breakdown)),
            "stat_time_day": format_day(day_of(str(dimensions.get("stat_time_day")))),
        }
        return record | self.typed_metrics(row.get("metrics") or {})


def gmv_max_streams(tap: Tap, runtime: Runtime) -> list[PerAdvertiserStream]:
    """The GMV Max streams, sharing one store listing per advertiser and one campaign listing."""
    stores = GmvMaxStoresStream(tap, runtime)
    campaigns = GmvMaxCampaignsStream(tap, runtime, stores)
    return [
        stores,
        campaigns,
        GmvMaxReportDailyStream(tap, runtime, stores),
        *(
            GmvMaxBreakdownDailyStream(
                tap, runtime, campaigns, promotion=promotion, breakdown=breakdown
            )
            for promotion, breakdown in BREAKDOWNS.items()
        ),
    ]
