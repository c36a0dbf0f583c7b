"""From raw HTTP request to response bytes: routing, faults, throttling, auth, envelope.

Kept apart from the socket code in `server.py` so the rules read top to bottom.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import msgspec

from tests.fake_api import faults as fault_kinds
from tests.fake_api.request import PARAMETER_ERROR, ApiError, ApiRequest, parse_params
from tests.fake_api.request_log import RequestRecord
from tests.fake_api.routes import API_PREFIX, RawAnswer
from tests.fake_api.throttle import ENDPOINT_LIMIT_CODE, QPS_LIMIT_CODE, endpoint_limit_message

if TYPE_CHECKING:
    from collections.abc import Iterable
    from email.message import Message

    from tests.fake_api.server import FakeTikTokApi

TOKEN_HEADER = "Access-Token"
MISSING_TOKEN = (
    40104,
    "Access token is null, you should set it in http header with key Access-Token.",
)
UNKNOWN_TOKEN = (40105, "Access token is incorrect or has been revoked.")
_TRUNCATED_BODY = b'{"code": 0, "message": "OK", "request_id": "2026", "data": {"list": [{"dimen'
_HTML_PAGE = (
    "<html><head><title>{status} Gateway Time-out</title></head><body>"
    "<center><h1>{status} Gateway Time-out</h1></center><hr><center>nginx</center>"
    "</body></html>"
)


@dataclass
class Response:
    """What the socket layer sends back; `reset` drops the connection instead."""

    status: int
    body: bytes = b""
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)
    reset: bool = False
    chunks: Iterable[bytes] | None = None  # a streamed body, sent chunked instead of `body`


def _plain(status: int, text: str) -> Response:
    return Response(status, text.encode(), "text/plain; charset=utf-8")


def _envelope(code: int, message: str, request_id: str, data: dict[str, Any]) -> Response:
    # msgspec (a dependency through singer-sdk[msgspec]) encodes ~10x faster than json.
    body = msgspec.json.encode(
        {"code": code, "message": message, "request_id": request_id, "data": data}
    )
    return Response(200, body, headers={"X-Tt-Logid": request_id})


def _parse_body(raw: bytes) -> Any:
    if not raw.strip():
        return None
    try:
        return json.loads(raw)
    except ValueError:
        raise ApiError(PARAMETER_ERROR, "The request body is not valid JSON.") from None


def _fault_response(fault: fault_kinds.Fault, request_id: str) -> Response | None:
    if fault.kind == fault_kinds.CODE:
        return _envelope(fault.code, fault.message, request_id, {})
    if fault.kind == fault_kinds.HTTP:
        if fault.html:
            page = _HTML_PAGE.format(status=fault.status)
            return Response(fault.status, page.encode(), "text/html")
        return _plain(fault.status, f"{fault.status} upstream error")
    if fault.kind == fault_kinds.TRUNCATED:
        return Response(200, _TRUNCATED_BODY)
    if fault.kind == fault_kinds.RESET:
        return Response(0, reset=True)
    return None


def _authenticate(api: FakeTikTokApi, token: str | None) -> tuple[int, str] | None:
    if not token:
        return MISSING_TOKEN
    if token not in api.tokens:
        return UNKNOWN_TOKEN
    return None


def dispatch(  # noqa: PLR0911 - one return per way a call can end
    api: FakeTikTokApi, method: str, target: str, headers: Message, raw_body: bytes
) -> Response:
    """Answer one HTTP request and log it."""
    arrival, arrival_monotonic = time.time(), time.monotonic()
    url = urlsplit(target)
    if not url.path.startswith(API_PREFIX):
        return _plain(404, "404 page not found")
    path = url.path[len(API_PREFIX) :]
    route = api.routes.get(path)
    if route is None:
        return _plain(404, "404 page not found")
    if method not in route.methods:
        return _plain(405, "405 method not allowed")
    token = headers.get(TOKEN_HEADER)
    request_id = api.next_request_id()
    params: dict[str, Any] = {}
    fault_kind: str | None = None

    def finish(response: Response, code: int | None = None) -> Response:
        api.log.add(
            RequestRecord(
                method=method,
                path=path,
                params=params,
                time=arrival,
                monotonic=arrival_monotonic,
                http_status=response.status,
                code=code,
                request_id=request_id,
                fault=fault_kind,
                token=token,
            )
        )
        return response

    def fail(code: int, message: str) -> Response:
        return finish(_envelope(code, message, request_id, {}), code)

    try:
        body = _parse_body(raw_body)
    except ApiError as error:
        return fail(error.code, error.message)
    params = parse_params(url.query, body)
    current_qps = api.limiter.admit()
    if current_qps is not None:
        message = api.limiter.message(api.app_id, current_qps)
        return fail(QPS_LIMIT_CODE, message)
    lowered = api.timeouts.admit(api.app_id)  # the QPS limit lowered after timeouts
    if lowered is not None:
        return fail(QPS_LIMIT_CODE, lowered)
    throttle = api.endpoint_throttles.get(path)
    broken = throttle.admit(arrival_monotonic, arrival) if throttle else None
    if broken is not None:
        return fail(ENDPOINT_LIMIT_CODE, endpoint_limit_message(api.app_id, path, broken))
    fault = api.faults.take(path, params)
    if fault is not None:
        fault_kind = fault.kind
        if fault.kind == fault_kinds.HANG:
            api.pause(fault.seconds)
        elif fault.kind not in fault_kinds.ANSWER_FAULTS:
            code = fault.code if fault.kind == fault_kinds.CODE else None
            return finish(_fault_response(fault, request_id) or _plain(500, "bad fault"), code)
    if api.latency_seconds:
        api.pause(api.latency_seconds)
    if route.auth:
        problem = _authenticate(api, token)
        if problem:
            return fail(*problem)
    answers = api.answers if method == "GET" and fault is None else None
    if answers is not None:
        cache_key = json.dumps([path, token, params], sort_keys=True, default=str)
        if cache_key in answers:
            return finish(answers[cache_key], 0)
    request = ApiRequest(method, path, params, headers, body, api, token, arrival=arrival_monotonic)
    try:
        data = route.handler(request)
    except ApiError as error:
        return fail(error.code, error.message)
    if isinstance(data, RawAnswer):
        raw = Response(200, content_type=data.content_type, chunks=data.chunks)
        return finish(raw, 0)
    if fault is not None and fault.kind == fault_kinds.LOST_ANSWER:
        api.pause(fault.seconds)  # done (a task created); the client gave up on the answer
        fault = None
    if fault is not None and fault.kind == fault_kinds.PARTIAL:
        return finish(_envelope(fault.code, "Partially successful.", request_id, data), fault.code)
    if fault is not None and fault.kind in fault_kinds.ANSWER_FAULTS:
        data = _spoil_page(data, fault)
    response = _envelope(0, "OK", request_id, data)
    response.headers.update(request.response_headers)
    if answers is not None:
        answers[cache_key] = response
    return finish(response, 0)


def _with_stray_ad_row(data: dict[str, Any], ad_id: str) -> dict[str, Any]:
    """A page of rows by `ad_id_v2` with a copy of its first row under `ad_id` (see the fault)."""
    rows = list(data.get("list") or [])
    if not rows or "ad_id_v2" not in (rows[0].get("dimensions") or {}):
        return data
    first = rows[0]
    metrics = dict(first.get("metrics") or {})
    if "ad_id_v2" in metrics:
        metrics["ad_id_v2"] = ad_id
    stray = {"dimensions": {**first["dimensions"], "ad_id_v2": ad_id}, "metrics": metrics}
    return {**data, "list": [*rows, stray]}


def _spoil_page(data: dict[str, Any], fault: fault_kinds.Fault) -> dict[str, Any]:
    """A page that breaks its own `page_info` (rows missing, another `total_page`), or a row
    added."""
    page_info = data.get("page_info")
    if not isinstance(page_info, dict):
        return data
    if fault.kind == fault_kinds.SHORT_PAGE:
        rows = list(data.get("list") or [])
        return {**data, "list": rows[: max(0, len(rows) - fault.amount)]}
    if fault.kind == fault_kinds.STRAY_AD_ROW:
        return _with_stray_ad_row(data, fault.ad_id)
    total_page = max(0, int(page_info.get("total_page") or 0) + fault.amount)
    return {**data, "page_info": {**page_info, "total_page": total_page}}
