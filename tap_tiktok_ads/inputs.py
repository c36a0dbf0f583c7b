"""The catalog and state files: read and checked before any request, with clear messages.

The SDK reads both files itself and fails on a bad one with a traceback (not JSON, a list
where an object belongs), or not at all (a catalog that selects a stream or a metric the tap
does not have is silently ignored, so the user gets less data than asked for). These checks
name the file, the entry and the value, and say how to fix it.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import TYPE_CHECKING, Any, Generic, TypeVar

import msgspec

from tap_tiktok_ads.input_catalog import stream_metadata
from tap_tiktok_ads.metrics import LEGACY_METRIC_NAMES, closest_names

if TYPE_CHECKING:
    from collections.abc import Mapping

    from singer_sdk.singerlib import Catalog
    from singer_sdk.singerlib.catalog import Metadata
    from singer_sdk.streams import Stream

_PROPERTY_CRUMB = 2  # the breadcrumb of a top-level property: ("properties", name)
_DISCOVER = "run `tap-tiktok-ads --config CONFIG --discover` and select from its catalog"


class InputFileError(Exception):
    """A catalog or state that the tap cannot use; `errors` says why, one line each."""

    def __init__(self, errors: list[str]) -> None:
        """Keep every problem found, not only the first."""
        super().__init__("; ".join(errors))
        self.errors = errors


def read_json_object(text: str, what: str, fix: str) -> dict[str, Any]:
    """The JSON object in `text`, or `InputFileError` naming the file and the fix."""
    try:
        value = json.loads(text)
    except ValueError as exc:
        msg = f"The {what} is not valid JSON ({exc}); {fix}"
        raise InputFileError([msg]) from None
    if not isinstance(value, dict):
        msg = f"The {what} is a JSON {type(value).__name__}, not an object; {fix}"
        raise InputFileError([msg])
    return value


_STATE_FIX = (
    "pass the `value` of the last STATE message the tap wrote (an object with `bookmarks`), "
    "or no state to start from `start_date`"
)


def state_errors(state: Mapping[str, Any]) -> list[str]:
    """Problems with the shape of a state: what the SDK and the streams rely on."""
    if state.get("type") == "STATE" and "value" in state:
        return [f"The state file holds a whole STATE message; {_STATE_FIX}."]
    bookmarks = state.get("bookmarks", {})
    if not isinstance(bookmarks, dict):
        return [f"`bookmarks` in the state file is a {type(bookmarks).__name__}; {_STATE_FIX}."]
    errors = []
    for stream, stream_state in bookmarks.items():
        where = f"`bookmarks.{stream}` in the state file"
        if not isinstance(stream_state, dict):
            errors.append(f"{where} is a {type(stream_state).__name__}, not an object.")
            continue
        partitions = stream_state.get("partitions", [])
        if not isinstance(partitions, list) or not all(isinstance(p, dict) for p in partitions):
            errors.append(f"{where}: `partitions` must be a list of objects with a `context`.")
            continue
        # The SDK finds a partition by its context: one without it ends the run in a KeyError.
        if missing := [
            i for i, p in enumerate(partitions) if not isinstance(p.get("context"), dict)
        ]:
            errors.append(
                f"{where}: `partitions[{missing[0]}]` has no `context` object (the advertiser or "
                "account it keeps the bookmark of); every partition must have one. Remove the "
                "partitions without it to read them from `start_date` again."
            )
            continue
        for partition in [stream_state, *partitions]:
            value = partition.get("replication_key_value")
            if value is not None and not _is_bookmark(value):
                errors.append(
                    f"{where} has the bookmark {value!r}{_whose(partition)}, which is not a date "
                    f"as the tap writes it ({_BOOKMARK_FORMS}); write it so, or remove it to "
                    "read that stream from `start_date` again."
                )
    if errors:
        errors.append(f"Fix or remove the state file: {_STATE_FIX}.")
    return errors


# What the tap writes: a day (daily reports), a moment with its offset (`isoformat()`: hourly
# reports, entities); TikTok's `YYYY-MM-DD HH:MM:SS` too. Bookmarks are compared as text
# (`CompleteDataBookmarks.set_bookmark`): another form (`20261125`) would never move again.
_BOOKMARK = re.compile(r"\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}:\d{2}(\.\d{6})?([+-]\d{2}:\d{2})?)?")
_BOOKMARK_FORMS = "YYYY-MM-DD, or YYYY-MM-DDTHH:MM:SS+HH:MM for hourly reports and entities"


def _is_bookmark(value: Any) -> bool:  # noqa: ANN401
    """A text in one of the forms the tap writes, of a real day and time."""
    if not isinstance(value, str) or not _BOOKMARK.fullmatch(value):
        return False
    try:
        dt.datetime.fromisoformat(value)
    except ValueError:
        return False
    return True


def _whose(partition: Mapping[str, Any]) -> str:
    """` for advertiser_id '1'`: the partition's context, as the user finds it in the file."""
    context = partition.get("context")
    if not context:
        return ""
    return " for " + ", ".join(f"{key} {value!r}" for key, value in context.items())


class _NamedEntry(msgspec.Struct):
    """What the catalog's shape requires first of an entry: a stream ID."""

    tap_stream_id: str


class _AnObject(msgspec.Struct, gc=False):
    """A JSON object, its keys skipped: nothing is built (a dict would triple the check's time)."""


