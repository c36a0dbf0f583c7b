"""The metric catalog against the transcribed reference: names, validity, types, legacy names."""

from __future__ import annotations

import pytest

from tap_tiktok_ads.metrics import (
    AUDIENCE_DIMENSIONS,
    LEGACY_METRIC_NAMES,
    METRICS,
    DataLevel,
    Grain,
    MetricKind,
    ReportShape,
    ReportType,
    breakdown_error,
    closest_names,
    metrics_for,
)
from tap_tiktok_ads.records import RowTyper, to_integer, to_number
from tests.fake_api.metric_rules import (
    AUDIENCE_OTHER,
    AUDIENCE_TABLES,
    BASIC_TABLES,
    REFERENCE_METRICS,
)

INVENTED_NAMES = {
    "cost_per_total_add_payment_info",
    "total_add_payment_info_rate",
    "cost_per_total_landing_page_view",
    "total_landing_page_view_rate",
    "total_subscribe_rate",
    "total_view_content_rate",
    "vta_conversion_rate",
    "cta_conversion_rate",
}
# Names recorded in TikTok's answers (Airbyte's tests) that an earlier registry lacked.
RECORDED_NAMES = {
    "sales_lead",
    "value_per_complete_payment",
    "total_complete_payment_rate",
    "total_pageview",
    "total_app_event_add_to_cart",
    "tt_app_id",
    "tt_app_name",
    "mobile_app_id",
    "dpa_target_audience_type",
}


def _shape(
    report_type: ReportType,
    level: DataLevel = DataLevel.AD,
    grain: Grain = Grain.DAY,
    breakdowns: tuple[str, ...] = (),
) -> ReportShape:
    return ReportShape(report_type, level, grain, breakdowns)


def _names(shape: ReportShape) -> set[str]:
    return {metric.name for metric in metrics_for(shape)}


def test_catalog_holds_exactly_the_transcribed_reference_metrics() -> None:
    assert set(METRICS) == set(REFERENCE_METRICS)
    assert len(METRICS) > 800


def test_no_invented_name_and_every_recorded_name() -> None:
    assert not INVENTED_NAMES & set(METRICS)
    assert set(METRICS) >= RECORDED_NAMES


@pytest.mark.parametrize("dimension", sorted(BASIC_TABLES))
def test_basic_breakdown_tables_match_the_reference(dimension: str) -> None:
    listed = {name for name, metric in METRICS.items() if f"basic_{dimension}" in metric.tables}
    attributes = {name for name, metric in METRICS.items() if metric.is_attribute}
    assert listed - attributes == set(BASIC_TABLES[dimension])


@pytest.mark.parametrize("dimension", sorted(AUDIENCE_DIMENSIONS))
def test_audience_streams_offer_only_the_reference_table(dimension: str) -> None:
    offered = _names(_shape(ReportType.AUDIENCE, breakdowns=(dimension,)))
    table = AUDIENCE_TABLES.get(dimension, AUDIENCE_OTHER)
    attributes = {name for name in offered if METRICS[name].is_attribute}
    assert offered - attributes == set(table)


def test_country_code_audience_table_is_shorter_than_basic() -> None:
    audience = _names(_shape(ReportType.AUDIENCE, breakdowns=("country_code",)))
    basic = _names(_shape(ReportType.BASIC, breakdowns=("country_code",)))
    assert "reach" in basic
    assert "reach" not in audience
    assert "likes" in audience


def test_cash_and_voucher_spend_only_daily_at_advertiser_level() -> None:
    for name in ("cash_spend", "voucher_spend"):
        metric = METRICS[name]
        assert _shape(ReportType.BASIC, DataLevel.ADVERTISER).accepts(metric)
        for grain in (Grain.HOUR, Grain.LIFETIME, Grain.PERIOD):
            assert not _shape(ReportType.BASIC, DataLevel.ADVERTISER, grain).accepts(metric)
        for level in (DataLevel.CAMPAIGN, DataLevel.ADGROUP, DataLevel.AD):
            assert not _shape(ReportType.BASIC, level).accepts(metric)


