"""The fake TikTok API's own rules: envelope, auth, validation, paging, data truths, faults."""

from __future__ import annotations

import json
import time
from collections import defaultdict
from datetime import date, datetime, timedelta, timezone

import pytest
import requests

from tests.fake_api import DataSpec, FakeData, FakeTikTokApi
from tests.fake_api.metric_rules import REFERENCE_METRICS, invalid_metrics, value_kind
from tests.fake_api.vocabulary import DataLevel, ReportType

FINAL_NOW = datetime(2027, 1, 15, 12, tzinfo=timezone.utc)  # every day of the data is final
REPORT = "/report/integrated/get/"
ADDITIVE = [name for name in REFERENCE_METRICS if value_kind(name) in {"count", "money"}]
BASIC_AD_METRICS = [
    name
    for name in REFERENCE_METRICS
    if not invalid_metrics(
        [name], ReportType.BASIC, DataLevel.AD, "stat_time_day", (), lifetime=False
    )
]


@pytest.fixture(scope="module")
def data() -> FakeData:
    return FakeData()


@pytest.fixture(scope="module")
def api(data: FakeData):
    with FakeTikTokApi(data, clock=lambda: FINAL_NOW) as server:
        yield server


@pytest.fixture
def session(api: FakeTikTokApi):
    api.faults.clear()
    with requests.Session() as client:
        client.headers["Access-Token"] = "test-token"
        yield client


def report_params(data: FakeData, **overrides) -> dict:
    params = {
        "advertiser_id": data.advertiser_ids()[0],
        "report_type": "BASIC",
        "data_level": "AUCTION_AD",
        "dimensions": json.dumps(["ad_id", "stat_time_day"]),
        "metrics": json.dumps(["spend", "impressions"]),
        "start_date": "2026-09-01",
        "end_date": "2026-09-30",
        "page_size": 1000,
    }
    for name, value in overrides.items():
        if value is None:
            params.pop(name, None)
        else:
            params[name] = value if isinstance(value, (str, int)) else json.dumps(value)
    return params


def get(session: requests.Session, api: FakeTikTokApi, path: str, **params) -> dict:
    response = session.get(api.base_url + path, params=params, timeout=10)
    assert response.status_code == 200
    return response.json()


def fetch_all(session, api, params: dict) -> tuple[list[dict], dict]:
    rows: list[dict] = []
    page = 1
    while True:
        body = get(session, api, REPORT, **{**params, "page": page})
        assert body["code"] == 0, body
        rows.extend(body["data"]["list"])
        info = body["data"]["page_info"]
        if page >= info["total_page"]:
            return rows, info
        page += 1


def day_key(row: dict) -> str:
    return row["dimensions"]["stat_time_day"][:10]


# -- envelope, routing, auth -------------------------------------------------------------


def test_success_envelope_and_logid(api, session, data):
    response = session.get(api.base_url + REPORT, params=report_params(data), timeout=10)
    body = response.json()
    assert response.status_code == 200
    assert set(body) == {"code", "message", "request_id", "data"}
    assert (body["code"], body["message"]) == (0, "OK")
    assert response.headers["X-Tt-Logid"] == body["request_id"]
    assert len(body["request_id"]) == 34
    assert body["request_id"][:14].isdigit()


def test_unknown_path_and_missing_slash_are_plain_404(api, session):
    for path in ("/nothing/here/", "/report/integrated/get"):
        response = session.get(api.base_url + path, timeout=10)
        assert response.status_code == 404
        assert response.headers["Content-Type"].startswith("text/plain")


def test_auth_codes(api, data):
    url = api.base_url + "/advertiser/info/"
    params = {"advertiser_ids": json.dumps(data.advertiser_ids()[:1])}
    missing = requests.get(url, params=params, timeout=10).json()
    assert (missing["code"], missing["data"]) == (40104, {})
    unknown = requests.get(url, params=params, headers={"Access-Token": "nope"}, timeout=10)
    assert unknown.json()["code"] == 40105
    first, second = data.advertiser_ids()[:2]
    api.allow("narrow-token", [first])
    headers = {"Access-Token": "narrow-token"}
    ok = requests.get(
        url, params={"advertiser_ids": json.dumps([first])}, headers=headers, timeout=10
    )
    assert ok.json()["code"] == 0
    denied = requests.get(
        url, params={"advertiser_ids": json.dumps([second])}, headers=headers, timeout=10
    )
    assert denied.json()["code"] == 40001
    report = requests.get(
        api.base_url + REPORT,
        params=report_params(data, advertiser_id=second),
        headers=headers,
        timeout=10,
    )
    assert report.json()["code"] == 40001
    listed = requests.get(
        api.base_url + "/oauth2/advertiser/get/",
        params={"app_id": "test-app", "secret": api.secret},
        headers=headers,
        timeout=10,
    ).json()
    assert [item["advertiser_id"] for item in listed["data"]["list"]] == [first]


