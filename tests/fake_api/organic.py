"""TikTok-account (organic) endpoints: tokens (4.1), profile and daily insights (4.3), videos (4.4).

Accounts, daily values and videos are pure functions of the data seed and the fake clock, and
the module functions (`organic_accounts`, `profile`, `daily_row`, `videos`) are the truth
tests compare with. Token state lives per server in `OrganicAuth` (`organic_auth(api)`),
which tests configure: access tokens that expire after N calls or S seconds (40102), refresh
tokens marked expired (40103) or invalid (40107), rotation of refresh tokens, and accounts
that did not grant some scopes (a field whose scope the token lacks answers 40130).

Account data of a UTC day D appears once D is over and keeps growing for 48 hours, so a
tap has to read recent days again (reference 4.3: data arrives at T+24-48 h).
"""

from __future__ import annotations

import itertools
import threading
import time
import weakref
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from datetime import time as clock_time
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from tests.fake_api.entity_fields import UNDOCUMENTED_FIELD
from tests.fake_api.hashing import hash_ints
from tests.fake_api.request import PARAMETER_ERROR, ApiError, ApiRequest
from tests.fake_api.routes import register

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

    from tests.fake_api.data import FakeData
    from tests.fake_api.server import FakeTikTokApi

MAX_LOOKBACK_DAYS = 60  # business/get/: start_date at most 60 days back (reference 4.3)
MAX_VIDEOS_PER_PAGE = 20  # business/video/list/: max_count at most 20 (reference 4.4)
DEFAULT_VIDEOS_PER_PAGE = 10
SETTLE_HOURS = 48  # account data of a day keeps changing this long after the day (4.3)
DISTRIBUTION_MIN_FOLLOWERS = 100  # audience distributions need >= 100 followers (4.3)
ACCESS_TOKEN_SECONDS = 86_400  # reference 4.1
REFRESH_TOKEN_SECONDS = 31_536_000

EXPIRED_ACCESS_TOKEN = 40102
EXPIRED_REFRESH_TOKEN = 40103
MISSING_TOKEN = 40104
UNKNOWN_TOKEN = 40105
INVALID_REFRESH_TOKEN = 40107
INVALID_GRANT_TYPE = 40108
INVALID_AUTH_CODE = 40110
INVALID_APP = 40101
NO_PERMISSION = 40001
# A requested field needs a scope the token lacks. Doc 1762228399168514 does not say which
# code comes back; 40130 is "Scope not authorized" in TikTok's SDK code list (reference 1.7),
# and the message wording is inferred.
SCOPE_NOT_AUTHORIZED = 40130

PROFILE_FIELDS = (
    "username",
    "display_name",
    "profile_image",
    "is_business_account",
    "is_verified",
    "bio_description",
    "profile_deep_link",
    "followers_count",
    "following_count",
    "total_likes",
    "videos_count",
)
DISTRIBUTION_FIELDS = ("audience_ages", "audience_genders", "audience_countries", "audience_cities")
DAILY_COUNTS = (
    "video_views",
    "unique_video_views",
    "profile_views",
    "likes",
    "comments",
    "shares",
    "daily_new_followers",
    "daily_lost_followers",
    "engaged_audience",
)
# Only registered business accounts have these (reference 4.3).
CLICK_FIELDS = (
    "phone_number_clicks",
    "lead_submissions",
    "app_download_clicks",
    "bio_link_clicks",
    "email_clicks",
    "address_clicks",
)
DAILY_FIELDS = (
    *DAILY_COUNTS,
    "followers_count",
    "daily_total_followers",
    *CLICK_FIELDS,
    "audience_activity",
)

