"""TopView report rows: a pass of their own, for the advertisers that have TopView campaigns.

"To retrieve the reporting data of TopView ads, use the basic reports or audience reports and
specify the value RESERVATION_TOP_VIEW for the `buying_type` filter" (Doc 1740302848100353,
`service_type`). So campaign, ad group and ad reports leave TopView out unless asked
(inferred: the Doc does not say what they return without the filter); the
advertiser level has "all Auction Ads and Reservation Ads" (same Doc, `data_level`). The
filter value cannot be combined with others on the entity endpoints (entity_kinds.py); the
report filter is taken to work alike (inferred), so TopView rows are a second query per window.

That query is sent only for advertisers with TopView campaigns. One `campaign/get/` request
(two with `include_deleted`, whose deleted campaigns have report rows too) tells, and its
answer is kept in the state (`STATE_KEY`) with the time it was asked, so that later runs ask
again only when it may be out of date (`TopViewCheck.covers`): at most once per advertiser and
local day, not once per run. Asynchronous report tasks document ID filters only (Doc
1740302766489602; inferred: they take no `buying_type`): TopView rows are read by sync
requests in every `report_mode`. Accounts over TikTok's ad cap read their TopView IDs in
batches of their own (id_batches.py).
"""

from __future__ import annotations

import collections
import copy
import datetime as dt
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pendulum

from tap_tiktok_ads import dates
from tap_tiktok_ads.bookmarks import kept_by_streams
from tap_tiktok_ads.entity_kinds import ALL_ORIGINS, DELETED

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

TOP_VIEW = "RESERVATION_TOP_VIEW"
# The report filter (Doc 1740302848100353): `filter_value` is a JSON array as text.
REPORT_FILTER = {
    "field_name": "buying_type",
    "filter_type": "IN",
    "filter_value": f'["{TOP_VIEW}"]',
}
# campaign/get/ `filtering` for an advertiser's TopView campaigns of any origin; deleted ones
# (`DELETED`) need a second request (campaigns document no "all statuses" value, Doc
# 1739315828649986).
STATE_KEY = "top_view_checks"  # a report stream's state: {advertiser_id: TopViewCheck}


class CannotTell(Exception):  # noqa: N818 - not an error of the run: the reports go on
    """TikTok refused the check (a token without the scope of campaign/get/, say)."""


def campaign_filterings(*, include_deleted: bool) -> list[dict[str, Any]]:
    """The `filtering` objects that together find an advertiser's TopView campaigns."""
    statuses = [{}, DELETED] if include_deleted else [{}]
    return [
        {"campaign_system_origins": list(ALL_ORIGINS), "buying_types": [TOP_VIEW], **status}
        for status in statuses
    ]


@dataclass(frozen=True)
class TopViewCheck:
    """What `campaign/get/` said of an advertiser's TopView campaigns, and when it was asked."""

    checked_at: dt.datetime  # UTC, taken before the request was sent
    found: bool
    include_deleted: bool
    # False when TikTok refused to tell: every window then gets a TopView pass, and the
    # state keeps nothing, so the next run asks again.
    told: bool = True

    def covers(self, last_day: dt.date, timezone: str, *, include_deleted: bool) -> bool:
        """Whether it still tells of every TopView campaign with spend up to `last_day`.

        Found TopView campaigns: every window gets a TopView pass, which reads new ones
        too. None found: a campaign created since can spend only from the local day of the
        check on, so the check holds for days before it. It holds for the check's own day
        too while that day is today: a bookmark on a day reads that day again
        (`dates.days_to_read`), so a campaign created later today is read by the next run,
        whose check is of a later day, like any report row of today.
        """
        if self.found:
            return True
        if include_deleted and not self.include_deleted:
            return False
        checked_day = pendulum.instance(self.checked_at).in_timezone(timezone).date()
        return checked_day > last_day or checked_day == dates.local_now(timezone).date()

    def to_state(self) -> dict[str, Any]:
        """Plain JSON for the state."""
        return {
            "checked_at": self.checked_at.isoformat(),
            "found": self.found,
            "include_deleted": self.include_deleted,
        }

    @classmethod
    def from_state(cls, value: object) -> TopViewCheck | None:
        """A check kept in the state; None when it is not one (then it is asked again)."""
        if not isinstance(value, dict):
            return None
        try:
            checked_at = dt.datetime.fromisoformat(str(value["checked_at"]))
        except (KeyError, ValueError):
            return None
        found, deleted = value.get("found"), value.get("include_deleted")
        if checked_at.tzinfo is None or not isinstance(found, bool):
            return None
        return cls(checked_at, found, include_deleted=deleted is True)