def test_oauth_advertiser_get(api, session, data):
    body = get(session, api, "/oauth2/advertiser/get/", app_id="test-app", secret=api.secret)
    assert [a["advertiser_id"] for a in body["data"]["list"]] == data.advertiser_ids()
    assert (
        body["data"]["list"][0]["advertiser_name"]
        == data.advertiser(data.advertiser_ids()[0])["name"]
    )
    wrong = get(
        session, api, "/oauth2/advertiser/get/", app_id="test-app", secret=api.secret + "-wrong"
    )
    assert (wrong["code"], wrong["data"]) == (40101, {})


def test_advertiser_info(api, session, data):
    ids = data.advertiser_ids()
    body = get(session, api, "/advertiser/info/", advertiser_ids=json.dumps(ids))
    records = body["data"]["list"]
    assert [r["advertiser_id"] for r in records] == ids
    assert isinstance(records[0]["create_time"], int)
    assert {r["timezone"] for r in records} == {"America/Los_Angeles", "Asia/Tokyo", "UTC"}
    assert records[0]["display_timezone"]
    only = get(
        session, api, "/advertiser/info/", advertiser_ids=json.dumps(ids[:1]), fields='["currency"]'
    )
    assert only["data"]["list"] == [{"advertiser_id": ids[0], "currency": records[0]["currency"]}]
    too_many = get(session, api, "/advertiser/info/", advertiser_ids=json.dumps([ids[0]] * 101))
    assert too_many["code"] == 40002


# -- parameter parsing and validation ----------------------------------------------------


def test_lenient_array_encodings_and_json_body(api, session, data):
    expected = get(session, api, REPORT, **report_params(data))["data"]
    spaced = report_params(data, dimensions='[\n  "ad_id",\n  "stat_time_day"\n]')
    assert get(session, api, REPORT, **spaced)["data"] == expected
    quoted = report_params(
        data, dimensions="['ad_id', 'stat_time_day']", metrics="['spend', 'impressions']"
    )
    assert get(session, api, REPORT, **quoted)["data"] == expected
    params = report_params(data)
    body = {"dimensions": ["ad_id", "stat_time_day"], "metrics": ["spend", "impressions"]}
    query = {k: v for k, v in params.items() if k not in body}
    query["page_size"] = 1000
    response = session.request(
        "GET", api.base_url + REPORT, params=query, json={**body, "page_size": 5}, timeout=10
    )
    assert response.json()["data"] == expected  # the query's page_size wins over the body's


@pytest.mark.parametrize(
    "overrides",
    [
        {"report_type": "BC"},
        {"data_level": "AD"},
        {"dimensions": ["campaign_id", "stat_time_day"]},
        {"dimensions": ["ad_id", "stat_time_day", "stat_time_hour"]},
        {"dimensions": ["ad_id", "age"]},
        {"report_type": "AUDIENCE", "dimensions": ["ad_id", "age", "country_code"]},
        {
            "report_type": "AUDIENCE",
            "dimensions": ["ad_id", "stat_time_hour", "age"],
            "end_date": "2026-09-01",
        },
        {"end_date": "2026-10-01"},
        {"dimensions": ["ad_id", "stat_time_hour"], "end_date": "2026-09-02"},
        {"dimensions": ["ad_id"], "end_date": "2027-09-01"},
        {"start_date": "2026-09-10", "end_date": "2026-09-09"},
        {"start_date": None},
        {"start_date": "2026/09/01"},
        {"page_size": 0},
        {"page_size": 1001},
        {"page": 0},
        {"metrics": BASIC_AD_METRICS[:101]},
        {"query_lifetime": "true", "dimensions": ["ad_id", "stat_time_day"]},
        {"filtering": [{"field_name": "ad_status", "filter_type": "IN"}]},
        {
            "filtering": [
                {"field_name": "ad_status", "filter_type": "IN", "filter_value": '["NOPE"]'}
            ]
        },
        {
            "filtering": [
                {
                    "field_name": "campaign_status",
                    "filter_type": "IN",
                    "filter_value": '["STATUS_ALL"]',
                }
            ]
        },
    ],
)
def test_invalid_reports_get_40002(api, session, data, overrides):
    body = get(session, api, REPORT, **report_params(data, **overrides))
    assert (body["code"], body["data"]) == (40002, {}), body


