"""The input catalog, built in full only for the streams it selects.

The SDK's `Catalog.from_dict` turns every entry into its classes (57 streams with 17,500
properties and as many metadata entries: 0.1-0.17 s before the first request), and a sync
then resolves each entry's selection twice (the mapper's and the stream's mask: 0.05 s),
while a run syncs the one or few streams the catalog selects. An entry whose stream the
catalog deselects is kept here as its dict with only its stream metadata parsed, and its
schema and metadata are parsed, with the SDK's own `from_dict`, when first read: a
connection test that selects it, a stream map that names it. What a sync asks of such an
entry (its stream metadata, that its stream is deselected, the selection mask the mapper
keeps for it) is answered without parsing it. The entry's dict is read then, not copied
now: the command line's catalog is its own; a program that passes a dict to the tap must not
change it afterwards (found by review; a copy would cost what the laziness saves).
`tests/test_sdk_contract.py` pins the SDK classes and rules this relies on.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeVar, cast

from singer_sdk.singerlib.catalog import (
    Catalog,
    CatalogEntry,
    MetadataMapping,
    SelectionMask,
    StreamMetadata,
)
from singer_sdk.singerlib.schema import Schema
from typing_extensions import override

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

_T = TypeVar("_T")

# The slots of the SDK's `CatalogEntry` dataclass that a deselected entry fills on first read.
_SCHEMA_SLOT = CatalogEntry.__dict__["schema"]
_METADATA_SLOT = CatalogEntry.__dict__["metadata"]


def input_catalog(data: Mapping[str, Any]) -> Catalog:
    """The SDK's `Catalog.from_dict`, deselected streams' entries parsed on first read."""
    catalog = Catalog()
    for stream in data.get("streams", []):
        root = _deselected_root(stream)
        entry = CatalogEntry.from_dict(stream) if root is None else DeselectedEntry.of(stream, root)
        catalog[entry.tap_stream_id] = entry
    return catalog


def _deselected_root(stream: Mapping[str, Any]) -> StreamMetadata | None:
    """The entry's stream metadata if the SDK's rules deselect its stream, else None."""
    roots = [item for item in stream.get("metadata", []) if not item["breadcrumb"]]
    if not roots:  # without stream metadata the SDK selects the stream, not its properties
        return None
    root = StreamMetadata.from_dict(roots[-1]["metadata"])  # the last one wins, as in the SDK
    if root.selected or MetadataMapping({(): root}).resolve_selection()[()]:
        return None
    return root


class DeselectedEntry(CatalogEntry):
    """A catalog entry whose `schema` and `metadata` are parsed on first read."""

    __slots__ = ("_root", "_stream")

    @classmethod
    def of(cls, stream: Mapping[str, Any], root: StreamMetadata) -> DeselectedEntry:
        """The SDK's entry with its other fields as `from_dict` sets them."""
        entry = cast("DeselectedEntry", cls.from_dict({**stream, "schema": {}, "metadata": []}))
        entry.parse_later(stream, root)
        return entry

    def parse_later(self, stream: Mapping[str, Any], root: StreamMetadata) -> None:
        """Forget the schema and metadata: `stream`'s are parsed on first read."""
        self._stream = stream
        self._root = root
        _SCHEMA_SLOT.__delete__(self)
        _METADATA_SLOT.__delete__(self)

    @property  # type: ignore[override, explicit-override]  # mypy misses @override with a setter
    @override
    def schema(self) -> Schema:
        """The entry's schema, parsed by the SDK on first read."""
        return _read_or_fill(
            self, _SCHEMA_SLOT, lambda: Schema.from_dict(self._stream.get("schema", {}))
        )

    @schema.setter
    @override
    def schema(self, value: Schema) -> None:
        _SCHEMA_SLOT.__set__(self, value)

    @property  # type: ignore[override, explicit-override]  # mypy misses @override with a setter
    @override
    def metadata(self) -> MetadataMapping:
        """The entry's metadata, parsed by the SDK on first read, its stream metadata kept."""

        def parse() -> MetadataMapping:
            metadata = MetadataMapping.from_iterable(self._stream.get("metadata", []))
            metadata[()] = self._root  # the object `stream_metadata` handed out
            return metadata

        return _read_or_fill(self, _METADATA_SLOT, parse)

    @metadata.setter
    @override
    def metadata(self, value: MetadataMapping) -> None:
        _METADATA_SLOT.__set__(self, value)

    @property
    def metadata_parsed(self) -> bool:
        """Whether `metadata` was read (or set) since the entry was made."""
        return _has_slot(self, _METADATA_SLOT)

    @property
    def schema_parsed(self) -> bool:
        """Whether `schema` was read (or set) since the entry was made."""
        return _has_slot(self, _SCHEMA_SLOT)

    @property
    def root(self) -> StreamMetadata:
        """The stream metadata (the object `metadata[()]` holds once parsed)."""
        return self._root

    def mask_as_read(self) -> SelectionMask:
        """`metadata.resolve_selection()` of the entry as the catalog gave it.

        The stream deselected, the SDK deselects every breadcrumb under it: each is False.
        """
        items = self._stream.get("metadata", [])
        return SelectionMask((tuple(item["breadcrumb"]), False) for item in items)


def _read_or_fill(entry: CatalogEntry, slot: Any, parse: Callable[[], _T]) -> _T:  # noqa: ANN401 - a member descriptor
    """The slot's value, or what `parse` gives, kept in the slot, if it was never filled."""
    try:
        return slot.__get__(entry)  # type: ignore[no-any-return]
    except AttributeError:
        value = parse()
        slot.__set__(entry, value)
        return value


def _has_slot(entry: CatalogEntry, slot: Any) -> bool:  # noqa: ANN401 - a member descriptor
    try:
        slot.__get__(entry)
    except AttributeError:
        return False
    return True


def unread_deselected(entry: CatalogEntry | None) -> DeselectedEntry | None:
    """The entry if its stream is deselected and its metadata not read yet, else None.

    Until then, the selection the SDK resolves from it is the one the catalog was read with.
    """
    if isinstance(entry, DeselectedEntry) and not entry.metadata_parsed:
        return entry
    return None


def stream_metadata(entry: CatalogEntry) -> StreamMetadata | None:
    """`entry.metadata.get(())`, without parsing a deselected entry's other metadata."""
    if (deselected := unread_deselected(entry)) is not None:
        return deselected.root
    return entry.metadata.get(())  # type: ignore[return-value]
