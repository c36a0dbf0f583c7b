"""Entity reads: `campaign/get/` (3.3), `adgroup/get/` (3.4) and `ad/get/` (3.5).

One handler serves all three levels: `filtering` is a JSON object, deleted entities are
hidden unless a status filter asks for them, the list is sorted by id descending, and
`page_info` is exact. Promote and TopView entities are hidden unless `campaign_system_origins`
and `buying_types` ask for them (their documented defaults). A parameter or filter key the
level's reference page does not list is refused (40002), so is `RESERVATION_TOP_VIEW` combined
with another buying type. Only `ad/get/` knows `modified_after`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from functools import partial
from typing import TYPE_CHECKING, Any

from tests.fake_api.request import PARAMETER_ERROR, ApiError, ApiRequest
from tests.fake_api.routes import register
from tests.fake_api.vocabulary import DataLevel

if TYPE_CHECKING:
    from collections.abc import Callable

    from tests.fake_api.catalog import Entity

DEFAULT_PAGE_SIZE = 10  # reference 3.3
MAX_PAGE_SIZE = 1000  # reference 3.3-3.5
MAX_FILTER_IDS = 100  # reference 3.3-3.5: each id list takes at most 100 ids
MODIFIED_AFTER_MAX_AGE = timedelta(days=183)  # reference 3.5: "keep the range within 6 months"
TIME_FORMAT = "%Y-%m-%d %H:%M:%S"
PRIMARY_STATUSES = frozenset(
    {"STATUS_ALL", "STATUS_NOT_DELETE", "STATUS_DELETE", "STATUS_DELIVERY_OK", "STATUS_DISABLE"}
)
# campaign/get/ (Doc 1739315828649986), adgroup/get/ (Doc 1739314558673922) and ad/get/
# (bububa model/ad/get.go): the filters on a campaign's origin and buying type, and defaults.
ORIGINS = frozenset({"PROMOTE", "TT_ADS_PLATFORM"})
DEFAULT_ORIGINS = ("TT_ADS_PLATFORM",)
BUYING_TYPES = frozenset({"AUCTION", "RESERVATION_RF", "RESERVATION_TOP_VIEW"})
DEFAULT_BUYING_TYPES = ("AUCTION", "RESERVATION_RF")
TOP_VIEW = "RESERVATION_TOP_VIEW"  # "cannot be combined with other values"
TOP_VIEW_MAX_PAGE_SIZE = 100  # adgroup/get/: page_size at most 100 with RESERVATION_TOP_VIEW
PARAMETERS = frozenset(
    {"advertiser_id", "fields", "exclude_field_types_in_response", "filtering", "page", "page_size"}
)
_COMMON_FILTERS = (
    "campaign_automation_type",
    "campaign_ids",
    "campaign_system_origins",
    "primary_status",
    "secondary_status",
    "objective_type",
    "buying_types",
    "optimization_goal",
    "creation_filter_start_time",
    "creation_filter_end_time",
)


@dataclass(frozen=True)
class EntityLevel:
    """What differs between the three entity endpoints."""

    level: DataLevel
    status_prefix: str  # secondary_status values start with it, e.g. CAMPAIGN_STATUS_
    id_filters: tuple[str, ...]  # e.g. `campaign_ids`, matched on the record's `campaign_id`
    filters: frozenset[str]  # the `filtering` keys its reference page lists
    modified_filter: bool = False
    top_view_page_limit: bool = False  # page_size at most 100 for TopView (adgroup/get/)


LEVELS = {
    "campaign/get/": EntityLevel(
        DataLevel.CAMPAIGN,
        "CAMPAIGN_STATUS_",
        ("campaign_ids",),
        frozenset(
            {
                *_COMMON_FILTERS,
                "campaign_name",
                "sales_destination",
                "is_smart_performance_campaign",
                "creative_campaign_type",
                "split_test_enabled",
                "campaign_product_source",
                "campaign_type",
                "gmv_max_promotion_types",
                "store_ids",
            }
        ),
    ),
    "adgroup/get/": EntityLevel(
        DataLevel.ADGROUP,
        "ADGROUP_STATUS_",
        ("campaign_ids", "adgroup_ids"),
        frozenset(
            {
                *_COMMON_FILTERS,
                "adgroup_ids",
                "adgroup_name",
                "promotion_type",
                "bid_strategy",
                "creative_material_mode",
                "billing_events",
                "split_test_enabled",
            }
        ),
        top_view_page_limit=True,
    ),
    "ad/get/": EntityLevel(
        DataLevel.AD,
        "AD_STATUS_",
        ("campaign_ids", "adgroup_ids", "ad_ids"),
        frozenset(
            {*_COMMON_FILTERS, "adgroup_ids", "ad_ids", "creative_material_mode", "destination"}
            | {"modified_after"}
        ),
        modified_filter=True,
    ),
}


def _fail(message: str) -> ApiError:
    return ApiError(PARAMETER_ERROR, message)


def _primary_match(status: str, entity: Entity) -> bool:
    if status == "STATUS_ALL":
        return True
    if status == "STATUS_DELETE":
        return entity.deleted
    if status == "STATUS_DELIVERY_OK":
        return not entity.deleted and entity.enabled
    if status == "STATUS_DISABLE":
        return not entity.deleted and not entity.enabled
    return not entity.deleted  # STATUS_NOT_DELETE, the default


def _status_filter(filtering: dict[str, Any], spec: EntityLevel) -> Callable[[Entity], bool]:
    """A predicate for the status filters; deleted entities are hidden unless asked for."""
    primary = filtering.get("primary_status")
    secondary = filtering.get("secondary_status")
    if primary is not None and primary not in PRIMARY_STATUSES:
        raise _fail(f"filtering.primary_status: {primary!r} is not a valid status.")
    if secondary is not None and not (
        isinstance(secondary, str) and secondary.startswith(spec.status_prefix)
    ):
        raise _fail(f"filtering.secondary_status: {secondary!r} is not a valid status.")
    if primary is None and secondary is not None:
        primary = "STATUS_ALL"  # a secondary status alone decides (3.3: ..._STATUS_DELETE)

    def keep(entity: Entity) -> bool:
        if not _primary_match(primary or "STATUS_NOT_DELETE", entity):
            return False
        all_statuses = f"{spec.status_prefix}ALL"
        return secondary in {None, all_statuses} or entity.record["secondary_status"] == secondary

    return keep


def _id_filters(filtering: dict[str, Any], spec: EntityLevel) -> dict[str, frozenset[str]]:
    """Record field -> the ids it must be one of."""
    wanted: dict[str, frozenset[str]] = {}
    for key in spec.id_filters:
        values = filtering.get(key)
        if values is None:
            continue
        if not isinstance(values, list) or not all(isinstance(v, (str, int)) for v in values):
            raise _fail(f"filtering.{key}: Not a valid list of strings.")
        if len(values) > MAX_FILTER_IDS:
            raise _fail(f"filtering.{key}: Longer than maximum length {MAX_FILTER_IDS}.")
        wanted[key.removesuffix("s")] = frozenset(str(v) for v in values)
    return wanted


def _choice_list(
    filtering: dict[str, Any], key: str, allowed: frozenset[str], default: tuple[str, ...]
) -> frozenset[str]:
    """A list filter of enum values, or its documented default when absent."""
    values = filtering.get(key)
    if values is None:
        return frozenset(default)
    if not isinstance(values, list) or not values or not all(v in allowed for v in values):
        raise _fail(f"filtering.{key}: {values!r} is not a list of {sorted(allowed)}.")
    return frozenset(values)


def _kind_filter(filtering: dict[str, Any]) -> Callable[[Entity], bool]:
    """A predicate for the campaign's origin and buying type, with their defaults."""
    origins = _choice_list(filtering, "campaign_system_origins", ORIGINS, DEFAULT_ORIGINS)
    buying = _choice_list(filtering, "buying_types", BUYING_TYPES, DEFAULT_BUYING_TYPES)
    if TOP_VIEW in buying and len(buying) > 1:
        raise _fail(f"filtering.buying_types: {TOP_VIEW} cannot be combined with other values.")
    return lambda entity: entity.origin in origins and entity.buying_type in buying


