"""The tap's settings: their JSON schema, their typed form, and checks with clear messages.

Every check names the setting and the value and says what to do, and runs before any
request is made.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from singer_sdk import typing as th

from tap_tiktok_ads.custom_reports import parse_custom_reports
from tap_tiktok_ads.dates import (
    DATE_FORMAT_HELP,
    WEEKDAYS,
    DateSettingError,
    parse_date_setting,
)
from tap_tiktok_ads.sharding import ShardSettingError, parse_shard

if TYPE_CHECKING:
    from collections.abc import Mapping

    from jsonschema import ValidationError

PRODUCTION_BASE_URL = "https://business-api.tiktok.com/open_api/v1.3"
SANDBOX_BASE_URL = "https://sandbox-ads.tiktok.com/open_api/v1.3"  # reference 1.1

MAX_PAGE_SIZE = 1000  # report and entity endpoints: page_size 1-1000 (reference 2.1, 3.3)
MAX_AUDIENCE_LOOKBACK_HOURS = 168  # a week; audience data settles within ~24 h (reference 5)
MAX_ATTRIBUTION_WINDOW_DAYS = 90
MAX_CONCURRENCY = 32  # requests in flight; the connection pool is sized from the setting
MAX_RETRY_SECONDS = 86_400  # one request's retries may take at most a day
MAX_RETRY_WAIT_SECONDS = 600  # the first wait; later ones double from it
REPORT_MODES = ("auto", "sync", "async")

CONFIG_SCHEMA = th.PropertiesList(
    th.Property(
        "access_token",
        th.StringType,
        secret=True,
        title="Access token",
        description="Long-term access token of your TikTok for Business app (Marketing API).",
    ),
    th.Property(
        "advertiser_ids",
        th.ArrayType(th.StringType),
        title="Advertiser IDs",
        description=(
            "Advertiser (ad account) IDs to sync. Empty: every advertiser the token is "
            "authorised for (needs `app_id` and `secret`)."
        ),
    ),
    th.Property(
        "business_center_ids",
        th.ArrayType(th.StringType),
        title="Business Center IDs",
        description=(
            "Business Center IDs: sync the ad accounts they hold (`bc/asset/get/`) as well as "
            "`advertiser_ids`, and only these in the `business_centers` stream. Empty: "
            "`advertiser_ids`, else every advertiser the token is authorised for."
        ),
    ),
    th.Property(
        "advertiser_shard",
        th.StringType,
        title="Advertiser shard",
        description=(
            'Sync only shard i of n of the advertisers, e.g. "2/4": a stable hash of the '
            "advertiser ID picks each advertiser's shard. Run n copies of the tap, each with "
            "its own shard and state, to spread many advertisers over several runs."
        ),
        examples=["1/2", "2/4"],
    ),
    th.Property("app_id", th.StringType, title="App ID", description="Your TikTok app's ID."),
    th.Property(
        "secret",
        th.StringType,
        secret=True,
        title="App secret",
        description="Your TikTok app's secret.",
    ),
    th.Property(
        "tiktok_accounts",
        th.ArrayType(
            th.ObjectType(
                th.Property(
                    "business_id",
                    th.StringType,
                    description="The account's `open_id` from TikTok's account authorisation.",
                ),
                th.Property(
                    "refresh_token",
                    th.StringType,
                    secret=True,
                    description="The account's refresh token (valid one year).",
                ),
                th.Property(
                    "access_token",
                    th.StringType,
                    secret=True,
                    description="Optional current access token (valid 24 hours).",
                ),
            )
        ),
        title="TikTok accounts",
        description=(
            "TikTok business accounts whose organic data (profile, daily insights, videos) "
            "to sync: each with `business_id` and `refresh_token`. Needs `app_id` and "
            "`secret` to refresh the accounts' access tokens."
        ),
    ),
    th.Property(
        "refresh_token_store_path",
        th.StringType,
        title="Refresh token store path",
        description=(
            "A JSON file where the tap keeps the refresh token TikTok issues in place of an "
            "account's (a rotation), and which it reads when a sync starts, so that later runs "
            "use the newest token; in a Meltano project, `.meltano/tap-tiktok-ads/"
            "refresh-tokens.json` under its root. It holds secrets (written with mode 0600). A "
            "`tiktok_accounts` refresh token configured anew wins over the kept one. Unset: "
            "a rotated token serves only the run."
        ),
    ),
    th.Property(
        "start_date",
        th.StringType,
        default="30",
        title="Start date",
        description=(
            f"First day to read, in each advertiser's time zone: {DATE_FORMAT_HELP}. "
            "Default: 30 days back."
        ),
    ),
    th.Property(
        "end_date",
        th.StringType,
        default="today",
        title="End date",
        description=f"Last day to read, in each advertiser's time zone: {DATE_FORMAT_HELP}.",
    ),
    th.Property(
        "attribution_window_days",
        th.IntegerType(minimum=0, maximum=MAX_ATTRIBUTION_WINDOW_DAYS),
        default=7,
        title="Attribution window (days)",
        description=(
            "Days before the bookmark that every run reads again, because conversions are "
            "attributed late. The bookmark never passes the last day whose data is final, so "
            "days not final yet are read again whatever this is."
        ),
    ),
    th.Property(
        "audience_lookback_hours",
        th.NumberType(minimum=0, maximum=MAX_AUDIENCE_LOOKBACK_HOURS),
        title="Audience lookback (hours)",
        description=(
            "Hours after a day ends before its audience data counts as final (0-168); "
            "overrides TikTok's latency table (16 h for age, gender, platform and the like; "
            "30 min plus TikTok's 12:00 UTC data fix for country and placement). Days that "
            "are not final are read again on the next run."
        ),
    ),
    th.Property(
        "custom_reports",
        th.ArrayType(
            th.ObjectType(
                th.Property("name", th.StringType),
                th.Property("report_type", th.StringType),
                th.Property("data_level", th.StringType),
                th.Property("dimensions", th.ArrayType(th.StringType)),
                th.Property("metrics", th.ArrayType(th.StringType)),
                th.Property("granularity", th.StringType),
            )
        ),
        title="Custom reports",
        description=(
            "Your own report streams: a list of {name, report_type: BASIC|AUDIENCE, "
            "data_level: ADVERTISER|CAMPAIGN|ADGROUP|AD, dimensions, metrics}. `metrics` is "
            "the default selection; v1.1/v1.2 metric names are translated."
        ),
    ),
    th.Property(
        "week_start_day",
        th.StringType,
        default="MONDAY",
        allowed_values=list(WEEKDAYS),
        title="Week start day",
        description="First day of the week for the weekly report streams (MONDAY-SUNDAY).",
    ),
    th.Property(
        "include_deleted",
        th.BooleanType,
        default=False,
        title="Include deleted",
        description="Also read deleted campaigns, ad groups and ads and their report rows.",
    ),
    th.Property(
        "report_mode",
        th.StringType,
        default="auto",
        allowed_values=list(REPORT_MODES),
        title="Report mode",
        description=(
            "How daily reports are read: `sync` with `report/integrated/get/` (30-day windows, "
            "pages of 1000 rows); `async` with TikTok's asynchronous report tasks (one task "
            "per advertiser and range, a CSV file; TikTok allowlists this feature); `auto` "
            "uses tasks for the part of a range more than 90 days long that ends 2 days ago "
            "(first syncs, backfills) and sync requests for the rest. Async is not used with "
            "`include_deleted` or for reports TikTok's tasks cannot give (see the README)."
        ),
    ),
    th.Property(
        "api_base_url",
        th.StringType,
        default=PRODUCTION_BASE_URL,
        title="API base URL",
        description="Base URL of the TikTok API for Business v1.3.",
    ),
    th.Property(
        "sandbox",
        th.BooleanType,
        default=False,
        title="Sandbox",
        description="Use TikTok's sandbox host (when `api_base_url` is not set).",
    ),
    th.Property(
        "page_size",
        th.IntegerType(minimum=1, maximum=MAX_PAGE_SIZE),
        default=MAX_PAGE_SIZE,
        title="Page size",
        description="Rows per request, 1-1000.",
    ),
    th.Property(
        "max_requests_per_second",
        # The SDK types `minimum` as int; JSON Schema takes any number.
        th.NumberType(minimum=0.1, maximum=1000),  # type: ignore[arg-type]
        default=10,
        title="Max requests per second",
        description="Requests per second for all streams together (TikTok's basic tier: 10).",
    ),
    th.Property(
        "max_concurrency",
        th.IntegerType(minimum=1, maximum=MAX_CONCURRENCY),
        default=16,
        title="Max concurrency",
        description=(
            "Most requests in flight at once (windows, pages and advertisers read ahead); "
            "within it the tap keeps about rate x latency in flight, and "
            "`max_requests_per_second` still holds. 1 reads strictly one request at a time."
        ),
    ),
    th.Property(
        "request_timeout_seconds",
        th.NumberType(minimum=1, maximum=3600),
        default=300,
        title="Request timeout (seconds)",
        description="Seconds before a request that gets no answer is retried.",
    ),
    th.Property(
        "max_retries",
        th.IntegerType(minimum=0, maximum=100),
        default=8,
        title="Max retries",
        description="Retries of one request on rate limits and transient errors.",
    ),
    th.Property(
        "max_retry_seconds",
        th.NumberType(minimum=0, maximum=MAX_RETRY_SECONDS),
        default=600,
        title="Max retry time (seconds)",
        description="Time budget for the retries of one request before the run fails.",
    ),
    th.Property(
        "retry_initial_wait_seconds",
        th.NumberType(minimum=0, maximum=MAX_RETRY_WAIT_SECONDS),
        default=1.0,
        title="Initial retry wait (seconds)",
        description="First wait before a retry; each further wait doubles (with jitter).",
    ),
    th.Property(
        "progress_interval_seconds",
        th.NumberType(minimum=0, maximum=3600),
        default=5,
        title="Progress interval (seconds)",
        description=(
            "Least time between two progress lines in the log (stream, advertiser, days, "
            "rows so far, time left)."
        ),
    ),
    th.Property(
        "log_metrics",
        th.BooleanType,
        default=False,
        title="Log SDK metrics",
        description=(
            "Log the Singer SDK's METRIC lines (one per request, with its duration) at INFO; "
            "off, they are logged at DEBUG only."
        ),
    ),
).to_dict()


@dataclass(frozen=True)
class TikTokAccount:
    """A TikTok business account to read organic data of, and its tokens."""

    business_id: str
    refresh_token: str
    access_token: str | None = None


@dataclass(frozen=True)
class Settings:
    """The settings in typed form, with defaults applied."""

    access_token: str | None = None
    advertiser_ids: tuple[str, ...] = ()
    business_center_ids: tuple[str, ...] = ()
    advertiser_shard: str | None = None
    app_id: str | None = None
    secret: str | None = None
    start_date: str = "30"
    end_date: str = "today"
    attribution_window_days: int = 7
    audience_lookback_hours: float | None = None  # None: TikTok's latency table decides
    include_deleted: bool = False
    week_start_day: str = "MONDAY"
    report_mode: str = "auto"
    api_base_url: str = PRODUCTION_BASE_URL
    page_size: int = MAX_PAGE_SIZE
    max_requests_per_second: float = 10.0
    max_concurrency: int = 16
    request_timeout_seconds: float = 300.0
    max_retries: int = 8
    max_retry_seconds: float = 600.0
    retry_initial_wait_seconds: float = 1.0
    progress_interval_seconds: float = 5.0
    log_metrics: bool = False
    tiktok_accounts: tuple[TikTokAccount, ...] = ()
    refresh_token_store_path: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_config(cls, config: Any) -> Settings:  # noqa: ANN401
        """Read the config mapping; missing keys and nulls take their defaults."""
        config = given_settings(config)
        base_url = config.get("api_base_url") or (
            SANDBOX_BASE_URL if config.get("sandbox") else PRODUCTION_BASE_URL
        )
        if config.get("sandbox") and base_url == PRODUCTION_BASE_URL:
            base_url = SANDBOX_BASE_URL
        defaults = cls()
        return cls(
            access_token=_trimmed(config.get("access_token") or "") or None,
            advertiser_ids=tuple(_trimmed(a) for a in config.get("advertiser_ids") or ()),
            business_center_ids=tuple(_trimmed(b) for b in config.get("business_center_ids") or ()),
            advertiser_shard=config.get("advertiser_shard") or None,
            app_id=_trimmed(config.get("app_id") or "") or None,
            secret=_trimmed(config.get("secret") or "") or None,
            start_date=str(config.get("start_date") or defaults.start_date),
            end_date=str(config.get("end_date") or defaults.end_date),
            attribution_window_days=int(
                config.get("attribution_window_days", defaults.attribution_window_days)
            ),
            audience_lookback_hours=(
                None
                if config.get("audience_lookback_hours") is None
                else float(config["audience_lookback_hours"])
            ),
            include_deleted=bool(config.get("include_deleted", False)),
            week_start_day=str(config.get("week_start_day") or "MONDAY").upper(),
            report_mode=str(config.get("report_mode") or defaults.report_mode),
            api_base_url=base_url.rstrip("/"),
            page_size=int(config.get("page_size", defaults.page_size)),
            max_requests_per_second=float(
                config.get("max_requests_per_second", defaults.max_requests_per_second)
            ),
            max_concurrency=int(config.get("max_concurrency", defaults.max_concurrency)),
            request_timeout_seconds=float(
                config.get("request_timeout_seconds", defaults.request_timeout_seconds)
            ),
            max_retries=int(config.get("max_retries", defaults.max_retries)),
            max_retry_seconds=float(config.get("max_retry_seconds", defaults.max_retry_seconds)),
            retry_initial_wait_seconds=float(
                config.get("retry_initial_wait_seconds", defaults.retry_initial_wait_seconds)
            ),
            progress_interval_seconds=float(
                config.get("progress_interval_seconds", defaults.progress_interval_seconds)
            ),
            log_metrics=bool(config.get("log_metrics", False)),
            tiktok_accounts=tuple(
                TikTokAccount(
                    business_id=_trimmed(entry.get("business_id") or ""),
                    refresh_token=_trimmed(entry.get("refresh_token") or ""),
                    access_token=_trimmed(entry.get("access_token") or "") or None,
                )
                for entry in config.get("tiktok_accounts") or ()
                if isinstance(entry, dict)
            ),
            refresh_token_store_path=_trimmed(config.get("refresh_token_store_path") or "") or None,
            extra=dict(config),
        )

    def secrets(self) -> list[str]:
        """Every secret value in the settings, for redaction.

        Whatever their shape: a config of the wrong types still runs `--discover` (with a
        warning), and an account given as a string ("id:token") is masked whole.
        """
        values = _strings(self.access_token) + _strings(self.secret)
        accounts = self.extra.get("tiktok_accounts")
        for account in accounts if isinstance(accounts, list) else [accounts]:
            if isinstance(account, dict):
                values += _strings([account.get("refresh_token"), account.get("access_token")])
            else:
                values += _strings(account)
        # As pasted and as sent (`_trimmed`).
        return [v for v in dict.fromkeys([*values, *(v.strip() for v in values)]) if v]


def _trimmed(value: Any) -> str:  # noqa: ANN401 - a setting's value, of any shape
    """An ID or token as TikTok needs it: without the spaces or newline pasted around it.

    `.env` files and secret managers often keep a trailing newline; the checks of
    `check_settings` and the requests alike use the trimmed value.
    """
    return str(value).strip()


def _strings(value: Any) -> list[str]:  # noqa: ANN401 - a setting's value, of any shape
    """The text of every string or number in a value, at any depth."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        value = list(value.values())
    if isinstance(value, list | tuple):
        return [text for part in value for text in _strings(part)]
    if isinstance(value, int | float) and not isinstance(value, bool):
        return [str(value)]
    return []