def test_window_edges_are_accepted(api, session, data):
    assert get(session, api, REPORT, **report_params(data, end_date="2026-09-30"))["code"] == 0
    hourly = report_params(data, dimensions=["ad_id", "stat_time_hour"], end_date="2026-09-01")
    assert get(session, api, REPORT, **hourly)["code"] == 0
    total = report_params(
        data, dimensions=["ad_id"], start_date="2026-01-01", end_date="2026-12-31"
    )
    assert get(session, api, REPORT, **total)["code"] == 0
    lifetime = report_params(
        data, dimensions=["ad_id"], query_lifetime="true", start_date=None, end_date=None
    )
    assert get(session, api, REPORT, **lifetime)["code"] == 0


def test_invalid_metric_message(api, session, data):
    body = get(
        session, api, REPORT, **report_params(data, metrics=["spend", "voucher_spend", "bogus"])
    )
    assert body["code"] == 40002
    assert body["message"] == (
        "Please correct the information in invalid metric fields and try again. "
        "Invalid metric fields: ['voucher_spend', 'bogus']. "
    )
    audience = report_params(
        data, report_type="AUDIENCE", dimensions=["ad_id", "age"], metrics=["reach", "spend"]
    )
    assert get(session, api, REPORT, **audience)["message"].endswith(
        "Invalid metric fields: ['reach']. "
    )


# -- paging and filtering ----------------------------------------------------------------


