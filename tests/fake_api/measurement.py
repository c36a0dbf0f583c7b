"""Measurement: `pixel/list/` and `dmp/custom_audience/list/`, with deterministic data.

Rules from Doc 1740858697598978 ("Get pixels") and Doc 1739940506015746 ("Get all audiences"),
as transcribed by the Go SDK (bububa/tiktok-business `model/pixel/list.go`,
`model/dmp/customaudience/list.go`) and TikTok's own SDK docs; the pages themselves are not
stored with this project. Pixels: `page_size` default 10, 1-20; the list is `data.pixels`,
oldest first unless `order_by` is LATEST_CREATE. Audiences: `custom_audience_ids` (1-100 ids),
`page_size` default 10, 1-100; the order (by creation, newest first) is inferred.

The world, a pure function of the `DataSpec` and the advertisers (sorted): of every three, the
first has `assets_per_advertiser` pixels and audiences, the second half as many plus one, the
third none.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from tests.fake_api.entity_fields import UNDOCUMENTED_FIELD
from tests.fake_api.hashing import hash_ints, text_key
from tests.fake_api.paging import advertiser, fail, filtering, id_list, page
from tests.fake_api.routes import register

if TYPE_CHECKING:
    from tests.fake_api.data import DataSpec, FakeData
    from tests.fake_api.request import ApiRequest

PIXEL_DEFAULT_PAGE_SIZE = 10  # Doc 1740858697598978
PIXEL_MAX_PAGE_SIZE = 20  # Doc 1740858697598978: page_size 1-20
PIXEL_PARAMETERS = (
    "advertiser_id",
    "code",
    "pixel_id",
    "name",
    "order_by",
    "filtering",
    "page",
    "page_size",
)
PIXEL_FILTERS = ("available_for_catalog_only",)
PIXEL_ORDERS = frozenset({"EARLIEST_CREATE", "LATEST_CREATE"})
AUDIENCE_DEFAULT_PAGE_SIZE = 10  # Doc 1739940506015746
AUDIENCE_MAX_PAGE_SIZE = 100  # Doc 1739940506015746: page_size 1-100
MAX_AUDIENCE_IDS = 100  # Doc 1739940506015746: custom_audience_ids, length 1-100
AUDIENCE_PARAMETERS = ("advertiser_id", "custom_audience_ids", "page", "page_size")
TIME_FORMAT = "%Y-%m-%d %H:%M:%S"
AUDIENCE_TYPES = ("Customer File Audience", "Website Audience", "Lookalike Audience")
PIXEL_EVENTS = (("COMPLETE_PAYMENT", "SHOPPING"), ("ON_WEB_ORDER", "ON_WEB_ORDER"))
STATS_PARAMETERS = ("advertiser_id", "pixel_ids", "date_range")
MAX_STATS_PIXELS = 10  # Go SDK pixel.EventStatsRequest: pixel_ids, at most 10
MAX_STATS_DAYS = 30  # Go SDK pixel.EventStatsRequest: date_range spans at most 30 days
CUSTOM_EVENT = "SHOPPING"  # a custom event every fake pixel also receives
STATS_COUNTS = (
    "attributed_count",
    "preview_count",
    "total_count",
    "browser_event_total_count",
    "server_event_total_count",
)


def _id(*parts: int) -> str:
    return str(7_200_000_000_000_000_000 + hash_ints(*parts) % 10**18)


def _created(spec: DataSpec, *parts: int) -> datetime:
    first = datetime.combine(spec.first_day, datetime.min.time(), tzinfo=timezone.utc)
    return first - timedelta(seconds=hash_ints(spec.seed, *parts) % (300 * 86_400))


def _pixel(spec: DataSpec, advertiser_id: str, number: int) -> dict[str, Any]:
    key = text_key(advertiser_id)
    pixel_id = _id(spec.seed, key, number, 11)
    code = f"C{hash_ints(spec.seed, key, number, 12) % 36**19:019d}"[:20]
    created = _created(spec, key, number, 13)
    events = [
        {
            "event_id": _id(spec.seed, key, number, 14, index),
            "event_code": f"{code}_{index}",
            "name": f"Event {index}",
            "event_type": event_type,
            "optimization_event": optimization,
            "statistic_type": "EVERY_TIME" if index == 0 else "ONCE",
            "currency": "USD",
            "currency_value": "" if index else "12.50",
            "deprecated": False,
            "rules": [
                {
                    "operator": "OPERATORTYPE_CONTAINS",
                    "trigger": "TRIGGERTYPE_PAGEVIEW",
                    "value": f"/checkout/{index}",
                    "variable": "PAGE_URL",
                }
            ],
        }
        for index, (event_type, optimization) in enumerate(PIXEL_EVENTS)
    ]
    newer = {UNDOCUMENTED_FIELD: f"value {number}"} if number % 3 == 1 else {}
    return {
        **newer,  # a field TikTok added after the transcription, on some (see entity_fields)
        "pixel_id": pixel_id,
        "pixel_code": code,
        "pixel_name": f"Pixel {number}",
        "pixel_category": "ONLINE_STORE",
        "pixel_script": f"<script>ttq.load('{code}')</script>",
        "create_time": int(created.timestamp() * 1000),  # Doc 1740858697598978: 1581679723600
        "pixel_setup_mode": "DEVELOPER" if number % 2 else "STANDARD",
        # Not in the Go SDK's model; as in an answer another project recorded
        # (tests/replay/fixtures/pixel_list/pixel_list_recorded.json): the only value seen.
        "activity_status": "ACTIVE",
        "partner_name": "" if number % 2 else "Shopify",
        "advanced_matching_fields": {"phone_number": number % 2 == 0, "email": True},
        "automatic_advanced_matching_fields": {
            "phone_number": True,
            "email": True,
            "name": number % 2 == 1,
            "address": False,
            "external_id": False,
        },
        "enable_first_party_cookies": True,
        "enable_expanded_data_sharing": number % 3 != 1,
        "asset_ownership": {
            "asset_relation_status": None if number % 2 == 0 else "TRANSFERRED",
            "ownership_status": True,
            "owner_bc_id": None if number % 2 == 0 else _id(spec.seed, key, 15),
            "updated_at": 0,  # as recorded (see `activity_status`)
        },
        "events": events,
    }


def _audience(spec: DataSpec, advertiser_id: str, number: int) -> dict[str, Any]:
    key = text_key(advertiser_id)
    created = _created(spec, key, number, 21)
    kind = AUDIENCE_TYPES[number % len(AUDIENCE_TYPES)]
    lookalike = kind == "Lookalike Audience"
    newer = {UNDOCUMENTED_FIELD: f"value {number}"} if number % 3 == 1 else {}
    return {
        **newer,  # a field TikTok added after the transcription, on some (see entity_fields)
        "audience_id": str(hash_ints(spec.seed, key, number, 22) % 10**10),
        "name": f"Audience {number}",
        "audience_type": kind,
        "audience_sub_type": "NORMAL",
        "calculate_type": "EMAIL_SHA256" if kind == "Customer File Audience" else None,
        "cover_num": 1000 + hash_ints(spec.seed, key, number, 23) % 1_000_000,
        "shared": number % 4 == 3,
        "is_creator": number % 4 != 3,
        "is_valid": True,
        "is_expiring": number % 5 == 4,
        "is_auto_refresh": kind == "Website Audience",
        "owner_id": advertiser_id,
        "rule": '{"inclusions": []}' if kind == "Website Audience" else None,
        "lookalike_spec": {
            "source_audience_id": str(hash_ints(spec.seed, key, 0, 22) % 10**10),
            "include_source": False,
            "mobile_os": "ALL",
            "placements": ["TikTok"],
            "location_ids": ["6252001"],
            "audience_size": "BALANCED",
        }
        if lookalike
        else None,
        "msg": "",
        "error_msg": "",
        "create_time": created.strftime(TIME_FORMAT),
        "expired_time": (created + timedelta(days=365)).strftime(TIME_FORMAT),
    }


def _count(spec: DataSpec, index: int) -> int:
    many = spec.assets_per_advertiser
    return (many, many // 2 + 1, 0)[index % 3]


@lru_cache(maxsize=16)
def _pixels(spec: DataSpec, advertiser_ids: tuple[str, ...]) -> dict[str, list[dict[str, Any]]]:
    return {
        advertiser_id: [_pixel(spec, advertiser_id, n) for n in range(_count(spec, index))]
        for index, advertiser_id in enumerate(advertiser_ids)
    }


@lru_cache(maxsize=16)
def _audiences(spec: DataSpec, advertiser_ids: tuple[str, ...]) -> dict[str, list[dict[str, Any]]]:
    return {
        advertiser_id: [_audience(spec, advertiser_id, n) for n in range(_count(spec, index))]
        for index, advertiser_id in enumerate(advertiser_ids)
    }


def pixels_of(data: FakeData) -> dict[str, list[dict[str, Any]]]:
    """Each advertiser's pixels, oldest first, as `pixel/list/` returns them."""
    return _pixels(data.spec, tuple(data.advertiser_ids()))


