"""What all streams of one run share: settings, the HTTP session, its rate limit, counters.

Built once by the tap and handed to every stream, so that a limit of N requests per second
holds for the run as a whole and the advertisers are looked up once.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import cached_property
from importlib.metadata import version
from typing import TYPE_CHECKING

from tap_tiktok_ads.transport import RateLimiter, Redactor, TikTokAdapter, build_session

if TYPE_CHECKING:
    import logging

    import requests

    from tap_tiktok_ads.settings import Settings
    from tap_tiktok_ads.streams.advertisers import AdvertiserDirectory


@dataclass
class SyncStats:
    """Counters of what the run cost, logged at the end."""

    retries: int = 0
    rate_limited: int = 0


@dataclass(frozen=True)
class Advertiser:
    """An ad account and what reports depend on: its time zone and currency."""

    advertiser_id: str
    timezone: str
    currency: str | None = None
    name: str | None = None


@dataclass
class Runtime:
    """The run-wide shared objects."""

    settings: Settings
    stats: SyncStats = field(default_factory=SyncStats)
    directory: AdvertiserDirectory | None = None

    _totals_logged: bool = False

    def log_totals_once(self, logger: logging.Logger) -> None:
        """Log what the run cost (requests, retries, throttling) once per run."""
        if self._totals_logged or not self.adapter.requests_sent:
            return
        self._totals_logged = True
        logger.info(
            "TikTok requests sent: %d, retries: %d, rate limited: %d, "
            "waited for the rate limit: %.1f s",
            self.adapter.requests_sent,
            self.stats.retries,
            self.stats.rate_limited,
            self.limiter.waited_seconds,
        )

    @cached_property
    def executor(self) -> ThreadPoolExecutor | None:
        """Worker threads for requests in flight; None when `max_concurrency` is 1."""
        workers = self.settings.max_concurrency
        return ThreadPoolExecutor(workers, thread_name_prefix="tiktok") if workers > 1 else None

    @cached_property
    def redactor(self) -> Redactor:
        """Masks every configured secret in messages."""
        return Redactor(self.settings.secrets())

    @cached_property
    def limiter(self) -> RateLimiter:
        """The one limiter for all requests of the run."""
        return RateLimiter(self.settings.max_requests_per_second)

    @cached_property
    def adapter(self) -> TikTokAdapter:
        """The transport adapter carrying the limiter."""
        return TikTokAdapter(self.limiter, self.redactor)

    @cached_property
    def session(self) -> requests.Session:
        """The one HTTP session for all requests of the run."""
        return build_session(self.adapter, f"tap-tiktok-ads/{version('tap-tiktok-ads')}")
