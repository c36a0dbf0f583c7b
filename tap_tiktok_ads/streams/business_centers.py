"""Business Centers: the `business_centers` stream and the ad accounts each one holds.

`bc/get/` lists the Business Centers the token's user belongs to (Doc 1737115687501826) and
`bc/asset/get/` with `asset_type` ADVERTISER the ad accounts a Business Center holds (Doc
1739432717798401). Neither page is stored with this project; parameters and fields are those
of the Go SDK's transcription (bububa/tiktok-business `model/bc/get.go`, `model/bc/bc.go`,
`model/bc/asset_get.go`) and TikTok's own SDK; the stream's fields, with those sources, are
`data/stream_fields/business_centers.csv`. The same asset listing resolves the run's
advertisers when `business_center_ids` is set (see `tap_tiktok_ads.advertisers`).
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

from singer_sdk import typing as th
from typing_extensions import override

from tap_tiktok_ads.client import TikTokStream
from tap_tiktok_ads.conform import conform
from tap_tiktok_ads.errors import FATAL_HELP, TikTokFatalError
from tap_tiktok_ads.extra_fields import ExtraFields
from tap_tiktok_ads.runtime import Failure
from tap_tiktok_ads.stream_fields import stream_schema

if TYPE_CHECKING:
    from collections.abc import Iterable

    from singer_sdk import Tap
    from singer_sdk.helpers.types import Context

    from tap_tiktok_ads.runtime import Runtime

BUSINESS_CENTERS = "Business Center(s)"  # how the run's final error names them
# Docs 1737115687501826, 1739432717798401: page_size 1-50 on both endpoints.
BC_MAX_PAGE_SIZE = 50
# Doc 1739432717798401: an ad account whose link to the Business Center is not (or no longer)
# approved by its owner; the Business Center cannot read it.
UNREADABLE_RELATIONS = frozenset({"UNBOUND", "PENDING", "REJECTED"})
# What `business_centers` reads of each ADVERTISER asset (Doc 1739432717798401); the asset's
# other members are kept beside them.
_HELD_FIELDS = (
    "relation_type",
    "relation_status",
    "advertiser_status",
    "advertiser_account_type",
    "advertiser_role",
    "owner_bc_name",
)


class BusinessCenterAdvertisersStream(TikTokStream):
    """`bc/asset/get/` for ADVERTISER assets: a Business Center's ad accounts (internal)."""

    name = "business_center_advertisers"
    path = "/bc/asset/get/"
    primary_keys = ("bc_id", "asset_id")
    selected_by_default = False
    max_page_size = BC_MAX_PAGE_SIZE
    schema = th.PropertiesList(
        th.Property("bc_id", th.StringType, required=True),
        th.Property("asset_id", th.StringType, required=True),
        th.Property("asset_name", th.StringType),
    ).to_dict()

    def __init__(self, tap: Tap, runtime: Runtime) -> None:
        """No Business Center listed yet this run."""
        super().__init__(tap, runtime)
        self._held: dict[str, list[dict[str, Any]]] = {}
        self._lock = threading.Lock()

    @override
    def request_params(self, context: Context | None) -> dict[str, Any]:
        """One Business Center's ad accounts (Doc 1739432717798401)."""
        return {"bc_id": (context or {})["bc_id"], "asset_type": "ADVERTISER"}

    def held_by(self, bc_id: str) -> list[dict[str, Any]]:
        """The Business Center's ad accounts, as `business_centers` records carry them.

        Listed once per run: resolving the run's advertisers (`business_center_ids`) and the
        `business_centers` stream share this stream, so the second asks TikTok nothing.
        """
        with self._lock:
            if bc_id not in self._held:
                self._held[bc_id] = [
                    {
                        **{name: row.get(name) for name in _HELD_FIELDS},
                        **{k: v for k, v in row.items() if k not in ("asset_id", "asset_name")},
                        "advertiser_id": str(row.get("asset_id")),
                        "advertiser_name": row.get("asset_name"),
                    }
                    for row in self.request_records({"bc_id": bc_id})
                ]
            return [dict(held) for held in self._held[bc_id]]

    def readable_advertiser_ids(self, bc_ids: Iterable[str]) -> list[str]:
        """The ad accounts these Business Centers hold and may read, each once, in order."""
        ids: list[str] = []
        for bc_id in bc_ids:
            held = self.held_by(bc_id)
            readable = [a for a in held if a["relation_status"] not in UNREADABLE_RELATIONS]
            if len(readable) < len(held):
                self.logger.info(
                    "Business Center %s: skipping %d ad account(s) whose link is unbound, "
                    "pending or rejected (bc/asset/get/ relation_status)",
                    bc_id,
                    len(held) - len(readable),
                )
            ids += [a["advertiser_id"] for a in readable]
        return list(dict.fromkeys(ids))


