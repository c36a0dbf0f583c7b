"""The SDK internals the tap relies on, pinned: an SDK upgrade that changes one fails here.

Each test states what the tap does with the internal and checks the SDK's signature and
behaviour, not only that a name exists, so that a change shows up as a failing test instead
of bookmarks that silently move per record or a run whose requests are never ended.
"""

from __future__ import annotations

import hashlib
import inspect
import re
from typing import TYPE_CHECKING, Any

import pytest
import requests
from singer_sdk import RESTStream, Stream, Tap
from singer_sdk.exceptions import RetriableAPIError
from singer_sdk.helpers._catalog import pop_deselected_record_properties
from singer_sdk.helpers._state import PROGRESS_MARKERS
from singer_sdk.mapper import PluginMapper
from singer_sdk.singerlib.catalog import Catalog
from singer_sdk.streams.rest import _HTTPStream

from tap_tiktok_ads.auth import without_session_auth
from tap_tiktok_ads.client import TikTokStream
from tap_tiktok_ads.selected_records import SelectedRecordsStream
from tap_tiktok_ads.streams.entities import EntityStream
from tap_tiktok_ads.streams.organic import OrganicProfileDailyStream
from tap_tiktok_ads.streams.reports import ReportStream
from tap_tiktok_ads.tap import TapTikTokAds
from tests.conftest import CollectingWriter

if TYPE_CHECKING:
    from collections.abc import Iterator

FAR_FUTURE = "2999-12-31"
BOOKMARKED = {
    ReportStream: {"advertiser_id": "1"},
    EntityStream: {"advertiser_id": "1"},
    OrganicProfileDailyStream: {"business_id": "b1"},
}


def _source_digest(function: object) -> str:
    """The SHA-256 of an SDK function's source: a test pins what the tap copies or relies on."""
    return hashlib.sha256(inspect.getsource(function).encode()).hexdigest()  # type: ignore[arg-type]


@pytest.fixture
def tap() -> Iterator[TapTikTokAds]:
    """A tap built offline, writing its messages to a list."""
    tap = TapTikTokAds(config={}, setup_mapper=False, message_writer=CollectingWriter())
    yield tap
    tap.runtime.close()


def _bookmarked_streams(tap: TapTikTokAds) -> list[tuple[TikTokStream, dict[str, str]]]:
    """One stream of each class that writes bookmarks, with a partition context."""
    found: dict[type, TikTokStream] = {}
    for stream in tap.streams.values():
        # Each entity stream has a class of its own, made from EntityStream.
        kind = next((cls for cls in BOOKMARKED if isinstance(stream, cls)), None)
        if kind is not None and stream.replication_key:
            found.setdefault(kind, stream)  # type: ignore[arg-type]
    assert set(found) == set(BOOKMARKED)
    return [(stream, BOOKMARKED[cls]) for cls, stream in found.items()]


def test_increment_stream_state_keeps_its_signature_and_call() -> None:
    """The tap overrides it to a no-op; a renamed hook would move bookmarks per record."""
    parameters = inspect.signature(Stream._increment_stream_state).parameters
    assert list(parameters) == ["self", "latest_record", "context"]
    assert parameters["context"].kind is inspect.Parameter.KEYWORD_ONLY
    assert parameters["context"].default is None
    assert "self._increment_stream_state(record, context=current_context)" in inspect.getsource(
        Stream._sync_records
    )


def test_records_never_move_the_tap_s_bookmarks(tap: TapTikTokAds) -> None:
    """Every bookmarked stream overrides the hook, and a record passed to it changes nothing."""
    for stream, context in _bookmarked_streams(tap):
        assert type(stream)._increment_stream_state is not Stream._increment_stream_state
        record = {str(stream.replication_key): FAR_FUTURE, **context}
        stream._increment_stream_state(record, context=context)
        state = stream.get_context_state(context)
        assert "replication_key_value" not in state, stream.name
        assert PROGRESS_MARKERS not in state, stream.name


