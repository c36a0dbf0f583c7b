"""Validation of `/report/integrated/get/` parameters into a `ReportQuery`.

The rules come from reference sections 2.1-2.7 and 2.11; where TikTok's exact wording is
unknown the message is ours, but the code is always 40002.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from tests.fake_api.metric_rules import invalid_metrics
from tests.fake_api.request import PARAMETER_ERROR, ApiError
from tests.fake_api.vocabulary import DataLevel, ReportType, TimeDimension

if TYPE_CHECKING:
    from tests.fake_api.request import ApiRequest

DEFAULT_METRICS = ("spend", "impressions")  # reference 2.1
MAX_METRICS = 100  # reference 2.1: "keep to about 100 metrics or fewer"
MAX_PAGE_SIZE = 1000  # reference 2.1
DEFAULT_PAGE_SIZE = 10
MAX_DAILY_DAYS = 30  # reference 2.5, both ends inclusive
MAX_TOTAL_DAYS = 365  # reference 2.5, no time dimension
MAX_FILTER_IDS = 100  # reference 2.6
MAX_ASYNC_FILTER_IDS = 20_000  # Doc 1740302766489602: async tasks filter by 20000 IDs at most
TIME_DIMENSIONS = frozenset(t.value for t in TimeDimension)
# Upgraded Smart+ (Doc 1740302848100353): at AUCTION_AD, the dimension `ad_id_v2` gives one
# row per ad (an Upgraded Smart+ ad's asset group, where `ad_id` gives its creatives), and the
# filter `ad_ids_v2` selects ads by it ("Filtering by Upgraded Smart+ Ad (Asset Group) IDs
# through ad_id_v2"). `ad_id_v2` cannot go with the dimension `ad_id`, the filter `ad_ids`
# or the attribute metric `ad_id` (bububa model/report/metrics.go, `AdIDV2`); inferred: the
# filter goes only with its dimension, as in the Doc's example, and takes up to 100 IDs.
AD_ID_V2 = "ad_id_v2"
AD_IDS_V2 = "ad_ids_v2"
ID_DIMENSIONS = frozenset({*(level.id_dimension for level in DataLevel), AD_ID_V2})
# Breakdown dimensions the fake serves: `country_code` in BASIC reports (Doc 1759239462689793)
# and the audience dimensions of Doc 1738864894606337's latency table in AUDIENCE reports.
BREAKDOWNS = {
    ReportType.BASIC: frozenset({"country_code"}),
    ReportType.AUDIENCE: frozenset(
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
    ),
}


def breakdown_error(report_type: ReportType, breakdowns: list[str]) -> str | None:
    """Why breakdown dimensions cannot go together (inferred: only age with gender combine)."""
    for name in breakdowns:
        if name not in BREAKDOWNS[report_type]:
            return f"dimension '{name}' is not valid in {report_type.value} reports"
    combined = set(breakdowns)
    if len(combined) > 1 and combined != {"age", "gender"}:
        return f"dimensions {sorted(combined)} cannot be combined"
    return None


STATUS_VALUES = frozenset(
    {"STATUS_ALL", "STATUS_NOT_DELETE", "STATUS_DELETE", "STATUS_DELIVERY_OK", "STATUS_DISABLE"}
)
_ID_FILTERS = {
    "campaign_ids": DataLevel.CAMPAIGN,
    "adgroup_ids": DataLevel.ADGROUP,
    "ad_ids": DataLevel.AD,
}
_LEVEL_DEPTH = {level: depth for depth, level in enumerate(DataLevel)}
# Doc 1740302848100353 (`service_type`): "To retrieve the reporting data of TopView ads, use
# the basic reports or audience reports and specify the value RESERVATION_TOP_VIEW for the
# `buying_type` filter". Inferred: without that filter the campaign, ad group and ad levels
# leave TopView out, while the advertiser level has "all Auction Ads and Reservation Ads"
# (`data_level`); the values are the entity endpoints' `buying_types`, and TopView cannot be
# combined with another, as there.
BUYING_TYPES = frozenset({"AUCTION", "RESERVATION_RF", "RESERVATION_TOP_VIEW"})
TOP_VIEW = "RESERVATION_TOP_VIEW"


@dataclass(frozen=True)
class ReportQuery:
    """A validated report request, without paging; hashable so results can be cached."""

    advertiser_id: str
    report_type: ReportType
    level: DataLevel
    dimensions: tuple[str, ...]  # as requested
    time_dimension: str | None
    breakdowns: tuple[str, ...]  # non-ID, non-time dimensions, as requested
    metrics: tuple[str, ...]
    start: date | None
    end: date | None
    lifetime: bool = False
    statuses: frozenset[str] = frozenset({"STATUS_NOT_DELETE"})
    # id dimension (campaign_id, adgroup_id, ad_id) -> ids the rows must belong to
    id_filters: tuple[tuple[str, frozenset[str]], ...] = ()
    ad_cap: int | None = None  # the account's ad cap (ad_cap.py); None: uncapped (the truth)
    buying_types: frozenset[str] | None = None  # the `buying_type` filter; None: not sent


def _fail(message: str) -> ApiError:
    return ApiError(PARAMETER_ERROR, message)


def invalid_metrics_message(names: list[str]) -> str:
    """TikTok's wording for rejected metrics (reference 1.4, an observed 40002 body)."""
    return (
        "Please correct the information in invalid metric fields and try again. "
        f"Invalid metric fields: {names!r}. "
    )