def given_settings(config: Mapping[str, Any]) -> dict[str, Any]:
    """The config without its nulls: a setting set to null takes its default.

    The schema lets every setting be null (the SDK makes each optional one nullable), so a
    null must mean what a missing key means, to the tap's settings and the SDK's alike.
    """
    return {key: value for key, value in config.items() if value is not None}


def schema_errors(config: Mapping[str, Any], schema: dict[str, Any]) -> list[str]:
    """The JSON schema's objections to a config, each naming the key.

    A value out of its schema range gets the range, what the setting is and its default;
    others get jsonschema's message, as the SDK words it, except under a setting that holds a
    secret: these run before the log redactor exists, and jsonschema's words repeat the value.
    """
    validator = th.DEFAULT_JSONSCHEMA_VALIDATOR(schema)
    properties = schema.get("properties") or {}
    secret_keys = {key for key, prop in properties.items() if _holds_secret(prop)}
    return [
        _secret_shape_error(error, properties)
        if not error.path or error.path[0] in secret_keys
        else _schema_error(error)
        for error in validator.iter_errors(dict(config))
    ]


def _holds_secret(schema: Any) -> bool:  # noqa: ANN401 - any part of a JSON schema
    """Whether a schema, or one nested in it, marks its value secret (or sensitive)."""
    if isinstance(schema, list):
        return any(_holds_secret(part) for part in schema)
    if not isinstance(schema, dict):
        return False
    if any(schema.get(mark) is True for mark in ("secret", "sensitive", "writeOnly")):
        return True
    return any(_holds_secret(part) for part in schema.values())