def test_the_base_hook_writes_progress_markers_that_finalize_promotes(
    tap: TapTikTokAds,
) -> None:
    """How the tap writes a bookmark: the SDK's hook, then `finalize_state_progress_markers`.

    A sorted stream's hook writes the value as the bookmark, an unsorted one's as a progress
    marker; finalizing the partition's state leaves it the bookmark and emits a STATE message.
    """
    writer = tap.message_writer
    assert isinstance(writer, CollectingWriter)
    parameters = inspect.signature(Stream.finalize_state_progress_markers).parameters
    assert list(parameters) == ["self", "state"]
    for stream, context in _bookmarked_streams(tap):
        stream._increment_stream_state = Stream._increment_stream_state.__get__(stream)  # type: ignore[method-assign]
        stream._increment_stream_state({str(stream.replication_key): FAR_FUTURE}, context=context)
        state = stream.get_context_state(context)
        written = state if stream.is_sorted else state[PROGRESS_MARKERS]
        assert written["replication_key_value"] == FAR_FUTURE
        before = len(writer.messages)
        stream.finalize_state_progress_markers(state)
        assert state["replication_key_value"] == FAR_FUTURE
        assert PROGRESS_MARKERS not in state
        assert [m["type"] for m in writer.messages[before:]] == ["STATE"]


def test_stream_tap_is_the_tap_and_its_streams_keep_their_order(tap: TapTikTokAds) -> None:
    """`log_sync_costs` finds the run's last stream through `_tap.streams`."""
    streams = list(tap.streams.values())
    assert all(stream._tap is tap for stream in streams)
    assert list(tap.streams) == [stream.name for stream in streams]


