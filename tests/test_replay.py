"""TikTok's own answers replayed through the tap over real HTTP, record by record.

Each test serves recorded answers (`tests/replay/fixtures/`, sources in its SOURCES.md) from a
replay server on 127.0.0.1, runs the tap in-process against it and compares every record it
emits, field by field, with values written out here from the fixture. The expected values
follow the metric catalog's kinds (`tap_tiktok_ads/data/report_metrics.csv`): count -> int,
money, ratio and duration -> float, text -> str; `null` -> None; IDs as text. Nothing here is
computed with the tap's code, and every record must also be valid against its stream's schema,
formats checked. Each test keeps the time values the tap emits in one place at its top.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import TYPE_CHECKING, Any

from tests.replay.server import Reply, fixture, nothing_listed
from tests.replay_harness import assert_every_field_kept, dropped, replay, selection

if TYPE_CHECKING:
    from collections.abc import Sequence

    from tests.replay.server import ReplayServer

UTC = dt.timezone.utc
# Airbyte's unit-test advertiser: its `advertiser/info/` row has no time zone, so UTC.
UNIT_TEST_ADVERTISER = "872746382648"
# The advertiser Airbyte recorded its answers from ("Airbyte0830", time zone Etc/GMT+8).
AIRBYTE0830 = "7002238017842757633"
AIRBYTE0827 = "7001035076276387841"
AIRBYTE08270 = "7001040009704833026"
INFO_UNIT_TEST = Reply(fixture("advertiser_info/advertisers_airbyte_unit_test"))
INFO_RECORDED = Reply(fixture("advertiser_info/advertisers_airbyte_recorded"))
REPORT = "/report/integrated/get/"
CAMPAIGNS = "/campaign/get/"
# The entity endpoints hide TopView entities unless `buying_types` is ["RESERVATION_TOP_VIEW"]
# alone (Doc 1739315828649986), so the tap reads them in a pass of their own, and a report
# stream asks campaign/get/ so once per advertiser whether it has any (top_view_checks.py).
# The recorded accounts had none: an empty page, which is all TikTok can answer then.
TOP_VIEW_PASS = json.dumps(
    {
        "campaign_system_origins": ["TT_ADS_PLATFORM", "PROMOTE"],
        "buying_types": ["RESERVATION_TOP_VIEW"],
    },
    separators=(",", ":"),
)
NO_TOP_VIEW = nothing_listed(10, {"filtering": TOP_VIEW_PASS})


def requested_metrics(server: ReplayServer) -> set[str]:
    """The `metrics` of the one report request."""
    (request,) = server.asked(REPORT)
    return set(request.json_param("metrics"))


# --- reports ---------------------------------------------------------------------------------


def test_basic_daily_report_from_tiktoks_reference_example(monkeypatch) -> None:
    """Doc 1740302848100353's creative-level example; the `ad_id` metric is no catalog metric."""
    day = "2025-12-03"  # TikTok: "2025-12-03 00:00:00"
    expected = [
        {
            "advertiser_id": UNIT_TEST_ADVERTISER,
            "ad_id": "1851000000000000001",
            "stat_time_day": day,
            "ad_name": "Creative 1",
            "campaign_automation_type": "UPGRADED_SMART_PLUS_CREATIVE",
            "impressions": 513,
            "spend": 7.97,
        },
        {
            "advertiser_id": UNIT_TEST_ADVERTISER,
            "ad_id": "1851000000000000002",
            "stat_time_day": day,
            "ad_name": "Creative 2",
            "campaign_automation_type": "UPGRADED_SMART_PLUS_CREATIVE",
            "impressions": 37,
            "spend": 0.58,
        },
        {
            "advertiser_id": UNIT_TEST_ADVERTISER,
            "ad_id": "1851000000000000003",
            "stat_time_day": day,
            "ad_name": "Creative 3",
            "campaign_automation_type": "UPGRADED_SMART_PLUS_CREATIVE",
            "impressions": 10,
            "spend": 0.08,
        },
    ]
    result, server = replay(
        monkeypatch,
        dt.datetime(2025, 12, 4, 12, tzinfo=UTC),
        {
            "/advertiser/info/": INFO_UNIT_TEST,
            REPORT: Reply(fixture("report/basic_ad_daily_doc_smart_plus_creatives")),
            CAMPAIGNS: NO_TOP_VIEW,
        },
        {"ad_report_daily": selection(expected)},
        advertiser_ids=[UNIT_TEST_ADVERTISER],
        start_date="2025-12-03",
        end_date="2025-12-03",
    )
    assert result.records["ad_report_daily"] == expected
    assert requested_metrics(server) == set(expected[0]) - {
        "advertiser_id",
        "ad_id",
        "stat_time_day",
    }


