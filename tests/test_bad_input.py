"""Every input mistake: non-zero exit before any request, naming the key, the value and the fix.

Config settings, config files, catalogs and state files. Each row runs the real command line
against the fake (which must see no request) and checks stderr for the pieces of the
message a user needs, and for the absence of a traceback.
"""

from __future__ import annotations

import copy
import dataclasses
import json
import subprocess
from typing import TYPE_CHECKING, Any

import pytest

from tap_tiktok_ads.dates import format_day, format_hour, utc_now
from tap_tiktok_ads.inputs import state_errors
from tap_tiktok_ads.settings import check_settings
from tap_tiktok_ads.tap import TapTikTokAds
from tests.conftest import CollectingWriter, catalog_for, run_cli, run_tap, tap_config
from tests.fake_api.business_centers import business_centers

if TYPE_CHECKING:
    import datetime as dt
    from pathlib import Path

    from tests.fake_api import FakeData, FakeTikTokApi

DISCOVER = "--discover"
DATE_FIX = "use YYYY-MM-DD, 'today', 'yesterday', 'today-N'"


def custom(**entry: Any) -> dict[str, Any]:
    """A `custom_reports` setting with one report, `entry` changing a valid one."""
    report = {"name": "mine", "report_type": "BASIC", "data_level": "AD", "metrics": ["spend"]}
    return {"custom_reports": [report | entry]}


# (config changes, the pieces the message must hold: key, value, fix)
BAD_CONFIGS: dict[str, tuple[dict[str, Any], list[str]]] = {
    "missing token": ({"access_token": None}, ["`access_token` is not set", "set it"]),
    "no advertisers, no app credentials": (
        {"advertiser_ids": [], "app_id": None, "secret": None},
        ["`advertiser_ids` is empty", "`app_id`", "list the advertiser IDs"],
    ),
    "impossible date": ({"start_date": "2026-02-30"}, ["`start_date`", "'2026-02-30'", DATE_FIX]),
    "date with slashes": ({"end_date": "2026/11/20"}, ["`end_date`", "'2026/11/20'", DATE_FIX]),
    "relative date forward": ({"start_date": "today+3"}, ["`start_date`", "'today+3'", DATE_FIX]),
    "relative date words": ({"start_date": "last week"}, ["`start_date`", "'last week'", DATE_FIX]),
    "relative date bad number": (
        {"end_date": "yesterday-x"},
        ["`end_date`", "'yesterday-x'", DATE_FIX],
    ),
    "start after end": (
        {"start_date": "2026-11-10", "end_date": "2026-11-01"},
        ["`start_date` (2026-11-10)", "`end_date` (2026-11-01)", "swap them"],
    ),
    "start after relative end": (
        {"start_date": "today", "end_date": "today-5"},
        ["`start_date` (today)", "`end_date` (today-5)", "swap them"],
    ),
    "page size zero": ({"page_size": 0}, ["`page_size` is 0", "between 1 and 1000"]),
    "page size too big": ({"page_size": 5000}, ["`page_size` is 5000", "between 1 and 1000"]),
    "page size not a number": (
        {"page_size": "lots"},
        ["'lots' is not of type 'integer'", "config['page_size']"],
    ),
    "negative attribution window": (
        {"attribution_window_days": -1},
        ["`attribution_window_days` is -1", "between 0 and 90", "default is 7"],
    ),
    "negative audience lookback": (
        {"audience_lookback_hours": -2},
        ["`audience_lookback_hours` is -2", "between 0 and 168", "latency table"],
    ),
    "audience lookback too long": (
        {"audience_lookback_hours": 500},
        ["`audience_lookback_hours` is 500", "between 0 and 168"],
    ),
    "no concurrency": ({"max_concurrency": 0}, ["`max_concurrency` is 0", "default is 16"]),
    "too much concurrency": (
        {"max_concurrency": 64},
        ["`max_concurrency` is 64", "between 1 and 32", "default is 16"],
    ),
    "no requests per second": (
        {"max_requests_per_second": 0},
        ["`max_requests_per_second` is 0", "between 0.1 and 1000", "default is 10"],
    ),
    "too many retries": ({"max_retries": 101}, ["`max_retries` is 101", "between 0 and 100"]),
    "negative retry budget": (
        {"max_retry_seconds": -5},
        ["`max_retry_seconds` is -5", "between 0 and 86400", "default is 600"],
    ),
    "negative first retry wait": (
        {"retry_initial_wait_seconds": -0.5},
        ["`retry_initial_wait_seconds` is -0.5", "between 0 and 600", "default is 1"],
    ),
    "no timeout": (
        {"request_timeout_seconds": 0},
        ["`request_timeout_seconds` is 0", "between 1 and 3600", "default is 300"],
    ),
    "unknown week start": (
        {"week_start_day": "FUNDAY"},
        ["'FUNDAY' is not one of", "config['week_start_day']", "'MONDAY'"],
    ),
    "bad shard": ({"advertiser_shard": "3/2"}, ["`advertiser_shard`", "3/2"]),
    "custom report unknown metric": (
        custom(metrics=["spend", "spendd"]),
        ["`custom_reports[0]` ('mine')", "Unknown metric 'spendd'", "Did you mean 'spend'"],
    ),
    "custom report unknown report type": (
        custom(report_type="BASICS"),
        ["`custom_reports[0]` ('mine')", "report_type 'BASICS'", "BASIC, AUDIENCE"],
    ),
    "custom report unknown level": (
        custom(data_level="ADD"),
        ["`custom_reports[0]` ('mine')", "data_level 'ADD'", "ADVERTISER, CAMPAIGN, ADGROUP, AD"],
    ),
    "custom report unknown dimension": (
        custom(dimensions=["ad_id", "weather"]),
        ["`custom_reports[0]` ('mine')", "unknown dimension 'weather'", "Valid dimensions:"],
    ),
    "custom report named like a built-in stream": (
        custom(name="ad_report_daily"),
        ["`custom_reports[0]` ('ad_report_daily')", "exists already", "choose another name"],
    ),
    "tiktok account without refresh token": (
        {"tiktok_accounts": [{"business_id": "b1"}], "app_id": "a", "secret": "s"},
        ["`tiktok_accounts[0]` (business_id 'b1')", "no `refresh_token`", "authorise the account"],
    ),
    "blank refresh token store": (
        {"refresh_token_store_path": "  "},
        ["`refresh_token_store_path` is blank", "or remove it"],
    ),
    "base url without scheme": (
        {"api_base_url": "business-api.tiktok.com"},
        ["`api_base_url` is 'business-api.tiktok.com'", "https://"],
    ),
    "blank advertiser id": (
        {"advertiser_ids": ["1", ""]},
        ["`advertiser_ids[1]` is blank", "remove the entry"],
    ),
    "advertiser id of spaces": ({"advertiser_ids": ["  "]}, ["`advertiser_ids[0]` is blank"]),
    "blank business center id": (
        {"business_center_ids": ["7", " "]},
        ["`business_center_ids[1]` is blank", "remove the entry"],
    ),
}