def _check_names(request: ApiRequest, filtering: dict[str, Any], spec: EntityLevel) -> None:
    """Refuse a parameter or filter key the level's reference page does not list."""
    unknown = sorted(set(request.params) - PARAMETERS)
    if unknown:
        raise _fail(f"{unknown[0]}: Unknown field.")
    unknown = sorted(set(filtering) - spec.filters)
    if unknown:
        raise _fail(f"filtering.{unknown[0]}: Unknown field.")


def _modified_after(request: ApiRequest, filtering: dict[str, Any]) -> str | None:
    """`filtering.modified_after` as comparable text (ad/get/ only, UTC, within 6 months)."""
    value = filtering.get("modified_after")
    if value is None:
        return None
    try:
        moment = datetime.strptime(str(value), TIME_FORMAT).replace(tzinfo=timezone.utc)
    except ValueError:
        raise _fail(
            f"filtering.modified_after: {value!r} is not in the format YYYY-MM-DD HH:MM:SS."
        ) from None
    if moment < request.api.now() - MODIFIED_AFTER_MAX_AGE:
        raise _fail("filtering.modified_after: must be within the last 6 months.")
    return moment.strftime(TIME_FORMAT)


def _last_change(record: dict[str, Any]) -> str:
    """What `modified_after` compares: `modify_time`, or `create_time` when it is missing."""
    return str(record.get("modify_time") or record.get("create_time") or "")


