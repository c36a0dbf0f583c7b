"""The base of the opt-in per-advertiser streams: creatives, Spark Ads posts, pixels, audiences.

Deselected by default: each costs requests on every run (the libraries are read whole, the
pixel statistics a request per day) and needs a permission of its own that many apps lack.
Selected, a refusal for lack of permission skips the stream for that advertiser with one
warning and the run goes on (`tap_tiktok_ads.permissions`); other refusals are the
advertiser's, as in every per-advertiser stream.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeVar

from typing_extensions import override

from tap_tiktok_ads.client import PerAdvertiserStream
from tap_tiktok_ads.errors import TikTokFatalError

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator

_T = TypeVar("_T")


class OptionalAdvertiserStream(PerAdvertiserStream):
    """A per-advertiser stream a user opts into; a permission refusal skips it, not the run."""

    selected_by_default = False

    def skipped_streams(self) -> str:
        """The streams a refusal of this one's reads leaves without data (its children too)."""
        return self.name

    @override
    def unless_refused(self, advertiser_id: str, items: Iterable[_T]) -> Iterator[_T]:
        """The advertiser's items; none once TikTok refused the advertiser or this stream."""
        yield from super().unless_refused(
            advertiser_id, self._unless_forbidden(advertiser_id, items)
        )

    def _unless_forbidden(self, advertiser_id: str, items: Iterable[_T]) -> Iterator[_T]:
        try:
            yield from items
        except TikTokFatalError as exc:
            skips = self.runtime.permission_skips
            if not skips.skip(
                self.skipped_streams(), f"advertiser {advertiser_id}", exc, self.logger
            ):
                raise
