"""The one registry of report metrics and dimensions, read from TikTok's reference as data.

Everything that needs to know a metric asks here: stream schemas, the default selection,
validation of custom reports and the typing of TikTok's string values. The facts live in
`data/report_metrics.csv` and `data/report_dimensions.csv` (one row each, with the Doc IDs
and secondary sources they come from; see docs/api-reference-notes.md); this module only
reads them. When TikTok adds a metric, it is a new row, not new code.
"""

from __future__ import annotations

import csv
import difflib
import enum
from dataclasses import dataclass, field
from functools import cache, cached_property
from importlib import resources
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    import logging


class ReportType(str, enum.Enum):
    """The `report_type` values this tap reads."""

    BASIC = "BASIC"
    AUDIENCE = "AUDIENCE"
    # GMV max ads (TikTok Shop) reports: advertiser or campaign level, synchronous only,
    # no filters, no lifetime (Docs 1803073629472770, 1740302848100353).
    TT_SHOP = "TT_SHOP"


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
    """How a metric behaves: it decides the JSON type and whether values add up."""

    COUNT = "count"  # additive integer (impressions, clicks, conversions)
    MONEY = "money"  # additive amount in the account currency (spend, values)
    RATIO = "ratio"  # derived from other metrics (ctr, cost per, rates, ROAS); never summed
    DURATION = "duration"  # seconds (average play time); never summed
    TEXT = "text"  # attribute metric describing the entity (names, settings)
    AMOUNT = "amount"  # attribute metric with a numeric value (budget, bid)


class Grain(str, enum.Enum):
    """The time grain of a report, as the metric catalog names it."""

    DAY = "day"  # stat_time_day
    HOUR = "hour"  # stat_time_hour
    LIFETIME = "lifetime"  # query_lifetime, no dates
    PERIOD = "period"  # a date range without a time dimension (weekly, monthly)


JSON_TYPES: dict[MetricKind, str] = {
    MetricKind.COUNT: "integer",
    MetricKind.MONEY: "number",
    MetricKind.RATIO: "number",
    MetricKind.DURATION: "number",
    MetricKind.TEXT: "string",
    MetricKind.AMOUNT: "number",
}

# The metric table of a report without breakdown dimensions (data/report_metrics.csv).
PLAIN_BASIC_TABLE = "basic"
# TT_SHOP reports have one table, with or without `country_code` (report_dimensions.csv).
TT_SHOP_TABLE = "tt_shop"


@dataclass(frozen=True)
class Metric:
    """One report metric and the report shapes TikTok accepts it in.

    `tables` names the reference tables that list the metric: `basic` for BASIC reports
    without breakdowns, and one table per breakdown dimension (see `Breakdown.metric_table`).
    """

    name: str
    family: str
    kind: MetricKind
    unique: bool  # unique people (reach): never add rows up
    levels: frozenset[DataLevel]
    grains: frozenset[Grain]
    tables: frozenset[str]
    latency_hours: float  # how long after a day ends its value settles (Doc 1738864894606337)
    default: bool
    sources: tuple[str, ...]

    @property
    def json_type(self) -> str:
        """The JSON schema type of the metric's values."""
        return JSON_TYPES[self.kind]

    @property
    def is_attribute(self) -> bool:
        """Attribute metrics describe the entity instead of measuring delivery."""
        return self.kind in {MetricKind.TEXT, MetricKind.AMOUNT}

    @property
    def reference(self) -> str:
        """Where the metric and its rules are documented, for messages."""
        return ", ".join(SOURCE_NAMES.get(source, f"Doc {source}") for source in self.sources)


# Secondary sources named in the data files' `sources` column; digits are TikTok Doc IDs.
SOURCE_NAMES = {
    "bububa": "Go SDK bububa/tiktok-business model/report/metrics.go",
    "airbyte": "Airbyte source-tiktok-marketing",
}


@dataclass(frozen=True)
class Breakdown:
    """A non-ID, non-time dimension: where it is valid and which metric table applies."""

    name: str
    report_type: ReportType
    metric_table: str
    latency_hours: float
    sources: tuple[str, ...]


def _data_rows(file_name: str) -> list[dict[str, str]]:
    text = resources.files("tap_tiktok_ads").joinpath("data", file_name).read_text("utf-8")
    return list(csv.DictReader(text.splitlines()))


_Member = TypeVar("_Member", bound=enum.Enum)


