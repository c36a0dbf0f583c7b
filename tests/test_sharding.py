"""Scale-out: `advertiser_shard` splits the advertisers between n runs, each exactly once."""

from __future__ import annotations

import datetime as dt

import pytest

from tap_tiktok_ads.settings import check_settings
from tap_tiktok_ads.sharding import Shard, ShardSettingError, parse_shard
from tests.conftest import NOW, run_cli, run_tap, tap_config
from tests.fake_api import DataSpec, FakeData, FakeTikTokApi

SHARDS = 3
SEVEN_ADVERTISERS = DataSpec(
    advertisers=7,
    campaigns_per_advertiser=1,
    adgroups_per_campaign=1,
    ads_per_adgroup=2,
    first_day=dt.date(2026, 10, 1),
    last_day=dt.date(2026, 12, 31),
)
STREAMS: dict[str, list[str] | None] = {
    "advertisers": None,
    "campaigns": None,
    "ad_report_daily": ["spend", "impressions"],
    # TikTok Shop: per advertiser and store, and the GMV max ads (TT_SHOP) report.
    "gmv_max_stores": None,
    "gmv_max_report_daily": ["cost", "orders"],
    "gmv_max_product_report_daily": ["cost"],
    "campaign_shop_report_daily": ["spend"],
}


@pytest.fixture(scope="module")
def seven_advertisers() -> FakeData:
    return FakeData(SEVEN_ADVERTISERS)


@pytest.fixture
def api(seven_advertisers: FakeData):
    with FakeTikTokApi(seven_advertisers, clock=lambda: NOW) as server:
        yield server


def sync(api: FakeTikTokApi, **overrides: object) -> dict[str, list[dict]]:
    config = tap_config(api, start_date="2026-11-15", end_date="2026-11-18", **overrides)
    return dict(run_tap(config, streams=STREAMS).records)


def keyed(records: dict[str, list[dict]]) -> set[tuple]:
    return {
        (stream, tuple(sorted((k, str(v)) for k, v in record.items())))
        for stream, rows in records.items()
        for record in rows
    }


def advertisers_of(records: dict[str, list[dict]]) -> set[str]:
    return {record["advertiser_id"] for rows in records.values() for record in rows}


@pytest.mark.usefixtures("frozen_now")
@pytest.mark.parametrize("discovered", [False, True], ids=["configured", "discovered"])
def test_the_shards_together_are_the_unsharded_sync(api, discovered: bool) -> None:
    overrides: dict[str, object] = {}
    if discovered:  # advertisers found through the token, not listed
        overrides = {"advertiser_ids": [], "app_id": api.app_id, "secret": api.secret}
    everything = sync(api, **overrides)
    assert advertisers_of(everything) == set(api.data.advertiser_ids())
    assert everything["gmv_max_report_daily"]
    assert everything["campaign_shop_report_daily"]

    shards = [sync(api, advertiser_shard=f"{i}/{SHARDS}", **overrides) for i in range(1, 4)]
    owners = [advertisers_of(shard) for shard in shards]
    for index, owned in enumerate(owners):
        for other in owners[index + 1 :]:
            assert not owned & other, "an advertiser is in two shards"
    assert set().union(*owners) == set(api.data.advertiser_ids())
    assert sum(len(owned) for owned in owners) == 7
    union = set().union(*(keyed(shard) for shard in shards))
    assert union == keyed(everything)
    assert sum(len(keyed(shard)) for shard in shards) == len(keyed(everything))


def test_a_shard_is_stable_and_the_shards_partition_any_ids() -> None:
    ids = [str(7100000000000000000 + n) for n in range(1000)]
    for count in (1, 2, 5):
        shards = [parse_shard(f"{i}/{count}") for i in range(1, count + 1)]
        for advertiser_id in ids:
            assert sum(shard.owns(advertiser_id) for shard in shards) == 1
        sizes = [sum(shard.owns(a) for a in ids) for shard in shards]
        assert min(sizes) > 1000 / count * 0.8  # a hash, not a range: shards are even
    # SHA-256 of the ID, not Python's per-process hash(): the same shard in every run.
    assert [
        [parse_shard(f"{i}/3").owns(f"710000000000000000{n}") for i in (1, 2, 3)] for n in (1, 2, 3)
    ] == [[False, False, True], [True, False, False], [False, True, False]]
    assert parse_shard(" 2 / 4 ") == Shard(2, 4)


@pytest.mark.parametrize("value", ["0/3", "4/3", "3", "a/b", "1/0", "-1/2", ""])
def test_a_bad_shard_names_the_setting(value: str) -> None:
    if value:
        with pytest.raises(ShardSettingError):
            parse_shard(value)
    errors = check_settings({"advertiser_shard": value})
    if value:
        assert any(e.startswith("`advertiser_shard`") and "i/n" in e for e in errors), errors
    else:
        assert not any("advertiser_shard" in e for e in errors)


def test_the_cli_refuses_a_bad_shard_before_any_request(api, tmp_path) -> None:
    result = run_cli(tmp_path, config=tap_config(api, advertiser_shard="4/3"))
    assert result.returncode != 0
    assert "`advertiser_shard`" in result.stderr
    assert "Traceback" not in result.stderr
    assert api.count() == 0
