"""The one-pass typing plan gives exactly what the per-value converters give, for any value.

The expected values come from `to_integer`, `to_number` and `to_text`, applied one value at a
time, and from literal figures; the plan is the code under test.
"""

from __future__ import annotations

import math
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from tap_tiktok_ads.metrics import METRICS
from tap_tiktok_ads.records import RowTyper, to_integer, to_number, to_text

INTEGER, NUMBER, TEXT = "impressions", "spend", "campaign_name"
CONVERT = {INTEGER: to_integer, NUMBER: to_number, TEXT: to_text}
TIKTOK_TEXTS = ["-", "", "0", "5830", "5,830", "14.68", "1.18%", "nan", "inf", "1e400", " 7 "]
VALUES = st.one_of(
    st.sampled_from(TIKTOK_TEXTS),
    st.text(max_size=8),
    st.from_regex(r"-?[0-9]{1,20}(\.[0-9]{1,4})?", fullmatch=True),
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(),
)


def _typer() -> RowTyper:
    return RowTyper([METRICS[INTEGER], METRICS[NUMBER], METRICS[TEXT]], ["ad_id", "stat_time_day"])


def _same(left: Any, right: Any) -> bool:
    """Equal, with the type: 1 and 1.0 are different records."""
    if isinstance(left, float) and isinstance(right, float) and math.isnan(left):
        return math.isnan(right)
    return type(left) is type(right) and left == right


@settings(max_examples=400, deadline=None)
@given(st.fixed_dictionaries({}, optional=dict.fromkeys(CONVERT, VALUES)))
def test_the_plan_types_every_value_as_the_converters_do(metrics: dict[str, Any]) -> None:
    record = _typer().record("1", {"dimensions": {"ad_id": "9"}, "metrics": metrics}, "UTC")
    for name, convert in CONVERT.items():
        assert _same(record[name], convert(metrics.get(name))), (name, metrics)


def test_tiktok_s_usual_values() -> None:
    row = {
        "dimensions": {"ad_id": "9", "stat_time_day": "2026-01-02 00:00:00"},
        "metrics": {INTEGER: "5830", NUMBER: "14.68", TEXT: "-", "not_asked_for": "1"},
    }
    assert _typer().record("1", row, "UTC") == {
        "advertiser_id": "1",
        "ad_id": "9",
        "stat_time_day": "2026-01-02 00:00:00",
        INTEGER: 5830,
        NUMBER: 14.68,
        TEXT: None,
    }
    dashes = {"dimensions": {"ad_id": "9"}, "metrics": dict.fromkeys(CONVERT, "-")}
    assert [_typer().record("1", dashes, "UTC")[name] for name in CONVERT] == [None] * 3


def test_a_non_finite_decimal_is_null_and_the_row_s_other_values_stay() -> None:
    row = {"dimensions": {}, "metrics": {INTEGER: "3", NUMBER: "nan", TEXT: "x"}}
    record = _typer().record("1", row, "UTC")
    assert (record[INTEGER], record[NUMBER], record[TEXT]) == (3, None, "x")
