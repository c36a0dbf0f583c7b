"""The catalog `--discover` prints (issue 18): the SDK's catalog, in lines Meltano reads quickly.

Meltano's `meltano select --list` and every `meltano run` read discovery's output line by line
with asyncio's reader, whose default limit stops at a line over 64 KiB; they then match each
metadata entry against every select rule, so the catalog carries one entry per property and
one per stream, nothing more (benchmarks/README.md, "Discovery").
"""

from __future__ import annotations

import asyncio
import decimal
import json
import time
from collections import Counter
from functools import cache
from typing import Any

from singer_sdk.helpers._util import dump_json

from tap_tiktok_ads.catalog_text import catalog_text
from tap_tiktok_ads.gc_pause import collector_paused
from tap_tiktok_ads.tap import TapTikTokAds
from tests.conftest import run_cli

ASYNCIO_READER_LIMIT = 2**16  # asyncio.StreamReader's default `limit`, which Meltano keeps


@cache
def discovered() -> str:
    result = run_cli(None, "--discover")
    assert result.returncode == 0, result.stderr
    return result.stdout


def _meltano_read(text: str) -> bytes:
    """What Meltano's `_stream_redirect` does with discovery's stdout: readline until EOF."""

    async def read() -> bytes:
        reader = asyncio.StreamReader()
        reader.feed_data(text.encode())
        reader.feed_eof()
        chunks = []
        while not reader.at_eof():
            chunks.append(await reader.readline())
        return b"".join(chunks)

    return asyncio.run(read())


def test_discover_prints_the_sdks_catalog_value_for_value() -> None:
    tap = TapTikTokAds(config={}, setup_mapper=False)
    assert json.loads(discovered()) == json.loads(dump_json(tap.catalog_dict, indent=2))


def test_meltano_reads_the_catalog_in_short_lines() -> None:
    text = discovered()
    assert _meltano_read(text) == text.encode()
    catalog = json.loads(text)
    properties = sum(len(entry["schema"]["properties"]) for entry in catalog["streams"])
    entries = sum(len(entry["metadata"]) for entry in catalog["streams"])
    lines = text.splitlines()
    assert len(lines) > properties + entries  # each on a line of its own
    assert max(len(line) for line in lines) < ASYNCIO_READER_LIMIT // 16
    # The SDK's indented text has eight times the lines, and Meltano reads each of them.
    assert len(text) < len(dump_json(catalog, indent=2)) * 0.6


def test_one_line_would_stop_meltano() -> None:
    """Why the lines: asyncio's reader refuses a line over its limit, as Meltano's does."""
    one_line = json.dumps(json.loads(discovered()), separators=(",", ":"))
    try:
        _meltano_read(one_line)
    except ValueError as exc:
        assert "chunk exceed the limit" in str(exc)  # noqa: PT017 - the message is the point
    else:
        raise AssertionError("a one-line catalog was read")


def test_one_metadata_entry_per_property_and_stream() -> None:
    """Meltano matches every entry against every select rule: nothing beyond the schema's."""
    for entry in json.loads(discovered())["streams"]:
        crumbs = Counter(tuple(item["breadcrumb"]) for item in entry["metadata"])
        assert max(crumbs.values()) == 1, entry["tap_stream_id"]
        described = {()} | {("properties", name) for name in entry["schema"]["properties"]}
        top_level = {crumb for crumb in crumbs if len(crumb) <= 2}
        assert top_level == described, entry["tap_stream_id"]


def test_text_keeps_decimals_as_numbers_and_writes_ascii() -> None:
    catalog: dict[str, Any] = {
        "streams": [
            {
                "tap_stream_id": "s",
                "schema": {
                    "type": "object",
                    "properties": {"p": {"minimum": decimal.Decimal("0.5"), "title": "café 😀"}},
                    "required": [],
                },
                "metadata": [{"breadcrumb": [], "metadata": {"selected": True}}],
            }
        ],
        "extra": 1,
    }
    text = catalog_text(catalog)
    assert text.isascii()
    assert json.loads(text, parse_float=decimal.Decimal) == catalog
    assert json.loads(catalog_text({"streams": []})) == {"streams": []}


def test_building_and_printing_the_catalog_takes_little_cpu() -> None:
    """The tap's part of `--discover` after its imports: 0.25 s of CPU measured; 1 s allowed."""
    with collector_paused():  # as in `--discover` (TapTikTokAds.cb_discover)
        started = time.process_time()
        TapTikTokAds(config={}, setup_mapper=False).catalog_json_text  # noqa: B018
        seconds = time.process_time() - started
    assert seconds < 1.0
