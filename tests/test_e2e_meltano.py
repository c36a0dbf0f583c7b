"""End to end: the project's own `meltano.yml` runs the tap into real databases.

`meltano run tap-tiktok-ads target-duckdb` (and `target-postgres`) runs in the repository's
Meltano project, environment `dev`, against the fake TikTok API served by this process on a
free port (`TAP_TIKTOK_ADS_API_BASE_URL` overrides the dev environment's URL). Meltano and the
plugins come from `scripts/test`: it installs Meltano into `.venv-meltano` and the plugins into
`.cache/meltano`, which each test links into a Meltano directory of its own, with its own state
database, so runs never share or leave state.

Two runs: the first loads [FIRST, RUN1_END]; the second, resuming from Meltano's stored state,
must ask only for the attribution lookback and the new days, and the loader must upsert the
lookback rows by primary key. The tables are compared with the fake's truth.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import os
import subprocess
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import pytest

from tests.fake_api import DataSpec, FakeData, FakeTikTokApi
from tests.meltano_support import DEV_TOKEN, REPO, MeltanoProject
from tests.truth import REPORTS, expected_report_records

ATTRIBUTION_WINDOW_DAYS = 7  # the tap's default, which meltano.yml keeps

# The tap in Meltano's subprocess reads the real clock, so the fake's data and the synced days
# are placed around today; every synced day is over in every time zone, so nothing is partial.
TODAY = dt.datetime.now(dt.timezone.utc).date()
FIRST = TODAY - dt.timedelta(days=40)
RUN1_END = TODAY - dt.timedelta(days=20)
RUN2_END = TODAY - dt.timedelta(days=10)
SPEC = DataSpec(
    advertisers=3,
    campaigns_per_advertiser=2,
    adgroups_per_campaign=2,
    ads_per_adgroup=2,
    first_day=TODAY - dt.timedelta(days=60),
    last_day=TODAY,
)

# The report streams meltano.yml selects, and the entity streams with their levels.
REPORT_STREAMS = [
    "ad_report_daily",
    "campaign_report_daily",
    "ad_audience_age_gender_daily",
    "campaign_audience_age_gender_daily",
]
ENTITY_STREAMS = {"campaigns": "CAMPAIGN", "adgroups": "ADGROUP", "ads": "AD"}

# Runs with a loader's own Python, so the database is read by the library that wrote it.
QUERY_SCRIPT = """
import json, sys
kind, target, queries = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
if kind == "duckdb":
    import duckdb
    connection = duckdb.connect(target, read_only=True)
else:
    import psycopg
    connection = psycopg.connect(target, autocommit=True)
results = {}
for name, sql in queries.items():
    cursor = connection.execute(sql)
    rows = cursor.fetchall() if cursor.description else []
    results[name] = [list(row) for row in rows]
