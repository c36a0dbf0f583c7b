"""TikTok's documented example answers for the asset, measurement and Business Center streams.

Like `tests/test_replay.py`: each answer is served by the replay server, the tap syncs it, and
every record is compared field by field with values written out here from the fixture (every
field TikTok sends is emitted; times as RFC 3339 UTC, ids as text), and checked to hold every
member TikTok sent, at any depth, fields the schema lacks in `extra_fields`.

No real answer of `dmp/custom_audience/list/`, `pixel/event/stats/`, `bc/get/` or
`bc/asset/get/` is known to this project (fixtures/SOURCES.md): those streams are tested
against the fake API only.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import TYPE_CHECKING, Any

from tests.replay.server import Reply, fixture
from tests.replay_harness import assert_every_field_kept, replay

if TYPE_CHECKING:
    import pytest

    from tests.conftest import SyncResult
    from tests.replay.server import ReplayServer

UTC = dt.timezone.utc
ADVERTISER = "7002238017842757633"
INFO = Reply(fixture("advertiser_info/advertisers_airbyte_recorded"))
NOW = dt.datetime(2026, 11, 20, 12, tzinfo=UTC)
VIDEO_DOC = fixture("file_video_ad_search/video_search_doc")


def _sync_one(
    monkeypatch: pytest.MonkeyPatch, stream: str, path: str, answer: dict[str, Any]
) -> tuple[SyncResult, ReplayServer]:
    """Sync `stream` for the one advertiser, its endpoint `path` answering `answer`."""
    routes = {"/advertiser/info/": INFO, path: Reply(answer)}
    return replay(monkeypatch, NOW, routes, {stream: None}, advertiser_ids=[ADVERTISER])


def test_videos_from_tiktoks_reference_example(monkeypatch) -> None:
    """Doc 1740050472224769's example: every documented field it carries."""
    moment = "2020-11-16T08:19:57+00:00"  # TikTok: "2020-11-16T08:19:57Z"
    expected = {
        "advertiser_id": ADVERTISER,
        "video_cover_url": (
            "http://p16-sign-sg.tiktokcdn.com/v0201/94ebe1a3e6734559a16f3e81c43787ec~tplv-noop"
            ".image?x-expires=1607260002&x-signature=falvnSNOT94w4gjeB8PGGFyAdys%3D"
        ),
        "format": "mp4",
        "preview_url": (
            "http://v16m-default.akamaized.net/64d28cac783ab57b70c2d91c30fb1b5d/5fccd762/vide"
            "o/tos/alisg/tos-alisg-v-0000/9a0033884eab42248ad6b46f7b11e44c/?a=0&br=3114&bt=15"
            "57&cd=0%7C0%7C0&cr=0&cs=0&dr=0&ds=3&er=&l=2020120607063701011517615517A19974&lr="
            "ad&mime_type=video_mp4&qs=0&rc=anNlbnRuOWU2eDMzZjYzM0Apdjh3ZHJuOWZzZTMzNDY6eWdwM"
            "nFebGgzYG1fLS0uMDRzc2RtX2huaDNfMHItLWAwLS06Yw%3D%3D&vl=&vr="
        ),
        "file_name": "wanfadong_test.mp4",
        "displayable": True,
        "height": 720,
        "width": 1280,
        "bit_rate": 1594584,
        "create_time": moment,
        "modify_time": moment,
        "signature": "b24f08f569b73a33eec93edb8f4423e2",
        "duration": 5.312,
        "video_id": "v070331c0000bup3cb66kkoqaktb5psg",
        "material_id": "6895633277416374000",
        "allowed_placements": [
            "PLACEMENT_TOPBUZZ",
            "PLACEMENT_TIKTOK",
            "PLACEMENT_HELO",
            "PLACEMENT_PANGLE",
        ],
        "allow_download": True,
        "size": 1058804,
    }
    result, server = _sync_one(monkeypatch, "videos", "/file/video/ad/search/", VIDEO_DOC)
    (record,) = result.records["videos"]
    assert record == expected
    assert_every_field_kept([record], VIDEO_DOC["data"]["list"])
    (request,) = server.asked("/file/video/ad/search/")
    assert request.query["advertiser_id"] == ADVERTISER
    assert request.query["page_size"] == "100"  # the endpoint's largest page
    assert "fields" not in request.query  # the endpoint takes none: every field comes
    bookmark = result.state["bookmarks"]["videos"]["partitions"][0]["replication_key_value"]
    assert bookmark == moment


