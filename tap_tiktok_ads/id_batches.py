"""Reading accounts over TikTok's ad cap in ID batches, so that truncation never loses rows.

`report/integrated/get/` aggregates at most the newest 20,000 ads of an account (by creation
time, deleted ads included) and returns only those; its answer then carries the header
`X-Tt-Ads-Throttle` (Doc 1740302848100353; Reporting FAQ, Doc 1738864850353154). TikTok's
remedy is the `campaign_ids` / `adgroup_ids` / `ad_ids` filters, at most 100 IDs each, so that
each query covers fewer ads than the cap.

An account is known to be over the cap from the header on any report answer, or before any
report is asked for, from its ad count: when the run's `ads` stream read the account, the
`page_info.total_number` of each of its `ad/get/` passes (bububa model/ad/get.go, model/types.go
`PageInfo`) adds up to the account's ads, deleted ones included with `include_deleted`, a lower
bound without; either way, a count at the cap or above means the account is over it. An
account's ads never get fewer (deleted ones count), so a report stream keeps the advertisers
it read in batches in its state (`OVER_CAP_STATE_KEY`), and the next run reads them in
batches from its first query too.

So an answer with the header is never used (`AdCapReached`); the account's ads are listed
once per run from `ad/get/` (deleted ones too) and the report is read in batches of at most
100 IDs, each batch covering fewer ads than the cap. A batch that still gets the header
(the cap is lower than we thought, or ads were added) is split and read again, only ever
narrower: its IDs halved, or its one ID split into the entities below it; a wider filter would
cover ads of other batches. One ad that still gets it ends the run with a message (no smaller
query exists). Batches of one level cover disjoint entities, so their rows join without
duplicates.

An entity cannot be filtered at its own level or above (inferred: TikTok's ID filters
narrow the ads a query covers, and a filter at a level below the report's would split its
rows), so the advertiser level, and a campaign or ad group holding too many ads by itself, is
summed from the level below (`RollUp`): additive metrics (counts and money) add up exactly;
ratios and unique counts (reach) cannot be added and stay empty, with a warning.
A row to be summed whose entity is not among the listed ads (TikTok answered a row the
filter was not expected to select: inferred, an ad created after the listing or listed under
another ID) has no known parent: it is left out, never summed under a wrong or empty ID, and
each window that leaves rows out warns with its count (IDs named once per run), as the
bookmark moves past the window. At the advertiser level every row is the advertiser's.

Deleted entities follow `include_deleted` as in an uncapped query. Read at the report's
level, a batch keeps the report's status filter. Read below it, a batch asks for every
entity of the lower level (a campaign's row counts its deleted ad groups too), so without
`include_deleted` the report's level is batched only over the entities that are not deleted,
listed from `campaign/get/` or `adgroup/get/` (default `primary_status` `STATUS_NOT_DELETE`,
Docs 1739315828649986, 1739314558673922; inferred: the entity reads and the report's
`STATUS_NOT_DELETE` agree on what is deleted, an ad group of a deleted campaign included).
The advertiser level has no status: it sums every campaign, deleted ones too.

TopView ads report only with the filter `buying_type` `RESERVATION_TOP_VIEW` (top_view.py), so
their IDs are batched apart, their batches sending that filter too: the advertiser level,
summed from campaign batches, then counts them as TikTok's advertiser level does; below it,
the report's TopView pass reads them (`top_view` of `BatchedReader.rows`) and its other pass
leaves them out.
"""

from __future__ import annotations

import functools
import json
import threading
from collections import defaultdict
from dataclasses import dataclass, field, replace
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from tap_tiktok_ads.bookmarks import kept_by_streams
from tap_tiktok_ads.entity_kinds import EVERY_KIND, TOP_VIEW_MAX_PAGE_SIZE, is_top_view
from tap_tiktok_ads.errors import TikTokFatalError
from tap_tiktok_ads.metrics import METRICS, DataLevel, MetricKind
from tap_tiktok_ads.query_size import QueryTooHeavy
from tap_tiktok_ads.top_view import REPORT_FILTER as TOP_VIEW_FILTER

if TYPE_CHECKING:
    import logging
    from collections.abc import Callable, Iterable, Iterator, Mapping

    from tap_tiktok_ads.dates import DateWindow
    from tap_tiktok_ads.paging import Page

