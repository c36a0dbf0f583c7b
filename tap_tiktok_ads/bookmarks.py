"""The one way the tap writes bookmarks: when data is complete, never per record.

TikTok returns a report window's rows in no date order and entities in no `modify_time`
order, so a bookmark taken from a record could pass data not emitted yet. Records therefore
never move a bookmark; a stream calls `set_bookmark` once a window (or an advertiser's
entities) has been emitted in full.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from singer_sdk import Stream
from typing_extensions import override

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping

    from singer_sdk.helpers.types import Context, Record

# The partition state's key that vouches for its bookmark: a copy of `replication_key_value`
# written with it when the bookmark stops at the last final day (report streams). A bookmark
# without it, or with another value (moved by an older version since), may be past days that
# were not final when read. The SDK keeps keys of a partition state it does not know (it writes
# only its own), and Meltano stores each STATE's partitions as the tap wrote them.
FINAL_BOOKMARK_KEY = "final_bookmark"


def kept_by_streams(tap_state: Mapping[str, object], key: str) -> Iterator[object]:
    """What each stream's state keeps under `key` (a state of another shape keeps nothing)."""
    bookmarks = tap_state.get("bookmarks")
    for stream_state in (bookmarks if isinstance(bookmarks, dict) else {}).values():
        if isinstance(stream_state, dict) and key in stream_state:
            yield stream_state[key]


def is_final_bookmark(partition_state: Mapping[str, Any]) -> bool:
    """Whether the partition's bookmark was written never past the last final day."""
    value = partition_state.get("replication_key_value")
    return value is not None and partition_state.get(FINAL_BOOKMARK_KEY) == value


def state_entry(stream_state: dict[str, Any], key: str, kind: type[Any]) -> Any:  # noqa: ANN401
    """The stream state's `key`, made an empty `kind` if absent or of another shape.

    A hand-edited state must not end a run in a TypeError when the tap writes there.
    """
    value = stream_state.get(key)
    if not isinstance(value, kind):
        value = stream_state[key] = kind()
    return value


class CompleteDataBookmarks(Stream):
    """Mixin for streams whose bookmarks move only through `set_bookmark`."""

    @override
    def _increment_stream_state(
        self, latest_record: Record, *, context: Context | None = None
    ) -> None:
        """Records do not move the bookmark; `set_bookmark` does, once data is complete."""
        del latest_record, context

    def set_bookmark(
        self,
        context: Context,
        value: str,
        *,
        final: bool = False,
        notes: Mapping[str, object] | None = None,
    ) -> None:
        """Write the partition's bookmark and a STATE message, unless it would move backwards.

        Values are compared as text: each stream writes its replication key in one ISO 8601
        form, whose order is the order of time. `final`: the value is at or before the last
        final day, and says so in the state (`FINAL_BOOKMARK_KEY`), in the same STATE message;
        the same value written by an older version gets the mark then. `notes`: other keys of
        the partition's state that say what the bookmark covers, written with it alike (the
        same value again when only a note changed).
        """
        state = self.get_context_state(context)
        current = state.get("replication_key_value")
        newly_final = final and not is_final_bookmark(state)  # the same value gets the mark
        new_notes = {key: note for key, note in (notes or {}).items() if state.get(key) != note}
        if current is not None and (
            str(current) > value or (str(current) == value and not newly_final and not new_notes)
        ):
            return
        if final:
            state[FINAL_BOOKMARK_KEY] = value
        state.update(new_notes)
        super()._increment_stream_state({str(self.replication_key): value}, context=context)
        self.finalize_state_progress_markers(state)