def audiences_of(data: FakeData) -> dict[str, list[dict[str, Any]]]:
    """Each advertiser's custom audiences, as `dmp/custom_audience/list/` returns them."""
    return _audiences(data.spec, tuple(data.advertiser_ids()))


def pixel_list(request: ApiRequest) -> dict[str, Any]:
    """One page of the advertiser's pixels, filtered by code, id or name."""
    advertiser_id = advertiser(request, PIXEL_PARAMETERS)
    filters = filtering(request, PIXEL_FILTERS)
    if filters.get("available_for_catalog_only"):
        raise fail("The fake API does not model pixels for catalogs.")
    order = request.text("order_by") or "EARLIEST_CREATE"
    if order not in PIXEL_ORDERS:
        raise fail(f"order_by: {order!r} is not a valid value.")
    code, pixel_id, name = request.text("code"), request.text("pixel_id"), request.text("name")
    rows = sorted(
        (
            dict(pixel)
            for pixel in pixels_of(request.api.data).get(advertiser_id, [])
            if code in {None, pixel["pixel_code"]}
            and pixel_id in {None, pixel["pixel_id"]}
            and (name is None or name.lower() in pixel["pixel_name"].lower())
        ),
        key=lambda pixel: (pixel["create_time"], pixel["pixel_id"]),
        reverse=order == "LATEST_CREATE",
    )
    return page(
        request,
        rows,
        default_size=PIXEL_DEFAULT_PAGE_SIZE,
        max_size=PIXEL_MAX_PAGE_SIZE,
        list_key="pixels",
    )


