"""Organic data of TikTok business accounts: profile, daily insights and videos.

Each account in `tiktok_accounts` is a partition with its own state and its own token
(`tap_tiktok_ads.auth`). These streams never touch the advertiser directory, so they run on
a config without advertiser settings. Each stream's fields, with their sources, are in
`data/stream_fields/<stream>.csv`. The fields requested from TikTok are exactly the
properties the catalog selects; a field TikTok sends beyond them that the schema does not
declare is kept in `extra_fields` and logged once per run (`tap_tiktok_ads.extra_fields`).
"""

from __future__ import annotations

import contextlib
import datetime as dt
from functools import cached_property
from typing import TYPE_CHECKING, Any

from singer_sdk.pagination import BaseAPIPaginator
from typing_extensions import override

from tap_tiktok_ads import dates
from tap_tiktok_ads.auth import (
    REFUSED_ACCESS_CODES,
    AccountAuthorizationError,
    AccountTokenAuthenticator,
    AccountTokens,
    without_session_auth,
)
from tap_tiktok_ads.bookmarks import CompleteDataBookmarks
from tap_tiktok_ads.client import TikTokStream
from tap_tiktok_ads.envelope import response_data
from tap_tiktok_ads.errors import (
    RetriesExhaustedError,
    TikTokFatalError,
    TikTokTokenExpiredError,
)
from tap_tiktok_ads.extra_fields import EXTRA_FIELDS, ExtraFields
from tap_tiktok_ads.scopes import missing_scope_help
from tap_tiktok_ads.stream_fields import stream_schema

if TYPE_CHECKING:
    import logging
    from collections.abc import Callable, Iterable

    import requests
    from singer_sdk.helpers.types import Context
    from singer_sdk.streams.rest import HTTPRequest, PageContext

    from tap_tiktok_ads.runtime import Runtime

# TikTok updates account data 24-48 hours late (reference 4.3, 5): every run reads the
# last days before the bookmark again.
REREAD_DAYS = 3
# `business/get/` serves daily insights for the last 60 days only (reference 4.3).
MAX_LOOKBACK_DAYS = 60
# No documented limit on the range of one `business/get/` call; 30 days, as for daily
# reports, keeps answers small and lets the bookmark move as windows complete.
DAYS_PER_REQUEST = 30
MAX_VIDEOS_PER_PAGE = 20  # `business/video/list/` max_count is at most 20 (reference 4.4)


