"""TikTok's return codes as the tap handles them: one table, each code with its source."""

from __future__ import annotations

import datetime as dt

import pytest

from tap_tiktok_ads.errors import (
    RETURN_CODES,
    Action,
    TikTokFatalError,
    TikTokTokenExpiredError,
    classify,
)
from tests.conftest import NOW, run_tap, tap_config
from tests.truth import REPORTS, by_key, expected_report_records

# Codes TikTok says need a change of the request or credentials: repeating cannot succeed.
NEEDS_A_FIX = [40000, 40002, 40006, 40007, 40011, 40051, 40067, 40101, 40104, 40105]


def test_every_code_names_its_source_and_action() -> None:
    assert RETURN_CODES[0].action is Action.SUCCEED
    for code, known in RETURN_CODES.items():
        assert known.source, code
        assert known.meaning, code


@pytest.mark.parametrize("code", NEEDS_A_FIX)
def test_codes_that_need_a_fix_are_not_retried(code: int) -> None:
    assert RETURN_CODES[code].action is Action.FAIL
    assert isinstance(classify(code, "message", "report/integrated/get/", None), TikTokFatalError)


def test_an_expired_token_is_refreshed_only_where_the_tap_can() -> None:
    """Only a TikTok account's token can be refreshed: the Marketing API's ends the run."""
    expired = classify(40102, "Access token expired", "campaign/get/", None)
    assert isinstance(expired, TikTokFatalError)
    assert "expired or was revoked. Check `access_token`" in str(expired)
    refreshable = classify(
        40102, "Access token expired", "business/get/", None, token_refreshable=True
    )
    assert isinstance(refreshable, TikTokTokenExpiredError)


def test_partial_success_is_not_fatal() -> None:
    assert RETURN_CODES[20001].action is Action.PARTIAL


@pytest.mark.usefixtures("frozen_now")
def test_a_partially_successful_answer_keeps_its_rows(fake_api, fake_data, caplog) -> None:
    fake_api.faults.partial_success_next(2, path="report/integrated/get/")
    config = tap_config(fake_api, start_date="2026-11-18", end_date="2026-11-20")
    with caplog.at_level("WARNING"):
        result = run_tap(config, streams={"ad_report_daily": None})
    assert fake_api.log.count(code=20001) == 2
    assert any("20001 (partially successful)" in r.getMessage() for r in caplog.records)
    selected = [
        name
        for name in result.schemas["ad_report_daily"]["schema"]["properties"]
        if name not in REPORTS["ad_report_daily"].key_properties
    ]
    expected = expected_report_records(
        fake_data,
        "ad_report_daily",
        selected,
        start=dt.date(2026, 11, 18),
        end=dt.date(2026, 11, 20),
        now=NOW,
    )
    keys = REPORTS["ad_report_daily"].key_properties
    assert by_key(result.records["ad_report_daily"], keys) == by_key(expected, keys)
