"""Replaying recorded answers through the tap: the catalog a user writes, one sync, the checks.

Shared by the replay test modules (`tests/test_replay*.py`), so that no test module imports
another. Every record a replay emits must be valid against its stream's schema, formats checked;
`assert_every_field_kept` checks that every member TikTok sent, at any depth, is in its record.
"""

from __future__ import annotations

import copy
import datetime as dt
import functools
from typing import TYPE_CHECKING, Any

from jsonschema import Draft7Validator, FormatChecker

from tap_tiktok_ads import dates
from tap_tiktok_ads.tap import TapTikTokAds
from tests.conftest import CollectingWriter, SyncResult
from tests.replay.server import ReplayServer

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    import pytest

    from tests.replay.server import Reply

FORMATS = FormatChecker()


@FORMATS.checks("date-time", raises=ValueError)
def _rfc3339(value: object) -> bool:
    """RFC 3339: a date, a time and an offset (a time without one is not a moment)."""
    return not isinstance(value, str) or dt.datetime.fromisoformat(value).tzinfo is not None


@FORMATS.checks("date", raises=ValueError)
def _date(value: object) -> bool:
    return not isinstance(value, str) or bool(dt.date.fromisoformat(value))


@functools.cache
def _discovered_catalog() -> dict[str, Any]:
    return TapTikTokAds(config={}, setup_mapper=False).catalog_dict


def catalog(streams: dict[str, list[str] | None]) -> dict[str, Any]:
    """A catalog of just these streams, as a user writes one; a list selects those properties."""
    entries = []
    for discovered in _discovered_catalog()["streams"]:
        if discovered["tap_stream_id"] not in streams:
            continue
        entry = copy.deepcopy(discovered)
        properties = streams[entry["tap_stream_id"]]
        for item in entry["metadata"]:
            breadcrumb = item["breadcrumb"]
            if not breadcrumb:
                item["metadata"]["selected"] = True
            elif properties is not None:
                item["metadata"]["selected"] = breadcrumb[-1] in properties
        entries.append(entry)
    return {"streams": entries}


def replay(
    monkeypatch: pytest.MonkeyPatch,
    now: dt.datetime,
    routes: Mapping[str, Reply | Sequence[Reply]],
    streams: dict[str, list[str] | None],
    **settings: Any,
) -> tuple[SyncResult, ReplayServer]:
    """Sync `streams` against the recorded answers at the moment `now`; check the schemas."""
    monkeypatch.setattr(dates, "utc_now", lambda: now)
    with ReplayServer(routes) as server:
        config = {
            "access_token": "replay-token",
            "api_base_url": server.base_url,
            "max_requests_per_second": 1000,
            "max_retries": 0,
            "request_timeout_seconds": 5,
            **settings,
        }
        writer = CollectingWriter()
        TapTikTokAds(config=config, catalog=catalog(streams), message_writer=writer).sync_all()
    result = SyncResult(writer.messages)
    unanswered = [f"{r.method} {r.path}" for r in server.requests if r.path not in routes]
    assert not unanswered, f"the tap asked for what was not recorded: {unanswered}"
    for stream, records in result.records.items():
        validator = Draft7Validator(result.schemas[stream]["schema"], format_checker=FORMATS)
        for record in records:
            errors = [f"{list(e.path)}: {e.message}" for e in validator.iter_errors(record)]
            assert not errors, f"{stream} record breaks its schema: {errors}"
    return result, server


def selection(expected: list[dict[str, Any]]) -> list[str]:
    """The properties to select: exactly those of the expected records."""
    return list(expected[0])


def dropped(sent: Any, emitted: Any, path: str = "") -> list[str]:
    """The dotted paths of members TikTok sent that the record lacks, at any depth.

    A top-level field the schema does not declare counts as emitted in `extra_fields`.
    """
    if isinstance(sent, dict) and isinstance(emitted, dict):
        extra = (emitted.get("extra_fields") or {}) if not path else {}
        found: list[str] = []
        for name, value in sent.items():
            member = f"{path}.{name}" if path else name
            if name in emitted:
                found += dropped(value, emitted[name], member)
            elif name not in extra:
                found.append(member)
        return found
    if isinstance(sent, list) and isinstance(emitted, list):
        if len(sent) != len(emitted):
            return [f"{path}[]"]
        pairs = zip(sent, emitted, strict=True)
        return [found for item, kept in pairs for found in dropped(item, kept, path)]
    return []


def assert_every_field_kept(records: Sequence[dict[str, Any]], sent: Sequence[Any]) -> None:
    """Each record holds every member of the item TikTok sent for it (in order)."""
    assert len(records) == len(sent)
    for record, item in zip(records, sent, strict=True):
        assert not dropped(item, record), f"dropped: {dropped(item, record)}"
