"""Ad-level spend adds up to the advertiser's, deleted, Promote and Smart+ ads included.

TikTok's `ad_id` dimension gives an Upgraded Smart+ ad's creatives; the metric `ad_id_v2` gives
the ad itself (Doc 1740302848100353), so every ad row joins the `ads` stream.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal

import pytest

from tap_tiktok_ads import dates
from tests.conftest import SMALL_SPEC, run_tap, tap_config
from tests.fake_api import FakeData, FakeTikTokApi
from tests.fake_api.vocabulary import DataLevel

NOW = dt.datetime(2026, 11, 21, 12, tzinfo=dt.timezone.utc)


@pytest.fixture
def api(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(dates, "utc_now", lambda: NOW)
    with FakeTikTokApi(FakeData(SMALL_SPEC), clock=lambda: NOW) as server:
        yield server


def test_ad_spend_sums_to_advertiser_spend_and_every_row_joins_an_ad(api: FakeTikTokApi) -> None:
    result = run_tap(
        tap_config(api, include_deleted=True, start_date="2026-11-01", end_date="2026-11-20"),
        streams={
            "ad_report_daily": ["advertiser_id", "ad_id", "stat_time_day", "spend", "ad_id_v2"],
            "advertiser_report_daily": ["advertiser_id", "stat_time_day", "spend"],
            "ads": ["advertiser_id", "ad_id", "campaign_id"],
        },
    )
    by_ads: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for row in result.records["ad_report_daily"]:
        by_ads[row["advertiser_id"], row["stat_time_day"]] += Decimal(str(row["spend"] or 0))
    by_advertiser = {
        (row["advertiser_id"], row["stat_time_day"]): Decimal(str(row["spend"] or 0))
        for row in result.records["advertiser_report_daily"]
    }
    assert by_advertiser
    assert {key: by_ads.get(key, Decimal(0)) for key in by_advertiser} == by_advertiser

    ads = {row["ad_id"] for row in result.records["ads"]}
    spent = {row["ad_id_v2"] for row in result.records["ad_report_daily"]}
    assert spent <= ads  # every row joins the ads stream through ad_id_v2
    data = api.data
    entities = [data.entity(ad_id) for ad_id in spent]
    # The kinds that once went missing are among the spending ads.
    assert any(ad.deleted for ad in entities)
    assert any(ad.smart_plus for ad in entities)
    assert any(ad.origin == "PROMOTE" for ad in entities)
    assert all(ad.level is DataLevel.AD for ad in entities)
