"""A catalog that forces FULL_TABLE replication reads everything again, whatever the state.

Reports, entities and organic daily insights alike: with FULL_TABLE the bookmark in the state
is ignored and the run emits what a first run emits; without it, the run resumes.
"""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any

import pytest

from tap_tiktok_ads.tap import TapTikTokAds
from tests.conftest import CollectingWriter, SyncResult, catalog_for, run_tap, tap_config
from tests.reliability import sync_config

if TYPE_CHECKING:
    from tests.fake_api import FakeTikTokApi

# stream -> (selected properties, partition key, replication key)
BOOKMARKED: dict[str, tuple[list[str] | None, str, str]] = {
    "advertiser_report_daily": (["spend"], "advertiser_id", "stat_time_day"),
    "organic_profile_daily": (None, "business_id", "date"),
    "ads": (None, "advertiser_id", "modify_time"),
}


def force_full_table(entry: dict[str, Any], form: str) -> None:
    """Force FULL_TABLE as Meltano writes it, or with `forced-replication-method` alone.

    Meltano's `replication-method` rule sets the metadata key and the entry's
    `replication_method`; the entry's value comes first for the SDK.
    """
    stream_metadata = next(m for m in entry["metadata"] if not m["breadcrumb"])["metadata"]
    if form == "meltano":
        entry["replication_method"] = "FULL_TABLE"
        stream_metadata["replication-method"] = "FULL_TABLE"
    else:
        entry.pop("replication_method", None)
        stream_metadata["forced-replication-method"] = "FULL_TABLE"


def state_for(stream: str, records: list[dict[str, Any]]) -> dict[str, Any]:
    """Every partition bookmarked half-way through what a first run emits."""
    _, key, replication_key = BOOKMARKED[stream]
    values = sorted(record[replication_key] for record in records)
    bookmark = values[len(values) // 2]
    partitions = [
        {"context": {key: value}, "replication_key_value": bookmark}
        for value in sorted({record[key] for record in records})
    ]
    return {"bookmarks": {stream: {"partitions": partitions}}}


def sync(
    config: dict[str, Any], stream: str, state: dict[str, Any], form: str | None
) -> SyncResult:
    catalog = catalog_for(config, {stream: BOOKMARKED[stream][0]})
    if form is not None:
        force_full_table(next(e for e in catalog["streams"] if e["tap_stream_id"] == stream), form)
    writer = CollectingWriter()
    tap = TapTikTokAds(
        config=config, catalog=catalog, state=copy.deepcopy(state), message_writer=writer
    )
    tap.sync_all()
    return SyncResult(writer.messages)


@pytest.mark.usefixtures("frozen_now")
@pytest.mark.parametrize("stream", BOOKMARKED)
@pytest.mark.parametrize("form", ["meltano", "forced"])
def test_full_table_ignores_the_bookmark(fake_api: FakeTikTokApi, stream: str, form: str) -> None:
    config = sync_config(fake_api, tap_config(fake_api), start_date="2026-11-01")
    first = run_tap(config, streams={stream: BOOKMARKED[stream][0]}).records[stream]
    state = state_for(stream, first)

    resumed = sync(config, stream, state, None).records[stream]
    full_table = sync(config, stream, state, form).records[stream]

    assert 0 < len(resumed) < len(first)  # the bookmark matters to an incremental run
    assert full_table == first
