"""The ad account's creative library: videos, images, creative portfolios, Spark Ads posts.

Videos and images are incremental on `modify_time`: neither search endpoint filters by it, and
each lists at most the 10,000 most recently modified assets (Docs 1740050472224769,
1740052016789506), so each run reads the list and emits the assets modified since the bookmark
(see `account_objects`). Portfolios and posts carry no modification time: full table. A field
TikTok sends beyond a schema is kept in `extra_fields` (`tap_tiktok_ads.extra_fields`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from singer_sdk import typing as th
from typing_extensions import override

from tap_tiktok_ads.extra_fields import with_extra_fields
from tap_tiktok_ads.streams.account_objects import AccountObjectStream

if TYPE_CHECKING:
    from collections.abc import Iterator

    from singer_sdk import Tap
    from singer_sdk.helpers.types import Context

    from tap_tiktok_ads.runtime import Runtime

_STRINGS = th.ArrayType(th.StringType)


class VideosStream(AccountObjectStream):
    """`file/video/ad/search/`: the videos ads can use (Doc 1740050472224769)."""

    name = "videos"
    path = "/file/video/ad/search/"
    primary_keys = ("advertiser_id", "video_id")
    replication_key = "modify_time"
    max_page_size = 100  # Doc 1740050472224769: page_size 1-100
    schema = with_extra_fields(
        th.PropertiesList(
            th.Property("advertiser_id", th.StringType, required=True),
            th.Property("video_id", th.StringType, required=True),
            th.Property("video_cover_url", th.StringType),
            th.Property("format", th.StringType),
            th.Property("preview_url", th.StringType),
            th.Property("preview_url_expire_time", th.DateTimeType),
            th.Property("duration", th.NumberType),
            th.Property("height", th.IntegerType),
            th.Property("width", th.IntegerType),
            th.Property("bit_rate", th.NumberType),
            th.Property("signature", th.StringType),
            th.Property("size", th.IntegerType),
            th.Property("material_id", th.StringType),
            th.Property("allowed_placements", _STRINGS),
            th.Property("allow_download", th.BooleanType),
            th.Property("file_name", th.StringType),
            th.Property("create_time", th.DateTimeType),
            th.Property("modify_time", th.DateTimeType),
            th.Property("displayable", th.BooleanType),
        ).to_dict()
    )


class ImagesStream(AccountObjectStream):
    """`file/image/ad/search/`: the images in the account's library (Doc 1740052016789506)."""

    name = "images"
    path = "/file/image/ad/search/"
    primary_keys = ("advertiser_id", "image_id")
    replication_key = "modify_time"
    max_page_size = 100  # Doc 1740052016789506: page_size 1-100
    schema = with_extra_fields(
        th.PropertiesList(
            th.Property("advertiser_id", th.StringType, required=True),
            th.Property("image_id", th.StringType, required=True),
            th.Property("material_id", th.StringType),
            th.Property("is_carousel_usable", th.BooleanType),
            th.Property("width", th.IntegerType),
            th.Property("height", th.IntegerType),
            th.Property("format", th.StringType),
            th.Property("image_url", th.StringType),
            th.Property("signature", th.StringType),
            th.Property("size", th.IntegerType),
            th.Property("file_name", th.StringType),
            th.Property("create_time", th.DateTimeType),
            th.Property("modify_time", th.DateTimeType),
            th.Property("displayable", th.BooleanType),
        ).to_dict()
    )


_POSITION = th.ObjectType(
    th.Property("position_x", th.NumberType),
    th.Property("position_y", th.NumberType),
    th.Property("angle", th.NumberType),
)
_STICKER = th.ObjectType(
    th.Property("sticker_type", th.StringType),
    th.Property("title", th.StringType),
    th.Property("giftcode", th.StringType),
    th.Property("cutoff_time", th.DateTimeType),
    th.Property("color", th.StringType),
    th.Property("display_angle", th.IntegerType),
    th.Property("predefined_placement", th.StringType),
    th.Property("position_x", th.IntegerType),
    th.Property("position_y", th.IntegerType),
    th.Property("size", th.StringType),
    th.Property("opacity", th.StringType),
    th.Property("reminder_time", th.StringType),
    th.Property("landing_page_url", th.StringType),
    th.Property("live_tiktok_user_id", th.StringType),
)


class CreativePortfoliosStream(AccountObjectStream):
    """`creative/portfolio/list/`: cards, stickers, gestures, ... (Doc 1766324010279938).

    Without `filtering`, every type but CTA portfolios is listed; portfolios carry no
    modification time, so the stream is full table.
    """

    name = "creative_portfolios"
    path = "/creative/portfolio/list/"
    primary_keys = ("advertiser_id", "creative_portfolio_id")
    list_key = "creative_portfolios"  # Doc 1766324010279938: `data.creative_portfolios`
    max_page_size = 100  # Doc 1766324010279938: page_size 1-100
    schema = with_extra_fields(
        th.PropertiesList(
            th.Property("advertiser_id", th.StringType, required=True),
            th.Property("creative_portfolio_id", th.StringType, required=True),
            th.Property("creative_portfolio_type", th.StringType),
            th.Property("creative_portfolio_preview_url", th.StringType),
            th.Property("card_type", th.StringType),
            th.Property("gesture_type", th.StringType),
            th.Property("image_id", th.StringType),
            th.Property("pop_up_window_image_id", th.StringType),
            th.Property("title", th.StringType),
            th.Property("selling_points", _STRINGS),
            th.Property("content_url", th.StringType),
            th.Property("thumbnail_id", th.StringType),
            th.Property("call_to_action_text", th.StringType),
            th.Property("badge_show_time", th.IntegerType),
            th.Property("badge_position", _POSITION),
            th.Property("badge_image_info", th.ObjectType(th.Property("image_id", th.StringType))),
            th.Property("slide_length", th.NumberType),
            th.Property(
                "slide_dimension",
                th.ObjectType(
                    th.Property("dimension_width", th.NumberType),
                    th.Property("dimension_height", th.NumberType),
                ),
            ),
            th.Property("interactive_music_id", th.StringType),
            th.Property("layouts", _STRINGS),
            th.Property("description", th.StringType),
            th.Property("tags", _STRINGS),
            th.Property("category_label", th.StringType),
            th.Property("app_id", th.StringType),
            th.Property("sticker_param", _STICKER),
            th.Property("card_show_price", th.BooleanType),
            th.Property("card_tags", _STRINGS),
            th.Property("card_image_index", th.IntegerType),
        ).to_dict()
    )


