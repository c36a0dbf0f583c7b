"""The one registry of report metrics and dimensions.

Everything that needs to know a metric asks here: stream schemas, the default selection,
validation of custom reports, typing of TikTok's string values, and the fake API's rules.
When TikTok adds a metric, it is added here and nowhere else.

Sources: `shared/reference/tiktok-business-api-v1.3.md` section 2.3 (dimensions) and 2.4
(metrics, including the metrics that AUDIENCE reports reject).
"""

from __future__ import annotations

import difflib
import enum
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import logging


class ReportType(str, enum.Enum):
    """The `report_type` values this tap reads."""

    BASIC = "BASIC"
    AUDIENCE = "AUDIENCE"


class DataLevel(str, enum.Enum):
    """A report's `data_level`, without TikTok's `AUCTION_` prefix."""

    ADVERTISER = "ADVERTISER"
    CAMPAIGN = "CAMPAIGN"
    ADGROUP = "ADGROUP"
    AD = "AD"

    @property
    def api_value(self) -> str:
        """The value sent as `data_level`."""
        return f"AUCTION_{self.value}"

    @property
    def id_dimension(self) -> str:
        """The ID dimension that goes with this level (the reference pairs them 1:1)."""
        return f"{self.value.lower()}_id"


class MetricKind(str, enum.Enum):
    """How a metric behaves: it decides the JSON type and how values combine."""

    COUNT = "count"  # additive integer (impressions, clicks, conversions)
    MONEY = "money"  # additive amount in the account currency (spend)
    RATIO = "ratio"  # derived from two additive metrics; never summed
    UNIQUE = "unique"  # unique people (reach): not additive across days or IDs
    TEXT = "text"  # attribute metric describing the entity (names, ids, settings)
    AMOUNT = "amount"  # attribute metric with a numeric value (budget, bid)


JSON_TYPES: dict[MetricKind, str] = {
    MetricKind.COUNT: "integer",
    MetricKind.MONEY: "number",
    MetricKind.RATIO: "number",
    MetricKind.UNIQUE: "integer",
    MetricKind.TEXT: "string",
    MetricKind.AMOUNT: "number",
}

ALL_LEVELS = frozenset(DataLevel)
BOTH_REPORTS = frozenset(ReportType)
BASIC_ONLY = frozenset({ReportType.BASIC})


@dataclass(frozen=True)
class Metric:
    """One metric: its name, kind and where TikTok accepts it.

    `numerator`/`denominator`/`scale` describe a RATIO (value = numerator / denominator *
    scale); the fake API computes ratios from them, and they document what a ratio means.
    """

    name: str
    kind: MetricKind
    report_types: frozenset[ReportType] = BOTH_REPORTS
    levels: frozenset[DataLevel] = ALL_LEVELS
    numerator: str | None = None
    denominator: str | None = None
    scale: float = 1.0
    default: bool = False

    @property
    def json_type(self) -> str:
        """The JSON schema type of the metric's values."""
        return JSON_TYPES[self.kind]

    @property
    def is_attribute(self) -> bool:
        """Attribute metrics describe the entity instead of measuring delivery."""
        return self.kind in {MetricKind.TEXT, MetricKind.AMOUNT}

    def valid_for(self, report_type: ReportType, level: DataLevel) -> bool:
        """Whether TikTok accepts this metric in a report of this type and level."""
        return report_type in self.report_types and level in self.levels


def _count(
    name: str, *, report_types: frozenset[ReportType] = BOTH_REPORTS, default: bool = False
) -> Metric:
    return Metric(name, MetricKind.COUNT, report_types=report_types, default=default)


def _money(
    name: str,
    *,
    report_types: frozenset[ReportType] = BOTH_REPORTS,
    levels: frozenset[DataLevel] = ALL_LEVELS,
    default: bool = False,
) -> Metric:
    return Metric(name, MetricKind.MONEY, report_types=report_types, levels=levels, default=default)


def _ratio(  # noqa: PLR0913 - a ratio is defined by exactly these values
    name: str,
    numerator: str,
    denominator: str,
    scale: float = 1.0,
    *,
    report_types: frozenset[ReportType] = BOTH_REPORTS,
    default: bool = False,
) -> Metric:
    return Metric(
        name,
        MetricKind.RATIO,
        report_types=report_types,
        numerator=numerator,
        denominator=denominator,
        scale=scale,
        default=default,
    )