def test_images_from_tiktoks_reference_example(monkeypatch) -> None:
    """Doc 1740052016789506's example (placeholders filled): every field of both images."""
    shared = {
        "advertiser_id": ADVERTISER,
        "height": 720,
        "width": 1280,
        "displayable": False,
        "format": "jpeg",
        "is_carousel_usable": False,
    }
    expected = [
        {
            **shared,
            "size": 118834,
            "image_url": "https://p16-sign-sg.tiktokcdn.com/doc-image-1.jpeg",
            "modify_time": "2020-11-17T09:00:00+00:00",  # TikTok: "2020-11-17T09:00:00Z"
            "create_time": "2020-11-16T08:19:57+00:00",
            "image_id": "ad-site-i18n-sg/202011160819570101151761551700001",
            "file_name": "doc_image_1.jpeg",
            "signature": "b24f08f569b73a33eec93edb8f4423e3",
            "material_id": "6895633277416374001",
        },
        {
            **shared,
            "size": 159992,
            "image_url": "https://p16-sign-sg.tiktokcdn.com/doc-image-2.jpeg",
            "modify_time": "2020-11-16T08:20:10+00:00",
            "create_time": "2020-11-16T08:20:10+00:00",
            "image_id": "ad-site-i18n-sg/202011160820100101151761551700002",
            "file_name": "doc_image_2.jpeg",
            "signature": "b24f08f569b73a33eec93edb8f4423e4",
            "material_id": "6895633277416374002",
        },
    ]
    result, _ = _sync_one(
        monkeypatch,
        "images",
        "/file/image/ad/search/",
        fixture("file_image_ad_search/image_search_doc"),
    )
    assert result.records["images"] == expected
    sent = fixture("file_image_ad_search/image_search_doc")["data"]["list"]
    assert_every_field_kept(result.records["images"], sent)


def test_creative_portfolios_from_tiktoks_reference_example(monkeypatch) -> None:
    """Doc 1766324010279938's example (placeholders filled): both Display Card portfolios."""
    expected = [
        {
            "advertiser_id": ADVERTISER,
            "image_id": f"ad-site-i18n-sg/20240315000000010115176155170001{n}",
            "creative_portfolio_id": f"734600000000000000{n}",
            "creative_portfolio_preview_url": (
                f"https://p16-sign-sg.tiktokcdn.com/portfolio-preview-{n}.png"
            ),
            "card_type": "IMAGE",
            "creative_portfolio_type": "CARD",
        }
        for n in (1, 2)
    ]
    result, server = _sync_one(
        monkeypatch,
        "creative_portfolios",
        "/creative/portfolio/list/",
        fixture("creative_portfolio_list/portfolio_list_doc"),
    )
    assert result.records["creative_portfolios"] == expected
    sent = fixture("creative_portfolio_list/portfolio_list_doc")["data"]["creative_portfolios"]
    assert_every_field_kept(result.records["creative_portfolios"], sent)
    (request,) = server.asked("/creative/portfolio/list/")
    assert "filtering" not in request.query  # every type but CTA portfolios


