"""The fake world's facade: entities and report truth, all derived from a `DataSpec`.

Tests use `FakeData` both to configure the server and as the oracle: `report_rows` returns
exactly what the API returns over all pages of a report.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timezone
from typing import TYPE_CHECKING, Any

from tests.fake_api.ad_cap import TIKTOK_AD_CAP
from tests.fake_api.catalog import build_catalog
from tests.fake_api.delivery import Delivery
from tests.fake_api.report_engine import ReportEngine
from tests.fake_api.report_query import ReportQuery
from tests.fake_api.vocabulary import DataLevel, ReportType, TimeDimension

if TYPE_CHECKING:
    from zoneinfo import ZoneInfo

    from tests.fake_api.catalog import Entity


@dataclass(frozen=True)
class DataSpec:
    """The size and shape of the fake world; equal specs give identical data."""

    seed: int = 7
    advertisers: int = 3
    campaigns_per_advertiser: int = 2
    adgroups_per_campaign: int = 2
    ads_per_adgroup: int = 2
    first_day: date = date(2026, 9, 1)
    last_day: date = date(2026, 12, 31)
    deleted_every: int = 4  # every Nth entity at each level is deleted
    ad_cap: int = TIKTOK_AD_CAP  # reports aggregate at most this many ads (ad_cap.py)
    # Every 4th campaign is a TopView one (catalog.py) only when asked: their report rows come
    # only with the `buying_type` filter, so the tap reads them in a pass of its own.
    top_view: bool = False
    assets_per_advertiser: int = 5  # creative library, pixels, audiences (see their modules)
    timezones: tuple[str, ...] = (
        "America/Los_Angeles",
        "Asia/Tokyo",
        "UTC",
        "Europe/Berlin",
        "Etc/GMT+8",
    )


def _hidden_by_default(entity: Entity) -> bool:
    """Promote and TopView entities: hidden by the entity endpoints' default filters."""
    return entity.origin == "PROMOTE" or entity.buying_type == "RESERVATION_TOP_VIEW"