def _attribute(name: str, levels: set[DataLevel], *, numeric: bool = False) -> Metric:
    kind = MetricKind.AMOUNT if numeric else MetricKind.TEXT
    return Metric(name, kind, levels=frozenset(levels), default=True)


_CAMPAIGN_DOWN = {DataLevel.CAMPAIGN, DataLevel.ADGROUP, DataLevel.AD}
_ADGROUP_DOWN = {DataLevel.ADGROUP, DataLevel.AD}
_AD_ONLY = {DataLevel.AD}

# Conversion events reported as count / cost per event / rate per click (v1.3 names).
_EVENTS = (
    "registration",
    "purchase",
    "complete_payment",
    "add_billing",
    "total_add_payment_info",
    "product_details_page_browse",
    "total_view_content",
    "total_subscribe",
    "on_web_subscribe",
    "total_landing_page_view",
    "onsite_shopping",
    "vta_conversion",
    "cta_conversion",
)
# View-through / click-through attributed events: count and cost only.
_ATTRIBUTED_EVENTS = (
    "vta_registration",
    "vta_purchase",
    "cta_registration",
    "cta_purchase",
)

_METRIC_LIST: list[Metric] = [
    # Core delivery and cost.
    _money("spend", default=True),
    _money("billed_cost"),
    # Rejected outside advertiser-level BASIC reports and by AUDIENCE reports (2.4).
    _money("cash_spend", report_types=BASIC_ONLY, levels=frozenset({DataLevel.ADVERTISER})),
    _money("voucher_spend", report_types=BASIC_ONLY, levels=frozenset({DataLevel.ADVERTISER})),
    _count("impressions", default=True),
    _count("gross_impressions"),
    _count("clicks", default=True),
    _ratio("ctr", "clicks", "impressions", 100, default=True),
    _ratio("cpc", "spend", "clicks", default=True),
    _ratio("cpm", "spend", "impressions", 1000, default=True),
    # Unique-people metrics: AUDIENCE reports reject them (2.4).
    Metric("reach", MetricKind.UNIQUE, report_types=BASIC_ONLY, default=True),
    _ratio("frequency", "impressions", "reach", report_types=BASIC_ONLY, default=True),
    _ratio("cost_per_1000_reached", "spend", "reach", 1000, report_types=BASIC_ONLY),
    # Results and conversions.
    _count("conversion", default=True),
    _ratio("cost_per_conversion", "spend", "conversion", default=True),
    _ratio("conversion_rate", "conversion", "clicks", 100, default=True),
    _ratio("conversion_rate_v2", "conversion", "impressions", 100),
    _count("real_time_conversion"),
    _ratio("real_time_cost_per_conversion", "spend", "real_time_conversion"),
    _ratio("real_time_conversion_rate", "real_time_conversion", "clicks", 100),
    _ratio("real_time_conversion_rate_v2", "real_time_conversion", "impressions", 100),
    _count("result", default=True),
    _ratio("cost_per_result", "spend", "result", default=True),
    _ratio("result_rate", "result", "impressions", 100),
    _count("real_time_result"),
    _ratio("real_time_cost_per_result", "spend", "real_time_result"),
    _ratio("real_time_result_rate", "real_time_result", "impressions", 100),
    _count("secondary_goal_result", report_types=BASIC_ONLY),
    _ratio(
        "cost_per_secondary_goal_result", "spend", "secondary_goal_result", report_types=BASIC_ONLY
    ),
    _ratio(
        "secondary_goal_result_rate",
        "secondary_goal_result",
        "impressions",
        100,
        report_types=BASIC_ONLY,
    ),
    # Video.
    _count("video_play_actions", default=True),
    _count("video_watched_2s", default=True),
    _count("video_watched_6s", default=True),
    _count("video_views_p25"),
    _count("video_views_p50"),
    _count("video_views_p75"),
    _count("video_views_p100", default=True),
    _ratio("average_video_play", "video_watched_6s", "video_play_actions", 6),
    _ratio("average_video_play_per_user", "video_watched_6s", "impressions", 6),
    _count("engaged_view"),
    _count("engaged_view_15s"),
    _count("paid_engaged_view"),
    # Engagement.
    _count("likes", default=True),
    _count("comments", default=True),
    _count("shares", default=True),
    _count("follows", default=True),
    _count("profile_visits"),
    _ratio("profile_visits_rate", "profile_visits", "impressions", 100),
    _count("clicks_on_music_disc"),
    _count("engagements"),
    _ratio("engagement_rate", "engagements", "impressions", 100),
    # App installs: AUDIENCE reports reject them (2.4).
    _count("app_install", report_types=BASIC_ONLY),
    _ratio("cost_per_app_install", "spend", "app_install", report_types=BASIC_ONLY),
    _count("real_time_app_install", report_types=BASIC_ONLY),
    _ratio("real_time_app_install_cost", "spend", "real_time_app_install", report_types=BASIC_ONLY),
    # Value metrics.
    _money("total_purchase_value"),
    _ratio("complete_payment_roas", "total_purchase_value", "spend"),
    _money("total_onsite_shopping_value"),
    # Attribute metrics: only at levels that include the entity (2.4).
    _attribute("campaign_name", _CAMPAIGN_DOWN),
    _attribute("objective_type", _CAMPAIGN_DOWN),
    _attribute("campaign_budget", _CAMPAIGN_DOWN, numeric=True),
    _attribute("campaign_id", _ADGROUP_DOWN),
    _attribute("adgroup_name", _ADGROUP_DOWN),
    _attribute("placement_type", _ADGROUP_DOWN),
    _attribute("promotion_type", _ADGROUP_DOWN),
    _attribute("budget", _ADGROUP_DOWN, numeric=True),
    _attribute("bid", _ADGROUP_DOWN, numeric=True),
    _attribute("billing_event", _ADGROUP_DOWN),
    _attribute("opt_status", _ADGROUP_DOWN),
    _attribute("adgroup_id", _AD_ONLY),
    _attribute("ad_name", _AD_ONLY),
    _attribute("ad_text", _AD_ONLY),
    _attribute("call_to_action", _AD_ONLY),
    _attribute("image_mode", _AD_ONLY),
]

