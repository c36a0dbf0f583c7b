"""The metric registry: where metrics are valid, their types, legacy names."""

from __future__ import annotations

from tap_tiktok_ads.metrics import (
    LEGACY_METRIC_NAMES,
    METRICS,
    DataLevel,
    MetricKind,
    ReportType,
    breakdown_error,
    closest_names,
    metrics_for,
)
from tap_tiktok_ads.records import RowTyper, to_integer, to_number


def test_audience_reports_reject_unique_and_install_metrics() -> None:
    audience = {m.name for m in metrics_for(ReportType.AUDIENCE, DataLevel.AD)}
    basic = {m.name for m in metrics_for(ReportType.BASIC, DataLevel.AD)}
    rejected = {
        "reach",
        "frequency",
        "cost_per_1000_reached",
        "secondary_goal_result",
        "cash_spend",
        "voucher_spend",
        "app_install",
        "real_time_app_install",
    }
    assert not rejected & audience
    assert {"reach", "frequency", "app_install"} <= basic


def test_attribute_metrics_only_at_levels_that_include_the_entity() -> None:
    campaign = {m.name for m in metrics_for(ReportType.BASIC, DataLevel.CAMPAIGN)}
    ad = {m.name for m in metrics_for(ReportType.BASIC, DataLevel.AD)}
    advertiser = {m.name for m in metrics_for(ReportType.BASIC, DataLevel.ADVERTISER)}
    assert "campaign_name" in campaign
    assert "ad_name" not in campaign
    assert {"ad_name", "adgroup_id", "campaign_id"} <= ad
    assert not {"campaign_name", "adgroup_name", "ad_name"} & advertiser
    assert {"cash_spend", "voucher_spend"} <= advertiser - campaign


def test_kinds_decide_json_types() -> None:
    assert METRICS["impressions"].json_type == "integer"
    assert METRICS["spend"].json_type == "number"
    assert METRICS["ctr"].json_type == "number"
    assert METRICS["reach"].kind is MetricKind.UNIQUE
    assert METRICS["ad_name"].json_type == "string"
    for metric in METRICS.values():
        if metric.kind is MetricKind.RATIO:
            assert metric.numerator in METRICS
            assert metric.denominator in METRICS


def test_legacy_names_map_to_current_metrics() -> None:
    assert LEGACY_METRIC_NAMES["active_register"] == "registration"
    assert LEGACY_METRIC_NAMES["time_attr_active_pay_click_cost"] == "cost_per_cta_purchase"
    assert len(LEGACY_METRIC_NAMES) == 28
    assert all(target in METRICS for target in LEGACY_METRIC_NAMES.values())
    assert not set(LEGACY_METRIC_NAMES) & set(METRICS)


def test_once_shared_columns_are_distinct_metrics() -> None:
    for first, second in [
        ("add_billing", "total_add_payment_info"),
        ("product_details_page_browse", "total_view_content"),
        ("total_subscribe", "on_web_subscribe"),
    ]:
        assert first in METRICS
        assert second in METRICS


def test_breakdowns_combine_only_age_with_gender() -> None:
    assert breakdown_error(ReportType.AUDIENCE, ["age", "gender"]) is None
    assert breakdown_error(ReportType.AUDIENCE, ["platform"]) is None
    assert "cannot be combined" in str(breakdown_error(ReportType.AUDIENCE, ["age", "platform"]))
    assert "not valid in BASIC" in str(breakdown_error(ReportType.BASIC, ["age"]))
    assert breakdown_error(ReportType.BASIC, ["country_code"]) is None


def test_closest_names_suggest_a_fix() -> None:
    assert closest_names("impresions", set(METRICS))[0] == "impressions"


def test_values_are_typed_and_dashes_become_null() -> None:
    assert to_integer("5830") == 5830
    assert to_integer("5,830") == 5830
    assert to_integer("-") is None
    assert to_number("14.68") == 14.68
    assert to_number("1.18%") == 1.18
    assert to_number("-") is None
    typer = RowTyper([METRICS["spend"], METRICS["impressions"], METRICS["ad_name"]])
    record = typer.record(
        "7",
        {
            "dimensions": {"ad_id": "1", "stat_time_day": "2026-01-01 00:00:00"},
            "metrics": {"spend": "2.50", "impressions": "-", "ad_name": "A", "clicks": "3"},
        },
    )
    assert record == {
        "advertiser_id": "7",
        "ad_id": "1",
        "stat_time_day": "2026-01-01 00:00:00",
        "spend": 2.5,
        "impressions": None,
        "ad_name": "A",
    }
