"""The HTTP transport shared by every stream: one rate limit, and no secrets in errors.

TikTok limits requests per app (10 per second on the default tier, reference 1.8), so all
streams of a run share one limiter. It sits in a `requests` transport adapter, the point every
attempt (first try and retries alike) passes through.
"""

from __future__ import annotations

import collections
import logging
import ssl
import threading
import time
import weakref
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, quote_plus, urlsplit

import requests
from requests.adapters import HTTPAdapter
from typing_extensions import override

from tap_tiktok_ads.latency import LatencyGauge

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

    # An endpoint's gate: given the general limiter's wait (counting nothing) and its take.
    EndpointGate = Callable[[Callable[[], None], Callable[[], bool]], None]

REDACTED = "***"
# TikTok counts requests per second when they arrive; network jitter can move a request sent
# just after a one-second window into it. A slightly longer window keeps a margin.
_WINDOW_SECONDS = 1.05


class RateLimiter:
    """Spaces requests to at most `rate` per second across threads and streams.

    When TikTok still answers "too many requests", `slow_down` halves the rate for a while;
    each success after that wins back a little, so the whole client adapts, not one request.
    """

    def __init__(
        self,
        rate: float,
        *,
        recovery_seconds: float = 30.0,
        pause_seconds: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        """Start at the configured rate.

        `recovery_seconds` is how long a slow-down lasts; `pause_seconds` how long every
        request waits after TikTok throttled one (its advice: retry the next second, 1.8).
        `clock` and `sleep` are the monotonic clock's, replaceable so that tests need not wait.
        """
        self._clock = clock
        self._sleep = sleep
        self.configured_rate = rate
        self.rate = rate
        self._recovery_seconds = recovery_seconds
        self._pause_seconds = pause_seconds
        self._next_slot = clock()
        self._sent: collections.deque[float] = collections.deque()
        self._lock = threading.Lock()
        self.waited_seconds = 0.0
        self.slow_downs = 0
        self._slowed_at = -1.0

    def acquire(self) -> None:
        """Block until this request may be sent, and count it as sent now.

        Two rules, both checked at the moment of sending: requests at least 1/rate apart,
        and no more than `rate` of them in any one second (TikTok counts per second, and a
        thread that wakes late must not let the next ones bunch up behind it).
        """
        while (delay := self._delay(take=True)) > 0:
            self._pause(delay)

    def wait_free(self) -> None:
        """Block until a request could be sent, without counting one (`try_take` does).

        For a caller with another check to pass before it sends (an endpoint quota, held
        across the run's general limiter): it counts with `try_take` once every check passes.
        """
        while (delay := self._delay(take=False)) > 0:
            self._pause(delay)

    def try_take(self) -> bool:
        """Count a request as sent now if the rules allow it; whether they did."""
        return self._delay(take=True) == 0

    def is_free(self) -> bool:
        """Whether the rules would let a request be sent now, without counting one."""
        return self._delay(take=False) == 0

    def _delay(self, *, take: bool) -> float:
        """Seconds until a request may be sent (0: now, and counted if `take`)."""
        with self._lock:
            now = self._clock()
            per_second = max(1, int(self.rate))
            while len(self._sent) > per_second:
                self._sent.popleft()
            earliest = max(now, self._next_slot)
            if len(self._sent) == per_second:
                earliest = max(earliest, self._sent[0] + _WINDOW_SECONDS)
            if earliest > now:
                return earliest - now
            if take:
                self._sent.append(now)
                if len(self._sent) > per_second:
                    self._sent.popleft()
                self._next_slot = now + 1.0 / self.rate
            return 0.0

    def _pause(self, seconds: float) -> None:
        with self._lock:
            self.waited_seconds += seconds
        self._sleep(seconds)

    def slow_down(self) -> None:
        """TikTok throttled us: pause, and halve the rate (not below one request per 2 s).

        Throttled answers within one second of the last halving are the same overload
        (TikTok counts per second, and the requests in flight meet it together): they
        pause, but do not halve the rate again.
        """
        with self._lock:
            now = self._clock()
            self._next_slot = max(self._next_slot, now + self._pause_seconds)
            if now - self._slowed_at < 1.0:
                return
            self._slowed_at = now
            self.rate = max(self.rate / 2, 0.5)
            self.slow_downs += 1

    def succeeded(self) -> None:
        """A request went through: move back toward the configured rate."""
        if self.rate >= self.configured_rate:
            return
        with self._lock:
            step = self.configured_rate / max(self._recovery_seconds * self.rate, 1.0)
            self.rate = min(self.configured_rate, self.rate + step)


class Redactor:
    """Replaces known secret values in text (URLs with `secret=`, exception messages).

    Worker threads mask messages while a token refresh adds a secret: `add` replaces the
    tuple that `__call__` reads instead of changing a set it may be iterating.
    """

    def __init__(self, secrets: Iterable[str | None] = ()) -> None:
        """Remember the secrets; short values are ignored so that no word gets masked."""
        self._lock = threading.Lock()
        self._secrets: tuple[str, ...] = ()  # longest first, so no secret is masked in part
        self.add(*secrets)

    def add(self, *secrets: str | None) -> None:
        """Add secrets learnt during the run (a refreshed token).

        Each also in its URL-encoded forms: `secret` travels in a query string, and
        urllib3's debug log writes the URL as sent.
        """
        min_length = 4
        new = {
            form
            for secret in secrets
            if secret and len(secret) >= min_length
            for form in (secret, quote(secret, safe=""), quote_plus(secret))
        }
        with self._lock:
            self._secrets = tuple(sorted(new.union(self._secrets), key=len, reverse=True))

    def __bool__(self) -> bool:
        """Whether there is anything to mask."""
        return bool(self._secrets)

    def __call__(self, text: str) -> str:
        """The text with every secret replaced by `***`."""
        for secret in self._secrets:
            text = text.replace(secret, REDACTED)
        return text


class RedactingFilter(logging.Filter):
    """Masks the secrets of every live run in each log record a handler writes.

    Sits on the root logger's handlers, so it covers every logger (ours, the SDK's,
    urllib3's debug lines with full URLs) and tracebacks, whatever the log level.
    """

    def __init__(self) -> None:
        """Start without secrets; runs add their redactors."""
        super().__init__()
        self.redactors: weakref.WeakSet[Redactor] = weakref.WeakSet()

    def redact(self, text: str) -> str:
        """The text with every known secret masked."""
        for redactor in list(self.redactors):
            text = redactor(text)
        return text

    @override
    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrite the record's message and traceback text; never drop a record."""
        if not any(self.redactors):
            return True
        try:
            message = record.getMessage()
        except (TypeError, ValueError):
            message = str(record.msg)
        redacted = self.redact(message)
        if redacted != message:
            record.msg, record.args = redacted, ()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.redact(record.exc_text)
        return True


_LOG_FILTER = RedactingFilter()


def redact_logs(redactor: Redactor) -> None:
    """Mask this run's secrets in every handler of the root logger (idempotent)."""
    _LOG_FILTER.redactors.add(redactor)
    for handler in logging.getLogger().handlers:
        if _LOG_FILTER not in handler.filters:
            handler.addFilter(_LOG_FILTER)


class HostUnreachableError(requests.ConnectionError):
    """The API host cannot be talked to, in a way that a retry does not outlast.

    TikTok's hosts sit behind load balancers that accept connections and speak TLS, so a
    refused connection or a failed handshake means the URL, the fake API, a proxy or the
    certificates are wrong: a short budget of its own, `RETRIES` retries, each after at most
    `MAX_WAIT_SECONDS`, instead of minutes of retries.
    """

    RETRIES = 2
    MAX_WAIT_SECONDS = 1.0

    def __init__(self, origin: str, what: str, **kwargs: Any) -> None:  # noqa: ANN401
        """`origin` is scheme, host and port only: never a path or query (secrets)."""
        super().__init__(what, **kwargs)
        self.origin = origin

    ADVICE = ""  # what to check, by kind

    def help(self, attempts: int, seconds: float) -> str:
        """What failed and what to check, for the run's last message."""
        return (
            f"Cannot reach the TikTok API: {self.args[0]} ({attempts} attempts in "
            f"{seconds:.1f} s). {self.ADVICE}"
        )


class HostRefusedError(HostUnreachableError):
    """Nothing listens at the API host: the URL, the fake API or the network is wrong."""

    ADVICE = (
        "Check that `api_base_url` is right; if it points at the fake API, that the fake is "
        "running (scripts/fake-api); else your network, firewall or proxy settings (HTTPS_PROXY)."
    )

    def __init__(self, origin: str, **kwargs: Any) -> None:  # noqa: ANN401
        """`origin` as for every unreachable host."""
        super().__init__(origin, f"{origin} refused the connection", **kwargs)


class TlsFailedError(HostUnreachableError, requests.exceptions.SSLError):
    """The TLS handshake with the API host failed, which waiting does not mend.

    `https://` at a plain-HTTP port, a proxy that intercepts TLS, or certificates that do not
    verify.
    """

    ADVICE = (
        "Check that `api_base_url` is right (https:// for TikTok's hosts, http:// for the fake "
        "API); if a proxy (HTTPS_PROXY) or firewall inspects TLS, that its CA certificate is "
        "trusted (REQUESTS_CA_BUNDLE); else that the system's CA certificates are current."
    )

    def __init__(self, origin: str, reason: str, **kwargs: Any) -> None:  # noqa: ANN401
        """`reason` is the TLS library's own words, which name no URL."""
        super().__init__(origin, f"the TLS handshake with {origin} failed: {reason}", **kwargs)


# TLS failures that say the client and the host disagree (plain HTTP at the port, no shared
# protocol or cipher, a host name or certificate the other side does not accept): every
# attempt meets them again. Plain HTTP at the port is WRONG_VERSION_NUMBER with OpenSSL 3.0
# and RECORD_LAYER_FAILURE or PACKET_LENGTH_TOO_LONG with 3.2 and later. Others, such as a
# handshake cut short (`SSLEOFError`: a load balancer or proxy dropping the connection), are
# the network's blips and get the usual retries.
_LASTING_TLS_REASONS = frozenset(
    {
        "WRONG_VERSION_NUMBER",
        "RECORD_LAYER_FAILURE",
        "PACKET_LENGTH_TOO_LONG",
        "TLSV1_UNRECOGNIZED_NAME",
        "UNSAFE_LEGACY_RENEGOTIATION_DISABLED",
        "NO_PROTOCOLS_AVAILABLE",
        "UNKNOWN_PROTOCOL",
        "HTTP_REQUEST",
        "UNSUPPORTED_PROTOCOL",
        "TLSV1_ALERT_PROTOCOL_VERSION",
        "SSLV3_ALERT_HANDSHAKE_FAILURE",
        "TLSV1_ALERT_UNKNOWN_CA",
        "CERTIFICATE_VERIFY_FAILED",
    }
)


def _lasting(tls: BaseException | None) -> bool:
    """Whether a TLS failure is one waiting does not mend (`_LASTING_TLS_REASONS`)."""
    if isinstance(tls, ssl.SSLCertVerificationError):
        return True
    return isinstance(tls, ssl.SSLError) and getattr(tls, "reason", None) in _LASTING_TLS_REASONS


def _cause(error: BaseException, kind: type[BaseException]) -> BaseException | None:
    """The first error of `kind` among a transport error and its causes, if any."""
    seen: set[int] = set()
    pending: list[BaseException] = [error]
    while pending:
        current = pending.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, kind):
            return current
        linked = [current.__cause__, current.__context__, getattr(current, "reason", None)]
        pending += [e for e in [*linked, *current.args] if isinstance(e, BaseException)]
    return None