def _enum(request: ApiRequest, name: str, choices: dict[str, Any]) -> Any:
    value = request.text(name, required=True)
    if value not in choices:
        raise _fail(f"{name}: Invalid value {value!r}; allowed: {sorted(choices)}.")
    return choices[value]


def _dimensions(
    request: ApiRequest, report_type: ReportType, level: DataLevel
) -> tuple[tuple[str, ...], str | None, tuple[str, ...]]:
    dimensions = request.text_list("dimensions", required=True) or []
    if not dimensions or len(set(dimensions)) != len(dimensions):
        raise _fail("dimensions: must be a non-empty list without duplicates.")
    ids = [name for name in dimensions if name in ID_DIMENSIONS]
    times = [name for name in dimensions if name in TIME_DIMENSIONS]
    breakdowns = [name for name in dimensions if name not in ID_DIMENSIONS | TIME_DIMENSIONS]
    if ids == [AD_ID_V2] and level is DataLevel.AD:
        ids = [level.id_dimension]  # the ad's other ID dimension (see AD_ID_V2)
    if ids != [level.id_dimension]:
        raise _fail(
            f"dimensions: data_level {level.api_value} needs exactly one ID dimension, "
            f"'{level.id_dimension}'; got {ids}."
        )
    if len(times) > 1:
        raise _fail("dimensions: at most one time dimension is allowed.")
    problem = breakdown_error(report_type, breakdowns)
    if problem:
        raise _fail(f"dimensions: {problem}.")
    time_dimension = times[0] if times else None
    if report_type is ReportType.AUDIENCE and time_dimension == TimeDimension.HOUR.value:
        raise _fail("dimensions: stat_time_hour is not supported in AUDIENCE reports.")
    return tuple(dimensions), time_dimension, tuple(breakdowns)


def _metrics(
    request: ApiRequest,
    report_type: ReportType,
    level: DataLevel,
    time_dimension: str | None,
    breakdowns: tuple[str, ...],
    *,
    lifetime: bool,
) -> tuple[str, ...]:
    names = request.text_list("metrics")
    if names is None:
        return DEFAULT_METRICS
    if len(names) > MAX_METRICS:
        raise _fail(f"metrics: at most {MAX_METRICS} metrics per request.")
    invalid = invalid_metrics(
        names, report_type, level, time_dimension, breakdowns, lifetime=lifetime
    )
    invalid += [name for name in names if name in request.api.retired_metrics]
    if invalid:
        raise _fail(invalid_metrics_message(invalid))
    return tuple(dict.fromkeys(names))


