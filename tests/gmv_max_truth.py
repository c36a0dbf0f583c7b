"""The expected GMV Max report records, from the fake's own world and metric transcription.

Never computed with the tap's code: the fake's `shop_report_rows` and its reference decide.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any

from tests.fake_api import FakeData
from tests.fake_api.gmv_max import ShopReportQuery, shop_report_rows, shop_world
from tests.fake_api.gmv_max_rules import METRIC_TYPES

REPORT_KEY = ("advertiser_id", "store_id", "campaign_id", "stat_time_day")
TYPES = {"PRODUCT": METRIC_TYPES["product_campaign"], "LIVE": METRIC_TYPES["live_campaign"]}
ALL_METRICS = {name for kind in TYPES.values() for name in kind.metrics} - {"campaign_id"}


def typed(kind: str, value: str) -> Any:
    """A TikTok string typed by the fake's own reference (money, count, ratio, text)."""
    if value in {"", "-"}:
        return None
    if kind == "count":
        return int(value)
    if kind in {"money", "ratio"}:
        return float(value)
    return value


def expected_report(
    data: FakeData, now: dt.datetime, start: dt.date, end: dt.date, *, deleted: bool = False
) -> dict[tuple, dict[str, Any]]:
    """Every store x campaign x day the fake has between start and each advertiser's today."""
    world = shop_world(data)
    expected: dict[tuple, dict[str, Any]] = {}
    for advertiser_id, stores in world.stores.items():
        last = min(end, data.local_today(advertiser_id, now))
        for store in stores:
            if not store.available:
                continue
            for promotion, kind in TYPES.items():
                query = ShopReportQuery(
                    advertiser_id=advertiser_id,
                    store_id=store.store_id,
                    kind=kind,
                    dimensions=("campaign_id", "stat_time_day"),
                    metrics=tuple(kind.metrics),
                    start=start,
                    end=last,
                    promotion_types=(promotion,),
                    campaign_ids=None,
                    statuses=("STATUS_ALL",) if deleted else None,
                )
                for row in shop_report_rows(world, query):
                    record = dict.fromkeys(ALL_METRICS)
                    record |= {
                        name: typed(kind.metrics[name], value)
                        for name, value in row["metrics"].items()
                    }
                    record |= {
                        "advertiser_id": advertiser_id,
                        "store_id": store.store_id,
                        "stat_time_day": row["dimensions"]["stat_time_day"][:10],
                        "gmv_max_promotion_type": promotion,
                    }
                    expected[tuple(record[k] for k in REPORT_KEY)] = record
    return expected


def by_key(records: list[dict[str, Any]]) -> dict[tuple, dict[str, Any]]:
    keys = [tuple(r[k] for k in REPORT_KEY) for r in records]
    assert not [k for k, n in Counter(keys).items() if n > 1], "duplicate keys in one run"
    return dict(zip(keys, records, strict=True))


# Product-level (Product GMV Max) and livestream-level (LIVE GMV Max) streams: the fake's metric
# type, the campaign type and the breakdown dimension of each.
BREAKDOWN_STREAMS = {
    "gmv_max_product_report_daily": ("product_product", "PRODUCT", "item_group_id"),
    "gmv_max_live_report_daily": ("live_room", "LIVE", "room_id"),
}


def breakdown_key(stream: str) -> tuple[str, ...]:
    """A breakdown stream's primary key."""
    dimension = BREAKDOWN_STREAMS[stream][2]
    return ("advertiser_id", "store_id", "campaign_id", dimension, "stat_time_day")


def expected_breakdown(
    data: FakeData,
    now: dt.datetime,
    stream: str,
    *,
    start: dt.date,
    end: dt.date,
    deleted: bool = False,
) -> dict[tuple, dict[str, Any]]:
    """Every store x campaign x product (or livestream) x day of the fake, typed by its reference.

    The metrics are every non-attribute metric of the fake's metric type.
    """
    kind_name, promotion, dimension = BREAKDOWN_STREAMS[stream]
    kind = METRIC_TYPES[kind_name]
    metrics = tuple(name for name in kind.metrics if name not in kind.attributes)
    world = shop_world(data)
    expected: dict[tuple, dict[str, Any]] = {}
    for (advertiser_id, store_id), campaigns in world.campaigns.items():
        ids = frozenset(
            c.campaign_id
            for c in campaigns
            if c.promotion == promotion and (deleted or not c.deleted)
        )
        query = ShopReportQuery(
            advertiser_id=advertiser_id,
            store_id=store_id,
            kind=kind,
            dimensions=("campaign_id", dimension, "stat_time_day"),
            metrics=metrics,
            start=start,
            end=min(end, data.local_today(advertiser_id, now)),
            promotion_types=("PRODUCT", "LIVE"),
            campaign_ids=ids,
            statuses=None,
        )
        for row in shop_report_rows(world, query):
            record: dict[str, Any] = {
                "advertiser_id": advertiser_id,
                "store_id": store_id,
                **row["dimensions"],
                **{
                    name: typed(kind.metrics[name], value) for name, value in row["metrics"].items()
                },
            }
            record["stat_time_day"] = record["stat_time_day"][:10]
            expected[tuple(record[k] for k in breakdown_key(stream))] = record
    return expected
