"""The one-pass typing plan gives exactly what the per-value converters give, for any value.

The expected values come from `to_integer`, `to_number` and `to_text`, applied one value at a
time, and from literal figures; the plan is the code under test.
"""

from __future__ import annotations

import math
from typing import Any

import msgspec
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


def _page(rows: list[dict[str, Any]]) -> bytes:
    body = {"code": 0, "message": "OK", "data": {"page_info": {"page": 1}, "list": rows}}
    return msgspec.json.encode(body)


@settings(max_examples=400, deadline=None)
@given(
    st.fixed_dictionaries({}, optional=dict.fromkeys(CONVERT, VALUES)),
    st.sampled_from(["9", "-", "a-b"]),
)
def test_a_page_msgspec_types_gives_the_records_of_the_per_row_path(
    metrics: dict[str, Any], ad_id: str
) -> None:
    """Where msgspec types a page, its records are those of the generic decoding + the plan."""
    typer = _typer()
    row = {"dimensions": {"ad_id": ad_id}, "metrics": metrics}
    content = _page([row])
    expected = typer.record("1", msgspec.json.decode(content)["data"]["list"][0], "UTC")
    body = typer.page_decoder.decode(content)
    if body is not None:
        record = typer.record("1", body["data"]["list"][0], "UTC")
        assert record.keys() == expected.keys()
        for name, value in expected.items():
            assert _same(record[name], value), (name, metrics)


def test_tiktok_s_usual_pages_are_typed_by_msgspec() -> None:
    typer = _typer()
    rows = [
        {"dimensions": {"ad_id": "9"}, "metrics": {INTEGER: "5830", NUMBER: "14.68", TEXT: "a"}},
        {"dimensions": {"ad_id": "8"}, "metrics": {INTEGER: "-", NUMBER: "-", TEXT: "-"}},
        {"dimensions": {"ad_id": "7"}, "metrics": {INTEGER: "0", NUMBER: "0.00"}},
    ]
    body = typer.page_decoder.decode(_page(rows))
    assert body is not None
    records = [typer.record("1", row, "UTC") for row in body["data"]["list"]]
    assert [(r[INTEGER], r[NUMBER], r[TEXT]) for r in records] == [
        (5830, 14.68, "a"),
        (None, None, None),
        (0, 0.0, None),
    ]
    assert typer.page_decoder.decode(_page([{**rows[0], "metrics": {INTEGER: "5,830"}}])) is None


def test_a_negative_zero_goes_the_per_row_way_and_stays_negative() -> None:
    """msgspec reads "-0" as 0.0; the page goes the per-row way, which keeps -0.0.

    "-0.0" and "-0.5" msgspec reads as the converters do, so their pages stay typed by it.
    """
    typer = _typer()
    for text in ("-0", "-00"):
        page = _page([{"dimensions": {"ad_id": "9"}, "metrics": {NUMBER: text}}])
        assert typer.page_decoder.decode(page) is None
        negative = to_number(text)
        assert negative is not None
        assert math.copysign(1.0, negative) == -1.0
    for text in ("-0.0", "-0.5"):
        page = _page([{"dimensions": {"ad_id": "9"}, "metrics": {NUMBER: text}}])
        body = typer.page_decoder.decode(page)
        assert body is not None, text
        [row] = body["data"]["list"]
        typed = typer.record("1", row, "UTC")[NUMBER]
        expected = to_number(text)
        assert expected is not None
        assert typed == expected
        assert math.copysign(1.0, typed) == math.copysign(1.0, expected), text


def test_a_typed_record_keeps_the_schema_s_order_and_a_left_out_metric_is_null() -> None:
    typer = RowTyper(
        [METRICS[INTEGER], METRICS[NUMBER], METRICS[TEXT]],
        ["ad_id", "stat_time_day"],
        "stat_time_day",
    )
    row = {
        "dimensions": {"stat_time_day": "2026-01-02 00:00:00", "ad_id": "9"},
        "metrics": {TEXT: "a", INTEGER: "5"},  # another order, and no NUMBER
    }
    body = typer.page_decoder.decode(_page([row]))
    assert body is not None
    [typed] = body["data"]["list"]
    record = typer.record("1", typed, "UTC")
    assert list(record.items()) == [
        ("advertiser_id", "1"),
        ("ad_id", "9"),
        ("stat_time_day", "2026-01-02"),
        (INTEGER, 5),
        (NUMBER, None),
        (TEXT, "a"),
    ]
