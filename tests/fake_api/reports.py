"""`GET /report/integrated/get/`: the synchronous report (reference section 2)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tests.fake_api.ad_cap import THROTTLE_HEADER, THROTTLE_TEXT
from tests.fake_api.report_query import parse_report_query
from tests.fake_api.routes import register
from tests.fake_api.shop_reports import REPORT_TYPE as TT_SHOP
from tests.fake_api.shop_reports import tt_shop_report
from tests.fake_api.timeouts import query_shape

if TYPE_CHECKING:
    from tests.fake_api.request import ApiRequest


def report_integrated_get(request: ApiRequest) -> dict[str, Any]:
    """Validate, then answer one page with exact `page_info` totals."""
    if request.params.get("report_type") == TT_SHOP:  # GMV max ads: rules of their own
        return tt_shop_report(request)
    query, page, page_size = parse_report_query(request)
    request.require_advertiser(query.advertiser_id)
    engine = request.api.data.engine
    cost = engine.cost(query, request.api.now())
    request.api.timeouts.judge(request, cost, query_shape(query))
    total, rows = engine.page(query, request.api.now(), page, page_size)
    if engine.truncated(query):
        request.response_headers[THROTTLE_HEADER] = THROTTLE_TEXT
    return {
        "list": rows,
        "page_info": {
            "page": page,
            "page_size": page_size,
            "total_number": total,
            "total_page": -(-total // page_size),
        },
    }


register("report/integrated/get/", report_integrated_get)
