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


def kept_by_streams(tap_state: Mapping[str, object], key: str) -> Iterator[object]:
    """What each stream's state keeps under `key` (a state of another shape keeps nothing)."""
    bookmarks = tap_state.get("bookmarks")
    for stream_state in (bookmarks if isinstance(bookmarks, dict) else {}).values():
        if isinstance(stream_state, dict) and key in stream_state:
            yield stream_state[key]


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

    def set_bookmark(self, context: Context, value: str) -> None:
        """Write the partition's bookmark and a STATE message, unless it would move backwards.

        Values are compared as text: each stream writes its replication key in one ISO 8601
        form, whose order is the order of time.
        """
        state = self.get_context_state(context)
        current = state.get("replication_key_value")
        if current is not None and str(current) >= value:
            return
        super()._increment_stream_state({str(self.replication_key): value}, context=context)
        self.finalize_state_progress_markers(state)
