"""A stream's schema from the input catalog, turned into a dict when it is first used.

At start the SDK's `Stream.apply_catalog` turns every catalog entry's schema back into a
dict (`_input_schema`), for selected and deselected streams alike: 40 ms of CPU and 4 MB
with the full catalog, nearly all of it for streams a run never syncs. Here the entry's
schema is kept as the SDK parsed it and converted on the first read of `effective_schema`,
the one place the SDK reads `_input_schema`, so every stream that uses it gets the same
dict. `tests/test_sdk_contract.py` pins both SDK members by their source.

An entry whose stream the catalog deselects is not parsed at all by a sync
(input_catalog.py): the stream reads its stream metadata alone, and is not selected
without resolving a selection for each of its properties, until its metadata is read.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from singer_sdk import Stream
from typing_extensions import override

from tap_tiktok_ads.input_catalog import stream_metadata, unread_deselected

if TYPE_CHECKING:
    from singer_sdk import singerlib
    from singer_sdk.singerlib.catalog import CatalogEntry, StreamMetadata


class CatalogSchemaOnDemand(Stream):
    """A stream that converts its catalog schema only if it reads it."""

    _catalog_entry: CatalogEntry | None = None

    @override
    def apply_catalog(self, catalog: singerlib.Catalog) -> None:
        """The SDK's `Stream.apply_catalog`, the entry's schema kept for `effective_schema`."""
        self._tap_input_catalog = catalog

        if entry := catalog.get_stream(self.name):
            root: StreamMetadata | None
            if root := stream_metadata(entry):
                table_key_properties = root.table_key_properties
                table_replication_key = root.replication_key
                table_replication_method = root.forced_replication_method
            else:
                table_key_properties = None
                table_replication_key = None
                table_replication_method = None

            self.primary_keys = entry.key_properties or table_key_properties or ()
            self.replication_key = entry.replication_key or table_replication_key

            replication_method = entry.replication_method or table_replication_method
            if replication_method:
                self.forced_replication_method = replication_method

            self._input_schema = None
            self._catalog_entry = entry

    @property
    @override
    def effective_schema(self) -> dict:
        """The SDK's, with the catalog's schema converted on first use."""
        if self._input_schema is None and self._catalog_entry is not None:
            self._input_schema = self._catalog_entry.schema.to_dict()
        return super().effective_schema

    @property  # type: ignore[explicit-override]  # mypy misses @override with a setter
    @override
    def selected(self) -> bool:
        """The SDK's; False for a deselected catalog entry that nothing has read yet."""
        if self._mask is None and self._tap_input_catalog is not None:
            entry = self._tap_input_catalog.get_stream(self.tap_stream_id)
            if unread_deselected(entry) is not None:
                return False
        return super().selected

    @selected.setter
    @override
    def selected(self, value: bool | None) -> None:
        Stream.selected.fset(self, value)  # type: ignore[attr-defined]
