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
this mirrors.
"""

from __future__ import annotations

import fnmatch
from collections import Counter
from typing import TYPE_CHECKING, Any

from singer_sdk.helpers._catalog import get_selected_schema
from singer_sdk.mapper import MAPPER_SOURCE_OPTION

if TYPE_CHECKING:
    from singer_sdk.mapper import PluginMapper, StreamMap
    from singer_sdk.singerlib import Catalog, CatalogEntry, SelectionMask


class DeferredStreamMaps(dict[str, list["StreamMap"]]):
    """The mapper's maps per stream; a deferred stream's are registered on first look-up."""

    def __init__(self, mapper: PluginMapper) -> None:
        """Start empty, as the SDK's dict does; `defer` adds the entries kept for later."""
        super().__init__()
        self._mapper = mapper
        self._deferred: dict[str, tuple[CatalogEntry, SelectionMask]] = {}

    def defer(self, name: str, entry: CatalogEntry, mask: SelectionMask) -> None:
        """Register `entry` under `name`, with this selection, when its maps are looked up."""
        self._deferred[name] = (entry, mask)

    @property
    def deferred(self) -> frozenset[str]:
        """The streams whose maps are not registered yet."""
        return frozenset(self._deferred)

    def __missing__(self, name: str) -> list[StreamMap]:
        """Register a deferred stream now, exactly as the SDK would have at start."""
        if name not in self._deferred:
            raise KeyError(name)
        entry, mask = self._deferred.pop(name)
        _register(self._mapper, name, entry, mask)
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
        mask = entry.metadata.resolve_selection()
        # A name twice in the catalog: the SDK's last registration wins; keep its order.
        eager = mask[()] or names[name] > 1 or any(fnmatch.fnmatch(name, s) for s in sources)
        if eager:
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
