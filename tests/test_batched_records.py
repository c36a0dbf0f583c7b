"""Report records written a page at a time (batched_records.py) give the SDK loop's messages."""

from __future__ import annotations

import datetime as dt
import gc
from typing import TYPE_CHECKING, Any

import pytest
from singer_sdk.singerlib import RecordMessage

from tap_tiktok_ads.batched_records import PageBatchedStream, RecordBatchWriter
from tap_tiktok_ads.gc_pause import YOUNG_GENERATION_THRESHOLD
from tap_tiktok_ads.streams.reports import ReportStream
from tap_tiktok_ads.tap import TapTikTokAds
from tap_tiktok_ads.writer import BufferedMsgSpecWriter
from tests.conftest import NOW, CollectingWriter, SyncResult, run_tap, tap_config
from tests.truth import REPORTS, by_key, expected_report_records

if TYPE_CHECKING:
    from tests.fake_api import FakeData, FakeTikTokApi

pytestmark = pytest.mark.usefixtures("frozen_now")

START, END = dt.date(2026, 11, 3), dt.date(2026, 11, 12)
STREAMS: dict[str, list[str] | None] = {
    "ad_report_daily": ["spend", "impressions", "ctr", "ad_name", "conversion"],
    "campaign_report_weekly": ["spend", "clicks"],  # period_start / period_end added per page
}


def _without_time(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{k: v for k, v in m.items() if k != "time_extracted"} for m in messages]


def _run(api: FakeTikTokApi, monkeypatch: pytest.MonkeyPatch, *, pages: bool) -> SyncResult:
    batches: list[int] = []
    write_batch = PageBatchedStream._write_record_batch
    thresholds = gc.get_threshold()

    def counting(stream: PageBatchedStream, records: list[dict[str, Any]]) -> None:
        batches.append(len(records))
        assert gc.get_threshold()[0] == YOUNG_GENERATION_THRESHOLD
        assert gc.get_freeze_count() > 0
        write_batch(stream, records)

    with monkeypatch.context() as patch:
        patch.setattr(PageBatchedStream, "_write_record_batch", counting)
        if not pages:
            patch.setattr(PageBatchedStream, "pages_apply", lambda *_, **__: False)
        config = tap_config(api, start_date=START.isoformat(), end_date=END.isoformat())
        result = run_tap(config, streams=STREAMS)
    assert bool(batches) is pages
    assert gc.get_threshold() == thresholds
    assert gc.get_freeze_count() == 0
    assert sum(batches) == sum(len(result.records[name]) for name in STREAMS) * pages
    return result


def test_pages_give_the_sdk_loop_s_messages_and_the_fake_s_records(
    fake_api: FakeTikTokApi, fake_data: FakeData, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Same messages in the same order (keys in order too), STATE messages included."""
    by_pages = _run(fake_api, monkeypatch, pages=True)
    by_record = _run(fake_api, monkeypatch, pages=False)
    assert _without_time(by_pages.messages) == _without_time(by_record.messages)
    for ours, theirs in zip(by_pages.messages, by_record.messages, strict=True):
        if ours["type"] == "RECORD":
            assert list(ours["record"]) == list(theirs["record"])
            assert ours["time_extracted"]
    name = "ad_report_daily"
    keys = REPORTS[name].key_properties
    expected = expected_report_records(
        fake_data, name, STREAMS[name] or [], start=START, end=END, now=NOW
    )
    assert expected
    assert by_key(by_pages.records[name], keys) == by_key(expected, keys)
    weekly = by_pages.records["campaign_report_weekly"]
    assert weekly
    assert all(record["period_start"] <= record["period_end"] for record in weekly)


def test_a_state_message_follows_the_page_that_crosses_the_frequency(
    fake_api: FakeTikTokApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As the SDK writes one every `STATE_MSG_FREQUENCY` records, one after such a page."""
    plain = _run(fake_api, monkeypatch, pages=True)
    monkeypatch.setattr(ReportStream, "STATE_MSG_FREQUENCY", 3)
    frequent = _run(fake_api, monkeypatch, pages=True)
    assert _without_time([m for m in frequent.messages if m["type"] == "RECORD"]) == (
        _without_time([m for m in plain.messages if m["type"] == "RECORD"])
    )
    assert len(frequent.states) > len(plain.states)
    assert frequent.state == plain.state


def test_stream_maps_flattening_and_record_limits_take_the_sdk_loop() -> None:
    """What changes records one by one goes through the SDK's own loop."""
    configs: list[tuple[dict[str, Any], bool]] = [
        ({}, True),
        ({"stream_maps": {"ad_report_daily": {"spend_twice": "spend * 2"}}}, False),
        ({"stream_maps": {"ad_report_daily": {"__alias__": "ads_daily"}}}, False),
        ({"stream_maps": {"ad_report_daily": {"__filter__": "spend > 1"}}}, False),
        ({"stream_maps": {"campaign_report_daily": {"spend_twice": "spend * 2"}}}, True),
        ({"flattening_enabled": True, "flattening_max_depth": 1}, False),
    ]
    for config, pages in configs:
        tap = TapTikTokAds(config=config, message_writer=CollectingWriter())
        try:
            stream = tap.streams["ad_report_daily"]
            assert isinstance(stream, PageBatchedStream)
            assert stream.pages_apply() is pages, config
            assert stream.pages_apply(write_messages=False) is False
            if pages:
                stream.ABORT_AT_RECORD_COUNT = 1  # `--test`
                assert stream.pages_apply() is False
        finally:
            tap.runtime.close()


RECORDS = [
    {"advertiser_id": "1", "ad_name": 'two\nlines and a "quote"', "spend": 1.5, "clicks": 3},
    {"advertiser_id": "2", "ad_name": "ünï 😀 \\", "spend": None, "clicks": 0},
    {"advertiser_id": "3", "ad_name": "", "spend": -0.0, "clicks": 10**15, "ctr": 1e-7},
]


@pytest.mark.parametrize(("version", "copies"), [(None, 1), (1_700_000_000, 1), (None, 2000)])
def test_a_page_of_messages_is_byte_for_byte_what_write_message_gives(
    capsysbinary: pytest.CaptureFixture[bytes], version: int | None, copies: int
) -> None:
    """One encoding call per page gives the SDK's bytes, one line per record.

    2000 copies make a page larger than a chunk, which goes to stdout after what is pending.
    """
    extracted = dt.datetime(2026, 11, 20, 15, 30, 1, 123456, tzinfo=dt.timezone.utc)
    writer = BufferedMsgSpecWriter()
    assert isinstance(writer, RecordBatchWriter)
    writer.write_records("ads", [dict(RECORDS[0])], version, extracted)
    records = RECORDS * copies
    writer.write_records("ad_report_daily", [dict(r) for r in records], version, extracted)
    writer.write_records("ad_report_daily", [], version, extracted)
    writer._write_pending()
    ours = capsysbinary.readouterr().out
    expected = b"".join(
        bytes(
            writer.format_message(
                RecordMessage(
                    stream=name, record=dict(r), version=version, time_extracted=extracted
                )
            )
        )
        for name, r in [("ads", RECORDS[0]), *(("ad_report_daily", r) for r in records)]
    )
    assert ours == expected
    assert ours.count(b"\n") == len(records) + 1
