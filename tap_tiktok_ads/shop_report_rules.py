"""The rules of TikTok's GMV max ads reports (`report_type` TT_SHOP), checked before any request.

Domain data, like `metrics.py`: which data levels, time grains and dimension groupings TikTok
accepts in a TT_SHOP report. Custom reports are held to them, so that a report TikTok would
refuse is refused at start-up with a message, not by TikTok in the middle of a run.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tap_tiktok_ads.report_definitions import SHOP_REPORT_LEVELS, Granularity

if TYPE_CHECKING:
    from tap_tiktok_ads.metrics import DataLevel

# Doc 1803073899092993, "Dimension grouping": the only `dimensions` values TT_SHOP accepts.
SHOP_GROUPINGS = frozenset(
    frozenset(grouping)
    for grouping in (
        ("advertiser_id",),
        ("advertiser_id", "country_code"),
        ("advertiser_id", "country_code", "stat_time_day"),
        ("campaign_id", "country_code"),
        ("campaign_id", "country_code", "stat_time_day"),
    )
)
_SOURCE = "TikTok reference: Docs 1803073629472770, 1803073899092993"


def shop_report_errors(
    level: DataLevel, granularity: Granularity, breakdowns: tuple[str, ...]
) -> list[str]:
    """Why TikTok would refuse a TT_SHOP report of this shape; empty when it accepts it."""
    if level not in SHOP_REPORT_LEVELS:
        levels = " or ".join(lv.value for lv in SHOP_REPORT_LEVELS)
        return [f"TT_SHOP reports are {levels} level; data_level {level.value} is not ({_SOURCE})."]
    if granularity is Granularity.LIFETIME:
        advice = "add 'stat_time_day', or a granularity WEEK or MONTH"
        return [f"TT_SHOP reports have no lifetime metrics: {advice} ({_SOURCE})."]
    if granularity is Granularity.HOUR:
        return [f"TT_SHOP reports have no hourly data: use 'stat_time_day' ({_SOURCE})."]
    time = ["stat_time_day"] if granularity is Granularity.DAY else []
    grouping = frozenset([level.id_dimension, *time, *breakdowns])
    if grouping in SHOP_GROUPINGS:
        return []
    allowed = "; ".join(
        ", ".join(sorted(g)) for g in sorted(SHOP_GROUPINGS, key=lambda g: (len(g), sorted(g)))
    )
    asked = ", ".join(sorted(grouping))
    return [f"TikTok does not group TT_SHOP reports by {asked}; it offers: {allowed} ({_SOURCE})."]
