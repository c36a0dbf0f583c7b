"""The fake's asynchronous report tasks (Docs 1740302766489602, 1740302781443073,
1740302808815618, 1803615367145537): lifecycle, limits, refusals and the CSV."""

from __future__ import annotations

import csv
import io
import json
import time
from datetime import date, datetime, timedelta, timezone

import pytest
import requests

from tests.fake_api import DataSpec, FakeData, FakeTikTokApi

NOW = datetime(2026, 11, 20, 15, 30, tzinfo=timezone.utc)
CREATE, CHECK = "/report/task/create/", "/report/task/check/"
DOWNLOAD, CANCEL = "/report/task/download/", "/report/task/cancel/"


@pytest.fixture(scope="module")
def data() -> FakeData:
    return FakeData(DataSpec(advertisers=2, first_day=date(2025, 11, 1)))


@pytest.fixture
def api(data: FakeData):
    clock = {"now": NOW}
    with FakeTikTokApi(data, clock=lambda: clock["now"]) as server:
        server.report_tasks.create_qps = 1000  # most tests create several tasks at once
        server.clock_box = clock  # type: ignore[attr-defined]
        yield server


@pytest.fixture
def session():
    with requests.Session() as client:
        client.headers["Access-Token"] = "test-token"
        yield client


def task_body(data: FakeData, **overrides) -> dict:
    body = {
        "advertiser_id": data.advertiser_ids()[0],
        "report_type": "BASIC",
        "data_level": "AUCTION_AD",
        "dimensions": ["ad_id", "stat_time_day"],
        "metrics": ["spend", "impressions", "ctr"],
        "start_date": "2025-11-01",
        "end_date": "2026-11-18",
        "enable_report_title_translation": False,
    }
    body.update(overrides)
    return {k: v for k, v in body.items() if v is not None}


def create(session, api, body: dict) -> dict:
    return session.post(api.base_url + CREATE, json=body, timeout=10).json()


def call(session, api, path: str, advertiser_id: str, task_id: str) -> dict:
    params = {"advertiser_id": advertiser_id, "task_id": task_id}
    if path == CANCEL:
        return session.post(api.base_url + path, json=params, timeout=10).json()
    return session.get(api.base_url + path, params=params, timeout=10).json()


def wait_until_done(session, api, advertiser_id: str, task_id: str) -> str:
    seen = []
    for _ in range(200):
        status = call(session, api, CHECK, advertiser_id, task_id)["data"]["status"]
        if not seen or seen[-1] != status:
            seen.append(status)
        if status in {"SUCCESS", "FAILED", "CANCELED"}:
            return "/".join(seen)
        time.sleep(0.02)
    raise AssertionError(seen)


