"""Opt-in streams a permission does not cover: skipped per advertiser and stream, never the run.

Expected records come from the fake's own worlds (`tests/fake_api/assets.py`,
`measurement.py`, `business_centers.py`), never from the tap's code.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import TYPE_CHECKING

from tap_tiktok_ads.tap import TapTikTokAds
from tests.conftest import run_tap, run_until_failure, tap_config
from tests.fake_api.assets import asset_world
from tests.fake_api.business_centers import business_centers
from tests.fake_api.measurement import pixels_of

if TYPE_CHECKING:
    import pytest

    from tests.fake_api import FakeTikTokApi

STATS = "pixel_event_stats_daily"
OPT_IN = (
    "videos",
    "images",
    "creative_portfolios",
    "spark_ads_posts",
    "pixels",
    STATS,
    "custom_audiences",
    "business_centers",
)


def test_the_opt_in_streams_are_not_selected_by_default() -> None:
    catalog = TapTikTokAds(config={}, setup_mapper=False).catalog_dict
    defaults = {
        entry["tap_stream_id"]: next(
            m["metadata"].get("selected-by-default")
            for m in entry["metadata"]
            if not m["breadcrumb"]
        )
        for entry in catalog["streams"]
    }
    assert {name: defaults[name] for name in OPT_IN} == dict.fromkeys(OPT_IN, False)
    assert defaults["advertisers"] is True
    assert defaults["ad_report_daily"] is True


def test_a_permission_the_app_lacks_skips_that_stream_for_that_advertiser(
    fake_api: FakeTikTokApi, frozen_now: dt.datetime, caplog: pytest.LogCaptureFixture
) -> None:
    first, second, third = fake_api.data.advertiser_ids()
    fake_api.faults.refuse_advertiser(first, 40001, path="pixel/list/")
    fake_api.faults.refuse_advertiser(second, 40001, path="file/video/ad/search/")
    config = tap_config(fake_api, start_date="2026-11-20")
    streams: dict[str, list[str] | None] = {
        "advertisers": ["advertiser_id"],
        "pixels": None,
        STATS: None,
        "videos": None,
    }
    with caplog.at_level(logging.INFO):
        result = run_tap(config, streams=streams)  # the run ends well

    # Every other stream of the refused advertisers, and the other advertisers, synced.
    assert [r["advertiser_id"] for r in result.records["advertisers"]] == [first, second, third]
    with_pixels = {a for a, pixels in pixels_of(fake_api.data).items() if pixels}
    assert {r["advertiser_id"] for r in result.records["pixels"]} == with_pixels - {first}
    assert {r["advertiser_id"] for r in result.records[STATS]} == with_pixels - {first}
    videos = {
        (advertiser_id, video["video_id"])
        for advertiser_id, rows in asset_world(fake_api.data).videos.items()
        for video in rows
        if advertiser_id != second
    }
    assert videos
    assert {(r["advertiser_id"], r["video_id"]) for r in result.records["videos"]} == videos

    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    about = sorted(m for m in warnings if "lack of permission" in m)
    assert len(about) == 2  # one per stream and advertiser
    assert about[0].startswith(
        f"pixels, {STATS}: TikTok refused advertiser {first} for lack of permission "
        "(TikTok error 40001 on /pixel/list/: No permission to operate advertiser"
    )
    assert "grant your app the permission for /pixel/list/" in about[0]
    assert about[1].startswith(f"videos: TikTok refused advertiser {second}")
    messages = caplog.messages
    start = messages.index("Skipped for lack of permission (the run went on without them):")
    assert sorted(messages[start + 1 : start + 3]) == [
        f"  pixels, {STATS} for advertiser {first} (TikTok error 40001 on /pixel/list/)",
        f"  videos for advertiser {second} (TikTok error 40001 on /file/video/ad/search/)",
    ]


def test_a_refusal_of_the_advertiser_itself_still_fails_the_run(
    fake_api: FakeTikTokApi, frozen_now: dt.datetime
) -> None:
    refused = fake_api.data.advertiser_ids()[0]
    fake_api.faults.refuse_advertiser(refused, 40106, path="pixel/list/")
    _, error = run_until_failure(tap_config(fake_api), streams={"pixels": None})
    assert f"{refused} (TikTok error 40106 on /pixel/list/)" in str(error)


def test_a_business_center_without_permission_is_skipped(
    fake_api: FakeTikTokApi, caplog: pytest.LogCaptureFixture
) -> None:
    """The fake answers 40001 for a Business Center the token cannot see."""
    second = business_centers(fake_api.data)[1]
    config = tap_config(fake_api, business_center_ids=["123", second.bc_id])
    with caplog.at_level(logging.WARNING):
        result = run_tap(config, streams={"business_centers": None})
    assert [r["bc_id"] for r in result.records["business_centers"]] == [second.bc_id]
    (warning,) = [m for m in caplog.messages if "lack of permission" in m]
    assert warning.startswith(
        "business_centers: TikTok refused Business Center 123 for lack of permission "
        "(TikTok error 40001 on /bc/get/"
    )