# The scope each field needs, transcribed scope by scope. `business/get/`: the "Required
# permission" column of Doc 1762228399168514 (the top-level `followers_count` needs
# user.info.stats, the daily one in `metrics[]` user.insights; both come back whenever the
# field is asked for, so asking for it needs both: inferred). `business/video/list/`: its page
# was not read; `video.list` for the listing and `video.insights` for post metrics come from
# the SDKs (reference 4.4), and which fields are metrics is inferred.
_SCOPE_FIELDS: dict[str, tuple[str, ...]] = {
    "user.account.type": ("is_business_account",),
    "user.info.basic": ("profile_image", "display_name"),
    "user.info.username": ("username",),
    "user.info.profile": ("profile_deep_link", "bio_description", "is_verified"),
    "user.info.stats": ("following_count", "followers_count", "total_likes", "videos_count"),
    # Every daily value of `metrics[]` and every follower distribution.
    "user.insights": (*DAILY_FIELDS, *DISTRIBUTION_FIELDS),
}
_VIDEO_SCOPE_FIELDS: dict[str, tuple[str, ...]] = {
    "video.list": (
        "item_id",
        "create_time",
        "caption",
        "media_type",
        "is_ad",
        "share_url",
        "embed_url",
        "thumbnail_url",
        "video_duration",
    ),
    "video.insights": (
        "likes",
        "comments",
        "shares",
        "favorites",
        "reach",
        "video_views",
        "total_time_watched",
        "average_time_watched",
        "full_video_watched_rate",
        "new_followers",
        "profile_views",
        "website_clicks",
        "phone_number_clicks",
        "lead_submissions",
        "app_download_clicks",
        "email_clicks",
        "address_clicks",
        "impression_sources",
        "audience_countries",
        "audience_cities",
        "audience_genders",
        "audience_types",
        "video_view_retention",
        "engagement_likes",
    ),
}
# Every field of `business/video/list/`, in the order of the reference's field list (4.4).
VIDEO_FIELDS = (*_VIDEO_SCOPE_FIELDS["video.list"], *_VIDEO_SCOPE_FIELDS["video.insights"])


def _by_field(scope_fields: dict[str, tuple[str, ...]]) -> dict[str, frozenset[str]]:
    fields: dict[str, set[str]] = {}
    for scope, names in scope_fields.items():
        for name in names:
            fields.setdefault(name, set()).add(scope)
    return {name: frozenset(scopes) for name, scopes in fields.items()}


BUSINESS_GET_SCOPES = _by_field(_SCOPE_FIELDS)
VIDEO_LIST_SCOPES = _by_field(_VIDEO_SCOPE_FIELDS)
# Every scope: what the default test accounts granted (the tap's default selection needs all).
ALL_SCOPES = (*_SCOPE_FIELDS, *_VIDEO_SCOPE_FIELDS)

_ACCOUNT_CODE = 0x0A
_FOLLOWERS = (15_240, 2_310, 57)  # the last account is below the distribution threshold
_POSTS = (70, 14, 3)  # posts per account, hidden ones included
_AGES = ("18-24", "25-34", "35-44", "45-54", "55+")
_GENDERS = ("Female", "Male", "Other")
_COUNTRIES = ("US", "GB", "DE", "JP", "BR")
_CITIES = ("New York", "London", "Berlin", "Tokyo", "Sao Paulo")
_SOURCES = ("For You", "Follow", "Sound", "Personal Profile", "Search", "Hashtag")
_VIEWER_TYPES = ("NEW_VIEWER", "RETURN_VIEWER", "FOLLOWER_PERCENT", "NON_FOLLOWER_PERCENT")


@dataclass(frozen=True)
class OrganicAccount:
    """A TikTok business account of the fake world."""

    index: int
    business_id: str
    key: int
    followers: int
    posts: int
    created: date  # daily data exists for the days after this one
    registered: bool  # a registered business account: click metrics exist
    anchor: date  # the newest post is published on this day


@dataclass(frozen=True)
class _Post:
    record: dict[str, Any]  # every field, `create_time` as TikTok sends it
    created_ms: int
    hidden: bool  # filtered by trust and safety: takes a page slot, never returned