def assert_clear_failure(done: subprocess.CompletedProcess[str], pieces: list[str]) -> None:
    assert done.returncode != 0
    assert "Traceback" not in done.stderr, done.stderr
    for piece in pieces:
        assert piece in done.stderr, (piece, done.stderr)
    assert not [line for line in done.stdout.splitlines() if '"RECORD"' in line]


@pytest.mark.parametrize("case", BAD_CONFIGS)
def test_bad_config(tmp_path: Path, fake_api: FakeTikTokApi, case: str) -> None:
    overrides, pieces = BAD_CONFIGS[case]
    config = {k: v for k, v in tap_config(fake_api, **overrides).items() if v is not None}
    (tmp_path / "config.json").write_text(json.dumps(config))
    assert_clear_failure(run_cli(tmp_path, "--config", "config.json"), pieces)
    assert fake_api.count() == 0


# -- files: config, catalog, state -----------------------------------------------------------


def _catalog(config: dict[str, Any], change: str) -> Any:
    """A catalog selecting ad_report_daily, spoilt in one way."""
    catalog = catalog_for(config, {"ad_report_daily": None})
    entry = next(e for e in catalog["streams"] if e["tap_stream_id"] == "ad_report_daily")
    if change == "unknown property":
        entry["schema"]["properties"]["spend_typo"] = {"type": ["number", "null"]}
        entry["metadata"].append(
            {"breadcrumb": ["properties", "spend_typo"], "metadata": {"selected": True}}
        )
    elif change == "property in metadata only":
        entry["metadata"].append(
            {
                "breadcrumb": ["properties", "cost_per_1000_reached_x"],
                "metadata": {"selected": True},
            }
        )
    elif change == "unknown stream":
        entry["tap_stream_id"] = entry["stream"] = "ad_report_dialy"
    elif change == "streams not a list":
        return {"streams": {"ad_report_daily": entry}}
    elif change == "entry without id":
        del entry["tap_stream_id"]
    elif change == "metadata item without breadcrumb":
        del entry["metadata"][1]["breadcrumb"]
    elif change == "metadata item without metadata":
        del entry["metadata"][0]["metadata"]
        del entry["metadata"][2]["metadata"]
    return catalog


