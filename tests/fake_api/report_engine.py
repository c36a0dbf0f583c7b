"""Computing report rows: which rows exist, in what order, and their values.

A query's row keys (entity, time bucket, breakdown bucket) are enumerated once and cached
as packed integers, so paging through a large window computes values only for the rows of
each page and a cached window of 300k rows costs about 2.4 MB. A row
exists when its impressions are positive; every additive metric is zero otherwise.
"""

from __future__ import annotations

import threading
from array import array
from collections import OrderedDict
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

from tests.fake_api.ad_cap import kept_ads
from tests.fake_api.buckets import Breakdown, breakdown_for
from tests.fake_api.delivery import plan_for
from tests.fake_api.hashing import hash_ints, mix64, text_key
from tests.fake_api.report_format import RowFormat, compile_format
from tests.fake_api.report_query import AD_ID_V2, TOP_VIEW
from tests.fake_api.vocabulary import DataLevel, ReportType, TimeDimension

if TYPE_CHECKING:
    from zoneinfo import ZoneInfo

    from tests.fake_api.catalog import Catalog, Entity
    from tests.fake_api.delivery import Delivery, Plan
    from tests.fake_api.report_query import ReportQuery

# Audience data for a local day is final this long after the day ends (reference 5: "10-12 h").
AUDIENCE_FINAL_AFTER = timedelta(hours=10)
_KEY_CACHE_SIZE = 16
_IMPRESSIONS = plan_for(set())


@dataclass(frozen=True)
class TimeBucket:
    """The days (and hour) one row covers, and its `stat_time_*` text if any."""

    label: str | None
    days: tuple[int, ...]  # date ordinals, already clipped to data that exists
    hour: int | None
    reach_key: int  # a hash of (start, end, hour) that identifies the bucket for reach


