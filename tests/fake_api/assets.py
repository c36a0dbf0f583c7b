"""The ad account's creative library: videos, images, creative portfolios, Spark Ads posts.

Videos and images (`file/video/ad/search/`, `file/image/ad/search/`), from Docs
1740050472224769 and 1740052016789506: `advertiser_id`, `filtering`, `page` (>= 1) and
`page_size` (default 20, 1-100); each lists the most recently modified assets first (the
reference: "the 10,000 most recently modified videos"; that the list is sorted that way is
inferred). Times are UTC in `2020-06-10T07:39:14Z` form.

Creative portfolios (`creative/portfolio/list/`, Doc 1766324010279938): `filtering` with
`creative_portfolio_types` (not PRODUCT_CARD/PRODUCT_TILE) and `creative_portfolio_ids` (100),
`page_size` default 20, 1-100, the list in `data.creative_portfolios`. Spark Ads posts
(`tt_video/list/`, Go SDK `model/ttvideo/list.go`; the page is not stored): `item_types`
(VIDEO, CAROUSEL; default both), `keyword`, `page_size` default 20, 1-50. Their order (newest
first) is inferred.

The world, a pure function of the `DataSpec` and the advertisers (sorted): of every three, the
first has `assets_per_advertiser` of each, the second half as many plus one, the third none.
`touch_asset` edits one asset of one `FakeData` (tests that touch use their own).
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

from tests.fake_api.entity_fields import UNDOCUMENTED_FIELD
from tests.fake_api.hashing import hash_ints, text_key
from tests.fake_api.paging import advertiser, fail, filtering, id_list, page
from tests.fake_api.routes import register

if TYPE_CHECKING:
    from tests.fake_api.data import FakeData
    from tests.fake_api.request import ApiRequest

DEFAULT_PAGE_SIZE = 20  # Docs 1740050472224769, 1740052016789506
MAX_PAGE_SIZE = 100  # Docs 1740050472224769, 1740052016789506: page_size 1-100
MAX_VIDEO_IDS = 100  # Doc 1740050472224769: filtering.video_ids "Max size: 100"
MAX_VIDEO_MATERIAL_IDS = 20  # Doc 1740050472224769: filtering.material_ids "Max size: 20"
MAX_IMAGE_IDS = 100  # Doc 1740052016789506: image_ids and material_ids, at most 100 each
TIME_FORMAT = "%Y-%m-%dT%H:%M:%SZ"  # Docs 1740050472224769, 1740052016789506
PREVIEW_TIME_FORMAT = "%Y-%m-%d %H:%M:%S"  # Doc 1740050472224769: preview_url_expire_time
PARAMETERS = ("advertiser_id", "filtering", "page", "page_size")
VIDEO_FILTERS = ("video_ids", "material_ids", "video_name", "video_material_sources")
IMAGE_FILTERS = ("height", "image_ids", "material_ids", "ratio", "width", "displayable")
PLACEMENTS = ("PLACEMENT_TIKTOK", "PLACEMENT_PANGLE")
PORTFOLIO_PARAMETERS = ("advertiser_id", "filtering", "page", "page_size")
PORTFOLIO_FILTERS = ("creative_portfolio_types", "creative_portfolio_ids")
MAX_PORTFOLIO_IDS = 100  # Doc 1766324010279938: creative_portfolio_ids "Max size: 100"
# Doc 1766324010279938: the types `creative_portfolio_types` filters on (not the product ones).
PORTFOLIO_TYPE_FILTERS = frozenset(
    {
        "CARD",
        "WEB_INFO_CARD",
        "DOWNLOAD_CARD",
        "INVENTORY_CARD",
        "COUNTDOWN_STICKER",
        "REMINDER_COUNTDOWN_STICKER",
        "LIVE_REMINDER_COUNTDOWN_STICKER",
        "GIFTCODE_STICKER",
        "PREMIUM_BADGE",
        "GESTURE",
        "SUPER_LIKE",
    }
)
POST_PARAMETERS = ("advertiser_id", "item_types", "keyword", "page", "page_size")
POST_MAX_PAGE_SIZE = 50  # Go SDK ttvideo.ListRequest: page_size 1-50
POST_TYPES = frozenset({"VIDEO", "CAROUSEL"})


@dataclass
class AssetWorld:
    """Every advertiser's videos and images, as the search endpoints return them."""

    videos: dict[str, list[dict[str, Any]]]
    images: dict[str, list[dict[str, Any]]]
    portfolios: dict[str, list[dict[str, Any]]]
    posts: dict[str, list[dict[str, Any]]]


