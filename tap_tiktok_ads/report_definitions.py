"""Report definitions: what one report stream asks TikTok for.

A report is data, not code: report type, data level, time grain and breakdowns. The built-in
streams and the user's `custom_reports` are all `ReportDefinition`s, and one stream class
(`streams/reports.py`) reads any of them.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from functools import cached_property

from tap_tiktok_ads.metrics import (
    DataLevel,
    Grain,
    Metric,
    ReportShape,
    ReportType,
    TimeDimension,
    metrics_for,
)

MAX_METRICS_PER_REQUEST = 100  # TikTok's guidance: about 100 metrics per request (2.1)
DAILY_WINDOW_DAYS = 30  # stat_time_day: at most 30 days per request (2.5)
HOURLY_WINDOW_DAYS = 1  # stat_time_hour: one day per request (2.5)
AUDIENCE_WINDOW_DAYS = 7  # TikTok's advice for audience reports, to avoid timeouts (2.5)
PERIOD_PROPERTIES = ("period_start", "period_end")


class Granularity(str, enum.Enum):
    """The time grain of a report."""

    DAY = "DAY"
    HOUR = "HOUR"
    LIFETIME = "LIFETIME"
    WEEK = "WEEK"
    MONTH = "MONTH"

    @property
    def suffix(self) -> str:
        """The stream-name suffix of the built-in reports."""
        return {
            "DAY": "daily",
            "HOUR": "hourly",
            "LIFETIME": "lifetime",
            "WEEK": "weekly",
            "MONTH": "monthly",
        }[self.value]

    @property
    def is_period(self) -> bool:
        """Weekly and monthly reports: one query per period, without a time dimension.

        Reach and frequency count unique people, so only TikTok can give a period's figure;
        a sum of daily rows would overstate it.
        """
        return self in {Granularity.WEEK, Granularity.MONTH}

    @property
    def grain(self) -> Grain:
        """The grain as the metric catalog names it (weekly and monthly are periods)."""
        if self.is_period:
            return Grain.PERIOD
        return Grain(self.value.lower())


@dataclass(frozen=True)
class ReportDefinition:
    """What one report stream asks TikTok for."""

    name: str
    report_type: ReportType
    level: DataLevel
    granularity: Granularity
    breakdowns: tuple[str, ...] = ()
    default_metrics: tuple[str, ...] | None = None

    @property
    def time_dimension(self) -> str | None:
        """`stat_time_day`, `stat_time_hour`, or None for lifetime reports."""
        if self.granularity is Granularity.DAY:
            return TimeDimension.DAY.value
        if self.granularity is Granularity.HOUR:
            return TimeDimension.HOUR.value
        return None

    @property
    def dimensions(self) -> list[str]:
        """The `dimensions` parameter: the level's ID, the time, then breakdowns."""
        time = [self.time_dimension] if self.time_dimension else []
        return [self.level.id_dimension, *time, *self.breakdowns]

    @property
    def key_properties(self) -> list[str]:
        """`advertiser_id` plus every dimension (and the period): unique across advertisers."""
        period = list(PERIOD_PROPERTIES) if self.granularity.is_period else []
        return list(dict.fromkeys(["advertiser_id", *self.dimensions, *period]))

    @property
    def replication_key(self) -> str | None:
        """The time dimension, or `period_start` for period reports; None for lifetime."""
        return PERIOD_PROPERTIES[0] if self.granularity.is_period else self.time_dimension

    @property
    def window_days(self) -> int:
        """The longest date window one request may cover."""
        if self.granularity is Granularity.HOUR:
            return HOURLY_WINDOW_DAYS
        if self.report_type is ReportType.AUDIENCE:
            return AUDIENCE_WINDOW_DAYS
        return DAILY_WINDOW_DAYS

    @cached_property
    def shape(self) -> ReportShape:
        """What decides which metrics TikTok accepts in this report."""
        return ReportShape(self.report_type, self.level, self.granularity.grain, self.breakdowns)

    @cached_property
    def metrics(self) -> list[Metric]:
        """Every metric TikTok accepts for this report, in catalog order."""
        dimension_names = set(self.dimensions)
        return [metric for metric in metrics_for(self.shape) if metric.name not in dimension_names]

    @property
    def synchronous_only(self) -> bool:
        """TT_SHOP reports: "only the synchronous mode is supported" (Doc 1803073629472770)."""
        return self.report_type is ReportType.TT_SHOP

    @property
    def takes_filters(self) -> bool:
        """Whether TikTok accepts `filtering` (status and ID filters) for this report.

        TT_SHOP reports take no filter at all (Doc 1740302848100353, `filtering`).
        """
        return self.report_type is not ReportType.TT_SHOP

    @property
    def status_filter_field(self) -> str | None:
        """The status filter that includes deleted entities, where the report takes one.

        Advertiser level has no status to filter.
        """
        if self.level is DataLevel.ADVERTISER or not self.takes_filters:
            return None
        return f"{self.level.value.lower()}_status"

    def is_default(self, metric: Metric) -> bool:
        """Whether a metric is selected unless the catalog says otherwise."""
        if self.default_metrics is not None:
            return metric.name in self.default_metrics
        return metric.default


_LEVEL_NAMES = {
    DataLevel.ADVERTISER: "advertiser",
    DataLevel.CAMPAIGN: "campaign",
    DataLevel.ADGROUP: "adgroup",
    DataLevel.AD: "ad",
}
AUDIENCE_BREAKDOWNS: dict[str, tuple[str, ...]] = {
    "age_gender": ("age", "gender"),
    "country": ("country_code",),
    "platform": ("platform",),
}


# GMV max ads reports (TT_SHOP): advertiser or campaign level (Doc 1740302848100353); a daily
# grouping always has `country_code` (Doc 1803073899092993); the default metrics are TikTok's
# own for TT_SHOP, spend and billed_cost (Doc 1740302848100353, `metrics`).
SHOP_REPORT_LEVELS = (DataLevel.ADVERTISER, DataLevel.CAMPAIGN)
SHOP_DEFAULT_METRICS = ("spend", "billed_cost")


def builtin_reports() -> list[ReportDefinition]:
    """The 12 performance, 12 audience and 2 GMV max ads (TT_SHOP) report streams."""
    reports = [
        ReportDefinition(
            f"{_LEVEL_NAMES[level]}_report_{grain.suffix}", ReportType.BASIC, level, grain
        )
        for level in DataLevel
        for grain in Granularity
    ]
    reports += [
        ReportDefinition(
            f"{_LEVEL_NAMES[level]}_audience_{suffix}_daily",
            ReportType.AUDIENCE,
            level,
            Granularity.DAY,
            breakdowns,
        )
        for level in DataLevel
        for suffix, breakdowns in AUDIENCE_BREAKDOWNS.items()
    ]
    reports += [
        ReportDefinition(
            f"{_LEVEL_NAMES[level]}_shop_report_daily",
            ReportType.TT_SHOP,
            level,
            Granularity.DAY,
            ("country_code",),
            SHOP_DEFAULT_METRICS,
        )
        for level in SHOP_REPORT_LEVELS
    ]
    return reports
