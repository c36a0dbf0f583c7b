"""Custom reports: validated at start-up with a message per mistake, then synced like the rest."""

from __future__ import annotations

import datetime as dt

import pytest

from tap_tiktok_ads.custom_reports import parse_custom_reports
from tap_tiktok_ads.report_definitions import Granularity
from tests.conftest import NOW, run_cli, run_tap, tap_config
from tests.truth import by_key, expected_report_records

GOOD = {
    "name": "campaign_country_daily",
    "report_type": "BASIC",
    "data_level": "CAMPAIGN",
    "dimensions": ["campaign_id", "stat_time_day", "country_code"],
    "metrics": ["spend", "impressions", "clicks"],
}


def entry(**changes: object) -> dict:
    return {**GOOD, **changes}


@pytest.mark.parametrize(
    ("report", "message"),
    [
        (
            entry(dimensions=["campaign_id", "stat_time_day", "contry_code"]),
            "unknown dimension 'contry_code'. Did you mean 'country_code'",
        ),
        (
            entry(metrics=["spend", "impresions"]),
            "Unknown metric 'impresions'. Did you mean 'impressions'",
        ),
        (
            entry(
                report_type="AUDIENCE",
                dimensions=["campaign_id", "stat_time_day", "age"],
                metrics=["reach"],
            ),
            "TikTok does not offer 'reach' in AUDIENCE reports with the breakdown age",
        ),
        (
            entry(
                data_level="ADVERTISER",
                dimensions=["advertiser_id", "stat_time_hour"],
                metrics=["cash_spend"],
            ),
            "'cash_spend' is only available in day reports (TikTok reference: Doc 1738864894606337",
        ),
        (
            entry(
                report_type="AUDIENCE",
                dimensions=["campaign_id", "stat_time_day", "country_code"],
                metrics=["spend", "likes", "sales_lead"],
            ),
            "TikTok does not offer 'sales_lead' in AUDIENCE reports with the breakdown country_code",
        ),
        (
            entry(dimensions=["campaign_id", "stat_time_day", "stat_time_hour"]),
            "two time dimensions",
        ),
        (
            entry(dimensions=["ad_id", "stat_time_day"]),
            "dimension 'ad_id' does not match data_level CAMPAIGN; use 'campaign_id'",
        ),
        (entry(name="ad_report_daily"), "a stream named 'ad_report_daily' exists already"),
        (entry(name="Bad Name"), "`name` 'Bad Name' must be lower case"),
        (
            entry(report_type="BASICS"),
            "report_type 'BASICS' is not one of BASIC, AUDIENCE, TT_SHOP. Did you mean 'BASIC'",
        ),
        (entry(data_level="ADGROUPS"), "data_level 'ADGROUPS' is not one of"),
        (
            entry(
                report_type="AUDIENCE",
                dimensions=["campaign_id", "stat_time_day", "age", "platform"],
            ),
            "cannot be combined",
        ),
        (
            entry(dimensions=["campaign_id", "stat_time_day", "age"]),
            "dimension 'age' is not valid in BASIC reports",
        ),
        (
            entry(report_type="AUDIENCE", dimensions=["campaign_id", "age"]),
            "AUDIENCE reports need the dimension 'stat_time_day'",
        ),
        (
            entry(report_type="AUDIENCE", dimensions=["campaign_id", "stat_time_day"]),
            "AUDIENCE reports need an audience dimension; add one of ac, age",
        ),
        (entry(metric=["spend"]), "unknown key 'metric'. Did you mean 'metrics'"),
        (
            entry(metrics=["ad_name"]),
            "'ad_name' is only available at AD level",
        ),
    ],
)
def test_each_mistake_has_its_message(report: dict, message: str) -> None:
    definitions, errors = parse_custom_reports([report])
    assert definitions == []
    assert any(message in error for error in errors), errors
    assert all(error.startswith("`custom_reports[0]`") for error in errors)


def test_duplicate_custom_names_are_rejected() -> None:
    _, errors = parse_custom_reports([GOOD, GOOD])
    assert errors == [
        (
            "`custom_reports[1]` ('campaign_country_daily'): a stream named "
            "'campaign_country_daily' exists already; choose another name."
        )
    ]