_WORLDS: weakref.WeakKeyDictionary[FakeData, AssetWorld] = weakref.WeakKeyDictionary()


def _moment(data: FakeData, *parts: int) -> datetime:
    first = datetime.combine(data.spec.first_day, datetime.min.time(), tzinfo=timezone.utc)
    return first + timedelta(seconds=hash_ints(data.spec.seed, *parts) % (60 * 86_400))


def _video(data: FakeData, advertiser_id: str, number: int) -> dict[str, Any]:
    key = text_key(advertiser_id)
    created = _moment(data, key, number, 1)
    modified = created + timedelta(hours=number % 3, minutes=number)
    h = hash_ints(data.spec.seed, key, number, 2)
    video_id = f"v10033g50000{h % 10**12:012d}"
    newer = {UNDOCUMENTED_FIELD: f"value {number}"} if number % 3 == 1 else {}
    return {
        **newer,  # a field TikTok added after the transcription, on some (see entity_fields)
        "video_id": video_id,
        "video_cover_url": f"https://example.com/cover/{video_id}.image?x-expires=1671742348",
        "format": "mp4",
        "preview_url": f"https://example.com/preview/{video_id}.mp4",
        "preview_url_expire_time": (modified + timedelta(hours=6)).strftime(PREVIEW_TIME_FORMAT),
        "duration": 5 + (h % 5000) / 1000,
        "height": 1280,
        "width": 720,
        "bit_rate": 1_000_000 + h % 900_000,
        "signature": f"{h:016x}{h >> 3:016x}"[:32],
        "size": 500_000 + h % 2_000_000,
        "material_id": str(7_000_000_000_000_000_000 + h % 10**18),
        "allowed_placements": list(PLACEMENTS[: 1 + number % 2]),
        "allow_download": number % 2 == 0,
        "file_name": f"video_{number}.mp4",
        "create_time": created.strftime(TIME_FORMAT),
        "modify_time": modified.strftime(TIME_FORMAT),
        "displayable": number % 4 != 3,
    }


def _image(data: FakeData, advertiser_id: str, number: int) -> dict[str, Any]:
    key = text_key(advertiser_id)
    created = _moment(data, key, number, 3)
    modified = created + timedelta(minutes=7 * number)
    h = hash_ints(data.spec.seed, key, number, 4)
    image_id = f"ad-site-i18n-sg/{h % 10**16:016d}"
    newer = {UNDOCUMENTED_FIELD: f"value {number}"} if number % 3 == 1 else {}
    return {
        **newer,  # a field TikTok added after the transcription, on some (see entity_fields)
        "image_id": image_id,
        "material_id": str(7_100_000_000_000_000_000 + h % 10**18),
        "is_carousel_usable": number % 2 == 1,
        "width": 1280,
        "height": 720 if number % 2 else 1280,
        "format": "jpeg" if number % 3 else "png",
        "image_url": f"https://example.com/image/{h % 10**16}.jpeg",
        "signature": f"{h:016x}{h >> 5:016x}"[:32],
        "size": 100_000 + h % 100_000,
        "file_name": f"image_{number}.jpeg",
        "create_time": created.strftime(TIME_FORMAT),
        "modify_time": modified.strftime(TIME_FORMAT),
        "displayable": number % 3 != 2,
    }


