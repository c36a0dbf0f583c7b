"""Entity reads: `campaign/get/` (3.3), `adgroup/get/` (3.4) and `ad/get/` (3.5).

One handler serves all three levels: `filtering` is a JSON object, deleted entities are
hidden unless a status filter asks for them, the list is sorted by id descending, and
`page_info` is exact. Only `ad/get/` knows `modified_after`; the other levels ignore it like
any unknown filter key (reference 1.3: unknown parameters are ignored).
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


@dataclass(frozen=True)
class EntityLevel:
    """What differs between the three entity endpoints."""

    level: DataLevel
    status_prefix: str  # secondary_status values start with it, e.g. CAMPAIGN_STATUS_
    id_filters: tuple[str, ...]  # e.g. `campaign_ids`, matched on the record's `campaign_id`
    modified_filter: bool = False


LEVELS = {
    "campaign/get/": EntityLevel(DataLevel.CAMPAIGN, "CAMPAIGN_STATUS_", ("campaign_ids",)),
    "adgroup/get/": EntityLevel(
        DataLevel.ADGROUP, "ADGROUP_STATUS_", ("campaign_ids", "adgroup_ids")
    ),
    "ad/get/": EntityLevel(
        DataLevel.AD, "AD_STATUS_", ("campaign_ids", "adgroup_ids", "ad_ids"), modified_filter=True
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
    keep_status = _status_filter(filtering, spec)
    ids = _id_filters(filtering, spec)
    modified_after = _modified_after(request, filtering) if spec.modified_filter else None
    data = request.api.data
    entities = data.entities(advertiser_id, spec.level, include_deleted=True)
    records = [
        entity.record
        for entity in sorted(entities, key=lambda e: e.entity_id, reverse=True)
        if keep_status(entity)
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
