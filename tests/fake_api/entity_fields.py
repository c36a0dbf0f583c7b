"""The documented response fields of the entity endpoints: the fake's own transcription.

`reference/entity_fields/<endpoint>.csv` lists, per endpoint, every field of the `list` objects
with the reference's data type and its Doc ID (campaign/get/ 1739315828649986, adgroup/get/
1739314558673922, advertiser/info/ 1739593083610113; ad/get/ from bububa model/ad/ad.go, its
page 1735735588640770 not being readable). TikTok returns every field by default, null or
empty where unset (the examples of Docs 1739315828649986 and 1739314558673922), so the fake
completes its records with them.
"""

from __future__ import annotations

import csv
from functools import cache
from pathlib import Path
from typing import Any

_FOLDER = Path(__file__).parent / "reference" / "entity_fields"
# A field TikTok added after the transcription: the fake sends it on some entities, as TikTok
# does with new fields (inferred), so that a client's handling of unknown fields is exercised.
UNDOCUMENTED_FIELD = "field_added_after_transcription"


@cache
def top_level_fields(endpoint: str) -> tuple[tuple[str, str], ...]:
    """(name, data type) of the endpoint's top-level fields, in the reference's order."""
    with (_FOLDER / f"{endpoint}.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    return tuple((row["field"], row["type"]) for row in rows if "." not in row["field"])


def _unset(data_type: str) -> Any:
    """What TikTok sends for an unset field of this type."""
    if data_type.endswith("[]"):
        return []
    return {"boolean": False, "object": {}}.get(data_type)


def complete(endpoint: str, record: dict[str, Any]) -> dict[str, Any]:
    """The record with every documented field it lacks, unset."""
    missing = {
        name: _unset(data_type)
        for name, data_type in top_level_fields(endpoint)
        if name not in record
    }
    return {**record, **missing}
