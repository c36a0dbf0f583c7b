"""The `count-records` mapper (plugins/singer-record-count) passes every byte on and counts.

`scripts/demo` compares the loaded tables with its counts, so it must count what the tap sent
and change nothing on the way to the loader.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PLUGIN = REPO / "plugins" / "singer-record-count"


def test_messages_pass_unchanged_and_records_and_keys_are_counted(tmp_path):
    messages = [
        {"type": "SCHEMA", "stream": "ads", "schema": {}, "key_properties": ["a", "d"]},
        {"type": "RECORD", "stream": "ads", "record": {"a": "1", "d": "2026-11-20", "n": 1}},
        {"type": "RECORD", "stream": "ads", "record": {"a": "1", "d": "2026-11-20", "n": 2}},
        {"type": "STATE", "value": {"bookmarks": {}}},
        {"type": "RECORD", "stream": "ads", "record": {"a": "1", "d": "2026-11-21", "n": 3}},
        {"type": "SCHEMA", "stream": "log", "schema": {}, "key_properties": []},
        {"type": "RECORD", "stream": "log", "record": {"line": "x"}},
        {"type": "RECORD", "stream": "log", "record": {"line": "x"}},
        {"type": "SCHEMA", "stream": "empty", "schema": {}, "key_properties": ["id"]},
    ]
    # Spacing and key order as a tap may write them: the output must be the same bytes.
    text = "".join(json.dumps(m, indent=None, separators=(", ", ": ")) + "\n" for m in messages)
    output = tmp_path / "counts" / "record-counts.json"
    config = tmp_path / "config.json"
    config.write_text(json.dumps({"output_path": str(output)}))
    result = subprocess.run(
        [sys.executable, "-m", "singer_record_count", "--config", str(config)],
        input=text.encode(),
        capture_output=True,
        env={**os.environ, "PYTHONPATH": str(PLUGIN)},
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr.decode()
    assert result.stdout == text.encode()
    assert json.loads(output.read_text()) == {
        "ads": {"records": 3, "distinct_keys": 2, "key_properties": ["a", "d"]},
        "empty": {"records": 0, "distinct_keys": 0, "key_properties": ["id"]},
        "log": {"records": 2, "distinct_keys": 2, "key_properties": []},
    }
