"""A summed row whose ad no `ad/get/` listing showed is never added to a wrong parent.

Ad groups over the ad cap by themselves are summed from rows by `ad_id_v2`, filtered by
`ad_ids_v2` with the IDs `ad/get/` listed (Doc 1740302848100353; id_batches.py). Should TikTok
answer a row of an ad the listing did not show (an inferred scenario, injected as a fault of
the fake: tests/fake_api/faults.py `STRAY_AD_ROW`), its ad group is unknown: the row is left
out, with one warning naming the ad, instead of being summed under an empty ad group ID.
"""

from __future__ import annotations

import logging

import pytest

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
    START,
    assert_same_records,
    frozen_clock,  # noqa: F401 - a fixture
)
from tests.truth import REPORTS, expected_report_records

STRAY_AD = "1999999999999999999"  # no ad of the fake's world has this ID


@pytest.mark.usefixtures("frozen_clock")
def test_a_row_of_an_unlisted_ad_is_left_out_with_one_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    data = FakeData(ADGROUPS_OVER_CAP)
    stream = "adgroup_report_daily"
    definition = REPORTS[stream]
    with FakeTikTokApi(data, clock=lambda: NOW) as api:
        api.faults.fault_rate(1.0, Fault(STRAY_AD_ROW, ad_id=STRAY_AD), path=REPORT)
        config = tap_config(
            api, start_date=START.isoformat(), end_date=END.isoformat(), include_deleted=True
        )
        with caplog.at_level(logging.WARNING):
            result = run_tap(
                config, streams={stream: ["advertiser_id", *definition.dimensions, *ADDITIVE]}
            )
        summed = [
            r for r in api.requests if r.path == REPORT and r.params["data_level"] == "AUCTION_AD"
        ]
    assert len(summed) > 1  # every ad group summed from batches of ads, each with a stray row
    assert STRAY_AD not in {
        ad.entity_id
        for ad in data.entities(data.advertiser_ids()[0], DataLevel.AD, include_deleted=True)
    }
    expected = expected_report_records(
        data, stream, ADDITIVE, start=START, end=END, include_deleted=True, now=NOW
    )
    assert_same_records(result.records[stream], expected, definition.key_properties)
    warnings = [message for message in caplog.messages if STRAY_AD in message]
    assert len(warnings) == 1, warnings
    assert "ad/get/" in warnings[0]
    assert data.advertiser_ids()[0] in warnings[0]