TIKTOK_AD_CAP = 20_000  # Doc 1740302848100353: "up to 20,000 advertisements"
THROTTLE_HEADER = "X-Tt-Ads-Throttle"  # Doc 1740302848100353, Doc 1738864850353154
MAX_FILTER_IDS = 100  # Doc 1740302848100353: "up to 100 IDs at a time"
# The filter of each level (Doc 1740302848100353 names the three).
FILTER_OF = {
    DataLevel.CAMPAIGN: "campaign_ids",
    DataLevel.ADGROUP: "adgroup_ids",
    DataLevel.AD: "ad_ids",
}
# Ads read to be summed into their ad group or campaign are read by `ad_id_v2`, filtered by
# `ad_ids_v2` (Doc 1740302848100353, "Filtering by Upgraded Smart+ Ad (Asset Group) IDs through
# ad_id_v2"): rows by `ad_id` are an Upgraded Smart+ ad's creatives, rows by `ad_id_v2` every
# ad's own (Manual, Smart+ and Upgraded Smart+ ads, same Doc). `ad/get/` without `ad_ids_v2`
# lists an Upgraded Smart+ ad's creatives, `ad_id` a creative's and `smart_plus_ad_id` the
# ad's (Doc 1854103649826817), so a summed batch names each ad once by its own ID
# (`AdRef.own_ad_id`; a Manual ad's is its `ad_id`, same Doc), up to 100 as `ad_ids`
# (inferred), and an ad-level batch names creatives by `ad_id` (`ad_ids`, same Doc).
SUMMED_AD_DIMENSION = "ad_id_v2"
SUMMED_AD_FILTER = "ad_ids_v2"
_BELOW = {
    DataLevel.ADVERTISER: DataLevel.CAMPAIGN,
    DataLevel.CAMPAIGN: DataLevel.ADGROUP,
    DataLevel.ADGROUP: DataLevel.AD,
}
AD_PAGE_SIZE = 1000  # page_size maximum of ad/get/, campaign/get/, adgroup/get/ (reference 3.3-3.5)
AD_LIST_PATH_NAME = "ad/get/"
# The entity reads that list a level's entities that are not deleted (see the module doc).
LIVE_LIST_PATH = {
    DataLevel.CAMPAIGN: "/campaign/get/",  # Doc 1739315828649986
    DataLevel.ADGROUP: "/adgroup/get/",  # Doc 1739314558673922
}
_NAMED_IDS = 5  # the unknown IDs a warning names; it counts the others
OVER_CAP_STATE_KEY = "over_ad_cap"  # a report stream's state: advertisers read in batches
_DEPTH = {level: depth for depth, level in enumerate(DataLevel)}


class AdCapReached(Exception):  # noqa: N818 - what happened, not an error of the tap
    """TikTok's answer carried `X-Tt-Ads-Throttle`: its rows are a truncated subset."""


@dataclass(frozen=True, slots=True)  # 50,000 of them for a large account
class AdRef:
    """One ad of the account and the entities above it, from `ad/get/`."""

    ad_id: str
    adgroup_id: str
    campaign_id: str
    top_view: bool = False  # a TopView ad: its rows need the `buying_type` filter
    # Listed without `ad_ids_v2`, `ad/get/` gives an Upgraded Smart+ ad's creatives: `ad_id`
    # is a creative's, `smart_plus_ad_id` the ad's (Doc 1854103649826817, Creative row).
    smart_plus_ad_id: str | None = None

    @property
    def own_ad_id(self) -> str:
        """The ad's own ID (`ad_id_v2` of its report rows): the Smart+ ad of a creative."""
        return self.smart_plus_ad_id or self.ad_id

    def id_at(self, level: DataLevel) -> str:
        """The ID of the ad's entity at `level` (campaign, ad group or the ad)."""
        return {
            DataLevel.CAMPAIGN: self.campaign_id,
            DataLevel.ADGROUP: self.adgroup_id,
            DataLevel.AD: self.ad_id,
        }[level]


@dataclass(frozen=True)
class IdBatch:
    """One query's ID filter, the ads it covers, and how its rows become the report's rows.

    `read_level` is the level the query asks for; when it is below the report's level, the
    rows are summed up to the report's level (`RollUp`).
    """

    filter_level: DataLevel
    ids: tuple[str, ...]
    ads: tuple[AdRef, ...]
    read_level: DataLevel
    top_view: bool = False  # TopView ads only, asked for with the `buying_type` filter
    summed: bool = False  # read below the report's level: ads by their own ID (`ad_id_v2`)

    def key(self, ad: AdRef) -> str:
        """The ID the batch's filter names for one of its ads."""
        return _key(ad, self.filter_level, summed=self.summed)

    def context(self) -> dict[str, Any]:
        """What a request context carries of the batch (plain JSON: the SDK logs contexts)."""
        return {
            "filtering": {
                "field_name": FILTER_OF[self.filter_level],
                "filter_type": "IN",
                "filter_value": json.dumps(list(self.ids)),
            },
            "read_level": self.read_level.value,
            "top_view": self.top_view,
        }


def _key(ad: AdRef, level: DataLevel, *, summed: bool) -> str:
    """An ad's ID at `level`; read to be summed, an ad is filtered by its own ID (`ad_ids_v2`)."""
    return ad.own_ad_id if summed and level is DataLevel.AD else ad.id_at(level)


