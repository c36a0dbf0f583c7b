"""TikTok Shop GMV Max: stores, GMV Max campaigns and their report, with deterministic data.

Routes: `gmv_max/store/list/` (Doc 1822001044479041), `gmv_max/campaign/get/` (Doc
1826463372290177) and `gmv_max/report/get/` (Doc 1824721673497601, metric rules in
`gmv_max_rules.py`). GMV Max cost exists only here, never in `report/integrated/get/`.

The world, a pure function of the `DataSpec` and the advertisers: of every three advertisers
(sorted), the first has two stores for GMV Max, the second one store for GMV Max and one that is
not available for it, the third no TikTok Shop at all (an empty `store_list`). Each available
store runs a Product, a LIVE and a deleted Product GMV Max campaign; a campaign has a row on
each day from its first day to its last, except every day whose hash says it was paused.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from tests.fake_api.entity_fields import UNDOCUMENTED_FIELD
from tests.fake_api.gmv_max_rules import (
    CAMPAIGN_STATUSES,
    DEFAULT_PAGE_SIZE,
    MAX_FILTER_IDS,
    MAX_PAGE_SIZE,
    MAX_STORE_IDS,
    PROMOTION_TYPES,
    MetricType,
    check_dates,
    check_metrics,
    fail,
    metric_type,
)
from tests.fake_api.hashing import hash_ints, text_key
from tests.fake_api.routes import register

if TYPE_CHECKING:
    from tests.fake_api.data import DataSpec, FakeData
    from tests.fake_api.request import ApiRequest

CAMPAIGN_PAGE_SIZE = 100  # Doc 1826463372290177: page_size "Value range: 1-100"
MAX_CAMPAIGN_STORE_IDS = 10  # Doc 1826463372290177: filtering.store_ids "Max size: 10"
# Doc 1826463372290177: gmv_max_promotion_types of campaign/get/ -> the report's names.
CAMPAIGN_PROMOTION_TYPES = {"PRODUCT_GMV_MAX": "PRODUCT", "LIVE_GMV_MAX": "LIVE"}
PRIMARY_STATUSES = frozenset({"STATUS_DELIVERY_OK", "STATUS_DISABLE", "STATUS_DELETE"})
TIME_FORMAT = "%Y-%m-%d %H:%M:%S"
DELETED_AFTER_DAYS = 40  # a deleted campaign ran this many days before it was deleted
PAUSED_ONE_DAY_IN = 7  # about one day in seven has no row
# Totals the fake sums; every other number is derived from them like TikTok defines it.
BASE_QUANTITIES = (
    "cost",
    "net_cost",
    "orders",
    "gross_revenue",
    "all_shops_orders",
    "all_shops_gross_revenue",
    "live_views",
    "10_second_live_views",
    "live_follows",
)
CENTS = frozenset({"cost", "net_cost", "gross_revenue", "all_shops_gross_revenue"})
# The levels below the campaign, and the campaign type each belongs to (Doc 1824722485971009).
BREAKDOWN_PROMOTION = {"product_product": "PRODUCT", "live_room": "LIVE"}


@dataclass(frozen=True)
class Store:
    """One TikTok Shop an advertiser has access to."""

    advertiser_id: str
    store_id: str
    available: bool
    record: dict[str, Any]


@dataclass(frozen=True)
class ShopCampaign:
    """One GMV Max campaign of one store."""

    advertiser_id: str
    store_id: str
    campaign_id: str
    promotion: str  # PRODUCT or LIVE (the report's names)
    deleted: bool
    first_day: date
    last_day: date
    record: dict[str, Any]  # as gmv_max/campaign/get/ returns it
    attributes: dict[str, str]  # the report's attribute metrics


@dataclass(frozen=True)
class ShopWorld:
    """Every advertiser's stores and GMV Max campaigns."""

    seed: int
    stores: dict[str, list[Store]]
    campaigns: dict[tuple[str, str], list[ShopCampaign]]

    def store(self, advertiser_id: str, store_id: str) -> Store | None:
        """The advertiser's store, if it has one with that id."""
        return next((s for s in self.stores.get(advertiser_id, []) if s.store_id == store_id), None)

    def quantities(self, campaign: ShopCampaign, day: date) -> dict[str, int] | None:
        """The base quantities of one campaign on one day; None when it has no row."""
        if not campaign.first_day <= day <= campaign.last_day:
            return None
        h = hash_ints(self.seed, text_key(campaign.campaign_id), day.toordinal())
        if h % PAUSED_ONE_DAY_IN == 0:
            return None
        cost = 500 + (h >> 8) % 50_000
        orders = (h >> 24) % 40
        gross = cost * (100 + (h >> 32) % 600) // 100 if orders else 0
        values = {
            "cost": cost,
            "net_cost": cost * 9 // 10,
            "orders": orders,
            "gross_revenue": gross,
            "all_shops_orders": 0,
            "all_shops_gross_revenue": 0,
            "live_views": 0,
            "10_second_live_views": 0,
            "live_follows": 0,
        }
        if campaign.promotion == "LIVE":
            views = 100 + (h >> 40) % 5000
            values |= {
                "all_shops_orders": orders + (h >> 12) % 5,
                "all_shops_gross_revenue": gross + (h >> 16) % 3000,
                "live_views": views,
                "10_second_live_views": views // 3,
                "live_follows": (h >> 48) % 30,
            }
        return values

    def products(
        self, campaign: ShopCampaign, day: date, quantities: dict[str, int]
    ) -> list[tuple[str, dict[str, str], dict[str, int]]]:
        """A Product GMV Max campaign's products (SPUs) that day, sharing its quantities."""
        key = text_key(campaign.campaign_id)
        first = 30 + hash_ints(self.seed, key, day.toordinal(), 5) % 41  # percent
        split = {name: amount * first // 100 for name, amount in quantities.items()}
        shares = [split, {name: amount - split[name] for name, amount in quantities.items()}]
        products = []
        for number, share in enumerate(shares):
            item = _id(self.seed, key, 500 + number)
            attributes = {
                "item_group_id": item,
                "product_name": f"Product {item[-4:]}",
                "product_image_url": f"https://example.com/product/{item}.png",
                "product_status": "available",
                "bid_type": campaign.attributes["bid_type"],
            }
            products.append((item, attributes, share))
        return products

    def room(self, campaign: ShopCampaign, day: date) -> tuple[str, dict[str, str]]:
        """The livestream a LIVE GMV Max campaign promoted that day (one a day), and its metrics."""
        room_id = _id(self.seed, text_key(campaign.campaign_id), day.toordinal())
        return room_id, {
            "live_name": f"LIVE {room_id[-4:]}",
            "live_status": "END",
            "live_launched_time": f"{day:%Y-%m-%d} 18:00:00",
            "live_duration": "3h 0m",
        }


def _id(*parts: int) -> str:
    """A 19-digit TikTok-like id."""
    return str(7_000_000_000_000_000_000 + hash_ints(*parts) % 10**18)


def _store_record(advertiser_id: str, store_id: str, number: int, *, available: bool) -> dict:
    """A `store_list` entry with the fields Doc 1822001044479041 lists."""
    bc_id = _id(text_key(advertiser_id), 99)
    return {
        # A field TikTok added after the transcription, on some (see entity_fields).
        **({UNDOCUMENTED_FIELD: f"value {number}"} if number == 0 else {}),
        "store_id": store_id,
        "is_gmv_max_available": available,
        "store_authorized_bc_id": bc_id,
        "is_owner_bc": number == 0,
        "store_authorized_bc_info": {
            "bc_id": bc_id,
            "bc_profile_image": f"https://example.com/bc/{bc_id}.png",
            "bc_name": f"Business Center {bc_id[-4:]}",
            "user_role": "ADMIN",
        },
        "thumbnail_url": f"https://example.com/shop/{store_id}.png",
        "store_name": f"Shop {store_id[-4:]}",
        "store_code": f"SHOP{store_id[-6:]}",
        "targeting_region_codes": ["US"],
        "store_status": "ACTIVE",
        "store_role": "AD_PROMOTION",
        "exclusive_authorized_advertiser_info": {
            "advertiser_id": advertiser_id,
            "advertiser_name": f"Advertiser {advertiser_id[-4:]}",
            "advertiser_status": "STATUS_ENABLE",
        },
    }


def _campaign(spec: DataSpec, store: Store, number: int) -> ShopCampaign:
    key = text_key(store.store_id)
    campaign_id = _id(spec.seed, key, number)
    promotion = "LIVE" if number == 1 else "PRODUCT"
    deleted = number == 2  # the third campaign of a store
    first_day = spec.first_day + timedelta(days=hash_ints(spec.seed, key, number) % 20)
    last_day = first_day + timedelta(days=DELETED_AFTER_DAYS) if deleted else spec.last_day
    created = datetime.combine(first_day - timedelta(days=1), datetime.min.time())
    enabled = not deleted and number == 0
    record = {
        "advertiser_id": store.advertiser_id,
        "campaign_id": campaign_id,
        "campaign_name": f"GMV Max {promotion.title()} {campaign_id[-4:]}",
        "operation_status": "ENABLE" if enabled else "DISABLE",
        "create_time": created.strftime(TIME_FORMAT),
        "modify_time": (created + timedelta(hours=5)).strftime(TIME_FORMAT),
        "objective_type": "PRODUCT_SALES",
        "secondary_status": "CAMPAIGN_STATUS_DELETE"
        if deleted
        else ("CAMPAIGN_STATUS_ENABLE" if enabled else "CAMPAIGN_STATUS_DISABLE"),
        "roi_protection_compensation_status": "NOT_ELIGIBLE",
        # A field TikTok added after the transcription, on some (see entity_fields).
        **({UNDOCUMENTED_FIELD: f"value {number}"} if number == 0 else {}),
    }
    attributes = {
        "campaign_id": campaign_id,
        "operation_status": record["operation_status"],
        "campaign_name": record["campaign_name"],
        "schedule_type": "Continuously",
        "schedule_start_time": created.strftime(TIME_FORMAT),
        "schedule_end_time": "",
        "target_roi_budget": f"{100 + number * 50:.2f}",
        "bid_type": "CUSTOM",
        "max_delivery_budget": "0.00",
        "roas_bid": f"{4 + number / 2:.2f}",
        "tt_account_name": f"creator_{campaign_id[-4:]}",
        "tt_account_profile_image_url": f"https://example.com/tt/{campaign_id}.png",
        "identity_id": _id(key, number, 7),
    }
    return ShopCampaign(
        store.advertiser_id,
        store.store_id,
        campaign_id,
        promotion,
        deleted,
        first_day,
        last_day,
        record,
        attributes,
    )


@lru_cache(maxsize=16)
def _world(spec: DataSpec, advertiser_ids: tuple[str, ...]) -> ShopWorld:
    stores: dict[str, list[Store]] = {}
    campaigns: dict[tuple[str, str], list[ShopCampaign]] = {}
    for index, advertiser_id in enumerate(advertiser_ids):
        count = (2, 2, 0)[index % 3]
        stores[advertiser_id] = []
        for number in range(count):
            store_id = _id(spec.seed, text_key(advertiser_id), number)
            available = not (index % 3 == 1 and number == 1)
            record = _store_record(advertiser_id, store_id, number, available=available)
            store = Store(advertiser_id, store_id, available, record)
            stores[advertiser_id].append(store)
            if available:
                campaigns[advertiser_id, store_id] = [_campaign(spec, store, n) for n in range(3)]
    return ShopWorld(spec.seed, stores, campaigns)


def shop_world(data: FakeData) -> ShopWorld:
    """The GMV Max world of this fake's data (computed once per spec)."""
    return _world(data.spec, tuple(data.advertiser_ids()))


def _ratio(numerator: float, denominator: float) -> str:
    return f"{numerator / denominator:.2f}" if denominator else "0.00"


def metric_values(totals: dict[str, int], attributes: dict[str, str]) -> dict[str, str]:
    """Every metric of Doc 1824722485971009 the fake models, as TikTok's strings."""
    cost = totals["cost"] / 100
    values = {
        name: f"{totals[name] / 100:.2f}" if name in CENTS else str(totals[name])
        for name in BASE_QUANTITIES
    }
    gross, all_gross = totals["gross_revenue"] / 100, totals["all_shops_gross_revenue"] / 100
    values |= {
        "cost_per_order": _ratio(cost, totals["orders"]),
        "roi": _ratio(gross, cost),
        "all_shops_cost_per_order": _ratio(cost, totals["all_shops_orders"]),
        "all_shops_roi": _ratio(all_gross, cost),
        "cost_per_live_view": _ratio(cost, totals["live_views"]),
        "cost_per_10_second_live_view": _ratio(cost, totals["10_second_live_views"]),
    }
    return attributes | values


def _keeps(statuses: list[str] | None, campaign: ShopCampaign) -> bool:
    """Doc 1824721673497601: only undeleted campaigns unless `campaign_statuses` says so."""
    if not statuses:
        return not campaign.deleted
    if "STATUS_ALL" in statuses:
        return True
    if campaign.deleted:
        return "STATUS_DELETE" in statuses
    enabled = campaign.record["operation_status"] == "ENABLE"
    wanted = {"STATUS_DELIVERY_OK" if enabled else "STATUS_DISABLE", "STATUS_NOT_DELIVERY"}
    return bool(wanted & set(statuses))


@dataclass(frozen=True)
class ShopReportQuery:
    """A validated `gmv_max/report/get/` request."""

    advertiser_id: str
    store_id: str
    kind: MetricType
    dimensions: tuple[str, ...]
    metrics: tuple[str, ...]
    start: date
    end: date
    promotion_types: tuple[str, ...]
    campaign_ids: frozenset[str] | None
    statuses: tuple[str, ...] | None


def _reported(query: ShopReportQuery, campaign: ShopCampaign) -> bool:
    """Whether a query reports this campaign.

    Product- and livestream-level rows come from the campaigns `campaign_ids` names, of the
    campaign type the level belongs to (Doc 1824722485971009), deleted ones too (inferred).
    """
    level_promotion = BREAKDOWN_PROMOTION.get(query.kind.name)
    if query.campaign_ids is not None and campaign.campaign_id not in query.campaign_ids:
        return False
    if level_promotion is not None:
        return campaign.promotion == level_promotion
    return campaign.promotion in query.promotion_types and _keeps(query.statuses, campaign)


def _units(
    world: ShopWorld, query: ShopReportQuery, campaign: ShopCampaign, day: date
) -> list[tuple[dict[str, str], dict[str, str], dict[str, int]]]:
    """A campaign's rows on a day: (dimension values, attribute metrics, base quantities)."""
    quantities = world.quantities(campaign, day)
    if quantities is None:
        return []
    values = {
        "advertiser_id": campaign.advertiser_id,
        "campaign_id": campaign.campaign_id,
        "stat_time_day": f"{day:%Y-%m-%d} 00:00:00",
    }
    if query.kind.name == "product_product":
        return [
            ({**values, "item_group_id": item}, attributes, shares)
            for item, attributes, shares in world.products(campaign, day, quantities)
        ]
    if query.kind.name == "live_room":
        room_id, attributes = world.room(campaign, day)
        return [({**values, "room_id": room_id}, attributes, quantities)]
    attributes = campaign.attributes if "campaign_id" in query.dimensions else {}
    return [(values, attributes, quantities)]


def shop_report_rows(world: ShopWorld, query: ShopReportQuery) -> list[dict[str, Any]]:
    """Every row of a query over all pages, sorted by its dimension values."""
    grouped: dict[tuple[str, ...], dict[str, Any]] = {}
    for campaign in world.campaigns.get((query.advertiser_id, query.store_id), []):
        if not _reported(query, campaign):
            continue
        for offset in range((query.end - query.start).days + 1):
            day = query.start + timedelta(days=offset)
            for values, attributes, quantities in _units(world, query, campaign, day):
                key = tuple(values[name] for name in query.dimensions)
                group = grouped.setdefault(
                    key,
                    {
                        "dimensions": {name: values[name] for name in query.dimensions},
                        "totals": dict.fromkeys(BASE_QUANTITIES, 0),
                        "attributes": attributes,
                    },
                )
                for name, amount in quantities.items():
                    group["totals"][name] += amount
    rows = []
    for key in sorted(grouped):
        group = grouped[key]
        values = metric_values(group["totals"], group["attributes"])
        rows.append(
            {
                "dimensions": group["dimensions"],
                "metrics": {name: values.get(name, "") for name in query.metrics},
            }
        )
    return rows


# -- handlers -----------------------------------------------------------------------------


def _page(request: ApiRequest, rows: list[dict[str, Any]], max_size: int) -> dict[str, Any]:
    page = request.integer("page", 1)
    page_size = request.integer("page_size", DEFAULT_PAGE_SIZE)
    if page < 1:
        raise fail("page: Must be greater than or equal to 1.")
    if not 1 <= page_size <= max_size:
        raise fail(f"page_size: Must be between 1 and {max_size}.")
    total = len(rows)
    return {
        "list": rows[(page - 1) * page_size : page * page_size],
        "page_info": {
            "page": page,
            "page_size": page_size,
            "total_number": total,
            "total_page": -(-total // page_size),
        },
    }


def _ids(filtering: dict[str, Any], name: str, limit: int) -> list[str] | None:
    values = filtering.get(name)
    if values is None:
        return None
    if not isinstance(values, list) or not all(isinstance(v, (str, int)) for v in values):
        raise fail(f"filtering.{name}: Not a valid list of strings.")
    if len(values) > limit:
        raise fail(f"filtering.{name}: Longer than maximum length {limit}.")
    return [str(v) for v in values]


def _filtering(request: ApiRequest, *, required: bool) -> dict[str, Any]:
    filtering = request.params.get("filtering")
    if filtering is None and required:
        raise fail("filtering: Missing data for required field.")
    if filtering is not None and not isinstance(filtering, dict):
        raise fail("filtering: Not a valid mapping type (an object, not a list).")
    return filtering or {}


def store_list(request: ApiRequest) -> dict[str, Any]:
    """The advertiser's TikTok Shops; an advertiser without one gets an empty list."""
    advertiser_id = request.text("advertiser_id", required=True) or ""
    request.require_advertiser(advertiser_id)
    stores = shop_world(request.api.data).stores.get(advertiser_id, [])
    return {"store_list": [dict(store.record) for store in stores]}


def campaign_get(request: ApiRequest) -> dict[str, Any]:
    """One page of GMV Max campaigns; deleted ones only with `primary_status` STATUS_DELETE.

    Doc 1826463372290177 does not say what the default status filter is; like the other
    entity endpoints (reference 3.3), the fake hides deleted campaigns unless asked for.
    """
    advertiser_id = request.text("advertiser_id", required=True) or ""
    request.require_advertiser(advertiser_id)
    filtering = _filtering(request, required=True)
    types = filtering.get("gmv_max_promotion_types")
    if not types:
        raise fail("filtering.gmv_max_promotion_types: Missing data for required field.")
    if not isinstance(types, list) or not set(types) <= set(CAMPAIGN_PROMOTION_TYPES):
        raise fail(f"filtering.gmv_max_promotion_types: {types!r} is not a valid value.")
    promotions = {CAMPAIGN_PROMOTION_TYPES[t] for t in types}
    store_ids = _ids(filtering, "store_ids", MAX_CAMPAIGN_STORE_IDS)
    campaign_ids = _ids(filtering, "campaign_ids", MAX_FILTER_IDS)
    status = filtering.get("primary_status")
    if status is not None and status not in PRIMARY_STATUSES:
        raise fail(f"filtering.primary_status: {status!r} is not a valid status.")
    world = shop_world(request.api.data)
    found = [
        campaign
        for (owner, store_id), campaigns in world.campaigns.items()
        if owner == advertiser_id and (store_ids is None or store_id in store_ids)
        for campaign in campaigns
        if campaign.promotion in promotions
        and (campaign_ids is None or campaign.campaign_id in campaign_ids)
        and _keeps([status] if status else None, campaign)
    ]
    found.sort(key=lambda c: c.campaign_id, reverse=True)
    fields = request.text_list("fields")
    records = [{k: v for k, v in c.record.items() if not fields or k in fields} for c in found]
    return _page(request, records, CAMPAIGN_PAGE_SIZE)


def _day(request: ApiRequest, name: str) -> date:
    text = request.text(name, required=True) or ""
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise fail(f"{name}: {text!r} is not in the format YYYY-MM-DD.") from None


def parse_shop_report_query(request: ApiRequest) -> ShopReportQuery:
    """Validate a `gmv_max/report/get/` request (Docs 1824721673497601, 1824722485971009)."""
    advertiser_id = request.text("advertiser_id", required=True) or ""
    store_ids = request.text_list("store_ids", required=True) or []
    if len(store_ids) != MAX_STORE_IDS:
        raise fail(f"store_ids: Length must be between 1 and {MAX_STORE_IDS}.")
    dimensions = request.text_list("dimensions", required=True) or []
    metrics = request.text_list("metrics", required=True) or []
    if not metrics:
        raise fail("metrics: Missing data for required field.")
    start, end = _day(request, "start_date"), _day(request, "end_date")
    filtering = _filtering(request, required=False)
    promotion_types = filtering.get("gmv_max_promotion_types")
    if promotion_types is not None and (
        not isinstance(promotion_types, list) or not set(promotion_types) <= PROMOTION_TYPES
    ):
        raise fail(f"filtering.gmv_max_promotion_types: {promotion_types!r} is not valid.")
    kind = metric_type(dimensions, promotion_types, filtering)
    check_metrics(kind, metrics, dimensions, filtering)
    check_dates(start, end, dimensions)
    statuses = _ids(filtering, "campaign_statuses", len(CAMPAIGN_STATUSES))
    if statuses is not None and not set(statuses) <= CAMPAIGN_STATUSES:
        raise fail(f"filtering.campaign_statuses: {statuses!r} is not valid.")
    campaign_ids = _ids(filtering, "campaign_ids", MAX_FILTER_IDS)
    if not kind.served or "stat_time_hour" in dimensions:
        raise fail("The fake API does not model this GMV Max metric type or hourly data.")
    request.require_advertiser(advertiser_id)
    store = shop_world(request.api.data).store(advertiser_id, store_ids[0])
    if store is None or not store.available:
        raise fail(f"store_ids: Store {store_ids[0]} is not available for GMV Max.")
    return ShopReportQuery(
        advertiser_id=advertiser_id,
        store_id=store_ids[0],
        kind=kind,
        dimensions=tuple(dimensions),
        metrics=tuple(metrics),
        start=start,
        end=end,
        promotion_types=tuple(promotion_types or sorted(PROMOTION_TYPES)),
        campaign_ids=None if campaign_ids is None else frozenset(campaign_ids),
        statuses=None if statuses is None else tuple(statuses),
    )


def query_cost(world: ShopWorld, query: ShopReportQuery) -> int:
    """How heavy a GMV Max query is for TikTok: campaigns reported x days queried (inferred).

    Inferred, like `ReportEngine.cost` for `report/integrated/get/`: Doc 1757262274182145 ties
    timeouts to the IDs returned and the days queried.
    """
    campaigns = world.campaigns.get((query.advertiser_id, query.store_id), [])
    reported = sum(1 for campaign in campaigns if _reported(query, campaign))
    return reported * max(0, (query.end - query.start).days + 1)


def report_get(request: ApiRequest) -> dict[str, Any]:
    """One page of a GMV Max report, over the days that have data (up to today, local).

    Slow queries time out and are punished like synchronous reports (`timeouts.py`, Doc
    1757262274182145). Inferred: the doc speaks of the Reporting API; that TikTok treats
    `gmv_max/report/get/` the same is our reading. Its Scenario 4 shape is the GMV Max metric
    type and the number of days.
    """
    query = parse_shop_report_query(request)
    data = request.api.data
    today = data.local_today(query.advertiser_id, request.api.now())
    end = min(query.end, today, data.spec.last_day)
    world = shop_world(data)
    query = replace(query, end=end)
    shape = f"gmv_max/report/get/ {query.kind.name} {(query.end - query.start).days + 1} days"
    request.api.timeouts.judge(request, query_cost(world, query), shape)
    rows = shop_report_rows(world, query)
    return _page(request, rows, MAX_PAGE_SIZE)


register("gmv_max/store/list/", store_list)
register("gmv_max/campaign/get/", campaign_get)
register("gmv_max/report/get/", report_get)
