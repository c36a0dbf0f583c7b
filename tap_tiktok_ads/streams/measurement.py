"""Measurement: the pixels and the custom audiences of each ad account. Full table.

The reference pages (Doc 1740858697598978 "Get pixels", Doc 1739940506015746 "Get all
audiences") are not among the pages stored with this project; the parameters and fields here
are those of the Go SDK's transcription of them (bububa/tiktok-business, `model/pixel`,
`model/dmp/customaudience`) and of TikTok's own SDK (tiktok/tiktok-business-api-sdk). Each
list stream's fields, with their sources, are in `data/stream_fields/<stream>.csv`; a field
TikTok sends beyond them is kept in `extra_fields` (`tap_tiktok_ads.extra_fields`).
"""

from __future__ import annotations

import datetime as dt
import functools
from typing import TYPE_CHECKING, Any

from singer_sdk import typing as th
from typing_extensions import override

from tap_tiktok_ads import dates
from tap_tiktok_ads.bookmarks import CompleteDataBookmarks
from tap_tiktok_ads.extra_fields import ExtraFields, with_extra_fields
from tap_tiktok_ads.records import to_integer
from tap_tiktok_ads.streams.account_objects import AccountObjectStream, ObjectList
from tap_tiktok_ads.streams.optional import OptionalAdvertiserStream

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator

    from singer_sdk import Tap
    from singer_sdk.helpers.types import Context

    from tap_tiktok_ads.client import TikTokStream
    from tap_tiktok_ads.runtime import Runtime

# Go SDK `pixel.EventStatsRequest`: `pixel_ids` holds at most 10 pixels.
MAX_STATS_PIXELS = 10
# The counts of each event type in `pixel/event/stats/` statistics (Go SDK `pixel.EventStats`).
_COUNTS = (
    "attributed_count",
    "preview_count",
    "total_count",
    "browser_event_total_count",
    "server_event_total_count",
)
# `pixel/list/`: the pixels with their events (Doc 1740858697598978: page_size 1-20, rows in
# `data.pixels`).
PIXELS = ObjectList("pixels", "/pixel/list/", "pixel_id", 20, list_key="pixels")
# `dmp/custom_audience/list/`: the audiences (Doc 1739940506015746: page_size 1-100).
CUSTOM_AUDIENCES = ObjectList("custom_audiences", "/dmp/custom_audience/list/", "audience_id", 100)


class PixelsStream(AccountObjectStream):
    """`pixel/list/`: each advertiser's pixels with their events (Doc 1740858697598978)."""

    def __init__(self, tap: Tap, runtime: Runtime, objects: ObjectList) -> None:
        """The stream; `pixel_event_stats_daily` is its child (set by `measurement_streams`)."""
        super().__init__(tap, runtime, objects)
        self.event_stats: PixelEventStatsDailyStream | None = None

    @override
    def skipped_streams(self) -> str:
        """Without the pixels, their statistics (when selected) have none to read either."""
        stats = self.event_stats
        names = [s.name for s in (self, stats) if s is not None and s.selected]
        return ", ".join(names) or self.name

    @override
    def generate_child_contexts(
        self, record: dict[str, Any], context: Context | None
    ) -> Iterable[Context | None]:
        """None per pixel: the statistics are synced once per advertiser (see `rows`)."""
        del record, context
        return ()

    @override
    def rows(self, context: Context) -> Iterator[dict[str, Any]]:
        """The advertiser's pixels; once all are read, their statistics (if selected).

        One `pixel/list/` read serves both streams: selected alone, the statistics still
        list the pixels through this stream, whose records are then not written.
        """
        pixel_ids: list[str] = []
        for row in self.request_records(context):
            pixel_ids.append(str(row.get("pixel_id")))
            yield row
        stats = self.event_stats
        if stats is not None and stats.selected:
            advertiser_id = context["advertiser_id"]
            stats.hand_over(advertiser_id, pixel_ids)
            self._sync_children({"advertiser_id": advertiser_id})


