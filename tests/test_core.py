"""The Singer SDK's built-in tap tests, run against the fake TikTok API on loopback."""

from __future__ import annotations

import atexit
import datetime as dt
from typing import TYPE_CHECKING

import pytest
from singer_sdk.testing import SuiteConfig, get_tap_test_class

from tap_tiktok_ads import dates
from tap_tiktok_ads.tap import TapTikTokAds
from tests.fake_api import DataSpec, FakeData, FakeTikTokApi
from tests.fake_api.organic import account_settings

if TYPE_CHECKING:
    from collections.abc import Iterator

NOW = dt.datetime(2026, 11, 20, 12, tzinfo=dt.timezone.utc)
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
    clock=lambda: NOW,
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


@pytest.fixture(scope="module", autouse=True)
def _the_taps_clock_at_the_fakes() -> Iterator[None]:
    """The tap's clock at the fake's moment, for the whole module: the SDK's runner syncs once
    per class. On the real clock organic_profile_daily read days the fake's data does not
    reach and returned no record with the clock at 2027-01-20 (at 2026-12-31 it still did)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(dates, "utc_now", lambda: NOW)
        yield


TestTapTikTokAds = get_tap_test_class(
    tap_class=TapTikTokAds,
    config=CONFIG,
    catalog=_every_stream_selected(),
    suite_config=SuiteConfig(max_records_limit=100),
)
