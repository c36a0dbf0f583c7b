"""Turning computed integers into TikTok's row shape: every value a string (reference 2.9).

A query's row builder is compiled once into one small Python function whose body is a
dict literal: a 1000-row page must format in a few milliseconds, which a generic loop over
per-metric instructions could not do.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from tests.fake_api.delivery import Plan, plan_for
from tests.fake_api.metric_rules import ratio_of, value_kind

UNDEFINED = "-"  # TikTok's text for a value it cannot compute (reference 2.9)

# build(entity_id, time_label, breakdown_label, values, reach, attributes) -> row
RowBuilder = Callable[
    [str, "str | None", tuple[str, ...], list[int], int, dict[str, str]], dict[str, Any]
]


@dataclass(frozen=True)
class RowFormat:
    """What a query's rows need computed (`plan`, reach) and how to build them."""

    plan: Plan
    needs_reach: bool
    build: RowBuilder
    source: str  # the generated builder, kept for debugging


def _units(name: str) -> float:
    """Additive money is kept in cents; ratios use whole currency units."""
    return 100.0 if value_kind(name) == "money" else 1.0


def _operands(metrics: tuple[str, ...]) -> tuple[set[str], bool]:
    """The additive metrics the requested ones are computed from, and whether reach is."""
    additive: set[str] = set()
    needs_reach = False
    for name in metrics:
        kind = value_kind(name)
        ratio = ratio_of(name)
        if kind in {"count", "money"}:
            additive.add(name)
        elif ratio is not None:
            for operand in ratio[:2]:
                if operand == "reach":
                    needs_reach = True
                else:
                    additive.add(str(operand))
        elif kind == "unique":
            needs_reach = True
    if needs_reach:
        additive.add("impressions")
    return additive, needs_reach


def _metric_expression(name: str, plan: Plan) -> str:
    """Python source computing one metric's text from `v` (values), `r` (reach), `a`."""
    kind = value_kind(name)
    ratio = ratio_of(name)

    def operand(operand_name: str) -> str:
        return "r" if operand_name == "reach" else f"v[{plan.position(operand_name)}]"

    if kind == "count":
        return f"str({operand(name)})"
    if kind == "money":
        cents = operand(name)
        return f'f"{{{cents} // 100}}.{{{cents} % 100:02d}}"'
    if ratio is not None:
        numerator, denominator, scale = ratio
        top, bottom = operand(numerator), operand(denominator)
        factor = scale * _units(denominator) / _units(numerator)
        return f'(f"{{{top} * {factor!r} / {bottom}:.2f}}" if {bottom} else {UNDEFINED!r})'
    if kind == "unique":
        return "str(r)"
    return f"a.get({name!r}, {UNDEFINED!r})"


def _dimension_expressions(
    dimensions: tuple[str, ...], breakdown_dimensions: tuple[str, ...]
) -> list[tuple[str, str]]:
    """(dimension, source) pairs: `e` is the entity id, `t` the time, `lb` the bucket label."""
    pairs: list[tuple[str, str]] = []
    for name in dimensions:
        if name in breakdown_dimensions:
            source = f"lb[{breakdown_dimensions.index(name)}]"
            pairs.append((name, source))
            if name == "interest_category":
                # reference 2.3: interest_category rows also carry interest_category_v2
                pairs.append(("interest_category_v2", source))
        elif name.startswith("stat_time_"):
            pairs.append((name, "t"))
        else:
            pairs.append((name, "e"))
    return pairs


def compile_format(
    dimensions: tuple[str, ...], breakdown_dimensions: tuple[str, ...], metrics: tuple[str, ...]
) -> RowFormat:
    """Generate the row builder for a validated query's dimensions and metrics."""
    additive, needs_reach = _operands(metrics)
    plan = plan_for(additive)
    dimension_items = ", ".join(
        f"{name!r}: {source}"
        for name, source in _dimension_expressions(dimensions, breakdown_dimensions)
    )
    metric_items = ", ".join(f"{name!r}: {_metric_expression(name, plan)}" for name in metrics)
    source = (
        "def build(e, t, lb, v, r, a):\n"
        f"    return {{'dimensions': {{{dimension_items}}}, 'metrics': {{{metric_items}}}}}\n"
    )
    namespace: dict[str, Any] = {}
    # Names come from the metric registry and validated dimensions, never from raw input.
    exec(compile(source, "<report row builder>", "exec"), namespace)  # noqa: S102
    return RowFormat(plan, needs_reach, namespace["build"], source)
