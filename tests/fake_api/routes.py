"""The route table: API path -> handler. Adding an endpoint is one `register` call.

Handler modules call `register` at import time; `server.py` imports them. A handler takes
an `ApiRequest` and returns the envelope's `data` object, or raises `ApiError`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from tests.fake_api.request import ApiRequest

API_PREFIX = "/open_api/v1.3/"


@dataclass(frozen=True)
class RawAnswer:
    """An answer that is not TikTok's JSON envelope (a CSV file stream), sent in chunks."""

    content_type: str
    chunks: Iterable[bytes]


Handler = Callable[[ApiRequest], "dict[str, Any] | RawAnswer"]


@dataclass(frozen=True)
class Route:
    """A handler and how to call it."""

    handler: Handler
    auth: bool = True  # require a known Access-Token header (reference 1.2)
    methods: tuple[str, ...] = ("GET",)


ROUTES: dict[str, Route] = {}


def normalize_path(path: str) -> str:
    """`/open_api/v1.3/report/integrated/get/` and `report/integrated/get/` name one route."""
    path = path.split("?", 1)[0]
    path = path.removeprefix(API_PREFIX)
    return path.lstrip("/")


def register(
    path: str, handler: Handler, *, auth: bool = True, methods: tuple[str, ...] = ("GET",)
) -> Handler:
    """Serve `handler` at `path` (relative to /open_api/v1.3/, trailing slash included)."""
    ROUTES[normalize_path(path)] = Route(handler, auth, methods)
    return handler