def _portfolio(  # noqa: PLR0911 - one return per kind
    data: FakeData, advertiser_id: str, number: int, kind: int
) -> dict[str, Any]:
    """One portfolio of one of the eight kinds whose fields the reference describes."""
    h = hash_ints(data.spec.seed, text_key(advertiser_id), number, 5)
    portfolio_id = str(7_400_000_000_000_000_000 + h % 10**18)
    newer = {UNDOCUMENTED_FIELD: f"value {number}"} if number % 3 == 1 else {}
    base = {
        **newer,  # a field TikTok added after the transcription, on some (see entity_fields)
        "creative_portfolio_id": portfolio_id,
        "creative_portfolio_preview_url": f"https://example.com/portfolio/{portfolio_id}.png",
    }
    if kind == 0:
        return {
            **base,
            "creative_portfolio_type": "CARD",
            "card_type": "IMAGE",
            "image_id": f"ad-site-i18n-sg/{h % 10**12}",
        }
    if kind == 1:
        return {
            **base,
            "creative_portfolio_type": "WEB_INFO_CARD",
            "title": f"Card {number}",
            "selling_points": ["Fast", "Cheap"],
            "content_url": "",
            "image_id": f"ad-site-i18n-sg/{h % 10**11}",
        }
    if kind == 2:
        return {
            **base,
            "creative_portfolio_type": "DOWNLOAD_CARD",
            "layouts": ["TYPE_1"],
            "description": "An app",
            "tags": ["RATING", "FILESIZE"],
            "category_label": "Games",
            "app_id": str(h % 10**9),
            "thumbnail_id": f"ad-site-i18n-sg/{h % 10**10}",
        }
    if kind in {3, 7}:
        gesture = {
            **base,
            "creative_portfolio_type": "GESTURE",
            "gesture_type": "STRAIGHT_SLIDE" if kind == 3 else "CURVED_SLIDE",
            "pop_up_window_image_id": f"ad-site-i18n-sg/{h % 10**9}",
            "call_to_action_text": "Swipe",
            "badge_show_time": 3,
            "badge_position": {"position_x": 0.25, "position_y": 0.5, "angle": 45},
            "interactive_music_id": "https://example.com/music.mp3",
        }
        if kind == 3:
            return {**gesture, "slide_length": 120.5}
        return {**gesture, "slide_dimension": {"dimension_width": 80, "dimension_height": 40.5}}
    if kind == 5:
        return {
            **base,
            "creative_portfolio_type": "PRODUCT_CARD",
            "thumbnail_id": f"ad-site-i18n-sg/{h % 10**8}",
            "card_show_price": True,
            "card_tags": ["BRAND", "DESC"],
            "card_image_index": 1,
        }
    if kind == 6:
        return {
            **base,
            "creative_portfolio_type": "PREMIUM_BADGE",
            "thumbnail_id": f"ad-site-i18n-sg/{h % 10**7}",
            "call_to_action_text": "Shop now",
            "badge_show_time": 2,
            "badge_position": {"position_x": 0.1, "position_y": 0.2, "angle": 0},
            "badge_image_info": {"image_id": f"ad-site-i18n-sg/{h % 10**6}"},
        }
    return {
        **base,
        "creative_portfolio_type": "COUNTDOWN_STICKER",
        "sticker_param": {
            "sticker_type": "COUNTDOWN",
            "title": "Sale ends",
            "cutoff_time": "2026-12-24 00:00:00",
            "color": "ORANGE",
            "display_angle": 0,
            "predefined_placement": "196x148x0.8",
            "position_x": 196,
            "position_y": 148,
            "size": "0.8",
            "opacity": "1",
        },
    }