def test_basic_daily_report_recorded_by_airbyte(monkeypatch) -> None:
    """Real rows: metrics as strings with 3-4 decimals, IDs as numbers, nulls."""
    october_20, october_25 = "2021-10-20", "2021-10-25"  # TikTok: "2021-10-20 00:00:00"
    expected = [
        {
            "advertiser_id": AIRBYTE0830,
            "ad_id": "1714125051115569",
            "stat_time_day": october_25,
            "ad_name": "Optimized Version 4_202110201102_2021-10-20 11:02:00",
            "ad_text": "Airbyte - data portabioolity platform - from anywhere to anywhere!",
            "adgroup_id": "1714125049901106",
            "adgroup_name": "Ad Group20211020010107",
            "app_install": 0,
            "average_video_play": 1.52,
            "average_video_play_per_user": 1.64,
            "campaign_id": "1714125042508817",
            "campaign_name": "Website Traffic20211020010104",
            "clicks": 69,
            "clicks_on_music_disc": 0,
            "comments": 0,
            "conversion": 0,
            "conversion_rate": 0.0,
            "cost_per_1000_reached": 4.161,
            "cost_per_conversion": 0.0,
            "cost_per_result": 0.2899,
            "cost_per_secondary_goal_result": None,
            "cpc": 0.29,
            "cpm": 3.43,
            "ctr": 1.18,
            "dpa_target_audience_type": None,
            "follows": 0,
            "frequency": 1.21,
            "impressions": 5830,
            "likes": 36,
            "mobile_app_id": "0",
            "placement_type": "Automatic Placement",
            "profile_visits": 0,
            "promotion_type": "Website",
            "reach": 4806,
            "real_time_app_install": 0,
            "real_time_app_install_cost": 0.0,
            "real_time_conversion": 0,
            "real_time_conversion_rate": 0.0,
            "real_time_cost_per_conversion": 0.0,
            "real_time_cost_per_result": 0.2899,
            "real_time_result": 69,
            "real_time_result_rate": 1.18,
            "result": 69,
            "result_rate": 1.18,
            "secondary_goal_result": None,
            "secondary_goal_result_rate": None,
            "shares": 0,
            "spend": 20.0,
            "tt_app_id": "0",
            "tt_app_name": "0",
            "video_play_actions": 5173,
            "video_views_p100": 92,
            "video_views_p25": 513,
            "video_views_p50": 214,
            "video_views_p75": 140,
            "video_watched_2s": 686,
            "video_watched_6s": 180,
        },
        {
            "advertiser_id": AIRBYTE0830,
            "ad_id": "1714125051115569",
            "stat_time_day": october_20,
            "ad_name": "Optimized Version 4_202110201102_2021-10-20 11:02:00",
            "ad_text": "Airbyte - data portabioolity platform - from anywhere to anywhere!",
            "adgroup_id": "1714125049901106",
            "adgroup_name": "Ad Group20211020010107",
            "app_install": 0,
            "average_video_play": 1.45,
            "average_video_play_per_user": 1.55,
            "campaign_id": "1714125042508817",
            "campaign_name": "Website Traffic20211020010104",
            "clicks": 53,
            "clicks_on_music_disc": 0,
            "comments": 1,
            "conversion": 0,
            "conversion_rate": 0.0,
            "cost_per_1000_reached": 6.382,
            "cost_per_conversion": 0.0,
            "cost_per_result": 0.3774,
            "cost_per_secondary_goal_result": None,
            "cpc": 0.38,
            "cpm": 5.31,
            "ctr": 1.41,
            "dpa_target_audience_type": None,
            "follows": 0,
            "frequency": 1.2,
            "impressions": 3765,
            "likes": 36,
            "mobile_app_id": "0",
            "placement_type": "Automatic Placement",
            "profile_visits": 0,
            "promotion_type": "Website",
            "reach": 3134,
            "real_time_app_install": 0,
            "real_time_app_install_cost": 0.0,
            "real_time_conversion": 0,
            "real_time_conversion_rate": 0.0,
            "real_time_cost_per_conversion": 0.0,
            "real_time_cost_per_result": 0.3774,
            "real_time_result": 53,
            "real_time_result_rate": 1.41,
            "result": 53,
            "result_rate": 1.41,
            "secondary_goal_result": None,
            "secondary_goal_result_rate": None,
            "shares": 0,
            "spend": 20.0,
            "tt_app_id": "0",
            "tt_app_name": "0",
            "video_play_actions": 3344,
            "video_views_p100": 52,
            "video_views_p25": 295,
            "video_views_p50": 130,
            "video_views_p75": 74,
            "video_watched_2s": 408,
            "video_watched_6s": 106,
        },
    ]
    result, server = replay(
        monkeypatch,
        dt.datetime(2021, 11, 3, 12, tzinfo=UTC),
        {
            "/advertiser/info/": INFO_RECORDED,
            REPORT: Reply(fixture("report/basic_ad_daily_airbyte_recorded")),
            CAMPAIGNS: NO_TOP_VIEW,
        },
        {"ad_report_daily": selection(expected)},
        advertiser_ids=[AIRBYTE0830],
        start_date="2021-10-20",
        end_date="2021-10-25",
    )
    assert result.records["ad_report_daily"] == expected
    assert requested_metrics(server) == set(expected[0]) - {
        "advertiser_id",
        "ad_id",
        "stat_time_day",
    }


def test_basic_hourly_report_recorded_by_airbyte(monkeypatch) -> None:
    """Airbyte's hourly answer mixes strings and JSON numbers, and carries metrics
    (`sales_lead`, `total_app_event_add_to_cart`, ...) that must all reach the record."""
    nine = "2024-01-01T09:00:00+00:00"  # TikTok: "2024-01-01 09:00:00", account in UTC
    ten = "2024-01-01T10:00:00+00:00"
    first = {
        "advertiser_id": UNIT_TEST_ADVERTISER,
        "ad_id": "11111111",
        "stat_time_hour": nine,
        "ad_name": "Optimized Version 4_202110201102_2021-10-20 11:02:00",
        "ad_text": "Airbyte - data portabioolity platform - from anywhere to anywhere!",
        "adgroup_id": "1714125049901106",
        "adgroup_name": "Ad Group20211020010107",
        "app_install": 0,
        "average_video_play": 1.52,
        "average_video_play_per_user": 1.64,
        "campaign_id": "1714125042508817",
        "campaign_name": "Website Traffic20211020010104",
        "clicks": 69,
        "clicks_on_music_disc": 0,
        "comments": 0,
        "complete_payment": 0,
        "conversion": 0,
        "conversion_rate": 0.0,
        "cost_per_1000_reached": 4.16,
        "cost_per_app_install": 2.45,
        "cost_per_conversion": 0.0,
        "cost_per_purchase": 12.3,
        "cost_per_registration": 3.1,
        "cost_per_result": 0.29,
        "cost_per_sales_lead": 7.85,
        "cost_per_secondary_goal_result": None,
        "cost_per_total_app_event_add_to_cart": 1.8,
        "cost_per_total_sales_lead": 6.95,
        "cpc": 0.29,
        "cpm": 3.43,
        "cta_conversion": 0,
        "cta_purchase": 0,
        "ctr": 1.18,
        "dpa_target_audience_type": None,
        "follows": 0,
        "frequency": 1.21,
        "impressions": 5830,
        "likes": 36,
        "mobile_app_id": "0",
        "onsite_shopping": 0,
        "placement_type": "Automatic Placement",
        "profile_visits": 0,
        "profile_visits_rate": 0.075,
        "promotion_type": "Website",
        "purchase": 128,
        "purchase_rate": 0.015,
        "reach": 4806,
        "real_time_app_install": 0,
        "real_time_app_install_cost": 0.0,
        "real_time_conversion": 0,
        "real_time_conversion_rate": 0.0,
        "real_time_cost_per_conversion": 0.0,
        "real_time_cost_per_result": 0.29,
        "real_time_result": 69,
        "real_time_result_rate": 1.18,
        "registration": 340,
        "registration_rate": 0.028,
        "result": 69,
        "result_rate": 1.18,
        "sales_lead": 87,
        "sales_lead_rate": 0.021,
        "secondary_goal_result": None,
        "secondary_goal_result_rate": None,
        "shares": 0,
        "spend": 20.0,
        "total_app_event_add_to_cart": 212,
        "total_complete_payment_rate": 0.0,
        "total_onsite_shopping_value": 0.0,
        "total_pageview": 0,
        "total_purchase_value": 0.0,
        "tt_app_id": "0",
        "tt_app_name": "0",
        "value_per_complete_payment": 0.0,
        "video_play_actions": 5173,
        "video_views_p100": 92,
        "video_views_p25": 513,
        "video_views_p50": 214,
        "video_views_p75": 140,
        "video_watched_2s": 686,
        "video_watched_6s": 180,
        "vta_conversion": 0,
        "vta_purchase": 0,
    }
    expected = [first, {**first, "stat_time_hour": ten}]
    result, server = replay(
        monkeypatch,
        dt.datetime(2024, 1, 3, 12, tzinfo=UTC),
        {
            "/advertiser/info/": INFO_UNIT_TEST,
            REPORT: Reply(fixture("report/basic_ad_hourly_airbyte")),
            CAMPAIGNS: NO_TOP_VIEW,
        },
        {"ad_report_hourly": selection(expected)},
        advertiser_ids=[UNIT_TEST_ADVERTISER],
        start_date="2024-01-01",
        end_date="2024-01-01",
    )
    assert result.records["ad_report_hourly"] == expected
    assert requested_metrics(server) == set(first) - {"advertiser_id", "ad_id", "stat_time_hour"}


