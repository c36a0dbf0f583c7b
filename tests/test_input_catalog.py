"""The input catalog: the SDK's, with deselected streams' entries parsed only when read."""

from __future__ import annotations

import copy
import dataclasses
import decimal
import json
from typing import TYPE_CHECKING, Any

import pytest
from singer_sdk.helpers._util import load_json
from singer_sdk.singerlib.catalog import Catalog, CatalogEntry

from tap_tiktok_ads.input_catalog import (
    DeselectedEntry,
    input_catalog,
    input_catalog_text,
    stream_metadata,
    unread_deselected,
)
from tap_tiktok_ads.tap import TapTikTokAds
from tests.conftest import CollectingWriter, catalog_for

if TYPE_CHECKING:
    from collections.abc import Callable

CONFIG: dict[str, Any] = {"access_token": "t", "advertiser_ids": ["1"]}


def _root(entry: dict[str, Any]) -> dict[str, Any]:
    return next(item["metadata"] for item in entry["metadata"] if not item["breadcrumb"])


def _edited(catalog: dict[str, Any], stream: str, **root: Any) -> None:
    """Set (or, for None, remove) keys of a stream's metadata entry."""
    entry = next(e for e in catalog["streams"] if e["tap_stream_id"] == stream)
    for key, value in root.items():
        if value is None:
            _root(entry).pop(key.replace("_", "-"), None)
        else:
            _root(entry)[key.replace("_", "-")] = value


@pytest.fixture(scope="module")
def catalog() -> dict[str, Any]:
    """The full catalog, two streams selected, and each way the SDK reads a stream's selection."""
    catalog = catalog_for(CONFIG, {"ad_report_daily": ["spend", "clicks"], "campaigns": None})
    _edited(catalog, "ads", selected=None, selected_by_default=False)  # deselected by default
    _edited(catalog, "adgroups", selected=None, selected_by_default=True)  # selected by default
    _edited(catalog, "advertisers", inclusion="automatic")  # always selected
    _edited(catalog, "pixels", selected=True, inclusion="unsupported")  # not, but "selected"
    nameless = next(e for e in catalog["streams"] if e["tap_stream_id"] == "ad_report_hourly")
    nameless["metadata"] = [item for item in nameless["metadata"] if item["breadcrumb"]]
    twice = next(e for e in catalog["streams"] if e["tap_stream_id"] == "campaign_report_daily")
    twice["metadata"].append({"breadcrumb": [], "metadata": {"selected": True}})  # last wins
    # Non-integer numbers, which the SDK decodes as Decimals, selected and deselected.
    for name in ("ad_report_daily", "ads"):
        entry = next(e for e in catalog["streams"] if e["tap_stream_id"] == name)
        entry["schema"]["properties"]["advertiser_id"]["minLength"] = 1
        entry["schema"]["multipleOf"] = 0.01
        entry["metadata"][-1]["metadata"]["x-weight"] = 1.5
    return catalog


# Parsed at once: "selected" but deselected by the SDK (see the fixture).
DESELECTED_BY_THE_SDK = {"pixels"}


def _fields(entry: CatalogEntry) -> dict[str, Any]:
    return {field.name: getattr(entry, field.name) for field in dataclasses.fields(CatalogEntry)}


def test_it_reads_what_the_sdk_reads(catalog: dict[str, Any]) -> None:
    _assert_reads_as_the_sdk(input_catalog(catalog), Catalog.from_dict(catalog))


def test_from_the_text_it_reads_what_the_sdk_decodes(catalog: dict[str, Any]) -> None:
    """Each field is decoded when read, to the values the SDK's decode of the file gives."""
    text = json.dumps(catalog, indent=2)
    sdk = Catalog.from_dict(load_json(text))
    ours = input_catalog_text(text)
    assert {name for name, entry in ours.items() if unread_deselected(entry)} == {
        name for name, entry in input_catalog(catalog).items() if unread_deselected(entry)
    }
    _assert_reads_as_the_sdk(ours, sdk)
    for entry in (ours["ad_report_daily"], ours["ads"]):
        assert type(entry.schema.to_dict()["multipleOf"]) is decimal.Decimal
        assert type(entry.schema.properties["advertiser_id"].minLength) is int


