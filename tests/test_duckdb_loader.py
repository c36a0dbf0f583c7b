"""The embedded default loader (plugins/target-tiktok-duckdb) stores every record it receives.

target-duckdb 0.8.0 loaded batches through a CSV `COPY` and DuckDB dropped the first row when
it looked like a header: a one-record batch, an all-text first record, an ISO timestamp with
an offset first. These tests feed the loader those cases, the tap's own output against the
fake API, and upserts within a batch and across runs, then read every row back with the
loader's own DuckDB and compare values and column types.

The loader runs as Meltano runs it: the executable `meltano install` put into
`TAP_TIKTOK_ADS_TEST_MELTANO_PLUGINS` (scripts/test sets it), or one installed next to this
Python (`pip install -e plugins/target-tiktok-duckdb`). Without either the tests are skipped.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import os
import subprocess
import sys
import tempfile
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import run_tap, tap_config
from tests.fake_api import FakeTikTokApi
from tests.fake_api.organic import account_settings

REPO = Path(__file__).resolve().parents[1]
EXECUTABLE = "target-tiktok-duckdb"
SCHEMA = "tiktok"

# Runs with the loader's Python: each query's rows, every value as JSON (dates and
# timestamps as text, TIMESTAMPTZ in UTC).
QUERY_SCRIPT = """
import json, sys
import duckdb
connection = duckdb.connect(sys.argv[1], read_only=True)
connection.execute("set TimeZone = 'UTC'")
results = {}
for name, sql in json.loads(sys.argv[2]).items():
    results[name] = [list(row) for row in connection.execute(sql).fetchall()]
print(json.dumps(results, default=str))
"""


@cache
def loader_bin() -> Path:
    """The folder holding the loader's executable and the Python it runs with."""
    plugins = os.environ.get("TAP_TIKTOK_ADS_TEST_MELTANO_PLUGINS")
    if plugins:
        installed = Path(plugins) / "loaders" / "target-duckdb" / "venv" / "bin"
        assert (installed / EXECUTABLE).exists(), (
            f"{installed} has no {EXECUTABLE}: run scripts/test"
        )
        return installed
    here = Path(sys.executable).parent
    if (here / EXECUTABLE).exists():
        return here
    pytest.skip(
        "The DuckDB loader is not installed: scripts/test installs it with Meltano (and sets "
        "TAP_TIKTOK_ADS_TEST_MELTANO_PLUGINS), or `pip install -e plugins/target-tiktok-duckdb`."
    )


