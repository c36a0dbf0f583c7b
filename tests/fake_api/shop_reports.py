"""`report/integrated/get/` with `report_type=TT_SHOP`: the GMV max ads report.

Its rules are read from `reference/tt_shop_report.txt`, the fake's own transcription of Docs
1803073629472770, 1803073899092993 and 1740302848100353. Its numbers come from the GMV Max world
of `gmv_max.py`: a GMV Max campaign's `spend` on a day is its GMV Max report `cost`, and its
`billed_cost` the report's `net_cost`, the cost without ad credit (inferred: the reference does
not relate the two reports). Every campaign counts, deleted ones too: TT_SHOP has no status
filter (inferred). A store's GMV max ads deliver in its first targeting region, which is the
row's `country_code` (inferred).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tests.fake_api.gmv_max import shop_world
from tests.fake_api.report_query import invalid_metrics_message
from tests.fake_api.request import PARAMETER_ERROR, ApiError

if TYPE_CHECKING:
    from tests.fake_api.data import FakeData
    from tests.fake_api.gmv_max import ShopWorld
    from tests.fake_api.request import ApiRequest

REPORT_TYPE = "TT_SHOP"
_REFERENCE = Path(__file__).parent / "reference" / "tt_shop_report.txt"
MAX_DAILY_DAYS = 30  # Doc 1740302848100353: with stat_time_day
MAX_DAYS = 365  # Doc 1740302848100353: without a time dimension
DEFAULT_PAGE_SIZE = 10  # Doc 1740302848100353
MAX_PAGE_SIZE = 1000  # Doc 1740302848100353
# Which base quantity of the GMV Max world each TT_SHOP metric adds up (inferred, see above).
QUANTITY_OF = {"spend": "cost", "billed_cost": "net_cost"}


@dataclass(frozen=True)
class ShopReportRules:
    """The TT_SHOP rules of the fake's transcription."""

    levels: frozenset[str] = frozenset()
    groupings: frozenset[frozenset[str]] = frozenset()
    metrics: dict[str, str] = field(default_factory=dict)  # name -> money, count, ...
    defaults: tuple[str, ...] = ()


def _read() -> ShopReportRules:
    levels: set[str] = set()
    groupings: set[frozenset[str]] = set()
    metrics: dict[str, str] = {}
    defaults: tuple[str, ...] = ()
    for line in _REFERENCE.read_text("utf-8").splitlines():
        word, *rest = line.split() or [""]
        if word == "level":
            levels.add(rest[0])
        elif word == "grouping":
            groupings.add(frozenset(rest))
        elif word == "metric":
            metrics[rest[0]] = rest[1]
        elif word == "default":
            defaults = tuple(rest)
    return ShopReportRules(frozenset(levels), frozenset(groupings), metrics, defaults)


RULES = _read()


def _fail(message: str) -> ApiError:
    return ApiError(PARAMETER_ERROR, message)


@dataclass(frozen=True)
class TtShopQuery:
    """A validated TT_SHOP request, without paging."""

    advertiser_id: str
    level: str
    dimensions: tuple[str, ...]
    metrics: tuple[str, ...]
    start: date
    end: date


def _day(request: ApiRequest, name: str) -> date:
    text = request.text(name, required=True) or ""
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise _fail(f"{name}: Not a valid date, expected YYYY-MM-DD.") from None


