"""Parsed API requests and the error a handler raises to answer with a non-zero code.

TikTok sends arrays and objects as JSON text inside query values (reference 1.3); clients
differ in spacing and some send Python-style single quotes, so the parser tolerates both.
"""

from __future__ import annotations

import ast
import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

if TYPE_CHECKING:
    from email.message import Message

    from tests.fake_api.server import FakeTikTokApi

PARAMETER_ERROR = 40002  # reference 1.7: bad parameter, message gives details


class ApiError(Exception):
    """Raised by handlers; the server answers HTTP 200 with this code and `data: {}`."""

    def __init__(self, code: int, message: str) -> None:
        """Keep the envelope code and message."""
        super().__init__(message)
        self.code = code
        self.message = message


def parse_value(raw: str) -> Any:
    """Decode one query value: JSON arrays/objects (or Python reprs), booleans, else text."""
    text = raw.strip()
    if text in {"true", "false"}:
        return text == "true"
    if text[:1] in {"[", "{"}:
        try:
            return json.loads(text)
        except ValueError:
            try:
                return ast.literal_eval(text)
            except (ValueError, SyntaxError):
                return raw
    return raw


def parse_params(query: str, body: Any) -> dict[str, Any]:
    """Merge the JSON body (if an object) with the query string; the query wins."""
    params: dict[str, Any] = dict(body) if isinstance(body, dict) else {}
    for name, raw in parse_qsl(query, keep_blank_values=True):
        params[name] = parse_value(raw)
    return params


@dataclass
class ApiRequest:
    """What a handler sees: merged parameters, headers, body and the running fake."""

    method: str
    path: str  # relative to /open_api/v1.3/, e.g. "report/integrated/get/"
    params: dict[str, Any]
    headers: Message
    body: Any
    api: FakeTikTokApi
    token: str | None = field(default=None)
    # Headers a handler adds to its answer (the report's `X-Tt-Ads-Throttle`).
    response_headers: dict[str, str] = field(default_factory=dict)
    # time.monotonic() when the request arrived: TikTok counts requests when they arrive.
    arrival: float = 0.0

    def text(self, name: str, *, required: bool = False) -> str | None:
        """A scalar parameter as text (ids may arrive as JSON numbers in a body)."""
        value = self.params.get(name)
        if value is None or value == "":
            if required:
                raise ApiError(PARAMETER_ERROR, f"{name}: Missing data for required field.")
            return None
        if isinstance(value, (list, dict, bool)):
            raise ApiError(PARAMETER_ERROR, f"{name}: Not a valid string.")
        return str(value)

    def integer(self, name: str, default: int) -> int:
        """An integer parameter, or the default when absent."""
        value = self.params.get(name)
        if value is None or value == "":
            return default
        if isinstance(value, bool):
            raise ApiError(PARAMETER_ERROR, f"{name}: Not a valid integer.")
        try:
            return int(value)
        except (TypeError, ValueError):
            raise ApiError(PARAMETER_ERROR, f"{name}: Not a valid integer.") from None

    def flag(self, name: str, *, default: bool = False) -> bool:
        """A boolean parameter sent as `true`/`false`."""
        value = self.params.get(name, default)
        if not isinstance(value, bool):
            raise ApiError(PARAMETER_ERROR, f"{name}: Not a valid boolean.")
        return value

    def text_list(self, name: str, *, required: bool = False) -> list[str] | None:
        """A JSON array parameter of strings (numbers are accepted and turned into text)."""
        value = self.params.get(name)
        if value is None:
            if required:
                raise ApiError(PARAMETER_ERROR, f"{name}: Missing data for required field.")
            return None
        if not isinstance(value, list) or not all(
            isinstance(item, (str, int)) and not isinstance(item, bool) for item in value
        ):
            raise ApiError(PARAMETER_ERROR, f"{name}: Not a valid list of strings.")
        return [str(item) for item in value]

    def require_advertiser(self, advertiser_id: str) -> None:
        """Refuse advertisers the token may not read (reference 2.11: 40001)."""
        if advertiser_id not in self.api.advertisers_for(self.token or ""):
            raise ApiError(
                40001,
                f"No permission to operate advertiser {advertiser_id}, "
                "please check the authorization.",
            )
