"""Organic TikTok-account streams against the fake over real HTTP: data, tokens, state."""

from __future__ import annotations

import datetime as dt
import fcntl
import hashlib
import json
import logging
import re
import stat
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import requests
from singer_sdk.exceptions import FatalAPIError

from tap_tiktok_ads import dates
from tap_tiktok_ads.inputs import InputFileError
from tap_tiktok_ads.scopes import AUTHORIZATION_SCOPES, FIELD_SCOPES
from tap_tiktok_ads.settings import Settings, check_settings
from tap_tiktok_ads.streams.organic import VideoCursorPaginator
from tests.conftest import (
    NOW,
    SyncResult,
    run_cli,
    run_tap,
    run_until_failure,
    tap_config,
)
from tests.fake_api import FakeTikTokApi
from tests.fake_api.organic import (
    ALL_SCOPES,
    BUSINESS_GET_SCOPES,
    DAILY_FIELDS,
    DISTRIBUTION_FIELDS,
    PROFILE_FIELDS,
    VIDEO_LIST_SCOPES,
    account_settings,
    daily_rows,
    newer_member,
    organic_accounts,
    organic_auth,
    profile,
    videos,
)

if TYPE_CHECKING:
    from collections.abc import Iterator

    from tests.fake_api import FakeData
    from tests.fake_api.organic import OrganicAccount

ORGANIC = {"organic_profile": None, "organic_profile_daily": None, "organic_videos": None}
TODAY = NOW.date()
START = dt.date(2026, 10, 1)
BUSINESS_GET = "business/get/"
VIDEO_LIST = "business/video/list/"
REFRESH = "tt_user/oauth2/refresh_token/"
# What the README's authorisation URL asks for: every scope the default selection needs.
EVERY_SCOPE = (
    "user.account.type,user.info.basic,user.info.username,user.info.profile,user.info.stats,"
    "user.insights,video.list,video.insights"
)
PROFILE_SCOPE_FIELDS = ("is_verified", "bio_description", "profile_deep_link")  # user.info.profile


def organic_config(api: FakeTikTokApi, **overrides: Any) -> dict[str, Any]:
    """Only TikTok accounts: no advertiser settings at all."""
    config = tap_config(
        api,
        app_id=api.app_id,
        secret=api.secret,
        tiktok_accounts=account_settings(api),
        start_date=START.isoformat(),
        end_date="today",
    )
    del config["access_token"], config["advertiser_ids"]
    return config | overrides


