"""The message writer: the SDK's msgspec writer, flushed at STATE messages only.

The SDK's writers flush stdout after every message, a system call per record. Flushing before
each STATE and SCHEMA message (and at exit) keeps what matters: a target never sees a STATE
before the records it covers, and a killed run loses only records that its last STATE does
not cover, which the next run reads again. RECORD messages are gathered in chunks of
`CHUNK_BYTES` before they reach stdout: with about 80 metrics a record is 2 KB, and stdout's
own 8 KB buffer would still make a system call (and wake the target) every few records.
`write_records` encodes a page of RECORD messages in one msgspec call (batched_records.py),
with the SDK's encoder: the same bytes as one `write_message` per record.
"""

from __future__ import annotations

import atexit
import sys
from typing import TYPE_CHECKING, Any

import msgspec
from singer_sdk.contrib.msgspec import MsgSpecWriter, encoder
from singer_sdk.singerlib import SingerMessageType
from typing_extensions import override

from tap_tiktok_ads.record_pages import Records, is_struct_page

if TYPE_CHECKING:
    import datetime as dt

    from singer_sdk.singerlib import Message

CHUNK_BYTES = 1 << 18

# A RECORD message around a record structure (record_pages.py): `RecordMessage.to_dict`'s keys
# in its order, `version` only when the stream has one, `time_extracted` encoded once a page.
_MESSAGE_FIELDS = [("type", str), ("stream", str), ("record", Any)]
_Message = msgspec.defstruct(
    "RecordMessage", [*_MESSAGE_FIELDS, ("time_extracted", msgspec.Raw)], gc=False
)
_VersionedMessage = msgspec.defstruct(
    "VersionedRecordMessage",
    [*_MESSAGE_FIELDS, ("version", int), ("time_extracted", msgspec.Raw)],
    gc=False,
)


class BufferedMsgSpecWriter(MsgSpecWriter):
    """msgspec encoding; RECORD messages are buffered until the next non-RECORD message."""

    def __init__(self) -> None:
        """Start with nothing pending; what is pending at exit is written then."""
        super().__init__()
        self._pending = bytearray()
        atexit.register(self._write_pending)

    @override
    def write_message(self, message: Message) -> None:
        """Write one message; flush unless it is a RECORD."""
        self._pending += self.format_message(message)
        if message.type == SingerMessageType.RECORD and len(self._pending) < CHUNK_BYTES:
            return
        self._write_pending()
        if message.type != SingerMessageType.RECORD:
            sys.stdout.flush()

    def write_records(
        self,
        stream: str,
        records: Records,
        version: int | None,
        time_extracted: dt.datetime,
    ) -> None:
        """One RECORD message per record (`RecordMessage.to_dict`'s keys), encoded in one call.

        A page's lines (about 2 MB for 1000 records of 80 metrics) go to stdout as they are,
        after what is pending: copying them into the pending chunk would cost a pass over
        them and a buffer of their size.
        """
        if not records:
            return
        lines = encoded_lines(stream, records, version, time_extracted)
        if len(lines) < CHUNK_BYTES:
            self._pending += lines
            if len(self._pending) >= CHUNK_BYTES:
                self._write_pending()
            return
        self._write_pending()
        sys.stdout.buffer.write(lines)

    def _write_pending(self) -> None:
        if self._pending:
            sys.stdout.buffer.write(self._pending)
            self._pending.clear()


def encoded_lines(
    stream: str, records: Records, version: int | None, time_extracted: dt.datetime
) -> bytes:
    """The page's RECORD messages, one JSON line each, from dicts or record structures."""
    if is_struct_page(records):
        extracted = msgspec.Raw(encoder.encode(time_extracted))
        if version is None:
            return encoder.encode_lines(
                [_Message("RECORD", stream, record, extracted) for record in records]
            )
        return encoder.encode_lines(
            [_VersionedMessage("RECORD", stream, record, version, extracted) for record in records]
        )
    extra: dict[str, Any] = {} if version is None else {"version": version}
    extra["time_extracted"] = time_extracted
    return encoder.encode_lines(
        [{"type": "RECORD", "stream": stream, "record": record, **extra} for record in records]
    )
