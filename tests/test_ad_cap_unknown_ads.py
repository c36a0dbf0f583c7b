"""A summed row whose ad no `ad/get/` listing showed is never added to a wrong parent.

Ad groups over the ad cap by themselves are summed from rows by `ad_id_v2`, filtered by
`ad_ids_v2` with the IDs `ad/get/` listed (Doc 1740302848100353; id_batches.py). Should TikTok
answer a row of an ad the listing did not show (an inferred scenario, injected as a fault of
the fake: tests/fake_api/faults.py `STRAY_AD_ROW`), its ad group is unknown: the row is left
out instead of being summed under an empty ad group ID. Every window that leaves rows out
warns with the stream, its dates and its own count of rows left out, and says how those days
can be read again (the bookmark moves past them); an ID is named once per run.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import Counter
from typing import TYPE_CHECKING, Any

import pytest

from tap_tiktok_ads.dates import DateWindow
from tap_tiktok_ads.id_batches import AdCensus, AdRef, BatchedReader, EntityLists, IdBatch
from tap_tiktok_ads.metrics import DataLevel as TapLevel
from tests.conftest import run_tap, tap_config
from tests.fake_api import FakeData, FakeTikTokApi
from tests.fake_api.faults import STRAY_AD_ROW, Fault
from tests.fake_api.vocabulary import DataLevel
from tests.test_ad_cap_deleted import (
    ADDITIVE,
    ADGROUPS_OVER_CAP,
    END,
    NOW,
    REPORT,
    assert_same_records,
    frozen_clock,  # noqa: F401 - a fixture
)
from tests.truth import REPORTS, expected_report_records

if TYPE_CHECKING:
    from collections.abc import Iterator

STRAY_AD = "1999999999999999999"  # no ad of the fake's world has this ID
# Two windows of the report (30 days each at most): the stray ad is named in the first only.
START = dt.date(2026, 9, 1)
FIRST_WINDOW, SECOND_WINDOW = ("2026-09-01", "2026-09-30"), ("2026-10-01", "2026-10-06")


def _the_warning(messages: list[str], start: str, end: str) -> str:
    """The one warning about rows left out in the window `start` to `end`."""
    found = [m for m in messages if "left out" in m and f"{start} to {end}" in m]
    assert len(found) == 1, found
    return found[0]


def _says_how_to_read_again(warning: str, start: str) -> None:
    assert "bookmark still moves past these days" in warning
    assert "attribution_window_days" in warning
    assert "backfill" in warning
    assert f"start_date on or before {start}" in warning
    assert "a later run over these days reads them" not in warning


@pytest.mark.usefixtures("frozen_clock")
def test_rows_of_an_unlisted_ad_are_left_out_and_counted_in_every_window(
    caplog: pytest.LogCaptureFixture,
) -> None:
    data = FakeData(ADGROUPS_OVER_CAP)
    stream = "adgroup_report_daily"
    definition = REPORTS[stream]
    advertiser_id = data.advertiser_ids()[0]
    with FakeTikTokApi(data, clock=lambda: NOW) as api:
        api.faults.fault_rate(1.0, Fault(STRAY_AD_ROW, ad_id=STRAY_AD), path=REPORT)
        config = tap_config(
            api, start_date=START.isoformat(), end_date=END.isoformat(), include_deleted=True
        )
        with caplog.at_level(logging.WARNING):
            result = run_tap(
                config, streams={stream: ["advertiser_id", *definition.dimensions, *ADDITIVE]}
            )
        # The fake adds one stray row to each answer of rows by ad_id_v2.
        stray_rows = Counter(
            (r.params["start_date"], r.params["end_date"])
            for r in api.requests
            if r.path == REPORT
            and r.params["data_level"] == "AUCTION_AD"
            and r.code == 0
            and r.fault == STRAY_AD_ROW
        )
    assert set(stray_rows) == {FIRST_WINDOW, SECOND_WINDOW}
    assert all(count > 1 for count in stray_rows.values())
    assert STRAY_AD not in {
        ad.entity_id for ad in data.entities(advertiser_id, DataLevel.AD, include_deleted=True)
    }
    expected = expected_report_records(
        data, stream, ADDITIVE, start=START, end=END, include_deleted=True, now=NOW
    )
    assert_same_records(result.records[stream], expected, definition.key_properties)

    first = _the_warning(caplog.messages, *FIRST_WINDOW)
    second = _the_warning(caplog.messages, *SECOND_WINDOW)
    for warning, window in ((first, FIRST_WINDOW), (second, SECOND_WINDOW)):
        assert warning.startswith(f"Stream {stream}, advertiser {advertiser_id}, "), warning
        assert f": {stray_rows[window]} rows read to be summed into adgroup_id rows" in warning
        assert "were left out" in warning
        assert "ad/get/" in warning
        _says_how_to_read_again(warning, window[0])
    assert f"ad_id_v2 {STRAY_AD}" in first
    assert STRAY_AD not in second  # named once per run
    assert "(1 ID named in an earlier warning)" in second
    assert [m for m in caplog.messages if STRAY_AD in m] == [first]


ADVERTISER = "7100000000000000009"
ADS = [AdRef("11", "21", "31"), AdRef("12", "21", "31")]  # one ad group of two ads


def _reader(logger: logging.Logger) -> BatchedReader:
    """A reader whose batches cover one ad each, so the ad group is summed from its ads."""
    census = AdCensus()
    census.ads(ADVERTISER, lambda: ADS)
    census.batch_too_big(ADVERTISER, IdBatch(TapLevel.AD, ("11", "12"), tuple(ADS), TapLevel.AD))
    lists = EntityLists(ads=lambda _advertiser: ADS, live_ids=None)
    return BatchedReader(census, TapLevel.ADGROUP, lists, lambda _key: False, logger)


def _read(reader: BatchedReader, window: DateWindow, strays: list[str]) -> list[dict[str, Any]]:
    """The window's summed rows when the batch of the first ad also answers `strays`."""

    def read_batch(batch: IdBatch) -> Iterator[dict[str, Any]]:
        assert batch.read_level is TapLevel.AD
        day = {"stat_time_day": f"{window.start} 00:00:00"}
        extra = strays if batch.ids == ("11",) else []
        for ad_id in [*batch.ids, *extra]:
            yield {"dimensions": {"ad_id_v2": ad_id, **day}, "metrics": {"spend": "1.5"}}

    return list(reader.rows(ADVERTISER, read_batch, stream="adgroup_report_daily", window=window))


