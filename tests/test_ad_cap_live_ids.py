"""The live campaigns of an account over the ad cap, listed while the user deletes one."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tap_tiktok_ads.id_batches import list_live_ids
from tap_tiktok_ads.paging import Page
from tap_tiktok_ads.report_definitions import DataLevel

if TYPE_CHECKING:
    from collections.abc import Iterator


class DeletedWhilePaging:
    """`campaign/get/` pages of one campaign each, `deleted` gone after the first one read.

    TikTok pages by offset into a list by ID, newest first (Doc 1739315828649986).
    """

    def __init__(self, live: list[str], deleted: str) -> None:
        self.live = sorted(live, reverse=True)
        self.deleted = deleted
        self.listings = 0

    def __call__(self, path: str, params: dict[str, Any]) -> Iterator[Page]:
        assert path == "/campaign/get/"
        assert params["filtering"]["primary_status"] == "STATUS_NOT_DELETE"
        if "AUCTION" not in params["filtering"]["buying_types"]:  # TopView: none
            yield Page([], 1, 0)
            return
        self.listings += 1
        page = 1
        while True:
            listed = self.live if self.listings > 1 or page == 1 else self._after_deletion()
            rows = listed[page - 1 : page]  # page_size 1
            yield Page([{"campaign_id": campaign} for campaign in rows], len(listed), len(listed))
            if page >= len(listed):
                return
            page += 1

    def _after_deletion(self) -> list[str]:
        self.live = [campaign for campaign in self.live if campaign != self.deleted]
        return self.live


def test_a_campaign_deleted_mid_listing_does_not_hide_a_live_one() -> None:
    """Deleting "3" after page 1 moves "2" onto page 1: page 2 then lists "1". Taken for
    deleted, "2" would leave its ads' rows out of the batched report for good."""
    pages = DeletedWhilePaging(["1", "2", "3"], deleted="3")

    live = list_live_ids("7000", DataLevel.CAMPAIGN, pages)

    assert {"1", "2"} <= live
    assert pages.listings == 2  # listed again once: the second listing's totals held


def test_a_steady_listing_is_read_once() -> None:
    pages = DeletedWhilePaging(["1", "2", "3"], deleted="none")

    assert list_live_ids("7000", DataLevel.CAMPAIGN, pages) == {"1", "2", "3"}
    assert pages.listings == 1
