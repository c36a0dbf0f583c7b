"""The object streams' shared check of a field TikTok added after the transcription.

The fake sends `UNDOCUMENTED_FIELD` on some rows of each object list; a sync must keep every
value it sent in `extra_fields` (nothing dropped by the SDK) and say once per stream that the
schema lacks the field.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from tests.conftest import run_tap, tap_config
from tests.fake_api.entity_fields import UNDOCUMENTED_FIELD

if TYPE_CHECKING:
    from collections.abc import Mapping

    import pytest

    from tests.fake_api import FakeTikTokApi


def assert_undocumented_field_kept_and_said_once(
    fake_api: FakeTikTokApi,
    caplog: pytest.LogCaptureFixture,
    rows: Mapping[str, Mapping[str, list[dict[str, Any]]]],
) -> None:
    """Sync the streams of `rows` (stream -> the fake's rows per advertiser) and check each."""
    with caplog.at_level(logging.WARNING):
        result = run_tap(tap_config(fake_api, page_size=2), streams=dict.fromkeys(rows))
    assert "not found in catalog schema" not in caplog.text  # nothing dropped by the SDK
    for stream, by_advertiser in rows.items():
        sent = [
            row[UNDOCUMENTED_FIELD]
            for advertiser_rows in by_advertiser.values()
            for row in advertiser_rows
            if UNDOCUMENTED_FIELD in row
        ]
        assert len(sent) > 1, stream
        kept = [r["extra_fields"] for r in result.records[stream] if "extra_fields" in r]
        assert sorted(extra[UNDOCUMENTED_FIELD] for extra in kept) == sorted(sent)
        warnings = [m for m in caplog.messages if m.startswith(f"{stream}: TikTok sent")]
        assert len(warnings) == 1, warnings
        assert UNDOCUMENTED_FIELD in warnings[0]
