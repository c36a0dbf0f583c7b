"""The Singer SDK's built-in tap tests, run against the fake TikTok API on loopback."""

from __future__ import annotations

import atexit
import datetime as dt

from singer_sdk.testing import SuiteConfig, get_tap_test_class

from tap_tiktok_ads.tap import TapTikTokAds
from tests.fake_api import DataSpec, FakeData, FakeTikTokApi
from tests.fake_api.organic import account_settings

# One server for the whole module: the SDK builds its test class at import time.
_API = FakeTikTokApi(
    FakeData(
        DataSpec(
            advertisers=2,
            campaigns_per_advertiser=1,
            adgroups_per_campaign=1,
            ads_per_adgroup=2,
            first_day=dt.date(2026, 9, 1),
            last_day=dt.date(2026, 12, 31),
        )
    ),
    clock=lambda: dt.datetime(2026, 11, 20, 12, tzinfo=dt.timezone.utc),
)
_API.start()
atexit.register(_API.stop)

CONFIG = {
    "access_token": _API.token,
    "app_id": _API.app_id,
    "secret": _API.secret,
    "api_base_url": _API.base_url,
    "start_date": "2026-11-17",
    "end_date": "2026-11-19",
    "max_requests_per_second": 1000,
    "tiktok_accounts": account_settings(_API),
}


def _every_stream_selected() -> dict:
    """The discovered catalog with every stream selected, the opt-in ones too."""
    catalog = TapTikTokAds(config=CONFIG, setup_mapper=False).catalog_dict
    for entry in catalog["streams"]:
        for item in entry["metadata"]:
            if not item["breadcrumb"]:
                item["metadata"]["selected"] = True
    return catalog


TestTapTikTokAds = get_tap_test_class(
    tap_class=TapTikTokAds,
    config=CONFIG,
    catalog=_every_stream_selected(),
    suite_config=SuiteConfig(max_records_limit=100),
)