def test_page_info_is_exact(api, session, data):
    params = report_params(data, page_size=7, metrics=["spend", "impressions", "reach", "ad_name"])
    truth = data.report_rows(
        params["advertiser_id"],
        "BASIC",
        "AD",
        ["ad_id", "stat_time_day"],
        ["spend", "impressions", "reach", "ad_name"],
        start=date(2026, 9, 1),
        end=date(2026, 9, 30),
        now=FINAL_NOW,
    )
    rows, info = fetch_all(session, api, params)
    assert rows == truth
    assert info["total_number"] == len(truth) > 7
    assert info["total_page"] == -(-len(truth) // 7)
    keys = [(r["dimensions"]["ad_id"], r["dimensions"]["stat_time_day"]) for r in rows]
    assert keys == sorted(keys)
    past = get(session, api, REPORT, **{**params, "page": info["total_page"] + 1})["data"]
    assert past["list"] == []
    assert past["page_info"]["total_number"] == len(truth)
    empty = get(
        session, api, REPORT, **report_params(data, start_date="2026-01-01", end_date="2026-01-30")
    )
    assert empty["data"] == {
        "list": [],
        "page_info": {"page": 1, "page_size": 1000, "total_number": 0, "total_page": 0},
    }


def test_deleted_entities_hidden_unless_status_all(api, session, data):
    advertiser_id = data.advertiser_ids()[0]
    status_all = [
        {"field_name": "ad_status", "filter_type": "IN", "filter_value": '["STATUS_ALL"]'}
    ]
    default_ids = {
        r["dimensions"]["ad_id"] for r in fetch_all(session, api, report_params(data))[0]
    }
    all_ids = {
        r["dimensions"]["ad_id"]
        for r in fetch_all(session, api, report_params(data, filtering=status_all))[0]
    }
    live = {e.entity_id for e in data.entities(advertiser_id, DataLevel.AD)}
    every = {e.entity_id for e in data.entities(advertiser_id, DataLevel.AD, include_deleted=True)}
    assert default_ids <= live
    assert default_ids < all_ids <= every
    assert all(data.entity(ad_id).deleted for ad_id in all_ids - default_ids)
    only_deleted = [
        {"field_name": "ad_status", "filter_type": "IN", "filter_value": '["STATUS_DELETE"]'}
    ]
    deleted_ids = {
        r["dimensions"]["ad_id"]
        for r in fetch_all(session, api, report_params(data, filtering=only_deleted))[0]
    }
    assert deleted_ids == all_ids - default_ids
    campaign_filter = [
        {
            "field_name": "campaign_ids",
            "filter_type": "IN",
            "filter_value": [data.entities(advertiser_id, "CAMPAIGN")[0].entity_id],
        }
    ]
    filtered = fetch_all(
        session, api, report_params(data, filtering=campaign_filter, metrics=["campaign_id"])
    )[0]
    assert {r["metrics"]["campaign_id"] for r in filtered} == {
        campaign_filter[0]["filter_value"][0]
    }


# -- data truths -------------------------------------------------------------------------


def test_metric_formats(data):
    advertiser_id = data.advertiser_ids()[0]
    metrics = BASIC_AD_METRICS[:100]
    rows = data.report_rows(
        advertiser_id,
        "BASIC",
        "AD",
        ["ad_id", "stat_time_day"],
        metrics,
        start=date(2026, 9, 1),
        end=date(2026, 9, 3),
        now=FINAL_NOW,
    )
    assert rows
    for row in rows:
        values = row["metrics"]
        assert list(values) == metrics
        assert all(isinstance(v, str) for v in values.values())
        assert int(values["clicks"]) <= int(values["impressions"])
        assert int(values["conversion"]) <= int(values["clicks"])
        assert 0 < int(values["reach"]) <= int(values["impressions"])
        assert len(values["spend"].split(".")[1]) == 2
        assert float(values["frequency"]) == pytest.approx(
            int(values["impressions"]) / int(values["reach"]), abs=0.006
        )
        assert float(values["ctr"]) == pytest.approx(
            100 * int(values["clicks"]) / int(values["impressions"]), abs=0.006
        )
        assert values["ad_name"].startswith("Ad ")


def test_hours_sum_to_days_and_ads_sum_to_campaigns(data):
    advertiser_id = data.advertiser_ids()[1]
    day = date(2026, 10, 7)
    kwargs = {"start": day, "end": day, "include_deleted": True, "now": FINAL_NOW}
    hourly = data.report_rows(
        advertiser_id, "BASIC", "AD", ["ad_id", "stat_time_hour"], ADDITIVE[:40], **kwargs
    )
    daily = data.report_rows(
        advertiser_id, "BASIC", "AD", ["ad_id", "stat_time_day"], ADDITIVE[:40], **kwargs
    )
    assert 0 < len({r["dimensions"]["stat_time_hour"] for r in hourly}) < 24 or len(
        hourly
    ) < 24 * len(daily)
    sums: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for row in hourly:
        for name, value in row["metrics"].items():
            sums[row["dimensions"]["ad_id"]][name] += round(float(value) * 100)
    for row in daily:
        for name, value in row["metrics"].items():
            assert sums[row["dimensions"]["ad_id"]][name] == round(float(value) * 100), name
    campaigns = data.report_rows(
        advertiser_id,
        "BASIC",
        "CAMPAIGN",
        ["campaign_id", "stat_time_day"],
        ["spend", "impressions", "clicks"],
        **kwargs,
    )
    per_campaign: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    for row in daily:
        campaign_id = data.entity(row["dimensions"]["ad_id"]).lineage["campaign_id"]
        per_campaign[campaign_id][0] += round(float(row["metrics"]["spend"]) * 100)
        per_campaign[campaign_id][1] += int(row["metrics"]["impressions"])
        per_campaign[campaign_id][2] += int(row["metrics"]["clicks"])
    for row in campaigns:
        m = row["metrics"]
        assert per_campaign[row["dimensions"]["campaign_id"]] == [
            round(float(m["spend"]) * 100),
            int(m["impressions"]),
            int(m["clicks"]),
        ]


def test_reach_is_not_additive(data):
    advertiser_id = data.advertiser_ids()[0]
    kwargs = {"start": date(2026, 9, 1), "end": date(2026, 9, 30), "now": FINAL_NOW}
    daily = data.report_rows(
        advertiser_id,
        "BASIC",
        "ADVERTISER",
        ["advertiser_id", "stat_time_day"],
        ["reach", "impressions"],
        **kwargs,
    )
    total = data.report_rows(
        advertiser_id, "BASIC", "ADVERTISER", ["advertiser_id"], ["reach", "impressions"], **kwargs
    )
    assert len(total) == 1
    assert int(total[0]["metrics"]["impressions"]) == sum(
        int(r["metrics"]["impressions"]) for r in daily
    )
    assert int(total[0]["metrics"]["reach"]) != sum(int(r["metrics"]["reach"]) for r in daily)
    assert int(total[0]["metrics"]["reach"]) <= int(total[0]["metrics"]["impressions"])


@pytest.mark.parametrize(
    "breakdown",
    [["age", "gender"], ["age"], ["gender"], ["country_code"], ["platform"], ["language"]],
)
def test_final_audience_buckets_sum_to_basic_totals(data, breakdown):
    advertiser_id = data.advertiser_ids()[2]
    metrics = [
        name
        for name in ADDITIVE
        if not invalid_metrics(
            [name],
            ReportType.AUDIENCE,
            DataLevel.ADGROUP,
            "stat_time_day",
            tuple(breakdown),
            lifetime=False,
        )
    ]
    kwargs = {"start": date(2026, 11, 1), "end": date(2026, 11, 3), "now": FINAL_NOW}
    audience = data.report_rows(
        advertiser_id,
        "AUDIENCE",
        "ADGROUP",
        ["adgroup_id", "stat_time_day", *breakdown],
        metrics,
        **kwargs,
    )
    basic = data.report_rows(
        advertiser_id, "BASIC", "ADGROUP", ["adgroup_id", "stat_time_day"], metrics, **kwargs
    )
    sums: dict[tuple, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for row in audience:
        key = (row["dimensions"]["adgroup_id"], day_key(row))
        for name, value in row["metrics"].items():
            sums[key][name] += round(float(value) * 100)
    assert len(sums) == len(basic)
    for row in basic:
        key = (row["dimensions"]["adgroup_id"], day_key(row))
        assert {n: round(float(v) * 100) for n, v in row["metrics"].items()} == dict(sums[key])


def test_audience_data_is_late_then_final(data):
    advertiser_id = data.advertiser_ids()[1]  # Asia/Tokyo
    day = date(2026, 10, 5)
    day_end = datetime(2026, 10, 6, tzinfo=data.timezone(advertiser_id))
    args = (
        advertiser_id,
        "AUDIENCE",
        "AD",
        ["ad_id", "stat_time_day", "country_code"],
        ["impressions", "spend"],
    )

    def rows_at(moment: datetime) -> list[dict]:
        return data.report_rows(*args, start=day, end=day, now=moment.astimezone(timezone.utc))

    final = rows_at(FINAL_NOW)
    early = rows_at(day_end + timedelta(hours=2))
    settled = rows_at(day_end + timedelta(hours=10))
    assert settled == final
    assert [r["dimensions"] for r in early] == [r["dimensions"] for r in final]
    assert all(
        int(e["metrics"]["impressions"]) <= int(f["metrics"]["impressions"])
        for e, f in zip(early, final, strict=True)
    )
    assert sum(int(r["metrics"]["impressions"]) for r in early) < sum(
        int(r["metrics"]["impressions"]) for r in final
    )


def test_no_future_data_and_partial_today(data):
    advertiser_id = data.advertiser_ids()[2]  # UTC
    now = datetime(2026, 10, 10, 15, 30, tzinfo=timezone.utc)
    args = (advertiser_id, "BASIC", "ADVERTISER")
    daily = data.report_rows(
        *args,
        ["advertiser_id", "stat_time_day"],
        ["impressions"],
        start=date(2026, 10, 1),
        end=date(2026, 10, 20),
        now=now,
    )
    assert day_key(daily[-1]) == "2026-10-10"
    hourly = data.report_rows(
        *args,
        ["advertiser_id", "stat_time_hour"],
        ["impressions"],
        start=date(2026, 10, 10),
        end=date(2026, 10, 10),
        now=now,
    )
    assert max(r["dimensions"]["stat_time_hour"] for r in hourly) < "2026-10-10 15:00:00"
    assert sum(int(r["metrics"]["impressions"]) for r in hourly) == int(
        daily[-1]["metrics"]["impressions"]
    )


def test_data_is_deterministic():
    spec = DataSpec(seed=11, advertisers=1)
    args = (
        "7100000000000000001",
        "BASIC",
        "AD",
        ["ad_id", "stat_time_day"],
        ["spend", "reach", "ad_name"],
    )
    kwargs = {"start": date(2026, 9, 1), "end": date(2026, 9, 30), "now": FINAL_NOW}
    assert FakeData(spec).report_rows(*args, **kwargs) == FakeData(spec).report_rows(
        *args, **kwargs
    )
    assert FakeData(spec).report_rows(*args, **kwargs) != FakeData(
        DataSpec(seed=12, advertisers=1)
    ).report_rows(*args, **kwargs)


# -- faults, latency, rate limits --------------------------------------------------------


def test_fail_next_and_fail_rate(api, session, data):
    api.faults.fail_next(2, code=50002, path=REPORT)
    codes = [get(session, api, REPORT, **report_params(data))["code"] for _ in range(3)]
    assert codes == [50002, 50002, 0]
    assert (
        get(session, api, "/oauth2/advertiser/get/", app_id="test-app", secret=api.secret)["code"]
        == 0
    )
    api.faults.fail_rate(0.5, codes=[40100], seed=3)
    first = [
        get(session, api, "/advertiser/info/", advertiser_ids=json.dumps(data.advertiser_ids()))[
            "code"
        ]
        for _ in range(40)
    ]
    api.faults.fail_rate(0.5, codes=[40100], seed=3)
    second = [
        get(session, api, "/advertiser/info/", advertiser_ids=json.dumps(data.advertiser_ids()))[
            "code"
        ]
        for _ in range(40)
    ]
    assert first == second
    assert 8 < first.count(40100) < 32
    api.faults.clear()


def test_transport_faults(api, session, data):
    api.faults.http_error_next(1, status=504)
    response = session.get(api.base_url + REPORT, params=report_params(data), timeout=10)
    assert response.status_code == 504
    assert "<html>" in response.text
    api.faults.truncated_next(1)
    response = session.get(api.base_url + REPORT, params=report_params(data), timeout=10)
    assert response.status_code == 200
    with pytest.raises(ValueError):
        response.json()
    api.faults.reset_next(1)
    with pytest.raises(requests.ConnectionError):
        session.get(api.base_url + REPORT, params=report_params(data), timeout=10)
    api.faults.hang_next(1, seconds=1.0)
    with pytest.raises(requests.ReadTimeout):
        session.get(api.base_url + REPORT, params=report_params(data), timeout=0.3)
    assert get(session, api, REPORT, **report_params(data))["code"] == 0
    assert api.faults.pending() == 0


def test_qps_cap_latency_and_request_log(data):
    with (
        FakeTikTokApi(
            data, clock=lambda: FINAL_NOW, max_requests_per_second=5, app_id="app-9"
        ) as api,
        requests.Session() as client,
    ):
        client.headers["Access-Token"] = api.token
        bodies = [get(client, api, REPORT, **report_params(data)) for _ in range(8)]
        limited = [b for b in bodies if b["code"] == 40100]
        assert len(limited) >= 3
        assert limited[0]["message"].startswith(
            "App [app-9] reaches the QPS limit 5, current QPS is "
        )
        assert api.count(REPORT) == 8
        assert api.count("report/integrated/get/", code=40100) == len(limited)
        assert sum(api.requests_per_second().values()) == 8
        assert api.peak_requests_per_second() >= 6
        record = api.requests[0]
        assert record.path == "report/integrated/get/"
        assert record.params["dimensions"] == ["ad_id", "stat_time_day"]
        api.max_requests_per_second = None
        api.latency_seconds = 0.2
        started = time.monotonic()
        assert get(client, api, REPORT, **report_params(data))["code"] == 0
        assert time.monotonic() - started >= 0.2  # the fake sleeps on the monotonic clock


def test_cached_answers_repeat_the_first_one_for_the_same_query(data):
    """`cache_answers` (benchmarks): the same query gets the same bytes; another query not."""
    with (
        FakeTikTokApi(data, clock=lambda: FINAL_NOW, cache_answers=True) as cached,
        requests.Session() as client,
    ):
        client.headers["Access-Token"] = "test-token"
        url = cached.base_url + REPORT

        def body(**overrides) -> bytes:
            response = client.get(url, params=report_params(data, **overrides), timeout=10)
            return response.content

        first = body()
        assert json.loads(first)["code"] == 0
        assert body() == first
        assert body(metrics=["impressions", "spend"]) != first
        assert len(cached.answers or {}) == 2
        cached.faults.fail_next(code=51021, path=REPORT)
        assert json.loads(body())["code"] == 51021
