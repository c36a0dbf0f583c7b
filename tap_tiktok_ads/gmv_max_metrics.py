"""The metrics of the GMV Max campaign report, read from `data/gmv_max_metrics.csv`.

Domain data, like `metrics.py`: one row per metric of TikTok's campaign-level tables in
"Metrics in GMV Max Campaign reports" (Doc 1824722485971009), with its JSON type and the
campaign types (Product or LIVE GMV Max) whose requests accept it. TikTok sends every value as a
string; the JSON type says what the record carries. `campaign_id` is a dimension, not listed.
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


def _load() -> dict[str, ShopMetric]:
    path = resources.files("tap_tiktok_ads").joinpath("data", "gmv_max_metrics.csv")
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


GMV_MAX_METRICS: dict[str, ShopMetric] = _load()
