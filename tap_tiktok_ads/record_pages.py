"""A page of records: dicts, or msgspec structures typed by the page decoder (records.py).

A report page msgspec decoded straight into structures is written as it is, one structure per
record with the schema's keys in their order (a structure is encoded from its fields in C, no
dict to build or hash). Whatever needs a dict (the SDK's own loop with stream maps or `--test`,
deselected emitted properties, a partition key a structure lacks) converts the page first, with
the same keys in the same order.
"""

from __future__ import annotations

from typing import Any, TypeAlias, cast

import msgspec

Records: TypeAlias = "list[dict[str, Any]] | list[msgspec.Struct]"


def is_struct_page(records: Records) -> bool:
    """Whether the page holds structures (a page is one or the other, never both)."""
    return bool(records) and isinstance(records[0], msgspec.Struct)


def as_dicts(records: Records) -> list[dict[str, Any]]:
    """The page as dicts, keys in the structures' field order (the schema's)."""
    if not is_struct_page(records):
        return records  # type: ignore[return-value] # dicts already
    asdict = msgspec.structs.asdict
    return [asdict(record) for record in cast("list[msgspec.Struct]", records)]


def has_fields(records: Records, names: list[str] | tuple[str, ...]) -> bool:
    """Whether a structure page's records all have these fields (dict pages: True)."""
    if not is_struct_page(records):
        return True
    fields = cast("msgspec.Struct", records[0]).__struct_fields__
    return all(name in fields for name in names)


def values_of(records: Records, name: str) -> list[Any]:
    """One property of every record (None where a record lacks it)."""
    if is_struct_page(records):
        return [getattr(record, name, None) for record in records]
    return [record.get(name) for record in cast("list[dict[str, Any]]", records)]
