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

The command line's catalog is read from its text (`input_catalog_text`): decoding all of it,
as the SDK does, builds 150,000 Python objects (0.03-0.04 s), nearly all of them the
schemas and metadata of deselected streams. The text is split into entries and fields
instead (msgspec, a few ms), and each field is decoded by the SDK's own `load_json` when
read: the same values (Decimals for non-integer numbers included), only later or never.
The fields keep the catalog's text (3 MB) instead of its deselected entries' dicts.

`tests/test_sdk_contract.py` pins the SDK classes and rules this relies on.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

import msgspec
from singer_sdk.helpers._util import load_json
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
    from collections.abc import Callable

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


def input_catalog_text(text: str) -> Catalog:
    """`input_catalog(load_json(text))`, each entry's fields decoded only when read.

    A text msgspec cannot split so (not strict JSON, such as `NaN`, or a metadata entry
    without a breadcrumb of names or without metadata) is decoded whole, as the SDK does.
    """
    try:
        streams = _SPLIT.decode(text).streams
        roots = [_raw_root(stream) for stream in streams]
    except (msgspec.DecodeError, msgspec.ValidationError):
        return input_catalog(load_json(text))
    catalog = Catalog()
    for stream, raw_root in zip(streams, roots, strict=True):
        fields = _RawFields(stream)
        root = None if raw_root is None else _deselected(load_json(_text(raw_root)))
        entry = (
            CatalogEntry.from_dict(dict(fields))
            if root is None
            else DeselectedEntry.of(fields, root)
        )
        catalog[entry.tap_stream_id] = entry
    return catalog


class _Split(msgspec.Struct):
    """A catalog split into its entries' fields, each kept as its JSON text."""

    streams: list[dict[str, msgspec.Raw]]


class _MetadataItem(msgspec.Struct):
    """A metadata entry, its metadata kept as JSON text."""

    breadcrumb: list[str]
    metadata: msgspec.Raw


_SPLIT = msgspec.json.Decoder(_Split)
_METADATA_ITEMS = msgspec.json.Decoder(list[_MetadataItem])


def _raw_root(stream: Mapping[str, msgspec.Raw]) -> msgspec.Raw | None:
    """The text of the entry's stream metadata (the last one, as in the SDK), or None."""
    raw = stream.get("metadata")
    items = [] if raw is None else _METADATA_ITEMS.decode(raw)
    roots = [item.metadata for item in items if not item.breadcrumb]
    return roots[-1] if roots else None


def _text(raw: msgspec.Raw) -> str:
    return bytes(raw).decode()


class _RawFields(Mapping[str, Any]):
    """A catalog entry's fields, each decoded by the SDK's `load_json` when read."""

    def __init__(self, fields: dict[str, msgspec.Raw]) -> None:
        """Keep the fields' JSON texts."""
        self._fields = fields

    @override
    def __getitem__(self, key: str) -> Any:
        """The field's value, as the SDK decodes the catalog."""
        return load_json(_text(self._fields[key]))

    @override
    def __iter__(self) -> Iterator[str]:
        """The field names, in the catalog's order."""
        return iter(self._fields)

    @override
    def __len__(self) -> int:
        """How many fields the entry has."""
        return len(self._fields)


def _deselected_root(stream: Mapping[str, Any]) -> StreamMetadata | None:
    """The entry's stream metadata if the SDK's rules deselect its stream, else None."""
    roots = [item for item in stream.get("metadata", []) if not item["breadcrumb"]]
    if not roots:  # without stream metadata the SDK selects the stream, not its properties
        return None
    return _deselected(roots[-1]["metadata"])  # the last one wins, as in the SDK


def _deselected(metadata: dict[str, Any]) -> StreamMetadata | None:
    """The stream metadata if the SDK's rules deselect its stream, else None."""
    root = StreamMetadata.from_dict(metadata)
    if root.selected or MetadataMapping({(): root}).resolve_selection()[()]:
        return None
    return root


_PARSED_LATER = frozenset({"schema", "metadata"})


class DeselectedEntry(CatalogEntry):
    """A catalog entry whose `schema` and `metadata` are parsed on first read."""

    __slots__ = ("_root", "_stream")

    @classmethod
    def of(cls, stream: Mapping[str, Any], root: StreamMetadata) -> DeselectedEntry:
        """The SDK's entry with its other fields as `from_dict` sets them."""
        fields = {key: stream[key] for key in stream if key not in _PARSED_LATER}
        entry = cast("DeselectedEntry", cls.from_dict({**fields, "schema": {}, "metadata": []}))
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