def _day(request: ApiRequest, name: str) -> date:
    value = request.text(name, required=True) or ""
    try:
        if len(value) != len("YYYY-MM-DD"):
            raise ValueError(value)
        return date.fromisoformat(value)
    except ValueError:
        raise _fail(f"{name}: Not a valid date, expected YYYY-MM-DD.") from None


def _window(
    request: ApiRequest,
    time_dimension: str | None,
    breakdowns: tuple[str, ...],
    *,
    lifetime: bool,
    limited: bool = True,
) -> tuple[date | None, date | None]:
    if lifetime:
        if time_dimension or breakdowns:
            raise _fail("query_lifetime: time and breakdown dimensions are not allowed.")
        return None, None
    start, end = _day(request, "start_date"), _day(request, "end_date")
    days = (end - start).days + 1
    if days < 1:
        raise _fail("end_date: must not be earlier than start_date.")
    if not limited:
        return start, end
    if time_dimension == TimeDimension.HOUR.value and days != 1:
        raise _fail("start_date and end_date must be the same day for stat_time_hour.")
    if time_dimension == TimeDimension.DAY.value and days > MAX_DAILY_DAYS:
        raise _fail(f"The time range of stat_time_day can not exceed {MAX_DAILY_DAYS} days.")
    if days > MAX_TOTAL_DAYS:
        raise _fail(f"The time range can not exceed {MAX_TOTAL_DAYS} days.")
    return start, end


def _filter_values(item: dict[str, Any]) -> list[str]:
    raw = item.get("filter_value")
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except ValueError:
            raise _fail(f"filtering: filter_value {raw!r} is not a JSON array.") from None
    if not isinstance(raw, list) or not raw:
        raise _fail("filtering: filter_value must be a non-empty JSON array.")
    return [str(value) for value in raw]


@dataclass(frozen=True)
class Filters:
    """What a request's `filtering` asks for."""

    statuses: frozenset[str] = frozenset({"STATUS_NOT_DELETE"})
    id_filters: tuple[tuple[str, frozenset[str]], ...] = ()
    buying_types: frozenset[str] | None = None


def _buying_types(values: list[str]) -> frozenset[str]:
    chosen = frozenset(values)
    if not chosen <= BUYING_TYPES:
        raise _fail(f"filtering: invalid buying_type values {sorted(chosen - BUYING_TYPES)}.")
    if TOP_VIEW in chosen and len(chosen) > 1:
        raise _fail(f"filtering: buying_type {TOP_VIEW} cannot be combined with other values.")
    return chosen


def _filtering(request: ApiRequest, level: DataLevel, *, asynchronous: bool = False) -> Filters:
    statuses = frozenset({"STATUS_NOT_DELETE"})
    id_filters: dict[str, frozenset[str]] = {}
    buying_types = None
    raw = request.params.get("filtering")
    if raw is None:
        return Filters()
    if not isinstance(raw, list):
        raise _fail("filtering: must be a JSON array of filter objects.")
    for item in raw:
        if not isinstance(item, dict) or not {"field_name", "filter_type", "filter_value"} <= set(
            item
        ):
            raise _fail("filtering: each filter needs field_name, filter_type and filter_value.")
        field_name, filter_type = item["field_name"], item["filter_type"]
        if filter_type != "IN":
            raise _fail(f"filtering: filter_type {filter_type!r} is not supported by the fake.")
        values = _filter_values(item)
        if asynchronous and field_name not in _ID_FILTERS:
            # Doc 1740302766489602: async tasks filter only by campaign_ids, adgroup_ids, ad_ids.
            raise _fail(f"filtering: field_name {field_name!r} is not supported in async reports.")
        max_ids = MAX_ASYNC_FILTER_IDS if asynchronous else MAX_FILTER_IDS
        if level is not DataLevel.ADVERTISER and field_name == f"{level.value.lower()}_status":
            unknown = sorted(set(values) - STATUS_VALUES)
            if unknown:
                raise _fail(f"filtering: invalid {field_name} values {unknown}.")
            statuses = frozenset(values)
        elif field_name == "buying_type":
            buying_types = _buying_types(values)
        elif (
            field_name in _ID_FILTERS
            and _LEVEL_DEPTH[_ID_FILTERS[field_name]] <= _LEVEL_DEPTH[level]
        ):
            if len(values) > max_ids:
                raise _fail(f"filtering: at most {max_ids} values in {field_name}.")
            id_filters[_ID_FILTERS[field_name].id_dimension] = frozenset(values)
        elif field_name == AD_IDS_V2 and level is DataLevel.AD:
            if len(values) > max_ids:
                raise _fail(f"filtering: at most {max_ids} values in {field_name}.")
            id_filters[AD_ID_V2] = frozenset(values)
        else:
            raise _fail(f"filtering: field_name {field_name!r} is not valid at {level.api_value}.")
    return Filters(statuses, tuple(sorted(id_filters.items())), buying_types)


