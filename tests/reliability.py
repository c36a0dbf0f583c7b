"""A multi-advertiser sync of every kind of stream, and its truth, for the reliability tests.

Reports (daily, hourly, audience, GMV max ads), entities, TikTok Shop GMV Max data and organic
data of three advertisers and three TikTok accounts, small enough to run dozens of times: the fault matrix, kill-and-resume and
the secrets tests all compare what the tap emitted, merged by key, with the fake's truth.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import TYPE_CHECKING, Any

from tap_tiktok_ads.metrics import DataLevel
from tests.conftest import NOW, run_tap
from tests.fake_api.gmv_max import shop_world
from tests.fake_api.organic import (
    account_settings,
    daily_rows,
    newer_member,
    organic_accounts,
    profile,
    videos,
)
from tests.fake_api.shop_reports import TtShopQuery, tt_shop_truth
from tests.gmv_max_truth import REPORT_KEY as GMV_MAX_REPORT_KEY
from tests.gmv_max_truth import expected_report as expected_gmv_max_report
from tests.truth import REPORTS, by_key, expected_report_records

if TYPE_CHECKING:
    from tests.conftest import SyncResult
    from tests.fake_api import FakeData, FakeTikTokApi

START = dt.date(2026, 11, 17)
END = dt.date(2026, 11, 20)  # NOW's day: today is read too, and audience days are not final
METRICS = ["spend", "impressions"]
REPORT_STREAMS = ("ad_report_daily", "campaign_report_hourly", "ad_audience_country_daily")
ENTITY_LEVELS = {
    "campaigns": DataLevel.CAMPAIGN,
    "adgroups": DataLevel.ADGROUP,
    "ads": DataLevel.AD,
}
ENTITY_IDS = {"campaigns": "campaign_id", "adgroups": "adgroup_id", "ads": "ad_id"}
SHOP_REPORT = "campaign_shop_report_daily"  # TT_SHOP: GMV max ads spend, by campaign
SHOP_METRICS = ["spend", "billed_cost"]
GMV_MAX_REPORT = "gmv_max_report_daily"
GMV_MAX_METRICS = ["cost", "orders", "gross_revenue"]
# GMV Max stores and campaigns: compared by key, like the entities.
SHOP_LISTS = {
    "gmv_max_stores": ["advertiser_id", "store_id"],
    "gmv_max_campaigns": ["advertiser_id", "store_id", "campaign_id"],
}
ORGANIC_KEYS = {
    "organic_profile": ["business_id", "extracted_date"],
    "organic_profile_daily": ["business_id", "date"],
    "organic_videos": ["business_id", "item_id"],
}
STREAMS: dict[str, list[str] | None] = {
    **{name: [*REPORTS[name].key_properties, *METRICS] for name in REPORT_STREAMS},
    **dict.fromkeys(ENTITY_LEVELS),
    **dict.fromkeys(ORGANIC_KEYS),
    SHOP_REPORT: [*REPORTS[SHOP_REPORT].key_properties, *SHOP_METRICS],
    GMV_MAX_REPORT: [*GMV_MAX_REPORT_KEY, *GMV_MAX_METRICS],
    **dict.fromkeys(SHOP_LISTS),
}
KEYS: dict[str, list[str]] = {
    **{name: REPORTS[name].key_properties for name in REPORT_STREAMS},
    **{name: [field] for name, field in ENTITY_IDS.items()},
    **ORGANIC_KEYS,
    SHOP_REPORT: REPORTS[SHOP_REPORT].key_properties,
    GMV_MAX_REPORT: list(GMV_MAX_REPORT_KEY),
    **SHOP_LISTS,
}
KEYED_ONLY = {*ENTITY_LEVELS, *SHOP_LISTS}  # compared by key: the value is the advertiser


def sync_config(api: FakeTikTokApi, base: dict[str, Any], **overrides: Any) -> dict[str, Any]:
    """Advertising and organic settings for the fake: several pages per window."""
    config = base | {
        "start_date": START.isoformat(),
        "end_date": END.isoformat(),
        "page_size": 25,
        "app_id": api.app_id,
        "secret": api.secret,
        "tiktok_accounts": account_settings(api),
    }
    return config | overrides


def truth(data: FakeData, now: dt.datetime = NOW) -> dict[str, dict[tuple, Any]]:
    """Per stream, key -> what a complete sync emits (entities: their `modify_time` source)."""
    expected: dict[str, dict[tuple, Any]] = {}
    for name in REPORT_STREAMS:
        records = expected_report_records(data, name, METRICS, start=START, end=END, now=now)
        expected[name] = {_key(name, r): r for r in records}
    for name, level in ENTITY_LEVELS.items():
        expected[name] = {
            (r[ENTITY_IDS[name]],): r["advertiser_id"]
            for aid in data.advertiser_ids()
            for r in data.records(aid, level)
        }
    expected |= _shop_truth(data, now)
    yesterday = now.date() - dt.timedelta(days=1)
    expected["organic_profile"], expected["organic_profile_daily"] = {}, {}
    expected["organic_videos"] = {}
    for account in organic_accounts(data):
        business_id = account.business_id
        expected["organic_profile"][business_id, now.date().isoformat()] = {
            "business_id": business_id,
            "extracted_date": now.date().isoformat(),
            **profile(account, now),
            **_kept(newer_member(account.key, every=1)),
        }
        for row in daily_rows(account, START, yesterday, now):
            hours = [
                {"hour": int(a["hour"]), "count": a["count"]} for a in row["audience_activity"]
            ]
            newer = newer_member(account.key, dt.date.fromisoformat(row["date"]).toordinal())
            record = {
                "business_id": business_id,
                **row,
                "audience_activity": hours,
                **_kept(newer),
            }
            expected["organic_profile_daily"][business_id, row["date"]] = record
        for video in videos(account, now):
            created = dt.datetime.fromtimestamp(int(video["create_time"]), tz=dt.timezone.utc)
            record = {
                **video,
                "business_id": business_id,
                "create_time": created.isoformat(),
                **_kept(newer_member(video["item_id"])),
            }
            expected["organic_videos"][business_id, video["item_id"]] = record
    return expected


def _kept(member: dict[str, Any]) -> dict[str, Any]:
    """A field TikTok added after the transcription, where the tap keeps it (`extra_fields`)."""
    return {"extra_fields": member} if member else {}


def _shop_truth(data: FakeData, now: dt.datetime) -> dict[str, dict[tuple, Any]]:
    """The GMV Max streams and the TT_SHOP report, from the fake's GMV Max world."""
    world = shop_world(data)
    expected: dict[str, dict[tuple, Any]] = {
        "gmv_max_stores": {
            (s.advertiser_id, s.store_id): s.advertiser_id
            for ss in world.stores.values()
            for s in ss
        },
        "gmv_max_campaigns": {
            (c.advertiser_id, c.store_id, c.campaign_id): c.advertiser_id
            for cs in world.campaigns.values()
            for c in cs
            if not c.deleted
        },
        GMV_MAX_REPORT: {},
        SHOP_REPORT: {},
    }
    for key, record in expected_gmv_max_report(data, now, START, END).items():
        wanted = STREAMS[GMV_MAX_REPORT] or []
        expected[GMV_MAX_REPORT][key] = {name: record[name] for name in wanted}
    dimensions = ("campaign_id", "country_code", "stat_time_day")
    for advertiser_id in data.advertiser_ids():
        query = TtShopQuery(
            advertiser_id, "AUCTION_CAMPAIGN", dimensions, tuple(SHOP_METRICS), START, END
        )
        for row in tt_shop_truth(data, query, data.local_today(advertiser_id, now)):
            record = {"advertiser_id": advertiser_id, **row["dimensions"]}
            record["stat_time_day"] = record["stat_time_day"][:10]
            record |= {name: float(value) for name, value in row["metrics"].items()}
            expected[SHOP_REPORT][_key(SHOP_REPORT, record)] = record
    return expected


