"""TikTok return codes and what the tap does with each.

TikTok answers most errors with HTTP 200 and a non-zero `code` in the body (reference 1.5 and
1.7). This module turns a code into a decision: retry, refresh a token, or stop with a message
that tells the user what to do.
"""

from __future__ import annotations

import re

from singer_sdk.exceptions import FatalAPIError, RetriableAPIError

from tap_tiktok_ads.scopes import AUTHORIZATION_HINT

PARAMETER_ERROR = 40002  # "Parameter error" (return-code appendix, Doc 1737172488964097)

# Rate limiting: app QPS (40100), advertiser QPS per path (40133), endpoint (40016),
# field value (40132), blacklist (61000). Reference 1.7.
RATE_LIMIT_CODES = frozenset({40016, 40100, 40132, 40133, 61000})

# Transient server-side conditions that succeed when repeated (reference 1.7).
TRANSIENT_CODES = frozenset(
    {40200, 40201, 40202, 40700, 50000, 50002, 51000, 51001, 51002, 51010, 52000, 60001}
)

# The TikTok-account access token has expired: refresh it, then repeat the call.
EXPIRED_TOKEN_CODES = frozenset({40102})

# Refusals that concern one owner of data, an advertiser or a TikTok account, not the token
# or the app (reference 1.7): no permission for it (40001, 40003), token not of its user
# (40106), not on the allowlist or not of the developer's company (40118, 40119). The tap
# skips that owner, syncs the others, and fails the run at its end.
PER_OWNER_FAILURE_CODES = frozenset({40001, 40003, 40106, 40118, 40119})
# An advertiser may also be missing or deleted (40300, 40301).
ADVERTISER_FAILURE_CODES = PER_OWNER_FAILURE_CODES | {40300, 40301}
# A TikTok account may also not have granted the scope a requested field needs: "Scope not
# authorized" (40130, reference 1.7, from the official SDK's code list) or "The developer
# doesn't have the permission" (40125, return-code appendix, Doc 1737172488964097). Which of
# them `business/get/` answers for a field without its scope is not documented (inferred).
SCOPE_REFUSAL_CODES = frozenset({40125, 40130})
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

    def __init__(self, message: str, code: int | None = None) -> None:
        """Keep the TikTok code so the rate limiter can react to throttling."""
        super().__init__(message)
        self.code = code

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


def classify(code: int, message: str, where: str, request_id: str | None) -> Exception:
    """The exception for a non-zero TikTok `code` returned by the call `where`."""
    reference = f" (request_id {request_id})" if request_id else ""
    text = f"TikTok error {code} on {where}: {message}{reference}"
    if code in EXPIRED_TOKEN_CODES:
        return TikTokTokenExpiredError(text, code)
    if code in RATE_LIMIT_CODES or code in TRANSIENT_CODES or 50000 <= code < 60000:  # noqa: PLR2004
        return TikTokRetriableError(text, code)
    help_text = FATAL_HELP.get(code)
    if help_text:
        text = f"{text}. {help_text}"
    return TikTokFatalError(text, code, where, tiktok_message=message)
