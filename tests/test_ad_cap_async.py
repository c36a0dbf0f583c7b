"""An account over TikTok's ad cap gives the same rows by sync ID batches and by async tasks.

Issue 13's "done when", scaled down: the fake caps `report/integrated/get/` at CAP ads (the
newest ones, deleted ads counted, with the `X-Tt-Ads-Throttle` header; tests/fake_api/
ad_cap.py) and does not cap asynchronous report tasks, which match Ads Manager's exports
(issue 13; tasks filter by up to 20,000 IDs, Doc 1740302766489602). The truth is the fake's
own uncapped data (tests/truth.py). The benchmark's `adcap` scenario is the full size.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from typing import TYPE_CHECKING, Any

import pytest

from tap_tiktok_ads import dates
from tests.conftest import run_tap, tap_config
from tests.fake_api import DataSpec, FakeData, FakeTikTokApi
from tests.fake_api.vocabulary import DataLevel
from tests.truth import REPORTS, expected_report_records

if TYPE_CHECKING:
    from collections.abc import Iterator

CAP = 50
NOW = dt.datetime(2026, 10, 20, 15, 30, tzinfo=dt.timezone.utc)
START, END = dt.date(2026, 10, 1), dt.date(2026, 10, 8)  # async data no longer lags there
STREAM = "ad_report_daily"
METRICS = ["spend", "impressions", "clicks", "conversion", "ctr", "cpm", "reach"]
REPORT, AD_LIST = "report/integrated/get/", "ad/get/"
CREATE, DOWNLOAD = "report/task/create/", "report/task/download/"
# One advertiser of 3 x 4 x 20 = 240 ads (every fourth entity deleted): almost 5 times the cap.
SPEC = DataSpec(
    advertisers=1,
    campaigns_per_advertiser=3,
    adgroups_per_campaign=4,
    ads_per_adgroup=20,
    first_day=dt.date(2026, 6, 1),
    last_day=dt.date(2026, 10, 31),
    ad_cap=CAP,
)


@pytest.fixture(scope="module")
def data() -> FakeData:
    return FakeData(SPEC)


@pytest.fixture
def api(data: FakeData, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeTikTokApi]:
    monkeypatch.setattr(dates, "utc_now", lambda: NOW)
    with FakeTikTokApi(data, clock=lambda: NOW) as server:
        yield server


def selection() -> dict[str, list[str]]:
    return {STREAM: [*REPORTS[STREAM].key_properties, *METRICS]}


def ordered(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    keys = REPORTS[STREAM].key_properties
    return sorted(records, key=lambda record: tuple(str(record[k]) for k in keys))


def duplicates(records: list[dict[str, Any]]) -> int:
    keys = REPORTS[STREAM].key_properties
    counts = Counter(tuple(record[k] for k in keys) for record in records)
    return sum(count - 1 for count in counts.values())


def filtered(request: Any) -> bool:
    """Whether a report request carries an ID filter (a batch)."""
    filtering = request.params.get("filtering") or []
    items = json.loads(filtering) if isinstance(filtering, str) else filtering
    return any(item["field_name"].endswith("_ids") for item in items)


def test_the_account_is_over_the_cap(data: FakeData) -> None:
    (advertiser_id,) = data.advertiser_ids()
    ads = data.entities(advertiser_id, DataLevel.AD, include_deleted=True)
    assert len(ads) == 240 > CAP
    assert sum(ad.deleted for ad in ads) > 0


def test_sync_batches_and_async_tasks_give_the_same_rows_as_the_truth(api, data) -> None:
    config = tap_config(api, start_date=START.isoformat(), end_date=END.isoformat())
    by_sync = run_tap({**config, "report_mode": "sync"}, streams=selection())
    sync_reports = [r for r in api.requests if r.path == REPORT]
    assert any(filtered(r) for r in sync_reports)  # read in ID batches under the cap
    assert api.count(AD_LIST) > 0
    assert not [r for r in api.requests if r.path == CREATE]
    api.log.clear()

    by_async = run_tap({**config, "report_mode": "async"}, streams=selection())
    assert len([r for r in api.requests if r.path == CREATE]) == 1  # one task, no batches
    assert api.count(DOWNLOAD) == 1
    assert not [r for r in api.requests if r.path in {REPORT, AD_LIST}]
    assert api.report_tasks.refusals == []

    truth = ordered(expected_report_records(data, STREAM, METRICS, start=START, end=END, now=NOW))
    sync_records, async_records = (
        ordered(by_sync.records[STREAM]),
        ordered(by_async.records[STREAM]),
    )
    assert len(truth) > 500
    assert duplicates(sync_records) == duplicates(async_records) == 0
    assert sync_records == truth
    assert async_records == truth
    # Deleted ads count towards the cap but their rows are not read without include_deleted.
    deleted = {
        ad.entity_id
        for ad in data.entities(data.advertiser_ids()[0], DataLevel.AD, include_deleted=True)
        if ad.deleted
    }
    assert deleted
    assert not deleted & {record["ad_id"] for record in async_records}
    # The same bookmarks; the sync run also remembers that the account is over the cap.
    sync_state, async_state = by_sync.state["bookmarks"], by_async.state["bookmarks"]
    assert async_state[STREAM]["partitions"] == sync_state[STREAM]["partitions"]
    assert sync_state[STREAM]["over_ad_cap"] == data.advertiser_ids()


def test_auto_mode_on_a_capped_account_joins_tasks_and_batches(api, data) -> None:
    """A 120-day first sync: the task for the old days, sync ID batches for the last 2."""
    start = dt.date(2026, 6, 22)
    config = tap_config(api, start_date=start.isoformat(), end_date="today", report_mode="auto")
    result = run_tap(config, streams=selection())
    assert len([r for r in api.requests if r.path == CREATE]) == 1
    assert any(filtered(r) for r in api.requests if r.path == REPORT)
    today = data.local_today(data.advertiser_ids()[0], NOW)
    truth = expected_report_records(data, STREAM, METRICS, start=start, end=today, now=NOW)
    records = ordered(result.records[STREAM])
    assert duplicates(records) == 0
    assert records == ordered(truth)
    assert {r["stat_time_day"][:10] for r in records} >= {
        str(today - dt.timedelta(days=1)),
        str(start),
    }
    assert api.report_tasks.refusals == []


def test_include_deleted_reads_the_deleted_ads_rows_by_sync_batches(api, data) -> None:
    """Tasks filter by IDs only, not status: with include_deleted, auto stays on sync even
    for a first sync of more than 90 days, and the deleted ads' rows come from the batches."""
    start = dt.date(2026, 6, 22)
    config = tap_config(
        api, start_date=start.isoformat(), end_date=END.isoformat(), include_deleted=True
    )
    result = run_tap({**config, "report_mode": "auto"}, streams=selection())
    assert not [r for r in api.requests if r.path == CREATE]
    assert any(filtered(r) for r in api.requests if r.path == REPORT)
    truth = expected_report_records(
        data, STREAM, METRICS, start=start, end=END, include_deleted=True, now=NOW
    )
    records = ordered(result.records[STREAM])
    assert duplicates(records) == 0
    assert records == ordered(truth)
    live = expected_report_records(data, STREAM, METRICS, start=start, end=END, now=NOW)
    assert len(truth) > len(live)