class BusinessCentersStream(TikTokStream):
    """`bc/get/`: the Business Centers of `business_center_ids`, else every one the token sees.

    Each record carries the ad accounts the Business Center holds (`bc/asset/get/`), so
    that spend can be joined to the Business Center that owns the account. Full table.
    """

    name = "business_centers"
    path = "/bc/get/"
    primary_keys = ("bc_id",)
    selected_by_default = False  # opt-in, like the other account-object streams
    schema = stream_schema(name, required=primary_keys)
    max_page_size = BC_MAX_PAGE_SIZE

    def __init__(self, tap: Tap, runtime: Runtime) -> None:
        """Read each Business Center's ad accounts through the asset endpoint."""
        super().__init__(tap, runtime)
        self.assets = BusinessCenterAdvertisersStream(tap, runtime)
        self.extra_fields = ExtraFields(self.name, self.schema, self.logger)

    @property
    @override
    def partitions(self) -> list[dict] | None:
        """One `bc/get/` per configured Business Center; one listing of all without any."""
        bc_ids = self.runtime.settings.business_center_ids
        return [{"bc_id": bc_id} for bc_id in bc_ids] if bc_ids else None

    @override
    def request_params(self, context: Context | None) -> dict[str, Any]:
        """The Business Center, when the partition names one (Doc 1737115687501826)."""
        return {"bc_id": context["bc_id"]} if context else {}

    @override
    def get_records(self, context: Context | None) -> Iterable[dict[str, Any]]:
        """`bc_info` flattened, the user's roles, and the ad accounts held.

        TikTok refusing a Business Center for lack of permission skips it with a warning
        (`tap_tiktok_ads.permissions`); another refusal of it (or of the token's access to
        Business Centers) stops this stream's partition only: the other streams go on, and
        the run fails at its end naming it, like a refused advertiser.
        """
        try:
            yield from self._business_centers(context)
        except TikTokFatalError as exc:
            key = (context or {}).get("bc_id") or "(all the token's)"
            owner = f"Business Center {key}"
            if self.runtime.permission_skips.skip(self.name, owner, exc, self.logger):
                return
            if not exc.concerns_one_advertiser:
                raise
            fix = FATAL_HELP.get(exc.code or 0, "")
            failure = Failure("access to", BUSINESS_CENTERS, key, exc.code, exc.where, fix)
            self.runtime.failures.add(failure, f"Business Center {key}: {exc}", self.logger)

    def _business_centers(self, context: Context | None) -> Iterable[dict[str, Any]]:
        """`bc_info`'s fields beside the row's others (the user's roles, any TikTok adds)."""
        for row in self.request_records(context):
            info = row.get("bc_info") or {}
            bc_id = str(info.get("bc_id"))
            record = {
                **{name: value for name, value in row.items() if name != "bc_info"},
                **info,
                "user_role": row.get("user_role"),
                "ext_user_role": row.get("ext_user_role"),
                "advertisers": self.assets.held_by(bc_id),
            }
            yield self.extra_fields.keep(conform(record, self.schema))


def business_center_streams(tap: Tap, runtime: Runtime) -> list[TikTokStream]:
    """The `business_centers` stream."""
    return [BusinessCentersStream(tap, runtime)]