def _key(stream: str, record: dict[str, Any]) -> tuple:
    return tuple(record[k] for k in KEYS[stream])


def merged(*runs: dict[str, list[dict[str, Any]]]) -> dict[str, dict[tuple, Any]]:
    """The records of one or more runs merged by key, as a target's upsert keeps them."""
    result: dict[str, dict[tuple, Any]] = {name: {} for name in STREAMS}
    for records in runs:
        for name in STREAMS:
            for record in records.get(name, []):
                value = record["advertiser_id"] if name in KEYED_ONLY else record
                result[name][_key(name, record)] = value
    return result


def duplicates(records: dict[str, list[dict[str, Any]]]) -> dict[str, list[tuple]]:
    """Keys emitted more than once within one run, per stream."""
    found = {}
    for name in STREAMS:
        counts = Counter(_key(name, record) for record in records.get(name, []))
        repeated = [key for key, count in counts.items() if count > 1]
        if repeated:
            found[name] = repeated
    return found


def differences(
    got: dict[str, dict[tuple, Any]], expected: dict[str, dict[tuple, Any]]
) -> dict[str, dict[str, list[tuple]]]:
    """Per stream: keys missing, keys unexpected, keys whose record differs (empty: equal)."""
    problems = {}
    for name in STREAMS:
        have, want = got.get(name, {}), expected[name]
        found = {
            "missing": sorted(set(want) - set(have)),
            "unexpected": sorted(set(have) - set(want)),
            "different": sorted(k for k in set(have) & set(want) if have[k] != want[k]),
        }
        if any(found.values()):
            problems[name] = {kind: keys[:5] for kind, keys in found.items() if keys}
    return problems


def resume_points(
    full: SyncResult,
    config: dict[str, Any],
    streams: dict[str, list[str] | None],
    stream: str,
    expected: dict[tuple, Any],
) -> int:
    """Check that every STATE of `full` after a record is a resume point; count them.

    What was emitted before it, plus a run resumed from it, merged by key, is `expected`
    (as if the tap had been killed right there).
    """
    keys = REPORTS[stream].key_properties
    emitted: list[dict] = []
    points = 0
    for message in full.messages:
        if message["type"] == "RECORD":
            emitted.append(message["record"])
        elif message["type"] == "STATE" and emitted:
            resumed = run_tap(config, streams=streams, state=message["value"])
            union = {**by_key(emitted, keys), **by_key(resumed.records[stream], keys)}
            assert union == expected
            points += 1
    return points
