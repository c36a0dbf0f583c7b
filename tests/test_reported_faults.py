"""Faults the tap must report: non-zero exit, one clear message, and a resumable state.

A refusal that concerns one advertiser or one TikTok account fails only that one: the others
are synced completely and the run ends with one message naming each failure, its code and
its fix. A refusal of the token itself, or retries running out, stops at once. Either way,
the last STATE emitted before the failure resumes: a second run from it against a healthy
API brings the union of both runs' records to the fake's truth.
"""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from typing import TYPE_CHECKING, Any

import pytest
from singer_sdk.exceptions import FatalAPIError

from tap_tiktok_ads.client import RetriesExhaustedError
from tap_tiktok_ads.runtime import Failure, FailureRegistry
from tests.conftest import (
    NOW,
    SyncResult,
    run_cli,
    run_tap,
    run_until_failure,
    tap_config,
)
from tests.fake_api.organic import organic_accounts, organic_auth
from tests.fake_api.routes import ROUTES
from tests.fake_api.server import DEFAULT_TOKEN
from tests.reliability import (
    KEYED_ONLY,
    STREAMS,
    differences,
    duplicates,
    merged,
    sync_config,
    truth,
)

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from tests.fake_api import FakeData, FakeTikTokApi

REPORT = "report/integrated/get/"
ORGANIC_STREAMS = ("organic_profile", "organic_profile_daily", "organic_videos")
TOKEN = DEFAULT_TOKEN
# Worker threads of the refusal tests: few, so that requests a failed advertiser should no
# longer get would outnumber those that may be in flight when its refusal is noted.
MAX_CONCURRENCY = 2


@pytest.fixture(autouse=True)
def _frozen(frozen_now: Any) -> None:
    del frozen_now


def config_for(api: FakeTikTokApi, **overrides: Any) -> dict[str, Any]:
    settings = {"page_size": 4, "retry_initial_wait_seconds": 0.001} | overrides
    return sync_config(api, tap_config(api), **settings)


def after_report_calls(api: FakeTikTokApi, calls: int, action: Callable[[], None]) -> None:
    """Run `action` once the report endpoint answered `calls` requests: a fault mid-run."""
    original = api.routes[REPORT].handler
    answered = {"count": 0}
    lock = threading.Lock()

    def counting(request: Any) -> dict[str, Any]:
        with lock:
            answered["count"] += 1
            if answered["count"] == calls:
                action()
        return original(request)

    api.register(REPORT, counting)


def heal(api: FakeTikTokApi) -> None:
    """The API works again: the token is valid and no fault is left."""
    api.faults.clear()
    api.tokens.add(TOKEN)
    api.register(REPORT, ROUTES[REPORT].handler)


def assert_resumes(api: FakeTikTokApi, data: FakeData, failed: SyncResult) -> None:
    """A run from the failed run's last STATE completes the data."""
    assert failed.states, "no STATE was emitted before the failure"
    heal(api)
    resumed = run_tap(config_for(api), streams=STREAMS, state=failed.state)
    assert duplicates(resumed.records) == {}
    assert differences(merged(failed.records, resumed.records), truth(data, NOW)) == {}


# -- global failures stop at once ------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "fix"),
    [
        (40105, "Check `access_token`"),
        (40104, "Set `access_token`"),
        (40102, "Check `access_token`"),
    ],
)
def test_token_refused_mid_run_stops_and_resumes(
    fake_api: FakeTikTokApi, fake_data: FakeData, code: int, fix: str
) -> None:
    after_report_calls(fake_api, 30, lambda: fake_api.faults.fail_rate(1.0, codes=(code,)))
    # At most 5 requests in flight, 4 worker threads' and the record writer's (the adapter's
    # `max_in_flight`): those sent before the refusal came back may be refused too; none may
    # leave after it (no retry, no next page or window).
    failed, error = failing_run(config_for(fake_api, max_concurrency=4))
    message = str(error)
    assert f"TikTok error {code}" in message
    assert fix in message
    assert fake_api.count(REPORT, code=code) <= 4 + 1  # stopped at once: no retries, no more
    assert_resumes(fake_api, fake_data, failed)


def test_revoked_token_mid_run_stops_and_resumes(
    fake_api: FakeTikTokApi, fake_data: FakeData
) -> None:
    after_report_calls(fake_api, 90, lambda: fake_api.tokens.discard(TOKEN))
    failed, error = failing_run(config_for(fake_api))
    assert "TikTok error 40105" in str(error)
    assert "re-authorise" in str(error)
    assert_resumes(fake_api, fake_data, failed)


def test_retries_exhausted_names_the_advertiser_and_resumes(
    fake_api: FakeTikTokApi, fake_data: FakeData
) -> None:
    after_report_calls(fake_api, 120, lambda: fake_api.faults.fail_rate(1.0, codes=(50002,)))
    failed, error = failing_run(config_for(fake_api, max_retries=2))
    assert isinstance(error, RetriesExhaustedError)
    message = str(error)
    assert "50002" in message
    assert "for advertiser " in message
    assert "`max_retries`" in message
    assert "run the tap again later" in message
    assert_resumes(fake_api, fake_data, failed)


# -- one advertiser or account fails, the others are synced ----------------------------------


def without(expected: dict[str, dict[tuple, Any]], advertiser_id: str) -> dict:
    """The truth minus one advertiser's report rows and entities."""
    kept = {}
    for stream, records in expected.items():
        if stream in KEYED_ONLY:
            kept[stream] = {k: v for k, v in records.items() if v != advertiser_id}
        elif stream in ORGANIC_STREAMS:
            kept[stream] = records
        else:
            kept[stream] = {k: v for k, v in records.items() if v["advertiser_id"] != advertiser_id}
    return kept


