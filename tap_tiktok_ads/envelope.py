"""TikTok's JSON envelope (`code`, `message`, `data`, `request_id`), decoded once per answer.

Shared by the base stream and the token refresh, which talk to TikTok through different
machinery but read the same envelope and the same HTTP faults.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import msgspec

from tap_tiktok_ads.errors import TikTokFatalError, TikTokRetriableError

if TYPE_CHECKING:
    import requests

_BODY_ATTRIBUTE = "_tiktok_body"
_DECODER = msgspec.json.Decoder()


def response_body(response: requests.Response) -> dict[str, Any]:
    """The decoded JSON envelope, decoded once per response however often it is read."""
    body = getattr(response, _BODY_ATTRIBUTE, None)
    if body is None:
        body = _DECODER.decode(response.content)
        if not isinstance(body, dict):
            msg = "TikTok answered with JSON that is not an object"
            raise TikTokRetriableError(msg)
        setattr(response, _BODY_ATTRIBUTE, body)
    return body


def keep_body(response: requests.Response, body: dict[str, Any]) -> None:
    """Use `body` as the answer's decoded envelope (a stream that decodes its own answers)."""
    setattr(response, _BODY_ATTRIBUTE, body)


def checked_body(response: requests.Response, where: str) -> dict[str, Any]:
    """The JSON envelope of an answer, or the error for an HTTP fault or a broken body.

    HTTP 429 and 5xx (TikTok's gateways answer 504 with an HTML page) and bodies that are not
    JSON (cut off in transit) are worth retrying; other HTTP errors mean a wrong URL.
    """
    status = response.status_code
    if status == 429 or status >= 500:  # noqa: PLR2004
        msg = f"HTTP {status} from TikTok on {where}; will retry"
        raise TikTokRetriableError(msg, where=where, http_status=status)
    if status >= 400:  # noqa: PLR2004
        msg = f"HTTP {status} from TikTok on {where}: check `api_base_url`"
        raise TikTokFatalError(msg)
    try:
        return response_body(response)
    except (msgspec.DecodeError, UnicodeDecodeError):
        msg = f"TikTok sent a body that is not JSON on {where} (truncated?); will retry"
        raise TikTokRetriableError(msg, where=where) from None


def response_data(response: requests.Response) -> dict[str, Any]:
    """The envelope's `data` object (empty when TikTok sent none)."""
    data = response_body(response).get("data")
    return data if isinstance(data, dict) else {}
