"""TikTok-account tokens: 24-hour access tokens, refreshed per account during the run.

A TikTok business account's access token lasts 24 hours and its refresh token a year
(reference 4.1). Every account in `tiktok_accounts` keeps its own pair here. The access token
is refreshed before the account's first call when none was configured, shortly before its
`expires_in` runs out, and after a call answered 40102 (expired). A configured access token
TikTok refuses (40104, 40105: often one that a re-authorisation revoked) is dropped and
refreshed once. A refused refresh token (40103 expired, 40107 invalid) is tried again once
with the one `refresh_token_store_path` holds now, if another run kept a newer one there.
A refresh token still refused, or a refreshed access token TikTok refuses, fails that account
only: the streams go on with the other accounts, and the run's failure registry fails the run
at its end. So does a refresh answer whose `open_id` is not the entry's `business_id`: the
message names the account the token belongs to.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NoReturn

from singer_sdk.authenticators import APIAuthenticatorBase
from typing_extensions import override

from tap_tiktok_ads import dates
from tap_tiktok_ads.envelope import checked_body
from tap_tiktok_ads.errors import (
    TikTokFatalError,
    TikTokRetriableError,
    TikTokTokenExpiredError,
    classify,
)
from tap_tiktok_ads.runtime import TIKTOK_ACCOUNTS, Failure
from tap_tiktok_ads.token_store import STORE_SETTING, RefreshTokenStore

if TYPE_CHECKING:
    import logging
    from collections.abc import Callable

    import requests

    from tap_tiktok_ads.runtime import Runtime

REFRESH_PATH = "/tt_user/oauth2/refresh_token/"  # reference 4.1
# Refresh this long before the announced expiry so that no call leaves with a token that
# dies on the way; at most a tenth of the token's lifetime, for short-lived tokens.
EXPIRY_MARGIN_SECONDS = 300.0
# Warn this long before a refresh token expires: it lasts a year from the authorisation and
# refreshing does not extend it (reference 4.1); only re-authorising the account helps.
REFRESH_TOKEN_WARNING_DAYS = 30
REFUSED_REFRESH_CODES = frozenset({40103, 40107})  # refresh token expired / invalid (1.7)
REFUSED_ACCESS_CODES = frozenset({40104, 40105})  # access token empty / invalid (1.7)
_REFRESH_FIX = (
    "Re-authorise each of them for your app and put its new `refresh_token` in `tiktok_accounts`."
)


class AccountAuthorizationError(TikTokFatalError):
    """TikTok refused an account's refresh token: only re-authorising the account helps."""

    def __init__(self, business_id: str, message: str, code: int | None) -> None:
        """Keep which account failed, for the run's final message."""
        super().__init__(message, code)
        self.business_id = business_id


@dataclass
class _AccountTokens:
    entry: str  # the account's entry in the config, for messages: `tiktok_accounts[i]`
    refresh_token: str  # the newest: the configured one, or one TikTok rotated it into
    access_token: str | None
    configured_refresh_token: str = ""  # the entry's `refresh_token`, which keys the store
    expires_at: float | None = None  # time.monotonic() deadline; None while unknown
    failure: AccountAuthorizationError | None = None
    configured: bool = False  # `access_token` is the configured one
    configured_refused: bool = False  # TikTok refused the configured access token
    expiry_warned: bool = False  # the refresh token's coming expiry was logged this run

    def fix(self) -> str:
        """What to do about the account's tokens, naming the settings TikTok refused."""
        fix = (
            f"Re-authorise the account for your app and put its new `refresh_token` in "
            f"`{self.entry}.refresh_token`"
        )
        if self.configured_refused:
            return f"{fix}; remove the revoked `{self.entry}.access_token`."
        return f"{fix}."


def without_session_auth(request: requests.PreparedRequest) -> requests.PreparedRequest:
    """No Access-Token from the session's authenticator (a call's `auth=` overrides it).

    The refresh call carries the app's credentials in its body instead (1.2); organic calls
    get the account's token later, on each attempt.
    """
    return request