def test_paid_focused_views_need_one_id_with_or_without_the_day() -> None:
    metric = METRICS["paid_engaged_view"]
    assert _shape(ReportType.BASIC).accepts(metric)
    assert _shape(ReportType.BASIC, grain=Grain.LIFETIME).accepts(metric)
    assert not _shape(ReportType.BASIC, grain=Grain.HOUR).accepts(metric)
    assert not _shape(ReportType.BASIC, breakdowns=("country_code",)).accepts(metric)


def test_attribute_metrics_only_at_levels_that_include_the_entity() -> None:
    campaign = _names(_shape(ReportType.BASIC, DataLevel.CAMPAIGN))
    ad = _names(_shape(ReportType.BASIC, DataLevel.AD))
    advertiser = _names(_shape(ReportType.BASIC, DataLevel.ADVERTISER))
    assert "campaign_name" in campaign
    assert "ad_name" not in campaign
    assert {"ad_name", "adgroup_id", "campaign_id"} <= ad
    assert not {"campaign_name", "adgroup_name", "ad_name"} & advertiser
    assert {"cash_spend", "voucher_spend"} <= advertiser - campaign


def test_kinds_decide_json_types() -> None:
    assert METRICS["impressions"].json_type == "integer"
    assert METRICS["spend"].json_type == "number"
    assert METRICS["ctr"].json_type == "number"
    assert METRICS["reach"].unique
    assert METRICS["reach"].json_type == "integer"
    assert METRICS["ad_name"].json_type == "string"
    assert METRICS["budget"].json_type == "number"
    for name, metric in METRICS.items():
        if REFERENCE_METRICS[name].value_type == "int" and not metric.is_attribute:
            assert metric.kind in {MetricKind.COUNT, MetricKind.DURATION}, name


def test_every_metric_names_its_source() -> None:
    for metric in METRICS.values():
        assert metric.sources, metric.name
        assert "Doc " in metric.reference or "Go SDK" in metric.reference


def test_default_selection_is_a_small_core() -> None:
    defaults = [m.name for m in metrics_for(_shape(ReportType.BASIC)) if m.default]
    assert 20 <= len(defaults) <= 100
    assert {"spend", "impressions", "clicks", "conversion", "video_play_actions"} <= set(defaults)


def test_legacy_names_map_to_current_metrics() -> None:
    assert LEGACY_METRIC_NAMES["active_register"] == "registration"
    assert LEGACY_METRIC_NAMES["time_attr_active_pay_click_cost"] == "cost_per_cta_purchase"
    assert len(LEGACY_METRIC_NAMES) == 28
    assert all(target in METRICS for target in LEGACY_METRIC_NAMES.values())
    assert not set(LEGACY_METRIC_NAMES) & set(METRICS)


def test_once_shared_columns_are_distinct_metrics() -> None:
    for first, second in [
        ("add_billing", "total_add_payment_info"),
        ("view_content", "total_view_content"),
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
    typer = RowTyper(
        [METRICS["spend"], METRICS["impressions"], METRICS["ad_name"]],
        ["ad_id", "stat_time_day"],
        "stat_time_day",
    )
    record = typer.record(
        "7",
        {
            "dimensions": {"ad_id": "1", "stat_time_day": "2026-01-01 00:00:00"},
            "metrics": {"spend": "2.50", "impressions": "-", "ad_name": "A", "clicks": "3"},
        },
        "Asia/Tokyo",
    )
    assert record == {
        "advertiser_id": "7",
        "ad_id": "1",
        "stat_time_day": "2026-01-01",
        "spend": 2.5,
        "impressions": None,
        "ad_name": "A",
    }


def test_undeclared_dimensions_are_dropped_and_hours_carry_the_offset() -> None:
    typer = RowTyper(
        [METRICS["spend"]], ["ad_id", "interest_category", "stat_time_hour"], "stat_time_hour"
    )
    row = {
        "dimensions": {
            "ad_id": "1",
            "interest_category": "3",
            "interest_category_v2": "3",
            "stat_time_hour": "2026-03-08 03:00:00",
        },
        "metrics": {"spend": "1.00"},
    }
    record = typer.record("7", row, "America/Los_Angeles")
    assert "interest_category_v2" not in record
    assert record["stat_time_hour"] == "2026-03-08T03:00:00-07:00"
    assert typer.record("7", row, "Etc/GMT+8")["stat_time_hour"] == "2026-03-08T03:00:00-08:00"