def custom_audience_list(request: ApiRequest) -> dict[str, Any]:
    """One page of the advertiser's custom audiences, newest first."""
    advertiser_id = advertiser(request, AUDIENCE_PARAMETERS)
    wanted = id_list(
        request.params.get("custom_audience_ids"), "custom_audience_ids", MAX_AUDIENCE_IDS
    )
    if wanted is not None and not wanted:
        raise fail("custom_audience_ids: Length must be between 1 and 100.")
    rows = sorted(
        (
            dict(audience)
            for audience in audiences_of(request.api.data).get(advertiser_id, [])
            if wanted is None or audience["audience_id"] in wanted
        ),
        key=lambda audience: (audience["create_time"], audience["audience_id"]),
        reverse=True,
    )
    return page(
        request, rows, default_size=AUDIENCE_DEFAULT_PAGE_SIZE, max_size=AUDIENCE_MAX_PAGE_SIZE
    )


def event_counts(data: FakeData, pixel_id: str, event: str, day: date) -> dict[str, int]:
    """One pixel's counts of one event type on one UTC day (none before the data's first day)."""
    if day < data.spec.first_day:
        return dict.fromkeys(STATS_COUNTS, 0)
    h = hash_ints(data.spec.seed, text_key(pixel_id), text_key(event), day.toordinal())
    browser, server = h % 400, (h >> 16) % 300
    total = browser + server
    return {
        "attributed_count": total * ((h >> 32) % 50) // 100,
        "preview_count": (h >> 40) % 5,
        "total_count": total,
        "browser_event_total_count": browser,
        "server_event_total_count": server,
    }


def stats_events(pixel: dict[str, Any]) -> list[tuple[str | None, str | None]]:
    """(pixel_event_type, custom_event_type) of every event type a pixel reports."""
    standard = [(event["event_type"], None) for event in pixel["events"]]
    return [*standard, (None, CUSTOM_EVENT)]


def _range(request: ApiRequest) -> tuple[date, date]:
    value = request.params.get("date_range")
    if not isinstance(value, dict) or set(value) != {"start_date", "end_date"}:
        raise fail("date_range: Must be an object with start_date and end_date.")
    try:
        start, end = date.fromisoformat(value["start_date"]), date.fromisoformat(value["end_date"])
    except (TypeError, ValueError):
        raise fail("date_range: Dates must be in the format YYYY-MM-DD.") from None
    if end < start or (end - start).days + 1 > MAX_STATS_DAYS:
        raise fail(f"date_range: The range must span 1 to {MAX_STATS_DAYS} days.")
    return start, end


def pixel_event_stats(request: ApiRequest) -> dict[str, Any]:
    """Each requested pixel's counts per event type, summed over the range (UTC days).

    Days after the server's UTC today have no events; a pixel the advertiser does not have
    is refused (inferred: like an unknown id anywhere, 40002).
    """
    advertiser_id = advertiser(request, STATS_PARAMETERS)
    wanted = request.text_list("pixel_ids", required=True) or []
    if not 1 <= len(wanted) <= MAX_STATS_PIXELS:
        raise fail(f"pixel_ids: Length must be between 1 and {MAX_STATS_PIXELS}.")
    start, end = _range(request)
    end = min(end, request.api.now().astimezone(timezone.utc).date())
    pixels = {p["pixel_id"]: p for p in pixels_of(request.api.data).get(advertiser_id, [])}
    rows = []
    for pixel_id in wanted:
        pixel = pixels.get(pixel_id)
        if pixel is None:
            raise fail(f"pixel_ids: Pixel {pixel_id} does not exist.")
        statistics = []
        for standard, custom in stats_events(pixel):
            totals = dict.fromkeys(STATS_COUNTS, 0)
            for offset in range(max(0, (end - start).days + 1)):
                day = start + timedelta(days=offset)
                counts = event_counts(request.api.data, pixel_id, standard or custom or "", day)
                for name, value in counts.items():
                    totals[name] += value
            statistic = {"pixel_event_type": standard, "custom_event_type": custom, **totals}
            if custom:  # a field TikTok added after the transcription (see entity_fields)
                statistic[UNDOCUMENTED_FIELD] = f"value of {custom}"
            statistics.append(statistic)
        rows.append({"pixel_id": pixel_id, "statistics": statistics})
    return {"list": rows}


register("pixel/list/", pixel_list)
register("dmp/custom_audience/list/", custom_audience_list)
register("pixel/event/stats/", pixel_event_stats)
