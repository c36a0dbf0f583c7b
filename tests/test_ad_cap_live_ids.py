"""The live campaigns of an account over the ad cap, listed while the user deletes some."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tap_tiktok_ads.id_batches import list_live_ids
from tap_tiktok_ads.paging import Page
from tap_tiktok_ads.report_definitions import DataLevel

if TYPE_CHECKING:
    from collections.abc import Iterator


class DeletedWhilePaging:
    """`campaign/get/` pages of one campaign each; the user deletes while the tap pages.

    TikTok pages by offset into a list by ID, newest first (Doc 1739315828649986). Each of
    the first `moving` listings loses its newest campaign once its first page is read.
    """

    def __init__(self, live: list[str], moving: int) -> None:
        self.live = sorted(live, reverse=True)
        self.moving = moving
        self.listings = 0

    def __call__(self, path: str, params: dict[str, Any]) -> Iterator[Page]:
        assert path == "/campaign/get/"
        assert params["filtering"]["primary_status"] == "STATUS_NOT_DELETE"
        if "AUCTION" not in params["filtering"]["buying_types"]:  # TopView: none
            yield Page([], 1, 0)
            return
        self.listings += 1
        page = 1
        while page <= len(self.live):
            rows = self.live[page - 1 : page]  # page_size 1
            yield Page([{"campaign_id": campaign} for campaign in rows], *[len(self.live)] * 2)
            if page == 1 and self.listings <= self.moving:
                self.live = self.live[1:]  # deleted after its page was read
            page += 1


def test_a_campaign_deleted_mid_listing_does_not_hide_a_live_one() -> None:
    """Deleting "3" after page 1 moves "2" onto page 1: page 2 then lists "1". Taken for
    deleted, "2" would leave its ads' rows out of the batched report for good."""
    pages = DeletedWhilePaging(["1", "2", "3"], moving=1)

    live = list_live_ids("7000", DataLevel.CAMPAIGN, pages)

    assert live == {"1", "2", "3"}  # "3" was live while the window's rows were made
    assert pages.listings == 2  # listed again once: the second listing's totals held


def test_a_listing_that_keeps_moving_is_read_three_times_and_the_union_taken() -> None:
    """Each listing skips another live campaign ("5" in the first, "4"... ): together they
    hold every one; a fourth listing is not asked for."""
    pages = DeletedWhilePaging([str(n) for n in range(1, 7)], moving=5)

    live = list_live_ids("7000", DataLevel.CAMPAIGN, pages)

    assert pages.listings == 3
    assert live == {str(n) for n in range(1, 7)}
