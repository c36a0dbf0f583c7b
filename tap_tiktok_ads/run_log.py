"""What the run tells a person at INFO: where it is, how far it got, and what it cost.

The SDK logs at INFO one METRIC line per request, one line per deselected stream and one
"Starting incremental sync ... bookmark value" line per partition, with the raw bookmark or
`start_date` ("30"). Those go to DEBUG here (METRIC lines come back with `log_metrics`); the
run logs instead, at most every `progress_interval_seconds`, which stream, advertiser and
days it reads, the rows so far and the time left, and at its end a table of rows and
seconds per stream. Rows are counted by the SDK's own record counter
(`Stream.get_record_counter`), so they are the RECORD messages the run emitted.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from singer_sdk import metrics
from typing_extensions import override

if TYPE_CHECKING:
    import datetime as dt
    from collections.abc import Callable, Iterable
    from types import TracebackType

    from singer_sdk.helpers.types import Context
    from typing_extensions import Self

# The SDK's (and backoff's) log formats that a person does not need at INFO. Matched on the
# unformatted message, which these libraries pass as a constant.
_SDK_CHATTER = (
    "Skipping deselected stream '%s'.",  # Tap.sync_all
    "Beginning sync of '%s' in %s mode",  # Stream.sync; the run's start line replaces it
    "Starting incremental sync of '%s' with bookmark value: %s",  # StreamStateManager
    "Backing off %s(...) for %.1fs (%s)",  # backoff; the tap logs each retry as a warning
    "Giving up %s(...) after %d tries (%s)",  # backoff; the run's last message says it all
    "Pagination stopped after %d pages because no records were found in the last response",
)
_METRIC = "METRIC: %s"  # singer_sdk.metrics.log
PROGRESS_LOGGER = "progress"  # child of the tap's logger: `tap-tiktok-ads.progress`


class DemoteSdkChatter(logging.Filter):
    """Moves the SDK's per-request and per-stream INFO lines to DEBUG.

    Sits on the loggers that write them; a line is kept, as DEBUG, only where DEBUG is on
    (`TAP_TIKTOK_ADS_LOGLEVEL=DEBUG`, or Meltano's `--log-level=debug`), so nothing is lost
    to someone who asks for it.
    """

    def __init__(self, *, keep_metrics: bool) -> None:
        """`keep_metrics`: leave METRIC lines at INFO (the `log_metrics` setting)."""
        super().__init__()
        self.keep_metrics = keep_metrics

    def is_chatter(self, record: logging.LogRecord) -> bool:
        """Whether the record is one of the SDK's lines that belong at DEBUG."""
        message = str(record.msg)
        if message == _METRIC:
            return not self.keep_metrics
        return message.startswith(_SDK_CHATTER)

    @override
    def filter(self, record: logging.LogRecord) -> bool:
        """Demote chatter to DEBUG, or drop it where DEBUG is off; pass everything else."""
        if record.levelno <= logging.DEBUG or not self.is_chatter(record):
            return True
        debug_on = logging.getLogger(record.name).isEnabledFor(logging.DEBUG)
        # Meltano's log config (`meltano --log-level=debug`) sets the root logger's level.
        if not (debug_on or logging.getLogger().isEnabledFor(logging.DEBUG)):
            return False
        record.levelno, record.levelname = logging.DEBUG, logging.getLevelName(logging.DEBUG)
        return True


def quiet_sdk_logs(loggers: Iterable[logging.Logger], *, log_metrics: bool) -> None:
    """Put the chatter filter on these loggers and the SDK's metrics logger (idempotent)."""
    for logger in [*loggers, metrics.get_metrics_logger()]:
        for existing in [f for f in logger.filters if isinstance(f, DemoteSdkChatter)]:
            logger.removeFilter(existing)
        logger.addFilter(DemoteSdkChatter(keep_metrics=log_metrics))


@dataclass
class StreamTally:
    """One stream's rows and time in this run."""

    rows: int = 0
    started: float = 0.0
    ended: float | None = None

    def seconds(self, now: float) -> float:
        """Seconds the stream took (so far)."""
        return (self.ended if self.ended is not None else now) - self.started


@dataclass(frozen=True)
class Partition:
    """Partition `index` of `total` of a stream, and whose data it is ("advertiser 123")."""

    whose: str = ""
    index: int = 0
    total: int = 0


@dataclass
class _Position:
    """Where the stream being synced is: its partition, and the share of it done."""

    stream: str
    partition: Partition = field(default_factory=Partition)
    days: str = ""
    share_of_partition: float = 0.0


@dataclass
class RunLog:
    """The run's progress lines and its end-of-run table; one per run, shared by all streams.

    `interval` is the least time between two progress lines; the first partition of each
    stream always says where it starts. Called from the thread that writes the records.
    """

    logger: logging.Logger
    interval: float
    clock: Callable[[], float] = time.monotonic
    tallies: dict[str, StreamTally] = field(default_factory=dict)
    _position: _Position | None = None
    _last_line: float = float("-inf")
    _said_once: set[str] = field(default_factory=set)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    # --- what the streams report ----------------------------------------------------

    def stream_started(self, stream: str) -> None:
        """A stream begins to sync."""
        self.tallies[stream] = StreamTally(started=self.clock())
        self._position = _Position(stream)

    def stream_ended(self, stream: str) -> None:
        """A stream has synced all its partitions."""
        tally = self.tallies.get(stream)
        if tally is not None:
            tally.ended = self.clock()

    def partition_started(self, stream: str, partition: Partition, mode: str, start: str) -> None:
        """A partition of `stream` begins; `start` says from where, in words.

        The first partition of a stream is always logged; the others like progress lines.
        """
        self._position = _Position(stream, partition)
        line = f"Starting {mode} of '{stream}'"
        if partition.whose:
            line += f" for {partition.whose}"
        if partition.total > 1:
            line += f" ({partition.index} of {partition.total})"
        if start:
            line += f": {start}"
        self._say(line, force=partition.index == 1)

    def window(self, stream: str, window: Days, plan: Days) -> None:
        """The stream now emits the rows of this date window of the partition's plan."""
        position = self._position
        if position is None or position.stream != stream:
            return
        position.days = (
            f"day {window.start}"
            if window.start == window.end
            else f"days {window.start} to {window.end}"
        )
        total_days = (plan.end - plan.start).days + 1
        if total_days > 0:
            position.share_of_partition = (window.start - plan.start).days / total_days
        self._say(self._progress_line())

    def rows(self, stream: str, count: int) -> None:
        """`count` more records of `stream` were emitted."""
        tally = self.tallies.get(stream)
        if tally is None:
            tally = self.tallies[stream] = StreamTally(started=self.clock())
        tally.rows += count
        if self.clock() - self._last_line >= self.interval:  # checked first: runs per record
            self._say(self._progress_line())

    def once(self, key: str, logger: logging.Logger, message: str) -> None:
        """Log a line at INFO once per run, however many streams meet its cause."""
        with self._lock:
            if key in self._said_once:
                return
            self._said_once.add(key)
        logger.info(message)

    # --- what the run logs ------------------------------------------------------------

    def _progress_line(self) -> str:
        position = self._position
        if position is None:
            return ""
        tally = self.tallies.get(position.stream, StreamTally(started=self.clock()))
        parts = [position.stream]
        partition = position.partition
        if partition.whose:
            of = f" ({partition.index} of {partition.total})" if partition.total > 1 else ""
            parts.append(partition.whose + of)
        if position.days:
            parts.append(position.days)
        parts.append(f"{tally.rows:,} rows so far")
        left = self._seconds_left(position, tally)
        if left is not None:
            parts.append(f"about {_duration(left)} left")
        return ", ".join(parts)

    def _seconds_left(self, position: _Position, tally: StreamTally) -> float | None:
        """The stream's time left, from the share of its partitions done; None when unknown."""
        partition = position.partition
        if partition.total < 1:
            return None
        done = (partition.index - 1 + position.share_of_partition) / partition.total
        elapsed = tally.seconds(self.clock())
        if done <= 0 or elapsed < 1:
            return None
        return elapsed * (1 - done) / done

    def _say(self, line: str, *, force: bool = False) -> None:
        """Log a progress line at INFO if due (or forced), else at DEBUG."""
        if not line:
            return
        now = self.clock()
        if force or now - self._last_line >= self.interval:
            self._last_line = now
            self.logger.info(line)
        else:
            self.logger.debug(line)

    def table_lines(self) -> list[str]:
        """Rows and seconds per synced stream, in the order they synced."""
        if not self.tallies:
            return []
        now = self.clock()
        width = max(len("stream"), *(len(name) for name in self.tallies))
        lines = [
            "Rows and seconds per stream:",
            f"{'stream':<{width}}  {'rows':>10}  {'seconds':>8}",
        ]
        lines += [
            f"{name:<{width}}  {tally.rows:>10,}  {tally.seconds(now):>8.1f}"
            for name, tally in self.tallies.items()
        ]
        total_rows = sum(t.rows for t in self.tallies.values())
        total_seconds = sum(t.seconds(now) for t in self.tallies.values())
        lines.append(f"{'all streams':<{width}}  {total_rows:>10,}  {total_seconds:>8.1f}")
        return lines


def _duration(seconds: float) -> str:
    """`42 s`, `3 min`, `2 h 5 min`: as precise as a person needs."""
    if seconds < 90:  # noqa: PLR2004
        return f"{max(1, round(seconds))} s"
    minutes = round(seconds / 60)
    if minutes < 90:  # noqa: PLR2004
        return f"{minutes} min"
    return f"{minutes // 60} h {minutes % 60} min"


class Days(Protocol):
    """A range of days: a report window, or the days a run reads for one advertiser."""

    @property
    def start(self) -> dt.date:
        """The first day."""

    @property
    def end(self) -> dt.date:
        """The last day."""


def read_plan_words(
    plan: Days,
    stored: str | None,
    start_date: str,
    attribution_window_days: int,
    based_on: str | None,
) -> str:
    """The days a report reads for one advertiser, and why from that day.

    `based_on` is the bookmark the days are read from: the state's (`stored`), or an earlier
    day when the state's may be past data read before it was final.
    """
    note = ""
    if based_on != stored:
        note = f"; the state's {stored} may be past data read before it was final"
    if plan.start > plan.end:
        return f"nothing to read yet (bookmark {based_on}{note})"
    days = f"days {plan.start} to {plan.end}"
    if based_on is None:
        return f"{days} (no bookmark yet: start_date {start_date!r})"
    return (
        f"{days} (bookmark {based_on} less attribution_window_days {attribution_window_days}{note})"
    )


class CountedStream(Protocol):
    """What the record counter asks of its stream."""

    name: str

    @property
    def partitions(self) -> list[dict] | None:
        """The stream's partitions; None for a stream without."""

    def partition_start(self, context: Context | None) -> tuple[str, str, str]:
        """The replication mode in words, whose data the partition is, and where it starts."""


class ProgressCounter(metrics.Counter):
    """The SDK's record counter of one stream, telling the run's log as it counts.

    The SDK enters it when the stream starts, moves it to each partition (`with_context`)
    and increments it once per RECORD message written; its METRIC lines stay as they were.
    """

    def __init__(
        self,
        stream: CountedStream,
        run_log: RunLog,
        *,
        endpoint: str | None = None,
        log_interval: float = metrics.DEFAULT_LOG_INTERVAL,
    ) -> None:
        """The SDK's counter's tags and interval (`metrics.record_counter`)."""
        tags: dict[str, Any] = {metrics.Tag.STREAM: stream.name}
        if endpoint:
            tags[metrics.Tag.ENDPOINT] = endpoint
        super().__init__(metrics.Metric.RECORD_COUNT, tags, log_interval=log_interval)
        self.stream = stream
        self.run_log = run_log
        self._index = 0

    @override
    def __enter__(self) -> Self:
        """The stream begins."""
        self.run_log.stream_started(self.stream.name)
        return super().__enter__()

    @override
    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc_val: BaseException | None,
        exc_tb: TracebackType | None,
    ) -> None:
        """The stream ended (or failed)."""
        super().__exit__(exc_type, exc_val, exc_tb)
        self.run_log.stream_ended(self.stream.name)

    @override
    def with_context(self, value: Context | None) -> None:
        """The SDK moves to the next partition: say where it starts."""
        super().with_context(value)
        partitions = self.stream.partitions
        if partitions == []:  # no partition at all (e.g. no TikTok accounts): nothing to start
            return
        self._index += 1
        mode, whose, start = self.stream.partition_start(value or None)
        self.run_log.partition_started(
            self.stream.name,
            Partition(whose, self._index, len(partitions) if partitions else 1),
            f"{mode} sync",
            start,
        )

    @override
    def increment(self, value: int = 1) -> None:
        """One more RECORD message."""
        super().increment(value)
        self.run_log.rows(self.stream.name, value)
