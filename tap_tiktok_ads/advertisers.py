"""The run's advertisers: which ones to sync, and what reports depend on (time zone, currency).

Domain data, below the streams: the directory is built by the run's `Runtime`, resolved once
when the sync starts (the tap hands it a lookup that sends the requests), and then only read,
by the report streams' date windows and by every stream's partitions.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from singer_sdk.exceptions import ConfigValidationError

from tap_tiktok_ads.dates import is_valid_timezone
from tap_tiktok_ads.settings import check_credentials, organic_only
from tap_tiktok_ads.sharding import Shard, parse_shard

if TYPE_CHECKING:
    import logging
    from collections.abc import Callable

    from tap_tiktok_ads.settings import Settings


@dataclass(frozen=True)
class Advertiser:
    """An ad account and what reports depend on: its time zone and currency."""

    advertiser_id: str
    timezone: str
    currency: str | None = None
    name: str | None = None


class AdvertiserLookup(Protocol):
    """The requests that resolve advertisers (sent by streams, with their retries)."""

    def authorized_ids(self) -> list[str]:
        """The IDs of every advertiser the token may read."""
        ...

    def info_rows(self, advertiser_ids: list[str]) -> list[dict[str, Any]]:
        """The `advertiser/info/` rows of these advertisers (refused ones left out)."""
        ...

    def business_center_advertiser_ids(self, bc_ids: list[str]) -> list[str]:
        """The IDs of the ad accounts these Business Centers hold and may read."""
        ...


class AdvertisersNotResolvedError(RuntimeError):
    """The advertisers were read before the sync resolved them: a bug in the tap."""


class AdvertiserDirectory:
    """The run's advertisers: configured ones (IDs, Business Centers) or all authorised ones."""

    def __init__(self, settings: Settings, advertiser_failed: Callable[[str], bool]) -> None:
        """Nothing is looked up until `resolve`; discovery never calls it."""
        self._settings = settings
        self._advertiser_failed = advertiser_failed
        self._advertisers: list[Advertiser] | None = None
        self._ids: frozenset[str] = frozenset()
        self.info_rows: list[dict[str, Any]] = []

    @property
    def resolved(self) -> bool:
        """Whether `resolve` has run."""
        return self._advertisers is not None

    @property
    def advertisers(self) -> list[Advertiser]:
        """The advertisers to sync, in a stable order."""
        if self._advertisers is None:
            msg = "the advertisers are read before the sync resolved them"
            raise AdvertisersNotResolvedError(msg)
        return self._advertisers

    def includes(self, advertiser_id: str) -> bool:
        """Whether the advertiser is part of this run (resolved, not refused nor unknown)."""
        return advertiser_id in self._ids

    def get(self, advertiser_id: str) -> Advertiser:
        """One advertiser by ID."""
        for advertiser in self.advertisers:
            if advertiser.advertiser_id == advertiser_id:
                return advertiser
        msg = f"advertiser {advertiser_id} is not part of this run"
        raise KeyError(msg)

    def resolve(
        self,
        lookup: AdvertiserLookup,
        logger: logging.Logger,
        before_info: Callable[[list[str]], None] | None = None,
        bookmarked: tuple[str, ...] = (),
    ) -> None:
        """Look the advertisers up once, before the first advertiser stream syncs.

        `before_info` is told the advertiser IDs before their `advertiser/info/` request
        goes: what needs no time zone or currency can start then (zone_free.py).
        `bookmarked` names the advertising streams the state holds bookmarks of: earlier
        runs synced ad data, so a config that looks organic-only has lost its token.
        """
        if self._advertisers is None:
            advertisers = self._resolve(lookup, logger, before_info, bookmarked)
            self._ids = frozenset(advertiser.advertiser_id for advertiser in advertisers)
            self._advertisers = advertisers

    def _resolve(
        self,
        lookup: AdvertiserLookup,
        logger: logging.Logger,
        before_info: Callable[[list[str]], None] | None,
        bookmarked: tuple[str, ...],
    ) -> list[Advertiser]:
        settings = self._settings
        if not _advertising_configured(settings, logger, bookmarked):
            return []
        ids = list(dict.fromkeys(settings.advertiser_ids))
        if settings.business_center_ids:
            held = lookup.business_center_advertiser_ids(list(settings.business_center_ids))
            logger.info(
                "The Business Centers %s hold %d advertisers",
                ", ".join(settings.business_center_ids),
                len(held),
            )
            ids = list(dict.fromkeys([*ids, *held]))
        elif not ids:
            ids = lookup.authorized_ids()
            logger.info("The token is authorised for %d advertisers", len(ids))
        if settings.advertiser_shard:
            ids = _in_shard(ids, parse_shard(settings.advertiser_shard), logger)
        if ids and before_info is not None:
            before_info(ids)
        self.info_rows = lookup.info_rows(ids) if ids else []
        by_id = {str(row.get("advertiser_id")): row for row in self.info_rows}
        advertisers = []
        for advertiser_id in ids:
            row = by_id.get(advertiser_id)
            if row is None and self._advertiser_failed(advertiser_id):
                continue
            if row is None:
                logger.warning(
                    "advertiser/info/ returned nothing for advertiser %s; skipping it",
                    advertiser_id,
                )
                continue
            advertisers.append(_advertiser(advertiser_id, row, logger))
        return advertisers


def _advertising_configured(
    settings: Settings, logger: logging.Logger, bookmarked: tuple[str, ...]
) -> bool:
    """Whether the advertising streams sync: not for a config of organic data alone.

    Any other config without the credentials fails the run before any request.
    """
    errors = check_credentials(settings)
    if not errors:
        return True
    if bookmarked:
        errors.append(
            f"The state holds bookmarks of {', '.join(bookmarked)}: earlier runs synced ad "
            "data with this state."
        )
    elif organic_only(settings):
        logger.warning(
            "Neither `access_token` nor an advertiser setting is set: the advertising "
            "streams are skipped and only the organic data of `tiktok_accounts` is synced."
        )
        return False
    raise ConfigValidationError("Config validation failed", errors=errors)


def _in_shard(ids: list[str], shard: Shard, logger: logging.Logger) -> list[str]:
    """The IDs this run's shard owns; the other shards' runs sync the rest."""
    owned = [advertiser_id for advertiser_id in ids if shard.owns(advertiser_id)]
    logger.info("Advertiser shard %s: syncing %d of %d advertisers", shard, len(owned), len(ids))
    return owned


def _advertiser(advertiser_id: str, row: dict[str, Any], logger: logging.Logger) -> Advertiser:
    timezone = str(row.get("timezone") or row.get("display_timezone") or "UTC")
    if not is_valid_timezone(timezone):
        logger.warning(
            "Advertiser %s has an unknown time zone '%s'; using UTC", advertiser_id, timezone
        )
        timezone = "UTC"
    return Advertiser(
        advertiser_id=advertiser_id,
        timezone=timezone,
        currency=row.get("currency"),
        name=row.get("name"),
    )
