"""The rules of `gmv_max/report/get/`: which metrics and dimension groupings go together.

Read from `reference/gmv_max_metrics.txt`, the fake's own transcription of TikTok's "Metrics in
GMV Max Campaign reports" (Doc 1824722485971009); the request rules below come from "Run a GMV
Max Campaign report" (Doc 1824721673497601).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from tests.fake_api.request import PARAMETER_ERROR, ApiError

_REFERENCE = Path(__file__).parent / "reference" / "gmv_max_metrics.txt"

# Doc 1824721673497601: `end_date` - `start_date` spans at most 30 days with stat_time_day,
# one day with stat_time_hour and 365 days without a time dimension.
MAX_DAYS = {"stat_time_day": 30, "stat_time_hour": 1, None: 365}
MAX_STORE_IDS = 1  # Doc 1824721673497601: store_ids, required, "Max size: 1"
MAX_FILTER_IDS = 100  # Doc 1824721673497601: campaign_ids, item_group_ids, room_ids
DEFAULT_PAGE_SIZE = 10  # Doc 1824721673497601
MAX_PAGE_SIZE = 1000  # Doc 1824721673497601: "Value range: 1-1,000"
PROMOTION_TYPES = frozenset({"PRODUCT", "LIVE"})  # Doc 1824721673497601
CAMPAIGN_STATUSES = frozenset(  # Doc 1824721673497601: filtering.campaign_statuses
    {"STATUS_DELIVERY_OK", "STATUS_DISABLE", "STATUS_DELETE", "STATUS_NOT_DELIVERY", "STATUS_ALL"}
)
DIMENSIONS = frozenset(  # Doc 1824721673497601: the enum of `dimensions`
    {
        "advertiser_id",
        "campaign_id",
        "stat_time_day",
        "stat_time_hour",
        "item_group_id",
        "item_id",
        "room_id",
        "duration",
    }
)
TIME_DIMENSIONS = ("stat_time_day", "stat_time_hour")


@dataclass(frozen=True)
class MetricType:
    """One metric type of Doc 1824722485971009: its groupings, filters and metrics."""

    name: str
    promotion: str  # "PRODUCT", "LIVE" or "any"
    served: bool  # whether the fake models its data
    requires: tuple[str, ...]
    groupings: frozenset[frozenset[str]] = field(default_factory=frozenset)
    metrics: dict[str, str] = field(default_factory=dict)  # name -> money, count, ratio, text
    attributes: frozenset[str] = frozenset()  # not with several IDs (the "Attribute metrics" note)


def _read() -> dict[str, MetricType]:
    sections: list[dict[str, Any]] = []
    for line in _REFERENCE.read_text("utf-8").splitlines():
        if line.startswith("## "):
            name, *options = line[3:].split()
            settings = dict(option.split("=", 1) for option in options)
            sections.append(
                {
                    "name": name,
                    "promotion": settings["promotion"],
                    "served": settings["served"] == "yes",
                    "requires": tuple(r for r in settings["requires"].split(",") if r != "-"),
                    "groupings": set(),
                    "metrics": {},
                    "attributes": frozenset(),
                }
            )
        elif line.startswith("grouping "):
            sections[-1]["groupings"].add(frozenset(line.split()[1:]))
        elif line.startswith("metric "):
            _, metric, kind = line.split()
            sections[-1]["metrics"][metric] = kind
        elif line.startswith("attributes "):
            sections[-1]["attributes"] = frozenset(line.split()[1:])
    return {
        section["name"]: MetricType(**{**section, "groupings": frozenset(section["groupings"])})
        for section in sections
    }


METRIC_TYPES: dict[str, MetricType] = _read()


def fail(message: str) -> ApiError:
    """TikTok's answer to a bad parameter (40002, the message names it)."""
    return ApiError(PARAMETER_ERROR, message)


def metric_type(
    dimensions: list[str], promotion_types: list[str] | None, filtering: dict[str, Any]
) -> MetricType:
    """The metric type a request asks for, or the 40002 TikTok answers when none fits.

    Campaign-level metrics need `gmv_max_promotion_types` to be exactly `["PRODUCT"]` or
    `["LIVE"]` (Doc 1824722485971009, "Supported filters", Required).
    """
    unknown = sorted(set(dimensions) - DIMENSIONS)
    if unknown:
        raise fail(f"dimensions: Invalid dimensions {unknown}.")
    grouping = frozenset(dimensions)
    candidates = [t for t in METRIC_TYPES.values() if grouping in t.groupings]
    if not candidates:
        raise fail(f"dimensions: {sorted(dimensions)} is not a supported dimension grouping.")
    if len(candidates) > 1:  # the campaign-level groupings of PRODUCT and LIVE
        wanted = promotion_types or []
        chosen = [t for t in candidates if [t.promotion] == wanted]
        if not chosen:
            raise fail(
                'filtering.gmv_max_promotion_types: Required as ["PRODUCT"] or ["LIVE"] '
                "for campaign-level metrics."
            )
        candidates = chosen
    found = candidates[0]
    missing = [name for name in found.requires if not filtering.get(name)]
    if missing:
        raise fail(f"filtering.{missing[0]}: Missing data for required field.")
    return found


ID_DIMENSIONS = frozenset({"advertiser_id", "campaign_id", "item_group_id", "item_id", "room_id"})
ID_FILTERS = ("campaign_ids", "item_group_ids", "room_ids")


def check_metrics(
    found: MetricType, metrics: list[str], dimensions: list[str], filtering: dict[str, Any]
) -> None:
    """Every metric must belong to the metric type (40002 names the others).

    Below campaign level, attribute metrics need one ID dimension and one ID in each ID filter
    (Doc 1824722485971009, "Attribute metrics").
    """
    invalid = sorted(name for name in metrics if name not in found.metrics)
    if invalid:
        raise fail(f"metrics: Invalid metric fields {invalid} for these dimensions.")
    several = len(ID_DIMENSIONS.intersection(dimensions)) > 1 or any(
        len(filtering.get(name) or []) > 1 for name in ID_FILTERS
    )
    attributes = sorted(found.attributes.intersection(metrics))
    if attributes and several:
        raise fail(
            f"metrics: Attribute metrics {attributes} are not available with several ID "
            "dimensions or several IDs in a filter."
        )


def check_dates(start: date, end: date, dimensions: list[str]) -> None:
    """`start_date` <= `end_date`, within the span the time dimension allows."""
    if end < start:
        raise fail("end_date: Must be later than or equal to start_date.")
    time_dimension = next((d for d in dimensions if d in TIME_DIMENSIONS), None)
    limit = MAX_DAYS[time_dimension]
    if (end - start).days + 1 > limit:
        raise fail(f"end_date: The time range is limited to {limit} days with these dimensions.")