def test_spark_ads_posts_from_tiktoks_reference_example(monkeypatch) -> None:
    """Doc 1739470744631298's `tt_video/list/` example: every field but the auth code."""
    recorded = fixture("tt_video_list/spark_posts_doc")
    (post,) = recorded["data"]["list"]
    result, _ = _sync_one(monkeypatch, "spark_ads_posts", "/tt_video/list/", recorded)
    (record,) = result.records["spark_ads_posts"]
    assert record == {
        "advertiser_id": ADVERTISER,
        "item_id": "7370000000000000001",
        "status": "HESITATE_RECOMMEND",
        "text": "Doc example post",
        "anchor_list": None,
        "auth_info": {
            "auth_end_time": "2025-05-20T11:40:50+00:00",
            "ad_auth_status": "AUTHORIZED",
            "invite_start_time": "2024-05-20T11:43:00+00:00",
            "auth_start_time": "2024-05-20T11:40:50+00:00",
        },
        "video_info": {
            "duration": 13.538,
            "width": 720,
            "size": 13861358,
            "preview_url": "https://v16m-default.tiktokcdn.com/doc-preview.mp4",
            "height": 1280,
            "signature": "b24f08f569b73a33eec93edb8f4423e5",
            "bit_rate": 8191081,
            "poster_url": "https://p16-sign-sg.tiktokcdn.com/doc-poster.jpeg",
        },
        "user_info": {
            "identity_id": "7370000000000000002",
            "identity_type": "AUTH_CODE",
            "tiktok_name": "doc_creator",
        },
    }
    # Nothing dropped but the credential: every other field TikTok sent is emitted.
    sent = {*post["item_info"], "auth_info", "video_info", "user_info"} - {"auth_code"}
    assert set(record) - {"advertiser_id"} == sent
    item = {k: v for k, v in post["item_info"].items() if k != "auth_code"}
    beside = {k: v for k, v in post.items() if k != "item_info"}
    assert_every_field_kept([record], [{**beside, **item}])
    assert post["item_info"]["auth_code"] not in str(result.messages)


def test_pixels_from_an_answer_another_project_recorded(monkeypatch) -> None:
    """A real `pixel/list/` answer (SOURCES.md): every field, `activity_status` included."""
    recorded = fixture("pixel_list/pixel_list_recorded")
    (pixel,) = recorded["data"]["pixels"]
    result, server = _sync_one(monkeypatch, "pixels", "/pixel/list/", recorded)
    (record,) = result.records["pixels"]
    assert record == {
        **pixel,
        "advertiser_id": ADVERTISER,
        "create_time": "2026-05-26T14:17:07+00:00",  # TikTok: "2026-05-26T14:17:07Z"
    }
    assert record["asset_ownership"] == pixel["asset_ownership"]  # `updated_at` kept
    assert_every_field_kept([record], [pixel])
    (request,) = server.asked("/pixel/list/")
    assert request.query["page_size"] == "20"  # the endpoint's largest page


def test_a_recorded_video_with_fields_the_reference_lacks(monkeypatch, caplog) -> None:
    """A real video row (SOURCES.md): `fix_task_id` and `flaw_types` kept, each said once."""
    recorded = fixture("file_video_ad_search/video_ad_info_row_recorded")
    (video,) = recorded["data"]["list"]
    with caplog.at_level(logging.WARNING):
        result, _ = _sync_one(monkeypatch, "videos", "/file/video/ad/search/", recorded)
    (record,) = result.records["videos"]
    declared = {k: v for k, v in video.items() if k not in ("fix_task_id", "flaw_types")}
    assert record == {
        **declared,
        "advertiser_id": ADVERTISER,
        "create_time": "2026-09-10T11:37:35+00:00",  # TikTok: "2026-09-10T11:37:35Z"
        "modify_time": "2026-09-10T11:37:34+00:00",
        "preview_url_expire_time": "2026-09-10T22:45:06+00:00",  # "2026-09-10 22:45:06", UTC
        "extra_fields": {"fix_task_id": None, "flaw_types": None},
    }
    assert_every_field_kept([record], [video])
    warnings = [m for m in caplog.messages if m.startswith("videos: TikTok sent")]
    assert len(warnings) == 2
    assert "'fix_task_id'" in warnings[0]
    assert "'flaw_types'" in warnings[1]
