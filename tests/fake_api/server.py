"""`FakeTikTokApi`: the fake served over real HTTP on 127.0.0.1, in a background thread.

The server owns the shared state handlers read (data, tokens, clock), the request log,
the faults and the QPS cap. Routes come from handler modules that `register` themselves.
"""

from __future__ import annotations

import itertools
import socket
import struct
import threading
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any

# Importing a handler module registers its routes; add new endpoint modules here.
from tests.fake_api import (  # noqa: F401
    accounts,
    assets,
    business_centers,
    entities,
    gmv_max,
    measurement,
    organic,
    report_tasks,
    reports,
)
from tests.fake_api.data import FakeData
from tests.fake_api.dispatch import Response, dispatch
from tests.fake_api.faults import Faults
from tests.fake_api.hashing import mix64
from tests.fake_api.report_tasks import TaskBoard
from tests.fake_api.request_log import Punishment, RequestLog, RequestRecord
from tests.fake_api.routes import API_PREFIX, ROUTES, Handler, Route, normalize_path
from tests.fake_api.throttle import ENDPOINT_LIMITS, EndpointThrottle, QpsLimiter
from tests.fake_api.timeouts import TimeoutRules

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable
    from types import TracebackType

    from typing_extensions import Self

DEFAULT_TOKEN = "test-token"


class _HttpHandler(BaseHTTPRequestHandler):
    """Socket-level glue: read the request, let `dispatch` answer it, write the answer."""

    protocol_version = "HTTP/1.1"  # keep-alive, like the real API
    # Send headers and body as one buffered write without Nagle's delay; otherwise a
    # keep-alive client waits ~40 ms for a delayed ACK on every response.
    wbufsize = 1 << 16
    disable_nagle_algorithm = True
    api: FakeTikTokApi

    def _serve(self, method: str) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw_body = self.rfile.read(length) if length else b""
        response = dispatch(self.api, method, self.path, self.headers, raw_body)
        if response.reset:
            self.close_connection = True
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            return
        if response.chunks is not None:
            self._send_chunked(response.status, response.content_type, response.chunks)
            return
        self.send_response(response.status)
        self.send_header("Content-Type", response.content_type)
        self.send_header("Content-Length", str(len(response.body)))
        for name, value in response.headers.items():
            self.send_header(name, value)
        self.end_headers()
        try:
            self.wfile.write(response.body)
            self.wfile.flush()
        except OSError:
            self.close_connection = True  # the client gave up (read-timeout tests)

    def _send_chunked(self, status: int, content_type: str, chunks: Iterable[bytes]) -> None:
        """A body of unknown length (a CSV stream), so that it is never held whole."""
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        try:
            for chunk in chunks:
                if chunk:
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            self.wfile.write(b"0\r\n\r\n")
            self.wfile.flush()
        except OSError:
            self.close_connection = True  # the client gave up

    def do_GET(self) -> None:
        self._serve("GET")

    def do_POST(self) -> None:
        self._serve("POST")

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        """Stay quiet: tests and benchmarks read `api.requests` instead."""