class AccountTokens:
    """The access and refresh tokens of every configured TikTok account, for one run."""

    def __init__(self, runtime: Runtime, logger: logging.Logger) -> None:
        """Start from the configured tokens; nothing is requested before the first call."""
        self._runtime = runtime
        self._logger = logger
        self._accounts = {
            account.business_id: _AccountTokens(
                f"tiktok_accounts[{index}]",
                account.refresh_token,
                account.access_token,
                configured_refresh_token=account.refresh_token,
                configured=account.access_token is not None,
            )
            for index, account in enumerate(runtime.settings.tiktok_accounts)
        }
        self._store: RefreshTokenStore | None = None
        self._store_lock = threading.Lock()

    def open_store(self) -> None:
        """Take the refresh tokens that earlier runs kept (`refresh_token_store_path`), once.

        The tap calls this when a sync of organic streams starts, so that a store it cannot
        read stops the run before any request (`TokenStoreError`).
        """
        path = self._runtime.settings.refresh_token_store_path
        if self._store is not None or not path or not self._accounts:
            return  # without the lock: `access_token` asks on every request
        with self._store_lock:
            if self._store is not None:
                return
            store = RefreshTokenStore.load(path)
            for business_id, tokens in self._accounts.items():
                kept = store.refresh_token(business_id, tokens.configured_refresh_token)
                if kept and kept != tokens.refresh_token:
                    self._adopt(
                        business_id,
                        tokens,
                        kept,
                        f"using the refresh token kept in `{STORE_SETTING}` ({store.path}), "
                        f"which TikTok issued in place of `{tokens.entry}.refresh_token`",
                    )
            # Last: a request that sees the store sees the kept tokens taken.
            self._store = store

    @property
    def business_ids(self) -> list[str]:
        """The configured accounts, in config order."""
        return list(self._accounts)

    def access_token(self, business_id: str) -> str:
        """A current access token of the account, refreshed first when needed.

        Raises `AccountAuthorizationError` when the account's refresh token was refused.
        """
        self.open_store()
        tokens = self._accounts[business_id]
        if tokens.failure is not None:
            raise tokens.failure
        if tokens.access_token is None or (
            tokens.expires_at is not None and time.monotonic() >= tokens.expires_at
        ):
            self._refresh(business_id, tokens)
        return str(tokens.access_token)

    def expired(self, business_id: str, token: str | None) -> None:
        """TikTok said `token` expired (40102): the next `access_token` call refreshes it."""
        tokens = self._accounts.get(business_id)
        if tokens is not None and token and tokens.access_token == token:
            tokens.access_token = None

    def refused(self, business_id: str, token: str | None, error: TikTokFatalError) -> NoReturn:
        """TikTok refused `token` as empty or invalid (40104/40105) on a call of the account.

        The configured token is dropped, and `TikTokTokenExpiredError` repeats the call with a
        refreshed one: a configured token is often the one a re-authorisation revoked. A
        refreshed token refused fails the account (`AccountAuthorizationError`), not the run:
        organic calls carry the account's own token, never the app's.
        """
        tokens = self._accounts[business_id]
        said = f"TikTok error {error.code} on {error.where}: {error.tiktok_message}"
        if tokens.configured and token == tokens.access_token:
            tokens.access_token, tokens.configured = None, False
            tokens.configured_refused = True
            self._logger.warning(
                "TikTok refused the access token configured in `%s.access_token` for TikTok "
                "account %s (%s); refreshing it with the account's refresh token. Remove the "
                "revoked `access_token` from that entry.",
                tokens.entry,
                business_id,
                said,
            )
            raise TikTokTokenExpiredError(str(error), error.code)
        exc = AccountAuthorizationError(
            business_id,
            f"TikTok refused the access token of TikTok account {business_id} refreshed with "
            f"`{tokens.entry}.refresh_token` ({said}).",
            error.code,
        )
        tokens.failure = exc
        failure = Failure(
            "the access token of",
            TIKTOK_ACCOUNTS,
            business_id,
            error.code,
            error.where,
            tokens.fix(),
        )
        self._runtime.failures.add(failure, str(exc), self._logger)
        raise exc

    def _refresh(self, business_id: str, tokens: _AccountTokens) -> None:
        """Exchange the refresh token for a new access token (and maybe a new refresh token)."""
        try:
            data = self._exchange_newest(business_id, tokens)
        except AccountAuthorizationError as exc:
            tokens.failure = exc
            fix = tokens.fix() if tokens.configured_refused else _REFRESH_FIX
            failure = Failure(
                "the refresh token of", TIKTOK_ACCOUNTS, business_id, exc.code, None, fix
            )
            self._runtime.failures.add(failure, str(exc), self._logger)
            raise
        access_token = str(data["access_token"])
        refresh_token = data.get("refresh_token")
        self._runtime.redactor.add(access_token, refresh_token)
        owner = str(data.get("open_id") or business_id)  # the token's account (4.1)
        if refresh_token and refresh_token != tokens.refresh_token:
            tokens.refresh_token = str(refresh_token)
            self._rotated(business_id, owner, tokens)
        if owner != business_id:
            self._mismatched(business_id, tokens, owner)
        tokens.access_token, tokens.configured = access_token, False
        tokens.expires_at = None
        expires_in = data.get("expires_in")
        if isinstance(expires_in, (int, float)) and expires_in > 0:
            margin = min(EXPIRY_MARGIN_SECONDS, expires_in / 10)
            tokens.expires_at = time.monotonic() + expires_in - margin
        self._logger.info("Refreshed the access token of TikTok account %s", business_id)
        self._warn_of_expiry(business_id, tokens, data.get("refresh_token_expires_in"))

    def _exchange_newest(self, business_id: str, tokens: _AccountTokens) -> dict[str, Any]:
        """The refresh answer's `data`; a refused token is retried once with the store's newer one.

        Another run (an hourly one beside a backfill, another shard) may have rotated the
        token this run read from the store at its start, and kept the new one there.
        """
        try:
            return self._exchange(business_id, tokens.refresh_token)
        except AccountAuthorizationError as exc:
            store = self._store
            if store is None or exc.code not in REFUSED_REFRESH_CODES:
                raise
            newer = store.newer(business_id, tokens.configured_refresh_token, tokens.refresh_token)
            if newer is None:
                raise
        self._adopt(
            business_id,
            tokens,
            newer,
            "TikTok refused the refresh token this run started with, and another run kept a "
            f"newer one in `{STORE_SETTING}` ({store.path}) since; refreshing with that one",
        )
        return self._exchange(business_id, newer)

    def _adopt(self, business_id: str, tokens: _AccountTokens, kept: str, why: str) -> None:
        """Refresh with a token from the store from now on: masked first, then logged (why)."""
        self._runtime.redactor.add(kept)
        tokens.refresh_token = kept
        self._logger.info("TikTok account %s: %s.", business_id, why)

    def _exchange(self, business_id: str, refresh_token: str) -> dict[str, Any]:
        """Ask TikTok for a new access token with `refresh_token` (reference 4.1)."""
        settings = self._runtime.settings
        body = {
            "client_id": settings.app_id,
            "client_secret": settings.secret,
            "grant_type": "refresh_token",
            "refresh_token": refresh_token,
        }
        response = self._runtime.session.post(
            settings.api_base_url + REFRESH_PATH,
            json=body,
            auth=without_session_auth,
            timeout=settings.request_timeout_seconds,
        )
        return self._answer(business_id, response)

    def _rotated(self, business_id: str, owner: str, tokens: _AccountTokens) -> None:
        """TikTok issued a new refresh token: keep it for later runs, when there is a store.

        Reference 4.1: the refresh token "may rotate"; whether the old one stays valid is not
        documented. The store keys it by the account it belongs to (`owner`, the answer's
        open_id), so that it still applies once a mismatched business_id is corrected.
        """
        store = self._store
        if store is None:
            self._logger.warning(
                "TikTok issued a new refresh token for TikTok account %s; this run uses it, "
                "but the tap keeps it nowhere (it stays masked), and TikTok does not say "
                "whether `%s.refresh_token` stays valid. Set `%s` to a file the tap may write "
                "(see the README) and later runs use the newest token. Without it, if a later "
                "run is refused with 40103 or 40107 for this account, re-authorise it and put "
                "the refresh token of that authorisation in `%s.refresh_token`.",
                business_id,
                tokens.entry,
                STORE_SETTING,
                tokens.entry,
            )
            return
        try:
            store.keep(owner, tokens.configured_refresh_token, tokens.refresh_token)
        except OSError as exc:
            self._logger.error(  # noqa: TRY400 - the reason is the message; no traceback
                "TikTok issued a new refresh token for TikTok account %s, and the tap could not "
                "keep it in `%s` (%s): %s. This run uses it; make the file writable, or a later "
                "run may be refused (40107) and the account need re-authorising.",
                business_id,
                STORE_SETTING,
                store.path,
                self._runtime.redactor(str(exc)),
            )
            return
        self._logger.info(
            "TikTok issued a new refresh token for TikTok account %s; kept it in `%s` (%s) "
            "for later runs.",
            business_id,
            STORE_SETTING,
            store.path,
        )

    def _warn_of_expiry(
        self, business_id: str, tokens: _AccountTokens, seconds_left: object
    ) -> None:
        """Warn once a run when the refresh token has less than 30 days left.

        Refreshing does not extend it (reference 4.1): an hourly pipeline keeps working until
        the day TikTok refuses it (40103), unless someone re-authorises the account first.
        """
        if tokens.expiry_warned or not isinstance(seconds_left, int | float):
            return
        left = dt.timedelta(seconds=max(0.0, seconds_left))
        if left >= dt.timedelta(days=REFRESH_TOKEN_WARNING_DAYS):
            return
        tokens.expiry_warned = True
        expires = (dates.utc_now() + left).strftime("%Y-%m-%d %H:%M UTC")
        self._logger.warning(
            "The refresh token of `%s` (TikTok account %s) expires on %s, in %d day(s); "
            "refreshing does not extend it. Re-authorise the account before then and put the "
            "new refresh token in `%s.refresh_token`, or TikTok refuses the account (40103).",
            tokens.entry,
            business_id,
            expires,
            left.days,
            tokens.entry,
        )

    def _mismatched(self, business_id: str, tokens: _AccountTokens, open_id: str) -> NoReturn:
        """The refresh token belongs to another account: fail this entry, saying which one.

        The refresh answer's `open_id` is the business_id of the token's account (reference
        4.1); with another one, every call of the entry would be refused as a permission
        problem (40001), which hides the copy-and-paste slip behind re-authorisation advice.
        """
        fix = (
            f"`{tokens.entry}.business_id` is {business_id}, but its refresh token belongs to "
            f"open_id {open_id}: put {open_id} as `{tokens.entry}.business_id`, or the refresh "
            f"token of account {business_id} in `{tokens.entry}.refresh_token`."
        )
        exc = AccountAuthorizationError(business_id, f"TikTok account {business_id}: {fix}", None)
        tokens.failure = exc
        failure = Failure("the business_id of", TIKTOK_ACCOUNTS, business_id, None, None, fix)
        self._runtime.failures.add(failure, str(exc), self._logger)
        raise exc

    def _answer(self, business_id: str, response: requests.Response) -> dict[str, Any]:
        """The refresh answer's `data`, or the error that says what to do."""
        body = checked_body(response, REFRESH_PATH)
        code, data = body.get("code"), body.get("data")
        if code == 0 and isinstance(data, dict) and data.get("access_token"):
            return data
        message = self._runtime.redactor(str(body.get("message", "")))
        if code in REFUSED_REFRESH_CODES:
            msg = (
                f"TikTok refused the refresh token of TikTok account {business_id} "
                f"(error {code}: {message}): re-authorise the account and put its new "
                "`refresh_token` in `tiktok_accounts`."
            )
            raise AccountAuthorizationError(business_id, msg, code)
        if not isinstance(code, int) or code == 0:
            msg = f"TikTok's answer on {REFRESH_PATH} carries no access token; will retry"
            raise TikTokRetriableError(msg, where=REFRESH_PATH)
        error = classify(
            code, message, REFRESH_PATH, body.get("request_id"), token_refreshable=True
        )
        if isinstance(error, TikTokRetriableError) and error.is_rate_limit:
            self._runtime.throttled(REFRESH_PATH)  # 40100 counts against the app's rate
        raise error


class AccountTokenAuthenticator(APIAuthenticatorBase):
    """Sets `Access-Token` on every attempt, so a retry after a refresh sends the new token.

    The SDK calls a stream's authenticator for each attempt, inside its retry loop, while
    `http_headers` is read only once, when the request is prepared.
    """

    def __init__(self, token: Callable[[], str | None]) -> None:
        """`token` returns the current token of the account being read."""
        super().__init__()
        self._token = token

    @override
    def authenticate_request(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        """Put the current token in the header (reference 1.2)."""
        token = self._token()
        if token:
            request.headers["Access-Token"] = token
        return request
