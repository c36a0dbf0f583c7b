"""Pass Singer messages through unchanged; count each stream's records and distinct keys.

Meltano runs it as a mapper between a tap and a target (`--config <file>` with `output_path`),
so what it counts is what the tap emitted and the target received. It shares no code with
either, which is what makes the count a check of the loader.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any


@dataclass
class StreamCount:
    """What one stream sent: its key properties, its records, and their distinct keys."""

    key_properties: list[str] = field(default_factory=list)
    records: int = 0
    keys: set[str] = field(default_factory=set)

    def add(self, record: dict[str, Any]) -> None:
        """Count one record; its key is the JSON of its key properties' values."""
        self.records += 1
        key = [record.get(name) for name in self.key_properties]
        self.keys.add(json.dumps(key, sort_keys=True, default=str))

    def summary(self) -> dict[str, Any]:
        """The counts, as written to the output file."""
        return {
            "records": self.records,
            "distinct_keys": len(self.keys) if self.key_properties else self.records,
            "key_properties": self.key_properties,
        }


def count_messages(source: IO[bytes], sink: IO[bytes]) -> dict[str, StreamCount]:
    """Copy `source` to `sink` line by line and count the RECORD messages per stream."""
    streams: dict[str, StreamCount] = {}
    for line in source:
        sink.write(line)
        if not line.strip():
            continue
        message = json.loads(line)
        kind = message.get("type")
        if kind == "SCHEMA":
            count = streams.setdefault(message["stream"], StreamCount())
            count.key_properties = list(message.get("key_properties") or [])
        elif kind == "RECORD":
            streams.setdefault(message["stream"], StreamCount()).add(message["record"])
        elif kind == "STATE":
            # A target may end the run after any STATE; what came before it is passed on now.
            sink.flush()
    sink.flush()
    return streams


def main(argv: list[str] | None = None) -> int:
    """Meltano's mapper entry point: `singer-record-count --config config.json`."""
    parser = argparse.ArgumentParser(prog="singer-record-count", description=__doc__)
    parser.add_argument("--config", type=Path, required=True, help="JSON with output_path")
    args = parser.parse_args(argv)
    config = json.loads(args.config.read_text())
    output = Path(config["output_path"])
    streams = count_messages(sys.stdin.buffer, sys.stdout.buffer)
    output.parent.mkdir(parents=True, exist_ok=True)
    summary = {name: count.summary() for name, count in sorted(streams.items())}
    output.write_text(json.dumps(summary, indent=2) + "\n")
    return 0
