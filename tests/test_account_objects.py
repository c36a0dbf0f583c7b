"""`conform`: a TikTok answer row in its schema's shape, nested values included."""

from __future__ import annotations

from singer_sdk import typing as th

from tap_tiktok_ads.conform import conform

SCHEMA = th.PropertiesList(
    th.Property("pixel_id", th.StringType),
    th.Property("width", th.IntegerType),
    th.Property("duration", th.NumberType),
    th.Property("create_time", th.DateTimeType),
    th.Property("ids", th.ArrayType(th.StringType)),
    th.Property(
        "owner",
        th.ObjectType(th.Property("bc_id", th.StringType), th.Property("since", th.DateTimeType)),
    ),
    th.Property("flag", th.BooleanType),
).to_dict()


def test_ids_numbers_and_times_take_their_schema_types_at_every_level() -> None:
    row = {
        "pixel_id": 7123456789012345678,
        "width": "720",
        "duration": "5.312",
        "create_time": "2020-11-16T08:19:57Z",
        "ids": [6252001, "7"],
        "owner": {"bc_id": 71, "since": "2021-06-25 11:37:32", "extra": 1},
        "flag": False,
        "unknown": {"kept": True},
    }
    assert conform(row, SCHEMA) == {
        "pixel_id": "7123456789012345678",
        "width": 720,
        "duration": 5.312,
        "create_time": "2020-11-16T08:19:57+00:00",
        "ids": ["6252001", "7"],
        "owner": {"bc_id": "71", "since": "2021-06-25T11:37:32+00:00", "extra": 1},
        "flag": False,
        "unknown": {"kept": True},
    }


def test_epoch_times_in_seconds_or_milliseconds_and_missing_values() -> None:
    times = [conform(v, SCHEMA["properties"]["create_time"]) for v in (1581679723600, 1581679723)]
    assert times == ["2020-02-14T11:28:43.600000+00:00", "2020-02-14T11:28:43+00:00"]
    assert conform("-", SCHEMA["properties"]["width"]) is None
    assert conform(None, SCHEMA["properties"]["owner"]) is None
    assert conform("not a time", SCHEMA["properties"]["create_time"]) is None
