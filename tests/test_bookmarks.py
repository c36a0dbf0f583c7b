"""The one bookmark writer: records never move it, `set_bookmark` never moves it backwards."""

from __future__ import annotations

from tap_tiktok_ads.bookmarks import CompleteDataBookmarks
from tap_tiktok_ads.tap import TapTikTokAds
from tests.conftest import CollectingWriter


def test_set_bookmark_moves_forward_only_and_writes_state_each_time() -> None:
    writer = CollectingWriter()
    tap = TapTikTokAds(config={}, setup_mapper=False, message_writer=writer)
    streams = [s for s in tap.streams.values() if isinstance(s, CompleteDataBookmarks)]
    assert {cls.__name__ for s in streams for cls in type(s).__mro__} >= {
        "ReportStream",
        "EntityStream",
        "OrganicProfileDailyStream",
    }
    stream = tap.streams["ad_report_daily"]
    assert isinstance(stream, CompleteDataBookmarks)
    context = {"advertiser_id": "1"}
    stream.set_bookmark(context, "2026-11-10")
    stream.set_bookmark(context, "2026-11-05")  # an older window: ignored
    stream.set_bookmark(context, "2026-11-10")  # the same: nothing to write
    assert stream.get_context_state(context)["replication_key_value"] == "2026-11-10"
    stream.set_bookmark(context, "2026-11-12")
    assert stream.get_context_state(context)["replication_key_value"] == "2026-11-12"
    states = [m for m in writer.messages if m["type"] == "STATE"]
    assert len(states) == 2
    tap.runtime.close()
