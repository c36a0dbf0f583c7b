"""Objects an ad account owns (creatives, posts, pixels, audiences): one declarative base.

Each endpoint lists one advertiser's objects page by page. The streams differ only in what
an `ObjectList` says: path, ID field, page size limit, list key and (where the objects carry
a modification time) their replication key; the schema is the stream's fields file
(`tap_tiktok_ads.stream_fields`). They are opt-in, and a refusal for lack of permission skips
the stream for that advertiser only (`streams.optional`).

None of these endpoints filters by modification time, so an incremental stream reads the whole
list and emits what changed since its bookmark; the bookmark moves once every object of that
advertiser was emitted, to the latest modification time seen (never past the clock).

A field TikTok sends that a schema does not declare is kept (`tap_tiktok_ads.extra_fields`):
each stream's schema has the `extra_fields` object. None of these endpoints takes a `fields`
parameter (Docs 1740050472224769, 1740052016789506, 1766324010279938; the Go SDK's models of
`tt_video/list/`, `pixel/list/` and `dmp/custom_audience/list/`): TikTok sends every field.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from typing_extensions import override

from tap_tiktok_ads import dates
from tap_tiktok_ads.bookmarks import CompleteDataBookmarks
from tap_tiktok_ads.conform import conform
from tap_tiktok_ads.extra_fields import ExtraFields
from tap_tiktok_ads.stream_fields import stream_schema
from tap_tiktok_ads.streams.optional import OptionalAdvertiserStream

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator

    from singer_sdk import Tap
    from singer_sdk.helpers.types import Context

    from tap_tiktok_ads.runtime import Runtime


@dataclass(frozen=True)
class ObjectList:
    """What differs between the endpoints that list an ad account's objects."""

    # The stream's name, and its fields file `data/stream_fields/<name>.csv`.
    name: str
    path: str
    # The objects' ID: with `advertiser_id`, the primary key.
    id_field: str
    # The endpoint's largest `page_size` (each definition cites its reference).
    max_page_size: int
    # Where an answer's rows are: `data.<list_key>`.
    list_key: str = "list"
    # The objects' modification time, where they carry one: the stream is incremental on it.
    replication_key: str | None = None


class AccountObjectStream(CompleteDataBookmarks, OptionalAdvertiserStream):
    """One advertiser's objects from one list endpoint; incremental if `replication_key` is set."""

    # Bookmarks move once an advertiser is complete (`set_bookmark`), never per record.
    is_sorted = True
    check_sorted = False

    def __init__(self, tap: Tap, runtime: Runtime, objects: ObjectList) -> None:
        """The stream of one `ObjectList`, and the keeper of fields its schema does not declare."""
        keys = ("advertiser_id", objects.id_field)
        schema = stream_schema(objects.name, required=keys)
        super().__init__(tap, runtime, name=objects.name, schema=schema, path=objects.path)
        self.primary_keys = keys
        self.replication_key = objects.replication_key  # type: ignore[assignment]
        self.list_key = objects.list_key
        self.max_page_size = objects.max_page_size
        self.extra_fields = ExtraFields(self.name, self.schema, self.logger)

    @override
    def request_params(self, context: Context | None) -> dict[str, Any]:
        """The advertiser; streams add their documented filters."""
        return {"advertiser_id": (context or {})["advertiser_id"]}

    @override
    def get_records(self, context: Context | None) -> Iterable[dict[str, Any]]:
        """The advertiser's objects (changed since the bookmark); none once TikTok refused it."""
        if context is not None:
            yield from self.unless_refused(
                context["advertiser_id"], self._advertiser_objects(context)
            )

    def rows(self, context: Context) -> Iterator[dict[str, Any]]:
        """The endpoint's rows for one advertiser; streams with more requests override this."""
        yield from self.request_records(context)

    def _advertiser_objects(self, context: Context) -> Iterator[dict[str, Any]]:
        started = dates.utc_now().replace(microsecond=0)
        key = self.replication_key
        since = dates.parse_tiktok_time(self.resume_bookmark(context)) if key else None
        latest = since
        for row in self.rows(context):
            owned = {**row, "advertiser_id": context["advertiser_id"]}
            record = self.extra_fields.keep(conform(owned, self.schema))
            changed = dates.parse_tiktok_time(record.get(key)) if key else None
            if since is not None and changed is not None and changed < since:
                continue
            if changed is not None and (latest is None or changed > latest):
                latest = changed
            yield record
        if key and latest is not None:
            # Never past the clock: a modification time from the future must not hide changes.
            self.set_bookmark(context, min(latest, started).isoformat())
