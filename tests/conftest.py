"""Shared fixtures: the fake TikTok API on loopback and a tap runner that keeps messages."""

from __future__ import annotations

import copy
import datetime as dt
import json
import os
import subprocess
import sys
from collections import defaultdict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pytest
from hypothesis import settings as hypothesis_settings
from singer_sdk.contrib.msgspec import MsgSpecWriter
from singer_sdk.exceptions import FatalAPIError

from tap_tiktok_ads import dates
from tap_tiktok_ads.tap import TapTikTokAds
from tests.fake_api import DataSpec, FakeData, FakeTikTokApi

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

# Property tests draw the same examples every run ("repeatable"), so CI's verdict depends on the
# code alone; `HYPOTHESIS_PROFILE=explore scripts/test` draws new ones to look for edge cases
# (that is how the Los Angeles fall-back hour in test_dates was found), each kept as an
# `@example` once found.
hypothesis_settings.register_profile("repeatable", derandomize=True, database=None)
hypothesis_settings.register_profile("explore", derandomize=False)
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "repeatable"))

# Tests run at a fixed moment inside the fake's data range, so results never depend on the day.
NOW = dt.datetime(2026, 11, 20, 15, 30, tzinfo=dt.timezone.utc)
SMALL_SPEC = DataSpec(
    advertisers=3,
    campaigns_per_advertiser=2,
    adgroups_per_campaign=2,
    ads_per_adgroup=2,
    first_day=dt.date(2026, 9, 1),
    last_day=dt.date(2026, 12, 31),
)


class CollectingWriter(MsgSpecWriter):
    """The tap's own writer, keeping each message as a dict instead of printing it."""

    def __init__(self) -> None:
        super().__init__()
        self.messages: list[dict[str, Any]] = []

    def write_message(self, message: Any) -> None:
        # Encode and decode like a target would, so the test sees what goes on the wire.
        self.messages.append(json.loads(self.format_message(message)))


@dataclass
class SyncResult:
    """The messages of one run, sorted out."""

    messages: list[dict[str, Any]]
    records: dict[str, list[dict[str, Any]]] = field(default_factory=lambda: defaultdict(list))
    schemas: dict[str, dict[str, Any]] = field(default_factory=dict)
    states: list[dict[str, Any]] = field(default_factory=list)

    def __post_init__(self) -> None:
        for message in self.messages:
            kind = message["type"]
            if kind == "RECORD":
                self.records[message["stream"]].append(message["record"])
            elif kind == "SCHEMA":
                self.schemas[message["stream"]] = message
            elif kind == "STATE":
                self.states.append(message["value"])

    @property
    def state(self) -> dict[str, Any]:
        """The last STATE emitted."""
        return self.states[-1] if self.states else {}


def catalog_for(
    tap_config: dict[str, Any],
    streams: dict[str, list[str] | None],
) -> dict[str, Any]:
    """A catalog selecting these streams; a list selects exactly those properties."""
    tap = TapTikTokAds(config=tap_config, setup_mapper=False)
    catalog = tap.catalog_dict
    for entry in catalog["streams"]:
        wanted = entry["tap_stream_id"] in streams
        properties = streams.get(entry["tap_stream_id"])
        for item in entry["metadata"]:
            breadcrumb = item["breadcrumb"]
            if not breadcrumb:
                item["metadata"]["selected"] = wanted
            elif properties is not None:
                item["metadata"]["selected"] = breadcrumb[-1] in properties
    return catalog


def _tap(
    config: dict[str, Any],
    streams: dict[str, list[str] | None] | None,
    state: dict[str, Any] | None,
) -> tuple[TapTikTokAds, CollectingWriter]:
    writer = CollectingWriter()
    catalog = catalog_for(config, streams) if streams is not None else None
    state = copy.deepcopy(state) if state is not None else None
    tap = TapTikTokAds(config=config, catalog=catalog, state=state, message_writer=writer)
    return tap, writer


