"""The advertiser streams, and the lookup that resolves the run's advertisers through them.

Reports depend on each advertiser's time zone, so the tap resolves the advertisers once per
run, when the sync starts, with one `advertiser/info/` call per 100 advertisers
(`tap_tiktok_ads.advertisers`); the `advertisers` stream emits those same rows without asking
again.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from singer_sdk import typing as th
from typing_extensions import override

from tap_tiktok_ads.client import TikTokStream
from tap_tiktok_ads.errors import TikTokFatalError

if TYPE_CHECKING:
    from collections.abc import Iterable

    from singer_sdk.helpers.types import Context

    from tap_tiktok_ads.streams.business_centers import BusinessCenterAdvertisersStream

ADVERTISER_INFO_BATCH = 100  # advertiser/info/ takes at most 100 IDs (reference 3.2)


class AuthorizedAdvertisersStream(TikTokStream):
    """`oauth2/advertiser/get/`: the advertisers the token may read (used for discovery)."""

    name = "authorized_advertisers"
    path = "/oauth2/advertiser/get/"
    paginated = False
    primary_keys = ("advertiser_id",)
    selected_by_default = False
    schema = th.PropertiesList(
        th.Property("advertiser_id", th.StringType, required=True),
        th.Property("advertiser_name", th.StringType),
    ).to_dict()

    @override
    def request_params(self, context: Context | None) -> dict[str, Any]:
        """The app credentials TikTok wants as query parameters (reference 3.1)."""
        del context
        settings = self.runtime.settings
        return {"app_id": settings.app_id, "secret": settings.secret}


class AdvertisersStream(TikTokStream):
    """`advertiser/info/`: every synced advertiser's account details. Full refresh."""

    needs_advertisers = True

    name = "advertisers"
    path = "/advertiser/info/"
    paginated = False
    primary_keys = ("advertiser_id",)
    schema = th.PropertiesList(
        th.Property("advertiser_id", th.StringType, required=True),
        th.Property("name", th.StringType),
        th.Property("company", th.StringType),
        th.Property("status", th.StringType),
        th.Property("role", th.StringType),
        th.Property("currency", th.StringType),
        th.Property("timezone", th.StringType),
        th.Property("display_timezone", th.StringType),
        th.Property("country", th.StringType),
        th.Property("language", th.StringType),
        th.Property("balance", th.NumberType),
        th.Property("create_time", th.DateTimeType),
        th.Property("industry", th.StringType),
        th.Property("description", th.StringType),
        th.Property("email", th.StringType),
        th.Property("telephone_number", th.StringType),
        th.Property("cellphone_number", th.StringType),
        th.Property("contacter", th.StringType),
        th.Property("address", th.StringType),
        th.Property("license_no", th.StringType),
        th.Property("license_url", th.StringType),
        th.Property("rejection_reason", th.StringType),
        th.Property("owner_bc_id", th.StringType),
        th.Property("advertiser_account_type", th.StringType),
        th.Property("promotion_area", th.StringType),
        th.Property("brand", th.StringType),
    ).to_dict()

    @override
    def request_params(self, context: Context | None) -> dict[str, Any]:
        """One batch of advertiser IDs."""
        return {"advertiser_ids": list((context or {}).get("advertiser_ids") or [])}

    def fetch(self, advertiser_ids: list[str]) -> list[dict[str, Any]]:
        """The info rows of these advertisers, in batches of 100."""
        rows: list[dict[str, Any]] = []
        for start in range(0, len(advertiser_ids), ADVERTISER_INFO_BATCH):
            rows += self._fetch_batch(advertiser_ids[start : start + ADVERTISER_INFO_BATCH])
        return rows

    def _fetch_batch(self, batch: list[str]) -> list[dict[str, Any]]:
        """One batch of advertisers' details.

        When TikTok refuses an advertiser of the batch, each one is asked on its own, so that
        only the refused advertisers fail and the others are synced.
        """
        try:
            return list(self.request_records({"advertiser_ids": batch}))
        except TikTokFatalError as exc:
            if not exc.concerns_one_advertiser:
                raise
            if len(batch) == 1:
                self.runtime.failures.advertiser_refused(batch[0], exc, self.logger)
                return []
        return [row for advertiser_id in batch for row in self._fetch_batch([advertiser_id])]

    @override
    def get_records(self, context: Context | None) -> Iterable[dict[str, Any]]:
        """The rows fetched when the sync resolved its advertisers."""
        del context
        for row in self.runtime.directory.info_rows:
            yield dict(row)

    @override
    def post_process(self, row: dict, context: Context | None = None) -> dict | None:
        """`create_time` arrives as epoch seconds; emit it as an ISO timestamp, the ID as text."""
        del context
        if isinstance(row.get("advertiser_id"), int):
            row["advertiser_id"] = str(row["advertiser_id"])  # v1.2 sent ids as numbers (1.4)
        created = row.get("create_time")
        if isinstance(created, (int, float)) or (isinstance(created, str) and created.isdigit()):
            row["create_time"] = dt.datetime.fromtimestamp(
                int(created), tz=dt.timezone.utc
            ).isoformat()
        return row


@dataclass(frozen=True)
class StreamAdvertiserLookup:
    """The directory's lookups, sent through streams (retries, rate limit, refusals)."""

    authorized: AuthorizedAdvertisersStream
    info: AdvertisersStream
    business_centers: BusinessCenterAdvertisersStream

    def authorized_ids(self) -> list[str]:
        """The IDs of every advertiser the token may read."""
        return [str(row["advertiser_id"]) for row in self.authorized.request_records(None)]

    def info_rows(self, advertiser_ids: list[str]) -> list[dict[str, Any]]:
        """The `advertiser/info/` rows of these advertisers (refused ones left out)."""
        return self.info.fetch(advertiser_ids)

    def business_center_advertiser_ids(self, bc_ids: list[str]) -> list[str]:
        """The ad accounts these Business Centers hold and may read (`bc/asset/get/`)."""
        return self.business_centers.readable_advertiser_ids(bc_ids)
