"""TikTok return codes and what the tap does with each.

TikTok answers most errors with HTTP 200 and a non-zero `code` in the body (reference 1.5 and
1.7). This module turns a code into a decision: retry, refresh a token, or stop with a message
that tells the user what to do.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass

from singer_sdk.exceptions import FatalAPIError, RetriableAPIError

from tap_tiktok_ads.scopes import AUTHORIZATION_HINT

PARAMETER_ERROR = 40002  # "Parameter error" (return-code appendix, Doc 1737172488964097)
PARTIAL_SUCCESS = 20001  # "Partially successful": the answer carries data (Doc 1737172488964097)


class Action(str, enum.Enum):
    """What the tap does with a return code."""

    SUCCEED = "use the data"
    PARTIAL = "use the data, warn"
    RETRY = "retry with backoff"
    RATE_LIMITED = "slow down, retry"
    REFRESH_AND_RETRY = "refresh the access token of a TikTok account, retry; elsewhere stop"
    SKIP_OWNER = "skip this advertiser or account, fail the run at its end"
    SKIP_ACCOUNT = "skip this TikTok account, fail the run at its end"
    FAIL = "stop: the request or the credentials need a fix"


@dataclass(frozen=True)
class ReturnCode:
    """One documented return code: its meaning, the tap's action and where it is written."""

    meaning: str
    action: Action
    source: str


_APPENDIX = "Doc 1737172488964097 (return-code appendix, via api-evangelist)"
_SDK = "official SDK tiktok_code.py"
# Every code the tap handles. Sources: TikTok's return-code appendix (Doc 1737172488964097, as
# summarised by api-evangelist), the official SDK's code list (tiktok_code.py), and what other
# connectors met in production (our API notes, section 1.7). A code TikTok says needs a
# parameter fix is never retried: repeating the same request cannot succeed.
RETURN_CODES: dict[int, ReturnCode] = {
    0: ReturnCode("OK", Action.SUCCEED, _APPENDIX),
    PARTIAL_SUCCESS: ReturnCode("Partially successful", Action.PARTIAL, _APPENDIX),
    40000: ReturnCode("Invalid parameters", Action.FAIL, _APPENDIX),
    40001: ReturnCode("No permission for the operation", Action.SKIP_OWNER, _APPENDIX),
    PARAMETER_ERROR: ReturnCode("Parameter error", Action.FAIL, _APPENDIX),
    40003: ReturnCode("Forbidden", Action.SKIP_OWNER, _APPENDIX),
    40006: ReturnCode("API version incompatible with parameters", Action.FAIL, _APPENDIX),
    40007: ReturnCode("Object does not exist", Action.FAIL, _APPENDIX),
    40008: ReturnCode("Endpoint not available (or not in sandbox)", Action.FAIL, _APPENDIX),
    40009: ReturnCode("Not supported in sandbox", Action.FAIL, _APPENDIX),
    40011: ReturnCode("Too many IDs in one request", Action.FAIL, _APPENDIX),
    40016: ReturnCode("Requests too frequent (endpoint limit)", Action.RATE_LIMITED, _SDK),
    40051: ReturnCode("Invalid API version", Action.FAIL, _APPENDIX),
    40067: ReturnCode("Query too large", Action.FAIL, "Airbyte source-tiktok-marketing 5.1.0"),
    40100: ReturnCode("Requests too frequent (app QPS limit)", Action.RATE_LIMITED, _APPENDIX),
    40101: ReturnCode("Invalid app_id or secret", Action.FAIL, _APPENDIX),
    40102: ReturnCode("Access token expired", Action.REFRESH_AND_RETRY, _APPENDIX),
    40103: ReturnCode("Refresh token expired", Action.FAIL, _APPENDIX),
    40104: ReturnCode("Access token empty", Action.FAIL, _APPENDIX),
    40105: ReturnCode("Access token invalid", Action.FAIL, _APPENDIX),
    40106: ReturnCode("Token does not match the advertiser", Action.SKIP_OWNER, _APPENDIX),
    40107: ReturnCode("Invalid refresh token", Action.FAIL, _APPENDIX),
    40113: ReturnCode("App blocked, or app_id does not match the token", Action.FAIL, _APPENDIX),
    40118: ReturnCode("App or advertiser not on the allowlist", Action.SKIP_OWNER, _APPENDIX),
    40119: ReturnCode("Developer and advertiser not of one company", Action.SKIP_OWNER, _APPENDIX),
    40125: ReturnCode("The developer lacks a permission", Action.SKIP_ACCOUNT, _APPENDIX),
    40130: ReturnCode("Scope not authorized", Action.SKIP_ACCOUNT, _SDK),
    40132: ReturnCode("QPS limit for a field value", Action.RATE_LIMITED, _SDK),
    40133: ReturnCode("Advertiser QPS limit for this path", Action.RATE_LIMITED, _SDK),
    40200: ReturnCode("Task error", Action.RETRY, _SDK),
    40201: ReturnCode("Task not ready", Action.RETRY, _SDK),
    40202: ReturnCode("Write conflict", Action.RETRY, _SDK),
    40300: ReturnCode("Advertiser does not exist or was deleted", Action.SKIP_OWNER, _APPENDIX),
    40301: ReturnCode("Advertiser cannot be matched", Action.SKIP_OWNER, _APPENDIX),
    40700: ReturnCode("Internal validation error", Action.RETRY, _SDK),
    50000: ReturnCode("System error", Action.RETRY, _APPENDIX),
    50002: ReturnCode("Error processing the request", Action.RETRY, _APPENDIX),
    51000: ReturnCode("Internal RPC error", Action.RETRY, _SDK),
    51001: ReturnCode("Statistics service error", Action.RETRY, _SDK),
    51002: ReturnCode("Internal service error", Action.RETRY, _SDK),
    51010: ReturnCode("Internal timeout", Action.RETRY, _SDK),
    52000: ReturnCode("Database error", Action.RETRY, _SDK),
    60001: ReturnCode("System maintenance", Action.RETRY, "Airbyte source-tiktok-marketing 5.0.4"),
    61000: ReturnCode("Too many requests (blacklist)", Action.RATE_LIMITED, _SDK),
}