for _event in _EVENTS:
    _METRIC_LIST.append(_count(_event))
    _METRIC_LIST.append(_ratio(f"cost_per_{_event}", "spend", _event))
    _METRIC_LIST.append(_ratio(f"{_event}_rate", _event, "clicks", 100))
for _event in _ATTRIBUTED_EVENTS:
    _METRIC_LIST.append(_count(_event))
    _METRIC_LIST.append(_ratio(f"cost_per_{_event}", "spend", _event))

METRICS: dict[str, Metric] = {metric.name: metric for metric in _METRIC_LIST}

# TikTok renamed these between API v1.1/v1.2 and v1.3 (issue 5's table): old name -> v1.3 name.
LEGACY_METRIC_NAMES: dict[str, str] = {}
for _v1_3, _v1_2 in (
    ("registration", "active_register"),
    ("cost_per_registration", "active_register_cost"),
    ("registration_rate", "active_register_rate"),
    ("purchase", "active_pay"),
    ("cost_per_purchase", "active_pay_cost"),
    ("purchase_rate", "active_pay_rate"),
    ("vta_registration", "active_register_show"),
    ("cost_per_vta_registration", "active_register_show_cost"),
    ("vta_purchase", "active_pay_show"),
    ("cost_per_vta_purchase", "active_pay_show_cost"),
    ("cta_registration", "active_register_click"),
    ("cost_per_cta_registration", "active_register_click_cost"),
    ("cta_purchase", "active_pay_click"),
    ("cost_per_cta_purchase", "active_pay_click_cost"),
):
    LEGACY_METRIC_NAMES[_v1_2] = _v1_3
    LEGACY_METRIC_NAMES[f"time_attr_{_v1_2}"] = _v1_3


class TimeDimension(str, enum.Enum):
    """TikTok's time dimensions (returned as `YYYY-MM-DD HH:MM:SS`, advertiser local time)."""

    DAY = "stat_time_day"
    HOUR = "stat_time_hour"