def by_account(records: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    grouped: dict[str, list[dict[str, Any]]] = {}
    for record in records:
        grouped.setdefault(record["business_id"], []).append(record)
    return grouped


def kept(member: dict[str, Any]) -> dict[str, Any]:
    """Where the tap keeps a field TikTok added after the transcription: `extra_fields`."""
    return {"extra_fields": member} if member else {}


def expected_profile(account: OrganicAccount) -> dict[str, Any]:
    record = {"business_id": account.business_id, "extracted_date": TODAY.isoformat()}
    return {**record, **profile(account, NOW), **kept(newer_member(account.key, every=1))}


def expected_daily(
    account: OrganicAccount, start: dt.date, now: dt.datetime
) -> dict[str, dict[str, Any]]:
    """The truth, as the tap emits it: integer hours."""
    rows = {}
    for row in daily_rows(account, start, now.date() - dt.timedelta(days=1), now):
        record = {name: row[name] for name in DAILY_FIELDS if name in row}
        record["audience_activity"] = [
            {"hour": int(item["hour"]), "count": item["count"]} for item in row["audience_activity"]
        ]
        newer = newer_member(account.key, dt.date.fromisoformat(row["date"]).toordinal())
        rows[row["date"]] = {
            "business_id": account.business_id,
            "date": row["date"],
            **record,
            **kept(newer),
        }
    return rows


def expected_video(account: OrganicAccount, video: dict[str, Any]) -> dict[str, Any]:
    created = dt.datetime.fromtimestamp(int(video["create_time"]), tz=dt.timezone.utc)
    return {
        **video,
        "business_id": account.business_id,
        "create_time": created.isoformat(),
        **kept(newer_member(video["item_id"])),
    }


def params_of(api: FakeTikTokApi, path: str) -> list[dict[str, Any]]:
    return [record.params for record in api.requests if record.path == path]


def assert_complete(result: SyncResult, data: FakeData, *, skip: set[str] = frozenset()) -> None:
    """Every stream holds exactly the fake's truth for every account not in `skip`."""
    profiles = by_account(result.records["organic_profile"])
    daily = by_account(result.records["organic_profile_daily"])
    listed = by_account(result.records["organic_videos"])
    for account in organic_accounts(data):
        if account.business_id in skip:
            assert account.business_id not in profiles | daily | listed
            continue
        assert profiles[account.business_id] == [expected_profile(account)]
        days = {row["date"]: row for row in daily[account.business_id]}
        assert days == expected_daily(account, START, NOW)
        assert listed[account.business_id] == [
            expected_video(account, video) for video in videos(account, NOW)
        ]


@pytest.fixture
def organic_api(fake_data: FakeData) -> Iterator[FakeTikTokApi]:
    """A fresh fake whose clock can be moved by the test."""
    clock = {"now": NOW}
    with FakeTikTokApi(fake_data, clock=lambda: clock["now"]) as api:
        api.test_clock = clock  # type: ignore[attr-defined]
        yield api


def test_complete_data_without_advertiser_settings(fake_api, fake_data, frozen_now):
    result = run_tap(organic_config(fake_api), streams=ORGANIC)

    assert_complete(result, fake_data)
    accounts = organic_accounts(fake_data)
    assert {len(profile(a, NOW).get("audience_ages") or []) for a in accounts} == {0, 5}
    assert fake_api.count("advertiser/info/") == 0
    assert fake_api.count(REFRESH) == len(accounts)  # one refresh per account, no more
    # Account 0 has a page that TikTok filtered to nothing while `has_more` was true.
    assert len(params_of(fake_api, VIDEO_LIST)) > len(videos(accounts[0], NOW)) // 20 + 2
    state = result.state["bookmarks"]["organic_profile_daily"]["partitions"]
    assert {p["context"]["business_id"]: p["replication_key_value"] for p in state} == {
        a.business_id: (TODAY - dt.timedelta(days=1)).isoformat() for a in accounts
    }


def test_configured_access_token_is_used_before_refreshing(fake_api, fake_data, frozen_now):
    config = organic_config(fake_api)
    first = config["tiktok_accounts"][0]
    first["access_token"] = organic_auth(fake_api).issue_access_token(first["business_id"])

    run_tap(config, streams=ORGANIC)

    assert organic_auth(fake_api).refreshes[first["business_id"]] == 0
    assert fake_api.count(REFRESH) == len(organic_accounts(fake_data)) - 1


def test_token_expiring_mid_run_is_refreshed_and_nothing_is_lost(fake_api, fake_data, frozen_now):
    organic_auth(fake_api).expire_after_calls = 2

    result = run_tap(organic_config(fake_api), streams=ORGANIC)

    assert_complete(result, fake_data)
    expired = [r for r in fake_api.requests if r.code == 40102]
    assert expired
    log = fake_api.requests
    for record in expired:  # the repeated call carried a new token and succeeded
        position = log.index(record)
        retry = next(r for r in log[position + 1 :] if r.path == record.path)
        assert retry.params == record.params
        assert retry.token != record.token
        assert retry.code == 0


def test_rotated_refresh_token_is_used_and_warned_about(fake_api, fake_data, frozen_now, caplog):
    auth = organic_auth(fake_api)
    auth.rotate_refresh_tokens = True
    auth.expire_after_calls = 3  # several refreshes per account: each needs the newest token
    config = organic_config(fake_api)
    stored = [account["refresh_token"] for account in config["tiktok_accounts"]]

    with caplog.at_level(logging.WARNING):
        result = run_tap(config, streams=ORGANIC)

    assert_complete(result, fake_data)
    assert fake_api.count(REFRESH, code=40107) == 0
    assert min(auth.refreshes.values()) >= 2
    warnings = [r.getMessage() for r in caplog.records if "new refresh token" in r.getMessage()]
    assert len(warnings) == sum(auth.refreshes.values())
    for index, account in enumerate(organic_accounts(fake_data)):
        assert any(account.business_id in message for message in warnings)
        assert any(f"`tiktok_accounts[{index}].refresh_token`" in m for m in warnings)
    for message in warnings:  # the new token is masked and written nowhere: nothing to copy
        assert "replace it" not in message
        assert "keeps it nowhere" in message
        assert "Set `refresh_token_store_path` to a file the tap may write" in message
        assert "40103" in message
    current = [auth.refresh_token(account.business_id) for account in organic_accounts(fake_data)]
    for token in stored + current:
        assert token not in caplog.text


def test_swapped_business_ids_say_which_open_id_the_refresh_token_belongs_to(
    fake_api, fake_data, frozen_now
):
    """Entries 0 and 1 got each other's business_id: the refresh answer's `open_id` (4.1)
    says whose token it is, so the run says that instead of a permission refusal (40001)."""
    accounts = organic_accounts(fake_data)
    config = organic_config(fake_api)
    first, second = config["tiktok_accounts"][:2]
    first["business_id"], second["business_id"] = second["business_id"], first["business_id"]

    result, error = failing_run(config)

    message = str(error)
    for index, (given, owner) in enumerate(
        [(accounts[1], accounts[0]), (accounts[0], accounts[1])]
    ):
        assert (
            f"`tiktok_accounts[{index}].business_id` is {given.business_id}, but its refresh "
            f"token belongs to open_id {owner.business_id}: put {owner.business_id} as "
            f"`tiktok_accounts[{index}].business_id`"
        ) in message
    assert "40001" not in message
    assert "TikTok error None" not in message
    assert fake_api.count(BUSINESS_GET, code=40001) == 0
    assert fake_api.count(VIDEO_LIST, code=40001) == 0
    assert_complete(result, fake_data, skip={accounts[0].business_id, accounts[1].business_id})


def test_refresh_token_about_to_expire_is_warned_about(fake_api, fake_data, frozen_now, caplog):
    """Refreshing does not extend a refresh token (reference 4.1): an hourly pipeline hears
    it is running out a month ahead, once a run, with the entry and the date, not the token."""
    accounts = organic_accounts(fake_data)
    auth = organic_auth(fake_api)
    auth.expire_after_calls = 3  # several refreshes per account: still one warning
    auth.refresh_token_expires_in(accounts[1].business_id, 2 * 86_400 + 3_600)
    auth.refresh_token_expires_in(accounts[2].business_id, 31 * 86_400)
    config = organic_config(fake_api)

    with caplog.at_level(logging.WARNING):
        result = run_tap(config, streams=ORGANIC)

    assert_complete(result, fake_data)
    assert auth.refreshes[accounts[1].business_id] >= 2
    warnings = [r.getMessage() for r in caplog.records if "expires on" in r.getMessage()]
    expires = (NOW + dt.timedelta(days=2, hours=1)).strftime("%Y-%m-%d %H:%M UTC")
    expected = (
        f"The refresh token of `tiktok_accounts[1]` (TikTok account {accounts[1].business_id}) "
        f"expires on {expires}, in 2 day(s); refreshing does not extend it. Re-authorise the "
        "account before then and put the new refresh token in "
        "`tiktok_accounts[1].refresh_token`, or TikTok refuses the account (40103)."
    )
    assert warnings == [expected]
    for token in (account["refresh_token"] for account in config["tiktok_accounts"]):
        assert token not in caplog.text


def stored_accounts(store: Path) -> dict[str, dict[str, str]]:
    """The refresh token store's entries (the file's format: tap_tiktok_ads/token_store.py)."""
    accounts: dict[str, dict[str, str]] = json.loads(store.read_text())["accounts"]
    return accounts


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def test_hourly_second_run_survives_a_rotated_refresh_token(
    fake_api, fake_data, frozen_now, tmp_path, caplog
):
    """`meltano run` hourly: the same config every run, the state carried over. TikTok
    rotates each refresh token and refuses the old one: the store hands the new one on."""
    accounts = organic_accounts(fake_data)
    auth = organic_auth(fake_api)
    auth.rotate_refresh_tokens = True
    store = tmp_path / ".meltano" / "tap-tiktok-ads" / "refresh-tokens.json"  # no such folder
    config = organic_config(fake_api, refresh_token_store_path=str(store))
    configured = [entry["refresh_token"] for entry in config["tiktok_accounts"]]

    with caplog.at_level(logging.INFO):
        first = run_tap(config, streams=ORGANIC)
        second = run_tap(config, streams=ORGANIC, state=first.state)

    assert fake_api.count(REFRESH, code=40107) == 0
    assert_complete(first, fake_data)
    for result in (first, second):
        profiles = result.records["organic_profile"]
        assert [record["business_id"] for record in profiles] == [a.business_id for a in accounts]
    assert min(auth.refreshes.values()) == 2  # one refresh per account and run
    lock = store.with_name("refresh-tokens.json.lock")  # runs that overlap take turns
    assert stat.S_IMODE(store.stat().st_mode) == 0o600
    assert stat.S_IMODE(lock.stat().st_mode) == 0o600
    assert lock.read_bytes() == b""
    assert sorted(store.parent.iterdir()) == [store, lock]  # no temporary file left behind
    kept = stored_accounts(store)
    assert set(kept) == {account.business_id for account in accounts}
    for account, token in zip(accounts, configured, strict=True):
        assert kept[account.business_id]["refresh_token"] == auth.refresh_token(account.business_id)
        assert kept[account.business_id]["configured_sha256"] == sha256(token)
    assert "using the refresh token kept in `refresh_token_store_path`" in caplog.text
    messages = json.dumps([first.messages, second.messages])
    for account, token in zip(accounts, configured, strict=True):
        for secret in (token, auth.refresh_token(account.business_id)):
            assert secret not in caplog.text
            assert secret not in messages


def test_a_refresh_token_configured_anew_wins_over_the_kept_one(
    fake_api, fake_data, frozen_now, tmp_path
):
    """The account was re-authorised after the store kept a token: the configured one is
    newer, and the kept one (now refused) is not tried."""
    accounts = organic_accounts(fake_data)
    auth = organic_auth(fake_api)
    auth.rotate_refresh_tokens = True
    store = tmp_path / "refresh-tokens.json"
    config = organic_config(fake_api, refresh_token_store_path=str(store))
    run_tap(config, streams={"organic_profile": None})
    business_id = accounts[0].business_id
    old = stored_accounts(store)[business_id]["refresh_token"]
    # Another authorisation's token; TikTok no longer accepts the kept one.
    config["tiktok_accounts"][0]["refresh_token"] = auth.refresh(old)["refresh_token"]

    result = run_tap(config, streams={"organic_profile": None})

    assert fake_api.count(REFRESH, code=40107) == 0
    assert len(result.records["organic_profile"]) == len(accounts)
    entry = stored_accounts(store)[business_id]
    assert entry["configured_sha256"] == sha256(config["tiktok_accounts"][0]["refresh_token"])
    assert entry["refresh_token"] == auth.refresh_token(business_id)


def test_a_run_refused_a_token_another_run_rotated_takes_the_newer_one_from_the_store(
    fake_api, fake_data, frozen_now, tmp_path, caplog
):
    """An hourly run and a backfill overlap. The backfill read the store at its start; the
    hourly run then rotated every account's refresh token and kept the new ones. TikTok
    refuses the backfill's refresh with the token it read (40107): it takes the store's."""
    accounts = organic_accounts(fake_data)
    auth = organic_auth(fake_api)
    auth.rotate_refresh_tokens = True
    store = tmp_path / "refresh-tokens.json"
    config = organic_config(fake_api, refresh_token_store_path=str(store))
    run_tap(config, streams={"organic_profile": None})  # an earlier run filled the store
    read_at_start = {key: entry["refresh_token"] for key, entry in stored_accounts(store).items()}
    hourly: list[SyncResult] = []
    # The hourly run refreshes between the backfill's read of the store and its refresh.
    auth.before_refresh = lambda: hourly.append(run_tap(config, streams={"organic_profile": None}))
    backfill = config | {"request_timeout_seconds": 120}  # its refresh waits for the hourly run

    with caplog.at_level(logging.INFO):
        result = run_tap(backfill, streams=ORGANIC)

    assert len(hourly) == 1
    assert len(hourly[0].records["organic_profile"]) == len(accounts)
    refused = [r for r in fake_api.requests if r.path == REFRESH and r.code == 40107]
    assert refused  # what the backfill read was stale
    assert_complete(result, fake_data)
    kept = stored_accounts(store)
    for account in accounts:  # the backfill rotated them again, and kept the newest
        assert kept[account.business_id]["refresh_token"] == auth.refresh_token(account.business_id)
        assert kept[account.business_id]["refresh_token"] != read_at_start[account.business_id]
    assert "another run kept a newer one in `refresh_token_store_path`" in caplog.text
    messages = json.dumps([hourly[0].messages, result.messages])
    for secret in [*read_at_start.values(), *(entry["refresh_token"] for entry in kept.values())]:
        assert secret not in caplog.text
        assert secret not in messages


def test_a_run_writes_the_store_only_while_no_other_run_holds_its_lock(
    fake_api, fake_data, frozen_now, tmp_path
):
    """Another run re-read the store and is writing it: this run's write waits for the
    other's lock, then reads the file again, so that neither run's entries are lost."""
    accounts = organic_accounts(fake_data)
    auth = organic_auth(fake_api)
    auth.rotate_refresh_tokens = True
    store = tmp_path / "refresh-tokens.json"
    config = organic_config(fake_api, refresh_token_store_path=str(store))
    other_entry = {"configured_sha256": sha256("rft.elsewhere"), "refresh_token": "rft.rotated"}
    results: list[SyncResult] = []
    run = threading.Thread(
        target=lambda: results.append(run_tap(config, streams={"organic_profile": None}))
    )

    with (tmp_path / "refresh-tokens.json.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # the other run, between its read and its write
        run.start()
        deadline = time.monotonic() + 60
        while not auth.refreshes and time.monotonic() < deadline:
            time.sleep(0.01)
        time.sleep(1.0)  # time enough for a write that does not wait
        written_meanwhile = store.exists()
        store.write_text(json.dumps({"accounts": {"other-account": other_entry}}))
    run.join(timeout=120)

    assert not written_meanwhile
    assert len(results[0].records["organic_profile"]) == len(accounts)
    kept = stored_accounts(store)
    assert set(kept) == {account.business_id for account in accounts} | {"other-account"}
    assert kept["other-account"] == other_entry


@pytest.mark.parametrize(
    "content",
    ['{"accounts": {"b": {"refresh_token": "rft.', '{"accounts": ["rft.x"]}', "\xff\xfe"],
    ids=["not JSON", "not a store", "not text"],
)
def test_a_store_that_cannot_be_read_stops_the_run_before_any_request(
    fake_api, fake_data, frozen_now, tmp_path, content
):
    """It may hold the only refresh tokens TikTok still accepts: no fallback to the
    configured ones, whose use could end in a rotation that overwrites it."""
    store = tmp_path / "refresh-tokens.json"
    store.write_bytes(content.encode("latin-1"))
    config = organic_config(fake_api, refresh_token_store_path=str(store))

    with pytest.raises(InputFileError) as failure:
        run_tap(config, streams=ORGANIC)

    message = str(failure.value)
    assert message.startswith(f"`refresh_token_store_path`: the file {store} ")
    assert "no request was sent" in message
    assert "move it away" in message
    assert "rft." not in message
    assert fake_api.count() == 0
    assert store.read_bytes() == content.encode("latin-1")


def test_cli_says_which_store_it_cannot_read(fake_api, fake_data, tmp_path):
    store = tmp_path / "refresh-tokens.json"
    store.write_text("{")
    config = organic_config(fake_api, refresh_token_store_path=str(store))

    done = run_cli(tmp_path, config=config, streams={"organic_profile": None})

    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert f"`refresh_token_store_path`: the file {store} is not JSON" in done.stderr
    assert fake_api.count() == 0


def test_throttled_token_refreshes_slow_the_shared_rate_limit(
    fake_api, fake_data, frozen_now, caplog
):
    fake_api.faults.fail_next(3, 40100, path=REFRESH)

    with caplog.at_level(logging.INFO):
        result = run_tap(organic_config(fake_api), streams={"organic_profile": None})

    assert len(result.records["organic_profile"]) == len(organic_accounts(fake_data))
    assert fake_api.count(REFRESH, code=40100) == 3
    assert "rate limited: 3," in caplog.text


def test_refused_refresh_tokens_fail_the_run_after_the_other_accounts(
    fake_api, fake_data, frozen_now, caplog
):
    accounts = organic_accounts(fake_data)
    auth = organic_auth(fake_api)
    auth.expire_refresh_token(accounts[1].business_id)
    auth.invalidate_refresh_token(accounts[2].business_id)
    config = organic_config(fake_api)

    result, error = failing_run(config)

    assert_complete(result, fake_data, skip={accounts[1].business_id, accounts[2].business_id})
    message = str(error)
    assert f"{accounts[1].business_id} (TikTok error 40103)" in message
    assert f"{accounts[2].business_id} (TikTok error 40107)" in message
    assert "Re-authorise" in message
    assert accounts[0].business_id not in message
    # Each refused account is asked once, not once per stream.
    assert fake_api.count(REFRESH, code=40103) == 1
    assert fake_api.count(REFRESH, code=40107) == 1
    assert result.state["bookmarks"]["organic_profile_daily"]["partitions"]
    for token in (a["refresh_token"] for a in config["tiktok_accounts"]):
        assert token not in caplog.text


def test_cli_exits_1_with_one_clear_message(fake_api, fake_data, tmp_path):
    accounts = organic_accounts(fake_data)
    organic_auth(fake_api).expire_refresh_token(accounts[0].business_id)
    config = organic_config(fake_api, start_date="today-3")

    done = run_cli(tmp_path, config=config, streams={"organic_profile": None})

    assert done.returncode == 1
    assert "Sync failed: TikTok refused the refresh token of 1 TikTok account(s)" in done.stderr
    assert accounts[0].business_id in done.stderr
    assert "Traceback" not in done.stderr
    assert config["tiktok_accounts"][0]["refresh_token"] not in done.stderr + done.stdout
    emitted = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    synced = {m["record"]["business_id"] for m in emitted if m["type"] == "RECORD"}
    assert synced == {accounts[1].business_id, accounts[2].business_id}


def test_cli_exits_1_naming_the_refused_account_code_and_fix(fake_api, fake_data, tmp_path):
    accounts = organic_accounts(fake_data)
    fake_api.faults.refuse_account(accounts[2].business_id, 40130, path=BUSINESS_GET)
    config = organic_config(fake_api, start_date="today-3")

    done = run_cli(tmp_path, config=config, streams=ORGANIC)

    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    failures = [line for line in done.stderr.splitlines() if "Sync failed:" in line]
    assert len(failures) == 1
    assert (
        f"TikTok refused access to 1 TikTok account(s): {accounts[2].business_id} "
        "(TikTok error 40130 on /business/get/)"
    ) in failures[0]
    assert "user.insights" in failures[0]
    sent = {r.token for r in fake_api.requests if r.token}
    sent |= {a["refresh_token"] for a in config["tiktok_accounts"]}
    assert sent
    for token in sent:
        assert token not in done.stderr + done.stdout
    emitted = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    synced = {m["record"]["business_id"] for m in emitted if m["type"] == "RECORD"}
    assert synced == {accounts[0].business_id, accounts[1].business_id}


@pytest.mark.parametrize(
    ("code", "path"),
    [(40130, BUSINESS_GET), (40125, BUSINESS_GET), (40001, VIDEO_LIST), (40106, VIDEO_LIST)],
)
def test_refused_account_fails_alone_and_keeps_its_bookmark(
    fake_api, fake_data, frozen_now, code, path
):
    accounts = organic_accounts(fake_data)
    refused = accounts[1].business_id
    fake_api.faults.refuse_account(refused, code, path=path)
    resumed_from = (START + dt.timedelta(days=3)).isoformat()  # re-reads back to START
    state = {
        "bookmarks": {
            "organic_profile_daily": {
                "partitions": [
                    {
                        "context": {"business_id": a.business_id},
                        "replication_key_value": resumed_from,
                    }
                    for a in accounts
                ]
            }
        }
    }

    result, error = failing_run(organic_config(fake_api), state)

    if path == BUSINESS_GET:  # refused by the first stream: skipped by the later ones too
        assert_complete(result, fake_data, skip={refused})
        assert fake_api.count(BUSINESS_GET, code=code) == 1
        assert refused not in {p["business_id"] for p in params_of(fake_api, VIDEO_LIST)}
    else:  # refused by the last stream: all else is complete, its videos are missing
        assert refused not in by_account(result.records["organic_videos"])
        missing = [expected_video(accounts[1], video) for video in videos(accounts[1], NOW)]
        result.records["organic_videos"] += missing
        assert_complete(result, fake_data)
    partitions = result.state["bookmarks"]["organic_profile_daily"]["partitions"]
    bookmarks = {p["context"]["business_id"]: p["replication_key_value"] for p in partitions}
    yesterday = (TODAY - dt.timedelta(days=1)).isoformat()
    assert bookmarks == {
        a.business_id: resumed_from
        if a.business_id == refused and path == BUSINESS_GET
        else yesterday
        for a in accounts
    }
    message = str(error)
    assert (
        f"TikTok refused access to 1 TikTok account(s): {refused} (TikTok error {code} on /{path})"
        in message
    )
    assert f"scope={EVERY_SCOPE}" in message
    assert accounts[0].business_id not in message
    assert accounts[2].business_id not in message


def test_refused_configured_access_token_is_dropped_and_refreshed_once(
    fake_api, fake_data, frozen_now, caplog
):
    # A user re-authorised the account: the access token left in the config was revoked.
    config = organic_config(fake_api)
    first = config["tiktok_accounts"][0]
    first["access_token"] = "act.stale0000revoked"

    with caplog.at_level(logging.WARNING):
        result = run_tap(config, streams=ORGANIC)

    assert_complete(result, fake_data)
    assert fake_api.count(BUSINESS_GET, code=40105) == 1
    assert organic_auth(fake_api).refreshes[first["business_id"]] == 1
    warnings = [r.getMessage() for r in caplog.records if "40105" in r.getMessage()]
    assert len(warnings) == 1
    assert "`tiktok_accounts[0].access_token`" in warnings[0]
    assert first["business_id"] in warnings[0]
    assert first["access_token"] not in caplog.text


@pytest.mark.parametrize("configured", [False, True])
def test_refused_access_token_fails_that_account_alone(
    fake_api, fake_data, frozen_now, caplog, configured
):
    # Organic calls carry the account's own token, never the app's: TikTok refusing it
    # concerns that account, which is refreshed at most once and then skipped.
    accounts = organic_accounts(fake_data)
    refused = accounts[1].business_id
    fake_api.faults.refuse_account(refused, 40105, path=BUSINESS_GET)
    config = organic_config(fake_api)
    if configured:
        config["tiktok_accounts"][1]["access_token"] = organic_auth(fake_api).issue_access_token(
            refused
        )

    result, error = failing_run(config)

    assert_complete(result, fake_data, skip={refused})
    assert fake_api.count(BUSINESS_GET, code=40105) == (2 if configured else 1)
    assert organic_auth(fake_api).refreshes[refused] == 1
    message = str(error)
    assert (
        f"TikTok refused the access token of 1 TikTok account(s): {refused} "
        "(TikTok error 40105 on /business/get/)"
    ) in message
    assert "`tiktok_accounts[1].refresh_token`" in message
    assert ("`tiktok_accounts[1].access_token`" in message) is configured
    assert "Check `access_token`" not in message + caplog.text
    assert accounts[0].business_id not in message
    assert accounts[2].business_id not in message


def test_refused_configured_access_token_and_refresh_token_fail_that_account_alone(
    fake_api, fake_data, frozen_now
):
    accounts = organic_accounts(fake_data)
    organic_auth(fake_api).invalidate_refresh_token(accounts[0].business_id)
    config = organic_config(fake_api)
    config["tiktok_accounts"][0]["access_token"] = "act.stale0000revoked"

    result, error = failing_run(config)

    assert_complete(result, fake_data, skip={accounts[0].business_id})
    assert fake_api.count(BUSINESS_GET, code=40105) == 1
    assert fake_api.count(REFRESH, code=40107) == 1
    message = str(error)
    assert f"{accounts[0].business_id} (TikTok error 40107)" in message
    assert "`tiktok_accounts[0].access_token`" in message
    assert "`tiktok_accounts[0].refresh_token`" in message


def test_daily_rereads_the_last_3_days_on_the_next_run(organic_api, fake_data, monkeypatch):
    clock = organic_api.test_clock
    monkeypatch.setattr(dates, "utc_now", lambda: clock["now"])
    config = organic_config(organic_api)
    streams = {"organic_profile_daily": None}
    first = run_tap(config, streams=streams)

    later = NOW + dt.timedelta(days=1)
    clock["now"] = later
    organic_api.log.clear()
    second = run_tap(config, streams=streams, state=first.state)

    yesterday = TODAY - dt.timedelta(days=1)
    starts = {p["start_date"] for p in params_of(organic_api, BUSINESS_GET)}
    assert starts == {(yesterday - dt.timedelta(days=3)).isoformat()}
    for account in organic_accounts(fake_data):
        before = {
            r["date"]: r
            for r in by_account(first.records["organic_profile_daily"])[account.business_id]
        }
        after = {
            r["date"]: r
            for r in by_account(second.records["organic_profile_daily"])[account.business_id]
        }
        truth = expected_daily(account, START, later)
        assert after == {day: row for day, row in truth.items() if day >= min(after)}
        merged = {**before, **after}  # what a target keeps: the latest row per key
        assert merged == truth
        changed = [day for day in after if day in before and after[day] != before[day]]
        if truth:
            assert yesterday.isoformat() in changed  # late data was picked up
    partitions = second.state["bookmarks"]["organic_profile_daily"]["partitions"]
    assert {p["replication_key_value"] for p in partitions} == {TODAY.isoformat()}


def test_start_date_older_than_60_days_is_clamped_with_one_warning(
    fake_api, fake_data, frozen_now, caplog
):
    config = organic_config(fake_api, start_date="2026-07-01")

    with caplog.at_level(logging.WARNING):
        result = run_tap(config, streams={"organic_profile_daily": None})

    oldest = TODAY - dt.timedelta(days=60)
    warnings = [r for r in caplog.records if "60 days" in r.getMessage()]
    assert len(warnings) == 1
    assert oldest.isoformat() in warnings[0].getMessage()
    assert min(p["start_date"] for p in params_of(fake_api, BUSINESS_GET)) == oldest.isoformat()
    assert fake_api.count(BUSINESS_GET, code=40002) == 0
    for account in organic_accounts(fake_data):
        days = {
            r["date"]
            for r in result.records["organic_profile_daily"]
            if r["business_id"] == account.business_id
        }
        assert days == set(expected_daily(account, oldest, NOW))


@pytest.mark.parametrize(
    ("start_date", "paused_days", "first_day_back"),
    [
        ("today-7", 40, 43),  # a relative start_date is no floor once there is a bookmark
        ("7", 70, 60),  # only TikTok's 60 days are
        ((TODAY - dt.timedelta(days=30)).isoformat(), 40, 30),  # an absolute one stays a floor
    ],
)
@pytest.mark.usefixtures("frozen_now")
def test_daily_resumes_from_the_bookmark_after_a_pause(
    fake_api, fake_data, start_date, paused_days, first_day_back
):
    accounts = organic_accounts(fake_data)
    bookmark = (TODAY - dt.timedelta(days=paused_days)).isoformat()
    partitions = daily_partitions(fake_data, bookmark)
    state = {"bookmarks": {"organic_profile_daily": {"partitions": partitions}}}
    config = organic_config(fake_api, start_date=start_date)

    result = run_tap(config, streams={"organic_profile_daily": None}, state=state)

    first_day = TODAY - dt.timedelta(days=first_day_back)
    assert min(p["start_date"] for p in params_of(fake_api, BUSINESS_GET)) == first_day.isoformat()
    assert fake_api.count(BUSINESS_GET, code=40002) == 0
    daily = by_account(result.records["organic_profile_daily"])
    for account in accounts:
        days = {record["date"] for record in daily[account.business_id]}
        assert days == set(expected_daily(account, first_day, NOW))


def daily_partitions(data: FakeData, bookmark: str) -> list[dict[str, Any]]:
    """The same daily-insights bookmark for every account of the fake."""
    return [
        {"context": {"business_id": account.business_id}, "replication_key_value": bookmark}
        for account in organic_accounts(data)
    ]


def test_requested_fields_are_the_catalog_selection(fake_api, fake_data, frozen_now):
    selection = {
        "organic_profile": ["username", "followers_count", "audience_countries"],
        "organic_profile_daily": ["video_views", "audience_activity", "bio_link_clicks"],
        "organic_videos": ["create_time", "likes", "impression_sources"],
    }

    result = run_tap(organic_config(fake_api), streams=selection)

    fields = {
        path: {tuple(sorted(p["fields"])) for p in params_of(fake_api, path)}
        for path in (BUSINESS_GET, VIDEO_LIST)
    }
    assert fields[BUSINESS_GET] == {
        tuple(sorted(selection["organic_profile"])),
        tuple(sorted(selection["organic_profile_daily"])),
    }
    assert fields[VIDEO_LIST] == {tuple(sorted(["item_id", *selection["organic_videos"]]))}
    assert {p["max_count"] for p in params_of(fake_api, VIDEO_LIST)} == {"20"}
    keys = {
        "organic_profile": {"business_id", "extracted_date"},
        "organic_profile_daily": {"business_id", "date"},
        "organic_videos": {"business_id", "item_id"},
    }
    for stream, chosen in selection.items():
        assert result.records[stream]
        # Distributions and click metrics only exist for some accounts.
        for record in result.records[stream]:
            assert keys[stream] <= set(record) <= keys[stream] | set(chosen)
        assert any(set(record) == keys[stream] | set(chosen) for record in result.records[stream])


def test_account_settings_are_checked_with_clear_messages():
    errors = check_settings(
        {
            "tiktok_accounts": [
                {"business_id": "a", "refresh_token": "r1"},
                {"refresh_token": "r2"},
                {"business_id": "b"},
                {"business_id": "a", "refresh_token": "r3"},
                {"business_id": "c", "refresh_token": "r1"},  # a: one refresh would rotate it
            ]
        }
    )

    assert "`tiktok_accounts[1]` has no `business_id`" in " ".join(errors)
    assert "`tiktok_accounts[2]` (business_id 'b') has no `refresh_token`" in " ".join(errors)
    assert "`tiktok_accounts[3]` (business_id 'a') is listed twice" in " ".join(errors)
    assert (
        "`tiktok_accounts[4]` (business_id 'c') has the same `refresh_token` as "
        "`tiktok_accounts[0]`" in " ".join(errors)
    )
    assert "r1" not in " ".join(errors)
    assert any("needs `app_id` and `secret`" in error for error in errors)
    assert (
        check_settings(
            {
                "tiktok_accounts": [{"business_id": "a", "refresh_token": "r"}],
                "app_id": "x",
                "secret": "y",
            }
        )
        == []
    )


# A catalog that selects advertising streams next to an organic one (the default does too).
MIXED = {"ad_report_daily": None, "campaigns": None, "organic_profile": None}
ADVERTISING_SETTINGS = {
    "advertiser IDs": {"advertiser_ids": ["7000000000000000001"]},
    "Business Centers": {"business_center_ids": ["bc1"]},
    "custom reports": {
        "custom_reports": [
            {"name": "mine", "report_type": "BASIC", "data_level": "AD", "metrics": ["spend"]}
        ]
    },
}


@pytest.mark.parametrize("setting", ADVERTISING_SETTINGS)
def test_a_missing_access_token_fails_before_any_request_when_ads_are_configured(
    fake_api: FakeTikTokApi, tmp_path: Path, setting: str
) -> None:
    """An hourly job whose token variable went missing must not load organic data alone."""
    config = organic_config(fake_api, **ADVERTISING_SETTINGS[setting])

    done = run_cli(tmp_path, config=config, streams=MIXED, now=NOW)

    assert done.returncode == 1, done.stderr[-2000:]
    assert "`access_token` is not set" in done.stderr
    assert "select only the `organic_*` streams" in done.stderr
    assert "Traceback" not in done.stderr
    assert '"RECORD"' not in done.stdout
    assert fake_api.count() == 0


def test_an_organic_only_config_skips_the_advertising_streams_with_a_warning(
    fake_api: FakeTikTokApi, tmp_path: Path
) -> None:
    for _run in ("first", "from the first run's state"):
        done = run_cli(
            tmp_path,
            *state_option(tmp_path),
            config=organic_config(fake_api),
            streams=MIXED,
            now=NOW,
        )

        assert done.returncode == 0, done.stderr[-2000:]
        assert "the advertising streams are skipped" in done.stderr
        messages = [json.loads(line) for line in done.stdout.splitlines()]
        assert {m["stream"] for m in messages if m["type"] == "RECORD"} == {"organic_profile"}
        assert {record.path for record in fake_api.requests} <= {BUSINESS_GET, REFRESH}
        state = next(m["value"] for m in reversed(messages) if m["type"] == "STATE")
        (tmp_path / "state.json").write_text(json.dumps(state))


def test_bookmarks_of_advertising_streams_fail_an_organic_only_config_without_token(
    fake_api: FakeTikTokApi, tmp_path: Path
) -> None:
    """Earlier runs synced ad data: the token has gone missing, the ads must not stop silently."""
    partition = {"context": {"advertiser_id": "7000000000000000001"}}
    state = {"bookmarks": {"campaigns": {"partitions": [partition]}, "ad_report_daily": {}}}
    (tmp_path / "state.json").write_text(json.dumps(state))

    done = run_cli(
        tmp_path, *state_option(tmp_path), config=organic_config(fake_api), streams=MIXED, now=NOW
    )

    assert done.returncode == 1, done.stderr[-2000:]
    assert "`access_token` is not set" in done.stderr
    assert "The state holds bookmarks of campaigns:" in done.stderr
    assert '"RECORD"' not in done.stdout
    assert fake_api.count() == 0


def state_option(directory: Path) -> list[str]:
    """`--state` with the directory's state.json, if there is one."""
    state = directory / "state.json"
    return ["--state", str(state)] if state.exists() else []


# -- scopes ------------------------------------------------------------------------------


def test_account_without_user_info_profile_fails_alone_naming_the_scope(
    fake_api, fake_data, frozen_now
):
    accounts = organic_accounts(fake_data)
    withheld = accounts[1].business_id
    organic_auth(fake_api).withhold_scopes(withheld, "user.info.profile")

    result, error = failing_run(organic_config(fake_api))

    assert_complete(result, fake_data, skip={withheld})
    assert fake_api.count(BUSINESS_GET, code=40130) == 1  # not asked again by later streams
    message = str(error)
    assert f"{withheld} (TikTok error 40130 on /business/get/)" in message
    assert (
        "TikTok says this scope is missing: user.info.profile (selected fields of "
        f"organic_profile that need it: {', '.join(PROFILE_SCOPE_FIELDS)})"
    ) in message
    assert f"scope={EVERY_SCOPE}" in message
    assert "deselect" in message
    assert accounts[0].business_id not in message
    assert accounts[2].business_id not in message


def test_account_without_user_info_profile_syncs_when_its_fields_are_deselected(
    fake_api, fake_data, frozen_now
):
    accounts = organic_accounts(fake_data)
    withheld = accounts[1].business_id
    organic_auth(fake_api).withhold_scopes(withheld, "user.info.profile")
    profile_fields = [
        name for name in (*PROFILE_FIELDS, *DISTRIBUTION_FIELDS) if name not in PROFILE_SCOPE_FIELDS
    ]
    streams = {**ORGANIC, "organic_profile": [*profile_fields, "extra_fields"]}

    result = run_tap(organic_config(fake_api), streams=streams)

    assert fake_api.count(BUSINESS_GET, code=40130) == 0
    for params in params_of(fake_api, BUSINESS_GET):
        assert not set(params["fields"]) & set(PROFILE_SCOPE_FIELDS)
    for record in result.records["organic_profile"]:
        assert not set(record) & set(PROFILE_SCOPE_FIELDS)
        for name in PROFILE_SCOPE_FIELDS:
            record[name] = next(
                profile(a, NOW)[name] for a in accounts if a.business_id == record["business_id"]
            )
    assert_complete(result, fake_data)  # the account without the scope included


def test_authorisation_url_asks_for_every_scope_the_default_selection_needs(fake_api, frozen_now):
    """The README, the tap's list and the fake's own transcription of Doc 1762228399168514
    agree, and a run of the default selection asks for fields needing exactly those scopes."""
    run_tap(organic_config(fake_api), streams=ORGANIC)

    fake_tables = {BUSINESS_GET: BUSINESS_GET_SCOPES, VIDEO_LIST: VIDEO_LIST_SCOPES}
    needed: set[str] = set()
    for path, table in fake_tables.items():
        assert {name: set(scopes) for name, scopes in FIELD_SCOPES[f"/{path}"].items()} == table
        for params in params_of(fake_api, path):
            needed.update(*(table[name] for name in params["fields"]))
    readme = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")
    urls = re.findall(r"https://www\.tiktok\.com/v2/auth/authorize\?\S*scope=([a-z._,]+)", readme)
    assert urls == [EVERY_SCOPE]
    assert set(EVERY_SCOPE.split(",")) == needed == set(AUTHORIZATION_SCOPES) == set(ALL_SCOPES)


# -- the fake's own rules ----------------------------------------------------------------


def test_fake_organic_rules(fake_api, fake_data):
    accounts = organic_accounts(fake_data)
    auth = organic_auth(fake_api)
    token = auth.issue_access_token(accounts[0].business_id)
    base = fake_api.base_url

    def get(path: str, access_token: str | None = token, **params: Any) -> dict[str, Any]:
        headers = {"Access-Token": access_token} if access_token else {}
        return requests.get(base + path, params=params, headers=headers, timeout=5).json()

    business = accounts[0].business_id
    assert get("/business/get/", None, business_id=business)["code"] == 40104
    assert get("/business/get/", "nope", business_id=business)["code"] == 40105
    assert get("/business/get/", business_id=accounts[1].business_id)["code"] == 40001
    too_old = (TODAY - dt.timedelta(days=61)).isoformat()
    assert get("/business/get/", business_id=business, start_date=too_old)["code"] == 40002
    edge = (TODAY - dt.timedelta(days=60)).isoformat()
    assert get("/business/get/", business_id=business, start_date=edge)["code"] == 0
    default = get("/business/get/", business_id=business)["data"]
    # The requested fields by default, and a field TikTok added after the transcription.
    assert set(default) == {"display_name", "profile_image", "field_added_after_transcription"}
    small = auth.issue_access_token(accounts[2].business_id)
    fields = json.dumps(["audience_ages", "followers_count"])
    assert (
        "audience_ages"
        not in get("/business/get/", small, business_id=accounts[2].business_id, fields=fields)[
            "data"
        ]
    )
    assert get("/business/video/list/", business_id=business, max_count=21)["code"] == 40002
    assert get("/business/videos/list/", business_id=business, max_count=20)["code"] == 0
    listing = get(
        "/business/video/list/", business_id=business, fields=json.dumps(["create_time", "likes"])
    )
    assert listing["code"] == 40002  # item_id must come with other fields

    pages, cursor = [], None
    while True:
        params = {
            "business_id": business,
            "max_count": 20,
            "fields": json.dumps(["item_id", "create_time"]),
        }
        if cursor:
            params["cursor"] = cursor
        page = get("/business/video/list/", **params)["data"]
        pages.append(page)
        if not page["has_more"]:
            break
        cursor = page["cursor"]
    assert any(not p["videos"] and p["has_more"] for p in pages)
    assert any(0 < len(p["videos"]) < 20 and p["has_more"] for p in pages)
    listed = [v for p in pages for v in p["videos"]]
    assert {type(v["create_time"]) for v in listed} == {str, int}
    assert [v["item_id"] for v in listed] == [v["item_id"] for v in videos(accounts[0], NOW)]
    assert {tuple(sorted(v)) for v in listed} == {
        ("create_time", "item_id"),
        ("create_time", "field_added_after_transcription", "item_id"),
    }

    refresh = requests.post(
        base + "/tt_user/oauth2/refresh_token/",
        json={
            "client_id": "test-app",
            "client_secret": "test-secret",
            "grant_type": "refresh_token",
            "refresh_token": "rft.unknown",
        },
        timeout=5,
    ).json()
    assert refresh["code"] == 40107
    code = auth.auth_code(business)
    body = {
        "client_id": "test-app",
        "client_secret": "test-secret",
        "grant_type": "authorization_code",
        "auth_code": code,
        "redirect_uri": "https://example.com/cb",
    }
    exchanged = requests.post(base + "/tt_user/oauth2/token/", json=body, timeout=5).json()
    assert exchanged["data"]["open_id"] == business
    assert exchanged["data"]["expires_in"] == 86400
    assert (
        requests.post(base + "/tt_user/oauth2/token/", json=body, timeout=5).json()["code"] == 40110
    )


def test_fake_refuses_fields_whose_scope_the_token_lacks(fake_api, fake_data):
    business = organic_accounts(fake_data)[0].business_id
    auth = organic_auth(fake_api)

    def get(path: str, scopes: set[str], fields: list[str] | None = None) -> dict[str, Any]:
        token = auth.issue_access_token(business, scopes=set(ALL_SCOPES) - scopes)
        params = {"business_id": business}
        if fields is not None:
            params["fields"] = json.dumps(fields)
        return requests.get(
            fake_api.base_url + path, params=params, headers={"Access-Token": token}, timeout=5
        ).json()

    refused = get("/business/get/", {"user.info.profile"}, ["display_name", "bio_description"])
    assert refused["code"] == 40130
    assert "user.info.profile (bio_description)" in refused["message"]
    assert get("/business/get/", {"user.info.profile"}, ["display_name", "username"])["code"] == 0
    assert get("/business/get/", {"user.account.type"}, ["is_business_account"])["code"] == 40130
    assert get("/business/get/", {"user.info.basic"})["code"] == 40130  # the default fields
    assert get("/business/get/", {"user.insights"}, ["followers_count"])["code"] == 40130
    assert get("/business/get/", {"user.insights"}, ["following_count"])["code"] == 0
    assert get("/business/get/", {"user.info.stats"}, ["video_views"])["code"] == 0
    assert get("/business/video/list/", {"video.insights"}, ["item_id", "likes"])["code"] == 40130
    assert get("/business/video/list/", {"video.insights"}, ["item_id", "caption"])["code"] == 0
    assert get("/business/video/list/", {"video.list"})["code"] == 40130  # the listing itself

    auth.withhold_scopes(business, "user.info.profile", "video.insights")
    refresh = requests.post(
        fake_api.base_url + "/tt_user/oauth2/refresh_token/",
        json={
            "client_id": fake_api.app_id,
            "client_secret": fake_api.secret,
            "grant_type": "refresh_token",
            "refresh_token": auth.refresh_token(business),
        },
        timeout=5,
    ).json()
    granted = refresh["data"]["scope"].split(",")
    assert set(granted) == set(ALL_SCOPES) - {"user.info.profile", "video.insights"}


def test_fake_daily_data_settles_two_days_after_the_day(fake_data):
    account = organic_accounts(fake_data)[0]
    day = dt.date(2026, 11, 10)
    end_of_day = dt.datetime(2026, 11, 11, tzinfo=dt.timezone.utc)
    assert daily_rows(account, day, day, end_of_day - dt.timedelta(seconds=1)) == []
    values = [
        daily_rows(account, day, day, end_of_day + dt.timedelta(hours=h))[0]
        for h in (0, 24, 48, 96)
    ]
    assert values[0] != values[1] != values[2]
    assert values[2] == values[3]


def failing_run(
    config: dict[str, Any], state: dict[str, Any] | None = None
) -> tuple[SyncResult, FatalAPIError]:
    """A sync of this module's streams that must fail."""
    return run_until_failure(config, streams=ORGANIC, state=state)


def test_a_field_tiktok_sends_beyond_the_requested_ones_is_kept_and_said_once(
    fake_api, fake_data, frozen_now, caplog
):
    """`fields` asks for the selected fields only; one TikTok added later comes anyway."""
    with caplog.at_level(logging.WARNING):
        result = run_tap(organic_config(fake_api), streams=ORGANIC)
    for stream in ORGANIC:
        records = result.records[stream]
        newer = [r["extra_fields"] for r in records if "extra_fields" in r]
        assert newer, stream
        assert all(set(extra) == {"field_added_after_transcription"} for extra in newer)
        assert all("field_added_after_transcription" not in r for r in records)
        said = [m for m in caplog.messages if m.startswith(f"{stream}: TikTok sent the field")]
        assert len(said) == 1, said
        assert "'field_added_after_transcription'" in said[0]
    assert len(result.records["organic_profile_daily"]) > 3 * 10  # several days per account
    requested = {f for p in params_of(fake_api, BUSINESS_GET) for f in p["fields"]}
    assert "field_added_after_transcription" not in requested
    assert "extra_fields" not in requested
    for stream in ORGANIC:
        properties = result.schemas[stream]["schema"]["properties"]
        assert properties["extra_fields"]["type"] == ["object", "null"]


def video_page(cursor: object, *, has_more: bool = True) -> requests.Response:
    """An answer of `business/video/list/` holding one video and `cursor`."""
    response = requests.Response()
    response.status_code = 200
    data = {"videos": [{"item_id": "1"}], "has_more": has_more, "cursor": cursor}
    response._content = json.dumps({"code": 0, "message": "OK", "data": data}).encode()
    return response


@pytest.mark.parametrize("cursor", ["1655118106000", " 1655118106000"])
def test_video_cursor_sent_as_text_that_does_not_move_stops_with_a_warning(cursor, caplog):
    """Other clients take TikTok's numbers as text (`create_time`): so does the cursor check."""
    paginator = VideoCursorPaginator(logging.getLogger("test_organic"))
    paginator.advance(video_page(cursor))
    assert paginator.current_value == 1655118106000
    assert not paginator.finished

    with caplog.at_level(logging.WARNING):
        paginator.advance(video_page(cursor))  # the SDK raised "Loop detected in pagination"

    assert paginator.finished
    assert "did not move its cursor" in caplog.text


@pytest.mark.parametrize("cursor", ["next-page", "1655118106000.5", True, {"ms": 1}])
def test_video_cursor_that_is_not_a_number_stops_the_list_with_a_warning(cursor, caplog):
    paginator = VideoCursorPaginator(logging.getLogger("test_organic"))

    with caplog.at_level(logging.WARNING):
        paginator.advance(video_page(cursor))

    assert paginator.finished
    warnings = [r.getMessage() for r in caplog.records]
    assert len(warnings) == 1
    assert "not a number" in warnings[0]
    assert repr(cursor) in warnings[0]


@pytest.mark.parametrize("key", ["refresh_token", "business_id", "access_token"])
def test_account_values_pasted_with_spaces_or_a_newline_are_sent_trimmed(
    fake_api, fake_data, frozen_now, key
):
    """`.env` files and secret managers keep a trailing newline; `check_settings` ignored it
    and the tap sent it, so TikTok refused the token (40107) or the business_id."""
    config = organic_config(fake_api)
    first = config["tiktok_accounts"][0]
    if key == "access_token":
        first["access_token"] = organic_auth(fake_api).issue_access_token(first["business_id"])
    pasted = first[key]
    first[key] = f"  {pasted}\n"
    assert not check_settings(config)

    result = run_tap(config, streams={"organic_profile": None, "organic_profile_daily": None})

    accounts = organic_accounts(fake_data)
    profiles = by_account(result.records["organic_profile"])
    assert set(profiles) == {a.business_id for a in accounts}
    assert profiles[accounts[0].business_id] == [expected_profile(accounts[0])]
    partitions = result.state["bookmarks"]["organic_profile_daily"]["partitions"]
    assert {p["context"]["business_id"] for p in partitions} == set(profiles)
    assert fake_api.count(REFRESH) == len(accounts) - (key == "access_token")
    assert not [r for r in fake_api.requests if r.code]


def test_account_values_are_masked_as_pasted_and_as_sent(fake_api):
    config = organic_config(fake_api)
    config["tiktok_accounts"][0]["refresh_token"] = "rft.pasted0000token\n"

    secrets = Settings.from_config(config).secrets()

    assert "rft.pasted0000token\n" in secrets
    assert "rft.pasted0000token" in secrets


def test_listed_accounts_differing_in_spaces_only_are_duplicates(fake_api):
    config = organic_config(fake_api)
    first = config["tiktok_accounts"][0]
    config["tiktok_accounts"].append({**first, "business_id": first["business_id"] + " "})

    errors = check_settings(config)

    assert any("is listed twice" in error for error in errors), errors


FAST_RETRIES = {"max_retries": 2, "max_retry_seconds": 5, "retry_initial_wait_seconds": 0.01}


def test_one_accounts_persistent_server_error_does_not_stop_the_other_accounts(
    fake_api, fake_data, frozen_now
):
    """A lasting 50002 on one account's `business/get/` ran out of retries and ended the run:
    the accounts after it got nothing. It fails alone now, its bookmark kept, like a refusal."""
    accounts = organic_accounts(fake_data)
    failing = accounts[0].business_id
    fake_api.faults.refuse_account(failing, 50002, path=BUSINESS_GET)
    resumed_from = (START + dt.timedelta(days=3)).isoformat()
    partitions = [
        {"context": {"business_id": a.business_id}, "replication_key_value": resumed_from}
        for a in accounts
    ]
    state = {"bookmarks": {"organic_profile_daily": {"partitions": partitions}}}

    result, error = failing_run(organic_config(fake_api, **FAST_RETRIES), state)

    assert_complete(result, fake_data, skip={failing})
    # One retry budget (max_retries + 1 attempts), in the first stream; the later ones skip it.
    assert fake_api.count(BUSINESS_GET, code=50002) == 3
    assert failing not in {p["business_id"] for p in params_of(fake_api, VIDEO_LIST)}
    written = result.state["bookmarks"]["organic_profile_daily"]["partitions"]
    bookmarks = {p["context"]["business_id"]: p["replication_key_value"] for p in written}
    assert bookmarks[failing] == resumed_from
    message = str(error)
    assert (
        f"Retries ran out on requests for 1 TikTok account(s): {failing} "
        "(TikTok error 50002 on /business/get/)"
    ) in message
    assert "run the tap again later" in message
    assert accounts[1].business_id not in message
    assert accounts[2].business_id not in message


def test_accounts_failing_on_different_faults_each_fail_alone(fake_api, fake_data, frozen_now):
    accounts = organic_accounts(fake_data)
    fake_api.faults.refuse_account(accounts[0].business_id, 50002, path=BUSINESS_GET)
    fake_api.faults.refuse_account(accounts[1].business_id, 51000, path=BUSINESS_GET)
    fake_api.faults.refuse_account(accounts[2].business_id, 50002, path=VIDEO_LIST)

    result, error = failing_run(organic_config(fake_api, **FAST_RETRIES))

    assert by_account(result.records["organic_profile"]) == {
        accounts[2].business_id: [expected_profile(accounts[2])]
    }
    message = str(error)
    assert "in a row" not in message
    listed = ", ".join(
        f"{account.business_id} ({fault})"
        for account, fault in zip(
            accounts,
            [
                "TikTok error 50002 on /business/get/",
                "TikTok error 51000 on /business/get/",
                "TikTok error 50002 on /business/video/list/",
            ],
            strict=True,
        )
    )
    assert f"Retries ran out on requests for 3 TikTok account(s): {listed}." in message
    assert "were synced" in message


def test_tiktok_failing_for_every_account_stops_after_three_in_a_row(
    fake_api, fake_data, frozen_now
):
    """TikTok down: three accounts in a row spent a retry budget each on the same fault; the
    run stops there instead of spending one more budget on every account left."""
    fake_api.faults.fail_rate(1.0, (50002,))
    config = organic_config(fake_api, **FAST_RETRIES)
    left = {"business_id": "-0000000000never", "refresh_token": "rft.never0000asked"}
    config["tiktok_accounts"].append(left)

    _result, error = failing_run(config)

    asked = [r.params for r in fake_api.requests]
    assert not [p for p in asked if left["business_id"] in p.values()]
    assert not [p for p in asked if left["refresh_token"] in p.values()]
    assert len(fake_api.requests) == 3 * 3  # a budget for each of the first three accounts
    message = str(error)
    names = ", ".join(a.business_id for a in organic_accounts(fake_data))
    assert (
        f"TikTok error 50002 outlasted the retries of 3 TikTok accounts in a row ({names}): "
        "TikTok seems to fail for every account, so the run stops without trying the "
        "accounts left."
    ) in message
    first = organic_accounts(fake_data)[0].business_id
    assert f"{first} (TikTok error 50002 on /tt_user/oauth2/refresh_token/)" in message
    assert "run the tap again later" in message
    assert left["business_id"] not in message
    assert "were synced" not in message


def test_a_refresh_that_keeps_answering_without_a_token_fails_that_account_naming_the_refresh(
    fake_api, fake_data, frozen_now
):
    accounts = organic_accounts(fake_data)
    fake_api.faults.fail_next(3, 0, path=REFRESH)  # account 0's budget: code 0, no token

    result, error = failing_run(organic_config(fake_api, **FAST_RETRIES))

    assert_complete(result, fake_data, skip={accounts[0].business_id})
    assert (
        f"Retries ran out on requests for 1 TikTok account(s): {accounts[0].business_id} "
        "(answers the tap could not read on /tt_user/oauth2/refresh_token/)"
    ) in str(error)


def test_the_app_secret_pasted_with_a_newline_refreshes_the_tokens(fake_api, fake_data, frozen_now):
    """`secret` is sent as TikTok's `client_secret` trimmed: with the newline, 40101."""
    config = organic_config(fake_api)
    config["secret"] = f"{config['secret']}\n"
    assert not check_settings(config)

    result = run_tap(config, streams={"organic_profile": None})

    assert len(result.records["organic_profile"]) == len(organic_accounts(fake_data))


def test_a_store_behind_a_link_is_written_where_the_link_points(
    fake_api, fake_data, frozen_now, tmp_path
):
    """A store path linked to a secrets volume keeps its link; the file it names is updated."""
    organic_auth(fake_api).rotate_refresh_tokens = True
    volume = tmp_path / "volume" / "tokens.json"
    volume.parent.mkdir()
    volume.write_text("")
    link = tmp_path / "refresh-tokens.json"
    link.symlink_to(volume)
    config = organic_config(fake_api, refresh_token_store_path=str(link))

    run_tap(config, streams={"organic_profile": None})

    assert link.is_symlink()
    assert set(stored_accounts(volume)) == {a.business_id for a in organic_accounts(fake_data)}