class FakeTikTokApi:
    """A strict, deterministic fake of TikTok API for Business v1.3 on 127.0.0.1."""

    def __init__(
        self,
        data: FakeData | None = None,
        *,
        tokens: set[str] | frozenset[str] | None = None,
        app_id: str = "test-app",
        secret: str = "test-secret",  # noqa: S107 - a fixture value
        clock: Callable[[], datetime] | None = None,
        latency_seconds: float = 0.0,
        max_requests_per_second: float | None = None,
        cache_answers: bool = False,
    ) -> None:
        """Configure the fake; `start()` (or `with`) begins serving.

        `cache_answers` keeps each successful answer and sends it again for the same query
        (benchmarks: pages rendered once, so the fake costs almost nothing the second time).
        """
        self.data = data or FakeData()
        self.tokens: set[str] = set(tokens if tokens is not None else {DEFAULT_TOKEN})
        self.app_id = app_id
        self.secret = secret
        self.clock = clock or (lambda: datetime.now(timezone.utc))
        self.latency_seconds = latency_seconds
        self.limiter = QpsLimiter(max_requests_per_second)
        # Endpoints with a limit of their own, per app (route path -> throttle).
        self.endpoint_throttles = {
            path: EndpointThrottle(limit) for path, limit in ENDPOINT_LIMITS.items()
        }
        self.faults = Faults()
        # Metrics TikTok has stopped accepting (it retires metrics; inferred): asking for one
        # gets the 40002 "Invalid metric fields" answer.
        self.retired_metrics: set[str] = set()
        # Asynchronous report tasks: their lifecycle, limits and refusals (report_tasks.py).
        self.report_tasks = TaskBoard()
        self.log = RequestLog()
        self.timeouts = TimeoutRules(self.log)
        self.answers: dict[str, Response] | None = {} if cache_answers else None
        self.routes: dict[str, Route] = dict(ROUTES)
        self._scopes: dict[str, frozenset[str]] = {}
        self._request_ids = itertools.count(1)
        self._stopping = threading.Event()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- configuration ---------------------------------------------------------------------

    @property
    def max_requests_per_second(self) -> float | None:
        """The hard QPS cap; None for no cap. Settable while running."""
        return self.limiter.limit

    @max_requests_per_second.setter
    def max_requests_per_second(self, value: float | None) -> None:
        self.limiter.limit = value

    @property
    def token(self) -> str:
        """A token that works (the first one, sorted), for tests that need just one."""
        return min(self.tokens)

    def register(
        self, path: str, handler: Handler, *, auth: bool = True, methods: tuple[str, ...] = ("GET",)
    ) -> None:
        """Add or replace a route on this instance only."""
        self.routes[normalize_path(path)] = Route(handler, auth, methods)

    def allow(self, token: str, advertiser_ids: list[str] | set[str] | tuple[str, ...]) -> None:
        """Make `token` valid and limit it to these advertisers (others get 40001)."""
        self.tokens.add(token)
        self._scopes[token] = frozenset(advertiser_ids)

    def advertisers_for(self, token: str) -> list[str]:
        """The advertiser ids a token may read, sorted."""
        if token not in self.tokens:
            return []
        known = self.data.advertiser_ids()
        scope = self._scopes.get(token)
        return known if scope is None else [aid for aid in known if aid in scope]

    def now(self) -> datetime:
        """The server clock (aware UTC); report data exists up to this instant."""
        return self.clock()

    def next_request_id(self) -> str:
        """A TikTok-like request id: UTC timestamp plus 20 upper-case hex characters."""
        number = next(self._request_ids)
        stamp = datetime.now(timezone.utc).strftime("%Y%m%d%H%M%S")
        return f"{stamp}{mix64(number):016X}{number & 0xFFFF:04X}"

    def pause(self, seconds: float) -> None:
        """Sleep for latency or a hang fault, but wake up at once when stopping."""
        self._stopping.wait(seconds)

    # -- lifecycle -------------------------------------------------------------------------

    @property
    def port(self) -> int:
        """The bound port (after `start()`)."""
        if self._server is None:
            message = "the fake API is not running"
            raise RuntimeError(message)
        return int(self._server.server_address[1])

    @property
    def base_url(self) -> str:
        """`http://127.0.0.1:<port>/open_api/v1.3` (no trailing slash)."""
        return f"http://127.0.0.1:{self.port}{API_PREFIX.rstrip('/')}"

    def start(self, port: int = 0) -> Self:
        """Bind 127.0.0.1 (port 0 picks a free one) and serve in a daemon thread."""
        handler = type("BoundHandler", (_HttpHandler,), {"api": self})
        self._stopping.clear()
        self._server = ThreadingHTTPServer(("127.0.0.1", port), handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},  # so that stop() returns quickly
            name="fake-tiktok-api",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and release the port; hung requests are woken up."""
        self._stopping.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = None
        self._thread = None

    def __enter__(self) -> Self:
        """Start on entering a `with` block."""
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        """Stop on leaving the block."""
        self.stop()

    # -- request log -----------------------------------------------------------------------

    @property
    def requests(self) -> list[RequestRecord]:
        """Every logged request so far (a copy)."""
        return self.log.snapshot()

    def count(self, path: str | None = None, *, code: int | None = None) -> int:
        """How many requests hit `path` (any form of it; all paths if None)."""
        return self.log.count(path, code=code)

    def requests_per_second(self) -> dict[int, int]:
        """Request histogram: epoch second -> number of requests that arrived in it."""
        return self.log.per_second()

    def punishments(self) -> list[Punishment]:
        """The punishments TikTok's timeout rules imposed so far (timeouts.py)."""
        return self.log.punishments()

    def peak_requests_per_second(self, window: float = 1.0) -> int:
        """The most requests in any sliding `window` seconds (for rate-limit assertions)."""
        return self.log.peak_rate(window)
