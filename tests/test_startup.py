"""The start of a run (issue 18): the catalog checked without building it, the collector paused."""

from __future__ import annotations

import contextlib
import gc
import io
import json
import subprocess
import sys
import weakref
from typing import TYPE_CHECKING, Any

import pytest
from singer_sdk import Stream

from tap_tiktok_ads import gc_pause
from tap_tiktok_ads.inputs import catalog_shape_errors, catalog_text_is_well_shaped
from tap_tiktok_ads.streams.reports import ReportStream
from tap_tiktok_ads.tap import TapTikTokAds
from tests.conftest import catalog_for

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

CONFIG: dict[str, Any] = {"access_token": "t", "advertiser_ids": ["1"]}


class Stop(Exception):  # noqa: N818 - a signal, not an error
    """Ends a run once the tap has started."""


@pytest.fixture
def collector_on() -> Iterator[None]:
    """The collector on, as in a fresh interpreter, whatever the test runner did."""
    was = gc.isenabled()
    gc.enable()
    yield
    gc.unfreeze()  # what a command's start froze collects as usual again
    if not was:
        gc.disable()


def _record_collector(monkeypatch: pytest.MonkeyPatch, seen: dict[str, bool]) -> None:
    """Note whether the collector runs while streams are built and when the sync starts."""
    discover = TapTikTokAds.discover_streams

    def discover_streams(tap: TapTikTokAds) -> Any:
        seen["discover_streams"] = gc.isenabled()
        return discover(tap)

    def resolve_advertisers(tap: TapTikTokAds, streams: Any) -> None:
        del tap, streams
        seen["sync_all"] = gc.isenabled()
        seen["start frozen"] = gc.get_freeze_count() > 0
        raise Stop

    monkeypatch.setattr(TapTikTokAds, "discover_streams", discover_streams)
    monkeypatch.setattr(TapTikTokAds, "resolve_advertisers", resolve_advertisers)


@pytest.mark.usefixtures("collector_on")
def test_a_sync_starts_with_the_collector_paused_and_syncs_with_it_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "config.json").write_text(json.dumps(CONFIG))
    catalog = catalog_for(CONFIG, {"ad_report_daily": ["spend"]})
    (tmp_path / "catalog.json").write_text(json.dumps(catalog))
    seen: dict[str, bool] = {}
    _record_collector(monkeypatch, seen)
    monkeypatch.setattr(gc_pause._Pause, "owns_process", True)  # as the command's would be
    args = ["--config", str(tmp_path / "config.json"), "--catalog", str(tmp_path / "catalog.json")]
    with pytest.raises(Stop):
        TapTikTokAds.cli(args, standalone_mode=False)
    # In a process the command owns, what lives at the sync's start is frozen.
    assert seen == {"discover_streams": False, "sync_all": True, "start frozen": True}
    assert gc.isenabled()


