"""A large answer's body read in one call, not in requests' 10 KB chunks (issue 18).

`requests` reads a body it was not asked to stream as `b"".join(iter_content(10 * 1024))`:
a 2 MB report page is some 220 reads through urllib3's generator, each with its own Python
calls, then one more copy to join them. Read at once (`urllib3`'s `read()`), the same body
costs about half the CPU: measured on a page of 1000 rows of 84 metrics against the fake,
3.3 ms against 6.5 ms per request, about 3 us a row. The read happens in a response hook,
which `Session.send` runs before it would read the body itself; errors are mapped to the
exceptions `Response.content` raises, so retries see what they saw before. A request sent with
`stream=True` (a report task's file) is left to stream.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from requests import exceptions as requests_exceptions
from urllib3 import exceptions as urllib3_exceptions

if TYPE_CHECKING:
    import requests


def read_whole_body(response: requests.Response, **kwargs: Any) -> requests.Response:  # noqa: ANN401
    """Response hook: the body read in one call, as `Response.content` would give it."""
    if (
        kwargs.get("stream")
        or response._content is not False  # noqa: SLF001
        or response._content_consumed  # noqa: SLF001
        or not hasattr(response.raw, "stream")  # not urllib3's: requests reads it its way
    ):
        return response
    try:
        body = response.raw.read(decode_content=True)
    except urllib3_exceptions.ProtocolError as exc:
        raise requests_exceptions.ChunkedEncodingError(exc) from exc
    except urllib3_exceptions.DecodeError as exc:
        raise requests_exceptions.ContentDecodingError(exc) from exc
    except urllib3_exceptions.ReadTimeoutError as exc:
        raise requests_exceptions.ConnectionError(exc) from exc
    except urllib3_exceptions.SSLError as exc:
        raise requests_exceptions.SSLError(exc) from exc
    response._content = body or b""  # noqa: SLF001
    response._content_consumed = True  # noqa: SLF001
    return response


def reads_whole_body(prepared: requests.PreparedRequest) -> requests.PreparedRequest:
    """The request, its answer's body to be read in one call."""
    prepared.register_hook("response", read_whole_body)
    return prepared