def _secret_shape_error(error: ValidationError, properties: Mapping[str, Any]) -> str:
    """The key and the shape it needs, never the value: any part of it may be a secret."""
    where = "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in error.path)
    if not where:
        return f"The config breaks its schema's `{error.validator}` rule; see `--about`."
    rule = (
        f"must be {_shape(error.schema)}"
        if error.validator == "type" and isinstance(error.schema, dict)
        else f"breaks the schema's `{error.validator}` rule ({error.validator_value!r})"
    )
    setting = properties.get(error.path[0]) or {}
    return (
        f"`{where[1:]}` {rule} (the value is not shown: the setting holds secrets). "
        f"{setting.get('description', '')}"
    ).strip()


def _shape(schema: Mapping[str, Any], *, plural: bool = False) -> str:
    """A JSON schema's type in words: "an array of objects with the keys `a`, `b`"."""
    types = schema.get("type")
    types = [types] if isinstance(types, str) else [t for t in types or () if t != "null"]
    noun = (types[0] if len(types) == 1 else "value") + ("s" if plural else "")
    if types == ["object"] and schema.get("properties"):
        noun += " with the keys " + ", ".join(f"`{key}`" for key in schema["properties"])
    if types == ["array"] and isinstance(schema.get("items"), dict):
        noun += " of " + _shape(schema["items"], plural=True)
    if plural:
        return noun
    return f"{'an' if noun[0] in 'aeiou' else 'a'} {noun}"


