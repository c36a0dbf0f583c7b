"""What all streams of one run share: settings, the HTTP session, its rate limit, counters.

Built once by the tap and handed to every stream, so that a limit of N requests per second
holds for the run as a whole and the advertisers are looked up once.
"""

from __future__ import annotations

import logging
import math
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import cached_property
from importlib.metadata import version
from typing import TYPE_CHECKING

from tap_tiktok_ads.advertisers import AdvertiserDirectory
from tap_tiktok_ads.allocator import return_large_buffers
from tap_tiktok_ads.dates import local_today
from tap_tiktok_ads.errors import (
    ACCOUNT_HELP,
    FATAL_HELP,
    RetriesExhaustedError,
    TikTokFatalError,
)
from tap_tiktok_ads.id_batches import AdCensus
from tap_tiktok_ads.permissions import PermissionSkips
from tap_tiktok_ads.query_shapes import ShapeWatch
from tap_tiktok_ads.query_size import TimeoutWatch
from tap_tiktok_ads.quotas import ENDPOINT_QUOTAS, EndpointLimiter
from tap_tiktok_ads.run_log import PROGRESS_LOGGER, RunLog
from tap_tiktok_ads.task_quota import TaskQuota
from tap_tiktok_ads.top_view import TopViewCensus
from tap_tiktok_ads.transport import RateLimiter, Redactor, TikTokAdapter, build_session

if TYPE_CHECKING:
    import requests

    from tap_tiktok_ads.settings import Settings


@dataclass
class SyncStats:
    """Counters of what the run cost, logged at the end; worker threads count too."""

    retries: int = 0
    rate_limited: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def count_retry(self) -> None:
        """One more retry of a request."""
        with self._lock:
            self.retries += 1

    def count_rate_limited(self) -> None:
        """One more answer that TikTok throttled."""
        with self._lock:
            self.rate_limited += 1


ADVERTISERS = "advertiser(s)"
TIKTOK_ACCOUNTS = "TikTok account(s)"
# TikTok accounts in a row whose retries ran out on the same fault, after which the run stops:
# TikTok (or the way to it) is failing for every account, and each account left would spend
# a whole retry budget (`max_retries`, `max_retry_seconds`) to learn the same. Fewer would
# let two neighbours with lasting faults of their own keep the accounts after them from ever
# syncing (config order is the order of every run).
ACCOUNTS_FAILING_ALIKE = 3
_RETRY_FIX = (
    "TikTok or the network kept failing for them: run the tap again later, each resumes "
    "from its state."
)


@dataclass(frozen=True)
class Failure:
    """One advertiser or TikTok account this run could not read, and how to fix that."""

    refusal: str  # what TikTok refused, e.g. "access to" or "the refresh token of"
    noun: str  # "advertiser(s)" or "TikTok account(s)"
    key: str  # the advertiser ID or business_id
    code: int | None
    where: str | None  # the path TikTok refused, when it matters
    fix: str
    # The fault retries did not outlast ("TikTok error 50002"), when TikTok refused nothing.
    cause: str | None = None