class OrganicStream(TikTokStream):
    """Base of the TikTok-account streams: one partition and one token per account."""

    paginated = False
    refreshes_tokens = True  # each account's refresh token renews its access token (auth.py)

    def __init__(self, tap: Any, runtime: Runtime, tokens: AccountTokens) -> None:  # noqa: ANN401
        """Share the accounts' tokens with the other organic streams."""
        self.tokens = tokens
        self._business_id: str | None = None
        super().__init__(tap, runtime)
        self.extra_fields = ExtraFields(self.name, self.schema, self.logger)
        # The fields `fields` can name: the schema's properties but its keys and `extra_fields`
        # (taken before a catalog could change the keys).
        keys = {*self.primary_keys, EXTRA_FIELDS}
        self.tiktok_fields = [name for name in self.schema["properties"] if name not in keys]

    @property
    @override
    def partitions(self) -> list[dict] | None:
        """One partition, and one state, per TikTok account."""
        return [{"business_id": business_id} for business_id in self.tokens.business_ids]

    @property
    @override
    def http_headers(self) -> dict[str, str]:
        """No token here: `authenticator` sets it on each attempt, inside the retries.

        Preparing a request happens outside them, so a refresh started there that met a
        transient fault (HTTP 5xx, 40100) would fail the run instead of being retried.
        """
        return {}

    @override
    def build_prepared_request(self, *args: Any, **kwargs: Any) -> requests.PreparedRequest:
        """Prepare without the account's token (see `http_headers`)."""
        return super().build_prepared_request(*args, **{**kwargs, "auth": without_session_auth})

    @override
    def access_token(self) -> str | None:
        """The current token of the account being read (refreshed when needed)."""
        if self._business_id is None:
            return None
        return self.tokens.access_token(self._business_id)

    @cached_property
    @override
    def authenticator(self) -> AccountTokenAuthenticator:
        """Sets the account's current token on every attempt, retries included."""
        return AccountTokenAuthenticator(self.access_token)

    @override
    def validate_response(self, response: requests.Response) -> None:
        """On 40102 drop the expired token, so that the retry refreshes it first.

        On 40104/40105 `AccountTokens.refused` decides: refresh a configured token, or fail
        the account.
        """
        try:
            super().validate_response(response)
        except TikTokTokenExpiredError:
            if self._business_id is not None:
                used = response.request.headers.get("Access-Token")
                self.tokens.expired(self._business_id, str(used or ""))
            raise
        except TikTokFatalError as exc:
            if self._business_id is not None and exc.code in REFUSED_ACCESS_CODES:
                used = response.request.headers.get("Access-Token")
                self.tokens.refused(self._business_id, used, exc)
            raise

    @override
    def request_decorator(self, func: Callable) -> Callable:
        """Repeat a call that met an expired token at once; other faults back off as usual.

        The repetition runs the authenticator again, which refreshes the dropped token, so
        it carries the new one. A second 40102 in a row goes to the normal retries. A refused
        configured token (40104/40105) is repeated the same way.
        """

        def with_fresh_token(*args: Any, **kwargs: Any) -> requests.Response:  # noqa: ANN401
            try:
                return func(*args, **kwargs)  # type: ignore[no-any-return]
            except TikTokTokenExpiredError:
                return func(*args, **kwargs)  # type: ignore[no-any-return]

        return super().request_decorator(with_fresh_token)

    def selected_fields(self) -> list[str]:
        """TikTok's fields that the catalog selects."""
        mask = self.mask
        return [name for name in self.tiktok_fields if mask.get(("properties", name), False)]

    def requested_fields(self) -> list[str]:
        """The `fields` sent to TikTok: only the selected ones.

        Each field needs its own scope (Doc 1762228399168514), so an account that cannot
        grant a scope syncs once the fields of that scope are deselected.
        """
        return self.selected_fields()

    def refusal_help(self, error: TikTokFatalError) -> str | None:
        """For a scope refusal, the help naming the scope and the fields that need it."""
        if not error.is_scope_refusal:
            return None
        return missing_scope_help(
            self.name, self.path, self.requested_fields(), error.tiktok_message
        )

    @override
    def get_records(self, context: Context | None) -> Iterable[dict[str, Any]]:
        """The account's records; an account TikTok refused, or its refresh token, is skipped.

        A refusal of the account itself (no permission, scope not authorised) is recorded
        here; its bookmark stays and the later organic streams skip it too. So is an account
        whose retries ran out (a lasting server error on its requests), unless several
        accounts in a row ran out on the same fault: then TikTok is failing for all and the
        run stops (`FailureRegistry.account_gave_up`).
        """
        business_id = (context or {}).get("business_id")
        if not self.tokens.business_ids:
            self.runtime.run_log.once(
                "no tiktok_accounts",
                self._tap.logger,
                "The organic streams (organic_*) are selected but `tiktok_accounts` is empty: "
                "they emit nothing. Add your TikTok accounts (business_id and refresh_token) to "
                "`tiktok_accounts`, or deselect the organic streams.",
            )
        if not business_id or self.runtime.failures.account_failed(business_id):
            return
        self._business_id = business_id
        failures = self.runtime.failures
        try:
            # A refused account was logged and is raised at the end of the run.
            with contextlib.suppress(AccountAuthorizationError):
                yield from self.account_records(business_id, context or {})
        except RetriesExhaustedError as exc:
            if exc.cause is None:  # the API host cannot be reached: no account can be read
                raise
            failures.account_gave_up(business_id, exc, self.logger)
            return
        except TikTokFatalError as exc:
            if not failures.account_refused(business_id, exc, self.logger, self.refusal_help(exc)):
                raise
        finally:
            self._business_id = None
        failures.account_answered()

    def account_records(self, business_id: str, context: Context) -> Iterable[dict[str, Any]]:
        """Records of one account; streams override this."""
        del business_id
        yield from self.request_records(context)

    @override
    def post_process(self, row: dict, context: Context | None = None) -> dict | None:
        """Keep what TikTok sent beyond the schema, which the SDK would drop silently."""
        del context
        return self.extra_fields.keep(row)