def _schema_error(error: ValidationError) -> str:
    """A range error says what to do; anything else keeps jsonschema's words."""
    prop = error.schema
    ranged = isinstance(prop, dict) and {"minimum", "maximum"} <= prop.keys()
    if error.validator not in {"minimum", "maximum"} or len(error.path) != 1 or not ranged:
        where = "][".join(repr(part) for part in error.path)
        return f"{error.message} in config[{where}]" if where else str(error.message)
    message = (
        f"`{error.path[0]}` is {error.instance}; it must be between {prop['minimum']:g} and "
        f"{prop['maximum']:g}. {prop.get('description', '')}"
    )
    if prop.get("default") is not None:
        message += f" The default is {prop['default']:g}."
    return message


def check_settings(config: Any) -> list[str]:  # noqa: ANN401
    """Problems with the values of the settings that the JSON schema cannot see.

    Types and ranges are in the schema (`schema_errors`); these checks read the values.

    Credentials are not required here, so that `--discover` and `--about` work without them.
    """
    errors: list[str] = []
    settings = Settings.from_config(config)
    today = dt.datetime.now(dt.timezone.utc).date()
    resolved: dict[str, dt.date] = {}
    for key in ("start_date", "end_date"):
        try:
            resolved[key] = parse_date_setting(getattr(settings, key), today)
        except DateSettingError as exc:  # noqa: PERF203 - two settings, each with its message
            errors.append(f"`{key}`: {exc}.")
    if len(resolved) == 2 and resolved["start_date"] > resolved["end_date"]:  # noqa: PLR2004
        errors.append(
            f"`start_date` ({settings.start_date}) is after `end_date` ({settings.end_date}); "
            "swap them or move `start_date` earlier."
        )
    if settings.advertiser_shard is not None:
        try:
            parse_shard(settings.advertiser_shard)
        except ShardSettingError as exc:
            errors.append(f"`advertiser_shard`: {exc}.")
    if settings.report_mode == "async" and settings.include_deleted:
        errors.append(
            "`report_mode` is 'async' but `include_deleted` is true: TikTok's asynchronous "
            "report tasks filter only by IDs (Doc 1740302766489602), so they cannot add deleted "
            "ads' rows. Set `report_mode` to 'auto' or 'sync', or `include_deleted` to false."
        )
    errors += parse_custom_reports(config.get("custom_reports"))[1]
    errors += _blank_id_errors(settings)
    errors += _account_errors(settings)
    if not settings.api_base_url.startswith(("http://", "https://")):
        errors.append(
            f"`api_base_url` is '{settings.api_base_url}'; it must start with https:// "
            f"(default {PRODUCTION_BASE_URL})."
        )
    return errors