def _check_ad_id_v2(
    dimensions: tuple[str, ...],
    metrics: tuple[str, ...],
    id_filters: tuple[tuple[str, frozenset[str]], ...],
) -> None:
    """What `ad_id_v2` cannot go with (see AD_ID_V2)."""
    filtered_by = {dimension for dimension, _ in id_filters}
    if AD_ID_V2 in dimensions and ("ad_id" in filtered_by or "ad_id" in metrics):
        raise _fail("ad_id_v2 cannot be used together with the filter ad_ids or the metric ad_id.")
    if AD_ID_V2 in filtered_by and AD_ID_V2 not in dimensions:
        raise _fail(f"filtering: {AD_IDS_V2} needs the dimension {AD_ID_V2}.")


def parse_report_query(
    request: ApiRequest, *, asynchronous: bool = False
) -> tuple[ReportQuery, int, int]:
    """Validate a report request; returns the query, the page and the page size.

    `asynchronous`: the rules of `report/task/create/` (Doc 1740302766489602): no limit on
    the date range, only ID filters, up to 20,000 IDs.
    """
    advertiser_id = request.text("advertiser_id")
    if advertiser_id is None:
        raise _fail("advertiser_id: Missing data for required field.")
    service_type = request.text("service_type")
    if service_type not in {None, "AUCTION"}:
        raise _fail(f"service_type: {service_type!r} is not supported.")
    report_type = _enum(request, "report_type", {t.value: t for t in ReportType})
    level = _enum(request, "data_level", {lv.api_value: lv for lv in DataLevel})
    dimensions, time_dimension, breakdowns = _dimensions(request, report_type, level)
    lifetime = request.flag("query_lifetime")
    metrics = _metrics(request, report_type, level, time_dimension, breakdowns, lifetime=lifetime)
    if lifetime and report_type is not ReportType.BASIC:
        raise _fail("query_lifetime: only BASIC reports support lifetime queries.")
    start, end = _window(
        request, time_dimension, breakdowns, lifetime=lifetime, limited=not asynchronous
    )
    page = request.integer("page", 1)
    page_size = request.integer("page_size", DEFAULT_PAGE_SIZE)
    if page < 1:
        raise _fail("page: must be at least 1.")
    if not 1 <= page_size <= MAX_PAGE_SIZE:
        raise _fail(f"page_size: must be between 1 and {MAX_PAGE_SIZE}.")
    filters = _filtering(request, level, asynchronous=asynchronous)
    _check_ad_id_v2(dimensions, metrics, filters.id_filters)
    query = ReportQuery(
        advertiser_id=advertiser_id,
        report_type=report_type,
        level=level,
        dimensions=dimensions,
        time_dimension=time_dimension,
        breakdowns=breakdowns,
        metrics=metrics,
        start=start,
        end=end,
        lifetime=lifetime,
        statuses=filters.statuses,
        id_filters=filters.id_filters,
        buying_types=filters.buying_types,
        # Async tasks are not truncated: they match Ads Manager's exports (issue 13, Doc
        # 1740302766489602 sets no cap).
        ad_cap=None if asynchronous else request.api.data.spec.ad_cap,
    )
    return query, page, page_size