@pytest.mark.usefixtures("collector_on")
def test_a_command_line_run_in_another_programs_process_freezes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`TapTikTokAds.cli` called in-process (tests, an orchestrator): the caller's heap is not
    frozen, so its garbage and the run's own objects are collected as usual (found by review:
    every run was kept, about 25 MB each)."""
    monkeypatch.setattr(gc_pause._Pause, "owns_process", False)
    (tmp_path / "config.json").write_text(json.dumps(CONFIG))
    (tmp_path / "catalog.json").write_text(json.dumps(catalog_for(CONFIG, {})))
    args = ["--config", str(tmp_path / "config.json"), "--catalog", str(tmp_path / "catalog.json")]
    taps: list[weakref.ref[TapTikTokAds]] = []
    init = TapTikTokAds.__init__

    def noting(tap: TapTikTokAds, *a: Any, **k: Any) -> None:
        init(tap, *a, **k)
        taps.append(weakref.ref(tap))

    monkeypatch.setattr(TapTikTokAds, "__init__", noting)
    for _ in range(2):
        with contextlib.redirect_stdout(io.StringIO()):
            TapTikTokAds.cli(args, standalone_mode=False)
    assert gc.get_freeze_count() == 0
    gc.collect()
    assert len(taps) == 2
    # The first run's tap is gone; the SDK's signal handler holds the last one until replaced.
    assert taps[0]() is None


@pytest.mark.usefixtures("collector_on")
def test_discovery_runs_with_the_collector_paused_and_turns_it_back_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "config.json").write_text(json.dumps(CONFIG))
    seen: dict[str, bool] = {}
    _record_collector(monkeypatch, seen)
    TapTikTokAds.cli(
        ["--config", str(tmp_path / "config.json"), "--discover"], standalone_mode=False
    )
    assert seen == {"discover_streams": False}
    assert gc.isenabled()
    assert json.loads(capsys.readouterr().out)["streams"]


def test_a_collector_the_caller_turned_off_stays_off() -> None:
    was = gc.isenabled()
    gc.disable()
    try:
        with gc_pause.collector_paused():
            gc_pause.resume()
            assert not gc.isenabled()
        assert not gc.isenabled()
    finally:
        if was:
            gc.enable()


def test_resume_ends_the_pause_early_and_once(collector_on: None) -> None:
    del collector_on
    with gc_pause.collector_paused():
        assert not gc.isenabled()
        gc_pause.resume()
        assert gc.isenabled()
        gc.disable()  # someone else's choice after the pause: the exit leaves it alone
    assert not gc.isenabled()
    gc.enable()


WELL_SHAPED = {"streams": [{"tap_stream_id": "a", "schema": {}, "metadata": []}]}


@pytest.mark.parametrize(
    "text",
    [
        json.dumps(WELL_SHAPED),
        json.dumps({"streams": [{"tap_stream_id": "a"}], "extra": 1}),
        json.dumps({"streams": []}),
        json.dumps({"streams": {}}),
        json.dumps({"nothing": []}),
        json.dumps({"streams": [{"tap_stream_id": 1}]}),
        json.dumps({"streams": [{"tap_stream_id": None}]}),
        json.dumps({"streams": [{"tap_stream_id": "a", "schema": []}]}),
        json.dumps({"streams": [{"tap_stream_id": "a", "schema": None}]}),
        json.dumps({"streams": [{"tap_stream_id": "a", "metadata": {}}]}),
        json.dumps({"streams": ["a"]}),
        json.dumps([WELL_SHAPED]),
        '{"streams": [{"tap_stream_id": "a", "schema": {"x": NaN}}]}',
        '{"streams": [{"tap_stream_id": "a", "schema": {"properties": {"x": [1,]}}}]}',
        '{"streams": [{"tap_stream_id": "a", "metadata": [{"breadcrumb": []}}]}',
        '{"streams": [{"tap_stream_id": "a", "metadata": [{"metadata": {}}]}]}',
        '{"streams": [{"tap_stream_id": "a", "metadata": [{"breadcrumb": "", "metadata": {}}]}]}',
        '{"streams": [{"tap_stream_id": "a", "metadata": [{"breadcrumb": [], "metadata": []}]}]}',
        '{"streams": [{"tap_stream_id": "a", "metadata": [{"breadcrumb": [], "metadata": {}}]}]}',
        "",
    ],
)
def test_the_quick_check_accepts_only_catalogs_the_full_check_accepts(text: str) -> None:
    """The quick check may send a good catalog to the full one, never a bad one past it."""
    try:
        parsed = json.loads(text)
    except ValueError:
        full_accepts = False
    else:
        full_accepts = isinstance(parsed, dict) and not catalog_shape_errors(parsed)
    if catalog_text_is_well_shaped(text):
        assert full_accepts
    assert catalog_text_is_well_shaped(text) == full_accepts or "NaN" in text


def test_the_tap_s_own_catalog_passes_the_quick_check() -> None:
    catalog = TapTikTokAds(config=CONFIG, setup_mapper=False).catalog_json_text
    assert catalog_text_is_well_shaped(catalog)


def test_every_stream_applies_the_catalog_as_the_sdk_does() -> None:
    """Keys, replication and the effective schema, from an edited catalog, selected or not."""
    catalog = catalog_for(CONFIG, {"ad_report_daily": ["spend"], "campaigns": None})
    for entry in catalog["streams"]:
        if entry["tap_stream_id"] == "ads":  # a deselected stream the catalog changes
            entry["key_properties"] = ["ad_id", "advertiser_id"]
            entry["replication_method"] = "FULL_TABLE"
            entry["schema"]["properties"]["extra"] = {"type": ["string", "null"]}
    ours = TapTikTokAds(config=CONFIG, catalog=catalog, setup_mapper=False)
    sdk = TapTikTokAds(config=CONFIG, setup_mapper=False)
    sdk_catalog = ours.input_catalog
    assert sdk_catalog is not None
    for name, stream in ours.streams.items():
        theirs = sdk.streams[name]
        Stream.apply_catalog(theirs, sdk_catalog)  # the SDK's own method
        assert theirs._input_schema is not None
        assert stream.effective_schema == theirs.effective_schema, name
        assert list(stream.primary_keys or ()) == list(theirs.primary_keys or ()), name
        assert stream.replication_key == theirs.replication_key, name
        assert stream.forced_replication_method == theirs.forced_replication_method, name
    assert "extra" in ours.streams["ads"].effective_schema["properties"]
    assert ours.streams["ads"].forced_replication_method == "FULL_TABLE"


# Registered before the tap's own exit handlers, so it runs after them (atexit is LIFO).
STATE = {"bookmarks": {"campaigns": {"replication_key_value": "2026-01-01 00:00:00"}}}
_REPORT_FROZEN_AT_EXIT = """
import atexit, gc, sys
atexit.register(lambda: print("frozen at exit:", gc.get_freeze_count() > 0, file=sys.stderr))
from tap_tiktok_ads.tap import main
main(sys.argv[1:])
"""


@pytest.mark.parametrize("command", ["discover", "sync"])
def test_the_command_leaves_its_heap_to_the_system_at_exit(tmp_path: Path, command: str) -> None:
    """The interpreter's last collection skips what lives at exit; output is still complete."""
    (tmp_path / "config.json").write_text(json.dumps(CONFIG))
    args = ["--config", str(tmp_path / "config.json")]
    if command == "discover":
        args.append("--discover")
    else:  # nothing selected: a sync without requests that writes the STATE it was given
        (tmp_path / "catalog.json").write_text(json.dumps(catalog_for(CONFIG, {})))
        (tmp_path / "state.json").write_text(json.dumps(STATE))
        args += [
            "--catalog",
            str(tmp_path / "catalog.json"),
            "--state",
            str(tmp_path / "state.json"),
        ]
    done = subprocess.run(
        [sys.executable, "-c", _REPORT_FROZEN_AT_EXIT, *args],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    assert "frozen at exit: True" in done.stderr
    if command == "discover":
        assert json.loads(done.stdout)["streams"]
    else:
        assert [json.loads(line) for line in done.stdout.splitlines()] == [
            {"type": "STATE", "value": STATE}
        ]


# Notes each collection made while the tap's module is imported, and prints how many.
_COUNT_COLLECTIONS_DURING_IMPORT = """
import atexit, gc, runpy, sys
during_import = []
def note(phase, info):
    tap = sys.modules.get("tap_tiktok_ads.tap")
    if phase == "start" and tap is not None and not hasattr(tap, "main"):
        during_import.append(info["generation"])
gc.callbacks.append(note)
atexit.register(lambda: print("collections while importing:", len(during_import), file=sys.stderr))
sys.argv = ["tap-tiktok-ads", *sys.argv[1:]]
runpy.run_module("tap_tiktok_ads", run_name="__main__")
"""


def test_the_command_imports_the_tap_with_the_collector_paused(tmp_path: Path) -> None:
    (tmp_path / "config.json").write_text(json.dumps(CONFIG))
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            _COUNT_COLLECTIONS_DURING_IMPORT,
            "--config",
            str(tmp_path / "config.json"),
            "--discover",
        ],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    assert "collections while importing: 0" in done.stderr
    assert json.loads(done.stdout)["streams"]


