"""What the list endpoints of the creative library, measurement and Business Centers share.

`page`/`page_size` paging with an exact `page_info`, the advertiser check, and the refusal of
parameters and filter keys an endpoint's reference does not list (40002, like any bad
parameter, reference 1.7).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tests.fake_api.request import PARAMETER_ERROR, ApiError

if TYPE_CHECKING:
    from collections.abc import Collection

    from tests.fake_api.request import ApiRequest


def fail(message: str) -> ApiError:
    """A 40002 answer naming what is wrong."""
    return ApiError(PARAMETER_ERROR, message)


def only(request: ApiRequest, allowed: Collection[str]) -> None:
    """Refuse any parameter the endpoint's reference does not list."""
    unknown = sorted(set(request.params) - set(allowed))
    if unknown:
        raise fail(f"{unknown[0]}: Unknown field.")


def advertiser(request: ApiRequest, allowed: Collection[str]) -> str:
    """The request's advertiser, which the token must be allowed to read; the rest checked."""
    only(request, allowed)
    advertiser_id = request.text("advertiser_id", required=True) or ""
    request.require_advertiser(advertiser_id)
    return advertiser_id


def filtering(request: ApiRequest, allowed: Collection[str]) -> dict[str, Any]:
    """The `filtering` object (empty when absent); keys the reference does not list refused."""
    value = request.params.get("filtering")
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise fail("filtering: Not a valid mapping type (an object, not a list).")
    unknown = sorted(set(value) - set(allowed))
    if unknown:
        raise fail(f"filtering.{unknown[0]}: Unknown field.")
    return value


def id_list(values: Any, name: str, limit: int) -> frozenset[str] | None:
    """A filter's list of ids (at most `limit`), or None when the filter is absent."""
    if values is None:
        return None
    if not isinstance(values, list) or not all(
        isinstance(v, (str, int)) and not isinstance(v, bool) for v in values
    ):
        raise fail(f"{name}: Not a valid list of strings.")
    if len(values) > limit:
        raise fail(f"{name}: Longer than maximum length {limit}.")
    return frozenset(str(v) for v in values)


def page(
    request: ApiRequest,
    rows: list[dict[str, Any]],
    *,
    default_size: int,
    max_size: int,
    list_key: str = "list",
) -> dict[str, Any]:
    """One page of `rows` and its exact `page_info`."""
    number = request.integer("page", 1)
    size = request.integer("page_size", default_size)
    if number < 1:
        raise fail("page: Must be greater than or equal to 1.")
    if not 1 <= size <= max_size:
        raise fail(f"page_size: Must be between 1 and {max_size}.")
    total = len(rows)
    return {
        list_key: rows[(number - 1) * size : number * size],
        "page_info": {
            "page": number,
            "page_size": size,
            "total_number": total,
            "total_page": -(-total // size),
        },
    }
