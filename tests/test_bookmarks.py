"""The one bookmark writer: records never move it, `set_bookmark` never moves it backwards."""

from __future__ import annotations

from tap_tiktok_ads.bookmarks import CompleteDataBookmarks, is_final_bookmark
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


def test_a_final_bookmark_is_marked_in_its_state_message_and_an_older_one_gets_the_mark() -> None:
    """The mark is a copy of the value: one moved by an older version since is not marked."""
    writer = CollectingWriter()
    tap = TapTikTokAds(config={}, setup_mapper=False, message_writer=writer)
    stream = tap.streams["ad_report_daily"]
    assert isinstance(stream, CompleteDataBookmarks)
    context = {"advertiser_id": "1"}
    stream.set_bookmark(context, "2026-11-10")  # as an older version wrote it: no mark
    stream.set_bookmark(context, "2026-11-10", final=True)  # the same day, final now
    stream.set_bookmark(context, "2026-11-10", final=True)  # marked already: nothing to write
    stream.set_bookmark(context, "2026-11-09", final=True)  # an older window: ignored
    states = [m["value"] for m in writer.messages if m["type"] == "STATE"]
    partitions = [s["bookmarks"]["ad_report_daily"]["partitions"][0] for s in states]
    assert [(p["replication_key_value"], p.get("final_bookmark")) for p in partitions] == [
        ("2026-11-10", None),
        ("2026-11-10", "2026-11-10"),
    ]
    stream.set_bookmark(context, "2026-11-12")  # not final: the mark no longer vouches for it
    assert not is_final_bookmark(stream.get_context_state(context))
    stream.set_bookmark(context, "2026-11-13", final=True)
    assert is_final_bookmark(stream.get_context_state(context))
    tap.runtime.close()


def test_a_changed_note_is_written_with_the_same_bookmark_and_an_unchanged_one_is_not() -> None:
    """Entities note whether the bookmark covers deleted entities (`include_deleted`)."""
    writer = CollectingWriter()
    tap = TapTikTokAds(config={}, setup_mapper=False, message_writer=writer)
    stream = tap.streams["campaigns"]
    assert isinstance(stream, CompleteDataBookmarks)
    context = {"advertiser_id": "1"}
    moment = "2026-11-10T08:00:00+00:00"
    stream.set_bookmark(context, moment, notes={"include_deleted": False})
    stream.set_bookmark(context, moment, notes={"include_deleted": False})  # nothing new
    stream.set_bookmark(context, moment, notes={"include_deleted": True})  # the same moment
    stream.set_bookmark(context, "2026-11-09T08:00:00+00:00", notes={"include_deleted": False})
    states = [m["value"] for m in writer.messages if m["type"] == "STATE"]
    partitions = [s["bookmarks"]["campaigns"]["partitions"][0] for s in states]
    assert [(p["replication_key_value"], p["include_deleted"]) for p in partitions] == [
        (moment, False),
        (moment, True),
    ]
    tap.runtime.close()