def load(
    messages: list[dict[str, Any]], database: Path, **config: Any
) -> subprocess.CompletedProcess[str]:
    """Run the loader once on these messages, as Meltano would: config file, stdin."""
    handle, name = tempfile.mkstemp(dir=database.parent, suffix=".json")
    with os.fdopen(handle, "w") as config_file:
        json.dump({"filepath": str(database)} | config, config_file)
    return subprocess.run(
        [str(loader_bin() / EXECUTABLE), "--config", name],
        input="".join(json.dumps(message) + "\n" for message in messages),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def load_ok(messages: list[dict[str, Any]], database: Path, **config: Any) -> None:
    result = load(messages, database, **config)
    assert result.returncode == 0, result.stderr[-4000:]


def query(database: Path, queries: dict[str, str]) -> dict[str, list[list[Any]]]:
    result = subprocess.run(
        [str(loader_bin() / "python"), "-c", QUERY_SCRIPT, str(database), json.dumps(queries)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-4000:]
    return json.loads(result.stdout)


def column_types(database: Path, table: str) -> dict[str, str]:
    sql = (
        "select column_name, data_type from information_schema.columns "  # noqa: S608
        f"where table_schema = '{SCHEMA}' and table_name = '{table}' order by ordinal_position"
    )
    return dict(query(database, {"types": sql})["types"])


def schema_message(stream: str, properties: dict[str, Any], keys: list[str]) -> dict[str, Any]:
    return {
        "type": "SCHEMA",
        "stream": stream,
        "schema": {"type": "object", "properties": properties},
        "key_properties": keys,
    }


def records(stream: str, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{"type": "RECORD", "stream": stream, "record": row} for row in rows]


def rows_of(database: Path, table: str, order_by: str) -> list[list[Any]]:
    return query(database, {"rows": f'select * from {SCHEMA}."{table}" order by {order_by}'})[  # noqa: S608
        "rows"
    ]


TEXT = {"type": ["string", "null"]}
DATE = {"type": ["string", "null"], "format": "date"}
DATE_TIME = {"type": ["string", "null"], "format": "date-time"}
INTEGER = {"type": ["integer", "null"]}
NUMBER = {"type": ["number", "null"]}

REPORT_HOURLY = {
    "advertiser_id": {"type": "string"},
    "ad_id": {"type": "string"},
    "stat_time_hour": {"type": "string", "format": "date-time"},
    "stat_time_day": DATE,
    "spend": NUMBER,
    "impressions": INTEGER,
    "is_active": {"type": ["boolean", "null"]},
    "placements": {"type": ["array", "null"], "items": {"type": "string"}},
    "budget": {"type": ["object", "null"], "properties": {"mode": TEXT}},
}
HOURLY_KEYS = ["advertiser_id", "ad_id", "stat_time_hour"]


def hourly_row(ad_id: str, hour: str, spend: float, impressions: int) -> dict[str, Any]:
    return {
        "advertiser_id": "7000000000000000001",
        "ad_id": ad_id,
        "stat_time_hour": hour,
        "stat_time_day": hour[:10],
        "spend": spend,
        "impressions": impressions,
        "is_active": True,
        "placements": ["PLACEMENT_TIKTOK", "PLACEMENT_PANGLE"],
        "budget": {"mode": "BUDGET_MODE_DAY"},
    }


def test_one_record_with_an_offset_timestamp_first_is_stored_with_its_types(tmp_path):
    database = tmp_path / "one.duckdb"
    row = hourly_row("1800000000000000001", "2026-11-20T13:00:00+09:00", 12.5, 3_000_000_000_000)
    load_ok(
        [
            schema_message("ad_report_hourly", REPORT_HOURLY, HOURLY_KEYS),
            *records("ad_report_hourly", [row]),
        ],
        database,
    )

    assert rows_of(database, "ad_report_hourly", "ad_id") == [
        [
            "7000000000000000001",
            "1800000000000000001",
            "2026-11-20 04:00:00+00:00",  # the same instant as 13:00+09:00
            "2026-11-20",
            12.5,
            3_000_000_000_000,
            True,
            '["PLACEMENT_TIKTOK","PLACEMENT_PANGLE"]',
            '{"mode":"BUDGET_MODE_DAY"}',
        ]
    ]
    assert column_types(database, "ad_report_hourly") == {
        "advertiser_id": "VARCHAR",
        "ad_id": "VARCHAR",
        "stat_time_hour": "TIMESTAMP WITH TIME ZONE",
        "stat_time_day": "DATE",
        "spend": "DOUBLE",
        "impressions": "BIGINT",
        "is_active": "BOOLEAN",
        "placements": "JSON",
        "budget": "JSON",
    }
    constraints = query(
        database,
        {
            "key": "select constraint_column_names from duckdb_constraints() "
            "where table_name = 'ad_report_hourly' and constraint_type = 'PRIMARY KEY'"
        },
    )
    assert constraints["key"] == [[HOURLY_KEYS]]


def test_all_text_and_header_like_first_records_are_rows_like_any_other(tmp_path):
    database = tmp_path / "text.duckdb"
    profile = {"business_id": {"type": "string"}, "display_name": TEXT, "username": TEXT}
    # The first record's values are the column names: a CSV loader would take it for a header.
    rows = [
        {"business_id": "business_id", "display_name": "display_name", "username": "username"},
        {"business_id": "b-2", "display_name": "Shop Two", "username": "shop_two"},
        {"business_id": "b-3", "display_name": None, "username": "2026-11-20"},
    ]
    entities = {"campaign_id": {"type": "string"}, "modify_time": DATE_TIME, "name": TEXT}
    campaigns = [
        {"campaign_id": "c-1", "modify_time": "2026-08-20T02:27:14+00:00", "name": "Summer"},
        {"campaign_id": "c-2", "modify_time": "2026-08-21T10:00:00-07:00", "name": "Fall"},
    ]
    load_ok(
        [
            schema_message("organic_profile", profile, ["business_id"]),
            *records("organic_profile", rows),
            schema_message("campaigns", entities, ["campaign_id"]),
            *records("campaigns", campaigns),
        ],
        database,
    )

    assert rows_of(database, "organic_profile", "business_id") == [
        ["b-2", "Shop Two", "shop_two"],
        ["b-3", None, "2026-11-20"],
        ["business_id", "display_name", "username"],
    ]
    assert rows_of(database, "campaigns", "campaign_id") == [
        ["c-1", "2026-08-20 02:27:14+00:00", "Summer"],
        ["c-2", "2026-08-21 17:00:00+00:00", "Fall"],
    ]


def test_upserts_within_a_batch_across_batches_and_across_runs(tmp_path):
    database = tmp_path / "upsert.duckdb"
    schema = schema_message("ad_report_hourly", REPORT_HOURLY, HOURLY_KEYS)
    hour = "2026-11-20T13:00:00+09:00"
    first_run = [
        hourly_row("a-1", hour, 1.0, 10),
        hourly_row("a-2", hour, 2.0, 20),
        hourly_row("a-1", hour, 1.5, 15),  # the same key in the same batch: the later wins
        hourly_row("a-3", hour, 3.0, 30),
        hourly_row("a-2", hour, 2.5, 25),  # the same key in the next batch (2 rows a batch)
    ]
    load_ok([schema, *records("ad_report_hourly", first_run)], database, batch_size_rows=2)
    second_run = [
        hourly_row("a-3", hour, 3.5, 35),  # replaces the first run's row
        hourly_row("a-4", "2026-11-20T14:00:00+09:00", 4.0, 40),
    ]
    load_ok([schema, *records("ad_report_hourly", second_run)], database)

    found = query(
        database,
        {
            "rows": f"select ad_id, spend, impressions from {SCHEMA}.ad_report_hourly order by 1",  # noqa: S608
        },
    )
    assert found["rows"] == [["a-1", 1.5, 15], ["a-2", 2.5, 25], ["a-3", 3.5, 35], ["a-4", 4.0, 40]]


def test_append_only_keeps_every_record_and_keyless_streams_append(tmp_path):
    database = tmp_path / "append.duckdb"
    schema = schema_message("events", {"id": TEXT, "n": INTEGER}, ["id"])
    keyless = schema_message("log", {"line": TEXT}, [])
    messages = [
        schema,
        *records("events", [{"id": "x", "n": 1}, {"id": "y", "n": 2}]),
        keyless,
        *records("log", [{"line": "same"}, {"line": "same"}]),
    ]
    load_ok(messages, database, load_method="append-only")
    load_ok(messages[3:], database)

    found = query(
        database,
        {
            "events": f"select id, n from {SCHEMA}.events order by 1",  # noqa: S608
            "log": f"select count(*) from {SCHEMA}.log",  # noqa: S608
        },
    )
    assert found == {"events": [["x", 1], ["y", 2]], "log": [[4]]}


def test_a_value_that_does_not_fit_its_column_fails_the_run(tmp_path):
    database = tmp_path / "bad.duckdb"
    messages = [
        schema_message("events", {"id": TEXT, "n": INTEGER}, ["id"]),
        *records("events", [{"id": "x", "n": 1.5}]),
    ]
    result = load(messages, database, validate_records=False)
    assert result.returncode != 0
    assert "1.5" in result.stderr
    assert "is not an integer" in result.stderr


def test_a_new_property_becomes_a_column_and_text_widens_a_date(tmp_path):
    database = tmp_path / "evolve.duckdb"
    load_ok(
        [
            schema_message("videos", {"item_id": TEXT, "posted": DATE}, ["item_id"]),
            *records("videos", [{"item_id": "v-1", "posted": "2026-11-20"}]),
        ],
        database,
    )
    load_ok(
        [
            schema_message(
                "videos", {"item_id": TEXT, "posted": TEXT, "likes": INTEGER}, ["item_id"]
            ),
            *records("videos", [{"item_id": "v-2", "posted": "yesterday", "likes": 7}]),
        ],
        database,
    )
    assert column_types(database, "videos") == {
        "item_id": "VARCHAR",
        "posted": "VARCHAR",
        "likes": "BIGINT",
    }
    assert rows_of(database, "videos", "item_id") == [
        ["v-1", "2026-11-20", None],
        ["v-2", "yesterday", 7],
    ]


# -- the tap's own output ----------------------------------------------------------------


def default_selection() -> dict[str, list[str] | None]:
    """The streams and properties meltano.yml selects: what `scripts/demo` loads."""
    project = yaml.safe_load((REPO / "meltano.yml").read_text())
    (tap,) = [p for p in project["plugins"]["extractors"] if p["name"] == "tap-tiktok-ads"]
    selection: dict[str, list[str] | None] = {}
    for rule in tap["select"]:
        stream, _, prop = rule.partition(".")
        if prop == "*":
            selection[stream] = None
        else:
            selected = selection.setdefault(stream, [])
            assert selected is not None
            selected.append(prop)
    return selection


def json_types(schema: dict[str, Any]) -> set[str]:
    types = schema.get("type", [])
    return {types} if isinstance(types, str) else set(types)


def expected_value(value: Any, schema: dict[str, Any]) -> Any:
    """A record's value as the loader's DuckDB gives it back (see QUERY_SCRIPT)."""
    if value is None:
        return None
    types = json_types(schema)
    if types & {"object", "array"}:
        return value
    if schema.get("format") == "date-time":
        return str(dt.datetime.fromisoformat(value).astimezone(dt.timezone.utc))
    if "number" in types:
        return float(Decimal(str(value)))
    return value


def column_of(name: str) -> str:
    """The loader's column for a property: Singer SDK SQL sinks replace a leading digit by a
    letter (0 -> a, 1 -> b, ...), so GMV Max's `10_second_live_views` is `b0_second_live_views`."""
    if name[:1].isdigit():
        return "abcdefghij"[int(name[0])] + name[1:]
    return name


def test_the_tap_output_of_the_default_selection_is_loaded_record_for_record(
    fake_api: FakeTikTokApi, frozen_now, tmp_path
):
    config = tap_config(
        fake_api,
        app_id=fake_api.app_id,
        secret=fake_api.secret,
        tiktok_accounts=account_settings(fake_api),
        start_date="2026-10-22",
        end_date="2026-11-20",
    )
    result = run_tap(config, streams=default_selection())
    database = tmp_path / "tiktok_ads.duckdb"
    load_ok(result.messages, database)

    assert set(default_selection()) <= set(result.records)
    queries = {}
    for stream, message in result.schemas.items():
        columns = ", ".join(f'"{column_of(name)}"' for name in message["schema"]["properties"])
        queries[stream] = f'select {columns} from {SCHEMA}."{stream}"'  # noqa: S608
    tables = query(database, queries)
    for stream, stream_records in result.records.items():
        message = result.schemas[stream]
        properties = message["schema"]["properties"]
        keys = message["key_properties"]
        latest = {tuple(record[key] for key in keys): record for record in stream_records}
        assert len(latest) == len(stream_records), f"{stream}: the tap sent a key twice"
        expected = [
            [expected_value(record.get(name), properties[name]) for name in properties]
            for record in latest.values()
        ]
        found = [
            [
                json.loads(value)
                if value is not None and json_types(properties[name]) & {"object", "array"}
                else value
                for name, value in zip(properties, row, strict=True)
            ]
            for row in tables[stream]
        ]
        assert len(found) == len(expected), stream
        assert sorted(map(json.dumps, found)) == sorted(map(json.dumps, expected)), stream
        for row in found:
            for value in row:
                assert not (isinstance(value, float) and math.isnan(value)), stream


def test_meltano_yml_declares_the_loader_as_it_describes_itself():
    result = subprocess.run(
        [str(loader_bin() / EXECUTABLE), "--about", "--format=json"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    about = json.loads(result.stdout)
    project = yaml.safe_load((REPO / "meltano.yml").read_text())
    (loader,) = [p for p in project["plugins"]["loaders"] if p["name"] == "target-duckdb"]
    assert loader["executable"] == EXECUTABLE
    assert set(loader["capabilities"]) == set(about["capabilities"])
    properties = about["settings"]["properties"]
    for setting in loader["settings"]:
        assert setting["name"] in properties, setting["name"]
        if "value" in setting:
            assert setting["value"] == properties[setting["name"]].get("default"), setting
    assert loader["config"]["default_target_schema"] == SCHEMA
    assert loader["config"]["filepath"].endswith("/output/tiktok_ads.duckdb")
