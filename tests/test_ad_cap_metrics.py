"""The advertiser level of an account over the ad cap keeps its money metrics.

That level is summed from campaign batches (id_batches.py): a money amount must be summed, not
left empty as a ratio would be. The truth is the fake's data without the cap (tests/truth.py).
"""

from __future__ import annotations

import logging

import pytest

from tests.conftest import run_tap
from tests.test_ad_cap import (
    END,
    NOW,
    START,
    api,  # noqa: F401 - a fixture
    config,
    data,  # noqa: F401 - a fixture
    frozen_clock,  # noqa: F401 - a fixture
)
from tests.truth import REPORTS, by_key, expected_report_records

STREAM = "advertiser_report_daily"


def _summed_and_true(api, data, metrics: list[str]) -> tuple[dict, dict]:  # noqa: F811
    definition = REPORTS[STREAM]
    properties = ["advertiser_id", *definition.dimensions, *metrics]
    result = run_tap(config(api), streams={STREAM: properties})
    expected = expected_report_records(data, STREAM, metrics, start=START, end=END, now=NOW)
    keys = definition.key_properties
    return by_key(result.records[STREAM], keys), by_key(expected, keys)


def test_billed_cost_of_an_account_over_the_cap_is_summed(api, data) -> None:  # noqa: F811
    """`billed_cost` is net cost, "the total amount spent on your ads, excluding ad credits or
    coupons" (bububa model/report/metrics.go, `BilledCost` 净消耗): money, so it adds up."""
    got, want = _summed_and_true(api, data, ["spend", "billed_cost"])
    assert got.keys() == want.keys()
    assert any(w["billed_cost"] for w in want.values())
    for key, record in got.items():
        assert record["billed_cost"] == pytest.approx(want[key]["billed_cost"], abs=1e-9), key


def test_the_warning_names_the_advertiser_amounts_a_sum_cannot_have(api, data, caplog) -> None:  # noqa: F811
    """`cash_spend` / `voucher_spend` are offered at the advertiser level only (Doc
    1738864894606337; report_metrics.csv): campaign batches cannot ask for them, so summed
    rows have none, and the warning must not call every amount exact."""
    metrics = ["spend", "cash_spend", "voucher_spend"]
    with caplog.at_level(logging.WARNING):
        got, want = _summed_and_true(api, data, metrics)
    assert any(w["cash_spend"] for w in want.values())  # the truth has them
    assert got.keys() == want.keys()
    assert all(r["cash_spend"] is None and r["voucher_spend"] is None for r in got.values())
    warnings = [m for m in caplog.messages if "is summed from batches" in m]
    assert len(warnings) == len(data.advertiser_ids())  # once per advertiser
    for warning in warnings:
        assert "exact, except cash_spend, voucher_spend, which TikTok gives at" in warning