class _MetadataShape(msgspec.Struct, gc=False):  # gc=False: a list of text holds no cycle
    """What the SDK (and `input_catalog`) read of a metadata item: both keys, always."""

    breadcrumb: list[str]
    metadata: _AnObject


_Item = TypeVar("_Item")


class _EntryShape(_NamedEntry, Generic[_Item]):
    """What the SDK requires of an entry; the rest is skipped, not built."""

    schema: dict[str, msgspec.Raw] = {}
    metadata: list[_Item] = []


_Entry = TypeVar("_Entry")


class _CatalogShape(msgspec.Struct, Generic[_Entry]):
    streams: list[_Entry]


# The shape rules, stated once by the structs above: checked whole (quick), or part by part
# to say what is wrong where.
_CATALOG_SHAPE = msgspec.json.Decoder(_CatalogShape[_EntryShape[_MetadataShape]])
_CATALOG_ENTRIES = msgspec.json.Decoder(_CatalogShape[msgspec.Raw])
_NAMED_ENTRY = msgspec.json.Decoder(_NamedEntry)
_ENTRY_SHAPE = msgspec.json.Decoder(_EntryShape[msgspec.Raw])
_METADATA_ITEM = msgspec.json.Decoder(_MetadataShape)


def catalog_text_is_well_shaped(text: str) -> bool:
    """True when the text is JSON of the shape `catalog_shape_errors` accepts.

    A few ms for a full catalog, where building it as Python objects takes 30-80 ms (and the
    SDK builds it again); on False the caller builds it to say what is wrong.
    """
    try:
        _CATALOG_SHAPE.decode(text)
    except (msgspec.DecodeError, msgspec.ValidationError):
        return False
    return True


def catalog_shape_errors(catalog: Mapping[str, Any]) -> list[str]:
    """Problems with the shape of a catalog that would make the SDK fail or ignore it."""
    text = msgspec.json.encode(catalog)
    if not _fits(_CATALOG_ENTRIES, text):
        return [f"The catalog has no `streams` list; {_DISCOVER}."]
    errors = []
    for index, entry in enumerate(_CATALOG_ENTRIES.decode(text).streams):
        where = f"`streams[{index}]` of the catalog"
        if not _fits(_NAMED_ENTRY, entry):
            errors.append(f"{where} has no `tap_stream_id`; {_DISCOVER}.")
            continue
        where = f"`streams[{index}]` ('{_NAMED_ENTRY.decode(entry).tap_stream_id}') of the catalog"
        if not _fits(_ENTRY_SHAPE, entry):
            errors.append(f"{where} needs a `schema` object and a `metadata` list; {_DISCOVER}.")
            continue
        items = _ENTRY_SHAPE.decode(entry).metadata
        if bad := [i for i, item in enumerate(items) if not _fits(_METADATA_ITEM, item)]:
            more = f" (and {len(bad) - 1} more)" if len(bad) > 1 else ""
            errors.append(
                f"{where}: `metadata[{bad[0]}]`{more} needs a `breadcrumb` list and a `metadata` "
                f"object; {_DISCOVER}."
            )
    return errors


def _fits(shape: msgspec.json.Decoder[Any], text: bytes | msgspec.Raw) -> bool:
    try:
        shape.decode(text)
    except msgspec.ValidationError:
        return False
    return True


def catalog_errors(catalog: Catalog, streams: Mapping[str, Stream]) -> list[str]:
    """Streams and properties a catalog selects that the tap does not have.

    The SDK would skip them without a word, so a typo or a stale catalog would quietly
    deliver less than asked for. Read from the SDK's parsed catalog as it is: turning it
    back into a dict would cost as much as parsing it (issue 18: startup).
    """
    errors = []
    for entry in catalog.streams:
        stream_id = entry.tap_stream_id
        root = stream_metadata(entry)
        selected = root.selected if root is not None else None
        stream = streams.get(stream_id)
        if stream is None:
            if selected:
                close = closest_names(stream_id, set(streams))
                hint = f" Did you mean '{close[0]}'?" if close else ""
                errors.append(
                    f"The catalog selects stream '{stream_id}', which tap-tiktok-ads does not "
                    f"have.{hint} Remove it from the catalog, or {_DISCOVER}."
                )
            continue
        if not selected:
            continue
        known = set(stream.schema.get("properties", {}))
        named = set(entry.schema.properties or {})
        named |= {
            crumb[1]
            for crumb in entry.metadata
            if len(crumb) == _PROPERTY_CRUMB and crumb[0] == "properties"
        }
        for name in sorted(named - known):
            if _deselected(entry.metadata.get(("properties", name))):
                continue
            errors.append(
                f"The catalog's stream '{stream_id}' selects property '{name}', which the "
                f"tap's schema of that stream does not have.{_property_hint(name, known)} "
                f"Deselect it, or {_DISCOVER}."
            )
    return errors


def _deselected(flags: Metadata | None) -> bool:
    """Deselected in the catalog: `selected: false`, or no `selected` and not by default."""
    if flags is None:
        return False
    selected = flags.selected if flags.selected is not None else flags.selected_by_default
    return selected is False


def _property_hint(name: str, known: set[str]) -> str:
    renamed = LEGACY_METRIC_NAMES.get(name)
    if renamed in known:
        return f" It is the v1.1/v1.2 name of '{renamed}'."
    close = closest_names(name, known)
    return f" Did you mean '{close[0]}'?" if close else ""