def test_a_task_goes_through_its_lifecycle_and_its_csv_equals_the_sync_rows(
    session, api, data
) -> None:
    # Queued for 0.5 s: the creation, the early download and the first check come within it
    # (39 ms at most measured at load 10 to 14, against 0.1 s before); processing for 0.5 s:
    # a check 20 ms apart sees it.
    api.report_tasks.queue_seconds, api.report_tasks.processing_seconds = 0.5, 0.5
    body = task_body(data)
    answer = create(session, api, body)
    assert answer["code"] == 0, answer
    task_id = answer["data"]["task_id"]
    early = session.get(
        api.base_url + DOWNLOAD,
        params={"advertiser_id": body["advertiser_id"], "task_id": task_id},
        timeout=10,
    ).json()
    assert early["code"] == 40201
    assert wait_until_done(session, api, body["advertiser_id"], task_id) == (
        "QUEUING/PROCESSING/SUCCESS"
    )
    response = session.get(
        api.base_url + DOWNLOAD,
        params={"advertiser_id": body["advertiser_id"], "task_id": task_id},
        timeout=10,
    )
    assert response.headers["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.text)))
    assert rows[0] == ["ad_id", "stat_time_day", "spend", "impressions", "ctr"]
    # More than a year in one task: no 30-day limit, no paging (Doc 1740302766489602).
    truth = data.report_rows(
        body["advertiser_id"],
        "BASIC",
        "AD",
        ["ad_id", "stat_time_day"],
        ["spend", "impressions", "ctr"],
        start=date(2025, 11, 1),
        end=date(2026, 11, 18),
        now=NOW,
    )
    assert len(truth) > 1000
    expected = [
        [r["dimensions"]["ad_id"], r["dimensions"]["stat_time_day"], *r["metrics"].values()]
        for r in truth
    ]
    assert rows[1:] == expected


def test_country_code_comes_back_as_the_country_name(session, api, data) -> None:
    body = task_body(
        data,
        report_type="AUDIENCE",
        dimensions=["ad_id", "stat_time_day", "country_code"],
        metrics=["spend"],
        start_date="2026-11-01",
    )
    task_id = create(session, api, body)["data"]["task_id"]
    wait_until_done(session, api, body["advertiser_id"], task_id)
    text = session.get(
        api.base_url + DOWNLOAD,
        params={"advertiser_id": body["advertiser_id"], "task_id": task_id},
        timeout=10,
    ).text
    countries = {row[2] for row in list(csv.reader(io.StringIO(text)))[1:]}
    assert countries == {"Brazil", "Germany", "United Kingdom", "Japan", "United States"}


def test_translated_titles_unless_asked_not_to(session, api, data) -> None:
    body = task_body(data, enable_report_title_translation=None, start_date="2026-11-17")
    task_id = create(session, api, body)["data"]["task_id"]
    wait_until_done(session, api, body["advertiser_id"], task_id)
    text = session.get(
        api.base_url + DOWNLOAD,
        params={"advertiser_id": body["advertiser_id"], "task_id": task_id},
        timeout=10,
    ).text
    assert text.splitlines()[0] == "AD ID,Stat Time Day,Cost,Impression,Ctr"


@pytest.mark.parametrize(
    ("overrides", "words"),
    [
        ({"metrics": ["spend", "reach"],
          "dimensions": ["ad_id", "stat_time_day", "country_code"]}, "UV metrics"),
        ({"filtering": [{"field_name": "ad_status", "filter_type": "IN",
                         "filter_value": '["STATUS_ALL"]'}]}, "not supported in async"),
        ({"report_type": "PLAYABLE_MATERIAL"}, "Playable"),
        ({"output_format": "XLSX_DOWNLOAD"}, "CSV_STRING"),
        ({"page": 2}, "paging"),
    ],
)  # fmt: skip
def test_what_async_tasks_refuse(session, api, data, overrides, words) -> None:
    answer = create(session, api, task_body(data, **overrides))
    assert answer["code"] == 40002
    assert words in answer["message"]
    assert not api.report_tasks.tasks


def test_twenty_thousand_ids_may_filter_a_task(session, api, data) -> None:
    ids = [entity.entity_id for entity in data.entities(data.advertiser_ids()[0], "AD")]
    filtering = [{"field_name": "ad_ids", "filter_type": "IN", "filter_value": json.dumps(ids)}]
    assert create(session, api, task_body(data, filtering=filtering))["code"] == 0
    too_many = [
        {"field_name": "ad_ids", "filter_type": "IN", "filter_value": json.dumps(["1"] * 20_001)}
    ]
    assert create(session, api, task_body(data, filtering=too_many))["code"] == 40002


def test_creation_limits_are_enforced_and_recorded(session, api, data) -> None:
    tasks = api.report_tasks
    tasks.create_qps = 1
    assert create(session, api, task_body(data))["code"] == 0
    refused = create(session, api, task_body(data))
    assert refused["code"] == 40016
    assert "1 QPS" in tasks.refusals[0]
    time.sleep(1.0)
    tasks.create_qps, tasks.per_advertiser_per_hour = 1000, 2
    assert create(session, api, task_body(data))["code"] == 0
    assert create(session, api, task_body(data))["code"] == 40016
    other = create(session, api, task_body(data, advertiser_id=data.advertiser_ids()[1]))
    assert other["code"] == 0
    assert len(tasks.refusals) == 2
    assert "in one hour" in tasks.refusals[1]
    tasks.per_app_per_day = 3
    assert (
        create(session, api, task_body(data, advertiser_id=data.advertiser_ids()[1]))["code"]
        == 40016
    )
    assert "today" in tasks.refusals[2]


def test_cancel_only_a_queued_or_processing_task(session, api, data) -> None:
    api.report_tasks.queue_seconds = 5
    advertiser = data.advertiser_ids()[0]
    task_id = create(session, api, task_body(data))["data"]["task_id"]
    assert call(session, api, CANCEL, advertiser, task_id)["data"] == {"status": "CANCELED"}
    assert call(session, api, CHECK, advertiser, task_id)["data"]["status"] == "CANCELED"
    assert call(session, api, CANCEL, advertiser, task_id)["code"] == 40002
    assert call(session, api, DOWNLOAD, advertiser, task_id)["code"] == 40201


def test_a_failed_task_says_why(session, api, data) -> None:
    api.report_tasks.fail_next("Internal error.")
    advertiser = data.advertiser_ids()[0]
    task_id = create(session, api, task_body(data))["data"]["task_id"]
    assert wait_until_done(session, api, advertiser, task_id).endswith("FAILED")
    assert call(session, api, CHECK, advertiser, task_id)["data"]["message"] == "Internal error."


def test_tasks_expire_after_30_days_and_belong_to_their_advertiser(session, api, data) -> None:
    first, second = data.advertiser_ids()
    task_id = create(session, api, task_body(data))["data"]["task_id"]
    assert call(session, api, CHECK, first, task_id)["code"] == 0
    assert call(session, api, CHECK, second, task_id)["code"] == 40007
    api.clock_box["now"] = NOW + timedelta(days=30, seconds=1)
    assert call(session, api, CHECK, first, task_id)["code"] == 40007


def test_a_task_is_not_truncated_by_the_ad_cap(session) -> None:
    capped = FakeData(DataSpec(advertisers=1, first_day=date(2026, 10, 1), ad_cap=3))
    with FakeTikTokApi(capped, clock=lambda: NOW) as api:
        body = task_body(capped, start_date="2026-11-01", metrics=["spend"])
        task_id = create(session, api, body)["data"]["task_id"]
        wait_until_done(session, api, body["advertiser_id"], task_id)
        text = session.get(
            api.base_url + DOWNLOAD,
            params={"advertiser_id": body["advertiser_id"], "task_id": task_id},
            timeout=10,
        ).text
    truth = capped.report_rows(
        body["advertiser_id"], "BASIC", "AD", ["ad_id", "stat_time_day"], ["spend"],
        start=date(2026, 11, 1), end=date(2026, 11, 18), now=NOW,
    )  # fmt: skip
    ads = {row["dimensions"]["ad_id"] for row in truth}
    assert len(ads) > 3
    assert len(list(csv.reader(io.StringIO(text)))) - 1 == len(truth)
