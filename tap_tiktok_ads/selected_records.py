"""RECORD messages for streams whose records hold only selected properties, already typed.

For every record the SDK walks it against the selection mask to drop deselected properties
(`pop_deselected_record_properties`) and then conforms its types: a tuple and a lookup per
property, in the hottest loop of a large sync. A report record is built from the selection and
typed by its plan (`records.py`), so there is nothing to drop or conform; this hook writes the
messages as the SDK does, stream maps included, without that walk. Which emitted properties the
catalog deselects is decided once per stream, so the work per record follows the selection,
not the properties the catalog offers. `tests/test_sdk_contract.py` pins the SDK method this
replaces: an SDK that changes it fails there.
"""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING

from singer_sdk import Stream
from singer_sdk.helpers._util import utc_now
from singer_sdk.singerlib import RecordMessage
from typing_extensions import override

if TYPE_CHECKING:
    from collections.abc import Generator

    from singer_sdk.helpers import types


class SelectedRecordsStream(Stream):
    """A stream whose records are built from the selected properties only, in schema types."""

    def emitted_properties(self) -> list[str]:
        """Every top-level property a record of this stream can hold."""
        raise NotImplementedError

    @cached_property
    def _emitted_but_deselected(self) -> tuple[str, ...]:
        """Emitted properties the catalog deselects (none when it selects what is emitted)."""
        mask = self.mask
        return tuple(name for name in self.emitted_properties() if not mask[("properties", name)])

    @override
    def _generate_record_messages(
        self, record: types.Record
    ) -> Generator[RecordMessage, None, None]:
        """The SDK's messages, without its per-property deselection walk and type conformance."""
        for name in self._emitted_but_deselected:
            record.pop(name, None)
        for stream_map in self.stream_maps:
            mapped_record = stream_map.transform(record)
            if mapped_record is not None:
                yield RecordMessage(
                    stream=stream_map.stream_alias,
                    record=mapped_record,
                    version=self._stream_version,
                    time_extracted=utc_now(),
                )
