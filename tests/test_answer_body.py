"""A body read in one call (answer_body.py) is what `Response.content` gives, errors included.

Each case is sent twice to a small HTTP server on 127.0.0.1, with and without the hook: the
bodies, or the exceptions, must be the same.
"""

from __future__ import annotations

import gzip
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING

import pytest
import requests

from tap_tiktok_ads.answer_body import read_whole_body

if TYPE_CHECKING:
    from collections.abc import Iterator

BODY = b'{"code":0,"data":{"list":[' + b",".join([b'{"a":"1"}'] * 50_000) + b"]}}"


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body, headers = BODY, {"Content-Type": "application/json"}
        if self.path == "/gzip":
            body, headers = gzip.compress(BODY), {**headers, "Content-Encoding": "gzip"}
        length = len(body) + (1000 if self.path == "/cut" else 0)  # promises more than sent
        if self.path == "/chunked":
            self.send_response(200)
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for start in range(0, len(body), 65536):
                part = body[start : start + 65536]
                self.wfile.write(f"{len(part):x}\r\n".encode() + part + b"\r\n")
            self.wfile.write(b"0\r\n\r\n")
            return
        self.send_response(200)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(length))
        self.end_headers()
        self.wfile.write(body)
        if self.path == "/cut":
            self.close_connection = True

    def log_message(self, *_: object) -> None:
        pass


@pytest.fixture(scope="module")
def base_url() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def _get(url: str, *, hook: bool, stream: bool = False) -> requests.Response:
    with requests.Session() as session:
        hooks = {"response": [read_whole_body]} if hook else {}
        return session.get(url, hooks=hooks, stream=stream, timeout=10)


@pytest.mark.parametrize("path", ["/plain", "/gzip", "/chunked"])
def test_the_body_is_the_one_requests_reads(base_url: str, path: str) -> None:
    ours = _get(base_url + path, hook=True)
    assert ours.content == _get(base_url + path, hook=False).content == BODY
    assert ours.json()["code"] == 0


def test_a_body_cut_off_raises_what_requests_raises(base_url: str) -> None:
    with pytest.raises(requests.exceptions.ChunkedEncodingError):
        _get(base_url + "/cut", hook=False)
    with pytest.raises(requests.exceptions.ChunkedEncodingError):
        _get(base_url + "/cut", hook=True)


def test_a_streamed_answer_is_left_to_stream(base_url: str) -> None:
    response = _get(base_url + "/plain", hook=True, stream=True)
    assert response._content is False  # not read by the hook
    assert b"".join(response.iter_content(65536)) == BODY