def test_one_row_is_one_row_and_many_ids_are_named_up_to_five(
    caplog: pytest.LogCaptureFixture,
) -> None:
    reader = _reader(logging.getLogger("tests.unknown_ads"))
    first, second = DateWindow(START, START), DateWindow(dt.date(2026, 9, 2), dt.date(2026, 9, 2))
    new = [f"9{n}" for n in range(1, 8)]  # 7 IDs not named before
    with caplog.at_level(logging.WARNING):
        first_rows = _read(reader, first, ["90"])
        second_rows = _read(reader, second, ["90", "90", *new, "90"])
    for rows in (first_rows, second_rows):  # the listed ads' rows, summed under their ad group
        assert [(row["dimensions"]["adgroup_id"], row["metrics"]) for row in rows] == [
            ("21", {"spend": "3.0"})
        ]
    warnings = [m for m in caplog.messages if "left out" in m]
    assert len(warnings) == 2, warnings
    one, many = warnings
    assert one.startswith(
        f"Stream adgroup_report_daily, advertiser {ADVERTISER}, 2026-09-01 to 2026-09-01: "
        "1 row read to be summed into adgroup_id rows was left out. Its ID is not among "
        "the ads ad/get/ listed in this run (ad_id_v2 90), so which adgroup_id it belongs to "
        "is unknown; it is not added under a wrong or empty adgroup_id."
    ), one
    _says_how_to_read_again(one, "2026-09-01")
    # 3 rows of 90 (named before) and 7 new IDs: every row counted, 90 not named again.
    assert (
        "2026-09-02 to 2026-09-02: 10 rows read to be summed into adgroup_id rows were left "
        "out. Their IDs are not among the ads ad/get/ listed in this run (ad_id_v2 91, "
        "ad_id_v2 92, ad_id_v2 93, ad_id_v2 94, ad_id_v2 95 and 2 more, and 1 ID named in an earlier "
        "warning), so which adgroup_id they belong to is unknown"
    ) in many, many
    _says_how_to_read_again(many, "2026-09-02")
