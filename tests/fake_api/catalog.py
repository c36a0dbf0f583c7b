"""The fake accounts: advertisers, campaigns, ad groups and ads derived from a seed.

Each entity carries the record an entity endpoint would return (`record`), the strings of
its report attribute metrics (`attributes`) and, for ads, the local days on which it ran.
Deletion cascades: an entity under a deleted parent counts as deleted in reports.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta, timezone
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from tests.fake_api.entity_fields import UNDOCUMENTED_FIELD, complete
from tests.fake_api.hashing import hash_ints
from tests.fake_api.vocabulary import DataLevel

if TYPE_CHECKING:
    from tests.fake_api.data import DataSpec

_ID_BASE = {
    DataLevel.ADVERTISER: 7_100_000_000_000_000_000,
    DataLevel.CAMPAIGN: 7_200_000_000_000_000_000,
    DataLevel.ADGROUP: 7_300_000_000_000_000_000,
    DataLevel.AD: 7_400_000_000_000_000_000,
}
_LEVEL_CODE = {level: code for code, level in enumerate(DataLevel, start=1)}
# Creatives of Upgraded Smart+ ads: report rows by the `ad_id` dimension are theirs, the metric
# `ad_id_v2` names their ad (Doc 1740302848100353, "the creative level data for Upgraded Smart+
# Ads"). Their IDs and how many an ad has are the fake's own (inferred).
_CREATIVE_ID_BASE = 7_500_000_000_000_000_000
_CREATIVE_CODE = len(_LEVEL_CODE) + 1
CREATIVES_PER_SMART_PLUS_AD = 2
_CURRENCIES = ("USD", "EUR", "JPY")
_COUNTRIES = ("US", "JP", "GB", "DE", "US")
# `Etc/GMT+8` is how TikTok reports some US accounts; the UI shows them as Los Angeles (3.2).
_DISPLAY_ZONES = {"Etc/GMT+8": "America/Los_Angeles"}
_OBJECTIVES = ("TRAFFIC", "CONVERSIONS", "REACH", "VIDEO_VIEWS", "APP_PROMOTION")
_OPTIMIZATION = ("CLICK", "CONVERT", "REACH", "ENGAGED_VIEW", "INSTALL")
_BILLING = ("CPC", "OCPM", "CPM", "CPV", "OCPM")
# Report attribute metrics carry display strings, not the entity enums: recorded answers show
# `placement_type` "Automatic Placement" and `promotion_type` "Website" (Airbyte's
# source-tiktok-marketing expected_records); the Go SDK's comment gives `billing_event`
# examples "Clicks" and "Impression". The others are inferred.
_REPORT_PLACEMENT_TYPE = {"PLACEMENT_TYPE_AUTOMATIC": "Automatic Placement"}
_REPORT_PROMOTION_TYPE = {"WEBSITE": "Website"}
_REPORT_BILLING_EVENT = {
    "CPC": "Clicks",
    "CPM": "Impression",
    "OCPM": "Impression",
    "CPV": "Video View",
}
_CALLS_TO_ACTION = ("LEARN_MORE", "SHOP_NOW", "SIGN_UP", "DOWNLOAD", "CONTACT_US")
_AD_FORMATS = ("SINGLE_VIDEO", "SINGLE_IMAGE", "SINGLE_VIDEO", "CAROUSEL_ADS")
_TIME_FORMAT = "%Y-%m-%d %H:%M:%S"
# Campaign kinds by campaign number (modulo 4): what TikTok hides from entity reads by default
# and what it sends differently. 1: a manual auction campaign; 2: a Promote campaign (created
# in the TikTok app); 3: a TopView campaign (buying type RESERVATION_TOP_VIEW); 0: an Upgraded
# Smart+ campaign, whose ads come without `modify_time` (reference 3.5). TopView campaigns only
# with `DataSpec.top_view` (else a manual one): their report rows need a pass of their own.
_MANUAL, _PROMOTE, _TOP_VIEW, _SMART_PLUS = 1, 2, 3, 0
# The only fields TikTok returns for Promote entities (Docs 1739315828649986 and
# 1739314558673922, `campaign_system_origins`); for ads inferred from the ad group list.
_PROMOTE_FIELDS = {
    DataLevel.CAMPAIGN: (
        "advertiser_id",
        "campaign_id",
        "create_time",
        "campaign_name",
        "operation_status",
        "secondary_status",
    ),
    DataLevel.ADGROUP: (
        "advertiser_id",
        "campaign_id",
        "campaign_name",
        "adgroup_id",
        "adgroup_name",
        "create_time",
        "budget",
        "schedule_type",
        "schedule_start_time",
        "schedule_end_time",
        "operation_status",
        "secondary_status",
    ),
    DataLevel.AD: (
        "advertiser_id",
        "campaign_id",
        "campaign_name",
        "adgroup_id",
        "adgroup_name",
        "ad_id",
        "ad_name",
        "create_time",
        "operation_status",
        "secondary_status",
    ),
}


def _completed(endpoint: str, record: dict[str, Any], index: int) -> dict[str, Any]:
    """Every documented field, unset where the fake has no value; a newer one on some."""
    record = complete(endpoint, record)
    if index % 3 == 1:
        record[UNDOCUMENTED_FIELD] = f"value {index}"
    return record


def _promote_record(level: DataLevel, record: dict[str, Any]) -> dict[str, Any]:
    """What TikTok returns of a Promote entity: a few fields and its origin."""
    kept = {name: record[name] for name in _PROMOTE_FIELDS[level] if name in record}
    return {**kept, "campaign_system_origin": "PROMOTE"}


@dataclass(eq=False)
class Entity:
    """One advertiser, campaign, ad group or ad, as both reports and entity reads see it."""

    level: DataLevel
    entity_id: str
    advertiser_id: str
    key: int  # hash key for every value derived from this entity
    deleted: bool  # itself or an ancestor is deleted: hidden from reports by default
    enabled: bool  # operation_status ENABLE
    record: dict[str, Any]  # the fields an entity endpoint returns
    attributes: dict[str, str] = field(default_factory=dict)  # report attribute metrics
    lineage: dict[str, str] = field(default_factory=dict)  # id dimension -> id, self included
    # What delivers below it: its ads, an Upgraded Smart+ ad's creatives instead of the ad
    # (itself for any other ad and for a creative).
    ads: list[Entity] = field(default_factory=list)
    first_day: date | None = None  # ads only: first local day with delivery
    last_day: date | None = None  # ads only: last local day with delivery
    deleted_on: date | None = None  # the day this entity itself was deleted
    active_from: int = 0  # ads only: first_day as a date ordinal (hot-path comparisons)
    active_to: int = -1  # ads only: last_day as a date ordinal
    # Its campaign's kind, which the entity endpoints filter on by default (Docs
    # 1739315828649986, 1739314558673922): `campaign_system_origins` and `buying_types`.
    origin: str = "TT_ADS_PLATFORM"
    buying_type: str = "AUCTION"
    smart_plus: bool = False  # under an Upgraded Smart+ campaign


@dataclass
class Catalog:
    """Every entity of the fake world, indexed the ways reports and handlers need."""

    advertisers: dict[str, Entity] = field(default_factory=dict)
    by_id: dict[str, Entity] = field(default_factory=dict)
    # (advertiser_id, level) -> entities sorted by id (ids have equal length)
    by_level: dict[tuple[str, DataLevel], list[Entity]] = field(default_factory=dict)
    zones: dict[str, ZoneInfo] = field(default_factory=dict)


def _stamp(day: date, seconds: int) -> str:
    moment = datetime.combine(day, time(), tzinfo=timezone.utc) + timedelta(seconds=seconds)
    return moment.strftime(_TIME_FORMAT)


class _Builder:
    """Walks the account tree once, numbering entities per level."""

    def __init__(self, spec: DataSpec) -> None:
        self.spec = spec
        self.catalog = Catalog()
        self.counters = dict.fromkeys(DataLevel, 0)
        self.creatives = 0
        self.span = (spec.last_day - spec.first_day).days + 1

    def _next(self, level: DataLevel) -> tuple[int, str, int]:
        self.counters[level] += 1
        index = self.counters[level]
        key = hash_ints(self.spec.seed, _LEVEL_CODE[level], index)
        return index, str(_ID_BASE[level] + index), key

    def _deletion(self, index: int, key: int) -> date | None:
        """Every Nth entity is deleted, on a day in the second half of the data range."""
        every = self.spec.deleted_every
        if every <= 0 or index % every:
            return None
        half = self.span // 2
        return self.spec.first_day + timedelta(days=half + key % max(1, self.span - half))

    def _add(self, entity: Entity) -> None:
        self.catalog.by_id[entity.entity_id] = entity
        bucket = (entity.advertiser_id, entity.level)
        self.catalog.by_level.setdefault(bucket, []).append(entity)

    def build(self) -> Catalog:
        for position in range(self.spec.advertisers):
            self._advertiser(position)
        for entities in self.catalog.by_level.values():
            entities.sort(key=lambda entity: entity.entity_id)
        return self.catalog

    def _advertiser(self, position: int) -> None:
        spec = self.spec
        index, advertiser_id, key = self._next(DataLevel.ADVERTISER)
        zone = spec.timezones[position % len(spec.timezones)]
        name = f"Fake Advertiser {index}"
        created = datetime.combine(spec.first_day, time(), tzinfo=timezone.utc) - timedelta(
            days=400 + key % 300, seconds=key % 86_400
        )
        record = {
            "advertiser_id": advertiser_id,
            "name": name,
            "company": f"Fake Company {index}",
            "status": "STATUS_ENABLE",
            "role": "ROLE_ADVERTISER",
            "currency": _CURRENCIES[position % len(_CURRENCIES)],
            "country": _COUNTRIES[position % len(_COUNTRIES)],
            "timezone": zone,
            "display_timezone": _DISPLAY_ZONES.get(zone, zone),
            "language": "en",
            "balance": round((key % 5_000_000) / 100, 2),
            "create_time": int(created.timestamp()),
            "advertiser_account_type": "AUCTION",
            "email": "f***@***",
            "telephone_number": "+1415****85",
            "cellphone_number": "+1347****53",
            "contacter": "Fa***er",
            "address": f"{index} Fake Street",
            "industry": "291905",
            "license_no": "",
            "license_url": None,
            "description": "https://example.com",
            "rejection_reason": "",
            "promotion_area": "0",
            "brand": None,
            "owner_bc_id": None,
            # Returned only when `fields` asks for them (see accounts.py).
            "company_name_editable": index % 2 == 0,
            "can_use_custom_identity": True,
            "ads_only_mode": False,
        }
        record = _completed("advertiser_info", record, index)
        advertiser = Entity(
            level=DataLevel.ADVERTISER,
            entity_id=advertiser_id,
            advertiser_id=advertiser_id,
            key=key,
            deleted=False,
            enabled=True,
            record=record,
            lineage={"advertiser_id": advertiser_id},
        )
        self.catalog.advertisers[advertiser_id] = advertiser
        self.catalog.zones[advertiser_id] = ZoneInfo(zone)
        self._add(advertiser)
        for _ in range(spec.campaigns_per_advertiser):
            self._campaign(advertiser)

    def _campaign(self, advertiser: Entity) -> None:
        index, campaign_id, key = self._next(DataLevel.CAMPAIGN)
        deleted_on = self._deletion(index, key)
        enabled = key % 5 != 0
        objective = _OBJECTIVES[key % len(_OBJECTIVES)]
        budget = float(50 + key % 950)
        name = f"Campaign {index}"
        created = _stamp(self.spec.first_day - timedelta(days=30 + key % 60), key % 86_400)
        status = "CAMPAIGN_STATUS_ENABLE" if enabled else "CAMPAIGN_STATUS_DISABLE"
        kind = index % 4
        if kind == _TOP_VIEW and not self.spec.top_view:
            kind = _MANUAL  # TopView campaigns only in data sets that ask for them
        record = {
            "advertiser_id": advertiser.entity_id,
            "campaign_id": campaign_id,
            "campaign_name": name,
            "campaign_type": "REGULAR_CAMPAIGN",
            "objective_type": objective,
            "objective": "LANDING_PAGE",
            "budget": budget,
            "budget_mode": "BUDGET_MODE_DAY",
            "operation_status": "ENABLE" if enabled else "DISABLE",
            "secondary_status": "CAMPAIGN_STATUS_DELETE" if deleted_on else status,
            "create_time": created,
            "modify_time": _stamp(deleted_on, 36_000) if deleted_on else created,
            "is_new_structure": True,
            "is_smart_performance_campaign": False,
            "is_search_campaign": False,
            "budget_optimize_on": False,
            "deep_bid_type": None,
            "roas_bid": 0.0,
            "campaign_automation_type": "UPGRADED_SMART_PLUS" if kind == _SMART_PLUS else "MANUAL",
            "bid_type": "BID_TYPE_NO_BID",
            "optimization_goal": _OPTIMIZATION[key % len(_OPTIMIZATION)],
            "app_promotion_type": "UNSET",
            "rf_campaign_type": "TOPVIEW" if kind == _TOP_VIEW else "STANDARD",
            "special_industries": [],
            "app_id": None,
            "po_number": None,
        }
        record = _completed("campaign_get", record, index)
        if kind == _PROMOTE:
            record = _promote_record(DataLevel.CAMPAIGN, record)
        campaign = Entity(
            level=DataLevel.CAMPAIGN,
            entity_id=campaign_id,
            advertiser_id=advertiser.entity_id,
            key=key,
            deleted=deleted_on is not None,
            enabled=enabled,
            record=record,
            attributes={
                "campaign_name": name,
                "objective_type": objective,
                "campaign_budget": f"{budget:.2f}",
            },
            lineage={**advertiser.lineage, "campaign_id": campaign_id},
            deleted_on=deleted_on,
            origin="PROMOTE" if kind == _PROMOTE else "TT_ADS_PLATFORM",
            buying_type="RESERVATION_TOP_VIEW" if kind == _TOP_VIEW else "AUCTION",
            smart_plus=kind == _SMART_PLUS,
        )
        self._add(campaign)
        for _ in range(self.spec.adgroups_per_campaign):
            self._adgroup(advertiser, campaign)

    def _adgroup(self, advertiser: Entity, campaign: Entity) -> None:
        index, adgroup_id, key = self._next(DataLevel.ADGROUP)
        deleted_on = self._deletion(index, key)
        enabled = key % 7 != 0
        name = f"Ad group {index}"
        budget = float(20 + key % 480)
        bid = round(0.1 + (key % 300) / 100, 2)
        created = _stamp(self.spec.first_day - timedelta(days=10 + key % 20), key % 86_400)
        if deleted_on:
            status = "ADGROUP_STATUS_DELETE"
        elif campaign.deleted:
            status = "ADGROUP_STATUS_CAMPAIGN_DELETE"
        else:
            status = "ADGROUP_STATUS_DELIVERY_OK" if enabled else "ADGROUP_STATUS_DISABLE"
        choice = key % len(_OPTIMIZATION)
        record: dict[str, Any] = {
            "advertiser_id": advertiser.entity_id,
            "campaign_id": campaign.entity_id,
            "campaign_name": campaign.attributes["campaign_name"],
            "adgroup_id": adgroup_id,
            "adgroup_name": name,
            "create_time": created,
            "modify_time": _stamp(deleted_on, 37_000) if deleted_on else created,
            "operation_status": "ENABLE" if enabled else "DISABLE",
            "secondary_status": status,
            "budget": budget,
            "budget_mode": "BUDGET_MODE_DAY",
            "schedule_type": "SCHEDULE_FROM_NOW",
            "schedule_start_time": created,
            "schedule_end_time": None,
            "pacing": "PACING_MODE_SMOOTH",
            "optimization_goal": _OPTIMIZATION[choice],
            "billing_event": _BILLING[choice],
            "bid_type": "BID_TYPE_CUSTOM",
            "bid_price": bid,
            "placement_type": "PLACEMENT_TYPE_AUTOMATIC",
            "placements": ["PLACEMENT_TIKTOK"],
            "promotion_type": "WEBSITE",
            "location_ids": ["6252001"],
            "age_groups": ["AGE_18_24", "AGE_25_34"],
            "gender": "GENDER_UNLIMITED",
            "languages": ["en"],
            "is_new_structure": True,
            "dayparting": None,
            "conversion_bid_price": 0.0,
            "deep_cpa_bid": 0.0,
            "skip_learning_phase": False,
            "operating_systems": [],
            "interest_category_ids": [],
            "audience_ids": [],
            "excluded_audience_ids": [],
            "pixel_id": None,
            "app_id": None,
            "comment_disabled": False,
            "share_disabled": False,
            "video_download_disabled": False,
        }
        record = _completed("adgroup_get", record, index)
        adgroup = Entity(
            level=DataLevel.ADGROUP,
            entity_id=adgroup_id,
            advertiser_id=advertiser.entity_id,
            key=key,
            deleted=campaign.deleted or deleted_on is not None,
            enabled=enabled,
            record=record,
            attributes={
                **campaign.attributes,
                "campaign_id": campaign.entity_id,
                "adgroup_name": name,
                "placement_type": _REPORT_PLACEMENT_TYPE[record["placement_type"]],
                "promotion_type": _REPORT_PROMOTION_TYPE[record["promotion_type"]],
                "budget": f"{budget:.2f}",
                "bid": f"{bid:.2f}",
                "billing_event": _REPORT_BILLING_EVENT[record["billing_event"]],
                "opt_status": record["operation_status"],
            },
            lineage={**campaign.lineage, "adgroup_id": adgroup_id},
            deleted_on=deleted_on,
            origin=campaign.origin,
            buying_type=campaign.buying_type,
            smart_plus=campaign.smart_plus,
        )
        if adgroup.origin == "PROMOTE":
            adgroup.record = _promote_record(DataLevel.ADGROUP, record)
        self._add(adgroup)
        for _ in range(self.spec.ads_per_adgroup):
            ad = self._ad(advertiser, campaign, adgroup)
            adgroup.ads.extend(ad.ads)
            campaign.ads.extend(ad.ads)
            advertiser.ads.extend(ad.ads)

    def _active_days(self, key: int, deletions: list[date | None]) -> tuple[date, date]:
        """Some ads start late or stop early; none runs past a deleted parent's deletion."""
        spec = self.spec
        start, end = spec.first_day, spec.last_day
        if key % 3 == 0:
            start += timedelta(days=(key >> 8) % max(1, self.span // 3))
        if (key >> 20) % 4 == 0:
            end -= timedelta(days=(key >> 28) % max(1, self.span // 4))
        for deleted_on in deletions:
            if deleted_on is not None:
                end = min(end, deleted_on - timedelta(days=1))
        return start, end

    def _ad(self, advertiser: Entity, campaign: Entity, adgroup: Entity) -> Entity:
        index, ad_id, key = self._next(DataLevel.AD)
        deleted_on = self._deletion(index, key)
        enabled = key % 11 != 0
        name = f"Ad {index}"
        first, last = self._active_days(key, [campaign.deleted_on, adgroup.deleted_on, deleted_on])
        created = _stamp(self.spec.first_day - timedelta(days=1 + key % 5), key % 86_400)
        if deleted_on:
            status = "AD_STATUS_DELETE"
        elif campaign.deleted:
            status = "AD_STATUS_CAMPAIGN_DELETE"
        elif adgroup.deleted:
            status = "AD_STATUS_ADGROUP_DELETE"
        else:
            status = "AD_STATUS_DELIVERY_OK" if enabled else "AD_STATUS_DISABLE"
        ad_format = _AD_FORMATS[key % len(_AD_FORMATS)]
        call_to_action = _CALLS_TO_ACTION[key % len(_CALLS_TO_ACTION)]
        text = f"Try fake product {index} today"
        modified = _stamp(deleted_on, 38_000) if deleted_on else _stamp(first, 3_600 + key % 7_200)
        record: dict[str, Any] = {
            "advertiser_id": advertiser.entity_id,
            "campaign_id": campaign.entity_id,
            "campaign_name": campaign.attributes["campaign_name"],
            "adgroup_id": adgroup.entity_id,
            "adgroup_name": adgroup.attributes["adgroup_name"],
            "ad_id": ad_id,
            # Doc 1854103649826817: `ad/get/` gives an ad's own ID as `ad_id_v2` and the
            # campaign's `campaign_automation_type`. The fake lists an Upgraded Smart+ ad as
            # that Doc's `ad_ids_v2` query does; without that filter TikTok lists its
            # creatives instead (`ad_id` a creative's, `smart_plus_ad_id` the ad's), which the
            # fake does not (yet): its `smart_plus_ad_id` stays unset.
            "ad_id_v2": ad_id,
            "campaign_automation_type": "UPGRADED_SMART_PLUS" if campaign.smart_plus else "MANUAL",
            "ad_name": name,
            "ad_text": text,
            "create_time": created,
            "modify_time": max(created, modified),
            "operation_status": "ENABLE" if enabled else "DISABLE",
            "secondary_status": status,
            "ad_format": ad_format,
            "video_id": f"v10044g50000{key % 10**12:012d}",
            "image_ids": [],
            "landing_page_url": f"https://example.com/p/{index}",
            "call_to_action": call_to_action,
            "identity_id": f"{key % 10**10:010d}",
            "identity_type": "CUSTOMIZED_USER",
            "display_name": "Fake Brand",
            "is_aco": False,
            "creative_authorized": False,
            "is_new_structure": True,
            "call_to_action_id": None,
            "profile_image_url": "https://example.com/avatar.png",
            "deeplink": "",
            "deeplink_type": "NORMAL",
            "tracking_pixel_id": 0,  # a number on the wire, unlike the other ids
            "impression_tracking_url": None,
            "click_tracking_url": None,
        }
        record = _completed("ad_get", record, index)
        if campaign.smart_plus:  # Smart+ ads can come back without modify_time (reference 3.5)
            del record["modify_time"]
        if campaign.origin == "PROMOTE":
            record = _promote_record(DataLevel.AD, record)
        ad = Entity(
            level=DataLevel.AD,
            entity_id=ad_id,
            advertiser_id=advertiser.entity_id,
            key=key,
            deleted=adgroup.deleted or deleted_on is not None,
            enabled=enabled,
            record=record,
            attributes={
                **adgroup.attributes,
                "adgroup_id": adgroup.entity_id,
                "ad_name": name,
                # Doc 1740302848100353: the metric `ad_id_v2` is the ID of the ad (of the Smart+
                # ad, where `ad_id` is a creative's: see `_creatives`).
                "ad_id_v2": ad_id,
                "ad_text": text,
                "call_to_action": call_to_action,
                "image_mode": ad_format,
            },
            # `ad_id_v2` too: its creatives keep it, and the `ad_ids_v2` report filter selects
            # by it (Doc 1740302848100353).
            lineage={**adgroup.lineage, "ad_id": ad_id, "ad_id_v2": ad_id},
            first_day=first,
            last_day=last,
            deleted_on=deleted_on,
            active_from=first.toordinal(),
            active_to=last.toordinal(),
            origin=campaign.origin,
            buying_type=campaign.buying_type,
            smart_plus=campaign.smart_plus,
        )
        ad.ads.extend(self._creatives(ad) if campaign.smart_plus else [ad])
        self._add(ad)
        return ad

    def _creatives(self, ad: Entity) -> list[Entity]:
        """An Upgraded Smart+ ad's creatives: what reports by `ad_id` show of it.

        Each delivers on its own (the ad's spend is theirs together), runs when its ad runs,
        and carries the ad's ID as `ad_id_v2`; the ad/get/ listing does not show them.
        `FakeData.entity` finds them (`lineage` leads to their ad group and campaign).
        """
        creatives = []
        for number in range(1, CREATIVES_PER_SMART_PLUS_AD + 1):
            self.creatives += 1
            creative_id = str(_CREATIVE_ID_BASE + self.creatives)
            creative = replace(
                ad,
                entity_id=creative_id,
                key=hash_ints(self.spec.seed, _CREATIVE_CODE, self.creatives),
                record={"create_time": ad.record["create_time"]},
                attributes={**ad.attributes, "ad_name": f"{ad.attributes['ad_name']} #{number}"},
                lineage={**ad.lineage, "ad_id": creative_id},
                ads=[],
            )
            creative.ads.append(creative)
            creatives.append(creative)
            self.catalog.by_id[creative_id] = creative  # found by id, listed nowhere
        return creatives


def build_catalog(spec: DataSpec) -> Catalog:
    """Derive every entity of the fake world from the spec (deterministic in the seed)."""
    return _Builder(spec).build()
