"""Fault injection: make the next calls (or a fixed share of calls) fail in chosen ways.

Thread-safe and changeable while the server runs. One-shot faults fire in the order they
were set; a rate fault applies to calls that no one-shot fault took.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

from tests.fake_api.hashing import hash_ints
from tests.fake_api.routes import normalize_path

CODE, HTTP, TRUNCATED, RESET, HANG = "code", "http", "truncated", "reset", "hang"
# Faults that change a normal answer instead of replacing it.
SHORT_PAGE, PAGE_COUNT = "short_page", "page_count"
# The normal data under code 20001, "Partially successful" (return-code appendix, Doc
# 1737172488964097; that it carries the data is inferred).
PARTIAL = "partial"
PARTIAL_SUCCESS_CODE = 20001
# The call is carried out (a task created), then its answer waits past the client's timeout.
LOST_ANSWER = "lost_answer"
# A page of report rows by `ad_id_v2` gets one more: a copy of its first row under an ad ID
# that no `ad/get/` listing shows. Inferred scenario, no rule of the reference: TikTok's
# `ad_ids_v2` filter (Doc 1740302848100353) answering a row of an ad the listing missed (an ad
# created after it, or an Upgraded Smart+ ad listed under another ID than its `ad_id_v2`).
STRAY_AD_ROW = "stray_ad_row"
ANSWER_FAULTS = frozenset({SHORT_PAGE, PAGE_COUNT, PARTIAL, LOST_ANSWER, STRAY_AD_ROW})
DEFAULT_MESSAGES = {
    40100: "Too many requests. Please retry in some time.",
    40016: "Requests made too frequently.",
    40200: "Task error.",
    40201: "Task is not ready.",
    40700: "Internal service validation error.",
    50000: "System error.",
    50002: "Error processing the request, please try again later.",
    51010: "Internal service timeout.",
    60001: "System maintenance. Please try again later.",
}


@dataclass(frozen=True)
class Fault:
    """One injected failure."""

    kind: str
    code: int = 0
    message: str = ""
    status: int = 0
    html: bool = True
    seconds: float = 0.0
    amount: int = 0  # SHORT_PAGE: rows dropped; PAGE_COUNT: change of `total_page`
    ad_id: str = ""  # STRAY_AD_ROW: the `ad_id_v2` of the row added


@dataclass
class _Pending:
    fault: Fault
    remaining: int
    path: str | None


@dataclass
class _Rate:
    rate: float
    codes: tuple[int, ...]
    seed: int
    path: str | None
    calls: int = 0
    fault: Fault | None = None  # a fault other than an envelope code, for `fault_rate`


class Faults:
    """The faults a running `FakeTikTokApi` applies to matching requests."""

    def __init__(self) -> None:
        """Start with no faults."""
        self._lock = threading.Lock()
        self._pending: list[_Pending] = []
        self._rate: _Rate | None = None
        self._refused: dict[str, tuple[int, str | None]] = {}  # advertiser -> code, path
        self._refused_centers: dict[str, tuple[int, str | None]] = {}  # bc_id -> code, path
        self._refused_accounts: dict[str, tuple[int, str | None]] = {}  # business_id -> same

    def _queue(self, fault: Fault, n: int, path: str | None) -> None:
        with self._lock:
            self._pending.append(_Pending(fault, n, normalize_path(path) if path else None))

    def fail_next(
        self, n: int = 1, code: int = 40100, *, path: str | None = None, message: str | None = None
    ) -> None:
        """The next `n` matching calls answer HTTP 200 with this envelope code."""
        text = message or DEFAULT_MESSAGES.get(code, f"Injected error {code}.")
        self._queue(Fault(CODE, code=code, message=text), n, path)

    def fail_rate(
        self,
        rate: float,
        codes: tuple[int, ...] | list[int] = (40100, 50002),
        *,
        seed: int = 0,
        path: str | None = None,
    ) -> None:
        """A deterministic share `rate` of matching calls fails with one of `codes`."""
        with self._lock:
            self._rate = _Rate(rate, tuple(codes), seed, normalize_path(path) if path else None)

    def fault_rate(
        self, rate: float, fault: Fault, *, seed: int = 0, path: str | None = None
    ) -> None:
        """A deterministic share `rate` of matching calls gets `fault`; replaces `fail_rate`.

        Any kind of fault: an HTTP error, a reset, a truncated body, a short page, ...
        """
        with self._lock:
            self._rate = _Rate(rate, (), seed, normalize_path(path) if path else None, fault=fault)

    def http_error_next(
        self, n: int = 1, status: int = 504, *, html: bool = True, path: str | None = None
    ) -> None:
        """The next `n` matching calls get this HTTP status with an HTML (or text) body."""
        self._queue(Fault(HTTP, status=status, html=html), n, path)

    def truncated_next(self, n: int = 1, *, path: str | None = None) -> None:
        """The next `n` matching calls get HTTP 200 with a cut-off, unparseable JSON body."""
        self._queue(Fault(TRUNCATED), n, path)

    def reset_next(self, n: int = 1, *, path: str | None = None) -> None:
        """The next `n` matching calls have their connection closed without a response."""
        self._queue(Fault(RESET), n, path)

    def hang_next(self, n: int = 1, seconds: float = 5.0, *, path: str | None = None) -> None:
        """The next `n` matching calls wait `seconds` before being answered normally."""
        self._queue(Fault(HANG, seconds=seconds), n, path)

    def lose_answer_next(
        self, n: int = 1, seconds: float = 5.0, *, path: str | None = None
    ) -> None:
        """The next `n` matching calls are carried out, then answered only after `seconds`."""
        self._queue(Fault(LOST_ANSWER, seconds=seconds), n, path)

    def short_page_next(self, n: int = 1, *, rows: int = 1, path: str | None = None) -> None:
        """The next `n` matching pages lack `rows` rows that their `page_info` counts."""
        self._queue(Fault(SHORT_PAGE, amount=rows), n, path)

    def partial_success_next(self, n: int = 1, *, path: str | None = None) -> None:
        """The next `n` matching answers carry their data under code 20001."""
        self._queue(Fault(PARTIAL, code=PARTIAL_SUCCESS_CODE), n, path)

    def page_count_change_next(self, n: int = 1, *, by: int = 1, path: str | None = None) -> None:
        """The next `n` matching pages announce `total_page` changed by `by` (rows intact)."""
        self._queue(Fault(PAGE_COUNT, amount=by), n, path)

    def refuse_advertiser(
        self, advertiser_id: str, code: int = 40001, *, path: str | None = None
    ) -> None:
        """Every matching call about this advertiser answers `code` (no permission, ...)."""
        with self._lock:
            self._refused[advertiser_id] = (code, normalize_path(path) if path else None)

    def refuse_business_center(self, bc_id: str, code: int, *, path: str | None = None) -> None:
        """Every matching call about this Business Center (`bc_id`) answers `code`."""
        with self._lock:
            self._refused_centers[bc_id] = (code, normalize_path(path) if path else None)

    def refuse_account(
        self, business_id: str, code: int = 40130, *, path: str | None = None
    ) -> None:
        """Every matching call about this TikTok account answers `code` (scope not granted, ...)."""
        with self._lock:
            self._refused_accounts[business_id] = (code, normalize_path(path) if path else None)

    def clear(self) -> None:
        """Drop every pending, rate, advertiser and account fault."""
        with self._lock:
            self._pending.clear()
            self._rate = None
            self._refused.clear()
            self._refused_centers.clear()
            self._refused_accounts.clear()

    def pending(self) -> int:
        """How many one-shot faults have not fired yet."""
        with self._lock:
            return sum(item.remaining for item in self._pending)

    def take(self, path: str, params: dict[str, Any] | None = None) -> Fault | None:
        """The fault for this call, if any; consumes one-shot faults."""
        with self._lock:
            refusal = self._refusal(path, params or {})
            if refusal is not None:
                return refusal
            for item in self._pending:
                if item.path in {None, path}:
                    item.remaining -= 1
                    if item.remaining <= 0:
                        self._pending.remove(item)
                    return item.fault
            rate = self._rate
            if rate is None or rate.path not in {None, path} or not (rate.codes or rate.fault):
                return None
            rate.calls += 1
            draw = hash_ints(rate.seed, rate.calls)
        if draw / 2**64 >= rate.rate:
            return None
        if rate.fault is not None:
            return rate.fault
        code = rate.codes[(draw >> 7) % len(rate.codes)]
        return Fault(CODE, code=code, message=DEFAULT_MESSAGES.get(code, f"Injected error {code}."))

    def _refusal(self, path: str, params: dict[str, Any]) -> Fault | None:
        """The refusal of a call about a refused advertiser or account (caller holds the lock)."""
        business_id = params.get("business_id")
        refused = self._refused_accounts.get(str(business_id))
        if refused is not None and refused[1] in {None, path}:
            message = f"No permission to access the data of business {business_id}."
            return Fault(CODE, code=refused[0], message=message)
        bc_id = params.get("bc_id")
        refused = self._refused_centers.get(str(bc_id))
        if refused is not None and refused[1] in {None, path}:
            return Fault(CODE, code=refused[0], message=f"Business Center {bc_id} refused.")
        advertisers = params.get("advertiser_ids")
        named = [
            params.get("advertiser_id"),
            *(advertisers if isinstance(advertisers, list) else []),
        ]
        for advertiser_id in named:
            refused = self._refused.get(str(advertiser_id))
            if refused is not None and refused[1] in {None, path}:
                message = (
                    f"No permission to operate advertiser {advertiser_id}, "
                    "please check the authorization."
                )
                return Fault(CODE, code=refused[0], message=message)
        return None