def test_basic_lifetime_report_recorded_by_airbyte(monkeypatch) -> None:
    expected = [
        {
            "advertiser_id": AIRBYTE0830,
            "ad_id": "1728545390695442",
            "ad_name": "AdVadim-Optimized Version 3_202203281449_2022-03-28 05:03:44",
            "ad_text": "Open-source\ndata integration for modern data teams",
            "adgroup_id": "1728545385226289",
            "adgroup_name": "AdGroupVadim",
            "app_install": 0,
            "average_video_play": 1.26,
            "average_video_play_per_user": 1.39,
            "campaign_id": "1728545382536225",
            "campaign_name": "CampaignVadimTraffic",
            "clicks": 145,
            "clicks_on_music_disc": 0,
            "comments": 0,
            "conversion": 0,
            "conversion_rate": 0.0,
            "cost_per_1000_reached": 4.597,
            "cost_per_conversion": 0.0,
            "cost_per_result": 0.4138,
            "cost_per_secondary_goal_result": None,
            "cpc": 0.41,
            "cpm": 3.82,
            "ctr": 0.92,
            "dpa_target_audience_type": None,
            "follows": 0,
            "frequency": 1.2,
            "impressions": 15689,
            "likes": 11,
            "mobile_app_id": "0",
            "placement_type": "Automatic Placement",
            "profile_visits": 0,
            "promotion_type": "Website",
            "reach": 13052,
            "real_time_app_install": 0,
            "real_time_app_install_cost": 0.0,
            "real_time_conversion": 0,
            "real_time_conversion_rate": 0.0,
            "real_time_cost_per_conversion": 0.0,
            "real_time_cost_per_result": 0.4138,
            "real_time_result": 145,
            "real_time_result_rate": 0.92,
            "result": 145,
            "result_rate": 0.92,
            "secondary_goal_result": None,
            "secondary_goal_result_rate": None,
            "shares": 0,
            "spend": 60.0,
            "tt_app_id": "0",
            "tt_app_name": "0",
            "video_play_actions": 14333,
            "video_views_p100": 402,
            "video_views_p25": 3339,
            "video_views_p50": 907,
            "video_views_p75": 522,
            "video_watched_2s": 1364,
            "video_watched_6s": 402,
        },
        {
            "advertiser_id": AIRBYTE0830,
            "ad_id": "1714124564763650",
            "ad_name": "1200x1200 logo_1634667070143.png_2021-10-20 10:54:51",
            "ad_text": "Airbyte  - open source data portability platform - from nywhere to anywhere!",
            "adgroup_id": "1714124588896305",
            "adgroup_name": "Ad Group20211020005346",
            "app_install": 0,
            "average_video_play": 0.0,
            "average_video_play_per_user": 0.0,
            "campaign_id": "1714124576938033",
            "campaign_name": "Website Traffic20211020005342",
            "clicks": 0,
            "clicks_on_music_disc": 0,
            "comments": 0,
            "conversion": 0,
            "conversion_rate": 0.0,
            "cost_per_1000_reached": 0.0,
            "cost_per_conversion": 0.0,
            "cost_per_result": 0.0,
            "cost_per_secondary_goal_result": None,
            "cpc": 0.0,
            "cpm": 0.0,
            "ctr": 0.0,
            "dpa_target_audience_type": None,
            "follows": 0,
            "frequency": 0.0,
            "impressions": 0,
            "likes": 0,
            "mobile_app_id": "0",
            "placement_type": "Automatic Placement",
            "profile_visits": 0,
            "promotion_type": "Website",
            "reach": 0,
            "real_time_app_install": 0,
            "real_time_app_install_cost": 0.0,
            "real_time_conversion": 0,
            "real_time_conversion_rate": 0.0,
            "real_time_cost_per_conversion": 0.0,
            "real_time_cost_per_result": 0.0,
            "real_time_result": 0,
            "real_time_result_rate": 0.0,
            "result": 0,
            "result_rate": 0.0,
            "secondary_goal_result": None,
            "secondary_goal_result_rate": None,
            "shares": 0,
            "spend": 0.0,
            "tt_app_id": "0",
            "tt_app_name": "0",
            "video_play_actions": 0,
            "video_views_p100": 0,
            "video_views_p25": 0,
            "video_views_p50": 0,
            "video_views_p75": 0,
            "video_watched_2s": 0,
            "video_watched_6s": 0,
        },
    ]
    result, server = replay(
        monkeypatch,
        dt.datetime(2023, 4, 6, 12, tzinfo=UTC),
        {
            "/advertiser/info/": INFO_RECORDED,
            REPORT: Reply(fixture("report/basic_ad_lifetime_airbyte_recorded")),
            CAMPAIGNS: NO_TOP_VIEW,
        },
        {"ad_report_lifetime": selection(expected)},
        advertiser_ids=[AIRBYTE0830],
    )
    assert result.records["ad_report_lifetime"] == expected
    (request,) = server.asked(REPORT)
    assert request.query["query_lifetime"] == "true"
    assert "start_date" not in request.query


