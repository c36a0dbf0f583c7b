"""RECORD messages a page at a time: the SDK's per-record sync loop, run once per page.

The SDK's `Stream._sync_records` handles each record on its own: the `--test` record limit,
`post_process`, child contexts, stream maps, one `RecordMessage` and one encoding call, a
counter increment. A report stream gets its records a page (up to 1000 rows) at a time and
uses none of those per-record features, so when none applies to it (no stream map or
flattening on the stream, no child streams, no record limit, `post_process` and the other
per-record hooks as the SDK defines them, bookmarks moved only by `set_bookmark`) this loop
does the same work once per page: the page's messages are encoded in one call (the writer's
`write_records`, else one message at a time), the record counter (and the run's progress)
moves by the page's size, and a STATE message follows every `STATE_MSG_FREQUENCY` records as
in the SDK. Otherwise the SDK's own loop runs over the same records (`get_records` flattens
the pages), so stream maps and `--test` behave as the SDK defines them.

The page loop runs with fewer garbage collections: the objects alive when it starts (the
catalog, the SDK's schema objects) are frozen out of them (`gc.freeze`), and the youngest
generation is collected after 50,000 allocations rather than 700, so that a page's rows and
records, freed by reference counting once written, are not traversed (and promoted to older
generations, to be traversed again) by collections made while they are alive. Both are put
back when the stream ends.

`time_extracted` is taken once per page, when its messages are written, rather than once per
record. `tests/test_sdk_contract.py` pins, by their source digests, the SDK methods this loop
reproduces, and compares its messages with the SDK's loop.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from singer_sdk import Stream
from singer_sdk.helpers._util import utc_now
from singer_sdk.mapper import SameRecordTransform
from singer_sdk.singerlib import RecordMessage
from typing_extensions import override

from tap_tiktok_ads.bookmarks import CompleteDataBookmarks
from tap_tiktok_ads.gc_pause import fewer_collections
from tap_tiktok_ads.record_pages import Records, as_dicts, has_fields, is_struct_page
from tap_tiktok_ads.selected_records import SelectedRecordsStream

if TYPE_CHECKING:
    import datetime as dt
    from collections.abc import Generator, Iterable, Iterator

    from singer_sdk.helpers import types


@runtime_checkable
class RecordBatchWriter(Protocol):
    """A message writer that can write many RECORD messages of one stream at once."""

    def write_records(
        self,
        stream: str,
        records: Records,
        version: int | None,
        time_extracted: dt.datetime,
    ) -> None:
        """Write one RECORD message per record, as `write_message` would, in this order."""


# The SDK's per-record hooks that the page loop does not call: a stream that overrides one
# takes the SDK's loop.
_PER_RECORD_HOOKS = (
    "post_process",
    "_process_record",
    "generate_child_contexts",
    "_write_record_message",
    "_check_max_record_limit",
)


class PageBatchedStream(CompleteDataBookmarks, SelectedRecordsStream):
    """A stream whose records come in pages and go out a page at a time when they can."""

    def get_record_batches(self, context: types.Context | None) -> Iterable[Records]:
        """The partition's records, a page (a list) at a time, in order."""
        raise NotImplementedError

    @override
    def get_records(self, context: types.Context | None) -> Iterator[dict[str, Any]]:
        """The same records one by one, as dicts, for the SDK's loop."""
        for batch in self.get_record_batches(context):
            yield from as_dicts(batch)

    def pages_apply(self, *, write_messages: bool = True) -> bool:
        """Whether the page loop gives what the SDK's loop would for this sync."""
        stream_maps = self.stream_maps
        only = stream_maps[0] if len(stream_maps) == 1 else None
        cls = type(self)
        return (
            write_messages
            and self.selected
            and self.ABORT_AT_RECORD_COUNT is None
            and not self.child_streams
            and type(only) is SameRecordTransform
            and only.stream_alias == self.name
            and not only.flattening_enabled
            and all(getattr(cls, name) is getattr(Stream, name) for name in _PER_RECORD_HOOKS)
            and cls._increment_stream_state is CompleteDataBookmarks._increment_stream_state  # noqa: SLF001
        )

    @override
    def _sync_records(
        self, context: types.Context | None = None, *, write_messages: bool = True
    ) -> Generator[Any, Any, Any]:
        """The SDK's loop (see the module docstring), a page at a time when it applies.

        The page loop yields the records as written, dicts or structures (record_pages.py):
        it runs only when messages are written, and the SDK's `sync` discards what it yields.
        """
        if not self.pages_apply(write_messages=write_messages):
            yield from super()._sync_records(context, write_messages=write_messages)
            return
        record_counter = self.get_record_counter()
        timer = self.get_sync_timer()
        record_index = 0
        frequency = self.STATE_MSG_FREQUENCY
        context_list = [context] if context is not None else self.partitions
        with record_counter, timer, fewer_collections():
            for context_element in context_list or [{}]:
                record_counter.with_context(context_element)
                timer.with_context(context_element)
                current_context = context_element or None
                partition_context = self._get_state_partition_context(current_context)
                self._write_starting_replication_value(current_context)
                for page in self.get_record_batches(current_context):
                    if not page:
                        continue
                    batch = _with_partition_keys(page, partition_context)
                    self._write_record_batch(batch)
                    count = len(batch)
                    crossed = (record_index + count) // frequency > record_index // frequency
                    record_index += count
                    if crossed:
                        self._write_state_message()
                    record_counter.increment(count)
                    yield from batch
                if current_context == partition_context:
                    self._finalize_state(self.get_context_state(current_context))
        if not context:
            self._finalize_state(self.stream_state)
        self._write_state_message()

    def _write_record_batch(self, records: Records) -> None:
        """One page's RECORD messages, deselected emitted properties dropped."""
        if self._emitted_but_deselected:
            records = as_dicts(records)
            for name in self._emitted_but_deselected:
                for record in records:
                    record.pop(name, None)
        time_extracted = utc_now()
        writer = self._tap.message_writer
        if isinstance(writer, RecordBatchWriter):
            writer.write_records(self.name, records, self._stream_version, time_extracted)
        else:
            for record in as_dicts(records):
                self._tap.write_message(
                    RecordMessage(
                        stream=self.name,
                        record=record,
                        version=self._stream_version,
                        time_extracted=time_extracted,
                    )
                )
        self.state_manager.is_flushed = False


def _with_partition_keys(records: Records, partition_context: types.Context | None) -> Records:
    """The SDK's `_process_record`: state partition keys a record lacks are added to it.

    A page of structures that has every key (a report's `advertiser_id`) stays one; one that
    lacks a key becomes dicts.
    """
    if not partition_context:
        return records
    if is_struct_page(records) and has_fields(records, tuple(partition_context)):
        return records
    dicts = as_dicts(records)
    for key, value in partition_context.items():
        for record in dicts:
            if key not in record:
                record[key] = value
    return dicts
