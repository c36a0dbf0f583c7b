"""No secret in any output: DEBUG logs, errors, STATE or records, whatever goes wrong.

The CLI runs at DEBUG level (`TAP_TIKTOK_ADS_LOGLEVEL`, which singer-sdk 0.54 reads for the
root logger, so urllib3 logs every URL as sent) through every fault kind, failing runs and
TikTok-account token refreshes included. Secrets carry characters that URL encoding changes,
and each is searched for as written and URL-encoded: `secret` travels in the query string of
`oauth2/advertiser/get/`.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, quote_plus

import pytest

from tap_tiktok_ads.settings import schema_errors
from tests.conftest import NOW, catalog_for, run_cli, tap_config
from tests.fake_api import FakeData, FakeTikTokApi
from tests.fake_api.faults import RESET, SHORT_PAGE, Fault
from tests.fake_api.organic import organic_accounts, organic_auth
from tests.reliability import STREAMS, sync_config

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from pathlib import Path

TOKEN = "tok+en/Value==9"
SECRET = "s3cr+t/Key==x"
WRONG_TOKEN = "wr0ng+token/abc=="
REPORT = "report/integrated/get/"
OAUTH = "oauth2/advertiser/get/"


@pytest.fixture
def api(fake_data: FakeData) -> Iterator[FakeTikTokApi]:
    with FakeTikTokApi(fake_data, tokens={TOKEN}, secret=SECRET, clock=lambda: NOW) as server:
        yield server


def every_fault(api: FakeTikTokApi) -> dict[str, Any]:
    api.faults.fail_rate(0.1, codes=(40100, 40133, 50002), seed=4)
    api.faults.http_error_next(1, status=502, path=OAUTH)
    api.faults.reset_next(1, path=OAUTH)
    api.faults.truncated_next(1, path=OAUTH)
    api.faults.hang_next(1, seconds=1.5, path=REPORT)
    api.faults.short_page_next(1, path=REPORT)
    api.faults.http_error_next(1, status=503, path="tt_user/oauth2/refresh_token/")
    auth = organic_auth(api)
    auth.expire_after_calls = 2
    auth.rotate_refresh_tokens = True
    return {"request_timeout_seconds": 1}


def wrong_token(api: FakeTikTokApi) -> dict[str, Any]:
    del api
    return {"access_token": WRONG_TOKEN}


def refusals(api: FakeTikTokApi) -> dict[str, Any]:
    organic_auth(api).expire_refresh_token(organic_accounts(api.data)[0].business_id)
    organic_auth(api).invalidate_refresh_token(organic_accounts(api.data)[1].business_id)
    api.faults.refuse_advertiser(api.data.advertiser_ids()[0], 40001, path=REPORT)
    return {}


def connections_keep_failing(api: FakeTikTokApi) -> dict[str, Any]:
    # requests puts the whole URL, `secret=` included, in a connection error's message.
    api.faults.fault_rate(1.0, Fault(RESET), path=OAUTH)
    return {"max_retries": 1}


def short_pages_and_bad_config(api: FakeTikTokApi) -> dict[str, Any]:
    api.faults.fault_rate(0.2, Fault(SHORT_PAGE, amount=1))
    return {"page_size": "lots"}


SCENARIOS: dict[str, tuple[Callable[[FakeTikTokApi], dict[str, Any]], int]] = {
    "every fault, then success": (every_fault, 0),
    "wrong token": (wrong_token, 1),
    "refused advertiser and refresh tokens": (refusals, 1),
    "retries exhausted on the call with the secret": (connections_keep_failing, 1),
    "invalid config": (short_pages_and_bad_config, 1),
}


def forms(secret: str) -> set[str]:
    """A secret as written, URL-encoded and JSON-escaped."""
    return {secret, quote(secret, safe=""), quote_plus(secret), json.dumps(secret)[1:-1]}


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_no_secret_in_any_output_at_debug_level(
    api: FakeTikTokApi, tmp_path: Path, scenario: str
) -> None:
    prepare, returncode = SCENARIOS[scenario]
    config = sync_config(api, tap_config(api), page_size=4, retry_initial_wait_seconds=0.01)
    config |= {"access_token": TOKEN, "advertiser_ids": []}  # all authorised: needs `secret`
    configured_refresh_tokens = [a["refresh_token"] for a in config["tiktok_accounts"]]
    catalog = catalog_for(config, STREAMS)
    config |= prepare(api)
    (tmp_path / "config.json").write_text(json.dumps(config))
    (tmp_path / "catalog.json").write_text(json.dumps(catalog))

    done = run_cli(
        tmp_path,
        *("--config", "config.json", "--catalog", "catalog.json"),
        now=NOW,
        env={"TAP_TIKTOK_ADS_LOGLEVEL": "DEBUG"},
        timeout=120,
    )

    assert done.returncode == returncode, done.stderr[-3000:]
    output = done.stdout + done.stderr
    assert "| DEBUG" in done.stderr  # debug logging was on
    auth = organic_auth(api)
    secrets = {TOKEN, SECRET, WRONG_TOKEN, *configured_refresh_tokens}
    secrets |= set(auth._access_tokens) | set(auth._refresh_tokens)
    leaks = sorted(
        f"{form!r}: {line[:200]}"
        for secret in secrets
        for form in forms(secret)
        for line in output.splitlines()
        if form in line
    )
    assert leaks == []
    if scenario == "every fault, then success":
        assert auth.refreshes.total() > len(organic_accounts(api.data))  # tokens were refreshed
        assert "secret=***" in done.stderr  # urllib3's URL, masked


REFRESH = "REFRESHSECRET777"
# Config values of the wrong shape under the secret settings: jsonschema's message repeats the
# value, and these errors are reported before the redactor exists. (change, key, expected shape)
MISSHAPEN_SECRETS: dict[str, tuple[dict[str, Any], str, str]] = {
    "accounts an object": (
        {"tiktok_accounts": {"business_id": "b1", "refresh_token": REFRESH}},
        "`tiktok_accounts`",
        "must be an array of objects with the keys `business_id`, `refresh_token`",
    ),
    "account a string": (
        {"tiktok_accounts": [f"b1:{REFRESH}"]},
        "`tiktok_accounts[0]`",
        "must be an object with the keys `business_id`, `refresh_token`",
    ),
    "refresh token a list": (
        {"tiktok_accounts": [{"business_id": "b1", "refresh_token": [REFRESH]}]},
        "`tiktok_accounts[0].refresh_token`",
        "must be a string",
    ),
    "access token a list": ({"access_token": [TOKEN]}, "`access_token`", "must be a string"),
    "secret an object": ({"secret": {"value": SECRET}}, "`secret`", "must be a string"),
}


@pytest.mark.parametrize("command", ["sync", "--discover"])
@pytest.mark.parametrize("case", MISSHAPEN_SECRETS)
def test_a_misshapen_secret_setting_is_named_not_shown(
    api: FakeTikTokApi, tmp_path: Path, case: str, command: str
) -> None:
    change, key, shape = MISSHAPEN_SECRETS[case]
    config = tap_config(api, access_token=TOKEN, app_id="app", secret=SECRET) | change
    done = run_cli(tmp_path, *([command] if command != "sync" else []), config=config)

    # A sync stops before any request; `--discover` warns and still writes the catalog.
    assert done.returncode == (1 if command == "sync" else 0), done.stderr[-3000:]
    assert "Traceback" not in done.stderr
    assert api.count() == 0
    output = done.stdout + done.stderr
    leaks = [
        form for secret in (TOKEN, SECRET, REFRESH) for form in forms(secret) if form in output
    ]
    assert leaks == []
    message = next(line for line in done.stderr.splitlines() if key in line)
    assert shape in message
    assert "not shown" in message


def test_any_setting_the_schema_marks_secret_is_not_shown() -> None:
    schema = {
        "type": "object",
        "properties": {
            "webhook": {
                "type": "object",
                "properties": {"key": {"type": "string", "secret": True}},
            },
            "page_size": {"type": "integer"},
        },
    }
    errors = schema_errors({"webhook": {"key": 73571234}, "page_size": "lots"}, schema)
    assert sorted(errors) == [
        "'lots' is not of type 'integer' in config['page_size']",  # no secret: the value helps
        "`webhook.key` must be a string (the value is not shown: the setting holds secrets).",
    ]