@pytest.mark.parametrize(
    "edit",
    [
        pytest.param(lambda e: e["schema"].update(maximum=float("nan")), id="NaN refused"),
        pytest.param(lambda e: e["metadata"].append({"breadcrumb": 0, "metadata": {}}), id="0"),
        pytest.param(lambda e: e["metadata"].append({"breadcrumb": [1], "metadata": {}}), id="[1]"),
        pytest.param(lambda e: e["metadata"].append({"breadcrumb": None}), id="no metadata"),
    ],
)
def test_a_text_it_cannot_split_is_decoded_whole(catalog: dict[str, Any], edit: Any) -> None:
    """What msgspec refuses is decoded whole: the SDK's values, or the error it gave before."""
    edited = copy.deepcopy(catalog)
    edit(next(e for e in edited["streams"] if e["tap_stream_id"] == "ads"))
    text = json.dumps(edited)
    assert _outcome(lambda: input_catalog_text(text)) == _outcome(
        lambda: input_catalog(load_json(text))
    )


def _outcome(build: Callable[[], Catalog]) -> str:
    """The catalog read in full, or the error reading it raised."""
    try:
        return json.dumps(build().to_dict(), default=repr)
    except Exception as error:  # any error, to compare
        return repr(error)


def _assert_reads_as_the_sdk(ours: Catalog, sdk: Catalog) -> None:
    assert list(ours) == list(sdk)
    # Asked first what a sync asks, then everything: the same answers as the SDK's entries.
    for name, entry in ours.items():
        theirs = sdk[name]
        assert stream_metadata(entry) == theirs.metadata.get(()), name
        if (deselected := unread_deselected(entry)) is not None:
            assert deselected.mask_as_read() == theirs.metadata.resolve_selection(), name
            assert not theirs.metadata.resolve_selection()[()], name
        assert _fields(entry) == _fields(theirs), name
    assert ours.to_dict() == sdk.to_dict()


def test_only_the_streams_the_sdk_deselects_wait(catalog: dict[str, Any]) -> None:
    sdk = Catalog.from_dict(catalog)
    waiting = {name for name, entry in input_catalog(catalog).items() if unread_deselected(entry)}
    deselected = {name for name, e in sdk.items() if not e.metadata.resolve_selection()[()]}
    assert waiting == deselected - DESELECTED_BY_THE_SDK
    assert {"ads", "organic_videos"} <= waiting
    assert not {"ad_report_daily", "campaigns", "adgroups", "advertisers"} & waiting
    assert not {"campaign_report_daily", "ad_report_hourly"} & waiting


def test_a_sync_start_parses_no_deselected_stream(catalog: dict[str, Any]) -> None:
    """Building the tap, its streams and mapper, and asking what is selected parse none."""
    tap = TapTikTokAds(
        config=CONFIG, catalog=copy.deepcopy(catalog), message_writer=CollectingWriter()
    )
    selected = {name for name, stream in tap.streams.items() if stream.selected}
    assert selected == {
        "ad_report_daily",
        "campaigns",
        "adgroups",
        "advertisers",
        "campaign_report_daily",
        "ad_report_hourly",  # without stream metadata the SDK selects a stream
    }
    assert tap.input_catalog is not None
    waiting = [e for e in tap.input_catalog.values() if isinstance(e, DeselectedEntry)]
    assert len(waiting) > 40
    assert not any(e.metadata_parsed or e.schema_parsed for e in waiting)
    tap.runtime.close()


def test_a_waiting_stream_selected_later_is_the_sdk_s(catalog: dict[str, Any]) -> None:
    """What the connection test does to every stream: the SDK's result, from the catalog."""
    tap = TapTikTokAds(config=CONFIG, catalog=copy.deepcopy(catalog), setup_mapper=False)
    sdk = TapTikTokAds(config=CONFIG, catalog=Catalog.from_dict(catalog), setup_mapper=False)
    stream, theirs = tap.streams["ads"], sdk.streams["ads"]
    assert stream.selected is theirs.selected is False
    root = stream_metadata(tap.streams["ads"]._tap_input_catalog["ads"])
    stream.selected = theirs.selected = True
    assert stream.selected is theirs.selected is True
    assert stream.mask == theirs.mask
    assert stream.metadata == theirs.metadata
    assert stream.metadata.root is root  # one stream metadata object, before and after
    assert stream.effective_schema == theirs.effective_schema
    tap.runtime.close()
    sdk.runtime.close()
