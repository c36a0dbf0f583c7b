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
from tap_tiktok_ads.entity_fields import entity_schema
from tap_tiktok_ads.errors import TikTokFatalError
from tap_tiktok_ads.extra_fields import ExtraFields

if TYPE_CHECKING:
    from collections.abc import Iterable

    from singer_sdk.helpers.types import Context
    from singer_sdk.singerlib import MetadataMapping

    from tap_tiktok_ads.streams.business_centers import BusinessCenterAdvertisersStream

ADVERTISER_INFO_BATCH = 100  # advertiser/info/ takes at most 100 IDs (reference 3.2)
# advertiser/info/ (Doc 1739593083610113) leaves these out unless `fields` asks for them, and
# then returns only them and `advertiser_id`: they cost a request of their own, so they are
# deselected by default and asked for only when selected.
ASKED_ALONE = ("company_name_editable", "can_use_custom_identity", "ads_only_mode")


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
    # Every field of advertiser/info/ (Doc 1739593083610113), from data/entity_fields/.
    schema = entity_schema("advertiser_info", ("advertiser_id",))

    def __init__(self, *args: Any, **kwargs: Any) -> None:  # noqa: ANN401 - the SDK's own
        """The stream, and the keeper of the fields its schema does not declare."""
        super().__init__(*args, **kwargs)
        self.extra_fields = ExtraFields(self.name, self.schema, self.logger)

    @property
    @override
    def metadata(self) -> MetadataMapping:
        """Standard metadata, with the fields that cost a request of their own deselected."""
        metadata = super().metadata
        for name in ASKED_ALONE:
            metadata[("properties", name)].selected_by_default = False
        return metadata

    @override
    def request_params(self, context: Context | None) -> dict[str, Any]:
        """One batch of advertiser IDs, and the fields asked for alone if any."""
        context = context or {}
        params: dict[str, Any] = {"advertiser_ids": list(context.get("advertiser_ids") or [])}
        if context.get("fields"):
            params["fields"] = list(context["fields"])
        return params

    def fetch(
        self, advertiser_ids: list[str], fields: list[str] | None = None
    ) -> list[dict[str, Any]]:
        """The info rows of these advertisers, in batches of 100 (only `fields` if given)."""
        rows: list[dict[str, Any]] = []
        for start in range(0, len(advertiser_ids), ADVERTISER_INFO_BATCH):
            batch = advertiser_ids[start : start + ADVERTISER_INFO_BATCH]
            rows += self._fetch_batch(batch, fields)
        return rows

    def _fetch_batch(self, batch: list[str], fields: list[str] | None) -> list[dict[str, Any]]:
        """One batch of advertisers' details.

        When TikTok refuses an advertiser of the batch, each one is asked on its own, so that
        only the refused advertisers fail and the others are synced.
        """
        context: dict[str, Any] = {"advertiser_ids": batch}
        if fields:
            context["fields"] = fields
        try:
            return list(self.request_records(context))
        except TikTokFatalError as exc:
            if not exc.concerns_one_advertiser:
                raise
            if len(batch) == 1:
                self.runtime.failures.advertiser_refused(batch[0], exc, self.logger)
                return []
        return [row for one in batch for row in self._fetch_batch([one], fields)]

    @override
    def get_records(self, context: Context | None) -> Iterable[dict[str, Any]]:
        """The rows fetched when the sync resolved its advertisers, with the fields asked alone.

        Those (`ASKED_ALONE`) are read only when selected: one more request per 100.
        """
        del context
        rows = [dict(row) for row in self.runtime.directory.info_rows]
        alone = [name for name in ASKED_ALONE if self.mask.get(("properties", name), False)]
        if alone:
            ids = [str(row["advertiser_id"]) for row in rows]
            extra = {str(found.get("advertiser_id")): found for found in self.fetch(ids, alone)}
            for row in rows:
                asked = extra.get(str(row["advertiser_id"]), {})
                row.update({name: asked.get(name) for name in alone})
        yield from rows

    @override
    def post_process(self, row: dict, context: Context | None = None) -> dict | None:
        """`create_time` arrives as epoch seconds; emit it as an ISO timestamp, the ID as text.

        A field the schema does not declare is kept in `extra_fields`, logged once per run.
        """
        del context
        row = self.extra_fields.keep(row)
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
