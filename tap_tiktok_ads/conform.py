"""Values of TikTok's object answers (entities, assets, Business Centers) in their schema's types.

One schema-driven walk for every non-report stream. TikTok differs from its reference in known
ways: some ids arrive as numbers (v1.2 sent them so, reference 1.4), some numbers as text (with
`"-"` for none), times as text or epoch seconds or milliseconds, and now and then a list or an
object where text is declared. Objects and arrays are walked so nested values are typed too;
undeclared members stay as sent.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from tap_tiktok_ads import dates
from tap_tiktok_ads.records import to_integer, to_number

# Epoch values above this are milliseconds (1581679723600 in Doc 1740858697598978), else seconds.
_EPOCH_MILLISECONDS = 10**11


def moment(value: Any) -> str | None:  # noqa: ANN401
    """A TikTok time (text or epoch seconds/milliseconds) as RFC 3339 UTC; None when unknown."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        seconds = value / 1000 if value > _EPOCH_MILLISECONDS else value
        return dt.datetime.fromtimestamp(seconds, tz=dt.timezone.utc).isoformat()
    if isinstance(value, str) and value.strip().isdigit():
        return moment(int(value))
    parsed = dates.parse_tiktok_time(value)
    return parsed.astimezone(dt.timezone.utc).isoformat() if parsed else None


def conform(value: Any, schema: dict[str, Any]) -> Any:  # noqa: ANN401 - JSON in, JSON out
    """A value in its schema's type; anything else is left for the schema's validation."""
    if value is None:
        return None
    kinds = schema.get("type") or []
    kinds = [kinds] if isinstance(kinds, str) else kinds
    if schema.get("format") == "date-time":
        return moment(value)
    if "array" in kinds and isinstance(value, list):
        return [conform(item, schema.get("items", {})) for item in value]
    if "object" in kinds and isinstance(value, dict):
        properties = schema.get("properties", {})
        return {
            name: conform(member, properties[name]) if name in properties else member
            for name, member in value.items()
        }
    return _scalar(value, kinds)


def _scalar(value: Any, kinds: list[str]) -> Any:  # noqa: ANN401 - JSON in, JSON out
    if "string" in kinds and not isinstance(value, str):
        if isinstance(value, (list, dict)):
            return json.dumps(value, sort_keys=True)  # kept as its JSON text rather than lost
        if isinstance(value, bool):
            return "true" if value else "false"
        return str(value)
    if isinstance(value, str) and "string" not in kinds:
        # Numbers TikTok sends as text ("720"): typed as the schema says; "-" and blanks null.
        if "integer" in kinds:
            return to_integer(value)
        if "number" in kinds:
            return to_number(value)
    return value
