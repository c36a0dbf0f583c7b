"""What a sync should emit, computed from the fake API's own data (its truth)."""

from __future__ import annotations

import datetime as dt
import functools
from typing import Any
from zoneinfo import ZoneInfo

from tap_tiktok_ads.report_definitions import Granularity, ReportDefinition, builtin_reports
from tests.fake_api import FakeData
from tests.fake_api.metric_rules import REFERENCE_METRICS
from tests.fake_api.report_query import TOP_VIEW
from tests.fake_api.vocabulary import DataLevel, ReportType

# The report types that take TikTok's `buying_type` filter (Doc 1740302848100353).
TOP_VIEW_REPORTS = frozenset({ReportType.BASIC.value, ReportType.AUDIENCE.value})
_UNDEFINED = "-"  # TikTok's text for a value that does not exist: a null in the record


def typed_value(metric: str, text: Any) -> Any:
    """A metric's value as a record should carry it, from the reference's value type.

    Written independently of the tap's typing code, so a mistake there shows up here.
    """
    if text is None or text == _UNDEFINED:
        return None
    value_type = REFERENCE_METRICS[metric].value_type
    if value_type == "int":
        return int(text)
    if value_type == "float":
        return float(text)
    return str(text)


def honest_time(name: str, tiktok_value: str, zone: ZoneInfo) -> str:
    """The README's time format: daily rows carry the local date, hourly rows RFC 3339 with
    the account's UTC offset at that hour."""
    local = dt.datetime.strptime(tiktok_value, "%Y-%m-%d %H:%M:%S")
    if name == "stat_time_day":
        return local.date().isoformat()
    return local.replace(tzinfo=zone).isoformat()


def expected_record(
    advertiser_id: str,
    row: dict[str, Any],
    metrics: list[str],
    dimensions: list[str],
    zone: ZoneInfo,
) -> dict[str, Any]:
    """The record a report row should become: advertiser, the dimensions asked for, metrics."""
    record: dict[str, Any] = {"advertiser_id": advertiser_id}
    for name in dimensions:
        value = row["dimensions"][name]
        record[name] = honest_time(name, value, zone) if name.startswith("stat_time_") else value
    record.update({name: typed_value(name, row["metrics"].get(name)) for name in metrics})
    return record


REPORTS = {definition.name: definition for definition in builtin_reports()}


def expected_report_records(
    data: FakeData,
    stream: str | ReportDefinition,
    metrics: list[str],
    *,
    start: dt.date,
    end: dt.date,
    advertiser_ids: list[str] | None = None,
    include_deleted: bool = False,
    now: dt.datetime | None = None,
) -> list[dict[str, Any]]:
    """Typed records of one report stream over start..end for each advertiser."""
    definition = REPORTS[stream] if isinstance(stream, str) else stream
    records = []
    for advertiser_id in advertiser_ids or data.advertiser_ids():
        lifetime = definition.granularity is Granularity.LIFETIME
        local_today = data.local_today(advertiser_id, now) if now else end
        query = functools.partial(
            data.report_rows,
            advertiser_id,
            definition.report_type,
            definition.level,
            definition.dimensions,
            metrics,
            start=start,
            end=min(end, local_today),
            include_deleted=include_deleted,
            lifetime=lifetime,
            now=now,
        )
        rows = query()
        if (
            # By value: the definition's enums are the tap's, not the fake's vocabulary.
            definition.level.value != DataLevel.ADVERTISER.value
            and definition.report_type.value in TOP_VIEW_REPORTS
        ):
            # TopView rows come only with the `buying_type` filter (Doc 1740302848100353).
            rows += query(buying_types=(TOP_VIEW,))
        records += [
            expected_record(
                advertiser_id, row, metrics, definition.dimensions, data.timezone(advertiser_id)
            )
            for row in rows
        ]
    return records


def by_key(records: list[dict[str, Any]], keys: list[str]) -> dict[tuple, dict[str, Any]]:
    """Records merged by primary key: the last one wins, as a target's upsert would do."""
    return {tuple(record[k] for k in keys): record for record in records}
