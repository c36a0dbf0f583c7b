"""Fields TikTok sends that a stream's schema does not declare: kept, and said once.

TikTok adds response fields without notice, and its reference lags behind what it sends. A
record must not lose them: every object stream (entities, advertisers, the creative library,
measurement, Business Centers) declares an `extra_fields` object, where a top-level field its
schema lacks is kept as sent; an unknown member of a declared object stays in place (the
object schemas allow additional properties, so the SDK keeps it). Each such field is logged
once per stream and run, naming it, so that the reference (and the schema) can get a new row.
"""

from __future__ import annotations

import copy
import threading
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import logging

EXTRA_FIELDS = "extra_fields"  # where top-level fields the schema does not declare are kept
EXTRA_FIELDS_SCHEMA: dict[str, Any] = {
    "type": ["object", "null"],
    "additionalProperties": True,
    "description": "Fields TikTok sent that the tap's schema does not declare, as sent.",
}


def with_extra_fields(schema: dict[str, Any]) -> dict[str, Any]:
    """A copy of a stream schema that keeps what it does not declare.

    Nested objects accept additional properties (the SDK would drop undeclared members of an
    object that does not), and the top level gets the `extra_fields` object.
    """
    opened = copy.deepcopy(schema)
    for prop in opened["properties"].values():
        _open_objects(prop)
    opened["properties"][EXTRA_FIELDS] = dict(EXTRA_FIELDS_SCHEMA)
    return opened


def _open_objects(schema: dict[str, Any]) -> None:
    if "properties" in schema:
        schema["additionalProperties"] = True
        for prop in schema["properties"].values():
            _open_objects(prop)
    if isinstance(schema.get("items"), dict):
        _open_objects(schema["items"])


def undeclared_members(value: Any, schema: dict[str, Any], path: str = "") -> list[str]:  # noqa: ANN401
    """The dotted paths of object members, at any depth below the top, the schema lacks."""
    found: list[str] = []
    if isinstance(value, list):
        for item in value:
            found += undeclared_members(item, schema.get("items", {}), path)
    elif isinstance(value, dict) and "properties" in schema:
        for name, member in value.items():
            member_path = f"{path}.{name}" if path else name
            if name not in schema["properties"]:
                found.append(member_path)
            else:
                found += undeclared_members(member, schema["properties"][name], member_path)
    return found


class ExtraFields:
    """One stream's keeper of undeclared fields, and the ones it already logged this run."""

    def __init__(self, stream: str, schema: dict[str, Any], logger: logging.Logger) -> None:
        """Keep fields `schema` (built by `with_extra_fields`) does not declare."""
        self.stream = stream
        self.properties: dict[str, Any] = schema["properties"]
        self.logger = logger
        self._warned: set[str] = set()
        self._lock = threading.Lock()

    def keep(self, record: dict[str, Any]) -> dict[str, Any]:
        """The record, its undeclared top-level fields moved into `extra_fields`.

        An undeclared member of a declared object stays where it is; both are logged once.
        """
        extra = {
            name: record.pop(name)
            for name in list(record)
            if name not in self.properties or name == EXTRA_FIELDS
        }
        nested = [
            path
            for name, value in record.items()
            for path in undeclared_members(value, self.properties[name], name)
        ]
        self.warn([*extra, *nested])
        if extra:
            record[EXTRA_FIELDS] = extra
        return record

    def warn(self, paths: list[str]) -> None:
        """Log each field the schema lacks once per run: the reference may need a new row."""
        with self._lock:
            new = [path for path in dict.fromkeys(paths) if path not in self._warned]
            self._warned.update(new)
        for path in new:
            where = f"in {EXTRA_FIELDS}" if "." not in path else "in place"
            self.logger.warning(
                "%s: TikTok sent the field %r, which the schema does not declare; "
                "it is kept as sent, %s.",
                self.stream,
                path,
                where,
            )