def _codes(*actions: Action) -> frozenset[int]:
    return frozenset(code for code, known in RETURN_CODES.items() if known.action in actions)


SUCCESS_CODES = _codes(Action.SUCCEED, Action.PARTIAL)
RATE_LIMIT_CODES = _codes(Action.RATE_LIMITED)
TRANSIENT_CODES = _codes(Action.RETRY)
EXPIRED_TOKEN_CODES = _codes(Action.REFRESH_AND_RETRY)
# Refusals that concern one owner of data, an advertiser or a TikTok account, not the token or
# the app: the tap skips that owner, syncs the others, and fails the run at its end.
PER_OWNER_FAILURE_CODES = _codes(Action.SKIP_OWNER) - {40300, 40301}
ADVERTISER_FAILURE_CODES = _codes(Action.SKIP_OWNER)
# Which of 40125/40130 `business/get/` answers for a field without its scope is not
# documented (inferred): both count as scope refusals.
SCOPE_REFUSAL_CODES = _codes(Action.SKIP_ACCOUNT)
ACCOUNT_FAILURE_CODES = PER_OWNER_FAILURE_CODES | SCOPE_REFUSAL_CODES


_AUTH_HELP = (
    "Check `access_token`: it must be the long-term token of a TikTok for Business app "
    "authorised for this advertiser (re-authorise the app in TikTok's developer portal if "
    "the token was revoked)."
)
_PERMISSION_HELP = (
    "The token is valid but not authorised for this advertiser, TikTok account or operation: "
    "remove the advertiser from `advertiser_ids` (or the account from `tiktok_accounts`), or "
    "re-authorise the app with the advertiser's Business Center and the reporting scope (or "
    "the account with its scopes)."
)
_REFRESH_HELP = (
    "The refresh token was rejected: re-authorise the TikTok account and put its new "
    "`refresh_token` in `tiktok_accounts`."
)
ACCOUNT_HELP = (
    f"Re-authorise each of them for your app with {AUTHORIZATION_HINT}, and put the new "
    "`refresh_token` in `tiktok_accounts`."
)
_SCOPE_HELP = (
    "A scope the request needs was not granted: re-authorise the TikTok account for your app "
    f"with {AUTHORIZATION_HINT}, or deselect the fields of the scope it cannot grant."
)
_APP_HELP = "Check `app_id` and `secret`: they must be your TikTok for Business app's values."

FATAL_HELP: dict[int, str] = {
    40102: "The access token expired or was revoked. " + _AUTH_HELP,
    40104: "No access token was sent. Set `access_token`.",
    40105: "The access token is invalid or revoked. " + _AUTH_HELP,
    40106: "The access token does not belong to this advertiser. " + _PERMISSION_HELP,
    40001: _PERMISSION_HELP,
    40003: _PERMISSION_HELP,
    40118: _PERMISSION_HELP,
    40119: _PERMISSION_HELP,
    40125: _PERMISSION_HELP,
    40130: _SCOPE_HELP,
    40300: "The advertiser does not exist or was deleted: remove it from `advertiser_ids`.",
    40301: "The advertiser does not exist or was deleted: remove it from `advertiser_ids`.",
    40101: _APP_HELP,
    40113: _APP_HELP,
    40103: _REFRESH_HELP,
    40107: _REFRESH_HELP,
    PARAMETER_ERROR: "TikTok rejected a request parameter; see TikTok's message above.",
    40000: "TikTok rejected a request parameter; see TikTok's message above.",
}