print(json.dumps(results, default=str))
"""


@dataclass
class Warehouse:
    """A database a loader wrote, queried with that loader's Python."""

    kind: str  # duckdb | postgres
    target: str  # file path or connection URL
    python: Path
    schema: str

    def query(self, queries: dict[str, str]) -> dict[str, list[list[Any]]]:
        result = subprocess.run(
            [str(self.python), "-c", QUERY_SCRIPT, self.kind, self.target, json.dumps(queries)],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert result.returncode == 0, f"query failed:\n{result.stderr[-4000:]}"
        return json.loads(result.stdout)

    def table(self, stream: str) -> str:
        return f'"{self.schema}"."{stream}"'


@pytest.fixture(scope="module")
def fake_world() -> FakeData:
    return FakeData(SPEC)


@pytest.fixture
def api(fake_world: FakeData):
    with FakeTikTokApi(fake_world, tokens={DEV_TOKEN}) as server:
        yield server


def days_requested(api: FakeTikTokApi, since: int) -> tuple[str, str]:
    """The first and last day that report requests after the first `since` requests cover."""
    windows = [
        (request.params["start_date"], request.params["end_date"])
        for request in api.requests[since:]
        if request.path.endswith("report/integrated/get/")
    ]
    assert windows
    return min(start for start, _ in windows), max(end for _, end in windows)


def check_tables(warehouse: Warehouse, data: FakeData, end: dt.date) -> None:
    """Each table holds the truth of [FIRST, end]: rows, sums, and no key twice."""
    # The SQL names only this module's own stream names and the streams' key properties.
    queries = {}
    expected = {}
    for stream in REPORT_STREAMS:
        table = warehouse.table(stream)
        keys = ", ".join(f'"{key}"' for key in REPORTS[stream].key_properties)
        queries[stream] = f"select count(*), sum(spend), sum(impressions) from {table}"  # noqa: S608
        queries[f"{stream} duplicates"] = (
            f"select count(*) from (select {keys} from {table} group by {keys} "  # noqa: S608
            "having count(*) > 1) as repeated"
        )
        expected[stream] = expected_report_records(
            data, stream, ["spend", "impressions"], start=FIRST, end=end
        )
    for stream in [*ENTITY_STREAMS, "advertisers"]:
        queries[stream] = f"select count(*) from {warehouse.table(stream)}"  # noqa: S608
    found = warehouse.query(queries)

    for stream in REPORT_STREAMS:
        ((count, spend, impressions),) = found[stream]
        records = expected[stream]
        assert count == len(records) > 0, stream
        assert found[f"{stream} duplicates"] == [[0]], stream
        assert math.isclose(float(spend), sum(r["spend"] for r in records), rel_tol=1e-9), stream
        assert int(impressions) == sum(r["impressions"] for r in records), stream
    for stream, level in ENTITY_STREAMS.items():
        total = sum(len(data.records(advertiser, level)) for advertiser in data.advertiser_ids())
        assert found[stream] == [[total]], stream
    assert found["advertisers"] == [[len(data.advertiser_ids())]]


def two_runs(project: MeltanoProject, loader: str, warehouse: Warehouse, api: FakeTikTokApi):
    """First run, then a second that resumes from the state Meltano stored."""
    data = api.data
    project.run(loader, end_date=RUN1_END)
    assert days_requested(api, 0) == (FIRST.isoformat(), RUN1_END.isoformat())
    check_tables(warehouse, data, RUN1_END)

    before_second_run = len(api.requests)
    project.run(loader, end_date=RUN2_END)
    # Only the lookback before the bookmark and the new days are asked for again.
    resumed = RUN1_END - dt.timedelta(days=ATTRIBUTION_WINDOW_DAYS)
    assert days_requested(api, before_second_run) == (resumed.isoformat(), RUN2_END.isoformat())
    check_tables(warehouse, data, RUN2_END)

    bookmarks = project.state(loader)["singer_state"]["bookmarks"]
    partitions = bookmarks["ad_report_daily"]["partitions"]
    assert {p["context"]["advertiser_id"] for p in partitions} == set(data.advertiser_ids())
    assert {p["replication_key_value"][:10] for p in partitions} == {RUN2_END.isoformat()}
    # The mark that a bookmark never passed the last final day, through the loader and Meltano.
    assert all(p["final_bookmark"] == p["replication_key_value"] for p in partitions)


def run_env(api: FakeTikTokApi) -> dict[str, str]:
    """The dev environment, pointed at this test's fake and dates."""
    return {
        "TAP_TIKTOK_ADS_API_BASE_URL": api.base_url,
        "TAP_TIKTOK_ADS_START_DATE": FIRST.isoformat(),
    }


def test_prod_store_of_refresh_tokens_is_under_the_project_root(tmp_path: Path) -> None:
    """The tap gets the store's path with `$MELTANO_PROJECT_ROOT` expanded, so every
    `meltano run` reads and writes the same file, whatever the working directory."""
    project = MeltanoProject(tmp_path, {}, required=False)
    printed = project.meltano("--environment=prod", "config", "print", "tap-tiktok-ads")
    path = json.loads(printed)["refresh_token_store_path"]
    assert path == str(REPO / ".meltano" / "tap-tiktok-ads" / "refresh-tokens.json")


def test_meltano_run_into_duckdb(api: FakeTikTokApi, tmp_path: Path) -> None:
    # Not tiktok.duckdb: DuckDB names the catalog after the file, and `tiktok` would then be
    # both a catalog and a schema.
    database = tmp_path / "warehouse.duckdb"
    env = run_env(api) | {
        "TARGET_DUCKDB_FILEPATH": str(database),
        "TARGET_DUCKDB_DEFAULT_TARGET_SCHEMA": "tiktok",
    }
    project = MeltanoProject(tmp_path, env, required=False)
    warehouse = Warehouse("duckdb", str(database), project.loader_python("target-duckdb"), "tiktok")
    two_runs(project, "target-duckdb", warehouse, api)


@pytest.mark.postgres
def test_meltano_run_into_postgres(api: FakeTikTokApi, tmp_path: Path) -> None:
    # .ci/run always starts a server and sets the URL, so in CI a broken server fails here.
    url = os.environ.get("TAP_TIKTOK_ADS_TEST_POSTGRES_URL")
    if not url:
        pytest.skip(
            "TAP_TIKTOK_ADS_TEST_POSTGRES_URL is not set: set it to a PostgreSQL URL such as "
            "postgresql://user:password@127.0.0.1:5432/database, or run .ci/run, which starts "
            "a server and sets it."
        )
    project = MeltanoProject(tmp_path, {}, required=True)
    schema = f"tiktok_e2e_{uuid.uuid4().hex[:8]}"
    warehouse = Warehouse("postgres", url, project.loader_python("target-postgres"), schema)
    try:
        warehouse.query({"reachable": "select 1"})
    except AssertionError as exc:
        pytest.fail(
            f"The PostgreSQL server at TAP_TIKTOK_ADS_TEST_POSTGRES_URL is not reachable: {exc}"
        )
    parts = urlsplit(url)
    project.env |= run_env(api) | {
        "TARGET_POSTGRES_HOST": parts.hostname or "127.0.0.1",
        "TARGET_POSTGRES_PORT": str(parts.port or 5432),
        "TARGET_POSTGRES_USER": unquote(parts.username or ""),
        "TARGET_POSTGRES_PASSWORD": unquote(parts.password or ""),
        "TARGET_POSTGRES_DATABASE": parts.path.lstrip("/"),
        "TARGET_POSTGRES_DEFAULT_TARGET_SCHEMA": schema,
    }
    try:
        two_runs(project, "target-postgres", warehouse, api)
    finally:
        warehouse.query({"drop": f'drop schema if exists "{schema}" cascade'})