def _blank_id_errors(settings: Settings) -> list[str]:
    """Blank entries of the ID lists: TikTok would refuse them after the lookups (40001).

    Only blank ones: the reference documents IDs as strings, not as digits.
    """
    lists = {
        "advertiser_ids": settings.advertiser_ids,
        "business_center_ids": settings.business_center_ids,
    }
    return [
        f"`{key}[{index}]` is blank: write the ID there, or remove the entry."
        for key, ids in lists.items()
        for index, listed in enumerate(ids)
        if not listed.strip()
    ]


def _account_errors(settings: Settings) -> list[str]:
    """Problems with `tiktok_accounts`, each naming the entry and the fix."""
    errors: list[str] = []
    seen: set[str] = set()
    token_entries: dict[str, int] = {}  # refresh token -> the first entry that has it
    for index, account in enumerate(settings.tiktok_accounts):
        entry = f"`tiktok_accounts[{index}]`"
        if not account.business_id.strip():
            errors.append(
                f"{entry} has no `business_id`: set it to the account's `open_id` from "
                "TikTok's account authorisation."
            )
            continue
        entry += f" (business_id '{account.business_id}')"
        if account.business_id in seen:
            errors.append(f"{entry} is listed twice: remove one of the entries.")
        seen.add(account.business_id)
        if not account.refresh_token.strip():
            errors.append(
                f"{entry} has no `refresh_token`: authorise the account for your app and "
                "set the refresh token TikTok returned."
            )
            continue
        first = token_entries.setdefault(account.refresh_token, index)
        if first != index:
            # One token refreshed for two entries: TikTok may rotate it for the first, and
            # refuse it for the second (a healthy account failed, with the wrong advice).
            errors.append(
                f"{entry} has the same `refresh_token` as `tiktok_accounts[{first}]`: a "
                "refresh token belongs to one account; set the one TikTok returned when "
                f"'{account.business_id}' was authorised."
            )
    if "refresh_token_store_path" in settings.extra and not settings.refresh_token_store_path:
        errors.append(
            "`refresh_token_store_path` is blank: set it to the file where the tap keeps "
            "rotated refresh tokens, or remove it."
        )
    if settings.tiktok_accounts and not (settings.app_id and settings.secret):
        errors.append(
            "`tiktok_accounts` needs `app_id` and `secret` (your TikTok app's client key and "
            "secret) to refresh the accounts' access tokens: set both."
        )
    return errors