def entity_get(request: ApiRequest, spec: EntityLevel) -> dict[str, Any]:
    """One page of an advertiser's entities at one level."""
    advertiser_id = request.text("advertiser_id", required=True) or ""
    request.require_advertiser(advertiser_id)
    filtering = request.params.get("filtering") or {}
    if not isinstance(filtering, dict):
        raise _fail("filtering: Not a valid mapping type (an object, not a list).")
    page = request.integer("page", 1)
    page_size = request.integer("page_size", DEFAULT_PAGE_SIZE)
    if page < 1:
        raise _fail("page: Must be greater than or equal to 1.")
    if not 1 <= page_size <= MAX_PAGE_SIZE:
        raise _fail(f"page_size: Must be between 1 and {MAX_PAGE_SIZE}.")
    _check_names(request, filtering, spec)
    keep_kind = _kind_filter(filtering)
    top_view = TOP_VIEW in filtering.get("buying_types", ())
    if spec.top_view_page_limit and top_view and page_size > TOP_VIEW_MAX_PAGE_SIZE:
        raise _fail(f"page_size: At most {TOP_VIEW_MAX_PAGE_SIZE} with {TOP_VIEW}.")
    keep_status = _status_filter(filtering, spec)
    ids = _id_filters(filtering, spec)
    modified_after = _modified_after(request, filtering) if spec.modified_filter else None
    data = request.api.data
    entities = data.entities(advertiser_id, spec.level, include_deleted=True)
    records = [
        entity.record
        for entity in sorted(entities, key=lambda e: e.entity_id, reverse=True)
        if keep_status(entity)
        and keep_kind(entity)
        and all(str(entity.record.get(name)) in values for name, values in ids.items())
        and (modified_after is None or _last_change(entity.record) > modified_after)
    ]
    fields = request.text_list("fields")
    if fields:
        known = {name for entity in entities for name in entity.record}
        unknown = sorted(set(fields) - known)
        if unknown:
            raise _fail(f"fields: Invalid fields {unknown}.")
    excluded = request.text_list("exclude_field_types_in_response") or []
    drop_nulls = "NULL_FIELD" in excluded
    chosen = [
        {
            name: value
            for name, value in record.items()
            if (not fields or name in fields) and not (drop_nulls and value is None)
        }
        for record in records[(page - 1) * page_size : page * page_size]
    ]
    total = len(records)
    return {
        "list": chosen,
        "page_info": {
            "page": page,
            "page_size": page_size,
            "total_number": total,
            "total_page": -(-total // page_size),
        },
    }


for _path, _spec in LEVELS.items():
    register(_path, partial(entity_get, spec=_spec))