@pytest.mark.parametrize(
    ("code", "path"),
    [
        (40001, REPORT),
        (40106, REPORT),
        (40300, "campaign/get/"),
        (40001, "ad/get/"),
        (40001, "advertiser/info/"),
    ],
)
def test_refused_advertiser_does_not_hide_the_others(
    fake_api: FakeTikTokApi,
    fake_data: FakeData,
    code: int,
    path: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    refused = fake_data.advertiser_ids()[1]
    fake_api.faults.refuse_advertiser(refused, code, path=path)
    known_at = when_noted(monkeypatch, refused)

    failed, error = failing_run(config_for(fake_api, max_concurrency=MAX_CONCURRENCY))

    got = merged(failed.records)
    others = without(got, refused)
    assert differences(others, without(truth(fake_data, NOW), refused)) == {}
    assert duplicates(failed.records) == {}
    message = str(error)
    assert f"TikTok refused access to 1 advertiser(s): {refused} (TikTok error {code}" in message
    assert "`advertiser_ids`" in message  # the fix
    assert "other advertisers and accounts were synced" in message
    # Until the refusal is known (the writer meets it in order), the reads ahead may ask for
    # any of the advertiser's windows: all of them are zone-free here and read during the
    # lookup, and answered refusals hold no room of the prefetch. Once it is known, the
    # advertiser is not asked again by this or any later stream: only the requests already
    # past that check, at most one per thread that sends (the workers and the writer's),
    # may still arrive. No refused request is asked twice.
    refusals = [r for r in fake_api.requests if r.code == code]
    assert known_at
    after = [r.path for r in refusals if r.monotonic > known_at[0]]
    assert len(after) <= MAX_CONCURRENCY + 1, after
    asked = Counter((r.path, json.dumps(r.params, sort_keys=True)) for r in refusals)
    assert max(asked.values()) == 1, asked
    assert_resumes(fake_api, fake_data, failed)


def when_noted(monkeypatch: pytest.MonkeyPatch, key: str) -> list[float]:
    """When the run noted its failure of `key` (monotonic; empty until it does)."""
    noted: list[float] = []
    add = FailureRegistry.add

    def noting(registry: FailureRegistry, failure: Failure, *args: Any) -> None:
        add(registry, failure, *args)
        if failure.key == key and not noted:
            noted.append(time.monotonic())

    monkeypatch.setattr(FailureRegistry, "add", noting)
    return noted


def test_refused_account_does_not_hide_the_rest(
    fake_api: FakeTikTokApi, fake_data: FakeData
) -> None:
    refused = organic_accounts(fake_data)[1].business_id
    fake_api.faults.refuse_account(refused, 40130, path="business/get/")

    failed, error = failing_run(config_for(fake_api))

    expected = truth(fake_data, NOW)
    for stream in ORGANIC_STREAMS:
        expected[stream] = {k: v for k, v in expected[stream].items() if k[0] != refused}
    assert differences(merged(failed.records), expected) == {}
    assert duplicates(failed.records) == {}
    message = str(error)
    assert (
        f"TikTok refused access to 1 TikTok account(s): {refused} "
        "(TikTok error 40130 on /business/get/)"
    ) in message
    assert "user.insights" in message  # the fix
    assert fake_api.count("business/get/", code=40130) == 1  # not asked again
    assert_resumes(fake_api, fake_data, failed)


def test_refused_advertisers_and_accounts_in_one_message(
    fake_api: FakeTikTokApi, fake_data: FakeData
) -> None:
    advertisers = fake_data.advertiser_ids()
    fake_api.faults.refuse_advertiser(advertisers[0], 40001, path=REPORT)
    fake_api.faults.refuse_advertiser(advertisers[2], 40300, path="adgroup/get/")
    account = organic_accounts(fake_data)[1].business_id
    organic_auth(fake_api).expire_refresh_token(account)

    failed, error = failing_run(config_for(fake_api))

    message = str(error)
    assert f"{advertisers[0]} (TikTok error 40001 on /report/integrated/get/)" in message
    assert f"{advertisers[2]} (TikTok error 40300 on /adgroup/get/)" in message
    assert "remove it from `advertiser_ids`" in message
    assert f"TikTok refused the refresh token of 1 TikTok account(s): {account}" in message
    assert advertisers[1] not in message
    emitted = {r["advertiser_id"] for r in failed.records["ad_report_daily"]}
    assert advertisers[1] in emitted
    assert advertisers[0] not in emitted


def test_cli_lists_each_failed_advertiser_once_without_traceback(
    fake_api: FakeTikTokApi, fake_data: FakeData, tmp_path: Path
) -> None:
    refused = fake_data.advertiser_ids()[2]
    fake_api.faults.refuse_advertiser(refused, 40001, path=REPORT)
    done = run_cli(tmp_path, config=config_for(fake_api), streams=STREAMS)
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    failures = [line for line in done.stderr.splitlines() if "Sync failed:" in line]
    assert len(failures) == 1
    assert f"{refused} (TikTok error 40001" in failures[0]
    skipped = [
        line for line in done.stderr.splitlines() if f"Skipping advertiser {refused}" in line
    ]
    assert len(skipped) == 1  # logged once, not once per stream or window
    records = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    synced = {m["record"].get("advertiser_id") for m in records if m["type"] == "RECORD"}
    assert set(fake_data.advertiser_ids()) - {refused} <= synced


def failing_run(
    config: dict[str, Any], state: dict[str, Any] | None = None
) -> tuple[SyncResult, FatalAPIError]:
    """A sync of this module's streams that must fail."""
    return run_until_failure(config, streams=STREAMS, state=state)
