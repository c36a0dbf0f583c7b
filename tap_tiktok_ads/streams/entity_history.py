"""`campaigns_history`, `adgroups_history`, `ads_history`: every version of an entity seen.

Append-only, keyed by the entity's id and its `modify_time`, so a day's spend joins the budget,
bid, status and targeting that applied that day. They cost no request: each is a child stream
of its entity stream (the SDK's parent and child streams), and the entity stream hands it the
versions it read for an advertiser once that advertiser is read, before the entity bookmark
moves. Selected alone, a history stream still reads through its entity stream (whose records
are then not written), so either way one request set serves both.

A version is what the entity read returned: the first run emits the current version of every
entity, later runs the versions changed since the entity stream's bookmark.
"""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any

from typing_extensions import override

from tap_tiktok_ads.client import TikTokStream

if TYPE_CHECKING:
    from collections.abc import Iterable

    from singer_sdk import Tap
    from singer_sdk.helpers.types import Context

    from tap_tiktok_ads.runtime import Runtime


class EntityHistoryStream(TikTokStream):
    """The versions one entity stream read, per advertiser; full table, keys make it append-only."""

    state_partitioning_keys = ("advertiser_id",)
    needs_advertisers = True  # its entity stream reads per advertiser for it

    def __init__(self, tap: Tap, runtime: Runtime, entity: TikTokStream, id_field: str) -> None:
        """A history stream for this entity stream: its schema, `modify_time` required."""
        schema = copy.deepcopy(entity.schema)
        schema["properties"]["modify_time"]["type"] = ["string"]
        schema["required"] = [*schema.get("required", []), "modify_time"]
        super().__init__(
            tap, runtime, name=f"{entity.name}_history", schema=schema, path=entity.path
        )
        self.primary_keys = [id_field, "modify_time"]
        self._pending: dict[str, list[dict[str, Any]]] = {}

    def hand_over(self, advertiser_id: str, versions: list[dict[str, Any]]) -> None:
        """Keep an advertiser's versions until the SDK syncs this stream for it."""
        self._pending[advertiser_id] = versions

    @override
    def get_records(self, context: Context | None) -> Iterable[dict[str, Any]]:
        """The versions handed over for this advertiser (each one once)."""
        if context is not None:
            yield from self._pending.pop(context["advertiser_id"], [])