def test_a_valid_entry_becomes_a_definition() -> None:
    (definition,), errors = parse_custom_reports(
        [entry(dimensions=["stat_time_hour"], data_level="AUCTION_AD", metrics=["spend"])]
    )
    assert errors == []
    assert definition.granularity is Granularity.HOUR
    assert definition.dimensions == ["ad_id", "stat_time_hour"]
    assert definition.key_properties == ["advertiser_id", "ad_id", "stat_time_hour"]


def test_legacy_metric_names_are_translated_once(caplog: pytest.LogCaptureFixture) -> None:
    import logging

    logger = logging.getLogger("test-legacy")
    (definition,), errors = parse_custom_reports(
        [entry(data_level="AD", dimensions=["stat_time_day"], metrics=["spend", "active_pay"])],
        logger,
    )
    assert errors == []
    assert definition.default_metrics == ("spend", "purchase")
    assert [r.message for r in caplog.records].count(
        "Metric 'active_pay' is TikTok's v1.1/v1.2 name of 'purchase'; requesting 'purchase' "
        "instead. Rename it in your config."
    ) == 1


def test_bad_custom_reports_stop_the_cli_before_any_request(tmp_path, fake_api) -> None:
    config = tap_config(fake_api, custom_reports=[entry(metrics=["spend", "not_a_metric"])])
    result = run_cli(tmp_path, config=config)
    assert result.returncode == 1
    assert "Unknown metric 'not_a_metric'" in result.stderr
    assert "Traceback" not in result.stderr
    assert fake_api.count() == 0


@pytest.mark.usefixtures("frozen_now")
def test_a_custom_report_syncs_with_its_metrics_selected_by_default(fake_api, fake_data) -> None:
    config = tap_config(fake_api, custom_reports=[GOOD], start_date="2026-11-15")
    result = run_tap(config, streams={"campaign_country_daily": None})
    requests = [r for r in fake_api.requests if r.path.endswith("report/integrated/get/")]
    assert requests
    for request in requests:
        assert request.params["metrics"] == ["spend", "impressions", "clicks"]
        assert request.params["dimensions"] == [
            "campaign_id",
            "stat_time_day",
            "country_code",
        ]
    (definition,), _ = parse_custom_reports([GOOD])
    expected = expected_report_records(
        fake_data,
        definition,
        ["spend", "impressions", "clicks"],
        start=dt.date(2026, 11, 15),
        end=dt.date(2026, 11, 20),
        now=NOW,
    )
    keys = definition.key_properties
    assert keys == ["advertiser_id", "campaign_id", "stat_time_day", "country_code"]
    records = result.records["campaign_country_daily"]
    assert len(records) == len(expected) > 0
    assert by_key(records, keys) == by_key(expected, keys)
    assert result.state["bookmarks"]["campaign_country_daily"]["partitions"]


def test_weekly_and_monthly_custom_reports() -> None:
    (weekly,), errors = parse_custom_reports(
        [entry(dimensions=["campaign_id"], granularity="week", metrics=["spend", "reach"])]
    )
    assert errors == []
    assert weekly.granularity is Granularity.WEEK
    assert weekly.key_properties == ["advertiser_id", "campaign_id", "period_start", "period_end"]
    assert weekly.replication_key == "period_start"
    _, errors = parse_custom_reports([entry(granularity="MONTH")])
    assert any("reads whole periods without a time dimension" in e for e in errors)
    _, errors = parse_custom_reports([entry(dimensions=["campaign_id"], granularity="DAILY")])
    assert any("granularity 'DAILY' is not one of WEEK, MONTH" in e for e in errors)


@pytest.mark.usefixtures("frozen_now")
def test_a_monthly_custom_report_syncs_one_row_per_period(fake_api) -> None:
    report = entry(
        name="campaign_monthly_reach",
        dimensions=["campaign_id"],
        granularity="MONTH",
        metrics=["spend", "reach", "frequency"],
    )
    config = tap_config(fake_api, custom_reports=[report], start_date="2026-10-15")
    result = run_tap(config, streams={"campaign_monthly_reach": None})
    periods = {
        (r["period_start"], r["period_end"]) for r in result.records["campaign_monthly_reach"]
    }
    assert periods == {("2026-10-01", "2026-10-31"), ("2026-11-01", "2026-11-30")}
    for request in fake_api.requests:
        if request.path.endswith("report/integrated/get/"):
            assert request.params["dimensions"] == ["campaign_id"]
