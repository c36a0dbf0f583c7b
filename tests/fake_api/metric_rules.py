"""Which report metrics TikTok accepts, and how the fake computes their values.

The names and value types come from `reference/report_metrics.txt` and the per-dimension
tables from `reference/metric_tables.json` (both transcribed from TikTok's pages and the Go
SDK that translates them; sources in each file). The rules below carry their source.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from tests.fake_api.vocabulary import DataLevel, ReportType, TimeDimension

_REFERENCE = Path(__file__).parent / "reference"


@dataclass(frozen=True)
class ReferenceMetric:
    """A metric as the reference lists it: name, value type and section."""

    name: str
    value_type: str  # "int", "float" or "text" (attribute metrics)
    section: str


def _read_metrics() -> dict[str, ReferenceMetric]:
    metrics: dict[str, ReferenceMetric] = {}
    section = ""
    for line in (_REFERENCE / "report_metrics.txt").read_text("utf-8").splitlines():
        if line.startswith("## "):
            section = line[3:]
        elif line and not line.startswith("#"):
            name, value_type = line.split()
            metrics[name] = ReferenceMetric(name, value_type, section)
    return metrics


REFERENCE_METRICS: dict[str, ReferenceMetric] = _read_metrics()
_TABLES = json.loads((_REFERENCE / "metric_tables.json").read_text("utf-8"))
# Doc 1759239462689793 / 1762404685488130: breakdown dimension -> metrics allowed with it.
BASIC_TABLES: dict[str, frozenset[str]] = {
    dimension: frozenset(names) for dimension, names in _TABLES["BASIC"].items()
}
AUDIENCE_TABLES: dict[str, frozenset[str]] = {}
for _dimensions, _names in _TABLES["AUDIENCE"].items():
    for _dimension in _dimensions.split():
        AUDIENCE_TABLES[_dimension] = frozenset(_names)
# Audience dimensions without a table on TikTok's pages: what Airbyte requests in production.
AUDIENCE_OTHER = frozenset(_TABLES["audience_other"])

# Attribute metrics are valid only at levels that include the entity (Go SDK comments,
# e.g. "广告组、广告层级支持" = ad group and ad level).
_ALL = frozenset(DataLevel)
_CAMPAIGN_DOWN = frozenset({DataLevel.CAMPAIGN, DataLevel.ADGROUP, DataLevel.AD})
_ADGROUP_DOWN = frozenset({DataLevel.ADGROUP, DataLevel.AD})
_AD = frozenset({DataLevel.AD})
ATTRIBUTE_LEVELS: dict[str, frozenset[DataLevel]] = {
    **dict.fromkeys(("advertiser_name", "currency"), _ALL),
    **dict.fromkeys(
        (
            "campaign_name",
            "campaign_automation_type",
            "objective_type",
            "split_test",
            "campaign_budget",
            "campaign_dedicate_type",
            "app_promotion_type",
        ),
        _CAMPAIGN_DOWN,
    ),
    **dict.fromkeys(
        (
            "campaign_id",
            "adgroup_name",
            "placement_type",
            "promotion_type",
            "opt_status",
            "adgroup_download_url",
            "profile_image",
            "dpa_target_audience_type",
            "budget",
            "smart_target",
            "pricing_category",
            "billing_event",
            "bid_strategy",
            "bid",
            "bid_secondary_goal",
            "aeo_type",
            "tt_app_id",
            "tt_app_name",
            "mobile_app_id",
        ),
        _ADGROUP_DOWN,
    ),
    **dict.fromkeys(
        (
            "adgroup_id",
            "ad_name",
            "ad_id_v2",  # Doc 1740302848100353: the ad's ID (an Upgraded Smart+ ad's, too)
            "ad_text",
            "call_to_action",
            "ad_profile_image",
            "ad_url",
            "image_mode",
            "is_smart_creative",
        ),
        _AD,
    ),
    "is_aco": frozenset({DataLevel.ADGROUP}),
}
# The Go SDK: "only advertiser level and daily queries; no lifetime, no hourly" (its Chinese
# comment, translated; our notes section 8): advertiser level with stat_time_day only.
ADVERTISER_DAILY_ONLY = frozenset({"cash_spend", "voucher_spend"})
# "one ID dimension, or one ID dimension + stat_time_day" (Go SDK comments of each metric).
ID_OR_ID_AND_DAY_ONLY = frozenset(
    {
        "paid_engaged_view",
        "paid_engaged_view_15s",
        "paid_engagement_engaged_view",
        "paid_engagement_engaged_view_15s",
        "cost_per_consideration",
        "new_consideration_rate",
        "new_consideration_size",
    }
)
IMAGE_ID_ONLY = frozenset(m.name for m in REFERENCE_METRICS.values() if m.section == "image")


def _table_for(report_type: ReportType, breakdown: str) -> frozenset[str] | None:
    if report_type is ReportType.BASIC:
        return BASIC_TABLES.get(breakdown)
    return AUDIENCE_TABLES.get(breakdown, AUDIENCE_OTHER)


def _accepted(
    name: str,
    report_type: ReportType,
    level: DataLevel,
    time_dimension: str | None,
    breakdowns: tuple[str, ...],
    *,
    lifetime: bool,
) -> bool:
    metric = REFERENCE_METRICS.get(name)
    if metric is None:
        return False
    if metric.section == "attribute":
        return level in ATTRIBUTE_LEVELS.get(name, _ALL)
    if name in IMAGE_ID_ONLY:
        return False  # only with the image_id dimension, which the fake does not serve
    if name in ADVERTISER_DAILY_ONLY and (
        level is not DataLevel.ADVERTISER or time_dimension != TimeDimension.DAY.value or lifetime
    ):
        return False
    if name in ID_OR_ID_AND_DAY_ONLY and (breakdowns or time_dimension == TimeDimension.HOUR.value):
        return False
    return all(name in (_table_for(report_type, b) or frozenset()) for b in breakdowns)


def invalid_metrics(
    names: list[str],
    report_type: ReportType,
    level: DataLevel,
    time_dimension: str | None,
    breakdowns: tuple[str, ...],
    *,
    lifetime: bool,
) -> list[str]:
    """The requested metrics TikTok refuses (40002) in a report of this shape."""
    return [
        name
        for name in names
        if not _accepted(name, report_type, level, time_dimension, breakdowns, lifetime=lifetime)
    ]


# How the fake derives ratios from additive values. Inferred from each metric's description
# in the reference ("CTR: clicks / impressions", "cost per X: spend / X", "X rate: X / clicks").
_EXPLICIT_RATIOS: dict[str, tuple[str, str, float]] = {
    "ctr": ("clicks", "impressions", 100),
    "cpc": ("spend", "clicks", 1),
    "cpm": ("spend", "impressions", 1000),
    "frequency": ("impressions", "reach", 1),
    "cost_per_1000_reached": ("spend", "reach", 1000),
    "conversion_rate_v2": ("conversion", "impressions", 100),
    "real_time_conversion_rate_v2": ("real_time_conversion", "impressions", 100),
    "real_time_cost_per_conversion": ("spend", "real_time_conversion", 1),
    "real_time_cost_per_result": ("spend", "real_time_result", 1),
    "result_rate": ("result", "impressions", 100),
    "real_time_result_rate": ("real_time_result", "impressions", 100),
    "secondary_goal_result_rate": ("secondary_goal_result", "impressions", 100),
    "average_video_play": ("video_watched_6s", "video_play_actions", 6),
    "average_video_play_per_user": ("video_watched_6s", "impressions", 6),
    "profile_visits_rate": ("profile_visits", "impressions", 100),
    "engagement_rate": ("engagements", "impressions", 100),
    "real_time_app_install_cost": ("spend", "real_time_app_install", 1),
    "complete_payment_roas": ("total_purchase_value", "spend", 1),
}
UNIQUE_METRICS = frozenset({"reach"})  # unique people: computed per row, never summed


def _is_count(name: str) -> bool:
    metric = REFERENCE_METRICS.get(name)
    return metric is not None and metric.value_type == "int" and metric.section != "attribute"


def ratio_of(name: str) -> tuple[str, str, float] | None:
    """(numerator, denominator, scale) of a ratio metric, or None for other metrics."""
    if name in _EXPLICIT_RATIOS:
        return _EXPLICIT_RATIOS[name]
    metric = REFERENCE_METRICS.get(name)
    if metric is None or metric.value_type != "float" or metric.section == "attribute":
        return None
    event = name.removeprefix("cost_per_")
    if event != name and _is_count(event):
        return ("spend", event, 1)
    event = name.removesuffix("_rate")
    if event != name and _is_count(event):
        return (event, "clicks", 100)
    return None


def value_kind(name: str) -> str:
    """How the fake produces a metric: count, money, ratio, unique or attribute."""
    metric = REFERENCE_METRICS[name]
    if metric.section == "attribute":
        return "attribute"
    if name in UNIQUE_METRICS:
        return "unique"
    if ratio_of(name) is not None:
        return "ratio"
    return "count" if metric.value_type == "int" else "money"
