"""Typing of TikTok report rows: string metric values become integers, numbers or null.

TikTok sends every metric as a string and `"-"` where a value does not exist (reference 2.9).
The converters are chosen once per stream, so the per-row work is one dict pass.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

    from tap_tiktok_ads.metrics import Metric

_MISSING = frozenset({"-", "", "N/A", "null", "None"})


def to_integer(value: Any) -> int | None:  # noqa: ANN401, PLR0911 - one return per input shape
    """An integer metric ("5830", "5,830", 5830.0); `"-"` and blanks are null."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return round(value)
    text = str(value).strip()
    if text in _MISSING:
        return None
    try:
        return int(text)
    except ValueError:
        pass
    try:
        return round(float(text.replace(",", "").rstrip("%")))
    except ValueError:
        return None


def to_number(value: Any) -> float | None:  # noqa: ANN401
    """A decimal metric ("14.68", "1.18%"); `"-"` and blanks are null."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    text = str(value).strip()
    if text in _MISSING:
        return None
    try:
        return float(text.replace(",", "").rstrip("%"))
    except ValueError:
        return None


def to_text(value: Any) -> str | None:  # noqa: ANN401
    """A text attribute; `"-"` is null."""
    if value is None:
        return None
    text = str(value)
    return None if text == "-" else text


_CONVERTERS: dict[str, Callable[[Any], Any]] = {
    "integer": to_integer,
    "number": to_number,
    "string": to_text,
}


class RowTyper:
    """Turns `{"dimensions": {...}, "metrics": {...}}` rows into flat typed records."""

    def __init__(self, metrics: Iterable[Metric]) -> None:
        """Pick one converter per selected metric; other metrics in a row are dropped."""
        self._converters = {metric.name: _CONVERTERS[metric.json_type] for metric in metrics}

    def record(self, advertiser_id: str, row: dict[str, Any]) -> dict[str, Any]:
        """One record: advertiser, dimensions as TikTok sent them, typed metrics."""
        record: dict[str, Any] = {"advertiser_id": advertiser_id}
        for name, value in (row.get("dimensions") or {}).items():
            record[name] = None if value is None else str(value)
        metrics = row.get("metrics") or {}
        for name, convert in self._converters.items():
            record[name] = convert(metrics.get(name))
        return record
