"""The report windows an advertiser's time zone cannot change: read while the zone is looked up.

TikTok reads `start_date` and `end_date` in the ad account's time zone (our API notes, section
5), which the tap learns from `advertiser/info/` (advertisers.py): one latency before the first
report request could go. Yet only "today" depends on the zone. Every zone an account can have
is between UTC-12 and UTC+14 (the IANA zones' offsets: `Etc/GMT+12` to `Etc/GMT-14`, as
Kiribati's `Pacific/Kiritimati`), so the account's today is between today at UTC-12 and today
at UTC+14, and a plan's first and last day (`dates.days_to_read`) either stay put or move
forward with it. So the windows of those two extremes, up to where they first differ, are the
ones every zone between reads: fixed-size windows from the same first day are the same until
the last day cuts one, and whole weeks or months only add periods as the last day moves on.
A plan that starts at an absolute `start_date` or at the bookmark, and ends before the earliest
today, is zone-free as a whole (backfills, and the benchmark's runs).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

# IANA's `Etc` names have the sign reversed: `Etc/GMT+12` is UTC-12.
EARLIEST_ZONE = "Etc/GMT+12"
LATEST_ZONE = "Etc/GMT-14"

_W = TypeVar("_W")


def zone_free_windows(windows_in: Callable[[str], Iterable[_W]]) -> tuple[list[_W], bool]:
    """The windows read in every zone, in order, and whether they are all of the plan's.

    `windows_in(zone)` is the plan's windows if the advertiser's zone were `zone`.
    """
    earliest = list(windows_in(EARLIEST_ZONE))
    latest = list(windows_in(LATEST_ZONE))
    common: list[_W] = []
    for early, late in zip(earliest, latest, strict=False):
        if early != late:
            break
        common.append(early)
    return common, earliest == latest
