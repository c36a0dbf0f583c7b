"""Ad-account endpoints: the authorised advertisers (3.1) and their details (3.2)."""

from __future__ import annotations

from typing import Any

from tests.fake_api.request import PARAMETER_ERROR, ApiError, ApiRequest
from tests.fake_api.routes import register

MAX_ADVERTISER_IDS = 100  # reference 3.2 (assumed from Airbyte's batch size)
INVALID_APP = 40101  # reference 1.7: app_id/secret mismatch


def oauth2_advertiser_get(request: ApiRequest) -> dict[str, Any]:
    """`GET /oauth2/advertiser/get/`: the token's advertisers, checked against the app."""
    app_id, secret = request.text("app_id"), request.text("secret")
    if app_id != request.api.app_id or secret != request.api.secret:
        raise ApiError(INVALID_APP, "Invalid app_id or secret.")
    data = request.api.data
    return {
        "list": [
            {"advertiser_id": aid, "advertiser_name": data.advertiser(aid)["name"]}
            for aid in request.api.advertisers_for(request.token or "")
        ]
    }


# advertiser/info/ (Doc 1739593083610113): "If not specified, all information excluding
# company_name_editable, can_use_custom_identity, and ads_only_mode is returned"; asked for,
# only they and `advertiser_id` come back.
ASKED_ALONE = frozenset({"company_name_editable", "can_use_custom_identity", "ads_only_mode"})


def advertiser_info(request: ApiRequest) -> dict[str, Any]:
    """`GET /advertiser/info/`: details of the requested advertisers the token may see."""
    advertiser_ids = request.text_list("advertiser_ids", required=True) or []
    if not advertiser_ids:
        raise ApiError(PARAMETER_ERROR, "advertiser_ids: Shorter than minimum length 1.")
    if len(advertiser_ids) > MAX_ADVERTISER_IDS:
        raise ApiError(
            PARAMETER_ERROR, f"advertiser_ids: Longer than maximum length {MAX_ADVERTISER_IDS}."
        )
    fields = request.text_list("fields")
    for advertiser_id in advertiser_ids:
        request.require_advertiser(advertiser_id)
    records = [request.api.data.advertiser(aid) for aid in dict.fromkeys(advertiser_ids)]
    if fields:
        unknown = sorted(set(fields) - set(records[0]))
        if unknown:
            raise ApiError(PARAMETER_ERROR, f"fields: Invalid fields {unknown}.")
        if ASKED_ALONE & set(fields):  # Doc 1739593083610113: these come back alone
            fields = sorted(ASKED_ALONE & set(fields))
        return {
            "list": [
                {k: v for k, v in record.items() if k in {"advertiser_id", *fields}}
                for record in records
            ]
        }
    # Each record keeps its own fields: a newer field some advertisers carry is not dropped
    # from the others' answers because the first advertiser of the batch lacks it.
    return {
        "list": [{k: v for k, v in record.items() if k not in ASKED_ALONE} for record in records]
    }


register("oauth2/advertiser/get/", oauth2_advertiser_get)
register("advertiser/info/", advertiser_info)