@dataclass(frozen=True)
class Moment:
    """What the server clock means for one advertiser: today's local date and hour."""

    now: datetime
    zone: ZoneInfo
    today: int  # local date ordinal
    cut_hour: int  # hours of today that have data (those before the current local hour)

    @classmethod
    def of(cls, now: datetime, zone: ZoneInfo) -> Moment:
        """The local view of an aware UTC instant."""
        local = now.astimezone(zone)
        return cls(now, zone, local.date().toordinal(), local.hour)

    def audience_permille(self, day: int, label_key: int) -> int:
        """How much of a day's audience data is in; 1000 once it is final (reference 5)."""
        day_end = datetime.combine(date.fromordinal(day + 1), time(), tzinfo=self.zone)
        elapsed = self.now - day_end
        if elapsed >= AUDIENCE_FINAL_AFTER:
            return 1000
        hours = max(0, int(elapsed.total_seconds() // 3600))
        now_hour = int(self.now.timestamp() // 3600)
        return min(990, 350 + 55 * hours + hash_ints(label_key, now_hour, day) % 100)


@dataclass(frozen=True)
class _Compiled:
    """Everything derived from a query that does not depend on the clock."""

    entities: tuple[Entity, ...]
    breakdown: Breakdown | None
    label_keys: tuple[int, ...]
    row_format: RowFormat
    truncated: bool  # the ad cap cut the ads aggregated (ad_cap.py)


def _status_matches(entity: Entity, statuses: frozenset[str]) -> bool:
    if "STATUS_ALL" in statuses:
        return True
    live = not entity.deleted
    return (
        ("STATUS_NOT_DELETE" in statuses and live)
        or ("STATUS_DELETE" in statuses and not live)
        or ("STATUS_DELIVERY_OK" in statuses and live and entity.enabled)
        or ("STATUS_DISABLE" in statuses and live and not entity.enabled)
    )


def _kind_matches(entity: Entity, query: ReportQuery) -> bool:
    """The `buying_type` filter; without it, no TopView (report_query.py, inferred)."""
    if query.buying_types is None:
        return entity.buying_type != TOP_VIEW
    return entity.buying_type in query.buying_types


class ReportEngine:
    """Answers report queries over a catalog; thread-safe, caches row keys per query."""

    def __init__(
        self, catalog: Catalog, delivery: Delivery, first_day: date, last_day: date
    ) -> None:
        """Keep the world to report on and the range of days that have data."""
        self.catalog = catalog
        self.delivery = delivery
        self.first = first_day.toordinal()
        self.last = last_day.toordinal()
        self._keys: OrderedDict[Any, array[int]] = OrderedDict()
        self._compiled: OrderedDict[ReportQuery, _Compiled] = OrderedDict()
        self._lock = threading.Lock()

    # -- compiling -------------------------------------------------------------------------

    def _compile(self, query: ReportQuery) -> _Compiled:
        with self._lock:
            compiled = self._compiled.get(query)
        if compiled is None:
            compiled = self._build(query)
            with self._lock:
                self._compiled[query] = compiled
                while len(self._compiled) > _KEY_CACHE_SIZE:
                    self._compiled.popitem(last=False)
        return compiled

    def _build(self, query: ReportQuery) -> _Compiled:
        def in_scope(entity: Entity) -> bool:
            return all(entity.lineage.get(dim) in ids for dim, ids in query.id_filters)

        entities = [
            entity
            for entity in self.catalog.by_level.get((query.advertiser_id, query.level), [])
            if (query.level is DataLevel.ADVERTISER or _status_matches(entity, query.statuses))
            and (query.level is DataLevel.ADVERTISER or _kind_matches(entity, query))
        ]
        if query.level is DataLevel.AD and AD_ID_V2 not in query.dimensions:
            # Rows by `ad_id` are an Upgraded Smart+ ad's creatives, rows by `ad_id_v2` its
            # ad (asset group): every ad's own (Doc 1740302848100353).
            entities = [unit for ad in entities for unit in ad.ads]
        entities = [entity for entity in entities if in_scope(entity)]
        if query.level is DataLevel.ADVERTISER and query.buying_types is not None:
            entities = [
                replace(entity, ads=[ad for ad in entity.ads if _kind_matches(ad, query)])
                for entity in entities
            ]
        # The cap counts ads, a Smart+ ad once, those of the `buying_type` filter when one is
        # sent (inferred, like the ID filters); a kept ad keeps its creatives.
        account_ads = [
            ad
            for ad in self.catalog.by_level.get((query.advertiser_id, DataLevel.AD), [])
            if any(in_scope(unit) for unit in ad.ads)
            and (query.buying_types is None or _kind_matches(ad, query))
        ]
        kept_ids = kept_ads(account_ads, query.ad_cap)
        kept = None
        if kept_ids is not None:
            kept = {
                unit.entity_id for ad in account_ads if ad.entity_id in kept_ids for unit in ad.ads
            }
        if kept is not None:
            entities = [
                replace(entity, ads=[ad for ad in entity.ads if ad.entity_id in kept])
                for entity in entities
            ]
            entities = [entity for entity in entities if entity.ads]
        breakdown = breakdown_for(query.breakdowns) if query.breakdowns else None
        labels = breakdown.labels if breakdown else ((),)
        label_keys = tuple(text_key("|".join(label)) for label in labels)
        row_format = compile_format(query.dimensions, query.breakdowns, query.metrics)
        return _Compiled(tuple(entities), breakdown, label_keys, row_format, kept is not None)

    def _time_buckets(self, query: ReportQuery, moment: Moment) -> list[TimeBucket]:
        last = min(self.last, moment.today)
        if query.lifetime or query.start is None or query.end is None:
            return [TimeBucket(None, tuple(range(self.first, last + 1)), None, hash_ints(0, 0, 0))]
        start, end = query.start.toordinal(), query.end.toordinal()
        days = range(max(start, self.first), min(end, last) + 1)
        if query.time_dimension == TimeDimension.DAY.value:
            return [
                TimeBucket(
                    f"{date.fromordinal(day)} 00:00:00", (day,), None, hash_ints(day, day, 0)
                )
                for day in days
            ]
        if query.time_dimension == TimeDimension.HOUR.value:
            hours = moment.cut_hour if start == moment.today else 24
            return [
                TimeBucket(
                    f"{date.fromordinal(day)} {hour:02d}:00:00",
                    (day,),
                    hour,
                    hash_ints(day, day, hour + 1),
                )
                for day in days
                for hour in range(hours)
            ]
        return [TimeBucket(None, tuple(days), None, hash_ints(start, end, 0))]

    def _reach(  # noqa: PLR0917 - the row's coordinates, all needed
        self,
        entity: Entity,
        bucket: TimeBucket,
        compiled: _Compiled,
        moment: Moment,
        output: int,
        impressions: int,
    ) -> int:
        """Unique people of one row. For several days it is what real audiences do: at least
        the best day's reach, at most the sum of the days' reach (people seen on two days
        count once), so a period's reach is never the sum of its days."""
        label_key = compiled.label_keys[output]
        if len(bucket.days) <= 1:
            return self.delivery.reach(impressions, entity.key ^ bucket.reach_key ^ label_key)
        daily = []
        for day in bucket.days:
            one_day = TimeBucket(None, (day,), None, hash_ints(day, day, 0))
            values = self._values(entity, one_day, _IMPRESSIONS, compiled, moment, audience=False)
            daily.append(
                self.delivery.reach(values[output][0], entity.key ^ one_day.reach_key ^ label_key)
            )
        if not daily or max(daily) == 0:
            return 0
        overlap = 350 + mix64(entity.key ^ bucket.reach_key ^ label_key) % 300
        best = max(daily)
        return best + (sum(daily) - best) * overlap // 1000

    # -- values ----------------------------------------------------------------------------

    def _values(
        self,
        entity: Entity,
        bucket: TimeBucket,
        plan: Plan,
        compiled: _Compiled,
        moment: Moment,
        *,
        audience: bool,
    ) -> list[list[int]]:
        """Additive values per breakdown bucket: exact sums over the entity's ads."""
        breakdown = compiled.breakdown
        if breakdown is None and bucket.hour is None and len(bucket.days) == 1 and not audience:
            day = bucket.days[0]
            if day != moment.today and len(entity.ads) == 1:
                ad = entity.ads[0]  # the common ad-level daily row: one ad, one full day
                if ad.active_from <= day <= ad.active_to:
                    return [self.delivery.day_values(ad, day, plan)]
                return [[0] * len(plan.names)]
        width = len(plan.names)
        outputs = len(breakdown.labels) if breakdown else 1
        totals = [[0] * width for _ in range(outputs)]
        delivery = self.delivery
        hour = bucket.hour
        for day in bucket.days:
            cut = moment.cut_hour if day == moment.today else 24
            if hour is not None and hour >= cut:
                continue
            target_rows = [[0] * width for _ in range(outputs)] if audience else totals
            for ad in entity.ads:
                if not ad.active_from <= day <= ad.active_to:
                    continue
                values = delivery.day_values(ad, day, plan)
                if hour is not None or cut < 24:
                    profile = delivery.hour_profile(ad.key, day)
                    weight = profile[24]
                    if hour is not None:
                        low, high = profile[hour], profile[hour + 1]
                        if low == high:
                            continue
                        values = [v * high // weight - v * low // weight for v in values]
                    else:
                        upto = profile[cut]
                        values = [v * upto // weight for v in values]
                if breakdown is None:
                    row = target_rows[0]
                    for index, value in enumerate(values):
                        row[index] += value
                    continue
                split = delivery.split_profile(ad.key, day, breakdown.split)
                weight = split[-1]
                for part, output in enumerate(breakdown.target):
                    low, high = split[part], split[part + 1]
                    if low == high:
                        continue
                    row = target_rows[output]
                    for index, value in enumerate(values):
                        row[index] += value * high // weight - value * low // weight
            if audience:
                self._add_incomplete(totals, target_rows, day, compiled, moment)
        return totals

    @staticmethod
    def _add_incomplete(
        totals: list[list[int]],
        day_rows: list[list[int]],
        day: int,
        compiled: _Compiled,
        moment: Moment,
    ) -> None:
        """Add one day's audience values, scaled down while the day is not final.

        Rounding up keeps every non-zero value non-zero, so late rows never vanish.
        """
        for output, row in enumerate(day_rows):
            permille = moment.audience_permille(day, compiled.label_keys[output])
            total = totals[output]
            for index, value in enumerate(row):
                total[index] += value if permille == 1000 else -(-value * permille // 1000)

    # -- keys and pages --------------------------------------------------------------------

    def _row_keys(
        self, query: ReportQuery, compiled: _Compiled, buckets: list[TimeBucket], moment: Moment
    ) -> array[int]:
        """Packed keys `(entity * buckets + bucket) * outputs + output` of existing rows."""
        audience = query.report_type is ReportType.AUDIENCE
        cache_key = (
            query,
            moment.today,
            moment.cut_hour,
            moment.now.timestamp() // 3600 if audience else 0,
        )
        with self._lock:
            cached = self._keys.get(cache_key)
            if cached is not None:
                self._keys.move_to_end(cache_key)
                return cached
        keys: array[int] = array("Q")
        outputs = len(compiled.breakdown.labels) if compiled.breakdown else 1
        simple_days = compiled.breakdown is None and query.time_dimension == TimeDimension.DAY.value
        for entity_index, entity in enumerate(compiled.entities):
            for bucket_index, bucket in enumerate(buckets):
                day = bucket.days[0] if bucket.days else 0
                if simple_days and day != moment.today:
                    if any(ad.active_from <= day <= ad.active_to for ad in entity.ads):
                        keys.append((entity_index * len(buckets) + bucket_index) * outputs)
                    continue
                values = self._values(
                    entity, bucket, _IMPRESSIONS, compiled, moment, audience=audience
                )
                first = (entity_index * len(buckets) + bucket_index) * outputs
                keys.extend(first + output for output, row in enumerate(values) if row[0] > 0)
        with self._lock:
            self._keys[cache_key] = keys
            while len(self._keys) > _KEY_CACHE_SIZE:
                self._keys.popitem(last=False)
        return keys

    def page(
        self, query: ReportQuery, now: datetime, page: int, page_size: int
    ) -> tuple[int, list[dict[str, Any]]]:
        """The total row count and the rows of one page, in a stable order."""
        zone = self.catalog.zones[query.advertiser_id]
        moment = Moment.of(now, zone)
        compiled = self._compile(query)
        buckets = self._time_buckets(query, moment)
        keys = self._row_keys(query, compiled, buckets, moment)
        selected = keys[(page - 1) * page_size : page * page_size]
        return len(keys), self._rows(query, compiled, buckets, moment, selected)

    def _rows(
        self,
        query: ReportQuery,
        compiled: _Compiled,
        buckets: list[TimeBucket],
        moment: Moment,
        selected: array[int],
    ) -> list[dict[str, Any]]:
        row_format = compiled.row_format
        plan, build = row_format.plan, row_format.build
        labels = compiled.breakdown.labels if compiled.breakdown else ((),)
        audience = query.report_type is ReportType.AUDIENCE
        rows: list[dict[str, Any]] = []
        outputs = len(labels)
        group = -1
        values: list[list[int]] = []
        for key in selected:
            group_key, output = divmod(key, outputs)
            entity_index, bucket_index = divmod(group_key, len(buckets))
            entity, bucket = compiled.entities[entity_index], buckets[bucket_index]
            if group != group_key:
                group = group_key
                values = self._values(entity, bucket, plan, compiled, moment, audience=audience)
            row_values = values[output]
            reach = 0
            if row_format.needs_reach:
                reach = self._reach(entity, bucket, compiled, moment, output, row_values[0])
            rows.append(
                build(
                    entity.entity_id,
                    bucket.label,
                    labels[output],
                    row_values,
                    reach,
                    entity.attributes,
                )
            )
        return rows

    def truncated(self, query: ReportQuery) -> bool:
        """Whether the ad cap cut the ads this query aggregates (the throttle header's cue)."""
        return self._compile(query).truncated

    def cost(self, query: ReportQuery, now: datetime) -> int:
        """How heavy a query is for TikTok: entities x days x breakdown buckets (inferred).

        Doc 1757262274182145 ties timeouts to the IDs returned and the days queried.
        """
        compiled = self._compile(query)
        days = sum(
            len(bucket.days)
            for bucket in self._time_buckets(
                query, Moment.of(now, self.catalog.zones[query.advertiser_id])
            )
        )
        outputs = len(compiled.breakdown.labels) if compiled.breakdown else 1
        return len(compiled.entities) * max(1, days) * outputs

    def all_rows(self, query: ReportQuery, now: datetime) -> list[dict[str, Any]]:
        """Every row of a query, as all pages together would return them."""
        total, _ = self.page(query, now, 1, 1)
        return self.page(query, now, 1, max(total, 1))[1]