def parse_tt_shop_query(request: ApiRequest) -> TtShopQuery:
    """Validate a TT_SHOP request by the transcribed rules (40002 for anything else)."""
    advertiser_id = request.text("advertiser_id", required=True) or ""
    if request.text("service_type") not in {None, "AUCTION"}:
        raise _fail("service_type: TT_SHOP reports are AUCTION reports.")
    level = request.text("data_level", required=True) or ""
    if level not in RULES.levels:
        raise _fail(f"data_level: {level!r} is not supported when report_type is TT_SHOP.")
    if request.params.get("filtering") is not None:
        raise _fail("filtering: Not supported when report_type is TT_SHOP.")
    if request.flag("query_lifetime"):
        raise _fail("query_lifetime: Not supported when report_type is TT_SHOP.")
    if request.text("query_mode") not in {None, "REGULAR"}:
        raise _fail("query_mode: CHUNK mode is not supported when report_type is TT_SHOP.")
    dimensions = request.text_list("dimensions", required=True) or []
    if frozenset(dimensions) not in RULES.groupings or len(set(dimensions)) != len(dimensions):
        raise _fail(f"dimensions: {dimensions} is not a supported grouping of TT_SHOP reports.")
    id_dimension = level.removeprefix("AUCTION_").lower() + "_id"
    if id_dimension not in dimensions:
        raise _fail(f"dimensions: data_level {level} needs the dimension '{id_dimension}'.")
    metrics = request.text_list("metrics")
    if metrics is None:
        metrics = list(RULES.defaults)
    invalid = [name for name in metrics if name not in RULES.metrics]
    if invalid:
        raise _fail(invalid_metrics_message(invalid))
    start, end = _day(request, "start_date"), _day(request, "end_date")
    days = (end - start).days + 1
    if days < 1:
        raise _fail("end_date: must not be earlier than start_date.")
    limit = MAX_DAILY_DAYS if "stat_time_day" in dimensions else MAX_DAYS
    if days > limit:
        raise _fail(f"The time range can not exceed {limit} days with these dimensions.")
    return TtShopQuery(
        advertiser_id, level, tuple(dimensions), tuple(dict.fromkeys(metrics)), start, end
    )


def tt_shop_rows(world: ShopWorld, query: TtShopQuery) -> list[dict[str, Any]]:
    """Every row of a query over all pages, sorted by its dimension values."""
    totals: dict[tuple[str, ...], dict[str, int]] = {}
    for store in world.stores.get(query.advertiser_id, []):
        country = store.record["targeting_region_codes"][0]
        for campaign in world.campaigns.get((query.advertiser_id, store.store_id), []):
            for offset in range((query.end - query.start).days + 1):
                day = query.start + timedelta(days=offset)
                quantities = world.quantities(campaign, day)
                if quantities is None:
                    continue
                values = {
                    "advertiser_id": query.advertiser_id,
                    "campaign_id": campaign.campaign_id,
                    "country_code": country,
                    "stat_time_day": f"{day:%Y-%m-%d} 00:00:00",
                }
                key = tuple(values[name] for name in query.dimensions)
                group = totals.setdefault(key, dict.fromkeys(QUANTITY_OF.values(), 0))
                for quantity in QUANTITY_OF.values():
                    group[quantity] += quantities[quantity]
    return [
        {
            "dimensions": dict(zip(query.dimensions, key, strict=True)),
            "metrics": {
                name: f"{totals[key][QUANTITY_OF[name]] / 100:.2f}" for name in query.metrics
            },
        }
        for key in sorted(totals)
    ]


def tt_shop_truth(data: FakeData, query: TtShopQuery, last_day: date) -> list[dict[str, Any]]:
    """The rows a query returns when the advertiser's data ends on `last_day` (its today)."""
    end = min(query.end, last_day, data.spec.last_day)
    if end < query.start:
        return []
    bounded = TtShopQuery(
        query.advertiser_id, query.level, query.dimensions, query.metrics, query.start, end
    )
    return tt_shop_rows(shop_world(data), bounded)


def tt_shop_report(request: ApiRequest) -> dict[str, Any]:
    """One page of a TT_SHOP report, over the days that have data (up to today, local)."""
    query = parse_tt_shop_query(request)
    page = request.integer("page", 1)
    page_size = request.integer("page_size", DEFAULT_PAGE_SIZE)
    if page < 1:
        raise _fail("page: must be at least 1.")
    if not 1 <= page_size <= MAX_PAGE_SIZE:
        raise _fail(f"page_size: must be between 1 and {MAX_PAGE_SIZE}.")
    request.require_advertiser(query.advertiser_id)
    data = request.api.data
    rows = tt_shop_truth(data, query, data.local_today(query.advertiser_id, request.api.now()))
    return {
        "list": rows[(page - 1) * page_size : page * page_size],
        "page_info": {
            "page": page,
            "page_size": page_size,
            "total_number": len(rows),
            "total_page": -(-len(rows) // page_size),
        },
    }
