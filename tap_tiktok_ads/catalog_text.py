"""The catalog `--discover` prints: compact JSON, one line per stream, property and metadata entry.

The SDK prints the catalog with `indent=2`: 6.5 MB in 282,000 lines for the full catalog
(57 streams, report streams of about 820 properties), through simplejson's Python encoder
(0.1 s of CPU). Meltano reads discovery's output line by line (`_stream_redirect` in
`meltano/core/plugin/singer/tap.py`): 0.25 s of its CPU for those lines. It also cannot take
the catalog on one line: its reader stops at a line over 64 KiB (asyncio's default limit,
"Separator is not found, and chunk exceed the limit"), and a report stream alone is about
100 KB. So each stream, each of its schema's properties and each metadata entry gets a line
of its own (35,000 lines of at most a few hundred characters, 3.1 MB), encoded by msgspec.
The JSON is the SDK's catalog, value for value (tests/test_catalog_text.py).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import msgspec

if TYPE_CHECKING:
    from collections.abc import Iterable

# Decimals (schema bounds) as JSON numbers, as the SDK's simplejson(use_decimal=True) writes them.
_encode = msgspec.json.Encoder(decimal_format="number").encode
_NON_ASCII = re.compile(r"[^\x00-\x7f]")
_BEYOND_BMP = 0x10000  # characters from here on are written as a UTF-16 surrogate pair


def catalog_text(catalog: dict[str, Any]) -> str:
    """The catalog as JSON text, one line per stream, property and metadata entry."""
    parts = []
    for key, value in catalog.items():
        if key == "streams" and isinstance(value, list):
            parts.append('"streams":[' + _lines(_stream(entry) for entry in value) + "]")
        else:
            parts.append(f"{_json(key)}:{_json(value)}")
    return _ascii("{" + ",".join(parts) + "}")


def _stream(entry: dict[str, Any]) -> str:
    parts = []
    for key, value in entry.items():
        if key == "schema" and isinstance(value, dict):
            parts.append(f'"schema":{_schema(value)}')
        elif key == "metadata" and isinstance(value, list):
            parts.append('"metadata":[' + _lines(_json(item) for item in value) + "]")
        else:
            parts.append(f"{_json(key)}:{_json(value)}")
    return "{" + ",".join(parts) + "}"


def _schema(schema: dict[str, Any]) -> str:
    parts = []
    for key, value in schema.items():
        if key == "properties" and isinstance(value, dict):
            items = (f"{_json(name)}:{_json(prop)}" for name, prop in value.items())
            parts.append('"properties":{' + _lines(items) + "}")
        else:
            parts.append(f"{_json(key)}:{_json(value)}")
    return "{" + ",".join(parts) + "}"


def _lines(items: Iterable[str]) -> str:
    """Items of a JSON array or object, each on a line of its own."""
    text = ",\n".join(items)
    return "\n" + text if text else ""


def _json(value: object) -> str:
    return _encode(value).decode()


def _ascii(text: str) -> str:
    """Non-ASCII characters escaped, as the SDK's encoder writes them: any stdout takes it."""
    return text if text.isascii() else _NON_ASCII.sub(_escape, text)


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    if code < _BEYOND_BMP:
        return f"\\u{code:04x}"
    code -= _BEYOND_BMP
    return f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}"
