"""Asking whether advertisers have TopView campaigns, for one report stream (top_view.py).

The question is one `campaign/get/` request per advertiser (two with `include_deleted`); its
answer decides whether each window gets a TopView pass. It is asked ahead, on the request
pool, as the reads reach each advertiser, so the answer is there when the advertiser's first
window is written; the writer asks again only if that did not happen. A check TikTok refuses
reads the TopView pass in every window instead; that is logged once per run.
"""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING, Any

from singer_sdk import metrics

from tap_tiktok_ads.bookmarks import state_entry
from tap_tiktok_ads.errors import TikTokFatalError
from tap_tiktok_ads.paging import PageInfo
from tap_tiktok_ads.top_view import STATE_KEY, CannotTell, TopViewCheck

if TYPE_CHECKING:
    import datetime as dt
    import logging
    from collections.abc import Callable
    from concurrent.futures import Future, ThreadPoolExecutor

    from tap_tiktok_ads.runtime import Runtime

CAMPAIGN_LIST_PATH = "/campaign/get/"


class TopViewAsker:
    """One report stream's TopView checks: asked, asked ahead, and kept in its state."""

    def __init__(
        self,
        stream_name: str,
        logger: logging.Logger,
        runtime: Runtime,
        get_data: Callable[[str, dict[str, Any]], dict[str, Any]],
        plan_end: Callable[[str], tuple[dt.date, str]],
    ) -> None:
        """`get_data` sends one GET; `plan_end` gives an advertiser's last day and time zone."""
        self._stream_name = stream_name
        self._logger = logger
        self._runtime = runtime
        self._census = runtime.top_view
        self._directory = runtime.directory
        self._get_data = get_data
        self._plan_end = plan_end
        self._include_deleted = runtime.settings.include_deleted
        self._ahead: list[Future[None]] = []  # checks asked ahead, cancelled with the reads

    def found(self, advertiser_id: str) -> bool:
        """Whether a check of this run or the state says the advertiser has TopView campaigns."""
        check = self._census.known(advertiser_id)
        return check is not None and check.found

    def has_top_view(self, advertiser_id: str, *, wait: bool = True) -> bool:
        """Whether the advertiser has TopView campaigns: campaign/get/, unless known.

        Known from this run or from the state when that check still covers the run's last
        day (top_view.py), so that a TopView campaign created since is never missed.
        Without `wait`, False while another thread asks.
        """
        include_deleted = self._include_deleted

        def covers(check: TopViewCheck) -> bool:
            if check.found:
                return True
            last_day, timezone = self._plan_end(advertiser_id)  # only now: it needs the plan
            return check.covers(last_day, timezone, include_deleted=include_deleted)

        check = self._census.check(
            advertiser_id,
            covers,
            lambda filtering: self._count(advertiser_id, filtering),
            include_deleted=include_deleted,
            wait=wait,
        )
        return check is not None and check.found

    def _count(self, advertiser_id: str, filtering: dict[str, Any]) -> int:
        """The advertiser's campaigns `filtering` lets through; `CannotTell` if refused.

        Runs under the advertiser's lock (`TopViewCensus.check`): the error of a check asked
        ahead is raised here, once, instead of asking again with a second retry budget.
        """
        if (failed := self._census.take_failure(advertiser_id)) is not None:
            raise failed
        self._census.raise_if_ended()
        try:
            return self._ask(advertiser_id, filtering)
        except CannotTell:
            raise
        except Exception as exc:
            ends_run = not (isinstance(exc, TikTokFatalError) and exc.concerns_one_advertiser)
            self._census.note_failure(advertiser_id, exc, ends_run=ends_run)
            raise

    def _ask(self, advertiser_id: str, filtering: dict[str, Any]) -> int:
        """One campaign/get/ request: the total of campaigns `filtering` lets through."""
        params = {
            "advertiser_id": advertiser_id,
            "filtering": filtering,
            "fields": ["campaign_id"],
            "page": 1,
            "page_size": 1,
        }
        with metrics.http_request_counter(
            self._stream_name, endpoint=CAMPAIGN_LIST_PATH
        ) as requests:
            requests.with_context({"advertiser_id": advertiser_id})
            try:
                data = self._get_data(CAMPAIGN_LIST_PATH, params)
            except TikTokFatalError as exc:
                if not (exc.concerns_one_advertiser or exc.is_scope_refusal):
                    raise
                if self._census.note_refusal(advertiser_id):
                    self._logger.warning(
                        "Advertiser %s: TikTok refused %s (%s), so the reports read its "
                        "TopView rows (top_view.py) in every window instead of asking if it "
                        "has any; the run's last lines name every advertiser it refuses",
                        advertiser_id,
                        CAMPAIGN_LIST_PATH,
                        exc,
                    )
                raise CannotTell from exc
            requests.increment()
        info = PageInfo.of(data)
        return info.total_number if info else len(data.get("list") or [])

    def ahead(
        self, advertiser_ids: list[str], executor: ThreadPoolExecutor | None
    ) -> Callable[[int], None]:
        """What starts the checks of the advertisers up to an index, on the pool.

        Each is sent as the reads reach its advertiser, once the lookup answered
        (`advertiser/info/` goes first, and a check the state holds is judged with the
        plan): its answer is there when the advertiser's first window is written, and the
        window's read does not wait for it.
        """
        asked = 0

        def ask(index: int) -> None:
            nonlocal asked
            if executor is None or not self._directory.resolved:
                return
            while asked <= min(index, len(advertiser_ids) - 1):
                advertiser_id = advertiser_ids[asked]
                asked += 1
                if not self._directory.includes(advertiser_id) or self.found(advertiser_id):
                    continue
                with contextlib.suppress(RuntimeError):  # the pool was shut down
                    self._ahead.append(executor.submit(self._ask_ahead, advertiser_id))

        return ask

    def _ask_ahead(self, advertiser_id: str) -> None:
        """A check asked ahead (on a worker thread).

        Its error is kept (`_count`): the writer's own check of the advertiser raises it,
        where it ends the advertiser or the run as it should; an error that ends the run
        stops every other check and report read at once (`TopViewCensus.fatal`).
        """
        if self._census.fatal is not None or self._runtime.failures.advertiser_failed(
            advertiser_id
        ):
            return
        with contextlib.suppress(Exception):  # kept by `_count`, raised to the writer
            self.has_top_view(advertiser_id, wait=False)

    def cancel_ahead(self) -> None:
        """Drop the checks asked ahead that have not started (the stream's reads end)."""
        for future in self._ahead:
            future.cancel()
        self._ahead.clear()

    def remember(self, advertiser_id: str, stream_state: dict[str, Any]) -> None:
        """Keep the advertiser's check in the stream's state, for the next runs."""
        check = self._census.known(advertiser_id)
        if check is not None and check.told:
            state_entry(stream_state, STATE_KEY, dict)[advertiser_id] = check.to_state()