@lru_cache(maxsize=8)
def _accounts(seed: int, first_day: date) -> tuple[OrganicAccount, ...]:
    accounts = []
    for index, (followers, posts) in enumerate(zip(_FOLLOWERS, _POSTS, strict=True)):
        key = hash_ints(seed, _ACCOUNT_CODE, index)
        created = first_day - timedelta(days=400 + key % 200)
        if index == len(_FOLLOWERS) - 1:
            created = first_day + timedelta(days=50)  # a young account
        accounts.append(
            OrganicAccount(
                index=index,
                business_id=f"-000{key & 0xFFFF_FFFF_FFFF:012x}",
                key=key,
                followers=followers,
                posts=posts,
                created=created,
                registered=index != 1,
                anchor=first_day + timedelta(days=70),
            )
        )
    return tuple(accounts)


def organic_accounts(data: FakeData) -> list[OrganicAccount]:
    """The fake world's TikTok accounts, in a fixed order."""
    return list(_accounts(data.spec.seed, data.spec.first_day))


def organic_account(data: FakeData, business_id: str) -> OrganicAccount | None:
    """One account by its business_id."""
    return next((a for a in organic_accounts(data) if a.business_id == business_id), None)


def _shares(key: int, labels: tuple[str, ...], label_name: str) -> list[dict[str, Any]]:
    weights = [1 + hash_ints(key, position) % 100 for position in range(len(labels))]
    total = sum(weights)
    return [
        {label_name: label, "percentage": round(weight / total, 4)}
        for label, weight in zip(labels, weights, strict=True)
    ]


# -- truth: profile, daily rows, videos ----------------------------------------------------


def profile(account: OrganicAccount, now: datetime) -> dict[str, Any]:
    """Every profile field of `business/get/` at `now` (distributions when >= 100 followers)."""
    expires = int(now.timestamp()) // 86_400 * 86_400 + 2 * 86_400
    record: dict[str, Any] = {
        "username": f"fake_creator_{account.index}",
        "display_name": f"Fake Creator {account.index}",
        "profile_image": (
            f"https://p16-sign.tiktokcdn-us.com/fake/{account.business_id}.jpeg?x-expires={expires}"
        ),
        "is_business_account": True,
        "is_verified": account.index == 0,
        "bio_description": f"Organic fake account number {account.index}",
        "profile_deep_link": f"https://vm.tiktok.com/ZM{account.key % 10**8:08d}/",
        "followers_count": account.followers,
        "following_count": account.key % 500,
        "total_likes": account.followers * 7 + account.key % 1000,
        "videos_count": len(videos(account, now)),
    }
    if account.followers >= DISTRIBUTION_MIN_FOLLOWERS:
        record["audience_ages"] = _shares(account.key + 1, _AGES, "age")
        record["audience_genders"] = _shares(account.key + 2, _GENDERS, "gender")
        record["audience_countries"] = _shares(account.key + 3, _COUNTRIES, "country")
        record["audience_cities"] = _shares(account.key + 4, _CITIES, "city_name")
    return record