def test_audience_age_gender_report_recorded_by_airbyte(monkeypatch) -> None:
    october_21, october_25 = "2021-10-21", "2021-10-25"  # TikTok: "2021-10-21 00:00:00"
    expected = [
        {
            "advertiser_id": AIRBYTE0830,
            "ad_id": "1714125051115569",
            "stat_time_day": october_25,
            "age": "AGE_25_34",
            "gender": "MALE",
            "ad_name": "Optimized Version 4_202110201102_2021-10-20 11:02:00",
            "ad_text": "Airbyte - data portabioolity platform - from anywhere to anywhere!",
            "adgroup_id": "1714125049901106",
            "adgroup_name": "Ad Group20211020010107",
            "campaign_id": "1714125042508817",
            "campaign_name": "Website Traffic20211020010104",
            "clicks": 12,
            "conversion": 0,
            "conversion_rate": 0.0,
            "cost_per_conversion": 0.0,
            "cost_per_result": 0.3075,
            "cpc": 0.31,
            "cpm": 3.02,
            "ctr": 0.98,
            "dpa_target_audience_type": None,
            "impressions": 1222,
            "mobile_app_id": "0",
            "placement_type": "Automatic Placement",
            "promotion_type": "Website",
            "real_time_conversion": 0,
            "real_time_conversion_rate": 0.0,
            "real_time_cost_per_conversion": 0.0,
            "real_time_cost_per_result": 0.3075,
            "real_time_result": 12,
            "real_time_result_rate": 0.98,
            "result": 12,
            "result_rate": 0.98,
            "spend": 3.69,
            "tt_app_id": "0",
            "tt_app_name": "0",
        },
        {
            "advertiser_id": AIRBYTE0830,
            "ad_id": "1714125051115569",
            "stat_time_day": october_21,
            "age": "AGE_45_54",
            "gender": "MALE",
            "ad_name": "Optimized Version 4_202110201102_2021-10-20 11:02:00",
            "ad_text": "Airbyte - data portabioolity platform - from anywhere to anywhere!",
            "adgroup_id": "1714125049901106",
            "adgroup_name": "Ad Group20211020010107",
            "campaign_id": "1714125042508817",
            "campaign_name": "Website Traffic20211020010104",
            "clicks": 5,
            "conversion": 0,
            "conversion_rate": 0.0,
            "cost_per_conversion": 0.0,
            "cost_per_result": 0.354,
            "cpc": 0.35,
            "cpm": 5.38,
            "ctr": 1.52,
            "dpa_target_audience_type": None,
            "impressions": 329,
            "mobile_app_id": "0",
            "placement_type": "Automatic Placement",
            "promotion_type": "Website",
            "real_time_conversion": 0,
            "real_time_conversion_rate": 0.0,
            "real_time_cost_per_conversion": 0.0,
            "real_time_cost_per_result": 0.354,
            "real_time_result": 5,
            "real_time_result_rate": 1.52,
            "result": 5,
            "result_rate": 1.52,
            "spend": 1.77,
            "tt_app_id": "0",
            "tt_app_name": "0",
        },
    ]
    result, server = replay(
        monkeypatch,
        dt.datetime(2021, 11, 3, 12, tzinfo=UTC),
        {
            "/advertiser/info/": INFO_RECORDED,
            REPORT: Reply(fixture("report/audience_ad_age_gender_daily_airbyte_recorded")),
            CAMPAIGNS: NO_TOP_VIEW,
        },
        {"ad_audience_age_gender_daily": selection(expected)},
        advertiser_ids=[AIRBYTE0830],
        start_date="2021-10-21",
        end_date="2021-10-25",
    )
    assert result.records["ad_audience_age_gender_daily"] == expected
    (request,) = server.asked(REPORT)
    assert request.query["report_type"] == "AUDIENCE"
    assert request.json_param("dimensions") == ["ad_id", "stat_time_day", "age", "gender"]


def test_audience_country_report_recorded_by_airbyte(monkeypatch) -> None:
    october_20, october_21 = "2021-10-20", "2021-10-21"  # TikTok: "2021-10-20 00:00:00"
    expected = [
        {
            "advertiser_id": AIRBYTE0830,
            "campaign_id": "1714125042508817",
            "stat_time_day": october_20,
            "country_code": "US",
            "campaign_name": "Website Traffic20211020010104",
            "clicks": 53,
            "cpc": 0.38,
            "cpm": 5.31,
            "ctr": 1.41,
            "impressions": 3765,
            "spend": 20.0,
        },
        {
            "advertiser_id": AIRBYTE0830,
            "campaign_id": "1714125042508817",
            "stat_time_day": october_21,
            "country_code": "US",
            "campaign_name": "Website Traffic20211020010104",
            "clicks": 45,
            "cpc": 0.44,
            "cpm": 5.03,
            "ctr": 1.13,
            "impressions": 3977,
            "spend": 20.0,
        },
    ]
    result, server = replay(
        monkeypatch,
        dt.datetime(2021, 11, 3, 12, tzinfo=UTC),
        {
            "/advertiser/info/": INFO_RECORDED,
            REPORT: Reply(fixture("report/audience_campaign_country_daily_airbyte_recorded")),
            CAMPAIGNS: NO_TOP_VIEW,
        },
        {"campaign_audience_country_daily": selection(expected)},
        advertiser_ids=[AIRBYTE0830],
        start_date="2021-10-20",
        end_date="2021-10-21",
    )
    assert result.records["campaign_audience_country_daily"] == expected
    assert requested_metrics(server) == set(expected[0]) - {
        "advertiser_id",
        "campaign_id",
        "stat_time_day",
        "country_code",
    }


# --- entities --------------------------------------------------------------------------------


def entity_replies(*replies: Reply) -> list[Reply]:
    """The recorded answers of an entity endpoint, after the empty TopView pass."""
    return [NO_TOP_VIEW, *replies]


def assert_nothing_dropped(
    records: list[dict[str, Any]], recorded: dict[str, Any], *, extra: Sequence[str] = ()
) -> None:
    """Every field of every recorded item is in its record; `extra` ones in `extra_fields`."""
    items = recorded["data"]["list"]
    assert len(records) == len(items)
    for record, item in zip(records, items, strict=True):
        assert set(record) - {"extra_fields"} == set(item) - set(extra)
        assert set(record.get("extra_fields", {})) == set(extra)
        assert not dropped(item, record)  # nested members too