BAD_CATALOGS: dict[str, list[str]] = {
    "unknown property": [
        "stream 'ad_report_daily' selects property 'spend_typo'",
        "Did you mean 'spend'",
        DISCOVER,
    ],
    "property in metadata only": ["selects property 'cost_per_1000_reached_x'", DISCOVER],
    "unknown stream": [
        "selects stream 'ad_report_dialy'",
        "Did you mean 'ad_report_daily'",
        DISCOVER,
    ],
    "streams not a list": ["no `streams` list", DISCOVER],
    "entry without id": ["`streams[", "has no `tap_stream_id`", DISCOVER],
    "metadata item without breadcrumb": [
        "('ad_report_daily') of the catalog: `metadata[1]` needs a `breadcrumb` list",
        DISCOVER,
    ],
    "metadata item without metadata": [
        "('ad_report_daily') of the catalog: `metadata[0]` (and 1 more)",
        "a `metadata` object",
        DISCOVER,
    ],
}


@pytest.mark.parametrize("change", BAD_CATALOGS)
def test_bad_catalog(tmp_path: Path, fake_api: FakeTikTokApi, change: str) -> None:
    config = tap_config(fake_api)
    (tmp_path / "config.json").write_text(json.dumps(config))
    (tmp_path / "catalog.json").write_text(json.dumps(_catalog(config, change)))
    done = run_cli(tmp_path, "--config", "config.json", "--catalog", "catalog.json")
    assert_clear_failure(done, BAD_CATALOGS[change])
    assert fake_api.count() == 0


STATE_FIX = "last STATE"


def bookmarked(value: Any, partition: dict[str, Any] | None = None) -> str:
    """A state whose one ad_report_daily partition (of advertiser 1) has this bookmark."""
    partition = {"context": {"advertiser_id": "1"}} if partition is None else partition
    partitions = [partition | {"replication_key_value": value}]
    return json.dumps({"bookmarks": {"ad_report_daily": {"partitions": partitions}}})


BOOKMARK_FIX = ["`bookmarks.ad_report_daily`", "for advertiser_id '1'", "YYYY-MM-DD", "remove it"]
BAD_STATES: dict[str, tuple[str, list[str]]] = {
    "not JSON": ('{"bookmarks": {', ["state file is not valid JSON", STATE_FIX]),
    "a list": ("[]", ["state file is a JSON list, not an object", STATE_FIX]),
    "bookmarks a list": ('{"bookmarks": []}', ["`bookmarks` in the state file is a list"]),
    "stream state a list": (
        '{"bookmarks": {"ad_report_daily": []}}',
        ["`bookmarks.ad_report_daily` in the state file is a list", STATE_FIX],
    ),
    "partitions not a list": (
        '{"bookmarks": {"ad_report_daily": {"partitions": {}}}}',
        ["`bookmarks.ad_report_daily`", "`partitions` must be a list", STATE_FIX],
    ),
    "bookmark not a date": (bookmarked("soon"), [*BOOKMARK_FIX, "'soon'", "not a date"]),
    # Bookmarks are compared as text: one of another form would never move again.
    "bookmark without dashes": (bookmarked("20261125"), [*BOOKMARK_FIX, "'20261125'"]),
    "bookmark a number": (bookmarked(20261125), [*BOOKMARK_FIX, "20261125"]),
    "bookmark with more after the date": (
        bookmarked("2026-11-25 or so"),
        [*BOOKMARK_FIX, "'2026-11-25 or so'"],
    ),
    "bookmark of an hour that is none": (
        bookmarked("2026-11-25T25:00:00+08:00"),
        [*BOOKMARK_FIX, "'2026-11-25T25:00:00+08:00'"],
    ),
    "partition without context": (
        bookmarked("2026-11-25", partition={}),
        ["`bookmarks.ad_report_daily`", "`partitions[0]` has no `context`", STATE_FIX],
    ),
    "a whole STATE message": (
        '{"type": "STATE", "value": {"bookmarks": {}}}',
        ["holds a whole STATE message", "pass the `value`"],
    ),
}


@pytest.mark.parametrize("case", BAD_STATES)
def test_bad_state(tmp_path: Path, fake_api: FakeTikTokApi, case: str) -> None:
    text, pieces = BAD_STATES[case]
    (tmp_path / "config.json").write_text(json.dumps(tap_config(fake_api)))
    (tmp_path / "state.json").write_text(text)
    done = run_cli(tmp_path, "--config", "config.json", "--state", "state.json")
    assert_clear_failure(done, pieces)
    assert fake_api.count() == 0


def test_the_bookmarks_the_tap_writes_pass() -> None:
    """Days, hours with their offset (hourly reports), moments (entities), TikTok's times."""
    day = utc_now().date()
    written = [
        format_day(day),
        format_hour(day, 13, "Asia/Shanghai"),
        format_hour(day, 0, "America/Los_Angeles"),
        utc_now().replace(microsecond=0).isoformat(),
        utc_now().isoformat(),
        "2026-01-01 00:00:00",
    ]
    assert written[1].endswith("+08:00")
    for value in written:
        assert state_errors(json.loads(bookmarked(value))) == [], value