ID_DIMENSIONS = frozenset(level.id_dimension for level in DataLevel)

# AUDIENCE breakdowns (2.3). `age` and `gender` may be combined; the others stand alone.
AUDIENCE_DIMENSIONS = frozenset(
    {
        "age",
        "gender",
        "country_code",
        "province_id",
        "dma_id",
        "language",
        "platform",
        "placement",
        "ac",
        "interest_category",
    }
)
# BASIC accepts `country_code` as a breakdown too (2.3).
BASIC_BREAKDOWNS = frozenset({"country_code"})

# AUDIENCE breakdowns whose data TikTok finalises sooner (about 30 minutes, section 5).
FAST_AUDIENCE_DIMENSIONS = frozenset({"country_code", "placement"})


@dataclass(frozen=True)
class UnknownName:
    """A name that is not in the registry, with the closest valid names."""

    name: str
    suggestions: list[str] = field(default_factory=list)

    def hint(self) -> str:
        """A "did you mean" sentence, or an empty string."""
        if not self.suggestions:
            return ""
        return " Did you mean " + " or ".join(f"'{s}'" for s in self.suggestions) + "?"


def closest_names(name: str, candidates: list[str] | set[str] | frozenset[str]) -> list[str]:
    """The valid names closest to a misspelled one, best first."""
    return difflib.get_close_matches(name, sorted(candidates), n=3, cutoff=0.6)


def metrics_for(report_type: ReportType, level: DataLevel) -> list[Metric]:
    """Every metric TikTok accepts in a report of this type and level, in registry order."""
    return [m for m in METRICS.values() if m.valid_for(report_type, level)]


def allowed_breakdowns(report_type: ReportType) -> frozenset[str]:
    """Non-ID, non-time dimensions a report type accepts."""
    return AUDIENCE_DIMENSIONS if report_type is ReportType.AUDIENCE else BASIC_BREAKDOWNS


def breakdown_error(report_type: ReportType, breakdowns: list[str]) -> str | None:
    """Why a combination of breakdown dimensions is invalid, or None when it is valid.

    The reference (2.3) allows `age` with `gender`; other audience dimensions alone.
    """
    allowed = allowed_breakdowns(report_type)
    for name in breakdowns:
        if name not in allowed:
            return f"dimension '{name}' is not valid in {report_type.value} reports"
    combined = set(breakdowns)
    if len(combined) > 1 and combined != {"age", "gender"}:
        return f"dimensions {sorted(combined)} cannot be combined; only 'age' with 'gender' can"
    return None


def resolve_metric_names(names: list[str], logger: logging.Logger) -> tuple[list[str], list[str]]:
    """Translate metric names a user configured into v1.3 names.

    Returns the v1.3 names in the order given, and one error per unknown name. A v1.1/v1.2
    name is replaced by its v1.3 name with a warning, so old configs keep working. When two
    names mean the same metric (a legacy and a current name, or two legacy names) the first
    one wins and the second is ignored with a warning: asking twice would give one column.
    """
    resolved: list[str] = []
    given_as: dict[str, str] = {}  # v1.3 name -> the name the user gave for it first
    errors: list[str] = []
    for name in names:
        current = LEGACY_METRIC_NAMES.get(name, name)
        if current not in METRICS:
            errors.append(f"Unknown metric '{name}'.{_metric_hint(name)}")
            continue
        if current in given_as:
            logger.warning(
                "Metric '%s' ignored: it is the same metric ('%s') as '%s' given before it",
                name,
                current,
                given_as[current],
            )
            continue
        if current != name:
            logger.warning(
                "Metric '%s' is TikTok's v1.1/v1.2 name of '%s'; requesting '%s' instead. "
                "Rename it in your config.",
                name,
                current,
                current,
            )
        given_as[current] = name
        resolved.append(current)
    return resolved, errors


def _metric_hint(name: str) -> str:
    """The closest v1.3 names to an unknown metric; legacy look-alikes count as their v1.3 name."""
    close = closest_names(name, set(METRICS) | set(LEGACY_METRIC_NAMES))
    suggestions = list(dict.fromkeys(LEGACY_METRIC_NAMES.get(s, s) for s in close))
    return UnknownName(name, suggestions).hint()