def test_campaigns_recorded_by_airbyte_over_two_pages(monkeypatch) -> None:
    """Airbyte's recorded campaigns, served as two pages of two: IDs as numbers, UTC times."""
    created = {  # TikTok: "2022-03-28 12:09:05", UTC
        "1728545382536225": "2022-03-28T12:09:05+00:00",
        "1714125042508817": "2021-10-20T08:04:04+00:00",
        "1714124576938033": "2021-10-20T07:56:38+00:00",
        "1714073078669329": "2021-10-19T18:18:08+00:00",
    }
    modified = {
        "1728545382536225": "2022-03-30T21:23:52+00:00",
        "1714125042508817": "2022-03-24T12:08:29+00:00",
        "1714124576938033": "2021-10-20T08:01:18+00:00",
        "1714073078669329": "2022-03-28T12:01:56+00:00",
    }
    common = {
        "advertiser_id": AIRBYTE0830,
        "roas_bid": 0,
        "is_smart_performance_campaign": False,
        "is_new_structure": True,
        "secondary_status": "CAMPAIGN_STATUS_DISABLE",
        "objective_type": "TRAFFIC",
        "objective": "LANDING_PAGE",
        "campaign_type": "REGULAR_CAMPAIGN",
        "deep_bid_type": None,
        "operation_status": "DISABLE",
    }
    names = {
        "1728545382536225": ("CampaignVadimTraffic", "BUDGET_MODE_INFINITE", 0),
        "1714125042508817": ("Website Traffic20211020010104", "BUDGET_MODE_INFINITE", 0),
        "1714124576938033": ("Website Traffic20211020005342", "BUDGET_MODE_INFINITE", 0),
        "1714073078669329": ("Website Traffic20211019110444", "BUDGET_MODE_DAY", 50),
    }
    expected = [
        {
            **common,
            "campaign_id": campaign_id,
            "campaign_name": name,
            "budget_mode": budget_mode,
            "budget": budget,
            "create_time": created[campaign_id],
            "modify_time": modified[campaign_id],
        }
        for campaign_id, (name, budget_mode, budget) in names.items()
    ]
    pages = entity_replies(
        Reply(fixture("campaign_get/campaigns_airbyte_recorded_page1"), {"page": "1"}),
        Reply(fixture("campaign_get/campaigns_airbyte_recorded_page2"), {"page": "2"}),
    )
    result, server = replay(
        monkeypatch,
        dt.datetime(2023, 4, 6, 12, tzinfo=UTC),
        {"/advertiser/info/": INFO_RECORDED, "/campaign/get/": pages},
        {"campaigns": None},
        advertiser_ids=[AIRBYTE0830],
        page_size=2,
    )
    assert result.records["campaigns"] == expected
    sent = [item for page in pages[1:] for item in page.body["data"]["list"]]
    assert_every_field_kept(result.records["campaigns"], sent)
    asked = server.asked("/campaign/get/")
    assert [(r.query["page"], r.query["page_size"]) for r in asked] == [
        ("1", "2"),
        ("2", "2"),
        ("1", "2"),  # the TopView pass
    ]
    assert {r.query["advertiser_id"] for r in asked} == {AIRBYTE0830}


def test_campaign_from_tiktoks_reference_example(monkeypatch) -> None:
    """Doc 1739315828649986's example (placeholders filled, see SOURCES.md)."""
    created, modified = "2021-10-20T08:04:04+00:00", "2021-10-21T17:50:11+00:00"
    result, _ = replay(
        monkeypatch,
        dt.datetime(2023, 4, 6, 12, tzinfo=UTC),
        {
            "/advertiser/info/": INFO_RECORDED,
            "/campaign/get/": entity_replies(Reply(fixture("campaign_get/campaign_get_doc"))),
        },
        {"campaigns": None},
        advertiser_ids=[AIRBYTE0830],
    )
    assert result.records["campaigns"] == [
        {
            "secondary_status": "CAMPAIGN_STATUS_ENABLE",
            "advertiser_id": AIRBYTE0830,
            "is_smart_performance_campaign": False,
            "campaign_name": "Website Traffic20211020010104",
            "is_new_structure": True,
            "campaign_type": "REGULAR_CAMPAIGN",
            "campaign_id": "1714125042508817",
            "roas_bid": 0,
            "budget_mode": "BUDGET_MODE_TOTAL",
            "modify_time": modified,
            "operation_status": "ENABLE",
            "objective": "LANDING_PAGE",
            "objective_type": "TRAFFIC",
            "budget": 100.0,
            "create_time": created,
            "deep_bid_type": None,
        }
    ]
    assert_nothing_dropped(result.records["campaigns"], fixture("campaign_get/campaign_get_doc"))


SETTINGS_ONCE_DROPPED = {
    "optimization_event": None,
    "secondary_optimization_event": None,
    "deep_bid_type": None,
    "conversion_window": None,
    "frequency": None,
    "frequency_schedule": None,
    "bid_display_mode": "CPMV",
    "scheduled_budget": 0,
    "network_types": [],
    "interest_keyword_ids": [],
    "actions": [],
    "included_custom_actions": [],
    "excluded_custom_actions": [],
    "brand_safety_type": "NO_BRAND_SAFETY",
    "brand_safety_partner": None,
    "device_price_ranges": [],
    "device_model_ids": [],
    "category_id": "0",  # TikTok: 0
    "keywords": None,
    "is_hfss": False,
    "ios14_quota_type": "UNOCCUPIED",
    "inventory_filter_enabled": False,
    "search_result_enabled": False,
    "creative_material_mode": "CUSTOM",
    "auto_targeting_enabled": False,
}


