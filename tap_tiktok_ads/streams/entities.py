"""Campaigns, ad groups and ads: one stream class, parameterised by an entity definition.

Each is read per advertiser and replicated incrementally on `modify_time`. TikTok returns
entities by id, not by modification time, so the bookmark is the largest `modify_time` seen
and is written only once every entity of that advertiser was emitted: an interrupted run
never skips an entity. The first run emits every entity whatever its age (`start_date` is
about report days, not entities); later runs emit the entities whose `modify_time` is at or
after the bookmark, and every entity TikTok sends without `modify_time` (Upgraded Smart+ ads,
Promote entities): nothing tells whether it changed, so it is never skipped.

Every run reads every entity: no server-side `modified_after` (only `ad/get/` has it, reference
3.5), as TikTok does not document how it treats entities without `modify_time`, and a filter
that left out a changed one would lose that change for good.

TikTok pages by offset (Doc 1739315828649986), so an entity created or deleted while the tap
pages moves the others: a deletion on a page already read moves the next page's first entity
onto that page, where nothing reads it. When a pass's totals change while it pages, the
advertiser's bookmark stays where it was, and the next run reads every change since it again
(see `_advertiser_entities`).

Each partition's state says whether its bookmark covers deleted entities (`DELETED_READ_KEY`):
when `include_deleted` is turned on after runs without it, the deleted entities are read once
whatever their `modify_time` (the bookmark passed their deletion unread).

A campaign's change can change its ad groups and ads without moving their `modify_time`:
deleting or pausing it turns their `secondary_status` (`..._CAMPAIGN_DELETE`, ...), and they
copy its name (inferred: TikTok documents neither that a child's `modify_time` moves nor that
it does not). So an ad group or ad is emitted too when a parent of it (its campaign; an ad's
ad group too) changed after the child's bookmark (`EntityStream.parents`), and the child's
bookmark moves to that change. After, not at: at the bookmark, the parent's children would
be sent on every run until a newer change (an idle account: always); what is risked is a
parent change in the very second of one the run read, made after the read. The SDK syncs
streams by name, children before campaigns: the ad groups read their campaigns' ids and
`modify_time` (the passes the campaigns stream reads: 2 an advertiser, 4 with deleted), the
ads reuse that read and what the ad groups' own read noted of theirs. A reused read was made a
stream earlier: the child's bookmark stops where it began, so a parent changed after it (and
a child changed later still) is seen on the next run.

The schemas are TikTok's documented response fields (`tap_tiktok_ads.entity_fields`); a field
TikTok sends beyond them is kept in `extra_fields`. Every entity TikTok hides by default is
asked for: Promote campaigns, TopView and Reach & Frequency buys (see `entity_kinds`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlsplit

from typing_extensions import override

from tap_tiktok_ads import dates
from tap_tiktok_ads.bookmarks import CompleteDataBookmarks
from tap_tiktok_ads.client import PerAdvertiserStream, TikTokPaginator, TikTokStream
from tap_tiktok_ads.conform import conform
from tap_tiktok_ads.entity_fields import entity_schema
from tap_tiktok_ads.entity_kinds import DELETED, EVERY_KIND, TOP_VIEW_MAX_PAGE_SIZE, is_top_view
from tap_tiktok_ads.envelope import response_data
from tap_tiktok_ads.extra_fields import EXTRA_FIELDS, ExtraFields
from tap_tiktok_ads.paging import PageInfo
from tap_tiktok_ads.streams.entity_history import EntityHistoryStream

if TYPE_CHECKING:
    import datetime as dt
    from collections.abc import Iterable, Iterator, Mapping

    import requests
    from singer_sdk import Tap
    from singer_sdk.helpers.types import Context
    from singer_sdk.streams.rest import HTTPRequest, PageContext

    from tap_tiktok_ads.runtime import Runtime


@dataclass(frozen=True)
class EntityDefinition:
    """What differs between the entity endpoints."""

    name: str
    path: str
    id_field: str
    # Its documented fields: `data/entity_fields/<fields_file>.csv` (see `entity_fields`).
    fields_file: str
    # `filtering` objects that together return active and deleted entities; each is one
    # pass over the pages. Deleted entities are hidden by default (reference 3.3-3.5).
    with_deleted: tuple[Mapping[str, str], ...]
    # Its `page_info.total_number` counts the account's ads for TikTok's report cap.
    counts_ads: bool = False
    # The entity definitions (by name) of its parents, whose id fields its entities carry.
    parents: tuple[str, ...] = ()


ENTITIES = (
    # Campaigns document no "all statuses" value; a second pass asks for the deleted ones.
    EntityDefinition(
        "campaigns",
        "/campaign/get/",
        "campaign_id",
        "campaign_get",  # Doc 1739315828649986
        with_deleted=({}, DELETED),
    ),
    EntityDefinition(
        "adgroups",
        "/adgroup/get/",
        "adgroup_id",
        "adgroup_get",  # Doc 1739314558673922
        with_deleted=({"primary_status": "STATUS_ALL"},),
        parents=("campaigns",),
    ),
    EntityDefinition(
        "ads",
        "/ad/get/",
        "ad_id",
        "ad_get",  # Doc 1735735588640770 (fields from bububa model/ad/ad.go)
        with_deleted=({"primary_status": "STATUS_ALL"},),
        counts_ads=True,
        parents=("campaigns", "adgroups"),
    ),
)


# A partition state's key: whether its bookmark was written by a run that read the deleted
# entities (`include_deleted`); absent in older states, which count as without.
DELETED_READ_KEY = "include_deleted"


class EntityStream(CompleteDataBookmarks, PerAdvertiserStream):
    """Any entity endpoint, from its definition: one partition and bookmark per advertiser."""

    replication_key = "modify_time"
    # TikTok sorts by id, not by `modify_time`: records never move the bookmark (see
    # `_increment_stream_state`); `get_records` writes it once an advertiser is complete, so
    # every STATE message is resumable.
    is_sorted = True
    check_sorted = False

    def __init__(self, tap: Tap, runtime: Runtime, definition: EntityDefinition) -> None:
        """Build the stream for one entity definition, its schema from the reference."""
        self.definition = definition
        schema = entity_schema(definition.fields_file, ("advertiser_id", definition.id_field))
        super().__init__(tap, runtime, name=definition.name, schema=schema, path=definition.path)
        self.primary_keys = [definition.id_field]
        self._properties: dict[str, Any] = schema["properties"]
        self._documented = [name for name in self._properties if name != EXTRA_FIELDS]
        self._times = frozenset(
            name for name, prop in self._properties.items() if prop.get("format") == "date-time"
        )
        self.extra_fields = ExtraFields(self.name, schema, self.logger)
        self.history: EntityHistoryStream | None = None  # its `<name>_history` child stream
        self._paginator: TikTokPaginator | None = None  # the pass being read's
        self._told_deleted_unread = False
        # The entity streams whose entities' changes show in this one's (campaigns for ad
        # groups; campaigns and ad groups for ads), and those of which this one is a parent.
        self.parents: list[EntityStream] = []
        self.children: list[EntityStream] = []
        # advertiser -> (since when, id -> last change or None, when the read began) read in
        # this run: its entities changed since its children's oldest bookmark, which they ask
        # for. The start bounds their bookmarks: a change after it was not seen.
        self._recent: dict[str, tuple[dt.datetime, dict[str, dt.datetime | None], dt.datetime]] = {}

    def requested_fields(self) -> list[str] | None:
        """The `fields` parameter: the selected documented fields, or None for all of them.

        Without `fields` TikTok sends every field, undocumented ones too (`extra_fields`
        keeps those); so it is sent only when some documented field is deselected in this
        stream and its history stream, of those selected. The id, the advertiser and the
        times the bookmark needs are always asked for.
        """
        masks = [stream.mask for stream in (self, self.history) if stream and stream.selected]
        selected = [
            name
            for name in self._documented
            if any(mask.get(("properties", name), True) for mask in masks)
        ]
        if len(selected) == len(self._documented):
            return None
        parent_ids = [parent.definition.id_field for parent in self.parents]
        needed = (
            "advertiser_id",
            self.definition.id_field,
            *parent_ids,
            "create_time",
            "modify_time",
        )
        return list(dict.fromkeys([*needed, *selected]))

    @override
    def request_params(self, context: Context | None) -> dict[str, Any]:
        """The advertiser, the selected fields (or the context's) and the pass's `filtering`."""
        context = context or {}
        params: dict[str, Any] = {"advertiser_id": context["advertiser_id"]}
        fields = context.get("fields") or self.requested_fields()
        if fields is not None:
            params["fields"] = fields
        if context.get("filtering"):
            params["filtering"] = dict(context["filtering"])
        return params

    @override
    def get_new_paginator(self) -> TikTokPaginator | None:
        """The pass's paginator, kept to tell whether TikTok's totals changed as it paged."""
        self._paginator = super().get_new_paginator()
        return self._paginator

    @override
    def get_http_request(self, *, page: PageContext) -> HTTPRequest:
        """TikTok's request, with the smaller page a TopView pass allows."""
        request = super().get_http_request(page=page)
        filtering = (page.stream_context or {}).get("filtering") or {}
        size = request.params.get("page_size")
        if is_top_view(filtering) and isinstance(size, int):
            request.params["page_size"] = min(size, TOP_VIEW_MAX_PAGE_SIZE)
        return request

    @override
    def parse_response(self, response: requests.Response) -> Iterable[dict]:
        """The page's entities; a first page of ads also counts the account's ads.

        The count tells the report streams, which sync after this one, that an account is
        over TikTok's report ad cap before they ask for a report (id_batches.py).
        """
        if self.definition.counts_ads:
            self._count_ads(response)
        return super().parse_response(response)

    def _count_ads(self, response: requests.Response) -> None:
        page_info = PageInfo.of(response_data(response))
        if page_info is None or page_info.page != 1:
            return
        total = page_info.total_number
        query = dict(parse_qsl(urlsplit(response.request.url or "").query))
        advertiser_id = query.get("advertiser_id")
        if advertiser_id:
            listing = query.get("filtering", "")
            self.runtime.ad_census.note_ad_count(advertiser_id, listing, total, self.logger)

    @override
    def get_records(self, context: Context | None) -> Iterable[dict[str, Any]]:
        """The advertiser's entities changed since the bookmark (all of them without one).

        When TikTok refuses the advertiser, its bookmark stays and the run goes on with the
        next advertiser (the run fails at its end, naming it).
        """
        if context is not None:
            yield from self.unless_refused(
                context["advertiser_id"], self._advertiser_entities(context)
            )

    @override
    def generate_child_contexts(
        self, record: dict[str, Any], context: Context | None
    ) -> Iterable[Context | None]:
        """None per record: the history stream is synced once per advertiser (see below)."""
        del record, context
        return ()

    def _advertiser_entities(self, context: Context) -> Iterable[dict[str, Any]]:
        """The advertiser's entities changed since its bookmark; then the bookmark moves.

        It stays when a pass's totals changed while it paged: an entity may have moved onto
        a page already read and been missed, and which one cannot be told. Reading the pass
        again would cost its requests at once and may meet another change; a bookmark that
        stays costs the next run only records sent again (the same keys), and every run
        reads every entity anyway. Same totals are taken as nothing missed: entities are
        listed newest first, so a creation, at the front, moves every entity after it one
        place down, which makes up for a deletion before it (inferred: TikTok documents
        neither the order's key nor how paging meets changes).
        """
        started = dates.utc_now().replace(microsecond=0)
        since = dates.parse_tiktok_time(self.resume_bookmark(context))
        include_deleted = self.runtime.settings.include_deleted
        deleted_unread = (
            include_deleted
            and since is not None
            and self.resume_state(context).get(DELETED_READ_KEY) is not True
        )
        if deleted_unread:
            self._tell_deleted_unread()
        history = self.history if self.history is not None and self.history.selected else None
        versions: list[dict[str, Any]] = []
        changed_parents, parents_complete, parents_read = (
            self._changed_parents(context, since) if since is not None else ({}, True, started)
        )
        shifted = not parents_complete
        read = _AdvertiserRead(since, changed_parents, self._children_since(context), latest=since)
        for filtering, whole in self._passes(deleted_unread=deleted_unread):
            self._paginator = None
            for record in self._pass_records(
                {**context, "filtering": filtering}, read, whole=whole
            ):
                changed = read.saw(record)
                if history is not None and changed is not None:
                    versions.append(dict(record))  # the SDK trims the yielded one in place
                yield record
            shifted = self._pass_shifted() or shifted
        # The read is complete up to its parents' changes too: else the bookmark would stay
        # before them, and their children be sent again on every run.
        latest = read.newest(read.newest_parent_change())
        if read.for_children is not None and not shifted:  # else children read it again
            self._recent[context["advertiser_id"]] = (read.for_children, read.recent, started)
        if history is not None:
            # Before the bookmark moves: a run killed in between repeats, never loses, them.
            history.hand_over(context["advertiser_id"], versions)
            self._sync_children({"advertiser_id": context["advertiser_id"]})
        if shifted:
            self.logger.warning(
                "TikTok's list of %s (or of their parents) for advertiser %s changed while the "
                "tap paged through it (entities created or deleted meanwhile), so one may have "
                "been missed: its bookmark stays at %s and the next run reads the changes since "
                "then again",
                self.name,
                context["advertiser_id"],
                since.isoformat() if since else "none (everything is read again)",
            )
        elif latest is not None:
            # Never past the clock: a `modify_time` from the future must not hide changes.
            notes = {DELETED_READ_KEY: include_deleted}
            self.set_bookmark(context, min(latest, started, parents_read).isoformat(), notes=notes)

    def _pass_records(
        self, context: Context, read: _AdvertiserRead, *, whole: bool
    ) -> Iterator[dict[str, Any]]:
        """The records of one pass to emit: all of a `whole` pass, else the changed ones.

        Changed: at or after the bookmark, or a parent changed after it, or without TikTok's
        `modify_time` (a change cannot be seen: never skipped). Each entity's change is
        noted for the child streams on the way.
        """
        for row in self.request_records(context):
            record = self._normalise(row)
            if read.for_children is not None:
                entity_id = str(record.get(self.definition.id_field))
                _note_change(read.recent, entity_id, row, read.for_children)
            changed = dates.parse_tiktok_time(row.get("modify_time"))
            recent = whole or read.since is None or changed is None or changed >= read.since
            if recent or read.parent_changed(record):
                yield record

    def _children_since(self, context: Context) -> dt.datetime | None:
        """The oldest bookmark of its child entity streams for this advertiser, if any."""
        bookmarks = [
            dates.parse_tiktok_time(child.resume_bookmark(context)) for child in self.children
        ]
        known = [bookmark for bookmark in bookmarks if bookmark is not None]
        return min(known) if known else None

    def _changed_parents(
        self, context: Context, since: dt.datetime
    ) -> tuple[dict[str, dict[str, dt.datetime | None]], bool, dt.datetime]:
        """Parent id field -> the parents changed after `since`, and when; whether complete.

        Also when the earliest of the reads began: a stream earlier when reused, and a
        parent changed since is not among them, so the child's bookmark may not pass it.
        """
        changed: dict[str, dict[str, dt.datetime | None]] = {}
        complete = True
        read_at = dates.utc_now().replace(microsecond=0)
        for parent in self.parents:
            changed[parent.definition.id_field], known, at = parent.changed_since(context, since)
            complete = complete and known
            read_at = min(read_at, at)
        return changed, complete, read_at

    def changed_since(
        self, context: Context, since: dt.datetime
    ) -> tuple[dict[str, dt.datetime | None], bool, dt.datetime]:
        """The advertiser's entities changed after `since`, and when (None: undated).

        As this stream read them in this run, else read now: their ids and `modify_time`
        only, through the passes this stream reads, and kept for its other child. The SDK
        syncs streams by name, so ad groups and ads come before campaigns: one such read
        of campaigns per advertiser serves both; ads use what the ad groups' read noted.
        False with them when TikTok's list changed while read (one may have been missed);
        then when the read began.
        """
        kept = self._recent.get(context["advertiser_id"])
        complete = True
        if kept is None or kept[0] > since:
            read_at = dates.utc_now().replace(microsecond=0)
            threshold = min(since, self._children_since(context) or since)
            recent: dict[str, dt.datetime | None] = {}
            fields = [self.definition.id_field, "modify_time"]
            for filtering, _ in self._passes(deleted_unread=False):
                self._paginator = None
                pass_context = {**context, "filtering": filtering, "fields": fields}
                for row in self.request_records(pass_context):
                    _note_change(recent, str(row.get(self.definition.id_field)), row, threshold)
                complete = complete and not self._pass_shifted()
            kept = (threshold, recent, read_at)
            if complete:
                self._recent[context["advertiser_id"]] = kept
        changes = {
            entity_id: changed
            for entity_id, changed in kept[1].items()
            if changed is None or changed > since
        }
        return changes, complete, kept[2]

    def _pass_shifted(self) -> bool:
        """Whether TikTok's totals changed while the pass just read paged."""
        return self._paginator is not None and self._paginator.totals_changed

    def _passes(self, *, deleted_unread: bool) -> list[tuple[dict[str, Any], bool]]:
        """One `filtering` object per pass, and whether it emits all it reads (no bookmark).

        Status, origin and buying-type filters. `deleted_unread`: the bookmark was written
        without `include_deleted`, so the deleted entities get a pass of their own that
        emits every one of them, whatever its `modify_time`.
        """
        settings = self.runtime.settings
        statuses: tuple[Mapping[str, str], ...] = ({},)
        if deleted_unread:
            statuses = ({}, DELETED)
        elif settings.include_deleted:
            statuses = self.definition.with_deleted
        return [
            ({**status, **hidden}, deleted_unread and status == DELETED)
            for status in statuses
            for hidden in EVERY_KIND
        ]

    def _tell_deleted_unread(self) -> None:
        """Say once per run that deleted entities are read in full, and what is not re-read."""
        if self._told_deleted_unread:
            return
        self._told_deleted_unread = True
        self.logger.warning(
            "%s: `include_deleted` is on, but bookmarks were written by runs without it: every "
            "deleted entity of those advertisers is read once, whatever its modify_time. "
            "Report days already read are not read again, so they lack deleted entities' rows; "
            "to have them, run the report streams once without their bookmarks (remove them "
            "from the state, or `meltano run --full-refresh` with only those streams selected)",
            self.name,
        )

    def _normalise(self, row: dict[str, Any]) -> dict[str, Any]:
        """ISO 8601 UTC times, values in their schema's types, undeclared fields kept.

        A field the schema does not declare goes to `extra_fields` (logged once per run and
        field), so a field TikTok adds reaches the user without a release. An entity TikTok
        sends without `modify_time` (Smart+ ads, reference 3.5; Promote entities, whose
        fields are few) gets its `create_time` there: the last change we know of, which
        moves the bookmark. An entity with neither does not move it.
        """
        record: dict[str, Any] = {}
        for name, value in row.items():
            schema = self._properties.get(name)
            if schema is None or name == EXTRA_FIELDS:
                record[name] = value  # kept as sent, in `extra_fields`
            elif name in self._times:
                moment = dates.parse_tiktok_time(value)
                record[name] = moment.isoformat() if moment else None
            else:
                record[name] = conform(value, schema)
        record = self.extra_fields.keep(record)
        if record.get("modify_time") is None and record.get("create_time") is not None:
            record["modify_time"] = record["create_time"]
        return record


@dataclass
class _AdvertiserRead:
    """What one advertiser's read of an entity stream decides with, and notes on the way."""

    since: dt.datetime | None  # its bookmark
    # parent id field -> parent id -> its change after `since` (None: undated)
    changed_parents: dict[str, dict[str, dt.datetime | None]]
    for_children: dt.datetime | None  # its children's oldest bookmark: note changes since
    recent: dict[str, dt.datetime | None] = field(default_factory=dict)
    latest: dt.datetime | None = None  # the newest change emitted (from the bookmark on)

    def saw(self, record: Mapping[str, Any]) -> dt.datetime | None:
        """Take in an emitted record; its (normalised) `modify_time`."""
        changed = dates.parse_tiktok_time(record.get("modify_time"))
        self.newest(changed)
        return changed

    def newest(self, changed: dt.datetime | None) -> dt.datetime | None:
        """`latest`, moved to `changed` if that is newer."""
        if changed is not None and (self.latest is None or changed > self.latest):
            self.latest = changed
        return self.latest

    def parent_changed(self, record: Mapping[str, Any]) -> bool:
        """Whether a parent of the entity changed after the bookmark."""
        return any(str(record.get(key)) in ids for key, ids in self.changed_parents.items())

    def newest_parent_change(self) -> dt.datetime | None:
        """The newest dated change of a parent: the read is complete up to it as well."""
        changes = [c for ids in self.changed_parents.values() for c in ids.values() if c]
        return max(changes, default=None)


def _note_change(
    recent: dict[str, dt.datetime | None],
    entity_id: str,
    row: Mapping[str, Any],
    since: dt.datetime,
) -> None:
    """Note the entity's `modify_time` if at or after `since`; without one, as None (changed)."""
    changed = dates.parse_tiktok_time(row.get("modify_time"))
    if changed is None or changed >= since:
        recent[entity_id] = changed


def entity_streams(tap: Tap, runtime: Runtime) -> list[TikTokStream]:
    """The campaigns, ad groups and ads streams, each with its history stream as a child.

    The SDK ties a child to its parent by class, so each entity stream gets a class of its own.
    """
    streams: list[TikTokStream] = []
    entities: dict[str, EntityStream] = {}
    for definition in ENTITIES:
        kind = definition.name.title()
        entity_class = type(f"{kind}Stream", (EntityStream,), {})
        entity = entities[definition.name] = entity_class(tap, runtime, definition)
        entity.parents = [entities[name] for name in definition.parents]
        for parent in entity.parents:
            parent.children.append(entity)
        history_class = type(
            f"{kind}HistoryStream", (EntityHistoryStream,), {"parent_stream_type": entity_class}
        )
        entity.history = history_class(tap, runtime, entity, definition.id_field)
        streams += [entity, entity.history]
    return streams
