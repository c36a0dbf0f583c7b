"""Report streams whose timeouts are TikTok's verdict on a query's size, as in query_size.py.

A timed-out query (51010, HTTP 504 or no answer within `request_timeout_seconds` on its first
page: `query_size.heavy_answer`, `query_size.no_answer`) is counted in the run's
`TimeoutWatch`, which slows the client down before TikTok lowers the app's QPS, and is never
sent again unchanged into TikTok's 10-minute block (Doc 1757262274182145, Scenarios 2 and 3):
its date window is halved, and later windows of the same stream and advertiser start below
the size that timed out. Only a one-day query, which cannot get smaller, is asked again, and
at most twice in 10 minutes (`TimeoutWatch.may_repeat`).

`CountsHeavyQueries` counts and refuses such answers; the report streams (reports.py) use it
and split their own way. `SplitsHeavyQueries` adds the halving, used by the GMV Max reports
(`gmv_max/report/get/`). Inferred: Doc 1757262274182145 speaks of the Reporting API's
synchronous reports; that TikTok counts and punishes the timeouts of GMV Max reports the
same way is our reading, not documented.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeVar

from requests import exceptions as requests_exceptions
from typing_extensions import override

from tap_tiktok_ads.client import TikTokStream
from tap_tiktok_ads.dates import DateWindow, halves
from tap_tiktok_ads.errors import TikTokFatalError
from tap_tiktok_ads.query_size import QueryTooHeavy, heavy_answer, no_answer

if TYPE_CHECKING:
    from collections.abc import Callable

    import requests
    from singer_sdk.helpers.types import Context

_T = TypeVar("_T")


class CountsHeavyQueries(TikTokStream):
    """A stream whose queries TikTok may find too heavy: counted, never retried unchanged.

    Two hooks let a stream narrow or extend this: `is_sized_query` (which requests TikTok
    judges by their size) and `note_too_heavy` (what is counted of a heavy answer).
    """

    def is_sized_query(self, request: requests.PreparedRequest) -> bool:
        """Whether a timeout of this request is TikTok's verdict on its size: all, here."""
        del request
        return True

    def note_too_heavy(self, heavy: QueryTooHeavy) -> None:
        """Count a heavy answer per 10 s and per request (query_size.py)."""
        self.runtime.timeout_watch.note(heavy.request_key)

    @override
    def validate_response(self, response: requests.Response) -> None:
        """A timeout or a refusal as too large is `QueryTooHeavy`, never retried unchanged."""
        if self.is_sized_query(response.request):
            heavy = heavy_answer(response, self.runtime.redactor)
            if heavy is not None:
                self.note_too_heavy(heavy)
                raise heavy
        super().validate_response(response)

    @override
    def _request(
        self, prepared_request: requests.PreparedRequest, context: Context | None
    ) -> requests.Response:
        """No answer in time to a first page is a timeout too; later pages keep their retries."""
        try:
            return super()._request(prepared_request, context)
        except requests_exceptions.ReadTimeout:
            if not self.is_sized_query(prepared_request):
                raise
            heavy = no_answer(prepared_request.url or "", self.timeout)
            if heavy is None:
                raise
            self.note_too_heavy(heavy)
            raise heavy from None


class SplitsHeavyQueries(CountsHeavyQueries):
    """A report stream whose timed-out queries are counted and read in halves, not repeated."""

    def rows_in_halves(
        self, window: DateWindow, read: Callable[[DateWindow], list[_T]], advertiser_id: str
    ) -> list[_T]:
        """Every row `read` gives for `window`, read in halves when TikTok finds it too heavy.

        `read` reads one query's rows in full (all its pages), so rows of a query that timed
        out part-way are dropped, never emitted twice. Once a window of n days of this stream
        and advertiser was too heavy, its windows of n days or more are halved before they
        are sent.
        """
        watch, key = self.runtime.timeout_watch, f"{self.name}:{advertiser_id}"
        too_heavy_days = watch.too_heavy_days(key)
        if window.days > 1 and too_heavy_days is not None and window.days >= too_heavy_days:
            return [
                row
                for part in halves(window)
                for row in self.rows_in_halves(part, read, advertiser_id)
            ]
        while True:
            watch.wait_turn(self.runtime.stopping)
            try:
                return read(window)
            except QueryTooHeavy as heavy:
                if window.days > 1:
                    watch.note_too_heavy_days(key, window.days)
                    self.logger.info(
                        "%s: TikTok found the query of advertiser %s for %s too heavy (%s); "
                        "reading it in two halves instead of repeating it",
                        self.name,
                        advertiser_id,
                        window,
                        heavy,
                    )
                    return self.rows_in_halves(window, read, advertiser_id)
                if not watch.may_repeat(heavy.request_key):
                    msg = (
                        f"{self.name}: TikTok keeps timing out on the query of advertiser "
                        f"{advertiser_id} even for one day, {window.start} ({heavy}); it "
                        "blocks a request that timed "
                        "out 3 times for 10 minutes. Run the tap again later; it resumes from "
                        "its state."
                    )
                    raise TikTokFatalError(self.runtime.redactor(msg)) from None
                self.logger.warning(
                    "%s: TikTok timed out on the query of advertiser %s for %s (%s); a single "
                    "day cannot be split, asking once more",
                    self.name,
                    advertiser_id,
                    window.start,
                    heavy,
                )
