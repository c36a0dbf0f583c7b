"""Stream maps of the streams a run does not sync, registered only if one is asked for.

At start the SDK registers every catalog entry with its stream mapper
(`PluginMapper.register_raw_streams_from_catalog`): the entry's schema turned back into a
dict, deep-copied and pruned to the selection. With the full catalog (57 streams, report
streams of about 820 properties) that is 0.2 s of CPU, nearly all of it for streams the
catalog deselects, whose maps are never used by a sync. Here a deselected entry is kept
and registered, with the selection it had at start, on the first look-up of its maps (a
connection test forcing it selected, `--test`); the others, and every entry a configured
stream map names, are registered at once as the SDK does, so a map's configuration error
still stops the run before any request. `tests/test_sdk_contract.py` pins the SDK code
this mirrors. An entry the catalog deselects and `input_catalog.py` has not parsed is
deferred without resolving its selection: the mask it had at start is made when needed.
"""

from __future__ import annotations

import fnmatch
from collections import Counter
from typing import TYPE_CHECKING, Any

from singer_sdk.helpers._catalog import get_selected_schema
from singer_sdk.mapper import MAPPER_SOURCE_OPTION

from tap_tiktok_ads.input_catalog import DeselectedEntry, unread_deselected

if TYPE_CHECKING:
    from singer_sdk.mapper import PluginMapper, StreamMap
    from singer_sdk.singerlib import Catalog, CatalogEntry, SelectionMask


class DeferredStreamMaps(dict[str, list["StreamMap"]]):
    """The mapper's maps per stream; a deferred stream's are registered on first look-up."""

    def __init__(self, mapper: PluginMapper) -> None:
        """Start empty, as the SDK's dict does; `defer` adds the entries kept for later."""
        super().__init__()
        self._mapper = mapper
        self._deferred: dict[str, tuple[CatalogEntry, SelectionMask | DeselectedEntry]] = {}

    def defer(self, name: str, entry: CatalogEntry, mask: SelectionMask | DeselectedEntry) -> None:
        """Register `entry` under `name`, with this selection, when its maps are looked up.

        An unparsed deselected entry stands for the mask it was read with.
        """
        self._deferred[name] = (entry, mask)

    @property
    def deferred(self) -> frozenset[str]:
        """The streams whose maps are not registered yet."""
        return frozenset(self._deferred)

    def __missing__(self, name: str) -> list[StreamMap]:
        """Register a deferred stream now, exactly as the SDK would have at start."""
        if name not in self._deferred:
            raise KeyError(name)
        entry, selection = self._deferred.pop(name)
        if isinstance(selection, DeselectedEntry):
            selection = selection.mask_as_read()
        _register(self._mapper, name, entry, selection)
        return self[name]


def register_catalog(mapper: PluginMapper, catalog: Catalog) -> None:
    """What `PluginMapper.register_raw_streams_from_catalog` does, deselected entries deferred."""
    maps = DeferredStreamMaps(mapper)
    maps.update(mapper.stream_maps)
    mapper.stream_maps = maps
    names = Counter(entry.stream or entry.tap_stream_id for entry in catalog.streams)
    sources = _map_sources(mapper.stream_maps_dict)
    for entry in catalog.streams:
        name = entry.stream or entry.tap_stream_id
        # A name twice in the catalog: the SDK's last registration wins; keep its order.
        eager = names[name] > 1 or any(fnmatch.fnmatch(name, s) for s in sources)
        deselected = unread_deselected(entry)
        if deselected is not None and not eager:
            maps.defer(name, entry, deselected)
            continue
        mask = (
            entry.metadata.resolve_selection() if deselected is None else deselected.mask_as_read()
        )
        if eager or mask[()]:
            _register(mapper, name, entry, mask)
        else:
            maps.defer(name, entry, mask)


def _register(mapper: PluginMapper, name: str, entry: CatalogEntry, mask: SelectionMask) -> None:
    """One entry of `PluginMapper.register_raw_streams_from_catalog`."""
    schema = get_selected_schema(name, entry.schema.to_dict(), mask)
    mapper.register_raw_stream_schema(name, schema, entry.key_properties)


def _map_sources(stream_maps: dict[str, Any]) -> set[str]:
    """The stream names and patterns the configured stream maps apply to."""
    sources = set()
    for key, definition in stream_maps.items():
        if isinstance(definition, dict) and MAPPER_SOURCE_OPTION in definition:
            sources.add(str(definition[MAPPER_SOURCE_OPTION]))
        else:
            sources.add(key)
    return sources
