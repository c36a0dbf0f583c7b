"""The target: settings, and the sink every stream gets."""

from __future__ import annotations

from typing import ClassVar

from singer_sdk import typing as th
from singer_sdk.contrib.msgspec import MsgSpecReader
from singer_sdk.helpers.capabilities import TargetLoadMethods
from singer_sdk.sql import SQLTarget

from target_tiktok_duckdb.sink import DuckDBSink


class TargetTikTokDuckDB(SQLTarget):
    """Singer target for DuckDB that loads exactly the records it receives."""

    name = "target-tiktok-duckdb"
    default_sink_class = DuckDBSink
    message_reader_class = MsgSpecReader
    config_jsonschema: ClassVar[dict] = th.PropertiesList(
        th.Property(
            "filepath",
            th.StringType,
            default="tiktok_ads.duckdb",
            title="Database file",
            description="Path of the DuckDB database file; its folder is created if missing.",
        ),
        th.Property(
            "default_target_schema",
            th.StringType,
            default="tiktok",
            title="Target schema",
            description="Schema the tables are created in (one table per stream).",
        ),
        th.Property(
            "load_method",
            th.StringType,
            default=TargetLoadMethods.UPSERT,
            allowed_values=[
                TargetLoadMethods.UPSERT,
                TargetLoadMethods.APPEND_ONLY,
                TargetLoadMethods.OVERWRITE,
            ],
            title="Load method",
            description=(
                "upsert: a record replaces the stored row with the same key properties (streams"
                " without key properties are appended); append-only: every record is a new row;"
                " overwrite: each table is emptied once per run, then upserted."
            ),
        ),
    ).to_dict()
