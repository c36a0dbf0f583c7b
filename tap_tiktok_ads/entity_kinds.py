"""The entity kinds TikTok's entity reads hide unless asked for, and how to ask for all.

campaign/get/ (Doc 1739315828649986) and adgroup/get/ (Doc 1739314558673922) filter by default
on `campaign_system_origins` ["TT_ADS_PLATFORM"] and `buying_types` ["AUCTION",
"RESERVATION_RF"]: Promote and TopView entities never arrive unless asked for, although their
spend is in the reports. `RESERVATION_TOP_VIEW` "cannot be combined with other values", so
TopView is a pass of its own. ad/get/ takes the same two filters (bububa model/ad/get.go).
"""

from __future__ import annotations

ALL_ORIGINS = ("TT_ADS_PLATFORM", "PROMOTE")
# The `filtering` fragment for deleted entities only, which every entity read hides by default
# (campaign/get/, adgroup/get/, ad/get/: `primary_status`).
DELETED = {"primary_status": "STATUS_DELETE"}
BUYING_TYPE_PASSES = (("AUCTION", "RESERVATION_RF"), ("RESERVATION_TOP_VIEW",))
# One `filtering` fragment per pass; together they show every entity.
EVERY_KIND = tuple(
    {"campaign_system_origins": list(ALL_ORIGINS), "buying_types": list(buying_types)}
    for buying_types in BUYING_TYPE_PASSES
)
# adgroup/get/: "If you use the enum value RESERVATION_TOP_VIEW for the filter field
# buying_types, the maximum value you can specify for [page_size] is 100" (Doc
# 1739314558673922); applied to every level (inferred for campaigns and ads).
TOP_VIEW_MAX_PAGE_SIZE = 100


def is_top_view(filtering: dict) -> bool:
    """Whether this `filtering` object is the TopView pass."""
    return "RESERVATION_TOP_VIEW" in (filtering.get("buying_types") or ())