def _pack(
    groups: dict[str, list[AdRef]],
    level: DataLevel,
    max_ads: int,
    read_level: DataLevel,
    *,
    summed: bool,
) -> Iterator[IdBatch]:
    """Groups of ads (one per ID at `level`) packed into batches of <= 100 IDs, <= max_ads."""
    ids: list[str] = []
    ads: list[AdRef] = []
    for entity_id in sorted(groups):
        members = groups[entity_id]
        if ids and (len(ids) >= MAX_FILTER_IDS or len(ads) + len(members) > max_ads):
            yield _batch(level, ids, ads, read_level, summed=summed)
            ids, ads = [], []
        ids.append(entity_id)
        ads.extend(members)
    if ids:
        yield _batch(level, ids, ads, read_level, summed=summed)


def _batch(
    level: DataLevel, ids: list[str], ads: list[AdRef], read_level: DataLevel, *, summed: bool
) -> IdBatch:
    """One batch; its ads are all TopView ones or none (`plan_batches` plans them apart)."""
    top_view = bool(ads) and ads[0].top_view
    return IdBatch(level, tuple(ids), tuple(ads), read_level, top_view, summed)


def plan_batches(
    ads: Iterable[AdRef],
    level: DataLevel,
    max_ads: int,
    coarsest: DataLevel = DataLevel.CAMPAIGN,
) -> list[IdBatch]:
    """Batches that together read the report at `level` for these ads, each <= max_ads ads.

    Campaigns are packed first (fewest requests); a campaign with too many ads is split by
    its ad groups, and an ad group by its ads, as far as the report's level allows; below
    that, its rows are summed from the level below (read at `read_level`). `coarsest` is the
    widest filter a batch may use: a batch re-planned after the header never filters wider
    than its own filter, which would cover ads of other batches. TopView ads are batched
    apart from the others: their batches send the `buying_type` filter.
    """
    ads = list(ads)
    return [
        batch
        for top_view in (False, True)
        for batch in _plan_kind(
            [ad for ad in ads if ad.top_view is top_view], level, max_ads, coarsest
        )
    ]


def _plan_kind(
    ads: list[AdRef], level: DataLevel, max_ads: int, coarsest: DataLevel
) -> list[IdBatch]:
    if level is DataLevel.ADVERTISER:
        return _plan_kind(ads, DataLevel.CAMPAIGN, max_ads, coarsest)
    read_level = level if _DEPTH[coarsest] <= _DEPTH[level] else coarsest
    return list(_split(ads, coarsest, level, read_level, max_ads))


def _split(
    ads: list[AdRef], by: DataLevel, level: DataLevel, read_level: DataLevel, max_ads: int
) -> Iterator[IdBatch]:
    summed = _DEPTH[read_level] > _DEPTH[level]
    groups: dict[str, list[AdRef]] = defaultdict(list)
    for ad in ads:
        groups[_key(ad, by, summed=summed)].append(ad)
    fitting = {key: members for key, members in groups.items() if len(members) <= max_ads}
    yield from _pack(fitting, by, max_ads, read_level, summed=summed)
    for key in sorted(set(groups) - set(fitting)):
        if by is DataLevel.AD:  # one ad (or one Smart+ ad's creatives) per ID: read it whole
            yield _batch(by, [key], groups[key], read_level, summed=summed)
            continue
        finer = _BELOW[by]
        # Filtering below the report's level would split its rows: read below and sum.
        finer_read = read_level if _DEPTH[finer] <= _DEPTH[level] else finer
        yield from _split(groups[key], finer, level, finer_read, max_ads)


def _with_ids(batch: IdBatch, ids: tuple[str, ...]) -> IdBatch:
    """A batch narrowed to some of its IDs, with the ads they cover."""
    wanted = set(ids)
    ads = tuple(ad for ad in batch.ads if batch.key(ad) in wanted)
    return replace(batch, ids=ids, ads=ads)


def _halves(batch: IdBatch) -> list[IdBatch]:
    """A batch of several IDs as two, each with half of its IDs at the same level."""
    middle = len(batch.ids) // 2
    return [_with_ids(batch, ids) for ids in (batch.ids[:middle], batch.ids[middle:])]


@dataclass
class _Account:
    over_cap: bool = False  # a report answer carried the header, or the ad count reached the cap
    ads: list[AdRef] | None = None
    max_ads: int = TIKTOK_AD_CAP - 1  # each batch covers fewer ads than the cap
    counted: dict[str, int] = field(default_factory=dict)  # ad/get/ pass -> total_number
    live: dict[DataLevel, frozenset[str]] = field(default_factory=dict)  # not deleted, by level