def test_log_sync_costs_runs_for_every_stream_after_all_synced(
    tap: TapTikTokAds, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The tap closes its runtime in the last stream's `log_sync_costs`: it must come last.

    The SDK calls it for every stream, selected or not, in `tap.streams` order, after the
    last stream synced and finalized its state.
    """
    calls: list[tuple[str, str]] = []
    monkeypatch.setattr(tap, "resolve_advertisers", lambda streams: None)
    for stream in tap.streams.values():
        for hook in ("sync", "finalize_state_progress_markers", "log_sync_costs"):
            monkeypatch.setattr(
                stream, hook, lambda *_, _n=stream.name, _h=hook: calls.append((_h, _n))
            )
    tap.sync_all()
    costs = [name for hook, name in calls if hook == "log_sync_costs"]
    assert costs == list(tap.streams)
    first_cost = calls.index(("log_sync_costs", costs[0]))
    assert all(hook != "log_sync_costs" for hook, _ in calls[:first_cost])
    assert all(hook == "log_sync_costs" for hook, _ in calls[first_cost:])
    synced = [name for hook, name in calls if hook == "sync"]
    # A child stream (a history stream) is synced by its parent, not by the tap.
    assert synced == [
        name
        for name, stream in tap.streams.items()
        if stream.selected and not stream.parent_stream_type
    ]


def test_the_tap_s_last_log_sync_costs_closes_the_run(tap: TapTikTokAds) -> None:
    """Only the last stream's call ends the run's requests."""
    streams = list(tap.streams.values())
    for stream in streams[:-1]:
        stream.log_sync_costs()
        assert not tap.runtime.stopping.is_set()
    streams[-1].log_sync_costs()
    assert tap.runtime.stopping.is_set()


def test_sync_entry_points_are_still_what_the_tap_wraps() -> None:
    """The tap resolves advertisers before `sync_all` and `run_sync_dry_run` call `sync`."""
    assert "stream.sync()" in inspect.getsource(Tap.sync_all)
    assert "stream.log_sync_costs()" in inspect.getsource(Tap.sync_all)
    assert "stream.sync()" in inspect.getsource(Tap.run_sync_dry_run)
    assert list(inspect.signature(Tap.run_sync_dry_run).parameters) == [
        "self",
        "dry_run_record_limit",
        "streams",
    ]


# `TapTikTokAds._run` is `Tap.invoke` given the files' texts, the catalog's decoded lazily
# (input_catalog.py) by the decode `Tap.invoke` uses; if it changes, carry the change over.
TAP_INVOKE_SHA256 = "d84e3568823eaf234e264d8a9875f599a4c05740e9aa6048b02f4d65eecfcc3c"


def test_the_invoke_the_tap_copies_is_the_pinned_one() -> None:
    assert _source_digest(Tap.invoke) == TAP_INVOKE_SHA256
    assert "load_json(catalog.read())" in inspect.getsource(Tap.invoke)


# A report stream builds its schema on first read of `schema`, into the SDK's `_schema`
# (ReportStream.schema): the getter must stay the one reader of `_schema` after `__init__`.
SCHEMA_GETTER_SHA256 = "9cc5f959fe9e49459281b1590d10b7b0329236785c914914b4e30217f40f36a7"


def test_the_schema_a_report_stream_builds_late_is_read_only_through_the_pinned_getter() -> None:
    from singer_sdk.streams import core

    assert _source_digest(Stream.schema.fget) == SCHEMA_GETTER_SHA256  # type: ignore[attr-defined]
    # Set in `__init__` (declared, from a dict, a Schema or a file), read in the getter twice.
    assert len(re.findall(r"self\._schema\b", inspect.getsource(core))) == 6
    assert ReportStream.schema.fget is not Stream.schema.fget  # type: ignore[attr-defined]


def test_request_sends_one_attempt_with_the_stream_timeout_and_validates_it() -> None:
    """Report streams wrap `_request` to see a first page's read timeout (query_size.py)."""
    assert list(inspect.signature(_HTTPStream._request).parameters) == [
        "self",
        "prepared_request",
        "context",
    ]
    source = inspect.getsource(_HTTPStream._request)
    assert "timeout=self.timeout" in source
    assert "self.validate_response(response)" in source


def test_the_record_counter_sees_each_partition_and_each_written_record() -> None:
    """The run's progress and end table come from the stream's record counter.

    It must be entered around the sync, moved to each partition before its records, and
    incremented once per RECORD message written.
    """
    source = inspect.getsource(Stream._sync_records)
    assert "record_counter = self.get_record_counter()" in source
    assert "with record_counter, timer:" in source
    assert "record_counter.with_context(context_element)" in source
    written = source.index("self._write_record_message(record)")
    assert written < source.index("record_counter.increment()")
    assert list(inspect.signature(Stream.get_record_counter).parameters) == [
        "self",
        "endpoint",
        "log_interval",
    ]


def test_build_prepared_request_sets_the_shared_session_s_auth(
    tap: TapTikTokAds, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The SDK puts each stream's authenticator on the session all streams share.

    So a request's own `auth=` must win over the session's: the organic streams pass one
    (`without_session_auth`) so that no other stream's token goes to a TikTok account.
    """
    assert "self.requests_session.auth = self.authenticator" in inspect.getsource(
        _HTTPStream.build_prepared_request
    )

    def session_auth(request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.headers["Access-Token"] = "session"
        return request

    stream = next(s for s in tap.streams.values() if isinstance(s, EntityStream))
    monkeypatch.setattr(type(stream), "authenticator", property(lambda _: session_auth))
    plain = stream.build_prepared_request(method="GET", url="http://127.0.0.1/x")
    assert stream.requests_session.auth is session_auth
    assert plain.headers["Access-Token"] == "session"
    own = stream.build_prepared_request(
        method="GET", url="http://127.0.0.1/x", auth=without_session_auth
    )
    assert "Access-Token" not in own.headers


def test_deselected_properties_are_dropped_and_undeclared_ones_kept() -> None:
    """The SDK drops deselected properties (nested too) but keeps undeclared ones.

    So the tap itself keeps only declared properties in its records (records.py), and can
    leave deselected ones to the SDK.
    """
    schema: dict[str, Any] = {
        "type": "object",
        "properties": {
            "id": {"type": "string"},
            "spend": {"type": "number"},
            "nested": {
                "type": "object",
                "properties": {"kept": {"type": "string"}, "dropped": {"type": "string"}},
            },
        },
    }
    catalog = Catalog.from_dict(
        {
            "streams": [
                {
                    "tap_stream_id": "s",
                    "schema": schema,
                    "metadata": [
                        {"breadcrumb": [], "metadata": {"selected": True}},
                        {"breadcrumb": ["properties", "spend"], "metadata": {"selected": False}},
                        {
                            "breadcrumb": ["properties", "nested", "properties", "dropped"],
                            "metadata": {"selected": False},
                        },
                    ],
                }
            ]
        }
    )
    mask = catalog["s"].metadata.resolve_selection()
    record = {"id": "1", "spend": 2.0, "nested": {"kept": "a", "dropped": "b"}, "extra": 3}
    pop_deselected_record_properties(record, schema, mask)
    assert record == {"id": "1", "nested": {"kept": "a"}, "extra": 3}
    assert "pop_deselected_record_properties(record, self.schema, self.mask)" in (
        inspect.getsource(Stream._generate_record_messages)
    )


def test_the_sdk_s_retry_decorator_takes_the_budget_from_its_hooks(
    tap: TapTikTokAds, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The tap retries with the SDK's decorator and its list of transient faults.

    The budget reaches it through `backoff_max_tries` (read once per request) and
    `backoff_wait_generator`, whose end makes backoff give up with the fault.
    """
    stream = next(s for s in tap.streams.values() if isinstance(s, EntityStream))
    calls: list[int] = []

    def failing() -> None:
        calls.append(1)
        msg = "transient"
        raise RetriableAPIError(msg)

    def two_waits() -> Iterator[float]:
        yield 0.0
        yield 0.0
        yield 0.0

    monkeypatch.setattr(stream, "backoff_wait_generator", two_waits)
    monkeypatch.setattr(stream, "backoff_max_tries", lambda: 10)
    with pytest.raises(RetriableAPIError):
        RESTStream.request_decorator(stream, failing)()  # type: ignore[arg-type]
    assert len(calls) == 3  # the generator's two waits end the retries
    calls.clear()
    monkeypatch.setattr(stream, "backoff_max_tries", lambda: 2)
    for fault in (ConnectionResetError, requests.exceptions.ConnectionError):
        calls.clear()

        def faulty(fault: type[Exception] = fault) -> None:
            calls.append(1)
            raise fault

        with pytest.raises(fault):
            RESTStream.request_decorator(stream, faulty)()  # type: ignore[arg-type]
        assert len(calls) == 2, fault


# The SDK's `Stream._generate_record_messages` that `SelectedRecordsStream` replaces for report
# streams, by the SHA-256 of its source. If an SDK upgrade changes it, compare the new source
# with `tap_tiktok_ads/selected_records.py`, carry the change over and update the digest.
GENERATE_RECORD_MESSAGES_SHA256 = "9b5f9fbcdedb7a1aec5673a44f51fd9bd88840f19f0fb29cba9953b9d9095bfe"


def test_the_record_message_hook_report_streams_replace_is_the_pinned_one() -> None:
    source = inspect.getsource(Stream._generate_record_messages)
    assert hashlib.sha256(source.encode()).hexdigest() == GENERATE_RECORD_MESSAGES_SHA256
    assert "for record_message in self._generate_record_messages(record):" in (
        inspect.getsource(Stream._write_record_message)
    )
    assert ReportStream._generate_record_messages is SelectedRecordsStream._generate_record_messages
    assert EntityStream._generate_record_messages is Stream._generate_record_messages


def test_report_records_give_the_sdk_s_messages_without_its_walk() -> None:
    """Same messages as the SDK's hook, stream maps and a deselected emitted property included."""
    tap = TapTikTokAds(
        config={"stream_maps": {"ad_report_daily": {"spend_twice": "spend * 2"}}},
        message_writer=CollectingWriter(),
    )
    try:
        stream = tap.streams["ad_report_daily"]
        assert isinstance(stream, ReportStream)
        row = {
            "dimensions": {"ad_id": "9", "stat_time_day": "2026-01-02 00:00:00"},
            "metrics": dict.fromkeys(stream.selected_metrics, "3"),
        }
        record = stream.typer.record("1", row, "UTC")
        stream.mask[("properties", "clicks")] = False  # emitted, then deselected
        assert "clicks" in record
        ours = list(stream._generate_record_messages(dict(record)))
        sdk = list(Stream._generate_record_messages(stream, dict(record)))
        assert [m.to_dict() | {"time_extracted": None} for m in ours] == [
            m.to_dict() | {"time_extracted": None} for m in sdk
        ]
        assert "clicks" not in ours[0].record
        assert ours[0].record["spend_twice"] == 6.0
    finally:
        tap.runtime.close()


def test_a_stream_can_write_its_whole_state_when_it_holds_more_than_bookmarks(
    tap: TapTikTokAds,
) -> None:
    """Async reads keep task ids next to the partitions (`report_tasks` in the stream's state)
    and write a STATE message at once through `state_manager.is_flushed` and
    `_write_state_message`: the STATE carries the extra key, and the SDK keeps it."""
    writer = tap.message_writer
    assert isinstance(writer, CollectingWriter)
    stream = tap.streams["ad_report_daily"]
    stream.stream_state["report_tasks"] = {"1": {"task_id": "7"}}
    before = len(writer.messages)
    stream.state_manager.is_flushed = False
    stream._write_state_message()
    [message] = writer.messages[before:]
    assert message["type"] == "STATE"
    assert message["value"]["bookmarks"]["ad_report_daily"]["report_tasks"] == {
        "1": {"task_id": "7"}
    }
    assert stream.state_manager.is_flushed


def test_children_are_synced_through_the_hooks_entity_history_uses(tap: TapTikTokAds) -> None:
    """History streams and `pixel_event_stats_daily` rely on `_sync_children(child_context)`
    syncing each selected child, on `generate_child_contexts` being the per-record hook, and
    on the SDK linking a child to its parent by class (`parent_stream_type`)."""
    assert list(inspect.signature(Stream._sync_children).parameters) == ["self", "child_context"]
    assert list(inspect.signature(Stream.generate_child_contexts).parameters) == [
        "self",
        "record",
        "context",
    ]
    assert "generate_child_contexts" in inspect.getsource(Stream._process_record)
    for name in ("campaigns", "adgroups", "ads"):
        entity, history = tap.streams[name], tap.streams[f"{name}_history"]
        assert entity.child_streams == [history]
        assert history.parent_stream_type is type(entity)
    pixels, stats = tap.streams["pixels"], tap.streams["pixel_event_stats_daily"]
    assert pixels.child_streams == [stats]
    assert stats.parent_stream_type is type(pixels)


# The SDK code `tap_tiktok_ads/deferred_maps.py` mirrors, by the SHA-256 of its source. If an
# SDK upgrade changes one, compare it with that module, carry the change over and update here.
SETUP_MAPPER_SHA256 = "29be842dc31d215be20ab50c643a9c570d326dbf6f5c7f1cfe58498f7338d6a9"
REGISTER_FROM_CATALOG_SHA256 = "76df99ad923d2aab71de37ffc99f5d292b0f1aec9627837a5bec86b1e8f4a9ac"


def test_the_mapper_setup_the_tap_defers_is_the_pinned_one() -> None:
    """The tap's `setup_mapper` is the SDK's with the catalog registered by `register_catalog`."""
    digest = _source_digest(Tap.setup_mapper)
    assert digest == SETUP_MAPPER_SHA256
    source = inspect.getsource(PluginMapper.register_raw_streams_from_catalog)
    assert hashlib.sha256(source.encode()).hexdigest() == REGISTER_FROM_CATALOG_SHA256
    # A stream looks its maps up by name in the mapper's dict, which registers deferred ones.
    assert "self._tap.mapper.stream_maps[self.name]" in inspect.getsource(
        Stream.stream_maps.fget  # type: ignore[attr-defined]
    )


# The SDK methods whose work `PageBatchedStream._sync_records` does once per page for report
# streams (tap_tiktok_ads/batched_records.py), and the encoding `BufferedMsgSpecWriter.
# write_records` reproduces, by the SHA-256 of their source. If an SDK upgrade changes one,
# compare the new source with those two modules, carry the change over, update the digest.
PAGE_LOOP_SHA256 = {
    "Stream._sync_records": "8928dc7f50e9bf57cc98734b30e3953b0e19007f85fe020a0c80ccdbcf5d329f",
    "Stream._process_record": "8529b9f3ce2f849db6858c120e7ea1b8ff246714ea48edb355ca3eb6a9c27c0b",
    "Stream._write_record_message": (
        "292b7bed39883bd999839ea8ac5153ab52287f6120f7203902892510b0cfbd08"
    ),
    "RecordMessage.to_dict": "821fe177d16c97aa492e33f6b4297f67b61b12149f7d799b7e7c58aa56735626",
    "MsgSpecWriter.serialize_message": (
        "e00a8a7be058c6fd002ed659f1d7d881906286aa5bbd4f3c997860b1b7b710fd"
    ),
    "serialize_jsonl": "0ed6a3e279467f0d151baadf5484c5a9ca2afbfdceb88fa7dc90b1206b7b14a1",
}


def test_the_sdk_loop_report_pages_replace_is_the_pinned_one() -> None:
    from singer_sdk.contrib.msgspec import MsgSpecWriter, serialize_jsonl
    from singer_sdk.singerlib import RecordMessage

    from tap_tiktok_ads.batched_records import PageBatchedStream

    sources = {
        "Stream._sync_records": Stream._sync_records,
        "Stream._process_record": Stream._process_record,
        "Stream._write_record_message": Stream._write_record_message,
        "RecordMessage.to_dict": RecordMessage.to_dict,
        "MsgSpecWriter.serialize_message": MsgSpecWriter.serialize_message,
        "serialize_jsonl": serialize_jsonl,
    }
    digests = {name: _source_digest(function) for name, function in sources.items()}
    assert digests == PAGE_LOOP_SHA256
    assert ReportStream._sync_records is PageBatchedStream._sync_records
    assert EntityStream._sync_records is Stream._sync_records


# `tap_tiktok_ads/catalog_schema.py` copies `Stream.apply_catalog` but for the schema's
# conversion, done in `effective_schema`; if either changes, carry the change over.
APPLY_CATALOG_SHA256 = "c1809c2cdad3f115a7d09a87c6fcbb235afa58bb3e37363923cac7c0bc171367"
EFFECTIVE_SCHEMA_SHA256 = "09877c311ef20b8be7662fd22d9976cc2261ab11dbda90118952dc02e7fc29e2"


def test_the_catalog_application_the_tap_copies_is_the_pinned_one() -> None:
    source = inspect.getsource(Stream.apply_catalog)
    assert hashlib.sha256(source.encode()).hexdigest() == APPLY_CATALOG_SHA256
    getter = Stream.effective_schema.fget  # type: ignore[attr-defined]
    assert _source_digest(getter) == (EFFECTIVE_SCHEMA_SHA256)
    # `effective_schema` is the only reader of `_input_schema` in the SDK's streams.
    from singer_sdk.streams import core

    assert inspect.getsource(core).count("self._input_schema") == 4  # init, apply, read twice


# `tap_tiktok_ads/input_catalog.py` builds the SDK's catalog entries but parses a deselected
# stream's schema and metadata on first read, and answers the stream's selection, its mask
# and stream metadata as the SDK's rules would; `catalog_schema.py` overrides
# `Stream.selected`. If one of these changes, compare it with those modules, carry the change
# over and update the digest here.
CATALOG_SHA256 = {
    "Catalog.from_dict": "3be28d4a414af6b57b84331efd4cfe0865c9f4db05341a73b1def1c33462ea8f",
    "CatalogEntry.from_dict": "1aac05645123b52a71d16d809dcad11093d77d52bb8127feefd73acac8542dbe",
    "MetadataMapping.from_iterable": (
        "803a90966a6121749d3c56c67f953b0a25db67fa2bdbf26256329afcd45fedac"
    ),
    "MetadataMapping.resolve_selection": (
        "360c0c4df00459349f13fc47a6e784ce88d6d23652760270f38b6de75f3e7302"
    ),
    "MetadataMapping._breadcrumb_is_selected": (
        "f16d48ec7fb1b2febff82722ec57af4e7c09df6b741279ed5ef0174d01fdf55b"
    ),
    "Stream.selected": "2f8be40188721a1c295826f2e068a0c5a24a41c0d504488cc249d22bd6d1dfa8",
    "Stream.selected.setter": "7ffa0d37db97f4a935ea9409105e1d63434ffa79863e40d2e5af651aa66ea779",
    "Stream.metadata": "09264aec62e7476e5d8565cd8a1db74ea02cca3f9b904518ca1ec00da826f488",
    "Tap.__init__": "ba24f58616a2c17459c68bdac69736e76af2016958947d81a83e4734b87afa27",
}


def test_the_catalog_classes_the_tap_reads_lazily_are_the_pinned_ones() -> None:
    from singer_sdk.singerlib.catalog import CatalogEntry, MetadataMapping

    sources = {
        "Catalog.from_dict": Catalog.from_dict,
        "CatalogEntry.from_dict": CatalogEntry.from_dict,
        "MetadataMapping.from_iterable": MetadataMapping.from_iterable,
        "MetadataMapping.resolve_selection": MetadataMapping.resolve_selection,
        "MetadataMapping._breadcrumb_is_selected": MetadataMapping._breadcrumb_is_selected,
        "Stream.selected": Stream.selected.fget,  # type: ignore[attr-defined]
        "Stream.selected.setter": Stream.selected.fset,  # type: ignore[attr-defined]
        "Stream.metadata": Stream.metadata.fget,  # type: ignore[attr-defined]
        "Tap.__init__": Tap.__init__,
    }
    digests = {name: _source_digest(function) for name, function in sources.items()}
    assert digests == CATALOG_SHA256
    # The entry's schema and metadata are slots of its dataclass that a subclass can fill later.
    assert {"schema", "metadata"} <= set(CatalogEntry.__slots__)
    assert all(
        type(CatalogEntry.__dict__[name]).__name__ == "member_descriptor"
        for name in ("schema", "metadata")
    )
