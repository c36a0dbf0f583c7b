"""TikTok's documented examples of the asynchronous report task endpoints, replayed.

Like `tests/test_replay.py`: the replay server answers `report/task/create/` (Doc
1738864800380930's example of Doc 1740302766489602), `report/task/check/` (Doc
1740302781443073) and `report/task/download/` (Doc 1740302808815618, a CSV stream whose
columns are the example's, untitled: fixtures/SOURCES.md says how it was derived, inferred);
the tap syncs an audience report in `report_mode` async, and every column of the file is in
its records with the file's values.
"""

from __future__ import annotations

import csv
import datetime as dt
import io

from tests.replay.server import Reply, csv_fixture, fixture, nothing_listed
from tests.replay_harness import replay

UTC = dt.timezone.utc
ADVERTISER = "872746382648"  # Airbyte's unit-test advertiser: no time zone, so UTC
INFO = Reply(fixture("advertiser_info/advertisers_airbyte_unit_test"))
NO_TOP_VIEW = nothing_listed(1)  # the TopView check: none (top_view_checks.py)
CREATED = fixture("report_task/create_doc")
CHECKED = fixture("report_task/check_doc")
FILE = csv_fixture("report_task/download_doc_age_gender")
DAY = "2025-06-30"
STREAM = "adgroup_audience_age_gender_daily"
ROUTES = {
    "/advertiser/info/": INFO,
    "/campaign/get/": NO_TOP_VIEW,
    "/report/task/create/": Reply(CREATED),
    "/report/task/check/": Reply(CHECKED),
    "/report/task/download/": Reply(FILE),
}


def test_an_async_report_from_tiktoks_reference_examples(monkeypatch) -> None:
    """Created, checked SUCCESS and downloaded: each CSV row is a record with every column."""
    rows = list(csv.DictReader(io.StringIO(FILE)))
    columns = list(rows[0])
    selected = ["advertiser_id", *columns]
    result, server = replay(
        monkeypatch,
        dt.datetime(2025, 7, 2, 12, tzinfo=UTC),
        ROUTES,
        {STREAM: selected},
        advertiser_ids=[ADVERTISER],
        start_date=DAY,
        end_date=DAY,
        report_mode="async",
    )
    records = result.records[STREAM]
    assert len(records) == len(rows)
    for record, row in zip(records, rows, strict=True):
        assert set(record) == set(selected)
        assert record["advertiser_id"] == ADVERTISER
        assert record["stat_time_day"] == DAY
        for column in ("campaign_id", "campaign_name", "adgroup_id", "adgroup_name", "age"):
            assert record[column] == row[column], column
        assert record["gender"] == row["gender"]
        assert record["spend"] == float(row["spend"])
        assert record["impressions"] == int(row["impressions"])
        assert record["clicks"] == int(row["clicks"])
    (created,) = server.asked("/report/task/create/")
    body = created.json_body()
    assert body["advertiser_id"] == ADVERTISER
    assert (body["start_date"], body["end_date"]) == (DAY, DAY)
    assert body["enable_report_title_translation"] is False
    task_id = CREATED["data"]["task_id"]
    for path in ("/report/task/check/", "/report/task/download/"):
        asked = server.asked(path)
        assert asked, path
        assert {r.query["task_id"] for r in asked} == {task_id}
    assert not server.asked("/report/integrated/get/")