def settled_percent(day: date, now: datetime) -> int | None:
    """How much of a day's final values TikTok shows at `now`: None before the day is over,
    then growing from 60 % to 100 % over the 48 hours after it."""
    day_end = datetime.combine(day + timedelta(days=1), clock_time(), tzinfo=timezone.utc)
    if now < day_end:
        return None
    hours = int((now - day_end).total_seconds() // 3600)
    return min(100, 60 + 40 * hours // SETTLE_HOURS)


def daily_row(account: OrganicAccount, day: date, now: datetime) -> dict[str, Any] | None:
    """The full `data.metrics[]` row of a UTC day at `now`; None when it has no data."""
    percent = settled_percent(day, now)
    if percent is None or day <= account.created:
        return None
    scale = max(1, account.followers // 40)
    ordinal = day.toordinal()

    def value(position: int, spread: int) -> int:
        final = hash_ints(account.key, ordinal, position) % spread
        return final * percent // 100

    row: dict[str, Any] = {"date": day.isoformat()}
    for position, name in enumerate(DAILY_COUNTS):
        row[name] = value(position, scale * 4 + 10)
    row["daily_total_followers"] = row["daily_new_followers"] - row["daily_lost_followers"]
    growth = 1 + account.key % 5
    row["followers_count"] = max(0, account.followers - (account.anchor - day).days * growth)
    if account.registered:
        for position, name in enumerate(CLICK_FIELDS, start=len(DAILY_COUNTS)):
            row[name] = value(position, scale + 3)
    row["audience_activity"] = [
        {"hour": str(hour), "count": value(100 + hour, scale + 5)} for hour in range(24)
    ]
    return row


def daily_rows(
    account: OrganicAccount, start: date, end: date, now: datetime
) -> list[dict[str, Any]]:
    """The rows of every day start..end that has data at `now`, in date order."""
    rows = []
    day = start
    while day <= end:
        row = daily_row(account, day, now)
        if row is not None:
            rows.append(row)
        day += timedelta(days=1)
    return rows


@lru_cache(maxsize=16)
def _posts(account: OrganicAccount) -> tuple[_Post, ...]:
    """Every post, newest first; account 0 has a run of hidden posts that fills a whole page."""
    posts = []
    moment = datetime.combine(account.anchor, clock_time(hour=18), tzinfo=timezone.utc)
    for position in range(account.posts):
        key = hash_ints(account.key, 7, position)
        moment -= timedelta(hours=5 + key % 40, seconds=key % 3600)
        hidden = position % 9 == 8 or (account.index == 0 and 20 <= position < 41)
        item_id = str(7_300_000_000_000_000_000 + account.index * 10**9 + key % 10**9)
        seconds = int(moment.timestamp())
        views = 200 + key % 5000
        average = round(2 + (key % 9000) / 1000, 3)
        duration = round(5 + (key % 55_000) / 1000, 3)
        record: dict[str, Any] = {
            "item_id": item_id,
            # TikTok sends epoch seconds; clients see both text and numbers (reference 4.4).
            "create_time": str(seconds) if position % 2 == 0 else seconds,
            "caption": f"Fake post {position} of {account.index} #fyp",
            "media_type": "PHOTO" if key % 6 == 0 else "VIDEO",
            "is_ad": key % 11 == 0,
            "share_url": f"https://www.tiktok.com/@fake_creator_{account.index}/video/{item_id}",
            "embed_url": f"https://www.tiktok.com/player/v1/{item_id}",
            "thumbnail_url": f"https://p16-sign.tiktokcdn-us.com/fake/{item_id}.jpeg",
            "video_duration": duration,
            "likes": views // 4 + key % 40,
            "comments": key % 60,
            "shares": key % 25,
            "favorites": key % 33,
            "reach": views * 3 // 4,
            "video_views": views,
            "total_time_watched": round(views * average, 3),
            "average_time_watched": average,
            "full_video_watched_rate": round((key % 1000) / 10_000, 4),
            "new_followers": key % 9,
            "profile_views": key % 70,
            "website_clicks": key % 5,
            "phone_number_clicks": key % 3,
            "lead_submissions": key % 2,
            "app_download_clicks": key % 4,
            "email_clicks": key % 2,
            "address_clicks": key % 3,
            "impression_sources": _shares(key + 1, _SOURCES, "impression_source"),
            "audience_countries": _shares(key + 2, _COUNTRIES, "country"),
            "audience_cities": _shares(key + 3, _CITIES, "city_name"),
            "audience_genders": _shares(key + 4, _GENDERS, "gender"),
            "audience_types": _shares(key + 5, _VIEWER_TYPES, "type"),
            "video_view_retention": [
                {"second": str(second), "percentage": round(1 - second / (duration + 1), 4)}
                for second in range(1, int(duration) + 1)
            ],
            "engagement_likes": [
                {"second": str(second), "percentage": round((key >> second) % 100 / 1000, 4)}
                for second in range(1, int(duration) + 1, 3)
            ],
        }
        posts.append(_Post(record, seconds * 1000, hidden))
    return tuple(posts)


def _published(account: OrganicAccount, now: datetime) -> list[_Post]:
    now_ms = int(now.timestamp() * 1000)
    return [post for post in _posts(account) if post.created_ms <= now_ms]


def videos(account: OrganicAccount, now: datetime) -> list[dict[str, Any]]:
    """Every video `business/video/list/` returns at `now` (all fields), newest first."""
    return [dict(post.record) for post in _published(account, now) if not post.hidden]


def newer_member(*keys: int | str, every: int = 3) -> dict[str, Any]:
    """A field TikTok added after the transcription (see entity_fields), on one row in `every`,
    sent beyond the requested `fields` (inferred, as for the other endpoints).

    Keys: the account's key for a profile (every one has it), the account's key and the day's
    ordinal for a daily row, the item_id for a video.
    """
    code = hash_ints(*(int(key) for key in keys))
    return {} if code % every else {UNDOCUMENTED_FIELD: f"added-{code % 10_000}"}


# -- tokens ----------------------------------------------------------------------------------


@dataclass
class _AccessToken:
    business_id: str
    issued: float  # time.monotonic()
    scopes: frozenset[str]  # what the account granted when the token was issued
    calls: int = 0


@dataclass
class OrganicAuth:
    """The TikTok-account tokens one fake server knows, and how they misbehave."""

    data: FakeData
    expire_after_calls: int | None = None  # an access token answers 40102 after N calls
    expire_after_seconds: float | None = None  # ...or after S seconds (announced in expires_in)
    rotate_refresh_tokens: bool = False  # each refresh issues a new refresh token
    refreshes: Counter[str] = field(default_factory=Counter)  # business_id -> refreshes
    # Runs once, before the next refresh is answered: another client refreshing in between
    # (a run that overlaps the one whose refresh is on its way).
    before_refresh: Callable[[], None] | None = None
    # Seconds each account's refresh token has left, as the refresh answer says: one year
    # from the authorisation, not extended by refreshing (reference 4.1, captured fixture).
    _refresh_seconds_left: dict[str, int] = field(default_factory=dict)  # business_id -> s
    _refresh_tokens: dict[str, str] = field(default_factory=dict)  # token -> business_id
    _current_refresh: dict[str, str] = field(default_factory=dict)  # business_id -> token
    _refused: dict[str, int] = field(default_factory=dict)  # refresh token -> 40103/40107
    _access_tokens: dict[str, _AccessToken] = field(default_factory=dict)
    _granted: dict[str, frozenset[str]] = field(default_factory=dict)  # business_id -> scopes
    _auth_codes: dict[str, str] = field(default_factory=dict)  # code -> business_id
    _serial: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        for account in organic_accounts(self.data):
            self._new_refresh_token(account.business_id)

    def _token(self, prefix: str, business_id: str) -> str:
        number = next(self._serial)
        return f"{prefix}.{hash_ints(number, len(business_id)):016x}{number:06d}"

    def _new_refresh_token(self, business_id: str) -> str:
        token = self._token("rft", business_id)
        self._refresh_tokens[token] = business_id
        self._current_refresh[business_id] = token
        return token

    # -- for tests ---------------------------------------------------------------------------

    def refresh_token(self, business_id: str) -> str:
        """The account's current refresh token."""
        with self._lock:
            return self._current_refresh[business_id]

    def issue_access_token(self, business_id: str, scopes: Iterable[str] | None = None) -> str:
        """A fresh access token of the account, as an earlier authorisation would have left;
        with the account's granted scopes unless `scopes` says otherwise."""
        with self._lock:
            granted = frozenset(scopes) if scopes is not None else self._scopes_of(business_id)
            token = self._token("act", business_id)
            self._access_tokens[token] = _AccessToken(business_id, time.monotonic(), granted)
            return token

    def withhold_scopes(self, business_id: str, *scopes: str) -> None:
        """The account authorised the app without these scopes: tokens issued from now on
        lack them, and fields that need them answer 40130."""
        with self._lock:
            self._granted[business_id] = self._scopes_of(business_id) - set(scopes)

    def granted_scopes(self, business_id: str) -> frozenset[str]:
        """The scopes the account's authorisation grants."""
        with self._lock:
            return self._scopes_of(business_id)

    def _scopes_of(self, business_id: str) -> frozenset[str]:
        return self._granted.get(business_id, frozenset(ALL_SCOPES))

    def auth_code(self, business_id: str) -> str:
        """A one-time authorisation code, as TikTok's consent page redirects with."""
        with self._lock:
            code = self._token("code", business_id)
            self._auth_codes[code] = business_id
            return code

    def refresh_token_expires_in(self, business_id: str, seconds: int) -> None:
        """The account was authorised almost a year ago: its refresh token has `seconds` left."""
        with self._lock:
            self._refresh_seconds_left[business_id] = seconds

    def expire_refresh_token(self, business_id: str) -> None:
        """The account's refresh token has expired: refreshing answers 40103."""
        with self._lock:
            self._refused[self._current_refresh[business_id]] = EXPIRED_REFRESH_TOKEN

    def invalidate_refresh_token(self, business_id: str) -> None:
        """The account's refresh token was revoked: refreshing answers 40107."""
        with self._lock:
            self._refused[self._current_refresh[business_id]] = INVALID_REFRESH_TOKEN

    # -- for handlers ------------------------------------------------------------------------

    def grant(self, business_id: str, *, rotate: bool, authorised: bool = False) -> dict[str, Any]:
        """A token answer (reference 4.1) with a new access token; `authorised` for a new
        authorisation, whose refresh token has a full year again."""
        lifetime = self.expire_after_seconds or ACCESS_TOKEN_SECONDS
        with self._lock:
            if authorised:
                self._refresh_seconds_left.pop(business_id, None)
            # The captured refresh answer's value, a bit under a year (reference 4.1).
            seconds_left = self._refresh_seconds_left.get(
                business_id, REFRESH_TOKEN_SECONDS - 8_686
            )
            if rotate:
                old = self._current_refresh[business_id]
                self._refused[old] = INVALID_REFRESH_TOKEN  # the old one stops working
                self._new_refresh_token(business_id)
            access = self._token("act", business_id)
            granted = self._scopes_of(business_id)
            self._access_tokens[access] = _AccessToken(business_id, time.monotonic(), granted)
            refresh = self._current_refresh[business_id]
        return {
            "access_token": access,
            "token_type": "Bearer",
            "expires_in": max(1, round(lifetime)),
            "refresh_token": refresh,
            "refresh_token_expires_in": REFRESH_TOKEN_SECONDS if authorised else seconds_left,
            "open_id": business_id,
            # A comma-separated string (reference 4.1).
            "scope": ",".join(scope for scope in ALL_SCOPES if scope in granted),
        }

    def refresh(self, refresh_token: str) -> dict[str, Any]:
        """Exchange a refresh token, or raise 40103/40107."""
        with self._lock:
            interleaved, self.before_refresh = self.before_refresh, None
        if interleaved is not None:
            interleaved()
        with self._lock:
            refused = self._refused.get(refresh_token)
            business_id = self._refresh_tokens.get(refresh_token)
        if refused == EXPIRED_REFRESH_TOKEN:
            raise ApiError(refused, "The refresh_token has expired.")
        if refused is not None or business_id is None:
            raise ApiError(INVALID_REFRESH_TOKEN, "The refresh_token is invalid.")
        with self._lock:
            self.refreshes[business_id] += 1
        return self.grant(business_id, rotate=self.rotate_refresh_tokens)

    def exchange(self, code: str) -> dict[str, Any]:
        """Exchange a one-time authorisation code, or raise 40110."""
        with self._lock:
            business_id = self._auth_codes.pop(code, None)
        if business_id is None:
            raise ApiError(INVALID_AUTH_CODE, "The auth_code is invalid or has been used.")
        return self.grant(business_id, rotate=False, authorised=True)

    def authorise(self, token: str | None, business_id: str) -> frozenset[str]:
        """Check a data call's Access-Token for `business_id`; count the call; its scopes."""
        if not token:
            raise ApiError(
                MISSING_TOKEN,
                "Access token is null, you should set it in http header with key Access-Token.",
            )
        with self._lock:
            access = self._access_tokens.get(token)
            if access is None:
                raise ApiError(UNKNOWN_TOKEN, "Access token is incorrect or has been revoked.")
            expired = (
                self.expire_after_seconds is not None
                and time.monotonic() - access.issued >= self.expire_after_seconds
            ) or (self.expire_after_calls is not None and access.calls >= self.expire_after_calls)
            if expired:
                raise ApiError(EXPIRED_ACCESS_TOKEN, "Access token has expired.")
            access.calls += 1
        if access.business_id != business_id:
            raise ApiError(
                NO_PERMISSION, f"No permission to access the data of business {business_id}."
            )
        return access.scopes


_AUTHS: weakref.WeakKeyDictionary[FakeTikTokApi, OrganicAuth] = weakref.WeakKeyDictionary()
_AUTHS_LOCK = threading.Lock()


def organic_auth(api: FakeTikTokApi) -> OrganicAuth:
    """The token state of one fake server (created on first use)."""
    with _AUTHS_LOCK:
        auth = _AUTHS.get(api)
        if auth is None:
            auth = _AUTHS[api] = OrganicAuth(api.data)
        return auth


def account_settings(api: FakeTikTokApi) -> list[dict[str, str]]:
    """The tap's `tiktok_accounts` setting for every account of this server."""
    auth = organic_auth(api)
    return [
        {
            "business_id": account.business_id,
            "refresh_token": auth.refresh_token(account.business_id),
        }
        for account in organic_accounts(api.data)
    ]


# -- handlers ----------------------------------------------------------------------------


def _check_app(request: ApiRequest) -> None:
    if (
        request.text("client_id") != request.api.app_id
        or request.text("client_secret") != request.api.secret
    ):
        raise ApiError(INVALID_APP, "Invalid client_id or client_secret.")


def _check_grant(request: ApiRequest, grant_type: str) -> None:
    if request.text("grant_type") != grant_type:
        raise ApiError(INVALID_GRANT_TYPE, f"grant_type: must be '{grant_type}'.")


def oauth2_token(request: ApiRequest) -> dict[str, Any]:
    """`POST tt_user/oauth2/token/`: authorisation code -> tokens (reference 4.1)."""
    _check_app(request)
    _check_grant(request, "authorization_code")
    request.text("redirect_uri", required=True)
    code = request.text("auth_code", required=True) or ""
    return organic_auth(request.api).exchange(code)


def oauth2_refresh_token(request: ApiRequest) -> dict[str, Any]:
    """`POST tt_user/oauth2/refresh_token/`: refresh token -> tokens (reference 4.1)."""
    _check_app(request)
    _check_grant(request, "refresh_token")
    token = request.text("refresh_token", required=True) or ""
    return organic_auth(request.api).refresh(token)


def _account(request: ApiRequest) -> tuple[OrganicAccount, frozenset[str]]:
    """The account asked for, and the scopes its token carries."""
    business_id = request.text("business_id", required=True) or ""
    scopes = organic_auth(request.api).authorise(request.token, business_id)
    account = organic_account(request.api.data, business_id)
    if account is None:
        raise ApiError(PARAMETER_ERROR, f"business_id: {business_id} does not exist.")
    return account, scopes


def _fields(request: ApiRequest, allowed: tuple[str, ...], default: list[str]) -> list[str]:
    fields = request.text_list("fields") or default
    unknown = sorted(set(fields) - set(allowed))
    if unknown:
        raise ApiError(PARAMETER_ERROR, f"fields: Invalid fields {unknown}.")
    return fields


def _require_scopes(
    fields: list[str], needs: dict[str, frozenset[str]], granted: frozenset[str]
) -> None:
    """Refuse the call when a requested field needs a scope the token lacks."""
    missing: dict[str, list[str]] = {}
    for name in fields:
        for scope in sorted(needs[name] - granted):
            missing.setdefault(scope, []).append(name)
    if missing:
        listed = "; ".join(f"{scope} ({', '.join(names)})" for scope, names in missing.items())
        raise ApiError(
            SCOPE_NOT_AUTHORIZED,
            f"The user did not authorize the scope required for completing this request: {listed}.",
        )


def _day(request: ApiRequest, name: str, default: date) -> date:
    text = request.text(name)
    if text is None:
        return default
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ApiError(PARAMETER_ERROR, f"{name}: Not a valid date (YYYY-MM-DD).") from None


def business_get(request: ApiRequest) -> dict[str, Any]:
    """`GET business/get/`: profile fields, distributions and daily `metrics` (4.3)."""
    account, scopes = _account(request)
    now = request.api.now()
    fields = _fields(
        request,
        (*PROFILE_FIELDS, *DISTRIBUTION_FIELDS, *DAILY_FIELDS),
        ["display_name", "profile_image"],
    )
    _require_scopes(fields, BUSINESS_GET_SCOPES, scopes)
    today = now.astimezone(timezone.utc).date()
    start = _day(request, "start_date", today - timedelta(days=7))
    end = _day(request, "end_date", today - timedelta(days=1))
    oldest = today - timedelta(days=MAX_LOOKBACK_DAYS)
    if start < oldest:
        raise ApiError(
            PARAMETER_ERROR,
            f"start_date: must be within the last {MAX_LOOKBACK_DAYS} days "
            f"(on or after {oldest.isoformat()}).",
        )
    if end < start:
        raise ApiError(PARAMETER_ERROR, "end_date: must not be before start_date.")
    lifetime = profile(account, now)
    data = {name: lifetime[name] for name in fields if name in lifetime}
    data |= newer_member(account.key, every=1)
    daily = [name for name in fields if name in DAILY_FIELDS]
    if daily:
        data["metrics"] = [
            {
                "date": row["date"],
                **{name: row[name] for name in daily if name in row},
                **newer_member(account.key, date.fromisoformat(row["date"]).toordinal()),
            }
            for row in daily_rows(account, start, end, now)
        ]
    return data


def video_list(request: ApiRequest) -> dict[str, Any]:
    """`GET business/video/list/`: posts before `cursor`, newest first (reference 4.4)."""
    account, scopes = _account(request)
    now = request.api.now()
    fields = _fields(request, VIDEO_FIELDS, ["item_id"])
    _require_scopes(fields, VIDEO_LIST_SCOPES, scopes)
    if len(fields) > 1 and "item_id" not in fields:
        raise ApiError(PARAMETER_ERROR, "fields: item_id is required with other fields.")
    max_count = request.integer("max_count", DEFAULT_VIDEOS_PER_PAGE)
    if not 1 <= max_count <= MAX_VIDEOS_PER_PAGE:
        raise ApiError(PARAMETER_ERROR, f"max_count: Must be between 1 and {MAX_VIDEOS_PER_PAGE}.")
    filters = request.params.get("filters") or {}
    if not isinstance(filters, dict):
        raise ApiError(PARAMETER_ERROR, "filters: Not a valid object.")
    published = _published(account, now)
    video_ids = filters.get("video_ids")
    if video_ids:
        wanted = {str(video_id) for video_id in video_ids}
        chosen = [
            post
            for post in published
            if post.record["item_id"] in wanted
            and not post.hidden
            and (not filters.get("ad_post_only") or post.record["is_ad"])
        ]
        return {"videos": [_pick(post, fields) for post in chosen], "cursor": 0, "has_more": False}
    cursor = request.integer("cursor", int(now.timestamp() * 1000))
    older = [post for post in published if post.created_ms < cursor]
    page = older[:max_count]
    return {
        # Hidden posts take their slot but are not returned: pages run short (4.4).
        "videos": [_pick(post, fields) for post in page if not post.hidden],
        "cursor": page[-1].created_ms if page else cursor,
        "has_more": len(older) > max_count,
    }


def _pick(post: _Post, fields: list[str]) -> dict[str, Any]:
    return {name: post.record[name] for name in fields} | newer_member(post.record["item_id"])


register("tt_user/oauth2/token/", oauth2_token, auth=False, methods=("POST",))
register("tt_user/oauth2/refresh_token/", oauth2_refresh_token, auth=False, methods=("POST",))
# Organic data calls carry TikTok-account tokens, checked by `OrganicAuth.authorise`.
register("business/get/", business_get, auth=False)
register("business/video/list/", video_list, auth=False)
register("business/videos/list/", video_list, auth=False)  # the v1.2 spelling (4.4)
