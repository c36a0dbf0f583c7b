"""The command line: a user's mistake exits non-zero with one clear message, no traceback.

Each bad config is caught before any request reaches the (fake) API.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import run_cli, tap_config
from tests.fake_api import FakeTikTokApi

BAD_CONFIGS = [
    ({"start_date": "2026-02-30"}, "`start_date`: '2026-02-30' is not a date"),
    ({"start_date": "last week"}, "today-N"),
    ({"end_date": "tomorrow"}, "`end_date`"),
    ({"start_date": "2026-11-10", "end_date": "2026-11-01"}, "`start_date` (2026-11-10) is after"),
    ({"page_size": 5000}, "`page_size` is 5000; it must be between 1 and 1000"),
    ({"page_size": 0}, "`page_size` is 0"),
    ({"attribution_window_days": -1}, "`attribution_window_days` is -1"),
    ({"audience_lookback_hours": 500}, "`audience_lookback_hours` is 500"),
    ({"audience_lookback_hours": -2}, "`audience_lookback_hours` is -2"),
    ({"max_requests_per_second": 0}, "`max_requests_per_second` is 0"),
    ({"api_base_url": "business-api.tiktok.com"}, "`api_base_url`"),
    ({"page_size": "lots"}, "'lots' is not of type 'integer'"),
    ({"access_token": None}, "`access_token` is not set"),
    ({"advertiser_ids": [], "app_id": None}, "`advertiser_ids` is empty"),
]


@pytest.mark.parametrize(("overrides", "message"), BAD_CONFIGS)
def test_bad_config_exits_before_any_request(
    tmp_path: Path, fake_api: FakeTikTokApi, overrides: dict, message: str
) -> None:
    config = tap_config(fake_api, **overrides)
    config = {key: value for key, value in config.items() if value is not None}
    result = run_cli(tmp_path, config=config)
    assert result.returncode != 0
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert fake_api.count() == 0


def test_bad_token_fails_with_the_code_the_fix_and_no_secret(
    tmp_path: Path, fake_api: FakeTikTokApi
) -> None:
    secret_token = "not-a-real-token-7f3a9c"
    result = run_cli(tmp_path, config=tap_config(fake_api, access_token=secret_token))
    assert result.returncode == 1
    assert "40105" in result.stderr
    assert "Check `access_token`" in result.stderr
    assert "Traceback" not in result.stderr
    assert secret_token not in result.stderr + result.stdout


def test_unauthorised_advertiser_names_the_fix(tmp_path: Path, fake_api: FakeTikTokApi) -> None:
    fake_api.allow("limited-token", fake_api.data.advertiser_ids()[:1])
    result = run_cli(tmp_path, config=tap_config(fake_api, access_token="limited-token"))
    assert result.returncode == 1
    assert "40001" in result.stderr
    assert "advertiser_ids" in result.stderr
    assert "Traceback" not in result.stderr


def test_discover_and_about_need_no_credentials_or_network(tmp_path: Path) -> None:
    result = run_cli(tmp_path, "--discover", config={})
    assert result.returncode == 0, result.stderr
    catalog = json.loads(result.stdout)
    names = {stream["tap_stream_id"] for stream in catalog["streams"]}
    assert {"ad_report_daily", "campaign_report_hourly", "advertiser_report_lifetime"} <= names
    about = run_cli(None, "--about", "--format=json")
    assert about.returncode == 0, about.stderr
    settings = json.loads(about.stdout)["settings"]["properties"]
    assert settings["access_token"]["secret"] is True
