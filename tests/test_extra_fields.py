"""The one keeper of fields a schema lacks: where they go, and that each is said once a run."""

from __future__ import annotations

import copy
import logging

import pytest
from singer_sdk import typing as th

from tap_tiktok_ads.extra_fields import EXTRA_FIELDS, ExtraFields, with_extra_fields

SCHEMA = th.PropertiesList(
    th.Property("id", th.StringType),
    th.Property("info", th.ObjectType(th.Property("name", th.StringType))),
    th.Property("items", th.ArrayType(th.ObjectType(th.Property("code", th.StringType)))),
).to_dict()


def test_the_schema_keeps_what_it_does_not_declare() -> None:
    before = copy.deepcopy(SCHEMA)
    opened = with_extra_fields(SCHEMA)
    assert before == SCHEMA  # a copy: the stream's own schema is not changed
    properties = opened["properties"]
    assert properties[EXTRA_FIELDS]["type"] == ["object", "null"]
    assert properties["info"]["additionalProperties"] is True
    assert properties["items"]["items"]["additionalProperties"] is True
    assert "additionalProperties" not in properties["id"]


def test_unknown_fields_are_kept_and_each_is_logged_once(caplog: pytest.LogCaptureFixture) -> None:
    keeper = ExtraFields("things", with_extra_fields(SCHEMA), logging.getLogger("things"))
    rows = [
        {
            "id": "1",
            "new": 1,
            "info": {"name": "a", "added": True},
            "items": [{"code": "x", "more": 2}],
        },
        {"id": "2", "new": 2, "extra_fields": {"as": "sent"}},
    ]
    with caplog.at_level(logging.WARNING):
        kept = [keeper.keep(dict(row)) for row in rows]
    assert kept == [
        {
            "id": "1",
            "info": {"name": "a", "added": True},  # in place
            "items": [{"code": "x", "more": 2}],
            EXTRA_FIELDS: {"new": 1},
        },
        {"id": "2", EXTRA_FIELDS: {"new": 2, "extra_fields": {"as": "sent"}}},
    ]
    said = [m.split("'")[1] for m in caplog.messages if m.startswith("things: TikTok sent")]
    assert said == ["new", "info.added", "items.more", "extra_fields"]
