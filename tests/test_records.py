"""The one-pass typing plan gives exactly what the per-value converters give, for any value.

The expected values come from `to_integer`, `to_number` and `to_text`, applied one value at a
time, and from literal figures; the plan is the code under test.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import msgspec
from hypothesis import event, given, settings
from hypothesis import strategies as st

from tap_tiktok_ads.metrics import METRICS
from tap_tiktok_ads.record_pages import as_dicts, is_struct_page
from tap_tiktok_ads.records import RowTyper, to_integer, to_number, to_text
from tap_tiktok_ads.writer import encoded_lines

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


DAY = "2026-01-02 00:00:00"
# Mostly what TikTok sends, so that many pages are typed by msgspec; the rest as above.
USUAL = st.sampled_from(["-", "0", "5830", "14.68", "-0.5", "a-b", None])
PAGE_VALUES = st.one_of(USUAL, USUAL, USUAL, VALUES)


def _dims(ad_id: str = "9") -> dict[str, str]:
    return {"ad_id": ad_id, "stat_time_day": DAY}


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.fixed_dictionaries({}, optional=dict.fromkeys(CONVERT, PAGE_VALUES)),
            st.sampled_from(["9", "9", "9", "-", "a-b"]),
        ),
        min_size=1,
        max_size=4,
    ),
    st.sampled_from([None, "stat_time_day"]),
)
def test_a_page_msgspec_types_gives_the_records_of_the_per_row_path(
    rows: list[tuple[dict[str, Any], str]], time_dimension: str | None
) -> None:
    """Where msgspec types a page, its records are those of the generic decoding + the plan.

    Pages of several rows with `"-"`, decimals, integers, separators, percents, numbers and
    nulls; whatever msgspec types (structures) gives the per-row path's records, same keys
    in the same order, and the same RECORD lines.
    """
    typer = RowTyper(
        [METRICS[INTEGER], METRICS[NUMBER], METRICS[TEXT]],
        ["ad_id", "stat_time_day"],
        time_dimension,
    )
    content = _page([{"dimensions": _dims(ad_id), "metrics": m} for m, ad_id in rows])
    generic = msgspec.json.decode(content)["data"]["list"]
    expected = [typer.record("1", row, "UTC") for row in generic]
    body = typer.page_decoder.decode(content)
    event(f"typed by msgspec: {body is not None}")
    if body is None:
        return
    records = typer.records("1", body["data"]["list"], "UTC")
    assert is_struct_page(records)
    typed = as_dicts(records)
    assert len(typed) == len(expected)
    for record, wanted in zip(typed, expected, strict=True):
        assert list(record) == list(wanted)
        for name, value in wanted.items():
            assert _same(record[name], value), (name, rows)
    assert _lines(records) == _lines(expected)


def _lines(records: Any) -> bytes:
    extracted = dt.datetime(2026, 1, 2, 3, 4, 5, 678, tzinfo=dt.timezone.utc)
    return encoded_lines("s", records, None, extracted) + encoded_lines("s", records, 7, extracted)


def test_a_page_read_at_another_level_or_mixed_pages_go_the_per_row_way() -> None:
    """Rows whose dimensions are not the report's exactly (ID batches summed up) stay dicts.

    A page that mixes structures with such rows gives dicts, each as the per-row path types it.
    """
    typer = _typer()
    metrics = {INTEGER: "5", NUMBER: "1.5", TEXT: "a"}
    other = {"dimensions": {"adgroup_id": "3", "stat_time_day": DAY}, "metrics": metrics}
    assert typer.page_decoder.decode(_page([other])) is None
    body = typer.page_decoder.decode(_page([{"dimensions": _dims(), "metrics": metrics}]))
    assert body is not None
    [struct_row] = body["data"]["list"]
    records = typer.records("1", [struct_row, other], "UTC")
    assert not is_struct_page(records)
    assert records == [
        {"advertiser_id": "1", "ad_id": "9", "stat_time_day": DAY, INTEGER: 5, NUMBER: 1.5,
         TEXT: "a"},
        {"advertiser_id": "1", "ad_id": None, "stat_time_day": DAY, INTEGER: 5, NUMBER: 1.5,
         TEXT: "a"},
    ]  # fmt: skip
    period = typer.records("1", [struct_row], "UTC", {"period_start": "2026-01-01"})
    assert period == [{**records[0], "period_start": "2026-01-01"}]


def test_tiktok_s_usual_pages_are_typed_by_msgspec() -> None:
    typer = _typer()
    rows = [
        {"dimensions": _dims("9"), "metrics": {INTEGER: "5830", NUMBER: "14.68", TEXT: "a"}},
        {"dimensions": _dims("8"), "metrics": {INTEGER: "-", NUMBER: "-", TEXT: "-"}},
        {"dimensions": _dims("7"), "metrics": {INTEGER: "0", NUMBER: "0.00"}},
    ]
    body = typer.page_decoder.decode(_page(rows))
    assert body is not None
    assert is_struct_page(typer.records("1", body["data"]["list"], "UTC"))
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
        page = _page([{"dimensions": _dims(), "metrics": {NUMBER: text}}])
        assert typer.page_decoder.decode(page) is None
        negative = to_number(text)
        assert negative is not None
        assert math.copysign(1.0, negative) == -1.0
    for text in ("-0.0", "-0.5"):
        page = _page([{"dimensions": _dims(), "metrics": {NUMBER: text}}])
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