def check_credentials(settings: Settings) -> list[str]:
    """What is missing to sync advertising data (checked when a sync starts)."""
    errors = []
    if not settings.access_token:
        errors.append(
            "`access_token` is not set: create a long-term token for your TikTok for "
            "Business app (see the README, 'Real credentials') and set it."
        )
    listed = settings.advertiser_ids or settings.business_center_ids
    if not listed and not (settings.app_id and settings.secret):
        errors.append(
            "`advertiser_ids` is empty, so is `business_center_ids`, and `app_id`/`secret` are "
            "not both set: list the advertiser IDs (or Business Center IDs) to sync, or set "
            "`app_id` and `secret` to sync every advertiser the token is authorised for."
        )
    if errors and settings.tiktok_accounts:
        errors.append(
            "To sync only the organic data of `tiktok_accounts`, select only the "
            "`organic_*` streams: they need no advertiser settings."
        )
    return errors


def organic_only(settings: Settings) -> bool:
    """Whether the config is for organic data alone: accounts, no setting only ads read.

    Such a config runs the advertising streams, selected by default, as empty; any advertising
    setting means the user expects ad data, and a missing `access_token` fails the run.
    """
    advertising = (
        settings.access_token,
        settings.advertiser_ids,
        settings.business_center_ids,
        settings.advertiser_shard,
        settings.extra.get("custom_reports"),
    )
    return bool(settings.tiktok_accounts) and not any(advertising)