def test_adgroup_recorded_by_airbyte(monkeypatch) -> None:
    """Every recorded field is emitted; a numeric flag and numeric IDs are typed per schema."""
    times = {
        "create_time": "2021-10-19T18:18:09+00:00",  # TikTok: "2021-10-19 18:18:09", UTC
        "modify_time": "2021-10-20T08:05:14+00:00",
        "schedule_start_time": "2021-10-19T19:10:40+00:00",
        "schedule_end_time": "2021-11-24T19:10:40+00:00",
    }
    dayparting = (
        "000000000000000000000000011111111111111110000000000000000000000000000000011111110000000"
        "000000000000000000000000000000000011111111111111110000000000000000000000000000000011111"
        "111111111110000000000000000000000000000000001111111111111110000000000000000000000000000"
        "000011111111111111110000000000000000000000000000000011111111111111110000000"
    )
    expected = {
        **times,
        "advertiser_id": AIRBYTE0830,
        "campaign_id": "1714073078669329",
        "campaign_name": "Website Traffic20211019110444",
        "adgroup_id": "1714073022392322",
        "adgroup_name": "Ad Group20211019111040",
        "budget": 50,
        "budget_mode": "BUDGET_MODE_DAY",
        "promotion_type": "WEBSITE",
        "skip_learning_phase": False,  # TikTok: 0
        "billing_event": "CPC",
        "bid_price": 0,
        "bid_type": "BID_TYPE_NO_BID",
        "conversion_bid_price": 0,
        "deep_cpa_bid": 0,
        "optimization_goal": "CLICK",
        "pacing": "PACING_MODE_SMOOTH",
        "placement_type": "PLACEMENT_TYPE_AUTOMATIC",
        "placements": None,
        "pixel_id": None,
        "app_id": None,
        "schedule_type": "SCHEDULE_START_END",
        "dayparting": dayparting,
        "operation_status": "DISABLE",
        "secondary_status": "ADGROUP_STATUS_CAMPAIGN_DISABLE",
        "is_new_structure": True,
        "gender": "GENDER_MALE",
        "age_groups": ["AGE_25_34", "AGE_35_44", "AGE_45_54"],
        "languages": ["en"],
        "location_ids": ["5332921"],  # TikTok: [5332921]
        "operating_systems": [],
        "interest_category_ids": [],
        "audience_ids": [],
        "excluded_audience_ids": [],
        "comment_disabled": False,
        "share_disabled": False,
        "video_download_disabled": False,
    }
    recorded = fixture("adgroup_get/adgroups_airbyte_recorded")
    result, _ = replay(
        monkeypatch,
        dt.datetime(2023, 4, 6, 12, tzinfo=UTC),
        {"/advertiser/info/": INFO_RECORDED, "/adgroup/get/": entity_replies(Reply(recorded))},
        {"adgroups": None},
        advertiser_ids=[AIRBYTE0830],
    )
    assert_nothing_dropped(result.records["adgroups"], recorded)
    (record,) = result.records["adgroups"]
    assert {name: record[name] for name in expected} == expected
    # The settings once dropped (issue 15), among others, as TikTok sent them.
    assert {name: record[name] for name in SETTINGS_ONCE_DROPPED} == SETTINGS_ONCE_DROPPED


def test_adgroups_from_tiktoks_reference_example(monkeypatch) -> None:
    """Doc 1739314558673922's example: every field it shows is emitted, none undeclared."""
    recorded = fixture("adgroup_get/adgroup_get_doc")
    result, _ = replay(
        monkeypatch,
        dt.datetime(2023, 4, 6, 12, tzinfo=UTC),
        {"/advertiser/info/": INFO_RECORDED, "/adgroup/get/": entity_replies(Reply(recorded))},
        {"adgroups": None},
        advertiser_ids=[AIRBYTE0830],
    )
    assert_nothing_dropped(result.records["adgroups"], recorded)
    first = result.records["adgroups"][0]
    shown = {
        name: value
        for name, value in SETTINGS_ONCE_DROPPED.items()
        if name in recorded["data"]["list"][0]
    }
    shown["device_price_ranges"] = None  # the example's null; Airbyte's recording had []
    assert {name: first[name] for name in shown} == shown
    assert first["location_ids"] == ["6252001"]
    assert first["operating_systems"] == ["ANDROID"]
    assert first["modify_time"] == "2021-10-20T08:05:14+00:00"


def test_ads_recorded_by_airbyte(monkeypatch) -> None:
    times = {  # TikTok: "2022-03-28 12:09:09", UTC
        "1728545390695442": ("2022-03-28T12:09:09+00:00", "2022-03-28T21:34:26+00:00"),
        "1714125051115569": ("2021-10-20T08:04:06+00:00", "2021-10-21T17:50:11+00:00"),
    }
    result, _ = replay(
        monkeypatch,
        dt.datetime(2023, 4, 6, 12, tzinfo=UTC),
        {
            "/advertiser/info/": INFO_RECORDED,
            "/ad/get/": entity_replies(Reply(fixture("ad_get/ads_airbyte_recorded"))),
        },
        {"ads": None},
        advertiser_ids=[AIRBYTE0830],
    )
    assert_nothing_dropped(result.records["ads"], fixture("ad_get/ads_airbyte_recorded"))
    # The settings once dropped (issue 15), as TikTok sent them (all unset in these ads).
    once_dropped = {
        "ad_texts": None,
        "landing_page_urls": None,
        "music_id": None,
        "page_id": None,
        "card_id": None,
        "creative_type": None,
        "optimization_event": None,
        "avatar_icon_web_uri": "ad-site-i18n-sg/202203285d0de5c114d0690a462bb6a4",
        "viewability_postbid_partner": "UNSET",
        "fallback_type": "UNSET",
        "vast_moat_enabled": False,
        "app_name": "",
        "playable_url": "",
    }
    first = result.records["ads"][0]
    assert {name: first[name] for name in once_dropped} == once_dropped
    expected = [
        {
            "advertiser_id": AIRBYTE0830,
            "campaign_id": "1728545382536225",
            "campaign_name": "CampaignVadimTraffic",
            "adgroup_id": "1728545385226289",
            "adgroup_name": "AdGroupVadim",
            "ad_id": "1728545390695442",
            "ad_name": "AdVadim-Optimized Version 3_202203281449_2022-03-28 05:03:44",
            "ad_text": "Open-source\ndata integration for modern data teams",
            "ad_format": "SINGLE_VIDEO",
            "video_id": "v10033g50000c90q1d3c77ub6e96fvo0",
            "image_ids": ["v0201/7f371ff6f0764f8b8ef4f37d7b980d50"],
            "create_time": times["1728545390695442"][0],
            "modify_time": times["1728545390695442"][1],
            "operation_status": "ENABLE",
            "secondary_status": "AD_STATUS_CAMPAIGN_DISABLE",
            "is_new_structure": True,
            "identity_type": "CUSTOMIZED_USER",
            "identity_id": "7080121820963422209",
            "display_name": "airbyte",
            "profile_image_url": (
                "https://p21-ad-sg.ibyteimg.com/large/ad-site-i18n-sg/"
                "202203285d0de5c114d0690a462bb6a4"
            ),
            "landing_page_url": "https://airbyte.com",
            "call_to_action_id": "7080120957230238722",
            "deeplink": "",
            "deeplink_type": "NORMAL",
            "creative_authorized": False,
            "is_aco": False,
            "impression_tracking_url": None,
            "click_tracking_url": None,
        },
        {
            "advertiser_id": AIRBYTE0830,
            "campaign_id": "1714125042508817",
            "campaign_name": "Website Traffic20211020010104",
            "adgroup_id": "1714125049901106",
            "adgroup_name": "Ad Group20211020010107",
            "ad_id": "1714125051115569",
            "ad_name": "Optimized Version 4_202110201102_2021-10-20 11:02:00",
            "ad_text": "Airbyte - data portabioolity platform - from anywhere to anywhere!",
            "ad_format": "SINGLE_VIDEO",
            "video_id": "v10033g50000c5nsqcbc77ubdn136b70",
            "image_ids": ["v0201/8f77082a1f3c40c586f8282356490c58"],
            "create_time": times["1714125051115569"][0],
            "modify_time": times["1714125051115569"][1],
            "operation_status": "ENABLE",
            "secondary_status": "AD_STATUS_CAMPAIGN_DISABLE",
            "is_new_structure": True,
            "identity_type": "UNSET",
            "identity_id": "",
            "display_name": "Airbyte",
            "profile_image_url": (
                "https://p21-ad-sg.ibyteimg.com/large/ad-site-i18n-sg/"
                "202110205d0d488b68ead898460bad74"
            ),
            "landing_page_url": "https://airbyte.io",
            "call_to_action": "LEARN_MORE",
            "call_to_action_id": None,
            "deeplink": "",
            "deeplink_type": "NORMAL",
            "creative_authorized": True,
            "is_aco": False,
            "impression_tracking_url": None,
            "click_tracking_url": None,
        },
    ]
    assert [
        {name: record[name] for name in wanted}
        for record, wanted in zip(result.records["ads"], expected, strict=True)
    ] == expected


