"""The ad account's creative library: videos and images, incremental on `modify_time`.

Neither search endpoint filters by modification time, and each lists at most the 10,000 most
recently modified assets (Docs 1740050472224769, 1740052016789506): each run reads the list
and emits the assets modified since the bookmark (see `account_objects`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from singer_sdk import typing as th

from tap_tiktok_ads.streams.account_objects import AccountObjectStream

if TYPE_CHECKING:
    from singer_sdk import Tap

    from tap_tiktok_ads.runtime import Runtime

_STRINGS = th.ArrayType(th.StringType)


class VideosStream(AccountObjectStream):
    """`file/video/ad/search/`: the videos ads can use (Doc 1740050472224769)."""

    name = "videos"
    path = "/file/video/ad/search/"
    primary_keys = ("advertiser_id", "video_id")
    replication_key = "modify_time"
    max_page_size = 100  # Doc 1740050472224769: page_size 1-100
    schema = th.PropertiesList(
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


class ImagesStream(AccountObjectStream):
    """`file/image/ad/search/`: the images in the account's library (Doc 1740052016789506)."""

    name = "images"
    path = "/file/image/ad/search/"
    primary_keys = ("advertiser_id", "image_id")
    replication_key = "modify_time"
    max_page_size = 100  # Doc 1740052016789506: page_size 1-100
    schema = th.PropertiesList(
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


def asset_streams(tap: Tap, runtime: Runtime) -> list[AccountObjectStream]:
    """The creative library's streams."""
    return [VideosStream(tap, runtime), ImagesStream(tap, runtime)]
