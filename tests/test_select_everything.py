"""A catalog with every property of every stream selected: no 40002, every record strict.

This is what Meltano's `select: ['*.*']` does. TikTok refuses a whole request when one metric is
not valid for the report's shape, so the streams may only offer what is valid for them; and a
record must carry exactly properties its schema declares, in their declared formats.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from jsonschema import Draft7Validator, FormatChecker

from tap_tiktok_ads.tap import TapTikTokAds
from tests.conftest import run_tap, tap_config
from tests.fake_api.organic import account_settings

if TYPE_CHECKING:
    from tests.fake_api import FakeTikTokApi

PARAMETER_ERROR = 40002
CUSTOM_REPORTS = [
    {
        "name": "ad_country_daily",
        "report_type": "BASIC",
        "data_level": "AD",
        "dimensions": ["ad_id", "stat_time_day", "country_code"],
    },
    {
        "name": "campaign_language_daily",
        "report_type": "AUDIENCE",
        "data_level": "CAMPAIGN",
        "dimensions": ["campaign_id", "stat_time_day", "language"],
    },
    {
        "name": "shop_country_weekly",
        "report_type": "TT_SHOP",
        "data_level": "ADVERTISER",
        "dimensions": ["advertiser_id", "country_code"],
        "granularity": "WEEK",
    },
]
# TikTok Shop streams: each must sync rows with every property selected, not just no refusal.
SHOP_STREAMS = (
    "gmv_max_stores",
    "gmv_max_campaigns",
    "gmv_max_report_daily",
    "gmv_max_product_report_daily",
    "gmv_max_live_report_daily",
    "advertiser_shop_report_daily",
    "campaign_shop_report_daily",
    "shop_country_weekly",
)


def strict(schema: dict[str, Any]) -> dict[str, Any]:
    """The schema with undeclared properties forbidden, at every object level."""
    if not isinstance(schema, dict):
        return schema
    result = {
        key: strict(value) if isinstance(value, dict) else value for key, value in schema.items()
    }
    if "properties" in schema:
        result["properties"] = {name: strict(sub) for name, sub in schema["properties"].items()}
        result.setdefault("additionalProperties", False)
    if isinstance(schema.get("items"), dict):
        result["items"] = strict(schema["items"])
    return result


def test_every_property_of_every_stream(frozen_now, fake_api: FakeTikTokApi) -> None:
    config = tap_config(
        fake_api,
        start_date="2026-11-18",
        end_date="2026-11-19",
        app_id=fake_api.app_id,
        secret=fake_api.secret,
        tiktok_accounts=account_settings(fake_api),
        custom_reports=CUSTOM_REPORTS,
    )
    catalog = TapTikTokAds(config=config, setup_mapper=False).catalog_dict
    everything = {
        entry["tap_stream_id"]: list(entry["schema"]["properties"]) for entry in catalog["streams"]
    }
    assert len(everything) > 40
    assert sum(len(names) for names in everything.values()) > 10_000

    result = run_tap(config, streams=everything)

    assert fake_api.log.count(code=PARAMETER_ERROR) == 0
    assert all(result.records[stream] for stream in SHOP_STREAMS)
    checker = FormatChecker()
    assert {"date", "date-time"} <= set(checker.checkers)
    assert set(result.schemas) == set(everything)
    for stream, message in result.schemas.items():
        validator = Draft7Validator(strict(message["schema"]), format_checker=checker)
        for record in result.records[stream]:
            errors = sorted(validator.iter_errors(record), key=str)
            assert not errors, f"{stream}: {errors[0].message}"
    empty = {stream for stream in everything if not result.records[stream]}
    assert not empty, f"streams without records: {sorted(empty)}"