class FakeData:
    """Entities and report values of the fake world, computed on demand."""

    def __init__(self, spec: DataSpec | None = None) -> None:
        """Build the entity tree; per-day values are never stored."""
        self.spec = spec or DataSpec()
        self.catalog = build_catalog(self.spec)
        self.delivery = Delivery(self.spec.seed)
        self.engine = ReportEngine(
            self.catalog, self.delivery, self.spec.first_day, self.spec.last_day
        )

    # -- entities --------------------------------------------------------------------------

    def advertiser_ids(self) -> list[str]:
        """Every advertiser id, sorted."""
        return sorted(self.catalog.advertisers)

    def advertiser(self, advertiser_id: str) -> dict[str, Any]:
        """The `/advertiser/info/` record of an advertiser."""
        return dict(self.catalog.advertisers[advertiser_id].record)

    def timezone(self, advertiser_id: str) -> ZoneInfo:
        """The advertiser's time zone: report days and hours are local to it."""
        return self.catalog.zones[advertiser_id]

    def local_today(self, advertiser_id: str, now: datetime) -> date:
        """The advertiser's current local date at `now` (the last day that has data)."""
        return now.astimezone(self.timezone(advertiser_id)).date()

    def entity(self, entity_id: str) -> Entity:
        """Any entity by id."""
        return self.catalog.by_id[entity_id]

    def entities(
        self,
        advertiser_id: str,
        level: DataLevel | str,
        *,
        include_deleted: bool = False,
        default_kinds_only: bool = False,
    ) -> list[Entity]:
        """An advertiser's entities at one level, sorted by id; deleted ones on request.

        `default_kinds_only` leaves out what the entity endpoints hide unless asked for:
        Promote and TopView entities.
        """
        found = self.catalog.by_level.get((advertiser_id, DataLevel(level)), [])
        return [
            entity
            for entity in found
            if (include_deleted or not entity.deleted)
            and not (default_kinds_only and _hidden_by_default(entity))
        ]

    def records(
        self,
        advertiser_id: str,
        level: DataLevel | str,
        *,
        include_deleted: bool = False,
        default_kinds_only: bool = False,
    ) -> list[dict[str, Any]]:
        """The entity-endpoint records of an advertiser's entities at one level."""
        entities = self.entities(
            advertiser_id,
            level,
            include_deleted=include_deleted,
            default_kinds_only=default_kinds_only,
        )
        return [dict(entity.record) for entity in entities]

    def touch(self, entity_id: str, when: datetime) -> None:
        """Pretend an entity was edited at `when`: its `modify_time` moves there.

        This changes the data in place, so tests that touch use their own `FakeData`.
        """
        moment = when.astimezone(timezone.utc)
        self.entity(entity_id).record["modify_time"] = moment.strftime("%Y-%m-%d %H:%M:%S")

    def launch(self, campaign_id: str, when: datetime) -> None:
        """Pretend a campaign was created at `when`: its ads deliver from that local day on.

        This changes the data in place, so tests that launch use their own `FakeData`.
        """
        campaign = self.entity(campaign_id)
        day = self.local_today(campaign.advertiser_id, when)
        moment = when.astimezone(timezone.utc)
        campaign.record["create_time"] = moment.strftime("%Y-%m-%d %H:%M:%S")
        for ad in self.catalog.by_level.get((campaign.advertiser_id, DataLevel.AD), []):
            if ad.lineage.get("campaign_id") != campaign_id:
                continue
            for unit in [ad, *ad.ads]:
                if unit.first_day is not None and unit.first_day < day:
                    unit.first_day, unit.active_from = day, day.toordinal()

    def edit(self, entity_id: str, **fields: Any) -> None:
        """Pretend an entity was edited without TikTok saying when: only these fields change.

        What an Upgraded Smart+ ad or a Promote entity looks like after a change, as TikTok
        sends them without `modify_time` (reference 3.5). Changes the data in place.
        """
        self.entity(entity_id).record.update(fields)

    # -- reports ---------------------------------------------------------------------------

    def report_rows(
        self,
        advertiser_id: str,
        report_type: ReportType | str,
        level: DataLevel | str,
        dimensions: list[str] | tuple[str, ...],
        metrics: list[str] | tuple[str, ...] = ("spend", "impressions"),
        *,
        start: date | None = None,
        end: date | None = None,
        include_deleted: bool = False,
        lifetime: bool = False,
        now: datetime | None = None,
        buying_types: tuple[str, ...] | None = None,
    ) -> list[dict[str, Any]]:
        """The rows `/report/integrated/get/` returns over all pages, without the ad cap.

        No validation, and no cap: this is the truth that a client reading a capped account
        in small enough batches must arrive at.

        `level` may be given as `AD` or `AUCTION_AD`; `now` is the server clock; `buying_types`
        is the `buying_type` filter (without it, no TopView rows below the advertiser level).
        """
        level = DataLevel(str(getattr(level, "value", level)).removeprefix("AUCTION_"))
        time_names = {t.value for t in TimeDimension}
        ids = {lv.id_dimension for lv in DataLevel}
        query = ReportQuery(
            advertiser_id=advertiser_id,
            report_type=ReportType(report_type),
            level=level,
            dimensions=tuple(dimensions),
            time_dimension=next((d for d in dimensions if d in time_names), None),
            breakdowns=tuple(d for d in dimensions if d not in time_names | ids),
            metrics=tuple(dict.fromkeys(metrics)),
            start=None if lifetime else start,
            end=None if lifetime else end,
            lifetime=lifetime,
            statuses=frozenset({"STATUS_ALL" if include_deleted else "STATUS_NOT_DELETE"}),
            buying_types=None if buying_types is None else frozenset(buying_types),
        )
        return self.engine.all_rows(query, now or datetime.now(timezone.utc))
