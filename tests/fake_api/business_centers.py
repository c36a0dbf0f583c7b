"""Business Centers: `bc/get/` and `bc/asset/get/` (ADVERTISER assets), deterministic.

Rules from Doc 1737115687501826 ("Get Business Centers") and Doc 1739432717798401 ("Get assets
of a Business Center") as the Go SDK transcribes them (bububa/tiktok-business `model/bc/`);
the pages are not stored with this project. `bc/get/`: optional `bc_id` (only that one), `page`,
`page_size` default 10, 1-50. `bc/asset/get/`: `bc_id` and `asset_type` required, optional
`filtering` (`user_id`, `user_email`, `keyword`), `page_size` default 10, 1-50.

The world, a pure function of the advertisers (sorted): Business Center 1 holds the first half
of them (rounded up) and one ad account whose link is still PENDING (not one the token may
read); Business Center 2 holds the second half and, as a partner's account, the first
advertiser again. Only ADVERTISER assets are modelled. A `bc_id` the fake does not know gets
40001 (inferred: TikTok's "no permission" for an object the token cannot see).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from tests.fake_api.entity_fields import UNDOCUMENTED_FIELD
from tests.fake_api.hashing import hash_ints
from tests.fake_api.paging import fail, filtering, only, page
from tests.fake_api.request import ApiError
from tests.fake_api.routes import register

if TYPE_CHECKING:
    from tests.fake_api.data import FakeData
    from tests.fake_api.request import ApiRequest

DEFAULT_PAGE_SIZE = 10  # Docs 1737115687501826, 1739432717798401
MAX_PAGE_SIZE = 50  # Docs 1737115687501826, 1739432717798401: page_size 1-50
BC_PARAMETERS = ("bc_id", "page", "page_size")
ASSET_PARAMETERS = ("bc_id", "asset_type", "filtering", "page", "page_size")
ASSET_FILTERS = ("user_id", "user_email", "keyword")
# Doc 1739432717798401: the asset types; the fake models ADVERTISER only.
ASSET_TYPES = frozenset(
    {
        "ADVERTISER",
        "CATALOG",
        "TIKTOK_SHOP",
        "PIXEL",
        "LEAD",
        "TT_ACCOUNT",
        "MANAGED_BUSINESS_ACCOUNT",
    }
)
PENDING_ADVERTISER = "7399999999999999999"  # held by Business Center 1, link not approved


@dataclass(frozen=True)
class BusinessCenter:
    """One Business Center: its `bc/get/` row and its ADVERTISER assets."""

    bc_id: str
    row: dict[str, Any]
    assets: tuple[dict[str, Any], ...]


def _asset(advertiser_id: str, relation_type: str, status: str, owner: str) -> dict[str, Any]:
    return {
        "asset_type": "ADVERTISER",
        "asset_id": advertiser_id,
        "asset_name": f"Advertiser {advertiser_id[-4:]}",
        "relation_type": relation_type,
        "relation_status": status,
        "advertiser_status": "STATUS_ENABLE",
        "advertiser_account_type": "AUCTION",
        "advertiser_role": "ADMIN" if relation_type == "OWNER_BC" else "ANALYST",
        "owner_bc_name": owner,
        # A field TikTok added after the transcription (see entity_fields).
        UNDOCUMENTED_FIELD: f"value {status}",
    }


@lru_cache(maxsize=16)
def _centers(seed: int, advertiser_ids: tuple[str, ...]) -> tuple[BusinessCenter, ...]:
    half = -(-len(advertiser_ids) // 2)
    groups = (advertiser_ids[:half], advertiser_ids[half:])
    centers = []
    for number, group in enumerate(groups, start=1):
        bc_id = str(7_300_000_000_000_000_000 + hash_ints(seed, number) % 10**18)
        name = f"Business Center {number}"
        row = {
            "bc_info": {
                "bc_id": bc_id,
                "name": name,
                "company": f"Company {number}",
                "currency": "USD",
                "registered_area": "US",
                "status": "ENABLE",
                "timezone": "Etc/GMT",
                "type": "NORMAL" if number == 1 else "AGENCY",
                "verification_status": "VERIFIED",
                # A field TikTok added after the transcription (see entity_fields).
                UNDOCUMENTED_FIELD: f"value {number}",
            },
            "user_role": "ADMIN" if number == 1 else "STANDARD",
            "ext_user_role": {"finance_role": "MANAGER" if number == 1 else None},
        }
        assets = [_asset(a, "OWNER_BC", "BOUND", name) for a in group]
        if number == 1:
            assets.append(_asset(PENDING_ADVERTISER, "OWNER_BC", "PENDING", name))
        elif advertiser_ids:
            assets.append(_asset(advertiser_ids[0], "OWNER_PARTNER", "BOUND", "Business Center 1"))
        centers.append(BusinessCenter(bc_id, row, tuple(assets)))
    return tuple(centers)


def business_centers(data: FakeData) -> tuple[BusinessCenter, ...]:
    """The fake's Business Centers (the token's user belongs to all of them)."""
    return _centers(data.spec.seed, tuple(data.advertiser_ids()))


def _center(request: ApiRequest, bc_id: str) -> BusinessCenter:
    for center in business_centers(request.api.data):
        if center.bc_id == bc_id:
            return center
    raise ApiError(40001, f"No permission to operate business center {bc_id}.")


def bc_get(request: ApiRequest) -> dict[str, Any]:
    """One page of the user's Business Centers, or just the one `bc_id` names."""
    only(request, BC_PARAMETERS)
    bc_id = request.text("bc_id")
    centers = [_center(request, bc_id)] if bc_id else business_centers(request.api.data)
    rows = [dict(center.row) for center in centers]
    return page(request, rows, default_size=DEFAULT_PAGE_SIZE, max_size=MAX_PAGE_SIZE)


def bc_asset_get(request: ApiRequest) -> dict[str, Any]:
    """One page of a Business Center's assets of one type."""
    only(request, ASSET_PARAMETERS)
    center = _center(request, request.text("bc_id", required=True) or "")
    asset_type = request.text("asset_type", required=True)
    if asset_type not in ASSET_TYPES:
        raise fail(f"asset_type: {asset_type!r} is not a valid value.")
    if asset_type != "ADVERTISER":
        raise fail("The fake API models ADVERTISER assets only.")
    filters = filtering(request, ASSET_FILTERS)
    if filters.get("user_id") and filters.get("user_email"):
        raise fail("filtering: user_id and user_email cannot be passed together.")
    keyword = filters.get("keyword")
    rows = [
        dict(asset)
        for asset in center.assets
        if not keyword or str(keyword).lower() in asset["asset_name"].lower()
    ]
    return page(request, rows, default_size=DEFAULT_PAGE_SIZE, max_size=MAX_PAGE_SIZE)


register("bc/get/", bc_get)
register("bc/asset/get/", bc_asset_get)