def nullable_settings() -> list[str]:
    """Every setting whose schema allows null: the tap's and the SDK's (stream maps and such)."""
    schema = copy.deepcopy(TapTikTokAds.config_jsonschema)
    TapTikTokAds.append_builtin_config(schema)
    return [key for key, prop in schema["properties"].items() if "null" in prop["type"]]


def test_every_setting_set_to_null_takes_its_default(
    tmp_path: Path, fake_api: FakeTikTokApi
) -> None:
    """Null means the default, as a missing key does: for a sync and for `--discover`."""
    nullable = nullable_settings()
    assert {"max_retries", "attribution_window_days", "stream_maps", "report_mode"} <= set(nullable)
    needed = {"access_token", "advertiser_ids", "api_base_url"}
    given = {key: value for key, value in tap_config(fake_api).items() if key in needed}
    config = given | {key: None for key in nullable if key not in needed}
    defaults = TapTikTokAds(config=given).runtime.settings
    settings = TapTikTokAds(config=config).runtime.settings
    assert dataclasses.replace(settings, extra={}) == dataclasses.replace(defaults, extra={})
    synced = run_cli(tmp_path, config=config, streams={"campaigns": None})
    assert synced.returncode == 0, synced.stderr
    assert '"RECORD"' in synced.stdout
    discovered = run_cli(tmp_path, "--discover", config=config)
    assert discovered.returncode == 0, discovered.stderr
    assert "Traceback" not in synced.stderr + discovered.stderr


@pytest.mark.parametrize(
    ("text", "piece"),
    [("{not json", "Expecting property name"), ("[1, 2]", "config.json")],
)
def test_bad_config_file(tmp_path: Path, text: str, piece: str) -> None:
    (tmp_path / "config.json").write_text(text)
    done = run_cli(tmp_path, "--config", "config.json")
    assert_clear_failure(done, ["Invalid value for '--config'", piece, "config.json", "JSON"])


def test_missing_files_are_usage_errors(tmp_path: Path) -> None:
    (tmp_path / "config.json").write_text("{}")
    for option in ("--config", "--state", "--catalog"):
        args = ["--config", "config.json"] if option != "--config" else []
        done = run_cli(tmp_path, *args, option, "missing.json")
        assert_clear_failure(done, [f"Invalid value for '{option}'", "missing.json"])


def test_unknown_entries_that_are_not_selected_are_ignored(
    fake_api: FakeTikTokApi, frozen_now: Any
) -> None:
    del frozen_now
    config = tap_config(fake_api, start_date="2026-11-19")
    catalog = _catalog(config, "unknown property")
    entry = next(e for e in catalog["streams"] if e["tap_stream_id"] == "ad_report_daily")
    entry["metadata"][-1]["metadata"]["selected"] = False
    stale = json.loads(json.dumps(entry)) | {"tap_stream_id": "old_stream", "stream": "old_stream"}
    stale["metadata"] = [{"breadcrumb": [], "metadata": {"selected": False}}]
    catalog["streams"].append(stale)
    writer = CollectingWriter()
    TapTikTokAds(config=config, catalog=catalog, message_writer=writer).sync_all()
    records = [m for m in writer.messages if m["type"] == "RECORD"]
    assert records
    assert all("spend_typo" not in m["record"] for m in records)


def test_ids_pasted_with_spaces_or_a_newline_are_sent_trimmed(
    fake_api: FakeTikTokApi, fake_data: FakeData, frozen_now: dt.datetime
) -> None:
    """The blank-ID check reads the IDs trimmed; the requests and the state use them so too."""
    first, second = fake_data.advertiser_ids()[:2]
    center = business_centers(fake_data)[0]
    config = tap_config(
        fake_api,
        advertiser_ids=[f" {first}\n", f"{second} "],
        business_center_ids=[f"{center.bc_id}\n"],
    )

    result = run_tap(config, streams={"advertisers": ["advertiser_id"], "business_centers": None})

    synced = {r["advertiser_id"] for r in result.records["advertisers"]}
    assert {first, second} <= synced
    assert [r["bc_id"] for r in result.records["business_centers"]] == [center.bc_id]
    assert not [r for r in fake_api.requests if r.code]


def test_the_access_token_pasted_with_a_newline_is_sent_trimmed(
    fake_api: FakeTikTokApi, fake_data: FakeData, frozen_now: dt.datetime
) -> None:
    """A `.env` file's trailing newline: `requests` refused the header (InvalidHeader)."""
    config = tap_config(fake_api, access_token=f"{fake_api.token}\n")
    assert not check_settings(config)

    result = run_tap(config, streams={"advertisers": ["advertiser_id"]})

    synced = {record["advertiser_id"] for record in result.records["advertisers"]}
    assert synced >= set(fake_data.advertiser_ids())
