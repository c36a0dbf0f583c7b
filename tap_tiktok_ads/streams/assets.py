"""The ad account's creative library: videos, images, creative portfolios, Spark Ads posts.

Videos and images are incremental on `modify_time`: neither search endpoint filters by it, and
each lists at most the 10,000 most recently modified assets (Docs 1740050472224769,
1740052016789506), so each run reads the list and emits the assets modified since the bookmark
(see `account_objects`). Portfolios and posts carry no modification time: full table. Each
stream's fields, with their sources, are in `data/stream_fields/<stream>.csv`; a field TikTok
sends beyond them is kept in `extra_fields` (`tap_tiktok_ads.extra_fields`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from typing_extensions import override

from tap_tiktok_ads.streams.account_objects import AccountObjectStream, ObjectList

if TYPE_CHECKING:
    from collections.abc import Iterator

    from singer_sdk import Tap
    from singer_sdk.helpers.types import Context

    from tap_tiktok_ads.runtime import Runtime

# `file/video/ad/search/`: the videos ads can use (Doc 1740050472224769: page_size 1-100).
VIDEOS = ObjectList(
    "videos", "/file/video/ad/search/", "video_id", 100, replication_key="modify_time"
)
# `file/image/ad/search/`: the images in the library (Doc 1740052016789506: page_size 1-100).
IMAGES = ObjectList(
    "images", "/file/image/ad/search/", "image_id", 100, replication_key="modify_time"
)
# `creative/portfolio/list/`: cards, stickers, gestures, ... Without `filtering`, every type but
# CTA portfolios is listed (Doc 1766324010279938: page_size 1-100, rows in
# `data.creative_portfolios`).
CREATIVE_PORTFOLIOS = ObjectList(
    "creative_portfolios",
    "/creative/portfolio/list/",
    "creative_portfolio_id",
    100,
    list_key="creative_portfolios",
)
# `tt_video/list/`: the Spark Ads posts (Go SDK `ttvideo.ListRequest`: page_size 1-50).
SPARK_ADS_POSTS = ObjectList("spark_ads_posts", "/tt_video/list/", "item_id", 50)


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
        AccountObjectStream(tap, runtime, VIDEOS),
        AccountObjectStream(tap, runtime, IMAGES),
        AccountObjectStream(tap, runtime, CREATIVE_PORTFOLIOS),
        SparkAdsPostsStream(tap, runtime, SPARK_ADS_POSTS),
    ]
