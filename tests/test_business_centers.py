"""Business Centers against the fake: the stream, and advertisers found through them.

Expected records come from the fake's own Business Centers (`tests/fake_api/business_centers.py`),
never from the tap's code.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import pytest
import requests

from tests.conftest import run_tap, run_until_failure, tap_config
from tests.fake_api.business_centers import PENDING_ADVERTISER, business_centers
from tests.fake_api.entity_fields import UNDOCUMENTED_FIELD

if TYPE_CHECKING:
    import datetime as dt

    from tests.fake_api import FakeData, FakeTikTokApi
    from tests.fake_api.business_centers import BusinessCenter


def expected(center: BusinessCenter) -> dict[str, Any]:
    """The `business_centers` record of one of the fake's Business Centers."""
    advertisers = [
        {
            **{k: v for k, v in asset.items() if k not in ("asset_id", "asset_name")},
            "advertiser_id": asset["asset_id"],
            "advertiser_name": asset["asset_name"],
        }
        for asset in center.assets
    ]
    info = dict(center.row["bc_info"])
    record = {
        **info,
        "user_role": center.row["user_role"],
        "ext_user_role": center.row["ext_user_role"],
        "advertisers": advertisers,
    }
    if UNDOCUMENTED_FIELD in info:  # kept as sent, beside the declared fields
        record["extra_fields"] = {UNDOCUMENTED_FIELD: record.pop(UNDOCUMENTED_FIELD)}
    return record


def readable(center: BusinessCenter) -> list[str]:
    return [a["asset_id"] for a in center.assets if a["relation_status"] == "BOUND"]


def test_every_business_center_page_by_page(fake_api: FakeTikTokApi, fake_data: FakeData) -> None:
    result = run_tap(tap_config(fake_api, page_size=1), streams={"business_centers": None})
    centers = business_centers(fake_data)
    assert result.records["business_centers"] == [expected(c) for c in centers]
    assert fake_api.count("bc/get/") == len(centers)  # one center a page
    assert fake_api.count("bc/asset/get/") == sum(len(c.assets) for c in centers)


def test_only_the_configured_business_centers(fake_api: FakeTikTokApi, fake_data: FakeData) -> None:
    second = business_centers(fake_data)[1]
    config = tap_config(fake_api, business_center_ids=[second.bc_id])
    result = run_tap(config, streams={"business_centers": None})
    assert result.records["business_centers"] == [expected(second)]


@pytest.mark.parametrize("center", [0, 1])
def test_advertisers_found_through_a_business_center(
    fake_api: FakeTikTokApi, fake_data: FakeData, frozen_now: dt.datetime, center: int
) -> None:
    chosen = business_centers(fake_data)[center]
    config = tap_config(fake_api, business_center_ids=[chosen.bc_id])
    del config["advertiser_ids"]  # and no app_id/secret: the Business Center is enough
    result = run_tap(config, streams={"advertisers": ["advertiser_id"]})
    synced = [r["advertiser_id"] for r in result.records["advertisers"]]
    assert synced == readable(chosen)
    assert PENDING_ADVERTISER not in synced
    assert fake_api.count("oauth2/advertiser/get/") == 0


def test_business_center_advertisers_join_the_configured_ones(
    fake_api: FakeTikTokApi, fake_data: FakeData, frozen_now: dt.datetime
) -> None:
    first = business_centers(fake_data)[0]
    configured = [a for a in fake_data.advertiser_ids() if a not in readable(first)]
    assert configured
    config = tap_config(fake_api, advertiser_ids=configured, business_center_ids=[first.bc_id])
    result = run_tap(config, streams={"advertisers": ["advertiser_id"]})
    synced = {r["advertiser_id"] for r in result.records["advertisers"]}
    assert synced == set(configured) | set(readable(first)) == set(fake_data.advertiser_ids())