class OrganicProfileStream(OrganicStream):
    """`business/get/` profile and audience: one record per account and extraction day."""

    name = "organic_profile"
    path = "/business/get/"
    primary_keys = ("business_id", "extracted_date")
    schema = stream_schema(name, required=primary_keys)

    @override
    def request_params(self, context: Context | None) -> dict[str, Any]:
        """The account and its selected profile fields."""
        return {"business_id": (context or {})["business_id"], "fields": self.requested_fields()}

    @override
    def parse_response(self, response: requests.Response) -> Iterable[dict]:
        """The profile: `data` itself, stamped with the UTC day of extraction."""
        profile = dict(response_data(response))
        profile.pop("metrics", None)
        profile["extracted_date"] = dates.utc_now().date().isoformat()
        yield profile


class OrganicProfileDailyStream(CompleteDataBookmarks, OrganicStream):
    """`business/get/` daily insights (`data.metrics[]`), incremental per account on `date`."""

    name = "organic_profile_daily"
    path = "/business/get/"
    primary_keys = ("business_id", "date")
    replication_key = "date"
    schema = stream_schema(name, required=primary_keys)
    # The bookmark moves at window ends only (`set_bookmark`), so every STATE message
    # is resumable although the re-read days come before the bookmark.
    is_sorted = True
    check_sorted = False

    def __init__(self, tap: Any, runtime: Runtime, tokens: AccountTokens) -> None:  # noqa: ANN401
        """Warn about a clamped start once per run, not once per account."""
        super().__init__(tap, runtime, tokens)
        self._clamp_warned = False

    def date_range(self, bookmark: str | None) -> tuple[dt.date, dt.date]:
        """The UTC days to read: from `start_date`, or from the bookmark minus the re-read days.

        Never older than TikTok's 60 days back, never later than yesterday: a day's data
        exists only once it is over.
        """
        settings = self.runtime.settings
        today = dates.utc_now().date()
        resume_day = dates.day_of(bookmark) - dt.timedelta(REREAD_DAYS) if bookmark else None
        start = dates.first_day_to_read(settings.start_date, today, resume_day)
        end = min(dates.parse_date_setting(settings.end_date, today), today - dt.timedelta(1))
        oldest = today - dt.timedelta(MAX_LOOKBACK_DAYS)
        if start < oldest:
            origin = "The bookmark" if start == resume_day else "`start_date`"
            self._warn_clamped(start, oldest, origin)
            start = oldest
        return start, end

    def _warn_clamped(self, start: dt.date, oldest: dt.date, origin: str) -> None:
        """Say once per run that days older than TikTok serves are skipped, and why."""
        if self._clamp_warned:
            return
        self._clamp_warned = True
        self.logger.warning(
            "%s puts the first day to read at %s, more than %d days back; TikTok serves daily "
            "insights of TikTok accounts for the last %d days only, so %s starts at %s.",
            origin,
            start,
            MAX_LOOKBACK_DAYS,
            MAX_LOOKBACK_DAYS,
            self.name,
            oldest,
        )

    @override
    def request_params(self, context: Context | None) -> dict[str, Any]:
        """The account, one window of days and the selected daily fields."""
        context = context or {}
        return {
            "business_id": context["business_id"],
            "start_date": context["start_date"],
            "end_date": context["end_date"],
            "fields": self.requested_fields(),
        }

    @override
    def parse_response(self, response: requests.Response) -> Iterable[dict]:
        """The daily rows of `data.metrics`."""
        yield from response_data(response).get("metrics") or []

    @override
    def account_records(self, business_id: str, context: Context) -> Iterable[dict[str, Any]]:
        """The account's days, window by window, moving the bookmark after each."""
        start, end = self.date_range(self.resume_bookmark(context))
        for window in dates.windows(start, end, DAYS_PER_REQUEST):
            yield from self.request_records(
                {
                    "business_id": business_id,
                    "start_date": window.start.isoformat(),
                    "end_date": window.end.isoformat(),
                }
            )
            self.set_bookmark(context, window.end.isoformat())

    @override
    def post_process(self, row: dict, context: Context | None = None) -> dict | None:
        """`audience_activity` hours arrive as text ("0".."23"); emit them as integers."""
        for entry in row.get("audience_activity") or []:
            hour = entry.get("hour")
            if isinstance(hour, str) and hour.isdigit():
                entry["hour"] = int(hour)
        return super().post_process(row, context)


