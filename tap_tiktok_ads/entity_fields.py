"""The documented response fields of the entity endpoints, read from `data/entity_fields/`.

Domain data, like `metrics.py`: one CSV per endpoint (`campaign_get.csv`, `adgroup_get.csv`,
`ad_get.csv`, `advertiser_info.csv`), one row per field of the `list` objects TikTok documents,
with the reference's data type and the source (Doc ID). A nested field is named by its path
(`search_keywords.reject_info.reject_reasons.reason`); its parent row says `object` or
`object[]`. `datetime` marks TikTok's `YYYY-MM-DD HH:MM:SS` UTC times (epoch seconds in
`advertiser/info/`), emitted as RFC 3339.

The stream schemas are generated from these rows, so a field TikTok adds is one CSV row.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from importlib import resources
from typing import TYPE_CHECKING, Any

from tap_tiktok_ads.extra_fields import with_extra_fields

if TYPE_CHECKING:
    from collections.abc import Iterator

# The reference's data types -> JSON schema types (`float` and `number` are both decimals).
_SCALARS: dict[str, dict[str, Any]] = {
    "string": {"type": "string"},
    "datetime": {"type": "string", "format": "date-time"},
    "boolean": {"type": "boolean"},
    "integer": {"type": "integer"},
    "number": {"type": "number"},
    "float": {"type": "number"},
}


@dataclass(frozen=True)
class EntityField:
    """One documented response field."""

    path: tuple[str, ...]
    data_type: str  # as the reference writes it: string, float, string[], object[], ...
    source: str
    description: str = ""  # for the schema, in files with a `description` column

    @property
    def name(self) -> str:
        """The field's own name (the last part of its path)."""
        return self.path[-1]


class UnknownFieldTypeError(ValueError):
    """A CSV row names a data type this module does not map (a transcription mistake)."""


def load_fields(endpoint: str, folder: str = "entity_fields") -> list[EntityField]:
    """The rows of `data/<folder>/<endpoint>.csv`, in file order."""
    path = resources.files("tap_tiktok_ads").joinpath("data", folder, f"{endpoint}.csv")
    rows = csv.DictReader(path.read_text("utf-8").splitlines())
    return [
        EntityField(
            tuple(row["field"].split(".")),
            row["type"].strip(),
            row["source"],
            row.get("description") or "",
        )
        for row in rows
    ]


def field_tree(
    fields: list[EntityField], depth: int = 0
) -> Iterator[tuple[EntityField, list[EntityField]]]:
    """Each field at one nesting depth, with its descendants (an object's members)."""
    for field in fields:
        if len(field.path) == depth + 1:
            yield field, [f for f in fields if f.path[: depth + 1] == field.path and f is not field]


def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    kind = schema["type"]
    return {**schema, "type": [kind, "null"] if isinstance(kind, str) else kind}


def _field_schema(field: EntityField, children: list[EntityField]) -> dict[str, Any]:
    """A field's JSON schema; objects take their documented children as properties."""
    data_type = field.data_type
    is_list = data_type.endswith("[]")
    base = data_type.removesuffix("[]")
    if base == "object":
        item: dict[str, Any] = {"type": "object", "additionalProperties": True}
        if children:
            item["properties"] = _properties(children, depth=len(field.path))
    elif base in _SCALARS:
        item = dict(_SCALARS[base])
    else:
        message = f"{'.'.join(field.path)}: unknown data type {data_type!r} ({field.source})"
        raise UnknownFieldTypeError(message)
    if is_list:
        return {"type": ["array", "null"], "items": item}
    return _nullable(item)


def _properties(fields: list[EntityField], depth: int = 0) -> dict[str, Any]:
    """The properties at one nesting depth, each with its descendants."""
    return {
        field.name: _field_schema(field, children) for field, children in field_tree(fields, depth)
    }


def entity_schema(endpoint: str, required: tuple[str, ...] = ()) -> dict[str, Any]:
    """The stream schema of an endpoint: every documented field, plus `extra_fields`."""
    properties = _properties(load_fields(endpoint))
    for name in required:
        kind = properties[name]["type"]
        properties[name] = {**properties[name], "type": [t for t in kind if t != "null"]}
    schema = {"type": "object", "properties": properties, "required": list(required)}
    return with_extra_fields(schema)
