"""The TikTok-account scopes each organic field needs, and the scopes to ask every account for.

TikTok refuses an organic call that requests a field whose scope the account did not grant.
The organic streams request only the selected fields, so a user who cannot get a scope can
deselect the fields it covers and sync the rest. This table is the one place the tap knows
the scopes: the README's authorisation URL, the error help and the tests all read it.
"""

from __future__ import annotations

import re

BUSINESS_GET = "/business/get/"
VIDEO_LIST = "/business/video/list/"

# `business/get/`: the "Required permission" column of "Get profile data of a TikTok account"
# (Doc 1762228399168514) and its "Field permission changelog". `followers_count` is two values:
# the lifetime one at the top level (`user.info.stats`) and the daily one in `metrics[]`
# (`user.insights`); TikTok returns both whenever the field is requested, so the field needs
# both scopes (that TikTok refuses the field when either is missing is inferred).
_USER_INSIGHTS_FIELDS = (
    "video_views",
    "unique_video_views",
    "profile_views",
    "likes",
    "comments",
    "shares",
    "phone_number_clicks",
    "lead_submissions",
    "app_download_clicks",
    "bio_link_clicks",
    "email_clicks",
    "address_clicks",
    "daily_total_followers",
    "daily_new_followers",
    "daily_lost_followers",
    "audience_activity",
    "engaged_audience",
    "audience_ages",
    "audience_genders",
    "audience_countries",
    "audience_cities",
)
BUSINESS_GET_SCOPES_DOC_ID = "1762228399168514"
_BUSINESS_GET_SCOPES: dict[str, tuple[str, ...]] = {
    "is_business_account": ("user.account.type",),
    "profile_image": ("user.info.basic",),
    "username": ("user.info.username",),
    "profile_deep_link": ("user.info.profile",),
    "display_name": ("user.info.basic",),
    "bio_description": ("user.info.profile",),
    "is_verified": ("user.info.profile",),
    "following_count": ("user.info.stats",),
    "followers_count": ("user.info.stats", "user.insights"),
    "total_likes": ("user.info.stats",),
    "videos_count": ("user.info.stats",),
    **dict.fromkeys(_USER_INSIGHTS_FIELDS, ("user.insights",)),
}

# `business/video/list/`: its reference page was not read. Our API notes (4.4, from the SDKs)
# give `video.list` for the listing and `video.insights` for the post metrics; which fields
# count as metrics is inferred: the post's identity and metadata need `video.list`, its
# engagement, watch-time and audience values `video.insights`.
_VIDEO_LIST_FIELDS = (
    "item_id",
    "create_time",
    "caption",
    "media_type",
    "is_ad",
    "share_url",
    "embed_url",
    "thumbnail_url",
    "video_duration",
)
_VIDEO_INSIGHTS_FIELDS = (
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
)
_VIDEO_LIST_SCOPES: dict[str, tuple[str, ...]] = {
    **dict.fromkeys(_VIDEO_LIST_FIELDS, ("video.list",)),
    **dict.fromkeys(_VIDEO_INSIGHTS_FIELDS, ("video.insights",)),
}

FIELD_SCOPES: dict[str, dict[str, tuple[str, ...]]] = {
    BUSINESS_GET: _BUSINESS_GET_SCOPES,
    VIDEO_LIST: _VIDEO_LIST_SCOPES,
}

# Every scope of the tables: the organic streams select all their fields by default, so the
# default selection needs each one. The README's authorisation URL asks for exactly these.
AUTHORIZATION_SCOPES: tuple[str, ...] = tuple(
    dict.fromkeys(
        scope for table in FIELD_SCOPES.values() for scopes in table.values() for scope in scopes
    )
)
AUTHORIZATION_SCOPE_PARAM = ",".join(AUTHORIZATION_SCOPES)

# How to ask an account for them, for the error help.
AUTHORIZATION_HINT = (
    f"scope={AUTHORIZATION_SCOPE_PARAM} (every scope the default selection needs, "
    f"Doc {BUSINESS_GET_SCOPES_DOC_ID})"
)


def scopes_needed(path: str, fields: list[str]) -> dict[str, list[str]]:
    """Each scope the requested fields of `path` need, with those fields, in scope order."""
    table = FIELD_SCOPES.get(path, {})
    needed: dict[str, list[str]] = {scope: [] for scope in AUTHORIZATION_SCOPES}
    for name in fields:
        for scope in table.get(name, ()):
            needed[scope].append(name)
    return {scope: names for scope, names in needed.items() if names}


def _named_scopes(message: str) -> list[str]:
    """The known scopes TikTok's message names, if it names any."""
    return [
        scope
        for scope in AUTHORIZATION_SCOPES
        if re.search(rf"(?<![\w.]){re.escape(scope)}(?![\w.])", message)
    ]


def missing_scope_help(stream: str, path: str, fields: list[str], message: str) -> str:
    """How to fix a scope refusal of `stream`'s call, naming the scope and its fields.

    When TikTok's message names the missing scope, the help names it and the selected fields
    that need it; otherwise it lists every scope the call's fields need.
    """
    needed = scopes_needed(path, fields)
    named = _named_scopes(message)
    if named:
        parts = [
            f"{scope} (selected fields of {stream} that need it: "
            f"{', '.join(needed.get(scope, [])) or 'none'})"
            for scope in named
        ]
        what = f"TikTok says this scope is missing: {'; '.join(parts)}."
    else:
        parts = [f"{scope} ({', '.join(names)})" for scope, names in needed.items()]
        what = (
            f"TikTok refused a scope without naming it; the selected fields of {stream} need "
            f"{'; '.join(parts)}."
        )
    return (
        f"{what} Re-authorise the account for your app with {AUTHORIZATION_HINT} and put its "
        "new `refresh_token` in `tiktok_accounts`, or deselect the fields of a scope it cannot "
        "grant."
    )
