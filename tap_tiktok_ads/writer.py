"""The message writer: the SDK's msgspec writer, flushed at STATE messages only.

The SDK's writers flush stdout after every message, a system call per record. Flushing before
each STATE and SCHEMA message (and at exit) keeps what matters: a target never sees a STATE
before the records it covers, and a killed run loses only records that its last STATE does
not cover, which the next run reads again.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

from singer_sdk.contrib.msgspec import MsgSpecWriter
from singer_sdk.singerlib import SingerMessageType
from typing_extensions import override

if TYPE_CHECKING:
    from singer_sdk.singerlib import Message


class BufferedMsgSpecWriter(MsgSpecWriter):
    """msgspec encoding; RECORD messages are buffered until the next non-RECORD message."""

    @override
    def write_message(self, message: Message) -> None:
        """Write one message; flush unless it is a RECORD."""
        sys.stdout.buffer.write(self.format_message(message))
        if message.type != SingerMessageType.RECORD:
            sys.stdout.flush()
