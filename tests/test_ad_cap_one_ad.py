"""A batch that still gets `X-Tt-Ads-Throttle` is only ever narrowed, and one ad ends the read.

Doc 1740302848100353: the header says "the number of ad ids of queried advertiser account is
more than 20,000". Should TikTok send it on a query filtered to one ad (inferred: if it counts
the account, not the query), no smaller query exists: the read must stop with a message, not
re-plan that ad into a wider batch (a `campaign_ids` filter covers ads of other batches, and
brings the same one-ad batch back without end).
"""

from __future__ import annotations

import datetime as dt
import logging

import pytest

from tap_tiktok_ads.errors import TikTokFatalError
from tap_tiktok_ads.id_batches import AdCapReached, AdCensus, AdRef, BatchedReader, EntityLists
from tap_tiktok_ads.metrics import DataLevel
from tests.conftest import run_cli, tap_config
from tests.fake_api import DataSpec, FakeData, FakeTikTokApi
from tests.test_ad_cap import END, NOW, REPORT, START, ids_in
from tests.truth import REPORTS

MAX_READS = 50  # a bounded run reads a handful of batches; the old loop never ended


class _Looping(Exception):  # noqa: N818 - the loop this test guards against
    pass


def _read_all_capped(ads: list[AdRef], *, top_view: bool) -> tuple[list, Exception]:
    """Read an ad-level report whose every answer carries the header; the batches sent."""
    reader = BatchedReader(
        AdCensus(),
        DataLevel.AD,
        EntityLists(ads=lambda _advertiser_id: ads, live_ids=None),
        may_repeat=lambda _key: False,
        logger=logging.getLogger("test"),
    )
    sent = []

    def read_batch(batch):
        sent.append((batch.filter_level, batch.ids))
        if len(sent) > MAX_READS:
            raise _Looping(sent[-3:])
        raise AdCapReached("Number of ad ids is equal or more than 20k")

    with pytest.raises(TikTokFatalError) as failure:
        list(reader.rows("7", read_batch, stream="ad_report_daily", window=None, top_view=top_view))
    return sent, failure.value


@pytest.mark.parametrize("top_view", [False, True])
def test_a_one_ad_batch_that_keeps_the_header_ends_the_read_without_widening(top_view) -> None:
    ads = [AdRef(f"9{i}", "20", "10", top_view=top_view) for i in range(3)]
    sent, error = _read_all_capped(ads, top_view=top_view)
    # The campaign, then its ad group's ads one by one: never back to a wider filter.
    assert sent == [(DataLevel.CAMPAIGN, ("10",)), (DataLevel.AD, ("90",))]
    message = str(error)
    assert "advertiser 7" in message
    assert "ad_report_daily" in message
    assert "one ad 90" in message
    assert "X-Tt-Ads-Throttle" in message
    if top_view:
        assert "TopView" in message
    else:
        assert "report_mode: async" in message


# Every query of this account is capped, even one filtered to one ad (the fake's cap is 1).
EVERY_QUERY_CAPPED = DataSpec(
    advertisers=1,
    campaigns_per_advertiser=2,
    adgroups_per_campaign=2,
    ads_per_adgroup=3,
    first_day=dt.date(2026, 9, 1),
    last_day=dt.date(2026, 10, 31),
    ad_cap=1,
)


def test_a_run_whose_one_ad_queries_stay_capped_stops_with_a_message(tmp_path) -> None:
    stream = "ad_report_daily"
    definition = REPORTS[stream]
    data = FakeData(EVERY_QUERY_CAPPED)
    with FakeTikTokApi(data, clock=lambda: NOW) as api:
        config = tap_config(api, start_date=START.isoformat(), end_date=END.isoformat())
        done = run_cli(
            tmp_path,
            config=config,
            streams={stream: ["advertiser_id", *definition.dimensions, "spend"]},
            now=NOW,
            timeout=60,
        )
        reports = [r for r in api.requests if r.path == REPORT]
    assert done.returncode != 0
    assert "report_mode: async" in done.stderr
    (advertiser_id,) = data.advertiser_ids()
    assert f"advertiser {advertiser_id}" in done.stderr
    assert '"type": "RECORD"' not in done.stdout  # no capped answer was used
    # One unfiltered query, then each batch narrower than the one before it.
    assert len(reports) <= 5
    filters = [r for r in reports if ids_in(r)]
    assert len(ids_in(filters[-1])) == 1
