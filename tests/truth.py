"""What a sync should emit, computed from the fake API's own data (its truth)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from tap_tiktok_ads.metrics import METRICS
from tap_tiktok_ads.records import RowTyper
from tap_tiktok_ads.report_definitions import Granularity, ReportDefinition, builtin_reports
from tests.fake_api import FakeData

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
    typer = RowTyper([METRICS[name] for name in metrics])
    records = []
    for advertiser_id in advertiser_ids or data.advertiser_ids():
        lifetime = definition.granularity is Granularity.LIFETIME
        local_today = data.local_today(advertiser_id, now) if now else end
        rows = data.report_rows(
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
        records += [typer.record(advertiser_id, row) for row in rows]
    return records


def by_key(records: list[dict[str, Any]], keys: list[str]) -> dict[tuple, dict[str, Any]]:
    """Records merged by primary key: the last one wins, as a target's upsert would do."""
    return {tuple(record[k] for k in keys): record for record in records}
