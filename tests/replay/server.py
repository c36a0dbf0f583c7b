"""A replay server: TikTok's recorded answers served over real HTTP on 127.0.0.1.

Each path answers with a recorded body from `fixtures/` (SOURCES.md says where each one comes
from). A path may hold several answers, told apart by query parameters, e.g. `page=2` or a
`cursor`, so a tap that pages gets the follow-up page that was recorded. A file answer (the CSV
stream of `report/task/download/`) is served as `text/csv`. The server knows
nothing about the tap and never imports it; it only answers and keeps what was asked.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlsplit

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence
    from types import TracebackType

    from typing_extensions import Self

FIXTURES = Path(__file__).parent / "fixtures"
API_PREFIX = "/open_api/v1.3"


def fixture(name: str) -> dict[str, Any]:
    """A recorded answer, by its path under `fixtures/` without `.json`."""
    return json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))


def csv_fixture(name: str) -> str:
    """A file answer, by its path under `fixtures/` without `.csv`."""
    return (FIXTURES / f"{name}.csv").read_text(encoding="utf-8")


@dataclass(frozen=True)
class Reply:
    """A recorded body, given when every parameter in `when` has that value in the query.

    A JSON envelope, or the text of a CSV file.
    """

    body: dict[str, Any] | str
    when: Mapping[str, str] = field(default_factory=dict)


def nothing_listed(page_size: int, when: Mapping[str, str] | None = None) -> Reply:
    """A list endpoint's answer with no row: TikTok's envelope, page 1 of none (not recorded).

    What TikTok can only answer where the recorded accounts had nothing to list (a TopView
    pass, a store without campaigns of one type); `page_size` is the one the tap asks for.
    """
    page_info = {"page": 1, "page_size": page_size, "total_number": 0, "total_page": 0}
    body = {"code": 0, "message": "OK", "data": {"list": [], "page_info": page_info}}
    return Reply(body, when or {})


@dataclass(frozen=True)
class Request:
    """One request as the server received it."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes

    def json_param(self, name: str) -> Any:
        """A query parameter TikTok takes as JSON text (arrays and objects)."""
        return json.loads(self.query[name])

    def json_body(self) -> Any:
        """The body of a POST, decoded."""
        return json.loads(self.body)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def _serve(self, method: str) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        url = urlsplit(self.path)
        path = url.path.removeprefix(API_PREFIX)
        request = Request(method, path, dict(parse_qsl(url.query)), dict(self.headers), body)
        status, answer = self.server.replay.answer(request)
        is_file = isinstance(answer, str)
        payload = answer.encode() if isinstance(answer, str) else json.dumps(answer).encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/csv" if is_file else "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def do_GET(self) -> None:
        self._serve("GET")

    def do_POST(self) -> None:
        self._serve("POST")

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        """Quiet: tests read `ReplayServer.requests`."""


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    replay: ReplayServer


class ReplayServer:
    """Serves recorded answers by path; a path it has no answer for gets HTTP 404."""

    def __init__(self, routes: Mapping[str, Reply | Sequence[Reply]]) -> None:
        """`routes` maps an API path (e.g. `/campaign/get/`) to its recorded answers."""
        self._routes = {
            path: [replies] if isinstance(replies, Reply) else list(replies)
            for path, replies in routes.items()
        }
        self.requests: list[Request] = []
        self._lock = threading.Lock()
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.replay = self
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    @property
    def base_url(self) -> str:
        """The `api_base_url` to give the tap."""
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}{API_PREFIX}"

    def answer(self, request: Request) -> tuple[int, dict[str, Any] | str]:
        """The first recorded answer whose `when` matches the request."""
        with self._lock:
            self.requests.append(request)
        for reply in self._routes.get(request.path, []):
            if all(request.query.get(key) == value for key, value in reply.when.items()):
                return 200, reply.body
        return 404, {"message": f"no recorded answer for {request.method} {request.path}"}

    def asked(self, path: str) -> list[Request]:
        """The requests made to one path, in order."""
        return [request for request in self.requests if request.path == path]

    def __enter__(self) -> Self:
        """Start serving."""
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        """Stop serving."""
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()
