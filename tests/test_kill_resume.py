"""Kill and resume: SIGKILL the tap's process anywhere, run again from its last STATE.

The tap runs as a real CLI process (its clock frozen at the tests' moment) against the fake
in this process, one request at a time and with some latency, so that kill points land in
the middle of the run: after the k-th STATE line, and between two records of one window.
The second run starts from the last STATE the killed one wrote; the union of both runs'
records, merged by key, must be the fake's truth: nothing lost.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pytest

from tests.conftest import NOW, catalog_for, cli_command, run_tap, tap_config
from tests.reliability import (
    REPORT_STREAMS,
    STREAMS,
    differences,
    merged,
    sync_config,
    truth,
)

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from tests.fake_api import FakeData, FakeTikTokApi

# The CLI with its clock frozen at the moment given as first argument.
LATENCY_SECONDS = 0.004


@dataclass
class KilledRun:
    """What a target would have received from the killed process."""

    records: dict[str, list[dict[str, Any]]]
    states: list[dict[str, Any]]
    returncode: int


def run_and_kill(tmp_path: Path, config: dict[str, Any], kill_after: Callable[[dict], bool]):
    """Run the CLI; SIGKILL it right after the message for which `kill_after` is true."""
    (tmp_path / "config.json").write_text(json.dumps(config))
    (tmp_path / "catalog.json").write_text(json.dumps(catalog_for(config, STREAMS)))
    command = cli_command(
        *("--config", str(tmp_path / "config.json")),
        *("--catalog", str(tmp_path / "catalog.json")),
        now=NOW,
    )
    records: dict[str, list[dict[str, Any]]] = {}
    states: list[dict[str, Any]] = []
    with subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
    ) as process:
        assert process.stdout is not None
        killed = False
        for line in process.stdout:
            try:
                message = json.loads(line)
            except ValueError:
                continue  # a line cut off by the kill never reaches a target
            if message["type"] == "RECORD":
                records.setdefault(message["stream"], []).append(message["record"])
            elif message["type"] == "STATE":
                states.append(message["value"])
            if not killed and kill_after(message):
                os.kill(process.pid, signal.SIGKILL)
                killed = True
        returncode = process.wait(timeout=30)
    return KilledRun(records, states, returncode)


def after_states(count: int) -> Callable[[dict], bool]:
    seen = {"states": 0}

    def check(message: dict) -> bool:
        seen["states"] += message["type"] == "STATE"
        return seen["states"] >= count

    return check


def mid_window(stream: str, records: int) -> Callable[[dict], bool]:
    """After `records` records of one stream, between two records of the same window."""
    seen = {"records": 0}

    def check(message: dict) -> bool:
        if message["type"] == "RECORD" and message["stream"] == stream:
            seen["records"] += 1
        return seen["records"] >= records

    return check


@pytest.mark.parametrize(
    "kill_after",
    [after_states(1), after_states(3), after_states(7), mid_window("campaign_report_hourly", 50)],
    ids=["state-1", "state-3", "state-7", "mid-hourly-window"],
)
def test_killed_run_resumes_from_its_last_state_without_loss(
    fake_api: FakeTikTokApi,
    fake_data: FakeData,
    frozen_now: Any,
    tmp_path: Path,
    kill_after: Callable[[dict], bool],
) -> None:
    del frozen_now
    config = sync_config(
        fake_api, tap_config(fake_api), page_size=4, max_concurrency=1, max_retries=2
    )
    fake_api.latency_seconds = LATENCY_SECONDS

    killed = run_and_kill(tmp_path, config, kill_after)

    assert killed.returncode == -signal.SIGKILL, "the run ended before the kill point"
    expected = truth(fake_data, NOW)
    assert differences(merged(killed.records), expected) != {}, "the kill lost nothing"
    fake_api.latency_seconds = 0
    state = killed.states[-1] if killed.states else None
    resumed = run_tap(config, streams=STREAMS, state=state)
    assert differences(merged(killed.records, resumed.records), expected) == {}
    # Every report bookmark carries its mark of finality, in each STATE a kill may leave.
    for written in [*killed.states, resumed.state]:
        for name in REPORT_STREAMS:
            for partition in written.get("bookmarks", {}).get(name, {}).get("partitions", []):
                assert partition.get("final_bookmark") == partition.get("replication_key_value")
    assert all(resumed.state["bookmarks"][name]["partitions"] for name in REPORT_STREAMS)
