"""Ad-level spend adds up to the advertiser's, deleted, Promote, TopView and Smart+ ads included.

TikTok's `ad_id` dimension gives an Upgraded Smart+ ad's creatives; the metric `ad_id_v2` gives
the ad itself (Doc 1740302848100353), so every ad row joins the `ads` stream through it. The
fake gives each Smart+ ad two creatives of its own IDs, so a join on `ad_id` would fail here.
TopView rows come only with the report filter `buying_type` (same Doc), while the advertiser
level counts their spend: without the tap's TopView pass the sums differ. The same holds for
accounts over TikTok's report ad cap (id_batches.py), read in ID batches: TopView IDs in
batches of their own, with the filter, the advertiser level summed from them too.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from collections import defaultdict
from decimal import Decimal
from typing import Any

import pytest

from tap_tiktok_ads import dates
from tests.conftest import run_tap, tap_config
from tests.fake_api import DataSpec, FakeData, FakeTikTokApi
from tests.fake_api.vocabulary import DataLevel

NOW = dt.datetime(2026, 11, 21, 12, tzinfo=dt.timezone.utc)
START, END = dt.date(2026, 11, 1), dt.date(2026, 11, 20)
# Campaigns 1-4: manual, Promote, TopView, Upgraded Smart+; every fifth ad group and ad deleted.
SPEC = DataSpec(
    advertisers=2,
    campaigns_per_advertiser=2,
    adgroups_per_campaign=2,
    ads_per_adgroup=2,
    deleted_every=5,
    top_view=True,
    first_day=dt.date(2026, 9, 1),
    last_day=dt.date(2026, 12, 31),
)


# 8 ads per advertiser, 4 of them TopView: over a cap of 3 with or without the filter.
CAPPED = dataclasses.replace(SPEC, ad_cap=3)


@pytest.fixture(scope="module", params=[SPEC, CAPPED], ids=["uncapped", "over-ad-cap"])
def data(request: pytest.FixtureRequest) -> FakeData:
    return FakeData(request.param)


@pytest.fixture
def api(monkeypatch: pytest.MonkeyPatch, data: FakeData):
    monkeypatch.setattr(dates, "utc_now", lambda: NOW)
    with FakeTikTokApi(data, clock=lambda: NOW) as server:
        yield server


def daily_spend(rows: list[dict[str, Any]], advertiser_id: str) -> dict[tuple[str, str], Decimal]:
    """The fake's report rows summed per advertiser and day."""
    sums: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for row in rows:
        day = row["dimensions"]["stat_time_day"][:10]
        sums[advertiser_id, day] += Decimal(row["metrics"]["spend"])
    return sums


def truth(data: FakeData, level: DataLevel, include_deleted: bool) -> dict[tuple, Decimal]:
    """Spend per advertiser and day: the advertiser level's, or every ad row's (TopView too)."""
    sums: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    passes = [None] if level is DataLevel.ADVERTISER else [None, ("RESERVATION_TOP_VIEW",)]
    for aid in data.advertiser_ids():
        for buying_types in passes:
            rows = data.report_rows(
                aid,
                "BASIC",
                level,
                [level.id_dimension, "stat_time_day"],
                ["spend"],
                start=START,
                end=END,
                include_deleted=include_deleted,
                now=NOW,
                buying_types=buying_types,
            )
            for key, spend in daily_spend(rows, aid).items():
                sums[key] += spend
    return dict(sums)


@pytest.mark.parametrize("include_deleted", [True, False])
def test_ad_spend_sums_and_every_row_joins_an_ad(
    api: FakeTikTokApi, data: FakeData, include_deleted: bool
) -> None:
    result = run_tap(
        tap_config(
            api,
            include_deleted=include_deleted,
            start_date=START.isoformat(),
            end_date=END.isoformat(),
        ),
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
    assert by_advertiser == truth(data, DataLevel.ADVERTISER, include_deleted)
    assert dict(by_ads) == truth(data, DataLevel.AD, include_deleted)
    if include_deleted:  # the advertiser level reports deleted ads' spend too
        assert {key: by_ads.get(key, Decimal(0)) for key in by_advertiser} == by_advertiser

    ads = {row["ad_id"] for row in result.records["ads"]}
    rows = result.records["ad_report_daily"]
    assert {row["ad_id_v2"] for row in rows} <= ads  # every row joins the ads stream
    creatives = [row for row in rows if row["ad_id"] != row["ad_id_v2"]]
    assert creatives  # an Upgraded Smart+ ad's rows are its creatives'
    assert all(data.entity(row["ad_id_v2"]).smart_plus for row in creatives)
    assert not {row["ad_id"] for row in creatives} & ads
    spent = [data.entity(ad_id) for ad_id in {row["ad_id_v2"] for row in rows}]
    assert all(ad.level is DataLevel.AD for ad in spent)
    assert any(ad.origin == "PROMOTE" for ad in spent)
    assert any(ad.buying_type == "RESERVATION_TOP_VIEW" for ad in spent)
    assert any(ad.deleted for ad in spent) is include_deleted

    batched_top_view = [
        r
        for r in api.requests
        if r.path == "report/integrated/get/"
        and "RESERVATION_TOP_VIEW" in json.dumps(r.params.get("filtering"))
        and "_ids" in json.dumps(r.params.get("filtering"))
    ]
    levels = {r.params["data_level"] for r in batched_top_view}
    if data.spec == CAPPED:
        # TopView IDs were read in batches, for the ad level and the advertiser level's sums.
        assert "AUCTION_AD" in levels
        assert levels - {"AUCTION_AD"}
    else:
        assert not levels
