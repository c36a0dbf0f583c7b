"""Advertisers: which ones to sync, and their details (time zone, currency, ...).

Reports depend on each advertiser's time zone, so the advertisers are resolved once per run,
before the first report request, with one `advertiser/info/` call per 100 advertisers; the
`advertisers` stream emits those same rows without asking again.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from singer_sdk import typing as th
from singer_sdk.exceptions import ConfigValidationError

from tap_tiktok_ads.client import TikTokStream
from tap_tiktok_ads.dates import is_valid_timezone
from tap_tiktok_ads.errors import TikTokFatalError
from tap_tiktok_ads.runtime import Advertiser
from tap_tiktok_ads.settings import check_credentials
from tap_tiktok_ads.sharding import Shard, parse_shard

if TYPE_CHECKING:
    from collections.abc import Iterable

    from singer_sdk.helpers.types import Context

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

    def request_params(self, context: Context | None) -> dict[str, Any]:
        """The app credentials TikTok wants as query parameters (reference 3.1)."""
        del context
        settings = self.runtime.settings
        return {"app_id": settings.app_id, "secret": settings.secret}


class AdvertisersStream(TikTokStream):
    """`advertiser/info/`: every synced advertiser's account details. Full refresh."""

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

    def get_records(self, context: Context | None) -> Iterable[dict[str, Any]]:
        """The rows fetched when the run resolved its advertisers."""
        del context
        directory = self.runtime.directory
        if directory is None:
            return
        _ = directory.advertisers  # resolves them (and fetches the info rows) once
        for row in directory.info_rows:
            yield dict(row)

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


class AdvertiserDirectory:
    """Resolves the run's advertisers once: configured IDs or all authorised ones."""

    def __init__(self, authorized: AuthorizedAdvertisersStream, info: AdvertisersStream) -> None:
        """Use the two streams' request machinery (retries, rate limit) for the lookups."""
        self._authorized = authorized
        self._info = info
        self._advertisers: list[Advertiser] | None = None
        self.info_rows: list[dict[str, Any]] = []

    @property
    def advertisers(self) -> list[Advertiser]:
        """The advertisers to sync, in a stable order."""
        if self._advertisers is None:
            self._advertisers = self._resolve()
        return self._advertisers

    def get(self, advertiser_id: str) -> Advertiser:
        """One advertiser by ID."""
        for advertiser in self.advertisers:
            if advertiser.advertiser_id == advertiser_id:
                return advertiser
        msg = f"advertiser {advertiser_id} is not part of this run"
        raise KeyError(msg)

    def _resolve(self) -> list[Advertiser]:
        settings = self._info.runtime.settings
        errors = check_credentials(settings)
        if errors and settings.tiktok_accounts and not settings.access_token:
            self._info.logger.warning(
                "No `access_token` is set: the advertising streams are skipped and only the "
                "organic data of `tiktok_accounts` is synced."
            )
            return []
        if errors:
            raise ConfigValidationError("Config validation failed", errors=errors)
        ids = list(dict.fromkeys(settings.advertiser_ids))
        if not ids:
            ids = [str(row["advertiser_id"]) for row in self._authorized.request_records(None)]
            self._info.logger.info("The token is authorised for %d advertisers", len(ids))
        if settings.advertiser_shard:
            ids = self._in_shard(ids, parse_shard(settings.advertiser_shard))
        self.info_rows = self._info.fetch(ids) if ids else []
        by_id = {str(row.get("advertiser_id")): row for row in self.info_rows}
        advertisers = []
        for advertiser_id in ids:
            row = by_id.get(advertiser_id)
            if row is None and self._info.runtime.failures.advertiser_failed(advertiser_id):
                continue
            if row is None:
                self._info.logger.warning(
                    "advertiser/info/ returned nothing for advertiser %s; skipping it",
                    advertiser_id,
                )
                continue
            advertisers.append(self._advertiser(advertiser_id, row))
        return advertisers

    def _in_shard(self, ids: list[str], shard: Shard) -> list[str]:
        """The IDs this run's shard owns; the other shards' runs sync the rest."""
        owned = [advertiser_id for advertiser_id in ids if shard.owns(advertiser_id)]
        self._info.logger.info(
            "Advertiser shard %s: syncing %d of %d advertisers", shard, len(owned), len(ids)
        )
        return owned

    def _advertiser(self, advertiser_id: str, row: dict[str, Any]) -> Advertiser:
        timezone = str(row.get("timezone") or row.get("display_timezone") or "UTC")
        if not is_valid_timezone(timezone):
            self._info.logger.warning(
                "Advertiser %s has an unknown time zone '%s'; using UTC", advertiser_id, timezone
            )
            timezone = "UTC"
        return Advertiser(
            advertiser_id=advertiser_id,
            timezone=timezone,
            currency=row.get("currency"),
            name=row.get("name"),
        )
