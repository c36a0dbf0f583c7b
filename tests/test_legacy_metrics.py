"""v1.1/v1.2 metric names: translation, conflicts, unknown names, and once-shared columns."""

from __future__ import annotations

import datetime as dt
import logging

import pytest

from tap_tiktok_ads.metrics import LEGACY_METRIC_NAMES, METRICS, resolve_metric_names
from tests.conftest import NOW, run_tap, tap_config
from tests.fake_api import FakeData, FakeTikTokApi

LOGGER = logging.getLogger("test_legacy_metrics")


def resolve(names: list[str], caplog: pytest.LogCaptureFixture) -> tuple[list, list, list[str]]:
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger=LOGGER.name):
        resolved, errors = resolve_metric_names(names, LOGGER)
    warnings = [r.getMessage() for r in caplog.records if r.name == LOGGER.name]
    return resolved, errors, warnings


def test_every_legacy_name_points_at_a_current_metric():
    assert LEGACY_METRIC_NAMES
    for legacy, current in LEGACY_METRIC_NAMES.items():
        assert current in METRICS, legacy
        assert legacy not in METRICS, f"{legacy} is both a legacy and a current name"


def test_current_names_pass_unchanged_and_silently(caplog: pytest.LogCaptureFixture):
    names = ["spend", "registration", "cost_per_purchase", "impressions"]
    assert resolve(names, caplog) == (names, [], [])


@pytest.mark.parametrize(("legacy", "current"), sorted(LEGACY_METRIC_NAMES.items()))
def test_each_legacy_name_maps_with_one_warning(
    legacy: str, current: str, caplog: pytest.LogCaptureFixture
):
    resolved, errors, warnings = resolve(["spend", legacy, "clicks"], caplog)
    assert resolved == ["spend", current, "clicks"]
    assert errors == []
    assert len(warnings) == 1
    assert legacy in warnings[0]
    assert current in warnings[0]


def test_several_legacy_names_keep_their_order(caplog: pytest.LogCaptureFixture):
    names = ["active_pay_cost", "spend", "active_register", "time_attr_active_pay_click"]
    resolved, errors, warnings = resolve(names, caplog)
    assert resolved == ["cost_per_purchase", "spend", "registration", "cta_purchase"]
    assert errors == []
    assert len(warnings) == 3


@pytest.mark.parametrize(
    ("names", "kept", "ignored"),
    [
        (["active_register", "registration"], "registration", "registration"),
        (["registration", "active_register"], "registration", "active_register"),
        (["active_pay", "time_attr_active_pay"], "purchase", "time_attr_active_pay"),
        (["time_attr_active_pay", "active_pay"], "purchase", "active_pay"),
        (["spend", "spend"], "spend", "spend"),
    ],
)
def test_two_names_of_one_metric_keep_the_first(
    names: list[str], kept: str, ignored: str, caplog: pytest.LogCaptureFixture
):
    resolved, errors, warnings = resolve([*names, "clicks"], caplog)
    assert resolved == [kept, "clicks"]
    assert errors == []
    conflict = [w for w in warnings if "ignored" in w]
    assert len(conflict) == 1
    assert f"'{ignored}' ignored" in conflict[0]
    assert f"'{names[0]}'" in conflict[0]  # names the one that was kept


def test_conflict_after_a_rename_warns_for_both(caplog: pytest.LogCaptureFixture):
    resolved, errors, warnings = resolve(["active_register", "registration"], caplog)
    assert resolved == ["registration"]
    assert errors == []
    assert len(warnings) == 2  # the rename of the first, the conflict of the second


def test_unknown_names_are_errors_with_the_closest_valid_names(
    caplog: pytest.LogCaptureFixture,
):
    resolved, errors, _ = resolve(["spend", "spendd", "clikcs", "impressions"], caplog)
    assert resolved == ["spend", "impressions"]
    assert len(errors) == 2
    assert "'spendd'" in errors[0]
    assert "Did you mean 'spend'" in errors[0]
    assert "'clicks'" in errors[1]


def test_misspelt_legacy_name_suggests_the_current_name(caplog: pytest.LogCaptureFixture):
    _, errors, _ = resolve(["active_registr"], caplog)
    assert len(errors) == 1
    assert "'registration'" in errors[0]
    assert "active_register'" not in errors[0].split("Did you mean", 1)[1]


def test_unknown_name_without_any_close_match(caplog: pytest.LogCaptureFixture):
    resolved, errors, _ = resolve(["zzzz"], caplog)
    assert resolved == []
    assert errors == ["Unknown metric 'zzzz'."]


# Metrics that once shared one column between API versions; in v1.3 each has its own values.
ONCE_SHARED = [
    ("add_billing", "total_add_payment_info"),
    ("view_content", "total_view_content"),
    ("total_subscribe", "on_web_subscribe"),
]


def test_once_shared_metrics_are_distinct_columns(
    fake_api: FakeTikTokApi, fake_data: FakeData, frozen_now: dt.datetime
):
    advertiser_id = fake_data.advertiser_ids()[0]
    names = [name for pair in ONCE_SHARED for name in pair]
    result = run_tap(
        tap_config(fake_api, advertiser_ids=[advertiser_id]),
        streams={"ad_report_daily": names},
    )
    records = result.records["ad_report_daily"]
    assert records
    properties = result.schemas["ad_report_daily"]["schema"]["properties"]
    assert set(names) <= set(properties)
    truth = fake_data.report_rows(
        advertiser_id,
        "BASIC",
        "AD",
        ["ad_id", "stat_time_day"],
        names,
        start=dt.date(2026, 11, 1),
        end=dt.date(2026, 11, 20),
        now=NOW,
    )
    expected = {
        (row["dimensions"]["ad_id"], row["dimensions"]["stat_time_day"][:10]): {
            name: int(row["metrics"][name]) for name in names
        }
        for row in truth
    }
    emitted = {
        (record["ad_id"], record["stat_time_day"]): {name: record[name] for name in names}
        for record in records
    }
    assert emitted == expected
    for first, second in ONCE_SHARED:
        assert any(values[first] != values[second] for values in emitted.values()), (first, second)