def _origin(url: str | None) -> str:
    """`scheme://host:port` of a URL."""
    parts = urlsplit(url or "")
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{parts.hostname or ''}{port}"


class RunStoppedError(RuntimeError):
    """The run is ending (it failed or finished): no further request may be sent."""


class TikTokAdapter(HTTPAdapter):
    """Waits for the shared rate limiter and redacts secrets from transport errors."""

    def __init__(
        self,
        limiter: RateLimiter,
        redactor: Redactor,
        stopping: threading.Event,
        *,
        max_in_flight: int,
        endpoint_gates: dict[str, EndpointGate] | None = None,
    ) -> None:
        """Share one limiter, one redactor and the run's stop signal with the whole run.

        `endpoint_gates` maps the path of an endpoint with a quota of its own to its gate:
        the gate waits for the quota, then runs the wait for the general limiter while it
        holds the endpoint, and takes the general slot and counts the request only when both
        let it go (a slot taken and not used would waste the app's rate). So the
        general limiter's wait is never between an endpoint's count and the send, and two
        requests to that endpoint leave at least its spacing apart. The connection pool
        keeps one connection per request that can be in flight at once; a smaller pool
        would close and reopen connections under load.
        """
        super().__init__(pool_connections=4, pool_maxsize=max_in_flight)
        self.limiter = limiter
        self.endpoint_gates = endpoint_gates or {}
        self.redactor = redactor
        self.stopping = stopping
        self.requests_sent = 0
        self.latency = LatencyGauge()
        self._count_lock = threading.Lock()

    @override
    def send(  # type: ignore[override]
        self,
        request: requests.PreparedRequest,
        *args: Any,
        **kwargs: Any,
    ) -> requests.Response:
        """Send one attempt once the limiters allow it, unless the run is ending."""
        self._refuse_if_stopping()
        gate = self._gate_for(urlsplit(request.url or "").path)
        if gate is None:
            self._general_turn()
        else:
            gate(self._general_wait, self.limiter.try_take)
        with self._count_lock:
            self.requests_sent += 1
        ticket = self.latency.started()
        try:
            return super().send(request, *args, **kwargs)
        except requests.RequestException as exc:
            if isinstance(exc, requests.ConnectionError) and _cause(exc, ConnectionRefusedError):
                raise HostRefusedError(_origin(request.url), request=request) from None
            tls = (
                _cause(exc, ssl.SSLError) if isinstance(exc, requests.exceptions.SSLError) else None
            )
            if _lasting(tls):
                reason = self.redactor(str(tls))
                raise TlsFailedError(_origin(request.url), reason, request=request) from None
            # requests puts the full URL (query included) in its messages.
            raise type(exc)(self.redactor(str(exc)), request=request) from None
        finally:
            self.latency.finished(ticket)

    def _gate_for(self, path: str) -> EndpointGate | None:
        for endpoint, gate in self.endpoint_gates.items():
            if path.endswith(endpoint):
                return gate
        return None

    def _general_turn(self) -> None:
        """The general limiter's wait: the last one before the send."""
        self._refuse_if_stopping()
        self.limiter.acquire()
        self._refuse_if_stopping()  # the run may have ended while this attempt waited

    def _general_wait(self) -> None:
        """Wait for the general limiter without counting: a gate takes its slot once free."""
        self._refuse_if_stopping()
        self.limiter.wait_free()
        self._refuse_if_stopping()  # the run may have ended while this attempt waited

    def _refuse_if_stopping(self) -> None:
        if self.stopping.is_set():
            msg = "The run is ending: request not sent."
            raise RunStoppedError(msg)


def build_session(adapter: TikTokAdapter, user_agent: str) -> requests.Session:
    """A session whose every request goes through the shared adapter."""
    session = requests.Session()
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    session.headers["User-Agent"] = user_agent
    return session