class FailureRegistry:
    """Advertisers and accounts that failed in this run: skipped, logged once, raised at the end.

    A refusal that concerns one advertiser or one TikTok account must neither stop the others
    nor hide what was synced for them. Each stream asks `failed` before reading one; the tap
    calls `raise_if_any` after the last stream, so the run still ends non-zero, with one
    message that lists each failure with its code and fix.
    """

    def __init__(self) -> None:
        """Start with no failures."""
        self._failures: dict[tuple[str, str], Failure] = {}
        # The TikTok accounts whose retries ran out on one fault, none answering in between.
        self._alike_in_a_row: list[Failure] = []
        self._lock = threading.Lock()

    def add(self, failure: Failure, detail: str, logger: logging.Logger) -> None:
        """Record a failure (the first one per advertiser or account wins) and log it once."""
        with self._lock:
            if (failure.noun, failure.key) in self._failures:
                return
            self._failures[failure.noun, failure.key] = failure
        logger.error(
            "%s Skipping %s %s for the rest of the run; the others go on, and the run ends "
            "with an error.",
            detail,
            failure.noun.removesuffix("(s)"),
            failure.key,
        )

    def advertiser_refused(
        self, advertiser_id: str, error: Exception, logger: logging.Logger
    ) -> bool:
        """Record TikTok's refusal of one advertiser; False for errors that stop the run."""
        if not isinstance(error, TikTokFatalError) or not error.concerns_one_advertiser:
            return False
        fix = FATAL_HELP.get(error.code or 0, "")
        failure = Failure("access to", ADVERTISERS, advertiser_id, error.code, error.where, fix)
        self.add(failure, f"Advertiser {advertiser_id}: {error}", logger)
        return True

    def advertiser_failed(self, advertiser_id: str) -> bool:
        """Whether TikTok refused this advertiser earlier in the run."""
        return self.failed(ADVERTISERS, advertiser_id) is not None

    def account_refused(
        self,
        business_id: str,
        error: Exception,
        logger: logging.Logger,
        fix: str | None = None,
    ) -> bool:
        """Record TikTok's refusal of one TikTok account; False for errors that stop the run.

        `fix` is the stream's own help when it knows more (which scope, which fields).
        """
        if not isinstance(error, TikTokFatalError) or not error.concerns_one_account:
            return False
        failure = Failure(
            "access to", TIKTOK_ACCOUNTS, business_id, error.code, error.where, fix or ACCOUNT_HELP
        )
        self.add(failure, f"TikTok account {business_id}: {error}", logger)
        return True

    def account_gave_up(
        self, business_id: str, error: RetriesExhaustedError, logger: logging.Logger
    ) -> None:
        """Record a TikTok account whose retries ran out: skipped, its bookmark stays.

        A lasting server error of one account must not stop the others. Unless it is the
        `ACCOUNTS_FAILING_ALIKE`th account in a row (no account answered in between) whose
        retries ran out on the same fault: TikTok is failing for all of them, and the run
        stops here, naming them, instead of spending a retry budget on each account left.
        """
        failure = Failure(
            "requests for",
            TIKTOK_ACCOUNTS,
            business_id,
            None,
            error.where,
            _RETRY_FIX,
            error.cause,
        )
        self.add(failure, f"TikTok account {business_id}: {error}", logger)
        with self._lock:
            alike = [f for f in self._alike_in_a_row if f.cause == failure.cause]
            self._alike_in_a_row = in_a_row = [*alike, failure]
        if len(in_a_row) < ACCOUNTS_FAILING_ALIKE:
            return
        names = ", ".join(f.key for f in in_a_row)
        msg = (
            f"{failure.cause} outlasted the retries of {len(in_a_row)} TikTok accounts in a "
            f"row ({names}): TikTok seems to fail for every account, so the run stops without "
            f"trying the accounts left. {self._listing()}"
        )
        raise TikTokFatalError(msg)

    def account_answered(self) -> None:
        """A TikTok account was read (or refused): TikTok is not failing for every account."""
        with self._lock:
            self._alike_in_a_row = []

    def account_failed(self, business_id: str) -> bool:
        """Whether TikTok refused this account (or its refresh token) earlier in the run."""
        return self.failed(TIKTOK_ACCOUNTS, business_id) is not None

    def failed(self, noun: str, key: str) -> Failure | None:
        """The failure of this advertiser or account in this run, if any."""
        with self._lock:
            return self._failures.get((noun, key))

    def raise_if_any(self) -> None:
        """Fail the run with one message naming every failed advertiser and account."""
        listing = self._listing()
        if not listing:
            return
        raise TikTokFatalError(
            f"{listing} The other advertisers and accounts were synced; fix these and run "
            "again, the state resumes where each one stopped."
        )

    def _listing(self) -> str:
        """Every failure so far, grouped by what failed and its fix; empty when none."""
        with self._lock:
            failures = list(self._failures.values())
        groups: dict[tuple[str, str, str, bool], list[Failure]] = {}
        for failure in failures:
            key = (failure.refusal, failure.noun, failure.fix, failure.cause is not None)
            groups.setdefault(key, []).append(failure)
        parts = []
        for (refusal, noun, fix, gave_up), members in groups.items():
            listed = ", ".join(f"{f.key}{_error_of(f)}" for f in members)
            what = "Retries ran out on" if gave_up else "TikTok refused"
            parts.append(f"{what} {refusal} {len(members)} {noun}: {listed}. {fix}")
        return " ".join(parts)


def _error_of(failure: Failure) -> str:
    """A failure's TikTok code, or the fault retries did not outlast, and path; or nothing.

    Nothing when the tap itself found the failure.
    """
    where = f" on {failure.where}" if failure.where else ""
    if failure.cause is not None:
        return f" ({failure.cause}{where})"
    if failure.code is None:
        return ""
    return f" (TikTok error {failure.code}{where})"