_AUTH_INFO = th.ObjectType(
    th.Property("ad_auth_status", th.StringType),
    th.Property("auth_start_time", th.DateTimeType),
    th.Property("auth_end_time", th.DateTimeType),
    th.Property("invite_start_time", th.DateTimeType),
)
_POST_VIDEO = th.ObjectType(
    th.Property("video_id", th.StringType),
    th.Property("file_name", th.StringType),
    th.Property("format", th.StringType),
    th.Property("width", th.IntegerType),
    th.Property("height", th.IntegerType),
    th.Property("duration", th.NumberType),
    th.Property("size", th.IntegerType),
    th.Property("bit_rate", th.NumberType),
    th.Property("signature", th.StringType),
    th.Property("poster_url", th.StringType),
    th.Property("preview_url", th.StringType),
    th.Property("url", th.StringType),
)
_CAROUSEL = th.ObjectType(
    th.Property(
        "image_info",
        th.ArrayType(
            th.ObjectType(
                th.Property("image_id", th.StringType),
                th.Property("image_url", th.StringType),
                th.Property("image_width", th.IntegerType),
                th.Property("image_height", th.IntegerType),
            )
        ),
    ),
    th.Property(
        "music_info",
        th.ArrayType(
            th.ObjectType(
                th.Property("music_id", th.StringType),
                th.Property("music_url", th.StringType),
                th.Property("music_duration", th.NumberType),
            )
        ),
    ),
)
_ANCHOR = th.ObjectType(
    th.Property("id", th.StringType),
    th.Property("anchor_id", th.StringType),
    th.Property("title", th.StringType),
    th.Property("status", th.StringType),
    th.Property("product_regions", _STRINGS),
    th.Property("url", th.StringType),
    th.Property("spu_id", th.StringType),
    th.Property("spu_name", th.StringType),
    th.Property("store_id", th.StringType),
)


class SparkAdsPostsStream(AccountObjectStream):
    """`tt_video/list/`: the Spark Ads posts authorised to each ad account. Full table.

    The reference page ("Get Spark Ads posts") is not stored with this project: the parameters
    and fields are those of the Go SDK's transcription (bububa/tiktok-business
    `model/ttvideo/list.go`, `info.go`). Each answer row holds `item_info`, `auth_info`,
    `user_info` and `video_info`; a record is `item_info`'s fields with the other three
    nested, keyed by the post's `item_id`. Posts of both types (VIDEO, CAROUSEL) are listed
    by default.

    `item_info.auth_code` is never emitted: it is the creator's authorisation code, which
    binds the post to any ad account that sends it to `tt_video/authorize/` ("Create Spark
    Ads", Doc 1739470744631298), a credential rather than data; `item_id` identifies the post.
    """

    name = "spark_ads_posts"
    path = "/tt_video/list/"
    primary_keys = ("advertiser_id", "item_id")
    max_page_size = 50  # Go SDK `ttvideo.ListRequest`: page_size 1-50
    schema = with_extra_fields(
        th.PropertiesList(
            th.Property("advertiser_id", th.StringType, required=True),
            th.Property("item_id", th.StringType, required=True),
            th.Property("item_type", th.StringType),
            th.Property("text", th.StringType),
            th.Property("status", th.StringType),
            th.Property("stitch_original_item_id", th.StringType),
            th.Property("duet_original_item_id", th.StringType),
            th.Property("is_multi_duet_stitch", th.BooleanType),
            th.Property("mentioned_item_ids", _STRINGS),
            th.Property("anchor_list", th.ArrayType(_ANCHOR)),
            th.Property("carousel_info", _CAROUSEL),
            th.Property("auth_info", _AUTH_INFO),
            th.Property(
                "user_info",
                th.ObjectType(
                    th.Property("tiktok_name", th.StringType),
                    th.Property("identity_id", th.StringType),
                    th.Property("identity_type", th.StringType),
                ),
            ),
            th.Property("video_info", _POST_VIDEO),
        ).to_dict()
    )

    @override
    def rows(self, context: Context) -> Iterator[dict[str, Any]]:
        """Each post as `item_info`'s fields, with its authorisation, account and video.

        Any other member of the row is kept beside them (in `extra_fields` when undeclared).
        """
        for row in self.request_records(context):
            item = dict(row.get("item_info") or {})
            item.pop("auth_code", None)  # a credential: see the class docstring
            for name, value in row.items():
                if name != "item_info" and (value is not None or name not in item):
                    item[name] = value
            for name in ("auth_info", "user_info", "video_info"):
                item.setdefault(name, None)
            yield item


def asset_streams(tap: Tap, runtime: Runtime) -> list[AccountObjectStream]:
    """The creative library's streams: videos, images, portfolios and Spark Ads posts."""
    return [
        VideosStream(tap, runtime),
        ImagesStream(tap, runtime),
        CreativePortfoliosStream(tap, runtime),
        SparkAdsPostsStream(tap, runtime),
    ]
