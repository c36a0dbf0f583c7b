"""The `custom_reports` setting: the user's own report streams, checked before any request.

Each entry becomes a `ReportDefinition`, the same kind the built-in streams are made of, so
custom reports get the same schema, selection, windows, bookmarks and lookbacks.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from tap_tiktok_ads.metrics import (
    AUDIENCE_DIMENSIONS,
    ID_DIMENSIONS,
    METRICS,
    DataLevel,
    ReportType,
    TimeDimension,
    UnknownName,
    allowed_breakdowns,
    breakdown_error,
    closest_names,
    resolve_metric_names,
)
from tap_tiktok_ads.report_definitions import Granularity, ReportDefinition, builtin_reports
from tap_tiktok_ads.shop_report_rules import shop_report_errors

_NAME = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
_KNOWN_KEYS = frozenset(
    {"name", "report_type", "data_level", "dimensions", "metrics", "granularity"}
)
_TIME_DIMENSIONS = {t.value for t in TimeDimension}
_BREAKDOWNS = frozenset().union(*(allowed_breakdowns(kind) for kind in ReportType))
_ALL_DIMENSIONS = ID_DIMENSIONS | _TIME_DIMENSIONS | _BREAKDOWNS
# Validation at start-up runs before the streams are built; it must not warn twice.
_SILENT = logging.getLogger(f"{__name__}.silent")
_SILENT.addHandler(logging.NullHandler())
_SILENT.propagate = False
_GRAIN_OF_TIME = {
    TimeDimension.DAY.value: Granularity.DAY,
    TimeDimension.HOUR.value: Granularity.HOUR,
}


def _choice(value: Any, allowed: list[str], what: str) -> tuple[str | None, str | None]:  # noqa: ANN401
    text = str(value or "").upper().removeprefix("AUCTION_")
    if text in allowed:
        return text, None
    hint = UnknownName(str(value), closest_names(text, allowed)).hint()
    return None, f"{what} '{value}' is not one of {', '.join(allowed)}.{hint}"


def parse_custom_reports(
    entries: Any,  # noqa: ANN401
    logger: logging.Logger | None = None,
) -> tuple[list[ReportDefinition], list[str]]:
    """Definitions for the valid entries, and one message per problem (naming the entry).

    Warnings (legacy metric names) go to `logger`; without one, nothing is logged.
    """
    logger = logger or _SILENT
    if entries in (None, ""):
        return [], []
    if not isinstance(entries, list):
        return [], ["`custom_reports` must be a list of report objects."]
    taken = {definition.name for definition in builtin_reports()}
    definitions: list[ReportDefinition] = []
    errors: list[str] = []
    for index, entry in enumerate(entries):
        where = f"`custom_reports[{index}]`"
        if isinstance(entry, dict) and entry.get("name"):
            where += f" ('{entry['name']}')"
        if not isinstance(entry, dict):
            errors.append(f"{where} must be an object with name, report_type, data_level, ...")
            continue
        definition, entry_errors = _parse_entry(entry, where, taken, logger)
        errors += entry_errors
        if definition is not None:
            taken.add(definition.name)
            definitions.append(definition)
    return definitions, errors


def _parse_entry(
    entry: dict[str, Any], where: str, taken: set[str], logger: logging.Logger
) -> tuple[ReportDefinition | None, list[str]]:
    errors = _name_and_key_errors(entry, taken)
    report_value, error = _choice(
        entry.get("report_type"), [kind.value for kind in ReportType], "report_type"
    )
    errors += [error] if error else []
    level_value, error = _choice(
        entry.get("data_level"), [lv.value for lv in DataLevel], "data_level"
    )
    errors += [error] if error else []
    if report_value is None or level_value is None:
        return None, [f"{where}: {message}" for message in errors]
    report_type, level = ReportType(report_value), DataLevel(level_value)
    dimensions = [str(d) for d in entry.get("dimensions") or []]
    errors += _dimension_errors(report_type, level, dimensions)
    granularity, grain_errors = _granularity(report_type, dimensions, entry.get("granularity"))
    errors += grain_errors
    breakdowns = tuple(d for d in dict.fromkeys(dimensions) if d in _BREAKDOWNS)
    if report_type is ReportType.TT_SHOP and not errors:
        errors += shop_report_errors(level, granularity, breakdowns)
    metrics, metric_errors = resolve_metric_names(
        [str(m) for m in entry.get("metrics") or []], logger
    )
    errors += metric_errors
    definition = ReportDefinition(
        name=str(entry.get("name")),
        report_type=report_type,
        level=level,
        granularity=granularity,
        breakdowns=breakdowns,
        default_metrics=tuple(metrics) if metrics else None,
    )
    if not errors:
        errors += _metric_shape_errors(definition, metrics)
    errors = [f"{where}: {message}" for message in errors]
    return (None if errors else definition), errors


def _metric_shape_errors(definition: ReportDefinition, metrics: list[str]) -> list[str]:
    """One message per metric TikTok would refuse (40002) in this report's shape."""
    errors = []
    for name in metrics:
        problem = definition.shape.rejection(METRICS[name])
        if problem:
            errors.append(f"{problem} (TikTok reference: {METRICS[name].reference}); remove it.")
    return errors