def remembered_checks(tap_state: Mapping[str, object]) -> dict[str, TopViewCheck]:
    """The newest check of each advertiser in any report stream's state."""
    newest: dict[str, TopViewCheck] = {}
    for kept in kept_by_streams(tap_state, STATE_KEY):
        for advertiser_id, value in (kept if isinstance(kept, dict) else {}).items():
            check = TopViewCheck.from_state(value)
            known = newest.get(str(advertiser_id))
            if check is not None and (known is None or check.checked_at > known.checked_at):
                newest[str(advertiser_id)] = check
    return newest


class TopViewCensus:
    """The advertisers' TopView checks of this run and of the state, shared by the reports."""

    def __init__(self) -> None:
        """No advertiser known yet."""
        self._checks: dict[str, TopViewCheck] = {}
        self._lock = threading.Lock()
        # One lock per advertiser: parallel reads of one advertiser ask once, those of
        # others do not wait for it.
        self._asking: dict[str, threading.Lock] = collections.defaultdict(threading.Lock)
        self._refused: list[str] = []  # advertisers whose check TikTok refused
        # A check's error, raised by the next check of the advertiser instead of asking
        # again (a check asked ahead fails where no one waits for it).
        self._failed: dict[str, BaseException] = {}
        # An error of a check that ends the run (the token refused, retries spent): once
        # set, no check and no report read is sent any more.
        self.fatal: BaseException | None = None

    def note_refusal(self, advertiser_id: str) -> bool:
        """Note a refused check; whether it is the run's first (only that one is logged)."""
        with self._lock:
            self._refused.append(advertiser_id)
            return len(self._refused) == 1

    def note_failure(self, advertiser_id: str, error: BaseException, *, ends_run: bool) -> None:
        """Keep a check's error for the advertiser's next check, and for all if it ends the run."""
        with self._lock:
            self._failed[advertiser_id] = error
            if ends_run and self.fatal is None:
                self.fatal = error

    def raise_if_ended(self) -> None:
        """Raise (a copy of) the error that ends the run, if a check met one.

        A copy per raise: the threads that meet it would otherwise add their frames to one
        shared traceback.
        """
        fatal = self.fatal
        if fatal is not None:
            raise copy.copy(fatal) from fatal

    def take_failure(self, advertiser_id: str) -> BaseException | None:
        """The error a check of the advertiser met and nobody raised yet, if any."""
        with self._lock:
            return self._failed.pop(advertiser_id, None)

    def summary_lines(self) -> list[str]:
        """The end-of-run line naming every advertiser whose check TikTok refused."""
        with self._lock:
            refused = list(dict.fromkeys(self._refused))
        if not refused:
            return []
        line = (
            f"TopView checks refused (campaign/get/) for {len(refused)} advertiser(s), whose "
            f"reports read their TopView rows in every window instead: {', '.join(refused)}"
        )
        return [line]

    def remember(self, checks: Mapping[str, TopViewCheck]) -> None:
        """Checks kept by earlier runs; a newer one already known stays."""
        with self._lock:
            for advertiser_id, check in checks.items():
                known = self._checks.get(advertiser_id)
                if known is None or check.checked_at > known.checked_at:
                    self._checks[advertiser_id] = check

    def known(self, advertiser_id: str) -> TopViewCheck | None:
        """The newest check of the advertiser, if any (no request)."""
        with self._lock:
            return self._checks.get(advertiser_id)

    def check(
        self,
        advertiser_id: str,
        covers: Callable[[TopViewCheck], bool],
        count: Callable[[dict[str, Any]], int],
        *,
        include_deleted: bool,
        wait: bool = True,
    ) -> TopViewCheck | None:
        """The advertiser's check: the known one if it `covers` the run, else a new one.

        `count` asks campaign/get/ for the total of one `filtering`, or raises `CannotTell`:
        the advertiser is then taken to have TopView campaigns. Without `wait`, None
        when another thread is asking already: a read ahead need not wait for it.
        """
        with self._lock:
            asking = self._asking[advertiser_id]
        if not asking.acquire(blocking=wait):
            return None
        try:
            known = self.known(advertiser_id)
            if known is not None and covers(known):
                return known
            checked_at = dates.utc_now()
            filterings = campaign_filterings(include_deleted=include_deleted)
            try:
                found = any(count(filtering) > 0 for filtering in filterings)
            except CannotTell:
                check = TopViewCheck(
                    checked_at, found=True, include_deleted=include_deleted, told=False
                )
            else:
                check = TopViewCheck(checked_at, found, include_deleted=include_deleted)
            with self._lock:
                self._checks[advertiser_id] = check
            return check
        finally:
            asking.release()