def _post(data: FakeData, advertiser_id: str, number: int) -> dict[str, Any]:
    """One authorised post as `tt_video/list/` returns it: item, auth, user and video info."""
    key = text_key(advertiser_id)
    h = hash_ints(data.spec.seed, key, number, 6)
    item_id = str(7_500_000_000_000_000_000 + h % 10**18)
    started = _moment(data, key, number, 7)
    carousel = number % 2 == 1
    auth_info = {
        "ad_auth_status": "AUTHORIZED",
        "auth_start_time": started.strftime(PREVIEW_TIME_FORMAT),
        "auth_end_time": (started + timedelta(days=365)).strftime(PREVIEW_TIME_FORMAT),
        "invite_start_time": (started - timedelta(days=1)).strftime(PREVIEW_TIME_FORMAT),
    }
    video_info = {
        "video_id": f"v0{h % 10**15:015d}",
        "file_name": f"post_{number}.mp4",
        "format": "mp4",
        "width": 1080,
        "height": 1920,
        "duration": 15.5,
        "size": 3_000_000 + h % 1000,
        "bit_rate": 2_000_000,
        "signature": f"{h:032x}"[-32:],
        "poster_url": f"https://example.com/poster/{item_id}.jpeg",
        "preview_url": f"https://example.com/preview/{item_id}.mp4",
        "url": f"https://example.com/video/{item_id}.mp4",
    }
    return {
        "item_info": {
            "item_id": item_id,
            "auth_code": f"#{h % 10**20:020d}",
            "item_type": "CAROUSEL" if carousel else "VIDEO",
            "text": f"Post {number} #summer",
            "status": "ITEM_STATUS_PUBLIC",
            "is_multi_duet_stitch": number == 2,
            "stitch_original_item_id": str(h % 10**19) if number == 2 else None,
            "duet_original_item_id": str(h % 10**18) if number == 2 else None,
            "mentioned_item_ids": [],
            "anchor_list": [
                {
                    "id": str(h % 10**6),
                    "anchor_id": str(h % 10**7),
                    "title": "Shop now",
                    "status": "CHECK_SUCCESS",
                    "product_regions": ["US"],
                    "url": "https://example.com/shop",
                }
            ],
            "carousel_info": {
                "image_info": [
                    {
                        "image_id": f"img{number}",
                        "image_url": "https://example.com/1.jpeg",
                        "image_width": 1080,
                        "image_height": 1350,
                    }
                ],
                "music_info": [
                    {
                        "music_id": str(h % 10**8),
                        "music_url": "https://example.com/m.mp3",
                        "music_duration": 30,
                    }
                ],
            }
            if carousel
            else None,
        },
        "auth_info": auth_info,
        "user_info": {
            "tiktok_name": f"creator_{number}",
            "identity_id": str(h % 10**12),
            "identity_type": "AUTH_CODE",
        },
        "video_info": dict.fromkeys(video_info) if carousel else video_info,
        # A member TikTok added after the transcription (see entity_fields), beside the others.
        **({UNDOCUMENTED_FIELD: f"value {number}"} if number % 3 == 1 else {}),
    }