def _name_and_key_errors(entry: dict[str, Any], taken: set[str]) -> list[str]:
    errors = [
        f"unknown key '{key}'.{UnknownName(key, closest_names(key, _KNOWN_KEYS)).hint()}"
        for key in sorted(set(entry) - _KNOWN_KEYS)
    ]
    name = str(entry.get("name") or "")
    if not _NAME.match(name):
        errors.append(
            f"`name` '{name}' must be lower case letters, digits and underscores, "
            "starting with a letter (it becomes the stream and table name)."
        )
    elif name in taken:
        errors.append(f"a stream named '{name}' exists already; choose another name.")
    return errors


def _dimension_errors(
    report_type: ReportType, level: DataLevel, dimensions: list[str]
) -> list[str]:
    valid = f" Valid dimensions: {', '.join(sorted(_ALL_DIMENSIONS))}."
    errors = [
        f"unknown dimension '{d}'."
        + (UnknownName(d, closest_names(d, _ALL_DIMENSIONS)).hint() or valid)
        for d in dimensions
        if d not in _ALL_DIMENSIONS
    ]
    ids = [d for d in dimensions if d in ID_DIMENSIONS]
    if any(d != level.id_dimension for d in ids):
        errors.append(
            f"dimension '{ids[0]}' does not match data_level {level.value}; "
            f"use '{level.id_dimension}'."
        )
    times = [d for d in dimensions if d in _TIME_DIMENSIONS]
    if len(times) > 1:
        errors.append(f"two time dimensions {times}; keep one of them.")
    breakdowns = [d for d in dimensions if d in _BREAKDOWNS]
    combination = breakdown_error(report_type, breakdowns)
    if combination:
        errors.append(f"{combination}.")
    elif report_type is ReportType.AUDIENCE and not breakdowns:
        # An audience report breaks data down by audience (Doc 1738864928947201); TikTok's
        # metric tables are per audience dimension (Doc 1762404685488130).
        errors.append(
            "AUDIENCE reports need an audience dimension; add one of "
            f"{', '.join(sorted(AUDIENCE_DIMENSIONS))}."
        )
    return errors


def _granularity(
    report_type: ReportType,
    dimensions: list[str],
    period: Any,  # noqa: ANN401
) -> tuple[Granularity, list[str]]:
    """The report's grain: from its time dimension, or WEEK/MONTH, or lifetime."""
    times = [d for d in dimensions if d in _TIME_DIMENSIONS]
    breakdowns = [d for d in dimensions if d in _BREAKDOWNS]
    granularity = _GRAIN_OF_TIME[times[0]] if times else Granularity.LIFETIME
    if period is not None:
        period_value, error = _choice(period, ["WEEK", "MONTH"], "granularity")
        if error:
            return granularity, [error]
        if times:
            return granularity, [
                (
                    f"granularity {period_value} reads whole periods without a time dimension; "
                    f"remove {times}."
                )
            ]
        granularity = Granularity(period_value)
    if report_type is ReportType.AUDIENCE and granularity.is_period:
        return granularity, ["weekly and monthly reports are BASIC reports."]
    if report_type is ReportType.AUDIENCE and granularity is not Granularity.DAY:
        return granularity, ["AUDIENCE reports need the dimension 'stat_time_day'."]
    if granularity is Granularity.LIFETIME and breakdowns:
        return granularity, [
            (
                "a report without a time dimension is a lifetime report, which TikTok does not "
                "break down by audience or country; add 'stat_time_day'."
            )
        ]
    return granularity, []
