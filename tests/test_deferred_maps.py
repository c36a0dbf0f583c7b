"""Stream maps of deselected streams wait until asked for, and are then the SDK's own."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from singer_sdk.exceptions import MapExpressionError, StreamMapConfigError
from singer_sdk.mapper import PluginMapper
from singer_sdk.singerlib import Catalog

from tap_tiktok_ads.deferred_maps import DeferredStreamMaps
from tap_tiktok_ads.tap import TapTikTokAds
from tests.conftest import CollectingWriter, catalog_for

CONFIG: dict[str, Any] = {"access_token": "t", "advertiser_ids": ["1"]}
SELECTED = {"ad_report_daily": ["spend", "clicks"], "campaigns": None}


@pytest.fixture(scope="module")
def catalog() -> dict[str, Any]:
    """The full catalog with two streams selected (one of its properties, the other all)."""
    return catalog_for(CONFIG, SELECTED)


def _sdk_maps(config: dict[str, Any], catalog: dict[str, Any]) -> dict[str, Any]:
    """What the SDK's own `Tap.setup_mapper` registers for this config and catalog."""
    mapper = PluginMapper(plugin_config=config, logger=logging.getLogger("test"))
    mapper.register_raw_streams_from_catalog(Catalog.from_dict(catalog))
    return mapper.stream_maps


def _described(maps: list[Any]) -> list[tuple[Any, ...]]:
    return [
        (
            type(m),
            m.stream_alias,
            m.raw_schema,
            m.transformed_schema,
            m.raw_key_properties,
            m.transformed_key_properties,
        )
        for m in maps
    ]


def _tap(config: dict[str, Any], catalog: dict[str, Any]) -> TapTikTokAds:
    return TapTikTokAds(config=config, catalog=catalog, message_writer=CollectingWriter())


def test_every_stream_gets_the_sdk_s_maps_selected_or_not(catalog: dict[str, Any]) -> None:
    config = {
        **CONFIG,
        "stream_maps": {
            "ad_report_daily": {"spend_twice": "spend * 2", "clicks": "__NULL__"},
            "campaign_copy": {"__source__": "campaigns"},
            # Deselected but named: registered at start, as the SDK does. (A map with key
            # properties fails there: the SDK registers a deselected stream without properties.)
            "adgroups": "__NULL__",
        },
    }
    tap = _tap(config, catalog)
    sdk = _sdk_maps(config, catalog)
    maps = tap.mapper.stream_maps
    assert isinstance(maps, DeferredStreamMaps)
    # Selected and map-named streams are registered at start; the rest wait.
    assert {"ad_report_daily", "campaigns", "adgroups"} <= set(dict(maps))
    assert maps.deferred == set(sdk) - {"ad_report_daily", "campaigns", "adgroups"}
    assert "ads" in maps.deferred
    for name in sdk:
        assert _described(maps[name]) == _described(sdk[name]), name
    assert not maps.deferred
    assert [m.stream_alias for m in tap.streams["campaigns"].stream_maps] == [
        "campaigns",
        "campaign_copy",
    ]


def test_a_stream_forced_selected_later_gets_the_maps_it_had_at_start(
    catalog: dict[str, Any],
) -> None:
    """A connection test selects every stream; the SDK registered their maps before that."""
    tap = _tap(CONFIG, catalog)
    sdk = _sdk_maps(CONFIG, catalog)
    stream = tap.streams["ads"]
    assert not stream.selected
    stream.selected = True
    assert _described(stream.stream_maps) == _described(sdk["ads"])
    assert sdk["ads"][0].transformed_schema["properties"] == {}


def test_unknown_names_are_not_registered(catalog: dict[str, Any]) -> None:
    maps = _tap(CONFIG, catalog).mapper.stream_maps
    with pytest.raises(KeyError):
        maps["no_such_stream"]


@pytest.mark.parametrize(
    "stream_maps",
    [
        {"adgroups": {"x": "1 +* 2"}},  # a deselected stream, named
        {"ad*": {"x": "1 +* 2"}},  # a pattern that matches deselected streams
        {"adgroups": {"__alias__": "ad_groups"}},  # the SDK's own failure, kept
    ],
)
def test_a_bad_map_of_a_deselected_stream_still_stops_the_start(
    catalog: dict[str, Any], stream_maps: dict[str, Any]
) -> None:
    config = {**CONFIG, "stream_maps": stream_maps}
    with pytest.raises((MapExpressionError, StreamMapConfigError)):
        _sdk_maps(config, catalog)
    with pytest.raises((MapExpressionError, StreamMapConfigError)):
        _tap(config, catalog)


def test_without_a_catalog_the_streams_selected_by_default_are_registered_at_start() -> None:
    tap = TapTikTokAds(config=CONFIG, message_writer=CollectingWriter())
    maps = tap.mapper.stream_maps
    assert isinstance(maps, DeferredStreamMaps)
    unselected = {name for name, stream in tap.streams.items() if not stream.selected}
    assert "pixels" in unselected  # an opt-in stream
    assert maps.deferred == unselected
    sdk = _sdk_maps(CONFIG, tap.catalog.to_dict())
    for name in sdk:
        assert _described(maps[name]) == _described(sdk[name]), name
