"""One stream's batches into its table: the last record of each key wins."""

from __future__ import annotations

from typing import Any

from singer_sdk.helpers.capabilities import TargetLoadMethods
from singer_sdk.sql import SQLSink
from typing_extensions import override

from target_tiktok_duckdb.connector import DuckDBConnector


class DuckDBSink(SQLSink[DuckDBConnector]):
    """Loads a batch in one transaction; with key properties, rows replace rows of their key."""

    connector_class = DuckDBConnector

    @property
    def upserts(self) -> bool:
        """Whether rows replace stored rows of the same key (a stream with key properties)."""
        method = self.config.get("load_method", TargetLoadMethods.UPSERT)
        return bool(self.key_properties) and method != TargetLoadMethods.APPEND_ONLY

    @override
    def process_batch(self, context: dict) -> None:
        """Keep the last record of each key, then load the batch."""
        rows = [self.conform_record(record) for record in context["records"]]
        keys = list(self.key_properties) if self.upserts else []
        if keys:
            latest: dict[tuple[Any, ...], dict[str, Any]] = {}
            for row in rows:
                latest[tuple(row.get(key) for key in keys)] = row
            if len(latest) < len(rows):
                self.tally_duplicate_merged(len(rows) - len(latest))
            rows = list(latest.values())
        inserted = self.connector.load_rows(self.full_table_name, rows, keys)
        if inserted != len(rows):
            raise RuntimeError(
                f"{self.full_table_name}: inserted {inserted} rows of a batch of {len(rows)}"
            )
