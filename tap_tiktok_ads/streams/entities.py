"""Campaigns, ad groups and ads: one stream class, parameterised by an entity definition.

Each is read per advertiser and replicated incrementally on `modify_time`. TikTok returns
entities by id, not by modification time, so the bookmark is the largest `modify_time` seen
and is written only once every entity of that advertiser was emitted: an interrupted run
never skips an entity. The first run emits every entity whatever its age (`start_date` is
about report days, not entities); later runs emit the entities whose `modify_time` is at or
after the bookmark.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from singer_sdk import typing as th
from typing_extensions import override

from tap_tiktok_ads import dates
from tap_tiktok_ads.bookmarks import CompleteDataBookmarks
from tap_tiktok_ads.client import PerAdvertiserStream

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

    from singer_sdk import Tap
    from singer_sdk.helpers.types import Context

    from tap_tiktok_ads.runtime import Runtime

TIKTOK_TIME_FORMAT = "%Y-%m-%d %H:%M:%S"  # entity times and filters, UTC (reference 3.3, 5)
# ad/get/ `modified_after`: "keep the range within 6 months" (reference 3.5); older bookmarks
# read everything and filter here.
MODIFIED_AFTER_MAX_AGE = dt.timedelta(days=180)
TIMESTAMP_FIELDS = ("create_time", "modify_time", "schedule_start_time", "schedule_end_time")

_STRINGS = th.ArrayType(th.StringType)


def _strings(*names: str) -> list[th.Property]:
    return [th.Property(name, th.StringType) for name in names]


def _flags(*names: str) -> list[th.Property]:
    return [th.Property(name, th.BooleanType) for name in names]


def _numbers(*names: str) -> list[th.Property]:
    return [th.Property(name, th.NumberType) for name in names]


def _lists(*names: str) -> list[th.Property]:
    return [th.Property(name, _STRINGS) for name in names]


# Fields every entity carries (reference 3.3-3.5).
_COMMON = [
    th.Property("advertiser_id", th.StringType, required=True),
    th.Property("create_time", th.DateTimeType),
    th.Property("modify_time", th.DateTimeType),
    *_strings("operation_status", "secondary_status"),
    *_flags("is_new_structure"),
]

CAMPAIGN_SCHEMA = th.PropertiesList(
    *_COMMON,
    th.Property("campaign_id", th.StringType, required=True),
    *_strings(
        "campaign_name",
        "campaign_type",
        "objective_type",
        "objective",
        "budget_mode",
        "bid_type",
        "deep_bid_type",
        "optimization_goal",
        "app_promotion_type",
        "rf_campaign_type",
        "campaign_automation_type",
        "campaign_system_origin",
        "app_id",
        "po_number",
    ),
    *_numbers("budget", "roas_bid"),
    *_flags("is_smart_performance_campaign", "is_search_campaign", "budget_optimize_on"),
    *_lists("special_industries"),
).to_dict()

ADGROUP_SCHEMA = th.PropertiesList(
    *_COMMON,
    th.Property("adgroup_id", th.StringType, required=True),
    *_strings(
        "campaign_id",
        "campaign_name",
        "adgroup_name",
        "budget_mode",
        "schedule_type",
        "dayparting",
        "pacing",
        "optimization_goal",
        "billing_event",
        "bid_type",
        "placement_type",
        "gender",
        "promotion_type",
        "pixel_id",
        "app_id",
    ),
    th.Property("schedule_start_time", th.DateTimeType),
    th.Property("schedule_end_time", th.DateTimeType),
    *_numbers("budget", "bid_price", "conversion_bid_price", "deep_cpa_bid"),
    *_flags("skip_learning_phase", "comment_disabled", "share_disabled", "video_download_disabled"),
    *_lists(
        "placements",
        "location_ids",
        "age_groups",
        "languages",
        "operating_systems",
        "interest_category_ids",
        "audience_ids",
        "excluded_audience_ids",
    ),
).to_dict()

AD_SCHEMA = th.PropertiesList(
    *_COMMON,
    th.Property("ad_id", th.StringType, required=True),
    *_strings(
        "campaign_id",
        "campaign_name",
        "adgroup_id",
        "adgroup_name",
        "ad_name",
        "ad_text",
        "ad_format",
        "video_id",
        "landing_page_url",
        "call_to_action",
        "call_to_action_id",
        "identity_id",
        "identity_type",
        "display_name",
        "profile_image_url",
        "deeplink",
        "deeplink_type",
        "tracking_pixel_id",
        "impression_tracking_url",
        "click_tracking_url",
    ),
    *_flags("is_aco", "creative_authorized"),
    *_lists("image_ids"),
).to_dict()


@dataclass(frozen=True)
class EntityDefinition:
    """What differs between the entity endpoints."""

    name: str
    path: str
    id_field: str
    schema: dict[str, Any]
    # `filtering` objects that together return active and deleted entities; each is one
    # pass over the pages. Deleted entities are hidden by default (reference 3.3-3.5).
    with_deleted: tuple[Mapping[str, str], ...]
    # Whether `filtering.modified_after` exists (only on ad/get/, reference 3.5).
    modified_after_filter: bool = False


ENTITIES = (
    # Campaigns document no "all statuses" value; a second pass asks for the deleted ones.
    EntityDefinition(
        "campaigns",
        "/campaign/get/",
        "campaign_id",
        CAMPAIGN_SCHEMA,
        with_deleted=({}, {"primary_status": "STATUS_DELETE"}),
    ),
    EntityDefinition(
        "adgroups",
        "/adgroup/get/",
        "adgroup_id",
        ADGROUP_SCHEMA,
        with_deleted=({"primary_status": "STATUS_ALL"},),
    ),
    EntityDefinition(
        "ads",
        "/ad/get/",
        "ad_id",
        AD_SCHEMA,
        with_deleted=({"primary_status": "STATUS_ALL"},),
        modified_after_filter=True,
    ),
)


class EntityStream(CompleteDataBookmarks, PerAdvertiserStream):
    """Any entity endpoint, from its definition: one partition and bookmark per advertiser."""

    replication_key = "modify_time"
    # TikTok sorts by id, not by `modify_time`: records never move the bookmark (see
    # `_increment_stream_state`); `get_records` writes it once an advertiser is complete, so
    # every STATE message is resumable.
    is_sorted = True
    check_sorted = False

    def __init__(self, tap: Tap, runtime: Runtime, definition: EntityDefinition) -> None:
        """Build the stream for one entity definition."""
        self.definition = definition
        super().__init__(
            tap, runtime, name=definition.name, schema=definition.schema, path=definition.path
        )
        self.primary_keys = [definition.id_field]
        properties = definition.schema["properties"]
        self._text_fields = frozenset(
            name
            for name, schema in properties.items()
            if schema.get("type") in (["string", "null"], ["string"]) and "format" not in schema
        )
        self._text_list_fields = frozenset(
            name
            for name, schema in properties.items()
            if schema.get("items") == {"type": ["string"]}
        )

    @override
    def request_params(self, context: Context | None) -> dict[str, Any]:
        """The advertiser and, when there is one, the pass's `filtering` object."""
        context = context or {}
        params: dict[str, Any] = {"advertiser_id": context["advertiser_id"]}
        if context.get("filtering"):
            params["filtering"] = dict(context["filtering"])
        return params

    @override
    def get_records(self, context: Context | None) -> Iterable[dict[str, Any]]:
        """The advertiser's entities changed since the bookmark (all of them without one).

        When TikTok refuses the advertiser, its bookmark stays and the run goes on with the
        next advertiser (the run fails at its end, naming it).
        """
        if context is not None:
            yield from self.unless_refused(
                context["advertiser_id"], self._advertiser_entities(context)
            )

    def _advertiser_entities(self, context: Context) -> Iterable[dict[str, Any]]:
        started = dates.utc_now().replace(microsecond=0)
        since = dates.parse_tiktok_time(self.resume_bookmark(context))
        latest = since
        for filtering in self._filterings(since):
            for row in self.request_records({**context, "filtering": filtering}):
                record = self._normalise(row)
                changed = dates.parse_tiktok_time(record.get("modify_time"))
                if since is not None and changed is not None and changed < since:
                    continue
                if changed is not None and (latest is None or changed > latest):
                    latest = changed
                yield record
        if latest is not None:
            # Never past the clock: a `modify_time` from the future must not hide changes.
            self.set_bookmark(context, min(latest, started).isoformat())

    def _filterings(self, since: dt.datetime | None) -> list[dict[str, str]]:
        """One `filtering` object per pass: status filters plus `modified_after` if any."""
        passes = self.definition.with_deleted if self.runtime.settings.include_deleted else ({},)
        extra: dict[str, str] = {}
        if (
            since is not None
            and self.definition.modified_after_filter
            and since > dates.utc_now() - MODIFIED_AFTER_MAX_AGE
        ):
            # One second earlier: TikTok's "after" may be strict; `>=` is applied here.
            moment = since.astimezone(dt.timezone.utc) - dt.timedelta(seconds=1)
            extra["modified_after"] = moment.strftime(TIKTOK_TIME_FORMAT)
        return [{**status_filter, **extra} for status_filter in passes]

    def _normalise(self, row: dict[str, Any]) -> dict[str, Any]:
        """ISO 8601 UTC times, ids as text, and a `modify_time` that is never missing.

        An entity TikTok sends without `modify_time` (Smart+ ads, reference 3.5) gets its
        `create_time` there: never modified since creation is the one thing we know. An
        entity with neither is emitted on every run and does not move the bookmark.
        """
        record = dict(row)
        for name in TIMESTAMP_FIELDS:
            if name in record:
                moment = dates.parse_tiktok_time(record[name])
                record[name] = moment.isoformat() if moment else None
        if record.get("modify_time") is None and record.get("create_time") is not None:
            record["modify_time"] = record["create_time"]
        for name in self._text_fields:
            value = record.get(name)
            if isinstance(value, int) and not isinstance(value, bool):
                record[name] = str(value)  # v1.2 sent ids as numbers (reference 1.4)
        for name in self._text_list_fields:
            values = record.get(name)
            if isinstance(values, list):  # id lists too, e.g. `location_ids` [6252001]
                record[name] = [
                    str(v) if isinstance(v, int) and not isinstance(v, bool) else v for v in values
                ]
        return record


def entity_streams(tap: Tap, runtime: Runtime) -> list[EntityStream]:
    """The campaigns, ad groups and ads streams."""
    return [EntityStream(tap, runtime, definition) for definition in ENTITIES]