def asset_world(data: FakeData) -> AssetWorld:
    """The creative library of this fake's data (built once per `FakeData`)."""
    world = _WORLDS.get(data)
    if world is None:
        world = AssetWorld({}, {}, {}, {})
        many = data.spec.assets_per_advertiser
        for index, advertiser_id in enumerate(data.advertiser_ids()):
            numbers = range((many, many // 2 + 1, 0)[index % 3])
            world.videos[advertiser_id] = [_video(data, advertiser_id, n) for n in numbers]
            world.images[advertiser_id] = [_image(data, advertiser_id, n) for n in numbers]
            world.portfolios[advertiser_id] = [
                _portfolio(data, advertiser_id, n, (index * many + n) % 8) for n in numbers
            ]
            world.posts[advertiser_id] = [_post(data, advertiser_id, n) for n in numbers]
        _WORLDS[data] = world
    return world


def touch_asset(data: FakeData, advertiser_id: str, asset_id: str, when: datetime) -> None:
    """Pretend a video or image was edited at `when`: its `modify_time` moves there."""
    world = asset_world(data)
    for record in [*world.videos[advertiser_id], *world.images[advertiser_id]]:
        if asset_id in {record.get("video_id"), record.get("image_id")}:
            record["modify_time"] = when.astimezone(timezone.utc).strftime(TIME_FORMAT)
            return
    message = f"advertiser {advertiser_id} has no asset {asset_id}"
    raise KeyError(message)


def _newest_first(records: list[dict[str, Any]], id_field: str) -> list[dict[str, Any]]:
    return sorted(records, key=lambda r: (r["modify_time"], r[id_field]), reverse=True)


def video_search(request: ApiRequest) -> dict[str, Any]:
    """One page of the advertiser's videos, newest modification first."""
    advertiser_id = advertiser(request, PARAMETERS)
    filters = filtering(request, VIDEO_FILTERS)
    video_ids = id_list(filters.get("video_ids"), "filtering.video_ids", MAX_VIDEO_IDS)
    material_ids = id_list(
        filters.get("material_ids"), "filtering.material_ids", MAX_VIDEO_MATERIAL_IDS
    )
    name = filters.get("video_name")
    if name is not None and not isinstance(name, str):
        raise fail("filtering.video_name: Not a valid string.")
    if filters.get("video_material_sources") is not None:
        raise fail("The fake API does not model video material sources.")
    found = [
        dict(record)
        for record in asset_world(request.api.data).videos.get(advertiser_id, [])
        if (video_ids is None or record["video_id"] in video_ids)
        and (material_ids is None or record["material_id"] in material_ids)
        and (name is None or name.lower() in record["file_name"].lower())
    ]
    rows = _newest_first(found, "video_id")
    return page(request, rows, default_size=DEFAULT_PAGE_SIZE, max_size=MAX_PAGE_SIZE)


def image_search(request: ApiRequest) -> dict[str, Any]:
    """One page of the advertiser's images, newest modification first."""
    advertiser_id = advertiser(request, PARAMETERS)
    filters = filtering(request, IMAGE_FILTERS)
    image_ids = id_list(filters.get("image_ids"), "filtering.image_ids", MAX_IMAGE_IDS)
    material_ids = id_list(filters.get("material_ids"), "filtering.material_ids", MAX_IMAGE_IDS)
    if any(filters.get(name) is not None for name in ("height", "width", "ratio")):
        raise fail("The fake API does not model image size filters.")
    displayable = filters.get("displayable", False)
    if not isinstance(displayable, bool):
        raise fail("filtering.displayable: Not a valid boolean.")
    found = [
        dict(record)
        for record in asset_world(request.api.data).images.get(advertiser_id, [])
        if (image_ids is None or record["image_id"] in image_ids)
        and (material_ids is None or record["material_id"] in material_ids)
        and (not displayable or record["displayable"])
    ]
    rows = _newest_first(found, "image_id")
    return page(request, rows, default_size=DEFAULT_PAGE_SIZE, max_size=MAX_PAGE_SIZE)


def portfolio_list(request: ApiRequest) -> dict[str, Any]:
    """One page of the advertiser's creative portfolios, by id, newest first."""
    advertiser_id = advertiser(request, PORTFOLIO_PARAMETERS)
    filters = filtering(request, PORTFOLIO_FILTERS)
    types = filters.get("creative_portfolio_types")
    if types is not None and (
        not isinstance(types, list) or not set(types) <= PORTFOLIO_TYPE_FILTERS
    ):
        raise fail(f"filtering.creative_portfolio_types: {types!r} is not a valid value.")
    ids = id_list(
        filters.get("creative_portfolio_ids"),
        "filtering.creative_portfolio_ids",
        MAX_PORTFOLIO_IDS,
    )
    rows = sorted(
        (
            dict(portfolio)
            for portfolio in asset_world(request.api.data).portfolios.get(advertiser_id, [])
            if (types is None or portfolio["creative_portfolio_type"] in types)
            and (ids is None or portfolio["creative_portfolio_id"] in ids)
        ),
        key=lambda portfolio: portfolio["creative_portfolio_id"],
        reverse=True,
    )
    return page(
        request,
        rows,
        default_size=DEFAULT_PAGE_SIZE,
        max_size=MAX_PAGE_SIZE,
        list_key="creative_portfolios",
    )


def post_list(request: ApiRequest) -> dict[str, Any]:
    """One page of the Spark Ads posts authorised to the advertiser, newest first."""
    advertiser_id = advertiser(request, POST_PARAMETERS)
    types = request.text_list("item_types") or sorted(POST_TYPES)
    if not set(types) <= POST_TYPES:
        raise fail(f"item_types: {types!r} is not a valid value.")
    keyword = request.text("keyword")
    rows = sorted(
        (
            {
                name: dict(value) if isinstance(value, dict) else value
                for name, value in post.items()
            }
            for post in asset_world(request.api.data).posts.get(advertiser_id, [])
            if post["item_info"]["item_type"] in types
            and (
                keyword is None
                or keyword == post["item_info"]["item_id"]
                or keyword.lower() in post["item_info"]["text"].lower()
            )
        ),
        key=lambda post: post["auth_info"]["auth_start_time"],
        reverse=True,
    )
    return page(request, rows, default_size=DEFAULT_PAGE_SIZE, max_size=POST_MAX_PAGE_SIZE)


register("file/video/ad/search/", video_search)
register("file/image/ad/search/", image_search)
register("creative/portfolio/list/", portfolio_list)
register("tt_video/list/", post_list)