def cursor_number(value: object) -> int | None:
    """`business/video/list/`'s cursor (int64 Unix milliseconds, reference 4.4), or None.

    Text of digits counts: other libraries accept TikTok's numbers sent as text
    (`create_time`), and so does the tap.
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return None


class VideoCursorPaginator(BaseAPIPaginator[int | None]):
    """`cursor`/`has_more` paging of `business/video/list/` (reference 4.4).

    A page may hold fewer videos than asked, even none, while `has_more` is true (TikTok
    filters posts after paging), so an empty page does not end the listing; a cursor that
    does not move does, with a warning, instead of the SDK's loop error.
    """

    def __init__(self, logger: logging.Logger) -> None:
        """Start without a cursor: TikTok begins at the newest post."""
        super().__init__(None)
        self._logger = logger

    @override
    def has_more(self, response: requests.Response) -> bool:
        """Whether TikTok says older posts follow and gave a new cursor to reach them.

        The cursor is compared as a number: one sent as text ("1655118106000") that did not
        move is the same cursor as the number kept from the page before.
        """
        data = response_data(response)
        if not data.get("has_more"):
            return False
        sent = data.get("cursor")
        cursor = cursor_number(sent)
        if cursor is None and sent not in (None, ""):
            self._logger.warning(
                "business/video/list/ said more videos follow but sent a cursor that is not a "
                "number (%r; TikTok documents Unix milliseconds); stopping this account's "
                "video list here, its older videos are missing from this run",
                sent,
            )
            return False
        if not cursor or cursor == self.current_value:
            self._logger.warning(
                "business/video/list/ said more videos follow but did not move its cursor "
                "(%s); stopping this account's video list here",
                sent,
            )
            return False
        return True

    @override
    def get_next(self, response: requests.Response) -> int | None:
        """The cursor of the next page (Unix milliseconds)."""
        return cursor_number(response_data(response).get("cursor"))

    @override
    def continue_if_empty(self, response: requests.Response) -> bool:
        """An empty page still has a successor when `has_more` says so."""
        return self.has_more(response)


class OrganicVideosStream(OrganicStream):
    """`business/video/list/`: every video of the account with its lifetime insights."""

    name = "organic_videos"
    path = "/business/video/list/"
    primary_keys = ("business_id", "item_id")
    schema = stream_schema(name, required=primary_keys)

    @override
    def get_new_paginator(self) -> VideoCursorPaginator:  # type: ignore[override]
        """Cursor paging instead of the base stream's `page_info`."""
        return VideoCursorPaginator(self.logger)

    @override
    def requested_fields(self) -> list[str]:
        """`item_id` plus the selected fields: TikTok needs `item_id` among several (4.4)."""
        return ["item_id", *self.selected_fields()]

    @override
    def request_params(self, context: Context | None) -> dict[str, Any]:
        """The account, the largest page and the requested fields."""
        return {
            "business_id": (context or {})["business_id"],
            "fields": self.requested_fields(),
            "max_count": MAX_VIDEOS_PER_PAGE,
        }

    @override
    def get_http_request(self, *, page: PageContext) -> HTTPRequest:
        """Add the cursor from the previous page."""
        request = super().get_http_request(page=page)
        if page.next_page_token:
            request.params["cursor"] = page.next_page_token
        return request

    @override
    def parse_response(self, response: requests.Response) -> Iterable[dict]:
        """The videos of `data.videos`."""
        yield from response_data(response).get("videos") or []

    @override
    def post_process(self, row: dict, context: Context | None = None) -> dict | None:
        """`create_time` arrives as epoch seconds, number or text; emit an ISO timestamp."""
        created = row.get("create_time")
        if isinstance(created, str) and created.strip().isdigit():
            created = int(created)
        if isinstance(created, (int, float)) and not isinstance(created, bool):
            row["create_time"] = dt.datetime.fromtimestamp(created, tz=dt.timezone.utc).isoformat()
        if row.get("item_id") is not None:
            row["item_id"] = str(row["item_id"])
        return super().post_process(row, context)


def organic_streams(tap: Any, runtime: Runtime) -> list[OrganicStream]:  # noqa: ANN401
    """The TikTok-account streams of the run, sharing the accounts' tokens."""
    tokens = AccountTokens(runtime, tap.logger)
    return [
        OrganicProfileStream(tap, runtime, tokens),
        OrganicProfileDailyStream(tap, runtime, tokens),
        OrganicVideosStream(tap, runtime, tokens),
    ]
