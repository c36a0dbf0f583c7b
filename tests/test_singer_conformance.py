"""Singer conformance of what the tap writes to stdout, read as a target reads it.

The real command line runs a sync of several kinds of stream (advertisers, entities, BASIC
and AUDIENCE reports, an hourly report) and every line of stdout must be a valid message.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from jsonschema import Draft7Validator

from tests.conftest import run_cli, tap_config
from tests.fake_api import FakeTikTokApi

STREAMS: dict[str, list[str] | None] = {
    "advertisers": None,
    "campaigns": None,
    "ads": None,
    "ad_report_daily": None,
    "campaign_report_hourly": None,
    "adgroup_audience_age_gender_daily": None,
    "advertiser_report_lifetime": None,
}
MESSAGE_TYPES = {"SCHEMA", "RECORD", "STATE", "ACTIVATE_VERSION", "BATCH"}


def sync_messages(api: FakeTikTokApi, tmp_path: Path) -> list[dict[str, Any]]:
    config = tap_config(api, start_date="2026-11-17", end_date="2026-11-19")
    result = run_cli(tmp_path, config=config, streams=STREAMS, timeout=120)
    assert result.returncode == 0, result.stderr[-4000:]
    # Every line of stdout is one JSON object: logs go to stderr only.
    return [json.loads(line) for line in result.stdout.splitlines()]


def test_the_message_stream_is_valid_singer(fake_api, tmp_path) -> None:
    messages = sync_messages(fake_api, tmp_path)
    validators: dict[str, Draft7Validator] = {}
    schemas: dict[str, dict[str, Any]] = {}
    counts: dict[str, int] = dict.fromkeys(STREAMS, 0)
    seen_keys: dict[str, set[tuple]] = {stream: set() for stream in STREAMS}
    states = 0
    for message in messages:
        assert isinstance(message, dict)
        kind = message.get("type")
        assert kind in MESSAGE_TYPES, message
        if kind == "SCHEMA":
            stream = message["stream"]
            schema = message["schema"]
            Draft7Validator.check_schema(schema)
            keys = message["key_properties"]
            assert isinstance(keys, list)
            assert set(keys) <= set(schema["properties"]), stream
            assert set(message.get("bookmark_properties") or []) <= set(schema["properties"])
            schemas[stream] = message
            # format_checker=None: formats are annotations for targets, not checked here.
            validators[stream] = Draft7Validator(schema, format_checker=None)
        elif kind == "RECORD":
            stream = message["stream"]
            assert stream in validators, f"RECORD of {stream} before its SCHEMA"
            record = message["record"]
            errors = sorted(validators[stream].iter_errors(record), key=str)
            assert not errors, f"{stream}: {errors[0].message} in {record}"
            key_properties = schemas[stream]["key_properties"]
            for key in key_properties:
                assert record.get(key) is not None, f"{stream}: key {key} missing in {record}"
            key_value = tuple(record[key] for key in key_properties)
            assert key_value not in seen_keys[stream], f"{stream}: {key_value} emitted twice"
            seen_keys[stream].add(key_value)
            assert message.get("time_extracted")
            counts[stream] += 1
        elif kind == "STATE":
            value = message["value"]
            assert isinstance(value, dict)
            assert json.loads(json.dumps(value)) == value
            states += 1
    assert set(schemas) == set(STREAMS)
    assert all(counts.values()), counts
    assert states > 0
    assert messages[-1]["type"] == "STATE"
    final = messages[-1]["value"]
    incremental = {s for s, m in schemas.items() if m.get("bookmark_properties")}
    assert incremental <= set(final["bookmarks"])