# --- advertisers -----------------------------------------------------------------------------

SUSPENDED_0827 = (
    "1:Dear customer,\nWe've detected that your account has not been logged into for a long "
    "period of time, which could cause a security risk. In order to improve platform security, "
    "your account has been temporarily suspended. For further information or if you have any "
    'questions, please submit a ticket under "Account Review" in the Business Support Center to '
    "raise an appeal.\nThank you for your understanding.\n,endtime:2031-12-31 07:32:13"
)
SUSPENDED_08270 = (
    "1:Your account has been suspended due to suspicious or unusual activity or a violation of "
    "the TikTok Advertising Guidelines or other standards. For further information or if you "
    'have any questions, please raise a ticket under "Account Review" in TikTok Business Support '
    "to raise an appeal within 3 working days.,endtime:2032-12-10 12:17:03"
)


def recorded_advertisers() -> list[dict[str, Any]]:
    """The three recorded `advertiser/info/` rows as the `advertisers` stream emits them."""
    created = {  # TikTok: epoch seconds 1630055520, 1630056654, 1630335591
        AIRBYTE0827: "2021-08-27T09:12:00+00:00",
        AIRBYTE08270: "2021-08-27T09:30:54+00:00",
        AIRBYTE0830: "2021-08-30T14:59:51+00:00",
    }
    # TikTok's to-be-deprecated location fields (Doc 1739593083610113), unset in all three.
    unset_locations = dict.fromkeys(
        ("license_city", "license_province", "promotion_center_city", "promotion_center_province")
    )
    suspended = {
        **unset_locations,
        "telephone_number": "+18023****63",
        "cellphone_number": "+18023****63",
        "contacter": "Ai***te",
        "industry": "291905",
        "promotion_area": "0",
        "description": None,
        "company": "Airbyte",
        "address": None,
        "advertiser_account_type": "AUCTION",
        "license_url": None,
        "license_no": None,
        "role": "ROLE_ADVERTISER",
        "balance": 0,
        "language": "",
        "status": "STATUS_LIMIT",
        "email": "i***************@**********",
        "brand": None,
    }
    return [
        {
            **suspended,
            "advertiser_id": AIRBYTE0827,
            "name": "Airbyte0827",
            "timezone": "Europe/Moscow",
            "display_timezone": "Europe/Moscow",
            "currency": "RUB",
            "country": "RU",
            "rejection_reason": SUSPENDED_0827,
            "create_time": created[AIRBYTE0827],
        },
        {
            **suspended,
            "advertiser_id": AIRBYTE08270,
            "name": "Airbyte08270",
            "timezone": "Europe/Istanbul",
            "display_timezone": "Europe/Istanbul",
            "currency": "USD",
            "country": "TR",
            "rejection_reason": SUSPENDED_08270,
            "create_time": created[AIRBYTE08270],
        },
        {
            **unset_locations,
            "advertiser_id": AIRBYTE0830,
            "name": "Airbyte0830",
            "telephone_number": "+14156****85",
            "cellphone_number": "+13477****53",
            "contacter": "Ai***te",
            "timezone": "Etc/GMT+8",
            "display_timezone": "America/Los_Angeles",
            "industry": "291905",
            "promotion_area": "0",
            "description": "https://",
            "company": "Airbyte",
            "currency": "USD",
            "country": "US",
            "rejection_reason": "",
            "address": "350 29th avenue, San Francisco",
            "advertiser_account_type": "AUCTION",
            "license_url": None,
            "license_no": "",
            "role": "ROLE_ADVERTISER",
            "balance": 10,
            "language": "en",
            "status": "STATUS_ENABLE",
            "email": "i***************@**********",
            "create_time": created[AIRBYTE0830],
            "brand": None,
        },
    ]


def test_advertiser_info_recorded_by_airbyte(monkeypatch) -> None:
    """IDs that arrive as numbers are emitted as the schema's text."""
    result, server = replay(
        monkeypatch,
        dt.datetime(2023, 4, 6, 12, tzinfo=UTC),
        {"/advertiser/info/": INFO_RECORDED},
        {"advertisers": None},
        advertiser_ids=[AIRBYTE0827, AIRBYTE08270, AIRBYTE0830],
    )
    assert result.records["advertisers"] == recorded_advertisers()
    assert_nothing_dropped(result.records["advertisers"], INFO_RECORDED.body)
    (request,) = server.asked("/advertiser/info/")
    assert request.json_param("advertiser_ids") == [AIRBYTE0827, AIRBYTE08270, AIRBYTE0830]


def test_advertiser_info_from_airbytes_unit_test(monkeypatch) -> None:
    """A row with three fields only: the others are absent, not invented."""
    result, _ = replay(
        monkeypatch,
        dt.datetime(2024, 1, 3, 12, tzinfo=UTC),
        {"/advertiser/info/": INFO_UNIT_TEST},
        {"advertisers": None},
        advertiser_ids=[UNIT_TEST_ADVERTISER],
    )
    assert result.records["advertisers"] == [
        {"advertiser_id": UNIT_TEST_ADVERTISER, "name": "test name", "address": "test address"}
    ]
    assert_nothing_dropped(result.records["advertisers"], INFO_UNIT_TEST.body)


