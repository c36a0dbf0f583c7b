"""The file of an asynchronous report task, read back into the rows the sync report returns.

`report/task/download/` sends a CSV (Doc 1740302808815618): a title row, then one line per
row. With `enable_report_title_translation: false` the titles are the field names (Doc
1740302766489602). The values are read as the text the sync answer carries, and handed to
the same `RowTyper`, so both paths type alike. One difference is TikTok's known issue:
`country_code` comes back as the country's name (`United States` for `US`), mapped back to
its ISO 3166-1 code here (`data/country_names.csv`).
"""

from __future__ import annotations

import csv
import functools
import io
from importlib import resources
from typing import IO, TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Iterator

COUNTRY_DIMENSION = "country_code"


class ReportFileError(ValueError):
    """The task's file is not what was asked for; the range is read by sync requests."""


@functools.cache
def _country_codes() -> dict[str, str]:
    """Country name (case-folded) -> ISO 3166-1 alpha-2 code, and each code to itself."""
    text = resources.files("tap_tiktok_ads").joinpath("data", "country_names.csv").read_text()
    lines = (line for line in io.StringIO(text) if not line.startswith("#"))
    codes: dict[str, str] = {}
    for row in csv.DictReader(lines):
        codes[row["name"].casefold()] = row["code"]
        codes[row["code"].casefold()] = row["code"]
    return codes


def country_code(value: str) -> str | None:
    """The ISO code of a country as the async file names it (or of a code); None if unknown."""
    return _country_codes().get(value.strip().casefold())


def _text_file(binary: IO[bytes]) -> io.TextIOWrapper:
    """The downloaded bytes as text; a byte-order mark is skipped (spreadsheet exports)."""
    binary.seek(0)
    return io.TextIOWrapper(binary, encoding="utf-8-sig", newline="")


def _positions(titles: list[str], wanted: list[str]) -> list[int]:
    """The column of each wanted field, or the error naming those missing."""
    index = {title.strip(): position for position, title in enumerate(titles)}
    missing = [name for name in wanted if name not in index]
    if missing:
        msg = (
            f"the task's file lacks the columns {missing} (its titles: {titles[:12]}); "
            "titles are expected untranslated"
        )
        raise ReportFileError(msg)
    return [index[name] for name in wanted]


def check_file(binary: IO[bytes], dimensions: list[str], metrics: list[str]) -> None:
    """Fail before any row is emitted if the file does not read back into rows.

    Its titles must name every field asked for, every line must have as many fields, and
    every country name must have a known code: a row with a wrong key must never reach the
    target. One pass over the file on disk costs far less than reading the range again.
    """
    text = _text_file(binary)
    try:
        reader = csv.reader(text)
        titles = next(reader, None)
        if titles is None:
            msg = "the task's file is empty (not even a title row)"
            raise ReportFileError(msg)
        _positions(titles, [*dimensions, *metrics])
        country = (
            _positions(titles, [COUNTRY_DIMENSION])[0] if COUNTRY_DIMENSION in dimensions else None
        )
        for row in reader:
            if not row:
                continue
            if len(row) != len(titles):
                msg = f"a line of the task's file has {len(row)} fields, its titles {len(titles)}"
                raise ReportFileError(msg)
            if country is not None and country_code(row[country]) is None:
                msg = f"the country {row[country]!r} in the task's file has no known ISO code"
                raise ReportFileError(msg)
    finally:
        text.detach()


def report_rows(
    binary: IO[bytes], dimensions: list[str], metrics: list[str]
) -> Iterator[dict[str, Any]]:
    """Rows shaped like the sync answer's (`{"dimensions": {...}, "metrics": {...}}`).

    Read line by line from the file on disk, so memory stays flat however large it is; the
    file passed `check_file` first.
    """
    text = _text_file(binary)
    try:
        reader = csv.reader(text)
        titles = next(reader, [])
        dimension_columns = list(zip(dimensions, _positions(titles, dimensions), strict=True))
        metric_columns = list(zip(metrics, _positions(titles, metrics), strict=True))
        for row in reader:
            if not row:
                continue
            row_dimensions = {name: row[column] for name, column in dimension_columns}
            if COUNTRY_DIMENSION in row_dimensions:
                name = row_dimensions[COUNTRY_DIMENSION]
                row_dimensions[COUNTRY_DIMENSION] = country_code(name) or name
            yield {
                "dimensions": row_dimensions,
                "metrics": {name: row[column] for name, column in metric_columns},
            }
    finally:
        text.detach()