def run_tap(
    config: dict[str, Any],
    *,
    streams: dict[str, list[str] | None] | None = None,
    state: dict[str, Any] | None = None,
) -> SyncResult:
    """Run a full sync in-process and return its messages."""
    tap, writer = _tap(config, streams, state)
    tap.sync_all()
    return SyncResult(writer.messages)


def run_until_failure(
    config: dict[str, Any],
    *,
    streams: dict[str, list[str] | None] | None = None,
    state: dict[str, Any] | None = None,
) -> tuple[SyncResult, FatalAPIError]:
    """Run a sync that must fail; return what it emitted before, and the error."""
    tap, writer = _tap(config, streams, state)
    with pytest.raises(FatalAPIError) as failure:
        tap.sync_all()
    return SyncResult(writer.messages), failure.value


# Runs the tap's CLI with `dates.utc_now` frozen at the instant given as first argument.
FROZEN_CLI = """
import datetime, sys
from tap_tiktok_ads import dates
now = datetime.datetime.fromisoformat(sys.argv.pop(1))
dates.utc_now = lambda: now
from tap_tiktok_ads.tap import main
main()
"""


def cli_command(*args: str, now: dt.datetime | None = None) -> list[str]:
    """The installed tap's command line; with `now`, its clock frozen at that instant."""
    if now is None:
        return [sys.executable, "-m", "tap_tiktok_ads", *args]
    return [sys.executable, "-c", FROZEN_CLI, now.isoformat(), *args]


def run_cli(
    directory: Path | None,
    *args: str,
    config: dict[str, Any] | None = None,
    streams: dict[str, list[str] | None] | None = None,
    now: dt.datetime | None = None,
    env: dict[str, str] | None = None,
    timeout: float = 60,
) -> subprocess.CompletedProcess[str]:
    """Run the installed tap as a user would: `python -m tap_tiktok_ads ARGS` in `directory`.

    With `config`, writes config.json there and passes `--config` before ARGS; with `streams`,
    also a catalog.json that selects them, passed as `--catalog`. `now` freezes the tap's clock;
    `env` adds to the environment. Without a directory (`--about`, `--discover`) it runs in the
    current one.
    """
    options: list[str] = []
    if config is not None:
        assert directory is not None, "a config is written to the run's directory"
        (directory / "config.json").write_text(json.dumps(config))
        options += ["--config", str(directory / "config.json")]
        if streams is not None:
            (directory / "catalog.json").write_text(json.dumps(catalog_for(config, streams)))
            options += ["--catalog", str(directory / "catalog.json")]
    return subprocess.run(
        cli_command(*options, *args, now=now),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        cwd=directory,
        env=os.environ | env if env else None,
    )


@pytest.fixture
def frozen_now(monkeypatch: pytest.MonkeyPatch) -> dt.datetime:
    """Freeze the tap's clock at NOW."""
    monkeypatch.setattr(dates, "utc_now", lambda: NOW)
    return NOW


@pytest.fixture(scope="session")
def fake_data() -> FakeData:
    """The small deterministic data set most tests read."""
    return FakeData(SMALL_SPEC)


@pytest.fixture
def fake_api(fake_data: FakeData) -> Iterator[FakeTikTokApi]:
    """A fresh fake TikTok API on 127.0.0.1, its clock at NOW."""
    with FakeTikTokApi(fake_data, clock=lambda: NOW) as api:
        yield api


def tap_config(api: FakeTikTokApi, **overrides: Any) -> dict[str, Any]:
    """A config for the fake API; fast retries so fault tests stay quick."""
    config: dict[str, Any] = {
        "access_token": api.token,
        "advertiser_ids": api.data.advertiser_ids(),
        "api_base_url": api.base_url,
        "start_date": "2026-11-01",
        "end_date": "2026-11-20",
        "max_requests_per_second": 1000,
        "retry_initial_wait_seconds": 0.01,
        "max_retry_seconds": 20,
        "request_timeout_seconds": 5,
    }
    config.update(overrides)
    return config