class TikTokRetriableError(RetriableAPIError):
    """A TikTok answer that is expected to succeed when the request is repeated."""

    def __init__(
        self,
        message: str,
        code: int | None = None,
        *,
        where: str | None = None,
        http_status: int | None = None,
    ) -> None:
        """Keep the TikTok code so the rate limiter can react to throttling.

        `where` is the path that failed: not always the one the stream asked (a token
        refresh). `http_status` is that of an answer that failed before its envelope (5xx).
        """
        super().__init__(message)
        self.code = code
        self.where = where
        self.http_status = http_status

    @property
    def cause(self) -> str:
        """The fault in words every request it hits shares: no path, no request_id."""
        if self.code is not None:
            return f"TikTok error {self.code}"
        if self.http_status is not None:
            return f"HTTP {self.http_status}"
        return "answers the tap could not read"

    @property
    def is_rate_limit(self) -> bool:
        """Whether TikTok said the app or advertiser sends too many requests."""
        return self.code in RATE_LIMIT_CODES


class TikTokTokenExpiredError(TikTokRetriableError):
    """A TikTok-account access token expired; refreshing it makes the call succeed."""


class TikTokFatalError(FatalAPIError):
    """A TikTok answer that repeating cannot fix; the message says what to do."""

    def __init__(
        self,
        message: str,
        code: int | None = None,
        where: str | None = None,
        tiktok_message: str = "",
    ) -> None:
        """Keep the TikTok code, the path and TikTok's own words for callers that look closer.

        A scope refusal's help names the scope when TikTok's message does (`tiktok_message`
        holds it without the tap's help text, which names every scope).
        """
        super().__init__(message)
        self.code = code
        self.where = where
        self.tiktok_message = tiktok_message

    @property
    def concerns_one_advertiser(self) -> bool:
        """Whether TikTok refused one advertiser only, so that the others can go on."""
        return self.code in ADVERTISER_FAILURE_CODES

    @property
    def concerns_one_account(self) -> bool:
        """Whether TikTok refused one TikTok account only, so that the others can go on."""
        return self.code in ACCOUNT_FAILURE_CODES

    @property
    def is_scope_refusal(self) -> bool:
        """Whether TikTok said a scope the request needs was not granted."""
        return self.code in SCOPE_REFUSAL_CODES


class RetriesExhaustedError(TikTokFatalError):
    """A transient failure that did not go away within the retry budget.

    `cause` names the last fault as `TikTokRetriableError.cause` does, or the kind of network
    error, so that one TikTok account's lasting fault can be told from TikTok failing for
    every account. None when the API host cannot be reached at all: no account fares better.
    """

    def __init__(self, message: str, where: str | None = None, cause: str | None = None) -> None:
        """No TikTok code: the decisions made on refusal codes must not see a transient one."""
        super().__init__(message, None, where)
        self.cause = cause


_INVALID_METRIC_FIELDS = re.compile(r"Invalid metric fields: \[([^\]]*)\]")


def refused_metrics(error: TikTokFatalError) -> frozenset[str]:
    """The metric names of a 40002 "Invalid metric fields: [...]" answer; empty otherwise.

    TikTok's wording, as recorded in an answer quoted in an Airbyte issue (our API notes 1.4).
    """
    if error.code != PARAMETER_ERROR:
        return frozenset()
    match = _INVALID_METRIC_FIELDS.search(str(error))
    if match is None:
        return frozenset()
    return frozenset(re.findall(r"'([a-z0-9_]+)'", match.group(1)))


def classify(
    code: int,
    message: str,
    where: str,
    request_id: str | None,
    *,
    token_refreshable: bool = False,
) -> Exception:
    """The exception for a non-zero TikTok `code` returned by the call `where`.

    An expired token is worth a retry only where the tap can refresh it (`token_refreshable`:
    a TikTok account's); the Marketing API's `access_token` cannot be, so it stops the run.
    """
    reference = f" (request_id {request_id})" if request_id else ""
    text = f"TikTok error {code} on {where}: {message}{reference}"
    if code in EXPIRED_TOKEN_CODES and token_refreshable:
        return TikTokTokenExpiredError(text, code, where=where)
    # Undocumented 5xxxx codes are server-side faults like the documented ones (inferred).
    if code in RATE_LIMIT_CODES or code in TRANSIENT_CODES or 50000 <= code < 60000:  # noqa: PLR2004
        return TikTokRetriableError(text, code, where=where)
    help_text = FATAL_HELP.get(code)
    if help_text:
        text = f"{text}. {help_text}"
    return TikTokFatalError(text, code, where, tiktok_message=message)
