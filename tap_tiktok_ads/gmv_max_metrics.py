"""The metrics of the GMV Max reports, read from their data files.

`data/gmv_max_metrics.csv` and `data/gmv_max_breakdown_metrics.csv` are domain data, like
`metrics.py`: one row per metric of TikTok's campaign-level tables, and of its product-level
(Product GMV Max) and livestream-level (LIVE GMV Max) tables, in "Metrics in GMV Max Campaign
reports" (Doc 1824722485971009), with its JSON type and the campaign types whose requests accept
it. TikTok sends every value as a string; the JSON type says what the record carries. ID
dimensions are not listed; neither are the product and livestream attribute metrics, which
TikTok gives only for one product or livestream at a time ("Attribute metrics").
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from importlib import resources

# Doc 1824721673497601: filtering.gmv_max_promotion_types of gmv_max/report/get/. Campaign-level
# metrics need exactly one of them per request (Doc 1824722485971009, "Supported filters").
PROMOTION_TYPES = ("PRODUCT", "LIVE")


@dataclass(frozen=True)
class ShopMetric:
    """One GMV Max report metric: its JSON type and which campaign types accept it."""

    name: str
    json_type: str  # "integer", "number" or "string"
    promotion_types: frozenset[str]
    source: str


def _load(file_name: str) -> dict[str, ShopMetric]:
    path = resources.files("tap_tiktok_ads").joinpath("data", file_name)
    rows = csv.DictReader(path.read_text("utf-8").splitlines())
    return {
        row["name"]: ShopMetric(
            name=row["name"],
            json_type=row["json_type"],
            promotion_types=frozenset(row["promotion_types"].split()),
            source=row["source"],
        )
        for row in rows
    }


GMV_MAX_METRICS: dict[str, ShopMetric] = _load("gmv_max_metrics.csv")
# Product-level (PRODUCT) and livestream-level (LIVE) metrics, by campaign type.
GMV_MAX_BREAKDOWN_METRICS: dict[str, ShopMetric] = _load("gmv_max_breakdown_metrics.csv")