def test_a_sync_start_builds_the_schemas_of_the_selected_reports_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Report schemas are built when read, once."""
    (tmp_path / "config.json").write_text(json.dumps(CONFIG))
    catalog = catalog_for(CONFIG, {"ad_report_daily": ["spend"]})
    (tmp_path / "catalog.json").write_text(json.dumps(catalog))
    started: list[TapTikTokAds] = []

    def resolve_advertisers(tap: TapTikTokAds, streams: Any) -> None:
        del streams
        started.append(tap)
        raise Stop

    monkeypatch.setattr(TapTikTokAds, "resolve_advertisers", resolve_advertisers)
    args = ["--config", str(tmp_path / "config.json"), "--catalog", str(tmp_path / "catalog.json")]
    with pytest.raises(Stop), contextlib.suppress(SystemExit):
        TapTikTokAds.cli(args, standalone_mode=False)
    reports = {n: s for n, s in started[0].streams.items() if isinstance(s, ReportStream)}
    assert {name for name, stream in reports.items() if stream._schema is not None} == {
        "ad_report_daily"
    }
    hourly = reports["ad_report_hourly"]
    assert hourly.schema is hourly.schema  # built once
    discovered = TapTikTokAds(config=CONFIG, setup_mapper=False)
    assert hourly.schema == discovered.streams["ad_report_hourly"].schema
    discovered.runtime.close()
    started[0].runtime.close()
