"""The fields of the object streams that are not entities: `data/stream_fields/`.

The creative library, measurement, organic, GMV Max store and campaign, and Business Center
streams. Domain data, like `entity_fields`: one CSV per stream (`videos.csv`, `pixels.csv`,
`organic_profile.csv`, ...), one row per property of its records, in order, with its source:
the fields TikTok documents (Doc ID, or the Go SDK's model where the page is not stored) and
the keys the tap adds (`advertiser_id`, `store_id`, `business_id`, ...). The rows use
`entity_fields`' vocabulary (a nested field named by its path, `object` or `object[]`
parents, `datetime`) plus `date` and `string|string[]` (either); a `description` column goes
into the schema. A field TikTok adds is one CSV row.

The schemas are built with the SDK's `singer_sdk.typing`, as these streams' hand-written ones
were, so that the catalog stays the same (the entity schemas differ in small ways, such as
nullable array items).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from singer_sdk import typing as th

from tap_tiktok_ads.entity_fields import UnknownFieldTypeError, field_tree, load_fields
from tap_tiktok_ads.extra_fields import with_extra_fields

if TYPE_CHECKING:
    from tap_tiktok_ads.entity_fields import EntityField

_SCALARS: dict[str, type[th.JSONTypeHelper]] = {
    "string": th.StringType,
    "datetime": th.DateTimeType,
    "date": th.DateType,
    "boolean": th.BooleanType,
    "integer": th.IntegerType,
    "number": th.NumberType,
}
# A string in one model of the field and a list of strings in another: either is kept.
_TEXT_OR_TEXTS = th.CustomType({"type": ["array", "string", "null"], "items": {"type": "string"}})


def stream_fields(stream: str) -> list[EntityField]:
    """The rows of `data/stream_fields/<stream>.csv`, in file order."""
    return load_fields(stream, folder="stream_fields")


def stream_schema(stream: str, required: tuple[str, ...]) -> dict[str, Any]:
    """The stream's schema: its rows as properties (`required` ones never null), `extra_fields`."""
    properties = _properties(stream_fields(stream), required=required)
    return with_extra_fields(th.PropertiesList(*properties).to_dict())


def _properties(
    fields: list[EntityField], depth: int = 0, required: tuple[str, ...] = ()
) -> list[th.Property]:
    return [
        th.Property(
            field.name,
            _field_type(field, children),
            required=field.name in required,
            description=field.description or None,
        )
        for field, children in field_tree(fields, depth)
    ]


def _field_type(
    field: EntityField, children: list[EntityField]
) -> th.JSONTypeHelper | type[th.JSONTypeHelper]:
    """A field's type; objects take their members from the rows below them."""
    if field.data_type == "string|string[]":
        return _TEXT_OR_TEXTS
    base = field.data_type.removesuffix("[]")
    item: th.JSONTypeHelper | type[th.JSONTypeHelper]
    if base == "object":
        item = th.ObjectType(*_properties(children, depth=len(field.path)))
    elif base in _SCALARS:
        item = _SCALARS[base]
    else:
        message = f"{'.'.join(field.path)}: unknown data type {field.data_type!r} ({field.source})"
        raise UnknownFieldTypeError(message)
    return th.ArrayType(item) if field.data_type.endswith("[]") else item