def test_each_business_center_is_listed_once_a_run(
    fake_api: FakeTikTokApi, fake_data: FakeData, frozen_now: dt.datetime
) -> None:
    """Resolving the advertisers and the `business_centers` stream share one listing."""
    chosen = business_centers(fake_data)[0]
    config = tap_config(fake_api, business_center_ids=[chosen.bc_id], page_size=2)
    del config["advertiser_ids"]
    result = run_tap(config, streams={"business_centers": None, "advertisers": ["advertiser_id"]})
    assert result.records["business_centers"] == [expected(chosen)]
    assert [r["advertiser_id"] for r in result.records["advertisers"]] == readable(chosen)
    assert fake_api.count("bc/asset/get/") == -(-len(chosen.assets) // 2)  # one listing, paged


def test_an_unknown_business_center_stops_before_any_data(
    fake_api: FakeTikTokApi, frozen_now: dt.datetime
) -> None:
    config = tap_config(fake_api, business_center_ids=["123"])
    result, error = run_until_failure(config, streams={"advertisers": None})
    assert "40001" in str(error)
    assert "/bc/asset/get/" in str(error)
    assert not result.records.get("advertisers")


@pytest.mark.parametrize(
    ("path", "params", "complaint"),
    [
        ("bc/get/", {"page_size": "51"}, "page_size"),
        ("bc/get/", {"advertiser_id": "1"}, "advertiser_id"),
        ("bc/asset/get/", {"page_size": "10"}, "asset_type"),
        ("bc/asset/get/", {"asset_type": "VIDEO"}, "asset_type"),
        ("bc/asset/get/", {"asset_type": "ADVERTISER", "filtering": '{"status": 1}'}, "status"),
    ],
)
def test_the_fake_refuses_what_the_reference_does_not_allow(
    fake_api: FakeTikTokApi, fake_data: FakeData, path: str, params: dict, complaint: str
) -> None:
    bc_id = {"bc_id": business_centers(fake_data)[0].bc_id} if path == "bc/asset/get/" else {}
    answer = requests.get(
        f"{fake_api.base_url}/{path}",
        params={**bc_id, **params},
        headers={"Access-Token": fake_api.token},
        timeout=5,
    ).json()
    assert answer["code"] == 40002
    assert complaint in answer["message"]


def test_a_refused_business_center_fails_alone(
    fake_api: FakeTikTokApi, fake_data: FakeData
) -> None:
    second = business_centers(fake_data)[1]
    fake_api.faults.refuse_business_center("123", 40106)  # not a permission: the run fails
    config = tap_config(fake_api, business_center_ids=["123", second.bc_id])
    result, error = run_until_failure(config, streams={"business_centers": None})
    assert (
        "TikTok refused access to 1 Business Center(s): 123 (TikTok error 40106 on /bc/get/)"
        in str(error)
    )
    assert result.records["business_centers"] == [expected(second)]  # the next one went on


def test_a_field_the_schema_lacks_is_kept_in_extra_fields_and_said_once(
    fake_api: FakeTikTokApi, fake_data: FakeData, caplog: pytest.LogCaptureFixture
) -> None:
    """The fake sends a field added after the transcription in every `bc_info` and asset.

    The Business Center's is kept in `extra_fields`; an asset's stays in its `advertisers`
    entry (an object the schema declares), and each is said once.
    """
    with caplog.at_level(logging.WARNING):
        result = run_tap(tap_config(fake_api, page_size=1), streams={"business_centers": None})
    assert "not found in catalog schema" not in caplog.text  # nothing dropped by the SDK
    records = result.records["business_centers"]
    sent = [c.row["bc_info"][UNDOCUMENTED_FIELD] for c in business_centers(fake_data)]
    assert len(sent) == len(records) > 1
    assert [r["extra_fields"] for r in records] == [{UNDOCUMENTED_FIELD: v} for v in sent]
    held = [a for r in records for a in r["advertisers"]]
    assert held
    assert all(a[UNDOCUMENTED_FIELD] == f"value {a['relation_status']}" for a in held)
    warnings = [m for m in caplog.messages if m.startswith("business_centers: TikTok sent")]
    assert len(warnings) == 2, warnings
    assert f"'{UNDOCUMENTED_FIELD}'" in warnings[0]
    assert f"'advertisers.{UNDOCUMENTED_FIELD}'" in warnings[1]