@dataclass
class Runtime:
    """The run-wide shared objects."""

    settings: Settings
    log_name: str = "tap-tiktok-ads"  # the tap's logger, parent of the progress logger
    stats: SyncStats = field(default_factory=SyncStats)
    failures: FailureRegistry = field(default_factory=FailureRegistry)
    # Opt-in streams TikTok refused for lack of permission: warned, listed at the end.
    permission_skips: PermissionSkips = field(default_factory=PermissionSkips)
    # Set when the sync ends: retry waits end early and no further request is sent.
    stopping: threading.Event = field(default_factory=threading.Event)

    _totals_logged: bool = False

    @cached_property
    def directory(self) -> AdvertiserDirectory:
        """The run's advertisers; the tap resolves them when the sync starts."""
        return AdvertiserDirectory(self.settings, self.failures.advertiser_failed)

    def close(self) -> None:
        """End the run's requests: queued ones are cancelled, running ones stop.

        Called when the sync ends, whether it succeeded or failed: after a fatal error the
        requests read ahead for other advertisers must neither go on nor keep the process
        alive. When this returns, the worker threads are gone; a request already on the
        wire is the only thing waited for.
        """
        self.stopping.set()
        executor = self.__dict__.get("executor")
        if executor is not None:
            executor.shutdown(wait=True, cancel_futures=True)

    def log_totals_once(self, logger: logging.Logger) -> None:
        """Log the rows and seconds per stream, then what the run cost, once per run.

        The cost line comes last and keeps its wording: benchmarks/run.py reads it.
        """
        if self._totals_logged or not (self.adapter.requests_sent or self.run_log.tallies):
            return
        self._totals_logged = True
        top_view = self.__dict__.get("top_view")
        for line in [
            *self.run_log.table_lines(),
            *self.permission_skips.summary_lines(),
            *(top_view.summary_lines() if top_view is not None else ()),
        ]:
            logger.info(line)
        logger.info(
            "TikTok requests sent: %d, retries: %d, rate limited: %d, "
            "waited for the rate limit: %.1f s, async report tasks created: %d",
            self.adapter.requests_sent,
            self.stats.retries,
            self.stats.rate_limited,
            self.limiter.waited_seconds,
            self.task_quota.created,
        )

    @cached_property
    def run_log(self) -> RunLog:
        """The run's progress lines and end-of-run table (`tap-tiktok-ads.progress`)."""
        return RunLog(
            logging.getLogger(self.log_name).getChild(PROGRESS_LOGGER),
            self.settings.progress_interval_seconds,
        )

    @cached_property
    def timeout_watch(self) -> TimeoutWatch:
        """Report queries TikTok found too heavy, counted like TikTok counts them."""
        return TimeoutWatch(self.limiter)

    @cached_property
    def shape_watch(self) -> ShapeWatch:
        """Report requests and timeouts per kind of query and day (query_shapes.py)."""
        return ShapeWatch(lambda: local_today("UTC"))

    @cached_property
    def ad_census(self) -> AdCensus:
        """Advertisers over TikTok's report ad cap, shared by the report streams."""
        return AdCensus()

    @cached_property
    def top_view(self) -> TopViewCensus:
        """Advertisers with TopView campaigns, whose report rows need a pass of their own."""
        return TopViewCensus()

    @cached_property
    def task_quota(self) -> TaskQuota:
        """The limits of asynchronous report task creation, shared by every report stream."""
        return TaskQuota()

    @cached_property
    def executor(self) -> ThreadPoolExecutor | None:
        """Worker threads for requests in flight; None when `max_concurrency` is 1."""
        workers = self.settings.max_concurrency
        if workers == 1:
            return None
        return_large_buffers()
        return ThreadPoolExecutor(workers, thread_name_prefix="tiktok")

    def in_flight_target(self) -> int:
        """Requests in flight that keep the configured rate going: rate x latency, plus one.

        The limiter's current rate (lower after TikTok throttled) and the latency observed
        so far; `max_concurrency` bounds it where it is used.
        """
        return math.ceil(self.limiter.rate * self.adapter.latency.seconds()) + 1

    @cached_property
    def redactor(self) -> Redactor:
        """Masks every configured secret in messages."""
        return Redactor(self.settings.secrets())

    @cached_property
    def limiter(self) -> RateLimiter:
        """The one limiter for all requests of the run.

        After a throttled request everything pauses as long as the first retry waits
        (`retry_initial_wait_seconds`, by default TikTok's "retry the next second").
        """
        return RateLimiter(
            self.settings.max_requests_per_second,
            pause_seconds=min(1.0, self.settings.retry_initial_wait_seconds),
        )

    @cached_property
    def endpoint_limiters(self) -> dict[str, EndpointLimiter]:
        """One limiter per endpoint with a quota of its own, shared by the whole run."""
        pause = min(1.0, self.settings.retry_initial_wait_seconds)
        return {
            quota.path: EndpointLimiter(quota, pause_seconds=pause) for quota in ENDPOINT_QUOTAS
        }

    def limiter_for(self, path: str) -> RateLimiter | EndpointLimiter:
        """The limiter that TikTok's throttling of `path` concerns: its own, or the general one."""
        return self.endpoint_limiters.get(path, self.limiter)

    def throttled(self, path: str) -> None:
        """TikTok throttled a call of `path`: slow the limiter it concerns, and count it."""
        self.limiter_for(path).slow_down()
        self.stats.count_rate_limited()

    @cached_property
    def adapter(self) -> TikTokAdapter:
        """The transport adapter carrying the limiters."""
        # The worker threads, and the thread that writes records, which sends requests too.
        max_in_flight = self.settings.max_concurrency + 1
        return TikTokAdapter(
            self.limiter,
            self.redactor,
            self.stopping,
            max_in_flight=max_in_flight,
            endpoint_gates={
                path: limiter.acquire for path, limiter in self.endpoint_limiters.items()
            },
        )

    @cached_property
    def session(self) -> requests.Session:
        """The one HTTP session for all requests of the run."""
        return build_session(self.adapter, f"tap-tiktok-ads/{version('tap-tiktok-ads')}")
