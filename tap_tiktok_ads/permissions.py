"""Optional streams TikTok refuses for lack of permission: skipped with a warning, not failed.

The creative library, measurement and Business Center streams read endpoints that need
permissions many apps were never granted. A user who selects them, or upgrades with a catalog
that selects everything, must not lose a working run to a permission the app lacks: such a
refusal skips that stream for that advertiser (or Business Center), logs one warning naming
the stream, the owner, the endpoint and TikTok's own words (which name what is missing), and
the run goes on and ends well; the end-of-run summary lists every skip, so nothing is skipped
silently. Refusals that concern the advertiser as a whole (40106, 40300, ...) still fail the
run at its end, as in every stream.

The codes (return-code appendix, Doc 1737172488964097): 40001 "No permission for the
operation" (a missing scope or asset permission) and 40125 "The developer lacks a
permission". That 40001 is also what a token without access to the advertiser gets is
documented too; the core streams of such a run still fail it.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING

from tap_tiktok_ads.errors import TikTokFatalError

if TYPE_CHECKING:
    import logging

PERMISSION_CODES = frozenset({40001, 40125})
# "Update app permissions", as the Spark Ads guide (Doc 1739470744631298) cites it.
APP_PERMISSIONS_DOC = "https://business-api.tiktok.com/portal/docs?id=1738855280338946"


@dataclass(frozen=True)
class PermissionSkip:
    """One stream TikTok refused for one advertiser or Business Center, for lack of permission."""

    streams: str  # the stream, or the streams one read serves ("pixels, pixel_event_stats_daily")
    owner: str  # "advertiser 7002..." or "Business Center 7300..."
    code: int | None
    where: str | None


class PermissionSkips:
    """The run's permission skips: each warned about once, all listed when the run ends."""

    def __init__(self) -> None:
        """No skip yet."""
        self._skips: list[PermissionSkip] = []
        self._lock = threading.Lock()

    def skip(self, streams: str, owner: str, error: Exception, logger: logging.Logger) -> bool:
        """Note and log a refusal for lack of permission; False for any other error."""
        if not isinstance(error, TikTokFatalError) or error.code not in PERMISSION_CODES:
            return False
        skipped = PermissionSkip(streams, owner, error.code, error.where)
        with self._lock:
            if skipped in self._skips:
                return True
            self._skips.append(skipped)
        where = error.where or "its endpoint"
        logger.warning(
            "%s: TikTok refused %s for lack of permission (TikTok error %s on %s: %s). "
            "Skipping %s for it; the other streams and advertisers go on. To sync it, grant "
            "your app the permission for %s (%s) and authorise it again, or deselect %s.",
            streams,
            owner,
            error.code,
            where,
            error.tiktok_message or "no message",
            streams,
            where,
            APP_PERMISSIONS_DOC,
            streams,
        )
        return True

    def summary_lines(self) -> list[str]:
        """The end-of-run lines: what was skipped, for whom, and why."""
        with self._lock:
            skips = list(self._skips)
        if not skips:
            return []
        lines = ["Skipped for lack of permission (the run went on without them):"]
        lines += [
            f"  {s.streams} for {s.owner} (TikTok error {s.code} on {s.where})" for s in skips
        ]
        return lines