class PixelEventStatsDailyStream(CompleteDataBookmarks, OptionalAdvertiserStream):
    """`pixel/event/stats/`: each pixel's event counts per UTC day (Go SDK `EventStatsRequest`).

    The endpoint sums a `date_range` of UTC days (at most 30) for at most 10 pixels and has no
    day breakdown, so each day is its own request per 10 pixels. The days run like a daily
    report's: from `start_date`, later from `attribution_window_days` before the bookmark
    (attributed counts grow late), to `end_date` or today (UTC); the bookmark moves after each
    complete day, never past the last final day. Inferred: TikTok documents no latency for
    pixel event counts; they are taken as its real-time report data (Doc 1738864894606337),
    final 30 minutes after the day and its next 12:00 UTC data fix. A child stream of
    `pixels` (the SDK's parent and child streams): the pixels stream hands over each
    advertiser's pixel IDs from its own `pixel/list/` read.
    """

    name = "pixel_event_stats_daily"
    path = "/pixel/event/stats/"
    parent_stream_type = PixelsStream
    state_partitioning_keys = ("advertiser_id",)
    primary_keys = ("advertiser_id", "pixel_id", "date", "event")
    replication_key = "date"
    paginated = False  # no page parameters: one answer per request
    is_sorted = True  # the bookmark moves by day, through `set_bookmark`
    check_sorted = False
    schema = with_extra_fields(
        th.PropertiesList(
            th.Property("advertiser_id", th.StringType, required=True),
            th.Property("pixel_id", th.StringType, required=True),
            th.Property("date", th.DateType, required=True),
            # `pixel_event_type` for a standard event, else `custom_event_type`.
            th.Property("event", th.StringType, required=True),
            th.Property("pixel_event_type", th.StringType),
            th.Property("custom_event_type", th.StringType),
            *(th.Property(name, th.IntegerType) for name in _COUNTS),
        ).to_dict()
    )

    def __init__(self, tap: Tap, runtime: Runtime) -> None:
        """No pixels known yet: `pixels` hands them over per advertiser."""
        super().__init__(tap, runtime)
        self._pending: dict[str, list[str]] = {}
        self.extra_fields = ExtraFields(self.name, self.schema, self.logger)

    def hand_over(self, advertiser_id: str, pixel_ids: list[str]) -> None:
        """Keep an advertiser's pixel IDs until the SDK syncs this stream for it."""
        self._pending[advertiser_id] = pixel_ids

    @override
    def request_params(self, context: Context | None) -> dict[str, Any]:
        """Up to 10 pixels and one UTC day."""
        context = context or {}
        day = context["day"]
        return {
            "advertiser_id": context["advertiser_id"],
            "pixel_ids": list(context["pixel_ids"]),
            "date_range": {"start_date": day, "end_date": day},
        }

    @override
    def get_records(self, context: Context | None) -> Iterable[dict[str, Any]]:
        """The advertiser's days; none once TikTok refused it."""
        if context is not None:
            yield from self.unless_refused(context["advertiser_id"], self._days(context))

    def _days(self, context: Context) -> Iterator[dict[str, Any]]:
        advertiser_id = context["advertiser_id"]
        settings = self.runtime.settings
        start, end = dates.days_to_read(
            settings.start_date,
            settings.end_date,
            settings.attribution_window_days,
            "UTC",  # Go SDK EventStatsRequest: the days are UTC days
            self.resume_day_bookmark(
                context, "UTC", functools.partial(dates.last_final_real_time_day, "UTC")
            ),
        )
        pixel_ids = self._pending.pop(advertiser_id, [])
        if not pixel_ids or start > end:
            return
        final = dates.last_final_real_time_day("UTC")
        day = start
        while day <= end:
            text = dates.format_day(day)
            for batch in range(0, len(pixel_ids), MAX_STATS_PIXELS):
                query = {
                    **context,
                    "day": text,
                    "pixel_ids": pixel_ids[batch : batch + MAX_STATS_PIXELS],
                }
                for row in self.request_records(query):
                    for record in _event_records(advertiser_id, text, row):
                        yield self.extra_fields.keep(record)
            self.set_bookmark(context, dates.format_day(min(day, final)), final=True)
            day += dt.timedelta(days=1)


def _event_records(advertiser_id: str, day: str, row: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """One record per event type of one pixel's `statistics`.

    Members of the pixel's row or of its statistics beyond those read here stay in the record
    (for `extra_fields`), so none TikTok adds is lost.
    """
    pixel = {name: value for name, value in row.items() if name != "statistics"}
    for stats in row.get("statistics") or []:
        event = stats.get("pixel_event_type") or stats.get("custom_event_type")
        if not event:
            continue
        yield {
            **pixel,
            **stats,
            **{name: to_integer(stats.get(name)) for name in _COUNTS},
            "advertiser_id": advertiser_id,
            "pixel_id": str(row.get("pixel_id")),
            "date": day,
            "event": str(event),
            "pixel_event_type": stats.get("pixel_event_type"),
            "custom_event_type": stats.get("custom_event_type"),
        }


def measurement_streams(tap: Tap, runtime: Runtime) -> list[TikTokStream]:
    """The pixels, their daily event statistics and the custom audiences."""
    pixels = PixelsStream(tap, runtime, PIXELS)
    pixels.event_stats = PixelEventStatsDailyStream(tap, runtime)
    return [pixels, pixels.event_stats, AccountObjectStream(tap, runtime, CUSTOM_AUDIENCES)]