@dataclass
class AdCensus:
    """Per run: which advertisers are over the cap, their ads, and how big a batch may be.

    Shared by the report streams of a run (and their worker threads), so the ads of an
    advertiser are listed once and the message is logged once.
    """

    _accounts: dict[str, _Account] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def over_cap(self, advertiser_id: str) -> bool:
        """Whether this advertiser is read in batches in this run."""
        with self._lock:
            account = self._accounts.get(advertiser_id)
            return account is not None and account.over_cap

    def note_over_cap(self, advertiser_id: str, where: str, logger: logging.Logger) -> None:
        """A report answer carried the header: from now on read this advertiser in batches."""
        why = f"{where} answered with the {THROTTLE_HEADER} header"
        self._mark_over_cap(advertiser_id, why, logger)

    def note_ad_count(
        self, advertiser_id: str, listing: str, total: int, logger: logging.Logger
    ) -> None:
        """`ad/get/` counted `total` ads in one of its passes (`listing`) over the account.

        Once the passes counted reach the cap, the advertiser is read in batches from its
        first report query on, without a truncated answer first.
        """
        with self._lock:
            account = self._accounts.setdefault(advertiser_id, _Account())
            account.counted[listing] = total
            counted = sum(account.counted.values())
        cap = TIKTOK_AD_CAP
        if counted >= cap:
            why = f"{AD_LIST_PATH_NAME} counts {counted} ads, at or over the cap of {cap}"
            self._mark_over_cap(advertiser_id, why, logger, max_ads=cap - 1)

    def note_remembered(self, advertiser_ids: Iterable[str], logger: logging.Logger) -> None:
        """Advertisers an earlier run read in batches: over the cap for good."""
        for advertiser_id in advertiser_ids:
            why = f"an earlier run found it over the cap ({OVER_CAP_STATE_KEY} in the state)"
            self._mark_over_cap(advertiser_id, why, logger)

    def _mark_over_cap(
        self, advertiser_id: str, why: str, logger: logging.Logger, max_ads: int | None = None
    ) -> None:
        """From now on read this advertiser in batches; say so once, and why."""
        with self._lock:
            account = self._accounts.setdefault(advertiser_id, _Account())
            if max_ads is not None:
                account.max_ads = max(1, min(account.max_ads, max_ads))
            if account.over_cap:
                return
            account.over_cap = True
        logger.warning(
            "Advertiser %s has more ads than TikTok's report cap (%s: only the newest ads of "
            "the account would be counted). Its reports are read in batches of at most %d "
            "campaign, ad group or ad IDs, each covering fewer ads than the cap, so that no "
            "row is lost (Doc 1740302848100353).",
            advertiser_id,
            why,
            MAX_FILTER_IDS,
        )

    def ads(self, advertiser_id: str, list_ads: Callable[[], list[AdRef]]) -> list[AdRef]:
        """The advertiser's ads, deleted ones included, listed once per run."""
        with self._lock:
            account = self._accounts.setdefault(advertiser_id, _Account())
            known = account.ads
        if known is not None:
            return known
        listed = list_ads()
        with self._lock:
            account.ads = listed
        return listed

    def live_ids(
        self, advertiser_id: str, level: DataLevel, list_live: Callable[[], frozenset[str]]
    ) -> frozenset[str]:
        """The advertiser's entities at `level` that are not deleted, listed once per run."""
        with self._lock:
            account = self._accounts.setdefault(advertiser_id, _Account())
            known = account.live.get(level)
        if known is not None:
            return known
        listed = list_live()
        with self._lock:
            account.live[level] = listed
        return listed

    def known_ids(self, advertiser_id: str, level: DataLevel) -> int | None:
        """How many IDs the advertiser has at `level`, if its ads were listed in this run."""
        with self._lock:
            account = self._accounts.get(advertiser_id)
            ads = None if account is None else account.ads
        if ads is None:
            return None
        if level is DataLevel.ADVERTISER:
            return 1
        return len({ad.id_at(level) for ad in ads})

    def max_ads(self, advertiser_id: str) -> int:
        """The most ads one batch of this advertiser may cover now.

        Over the cap, the cap is at most the ads the account has (the header says "equal
        or more"), so a batch covers at most half of them.
        """
        with self._lock:
            account = self._accounts.setdefault(advertiser_id, _Account())
            if account.over_cap and account.ads is not None:
                return max(1, min(account.max_ads, len(account.ads) // 2))
            return account.max_ads

    def batch_too_big(self, advertiser_id: str, batch: IdBatch) -> None:
        """A batch still got the header: the cap is at most its ads; batches get smaller."""
        with self._lock:
            account = self._accounts.setdefault(advertiser_id, _Account())
            account.max_ads = max(1, min(account.max_ads, len(batch.ads) // 2))


ADDITIVE_KINDS = frozenset({MetricKind.COUNT, MetricKind.MONEY})


def summable(name: str) -> bool:
    """Whether a metric's values add up over entities: counts and money, never unique counts."""
    metric = METRICS.get(name)
    return metric is not None and metric.kind in ADDITIVE_KINDS and not metric.unique


def offered_only_at(level: DataLevel) -> list[str]:
    """Amounts a level offers that the level below does not: a sum from below has none.

    At the advertiser level `cash_spend` and `voucher_spend` (report_metrics.csv). They cannot
    be read otherwise: the advertiser level takes no ID filter (see the module doc), and an
    unfiltered query of an account over the cap processes only its newest 20,000 ads
    (Reporting FAQ, Doc 1738864850353154), so its amounts would be short.
    """
    below = _BELOW.get(level)
    if below is None:
        return []
    return sorted(
        name
        for name, metric in METRICS.items()
        if summable(name) and level in metric.levels and below not in metric.levels
    )


def _add(total: str | None, value: Any) -> str | None:  # noqa: ANN401
    """Exact decimal addition of TikTok's metric strings; `"-"` where a value is missing."""
    try:
        number = Decimal(str(value).replace(",", ""))
    except InvalidOperation:
        return total
    if not number.is_finite():
        return total
    return str(number if total is None else Decimal(total) + number)


class RollUp:
    """Rows of lower levels summed into rows of the report's level (see the module doc)."""

    def __init__(self, level: DataLevel, advertiser_id: str, ads: Iterable[AdRef]) -> None:
        """Keep the ads; their IDs are mapped to the report's level once a row needs it.

        Most windows sum nothing: an eager map of 50,000 ads' IDs per window cost peak RSS.
        """
        self.level = level
        self._advertiser_id = advertiser_id
        self._ads = ads
        self._parent: dict[str, str] | None = None
        self._rows: dict[tuple, dict[str, Any]] = {}
        # Rows left out: their entity is not among the listed ads ((dimension, ID) -> rows).
        self.unknown: dict[tuple[str, str], int] = {}

    def _parent_of(self, child: str) -> str | None:
        """The ID at the report's level of a campaign, ad group or ad; None if not listed.

        Every row of the advertiser's report is the advertiser's; below that, the parent
        is known only from the ads `ad/get/` listed.
        """
        if self.level is DataLevel.ADVERTISER:
            return self._advertiser_id
        if self._parent is None:
            self._parent = {}
            for ad in self._ads:
                parent = ad.id_at(self.level)
                for entity_id in (ad.campaign_id, ad.adgroup_id, ad.ad_id, ad.own_ad_id):
                    self._parent[entity_id] = parent
        return self._parent.get(child)

    def add(self, row: dict[str, Any], read_level: DataLevel) -> None:
        """Add one row read at `read_level` (below the report's level).

        A row of an entity the listing did not show has no known parent: summed under a
        guess it would go to a wrong or empty ID, so it is left out and counted (`unknown`).
        """
        dimensions = dict(row.get("dimensions") or {})
        child_dimension = summed_id_dimension(read_level)
        child = str(dimensions.pop(child_dimension, ""))
        parent = self._parent_of(child)
        if parent is None:
            left_out = (child_dimension, child)
            self.unknown[left_out] = self.unknown.get(left_out, 0) + 1
            return
        dimensions[self.level.id_dimension] = parent
        key = tuple(sorted(dimensions.items()))
        target = self._rows.setdefault(key, {"dimensions": dimensions, "metrics": {}})
        totals = target["metrics"]
        for name, value in (row.get("metrics") or {}).items():
            if summable(name):
                totals[name] = _add(totals.get(name), value)

    def rows(self) -> list[dict[str, Any]]:
        """The summed rows, sorted by their dimensions."""
        return [self._rows[key] for key in sorted(self._rows)]


def summed_id_dimension(read_level: DataLevel) -> str:
    """The ID dimension of rows read at `read_level` to be summed (`ad_id_v2` for ads)."""
    return SUMMED_AD_DIMENSION if read_level is DataLevel.AD else read_level.id_dimension


def batch_params(params: dict[str, Any], batch: dict[str, Any], level: DataLevel) -> dict[str, Any]:
    """A report request's parameters narrowed to one batch (and moved to its read level).

    A batch read below the report's level asks for the summable metrics that level accepts,
    with every entity of that level, deleted ones included: the report's level counts
    them all (Doc 1740302848100353, `data_level`: campaign level returns all ads under the
    campaign). Ads are read by `ad_id_v2` (`SUMMED_AD_DIMENSION`).
    """
    filtering = [dict(item) for item in params.get("filtering") or []]
    batch_filter = batch["filtering"]
    read = DataLevel(batch["read_level"])
    if read is not level:
        if batch_filter["field_name"] == FILTER_OF[DataLevel.AD]:
            batch_filter = {**batch_filter, "field_name": SUMMED_AD_FILTER}
        params = {
            **params,
            "data_level": read.api_value,
            "dimensions": [
                summed_id_dimension(read) if name == level.id_dimension else name
                for name in params["dimensions"]
            ],
            "metrics": [
                name
                for name in params.get("metrics") or []
                if summable(name) and read in METRICS[name].levels
            ],
        }
        filtering = [
            {
                "field_name": f"{read.value.lower()}_status",
                "filter_type": "IN",
                "filter_value": '["STATUS_ALL"]',
            }
        ]
    filtering.append(batch_filter)
    if batch.get("top_view") and TOP_VIEW_FILTER not in filtering:
        filtering.append(dict(TOP_VIEW_FILTER))
    return {**params, "filtering": filtering}


@dataclass(frozen=True)
class EntityLists:
    """How a report stream lists an advertiser's entities for its batches."""

    ads: Callable[[str], list[AdRef]]  # every ad, deleted ones included (`list_ads`)
    # The entities of a level that are not deleted (`list_live_ids`); None when the report
    # shows deleted entities too (`include_deleted`).
    live_ids: Callable[[str, DataLevel], frozenset[str]] | None


class BatchedReader:
    """One report's rows of an advertiser over the cap, for one window, batch by batch.

    `read_batch` must ask for the batch's first page before it returns, so that a batch
    that still gets the header raises `AdCapReached` before any of its rows is used.
    """

    def __init__(
        self,
        census: AdCensus,
        level: DataLevel,
        lists: EntityLists,
        may_repeat: Callable[[str], bool],
        logger: logging.Logger,
    ) -> None:
        """Read reports at `level` in batches.

        `lists` lists an advertiser's entities; `may_repeat` says whether a request that was
        too heavy may be sent once more.
        """
        self.census = census
        self.level = level
        self.lists = lists
        self.may_repeat = may_repeat
        self.logger = logger
        self._warned: set[str] = set()
        # advertiser -> (dimension, ID) a warning named in this run
        self._unknown_named: dict[str, set[tuple[str, str]]] = defaultdict(set)
        self._heavy_ids: dict[str, int] = {}  # advertiser -> fewest IDs of a too heavy batch
        self._lock = threading.Lock()

    def rows(
        self,
        advertiser_id: str,
        read_batch: Callable[[IdBatch], Iterator[dict[str, Any]]],
        *,
        stream: str,
        window: DateWindow | None,
        top_view: bool = False,
    ) -> Iterator[dict[str, Any]]:
        """Every row of `stream` in `window` (None: lifetime), direct batches' rows first.

        Below the advertiser level, the TopView ads' rows (`top_view`) or the others' only:
        the report reads them in passes of their own. The advertiser level has both.
        """
        ads = self.census.ads(advertiser_id, lambda: self.lists.ads(advertiser_id))
        if self.level is not DataLevel.ADVERTISER:
            ads = [ad for ad in ads if ad.top_view is top_view]
        pending = self._lighter(advertiser_id, self._plan(advertiser_id, ads))
        rollup = RollUp(self.level, advertiser_id, ads)
        while pending:
            batch = pending.pop(0)
            try:
                rows = read_batch(batch)
            except AdCapReached:
                self.census.batch_too_big(advertiser_id, batch)
                pending[:0] = self._narrower(advertiser_id, batch, stream)
                continue
            except QueryTooHeavy as heavy:
                with self._lock:
                    known = self._heavy_ids.get(advertiser_id, len(batch.ids))
                    self._heavy_ids[advertiser_id] = min(known, len(batch.ids))
                pending[:0] = self._smaller(advertiser_id, batch, heavy)
                continue
            if batch.read_level is self.level:
                yield from rows
                continue
            self._warn_not_summable(advertiser_id)
            for row in rows:
                rollup.add(row, batch.read_level)
        if rollup.unknown:
            where = (stream, advertiser_id, window)
            self._warn_unknown(where, rollup.unknown, top_view=top_view)
        yield from rollup.rows()

    def _plan(
        self, advertiser_id: str, ads: list[AdRef], coarsest: DataLevel = DataLevel.CAMPAIGN
    ) -> list[IdBatch]:
        """Batches over these ads; entities summed from below only if they are reported.

        A batch read below the report's level counts deleted entities there, so without
        `include_deleted` only the entities of the report's level that are not deleted are
        batched (their ads all count towards the cap). Listed only once a sum is needed.
        """
        batches = plan_batches(ads, self.level, self.census.max_ads(advertiser_id), coarsest)
        level = self.level
        list_live = self.lists.live_ids
        if (
            list_live is None
            or level not in LIVE_LIST_PATH
            or all(batch.read_level is level for batch in batches)
        ):
            return batches
        live = self.census.live_ids(advertiser_id, level, lambda: list_live(advertiser_id, level))
        reported = [ad for ad in ads if ad.id_at(level) in live]
        return plan_batches(reported, level, self.census.max_ads(advertiser_id), coarsest)

    def _narrower(self, advertiser_id: str, batch: IdBatch, stream: str) -> list[IdBatch]:
        """What to read instead of a batch that still got the header: narrower batches only.

        Its IDs halved, or its one ID split into the entities below it (read below the
        report's level and summed where it must). A wider filter would cover ads of other
        batches (their rows twice) and could bring the same batch back without end. One ad
        that still gets the header cannot be narrowed: the read stops and says what to do.
        """
        if len(batch.ids) > 1:
            return _halves(batch)
        if batch.filter_level is not DataLevel.AD:
            return self._plan(advertiser_id, list(batch.ads), _BELOW[batch.filter_level])
        help_text = (
            "Its TopView rows come from such queries only (report tasks take no buying_type filter)"
            if batch.top_view
            else "A daily report can be read with `report_mode: async` instead: TikTok's "
            "report tasks are not capped (they cannot be used with `include_deleted`)"
        )
        msg = (
            f"TikTok still caps the report {stream} of advertiser {advertiser_id} at its "
            f"newest ads ({THROTTLE_HEADER}) when it is filtered to the one ad "
            f"{batch.ids[0]}: no smaller query exists and its rows would be incomplete, so "
            f"the run stops. {help_text}; or leave this advertiser out of `advertiser_ids`. "
            "The state keeps what was synced."
        )
        raise TikTokFatalError(msg)

    def _lighter(self, advertiser_id: str, batches: list[IdBatch]) -> list[IdBatch]:
        """Batches split below the size TikTok already found too heavy for this advertiser."""
        with self._lock:
            heavy = self._heavy_ids.get(advertiser_id)
        if heavy is None:
            return batches
        size = max(1, heavy // 2)
        return [
            _with_ids(batch, batch.ids[start : start + size])
            for batch in batches
            for start in range(0, len(batch.ids), size)
        ]

    def _smaller(self, advertiser_id: str, batch: IdBatch, heavy: QueryTooHeavy) -> list[IdBatch]:
        """Half the IDs of a batch TikTok found too heavy; one ID is asked again at most once.

        IDs are halved at the batch's own level only: going below the report's level would
        turn exact ratios into sums that cannot hold them.
        """
        if len(batch.ids) > 1:
            return _halves(batch)
        if self.may_repeat(heavy.request_key):
            return [batch]
        msg = (
            f"TikTok keeps refusing or timing out on the report for advertiser "
            f"{advertiser_id} even for one {batch.filter_level.value.lower()} and the "
            f"smallest date range ({heavy}); it blocks a request that timed out 3 times for "
            "10 minutes. Run the tap again later; it resumes from its state."
        )
        raise TikTokFatalError(msg)

    def _warn_not_summable(self, advertiser_id: str) -> None:
        with self._lock:
            if advertiser_id in self._warned:
                return
            self._warned.add(advertiser_id)
        level = self.level.value.lower()
        own = offered_only_at(self.level)
        exact = (
            f"counts and amounts are exact, except {', '.join(own)}, which TikTok gives at "
            f"the {level} level only and which stay empty"
            if own
            else "counts and amounts are exact"
        )
        self.logger.warning(
            "Advertiser %s: the %s level of this report is summed from batches of a lower "
            "level (TikTok's ad cap allows no other way); %s; ratios and unique counts such "
            "as reach cannot be summed and stay empty.",
            advertiser_id,
            level,
            exact,
        )

    def _warn_unknown(
        self,
        where: tuple[str, str, DateWindow | None],
        unknown: Mapping[tuple[str, str], int],
        *,
        top_view: bool,
    ) -> None:
        """Say which rows of this window were left out, how many, why, and how to get them.

        Every window that leaves rows out says so with its own count; an ID is named once
        per run and advertiser (the first `_NAMED_IDS`, the others counted).
        """
        stream, advertiser_id, window = where
        with self._lock:
            named_before = self._unknown_named[advertiser_id]
            new = sorted(set(unknown) - named_before)
            named_before.update(new)
        seen = len(unknown) - len(new)
        rows = sum(unknown.values())
        one = rows == 1
        parent = self.level.id_dimension
        names = [f"{dimension} {entity_id or '(empty)'}" for dimension, entity_id in new]
        listed = ", ".join(names[:_NAMED_IDS])
        if len(names) > _NAMED_IDS:
            listed += f" and {len(names) - _NAMED_IDS} more"
        if seen:
            earlier = f"{_plural(seen, 'ID', 'IDs')} named in an earlier warning"
            listed = f"{listed}, and {earlier}" if listed else earlier
        days = "lifetime totals" if window is None else f"{window.start} to {window.end}"
        again = (
            "The next run lists the ads again and reads the lifetime totals again."
            if window is None
            else "The bookmark still moves past these days once their data is final: a later "
            "run reads them again only while they are not final, within the "
            "attribution_window_days it re-reads before its bookmark, or in a backfill (run "
            "this stream without its state, or with this advertiser's bookmark removed from "
            "it, and with start_date on or before "
            f"{window.start}). That run lists the ads again, so ads created after this run "
            "listed them are summed then."
        )
        self.logger.warning(
            "Stream %s, advertiser %s, %s%s: %s read to be summed into %s rows %s left out. "
            "%s not among the ads %s listed in this run (%s), so which %s %s to is unknown; "
            "%s not added under a wrong or empty %s. %s",
            stream,
            advertiser_id,
            days,
            " (TopView ads)" if top_view else "",
            _plural(rows, "row", "rows"),
            parent,
            "was" if one else "were",
            "Its ID is" if one else "Their IDs are",
            AD_LIST_PATH_NAME,
            listed,
            parent,
            "it belongs" if one else "they belong",
            "it is" if one else "they are",
            parent,
            again,
        )


def _plural(count: int, one: str, many: str) -> str:
    """`1 row`, `3 rows`."""
    return f"{count} {one if count == 1 else many}"


def remembered_over_cap(tap_state: Mapping[str, object]) -> set[str]:
    """The advertisers any report stream's state says are over the cap."""
    found: set[str] = set()
    for listed in kept_by_streams(tap_state, OVER_CAP_STATE_KEY):
        if isinstance(listed, list):
            found.update(str(advertiser_id) for advertiser_id in listed)
    return found


def list_ads(advertiser_id: str, pages: Callable[[dict[str, Any]], Iterable[Page]]) -> list[AdRef]:
    """Every ad of the account, deleted ones included, from `ad/get/` (reference 3.5).

    `primary_status` `STATUS_ALL` includes deleted ads, which count towards the cap; pages
    of 1,000 (the maximum; 100 for TopView) with only the three IDs, one query per group of
    entity kinds (Promote and TopView ads are hidden by default, see entity_kinds). `pages`
    reads every page of a query (paging.py decides which).
    """
    return [
        AdRef(
            str(item["ad_id"]),
            str(item["adgroup_id"]),
            str(item["campaign_id"]),
            top_view=is_top_view(kinds),
            smart_plus_ad_id=str(item["smart_plus_ad_id"])
            if item.get("smart_plus_ad_id")
            else None,
        )
        for kinds in EVERY_KIND
        for page in pages(
            {
                "advertiser_id": advertiser_id,
                "fields": ["ad_id", "adgroup_id", "campaign_id", "smart_plus_ad_id"],
                "filtering": {"primary_status": "STATUS_ALL", **kinds},
                "page_size": TOP_VIEW_MAX_PAGE_SIZE if is_top_view(kinds) else AD_PAGE_SIZE,
            }
        )
        for item in page.rows
        if item.get("ad_id")
    ]


def list_live_ids(
    advertiser_id: str,
    level: DataLevel,
    pages: Callable[[str, dict[str, Any]], Iterable[Page]],
) -> frozenset[str]:
    """The IDs of the advertiser's campaigns or ad groups that are not deleted.

    `campaign/get/` / `adgroup/get/` with `primary_status` `STATUS_NOT_DELETE` (their
    default), one query per group of entity kinds, as `list_ads`; `pages(path, params)`
    reads every page of a query. A query whose totals change while it pages is listed again
    (`_steady_listing`): its pages are offsets into a list that moved.
    """
    id_field = level.id_dimension
    ids: set[str] = set()
    for kinds in EVERY_KIND:
        params = {
            "advertiser_id": advertiser_id,
            "fields": [id_field],
            "filtering": {"primary_status": "STATUS_NOT_DELETE", **kinds},
            "page_size": TOP_VIEW_MAX_PAGE_SIZE if is_top_view(kinds) else AD_PAGE_SIZE,
        }
        ids |= _steady_listing(functools.partial(pages, LIVE_LIST_PATH[level], params), id_field)
    return frozenset(ids)


# Listings of one query while its totals keep changing, before the union of all is taken.
_LISTINGS = 3


def _steady_listing(listing: Callable[[], Iterable[Page]], id_field: str) -> set[str]:
    """The IDs of a listing whose totals held while it paged, and of any read before it.

    TikTok pages by offset over a list sorted by ID (Doc 1739315828649986): one deleted
    after its page was read moves the next onto that page, and the next page skips it: a
    live entity taken for deleted would leave its ads' rows out of the batches. Every listing
    holds each entity that was live throughout, bar such a skip; the union holds them all,
    plus one deleted meanwhile (its rows are what TikTok reports for it).
    """
    ids: set[str] = set()
    for _ in range(_LISTINGS):
        first: Page | None = None
        steady = True
        for page in listing():
            first = first or page
            steady = steady and first.same_totals(page)
            ids.update(str(item[id_field]) for item in page.rows if item.get(id_field))
        if steady:
            break
    return ids
