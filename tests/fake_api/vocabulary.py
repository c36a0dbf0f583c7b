"""The report vocabulary of TikTok's API: report types, data levels, time dimensions.

The fake keeps its own copy (it never imports the tap). Values from Doc 1740302848100353
("Run a synchronous report"): `report_type`, `data_level` (`AUCTION_*`), and the time
dimensions `stat_time_day` / `stat_time_hour`; the ID dimension of each level is the one the
reference's examples pair with it.
"""

from __future__ import annotations

import enum


class ReportType(str, enum.Enum):
    """`report_type` values the fake serves."""

    BASIC = "BASIC"
    AUDIENCE = "AUDIENCE"


class DataLevel(str, enum.Enum):
    """`data_level` without the `AUCTION_` prefix, from the top of the hierarchy down."""

    ADVERTISER = "ADVERTISER"
    CAMPAIGN = "CAMPAIGN"
    ADGROUP = "ADGROUP"
    AD = "AD"

    @property
    def api_value(self) -> str:
        """The wire value, e.g. `AUCTION_AD`."""
        return "AUCTION_" + self.value

    @property
    def id_dimension(self) -> str:
        """`advertiser_id`, `campaign_id`, `adgroup_id` or `ad_id`."""
        return self.value.lower() + "_id"


class TimeDimension(str, enum.Enum):
    """The two time dimensions; rows carry them as `YYYY-MM-DD HH:MM:SS` local time."""

    DAY = "stat_time_day"
    HOUR = "stat_time_hour"
