"""The 20,000-ad cap of `report/integrated/get/`: which ads a capped report aggregates.

Rules, from "Run a synchronous report" (Doc 1740302848100353) and the Reporting FAQ (Doc
1738864850353154, "What's the 20,000-truncation issue"):
- the endpoint counts the ads under the account; with the cap or more, only the newest ads
  (by ad creation time, descending) up to the cap are processed and aggregated, at every
  data level, and only ads with cost data are returned;
- the answer then carries the header `X-Tt-Ads-Throttle` with TikTok's text;
- the remedy is the `campaign_ids` / `adgroup_ids` / `ad_ids` filters (at most 100 IDs each),
  so a query covers fewer ads.

Inferred: deleted ads count (the FAQ's example is a query with `ad_status` `STATUS_ALL`, and
deleted ads keep their creation time), whatever the status filter; the ID filters apply
before the count (they are TikTok's remedy); ties in creation time go by ID, newest first.
"Only ads with cost are returned" holds everywhere in the fake: a row exists only with
delivery. The cap size is `DataSpec.ad_cap`, so tests can use a small one.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterable

    from tests.fake_api.catalog import Entity

TIKTOK_AD_CAP = 20_000  # Doc 1740302848100353: "up to 20,000 advertisements"
THROTTLE_HEADER = "X-Tt-Ads-Throttle"  # Doc 1740302848100353 (v1.3 response parameters)
# Doc 1738864850353154, verbatim.
THROTTLE_TEXT = (
    "Number of ad ids is equal or more than 20k, only return the top 20k id's results, "
    "sorting by create time desc order."
)


def kept_ads(ads_in_scope: Iterable[Entity], cap: int | None) -> frozenset[str] | None:
    """The IDs of the ads a capped query aggregates; None when the query is under the cap.

    `ads_in_scope` are every ad the query's ID filters let through, deleted ones included.
    """
    ads = list(ads_in_scope)
    if cap is None or len(ads) < cap:
        return None
    newest_first = sorted(
        ads, key=lambda ad: (str(ad.record["create_time"]), ad.entity_id), reverse=True
    )
    return frozenset(ad.entity_id for ad in newest_first[:cap])