def test_advertiser_listing_recorded_by_airbyte(monkeypatch) -> None:
    """Without `advertiser_ids` the tap lists the token's advertisers and reads their info."""
    listing = Reply(fixture("oauth2_advertiser_get/advertiser_ids_airbyte_recorded"))
    result, server = replay(
        monkeypatch,
        dt.datetime(2023, 4, 6, 12, tzinfo=UTC),
        {"/oauth2/advertiser/get/": listing, "/advertiser/info/": INFO_RECORDED},
        {"advertisers": None},
        app_id="replay-app",
        secret="replay-secret",
    )
    assert result.records["advertisers"] == recorded_advertisers()
    (listed,) = server.asked("/oauth2/advertiser/get/")
    assert listed.query == {"app_id": "replay-app", "secret": "replay-secret"}
    (info,) = server.asked("/advertiser/info/")
    assert info.json_param("advertiser_ids") == [AIRBYTE0827, AIRBYTE08270, AIRBYTE0830]


# --- organic data of TikTok accounts, and their token refresh --------------------------------

REFRESH = "/tt_user/oauth2/refresh_token/"
REFRESHED = Reply(fixture("tt_user_refresh_token/refresh_python_tiktok"))
ACCOUNT = {"business_id": "openid", "refresh_token": "rft.configured"}
ORGANIC_SETTINGS = {"app_id": "replay-app", "secret": "replay-secret", "tiktok_accounts": [ACCOUNT]}


def test_organic_profile_and_daily_insights_from_tiktoks_reference_example(monkeypatch) -> None:
    """Doc 1762228399168514's example, after a refresh answered as python-tiktok recorded it."""
    today = "2021-08-02"  # the UTC day of the run: the profile's `extracted_date`
    result, server = replay(
        monkeypatch,
        dt.datetime(2021, 8, 2, 12, tzinfo=UTC),
        {REFRESH: REFRESHED, "/business/get/": Reply(fixture("business_get/business_get_doc"))},
        {"organic_profile": None, "organic_profile_daily": None},
        start_date="2021-07-30",
        end_date="2021-08-01",
        **ORGANIC_SETTINGS,
    )
    assert result.records["organic_profile"] == [
        {
            "business_id": "openid",
            "extracted_date": today,
            "profile_image": (
                "https://p16-sign-va.tiktokcdn.com/tos-maliva-avt-0068/"
                "188d468fc1de3f328250ea0c96e98f8b~c5_100x100.webp?x-expires=1628060400"
                "&x-signature=BnPoX8rWsYZZ%2BtyzCoWanxYdRyg%3D"
            ),
            "username": "la_flama_blanca",
            "display_name": "Display Name",
            "followers_count": 1124,
            "audience_countries": [
                {"percentage": 0.1797, "country": "MY"},
                {"percentage": 0.5996, "country": "TW"},
                {"percentage": 0.0629, "country": "VN"},
            ],
            "audience_genders": [
                {"percentage": 0.6031, "gender": "Female"},
                {"percentage": 0.1685, "gender": "Male"},
                {"percentage": 0.2283, "gender": "Other"},
            ],
        }
    ]
    assert result.records["organic_profile_daily"] == [
        {
            "business_id": "openid",
            "date": "2021-07-30",
            "followers_count": 4,
            "video_views": 1126,
            "comments": 4,
            "shares": 0,
            "likes": 26,
        },
        {
            "business_id": "openid",
            "date": "2021-07-31",
            "followers_count": 6,
            "video_views": 312,
            "comments": 0,
            "shares": 0,
            "likes": 15,
        },
        {
            "business_id": "openid",
            "date": "2021-08-01",
            "followers_count": 8,
            "video_views": 283,
            "comments": 0,
            "shares": 0,
            "likes": 19,
        },
    ]
    profile, daily = server.asked("/business/get/")
    assert "start_date" not in profile.query
    assert (daily.query["start_date"], daily.query["end_date"]) == ("2021-07-30", "2021-08-01")


def test_token_refresh_recorded_by_python_tiktok(monkeypatch) -> None:
    """The refresh sends the app's credentials and the configured refresh token; every
    organic call then carries the access token of the recorded answer ("act.token")."""
    _, server = replay(
        monkeypatch,
        dt.datetime(2021, 8, 2, 12, tzinfo=UTC),
        {REFRESH: REFRESHED, "/business/get/": Reply(fixture("business_get/business_get_doc"))},
        {"organic_profile": None},
        **ORGANIC_SETTINGS,
    )
    (refresh,) = server.asked(REFRESH)
    assert refresh.method == "POST"
    assert refresh.json_body() == {
        "client_id": "replay-app",
        "client_secret": "replay-secret",
        "grant_type": "refresh_token",
        "refresh_token": "rft.configured",
    }
    assert "Access-Token" not in refresh.headers
    (profile,) = server.asked("/business/get/")
    assert profile.headers["Access-Token"] == "act.token"


def test_organic_profile_recorded_by_python_tiktok(monkeypatch) -> None:
    result, _ = replay(
        monkeypatch,
        dt.datetime(2022, 7, 1, 7, tzinfo=UTC),
        {
            REFRESH: REFRESHED,
            "/business/get/": Reply(fixture("business_get/business_get_python_tiktok")),
        },
        {"organic_profile": None},
        **ORGANIC_SETTINGS,
    )
    assert result.records["organic_profile"] == [
        {
            "business_id": "openid",
            "extracted_date": "2022-07-01",
            "display_name": "kiki",
            "profile_image": (
                "https://p16-sign-va.tiktokcdn.com/tos-maliva-avt-0068/"
                "accb4aeac4ec812e2bdc45ce1da1ed39~c5_168x168.jpeg?x-expires=1656828000"
                "&x-signature=MmXPWeImP%2BRGBwAOqN3wjPpDiZE%3D"
            ),
        }
    ]


def test_organic_videos_recorded_by_python_tiktok(monkeypatch) -> None:
    """`has_more` false: one page; the videos carry only their `item_id`."""
    result, server = replay(
        monkeypatch,
        dt.datetime(2022, 7, 1, 7, tzinfo=UTC),
        {
            REFRESH: REFRESHED,
            "/business/video/list/": Reply(fixture("business_video_list/video_list_python_tiktok")),
        },
        {"organic_videos": None},
        **ORGANIC_SETTINGS,
    )
    assert result.records["organic_videos"] == [
        {"business_id": "openid", "item_id": "7109065174526479622"},
        {"business_id": "openid", "item_id": "7109064881462152453"},
        {"business_id": "openid", "item_id": "7108684822863760646"},
        {"business_id": "openid", "item_id": "7108678102229781766"},
    ]
    (request,) = server.asked("/business/video/list/")
    assert "cursor" not in request.query
    assert request.json_param("fields")[0] == "item_id"