@cache
def _members(kind: type[_Member], cell: str) -> frozenset[_Member]:
    """The members a cell names, made once per distinct cell: 800 rows share a few dozen.

    Made for every row, they took most of the 0.01-0.02 s the registry adds to the start.
    """
    return frozenset(kind(value) for value in cell.split())


def _load_metrics() -> dict[str, Metric]:
    metrics: dict[str, Metric] = {}
    for row in _data_rows("report_metrics.csv"):
        metrics[row["name"]] = Metric(
            name=row["name"],
            family=row["family"],
            kind=MetricKind(row["kind"]),
            unique=row["unique"] == "y",
            levels=_members(DataLevel, row["levels"]),
            grains=_members(Grain, row["grains"]),
            tables=frozenset(row["tables"].split()),
            latency_hours=float(row["latency_hours"]),
            default=row["default"] == "y",
            sources=tuple(row["sources"].split()),
        )
    return metrics


def _load_breakdowns() -> dict[tuple[ReportType, str], Breakdown]:
    breakdowns: dict[tuple[ReportType, str], Breakdown] = {}
    for row in _data_rows("report_dimensions.csv"):
        breakdown = Breakdown(
            name=row["name"],
            report_type=ReportType(row["report_type"]),
            metric_table=row["metric_table"],
            latency_hours=float(row["latency_hours"]),
            sources=tuple(row["sources"].split()),
        )
        breakdowns[breakdown.report_type, breakdown.name] = breakdown
    return breakdowns


METRICS: dict[str, Metric] = _load_metrics()
BREAKDOWNS: dict[tuple[ReportType, str], Breakdown] = _load_breakdowns()


@dataclass(frozen=True)
class ReportShape:
    """What decides which metrics TikTok accepts: type, level, grain and breakdowns."""

    report_type: ReportType
    level: DataLevel
    grain: Grain
    breakdowns: tuple[str, ...] = ()

    @cached_property
    def metric_tables(self) -> frozenset[str]:
        """The reference tables a metric must be in to be valid in this shape.

        Once per shape: every report stream tests the 800 metrics against it at start.
        """
        if not self.breakdowns:
            plain = TT_SHOP_TABLE if self.report_type is ReportType.TT_SHOP else PLAIN_BASIC_TABLE
            return frozenset({plain})
        return frozenset(
            BREAKDOWNS[self.report_type, name].metric_table for name in self.breakdowns
        )

    def accepts(self, metric: Metric) -> bool:
        """Whether TikTok accepts this metric in a report of this shape."""
        return (
            self.level in metric.levels
            and self.grain in metric.grains
            and self.metric_tables <= metric.tables
        )

    def rejection(self, metric: Metric) -> str | None:
        """Why TikTok refuses a metric in this shape, in words a user can act on."""
        if self.level not in metric.levels:
            levels = ", ".join(level.value for level in DataLevel if level in metric.levels)
            return f"'{metric.name}' is only available at {levels} level"
        if self.grain not in metric.grains:
            grains = ", ".join(grain.value for grain in Grain if grain in metric.grains)
            return f"'{metric.name}' is only available in {grains} reports"
        missing = sorted(self.metric_tables - metric.tables)
        if missing:
            what = (
                f"with the breakdown {', '.join(self.breakdowns)}"
                if self.breakdowns
                else "without a breakdown dimension"
            )
            return (
                f"TikTok does not offer '{metric.name}' in {self.report_type.value} reports {what}"
            )
        return None

    @property
    def latency_hours(self) -> float:
        """How long after a day ends this shape's breakdowns settle (0 without breakdowns)."""
        return max(
            (BREAKDOWNS[self.report_type, name].latency_hours for name in self.breakdowns),
            default=0.0,
        )


def metrics_for(shape: ReportShape) -> list[Metric]:
    """Every metric TikTok accepts in a report of this shape, in catalog order."""
    return [metric for metric in METRICS.values() if shape.accepts(metric)]


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

AUDIENCE_DIMENSIONS = frozenset(
    name for report_type, name in BREAKDOWNS if report_type is ReportType.AUDIENCE
)
BASIC_BREAKDOWNS = frozenset(
    name for report_type, name in BREAKDOWNS if report_type is ReportType.BASIC
)


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


def allowed_breakdowns(report_type: ReportType) -> frozenset[str]:
    """Non-ID, non-time dimensions a report type accepts."""
    return frozenset(name for kind, name in BREAKDOWNS if kind is report_type)


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
