"""Benchmark of issue 9: the tap against the fake TikTok API, out of process, end to end.

One command, from the repository root:

    .venv/bin/python benchmarks/run.py --scenario cpu|latency|memory [--runs 3]
        [--advertisers N --campaigns N --adgroups N --ads N --days D]
        [--latency S --rps R] [--streams ad_report_daily,...] [--json] [--profile DIR]

Each run starts a fresh fake API (`python -m tests.fake_api ...`), writes a config and a
catalog for it, runs `python -m tap_tiktok_ads --config ... --catalog ...` with stdout piped
into a counting reader, and measures what a user would: wall seconds, RECORD messages, the
tap's peak RSS and CPU seconds (from `wait4` on the tap's pid alone, so the fake, which is
another child, is not mixed in; the fake's data is only ever loaded in a helper process,
because a child's peak RSS counts its parent's at spawn time) and the requests the tap logged
(`TikTok requests sent: N, retries: R, rate limited: L, ...`).

The minimum request count is computed in-process from the fake's own truth: per advertiser
and per report window allowed by the API (30 days for daily reports, one day for hourly ones,
one query for lifetime ones), `ceil(rows / 1000)` pages (at least one), plus one
`advertiser/info/` call per 100 advertisers. The floor time of a rate-capped run is
`minimum requests / rps`; a client that sends one request at a time also cannot beat
`minimum requests * latency`.

Scenarios (issues 9 and 18):
- cpu: no latency, no cap, ad_report_daily with about 355,000 rows (10 advertisers x 6
  campaigns x 5 ad groups x 16 ads x 180 days; the fake hides deleted entities, every 4th
  at each level, and some ads start late or stop early, so about 41 % of ad-days are rows)
  and 84 metrics selected (`CONNECTOR_METRICS`); the fake's answers are rendered once and
  the bare client (benchmarks/bare_client.py, the ceiling) reads the same pages in the run.
- latency: 100 ms per request, 10 requests/second cap, 10 advertisers x 20 ads x 180 days.
- latency1s: the same with 1 s per request.
- memory: peak RSS at about 355,000 and about 1,230,000 rows, one run per size.
- backfill / backfill-sync (issue 13): a 365-day first sync of ad_report_daily (10
  advertisers x 200 ads, 100 ms per request, 10 requests/s) with `report_mode` auto (one
  asynchronous task per advertiser, which the fake takes 10 s to process, and the last 2 days
  by sync) and with `report_mode` sync; the lines show the async tasks created.
- adcap (issue 13): one advertiser with 50,000 ads, over TikTok's 20,000-ad report cap, 30
  days of ad_report_daily, read with `report_mode` sync (ID batches) and then async (one
  task); each output is checked row by row against the fake's truth (missing, duplicates,
  different values, unexpected rows) and the two outputs against each other ("equal: yes").
- agency (issue 13): 200 small advertisers, 30 days, 100 ms per request at 10 requests/s;
  the output checked against the truth the same way, and the log's length.
Any size option given replaces the scenario's sizes with one size (defaults filled in from
the scenario's first size).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import hashlib
import json
import math
import multiprocessing
import os
import pstats
import re
import resource
import selectors
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

if TYPE_CHECKING:
    from collections.abc import Iterator

REPO_ROOT = Path(__file__).resolve().parent.parent
RECORD_PREFIX = b'{"type":"RECORD"'  # what the tap's MsgSpecWriter emits: compact JSON
PAGE_SIZE = 1000  # report/integrated/get/: page_size at most 1000 (reference 2.1)
MAX_METRICS_PER_REQUEST = 100  # about 100 metrics per request (reference 2.1)
ADVERTISER_INFO_BATCH = 100  # advertiser/info/ takes at most 100 IDs (reference 3.2)
DAILY_WINDOW_DAYS = 30  # stat_time_day: at most 30 days per request (reference 2.5)
HOURLY_WINDOW_DAYS = 1  # stat_time_hour: one day per request (reference 2.5)
UNCAPPED_RPS = 1000.0  # the tap's highest allowed `max_requests_per_second`
SERVER_START_TIMEOUT = 60.0
STATS_LINE = re.compile(
    r"TikTok requests sent: (\d+), retries: (\d+), rate limited: (\d+)"
    r"(?:, waited for the rate limit: ([\d.]+) s)?"
)
TASKS_LINE = re.compile(r"async report tasks created: (\d+)")


@dataclass(frozen=True)
class Size:
    """The fake world's size: advertisers, entities per parent and days of data."""

    advertisers: int
    campaigns: int
    adgroups: int
    ads: int
    days: int

    @property
    def label(self) -> str:
        """A short name for output lines."""
        return (
            f"{self.advertisers}adv x {self.campaigns}c x {self.adgroups}g x {self.ads}ads"
            f" x {self.days}d"
        )


@dataclass(frozen=True)
class Scenario:
    """What one benchmark scenario measures, and on which data."""

    name: str
    sizes: tuple[Size, ...]
    latency: float
    rps: float | None
    streams: tuple[str, ...]
    runs: int
    tap_settings: tuple[tuple[str, Any], ...] = ()
    # Selected metrics of the report streams; empty: the catalog's default selection.
    metrics: tuple[str, ...] = ()
    # Also time the bare client (benchmarks/bare_client.py) on the same pages.
    ceiling: bool = False
    # The catalog offers the stream's properties this many times (extra ones deselected).
    schema_factor: int = 1
    # Seconds the fake takes to process an asynchronous report task; None: its default.
    task_seconds: float | None = None
    # `report_mode` values run one after the other on the same data (issue 13); with
    # `compare`, each output is checked against the fake's truth and the modes against each
    # other (`run_compared`).
    modes: tuple[str, ...] = ()
    compare: bool = False
    # The tap starts from a state holding a TopView check of each advertiser made earlier
    # today that found none (what the first run of the day leaves): no campaign/get/.
    checked_today: bool = False


# What other connectors request from an ad-level report (issue 18): the fields of singer-io's
# tap-tiktok-ads `ad_insights` schema and the extra metrics of Airbyte's source-tiktok-marketing
# ads reports; all of them are in the tap's catalog for `ad_report_daily`.
CONNECTOR_METRICS = (
    "ad_name", "ad_text", "adgroup_id", "adgroup_name", "campaign_id", "campaign_name",
    "placement_type", "spend", "cpc", "cpm", "impressions", "clicks", "ctr", "reach",
    "cost_per_1000_reached", "conversion", "cost_per_conversion", "conversion_rate",
    "real_time_conversion", "real_time_cost_per_conversion", "real_time_conversion_rate",
    "result", "cost_per_result", "result_rate", "real_time_result", "real_time_cost_per_result",
    "real_time_result_rate", "secondary_goal_result", "cost_per_secondary_goal_result",
    "secondary_goal_result_rate", "frequency", "video_play_actions", "video_watched_2s",
    "video_watched_6s", "average_video_play", "average_video_play_per_user", "video_views_p25",
    "video_views_p50", "video_views_p75", "video_views_p100", "profile_visits",
    "profile_visits_rate", "likes", "comments", "shares", "follows", "clicks_on_music_disc",
    "tt_app_id", "tt_app_name", "mobile_app_id", "promotion_type", "dpa_target_audience_type",
    "gross_impressions", "is_smart_creative", "conversion_rate_v2",
    "real_time_conversion_rate_v2", "objective_type", "app_promotion_type", "split_test",
    "campaign_budget", "campaign_dedicate_type", "opt_status", "budget", "smart_target",
    "bid_strategy", "bid", "aeo_type", "call_to_action", "image_mode", "billing_event",
    "real_time_app_install", "real_time_app_install_cost", "app_install",
    "total_purchase_value", "total_onsite_shopping_value", "onsite_shopping", "vta_purchase",
    "cta_purchase", "vta_conversion", "cta_conversion", "total_pageview", "complete_payment",
    "value_per_complete_payment", "total_complete_payment_rate",
)  # fmt: skip

SCENARIOS: dict[str, Scenario] = {
    "cpu": Scenario(
        "cpu", (Size(10, 6, 5, 16, 180),), latency=0.0, rps=None,
        streams=("ad_report_daily",), runs=3, metrics=CONNECTOR_METRICS, ceiling=True,
    ),
    "latency": Scenario(
        "latency", (Size(10, 1, 1, 20, 180),), latency=0.1, rps=10.0,
        streams=("ad_report_daily",), runs=3,
    ),
    "latency1s": Scenario(
        "latency1s", (Size(10, 1, 1, 20, 180),), latency=1.0, rps=10.0,
        streams=("ad_report_daily",), runs=3,
    ),
    # Issue 13: a 365-day first sync of an ad-level report, the backfill `auto` reads with one
    # asynchronous task per advertiser (the fake takes 10 s per task) and the last 2 days by
    # sync; `backfill-sync` reads the same year in 30-day windows of 1000-row pages.
    "backfill": Scenario(
        "backfill", (Size(10, 4, 5, 10, 365),), latency=0.1, rps=10.0,
        streams=("ad_report_daily",), runs=1, task_seconds=10.0,
        tap_settings=(("report_mode", "auto"), ("end_date", "today")),
    ),
    "backfill-sync": Scenario(
        "backfill-sync", (Size(10, 4, 5, 10, 365),), latency=0.1, rps=10.0,
        streams=("ad_report_daily",), runs=1,
        tap_settings=(("report_mode", "sync"), ("end_date", "today")),
    ),
    "memory": Scenario(
        "memory", (Size(10, 6, 5, 16, 180), Size(10, 10, 10, 17, 180)), latency=0.0,
        rps=None, streams=("ad_report_daily",), runs=1, metrics=CONNECTOR_METRICS,
    ),
    # One advertiser with 50,000 ads (issue 13): over TikTok's 20,000-ad report cap. `sync`
    # reads it in ID batches, `async` with one (uncapped) task; both outputs are compared
    # with the truth, row by row, and with each other.
    "adcap": Scenario(
        "adcap", (Size(1, 50, 50, 20, 30),), latency=0.0, rps=None,
        streams=("ad_report_daily",), runs=1, modes=("sync", "async"), compare=True,
    ),
    # An agency (issue 13): 200 small advertisers, 30 days, at TikTok's basic rate.
    "agency": Scenario(
        "agency", (Size(200, 2, 2, 3, 30),), latency=0.1, rps=10.0,
        streams=("ad_report_daily",), runs=1, compare=True,
    ),
}  # fmt: skip


@dataclass(frozen=True)
class Truth:
    """What an ideal run of a scenario reads: rows and the fewest requests that get them."""

    rows: int
    min_requests: int
    first_day: dt.date
    last_day: dt.date
    advertiser_ids: tuple[str, ...]


@dataclass
class RunResult:
    """The measurements of one tap run."""

    scenario: str
    size: str
    run: int
    records: int
    expected_records: int
    wall_seconds: float
    cpu_seconds: float
    server_cpu_seconds: float
    peak_rss_mb: float
    output_mb: float
    requests: int
    min_requests: int
    retries: int
    rate_limited: int
    rate_limit_wait_seconds: float
    floor_seconds: float
    serial_floor_seconds: float
    load_before: tuple[float, float, float]
    load_after: tuple[float, float, float]
    profiled: bool = False
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def records_per_second(self) -> float:
        """Records per wall second."""
        return self.records / self.wall_seconds if self.wall_seconds else 0.0

    def line(self) -> str:
        """One human-readable line."""
        return (
            f"{self.scenario:<8} {self.size:<36} run {self.run}: "
            f"{self.records:>9,} rows  {self.wall_seconds:7.2f} s  "
            f"{self.records_per_second:>8,.0f} rec/s  tap cpu {self.cpu_seconds:6.2f} s  "
            f"fake cpu {self.server_cpu_seconds:6.2f} s  "
            f"requests {self.requests}/{self.min_requests} min  retries {self.retries}  "
            f"rate-limited {self.rate_limited}  peak RSS {self.peak_rss_mb:6.1f} MB  "
            f"load {self.load_before[0]:.2f}->{self.load_after[0]:.2f}"
            + (f"  floor {self.floor_seconds:.1f} s" if self.floor_seconds else "")
            + (f" ({self.extra['ratio_to_floor']:.2f}x)" if "ratio_to_floor" in self.extra else "")
            + (
                f"  bare client {self.extra['bare_records_per_second']:,.0f} rec/s"
                f" (tap {self.extra['ratio_to_bare']:.2f}x)"
                if "ratio_to_bare" in self.extra
                else ""
            )
            + (f"  async tasks {self.extra['async_tasks']}" if "async_tasks" in self.extra else "")
            + ("  [profiled]" if self.profiled else "")
        )


# --- the fake API ---------------------------------------------------------------------------


class FakeServer:
    """`python -m tests.fake_api` in a subprocess; always stopped, even on errors."""

    def __init__(self, size: Size, last_day: dt.date, scenario: Scenario) -> None:
        """Remember the arguments; `start` launches it."""
        latency, rps = scenario.latency, scenario.rps
        self.args = [
            sys.executable, "-m", "tests.fake_api",
            "--advertisers", str(size.advertisers),
            "--campaigns", str(size.campaigns),
            "--adgroups", str(size.adgroups),
            "--ads", str(size.ads),
            "--days", str(size.days),
            "--last-day", last_day.isoformat(),
            "--latency", str(latency),
        ]  # fmt: skip
        if rps is not None:
            self.args += ["--rps", str(rps)]
        if scenario.ceiling:
            self.args.append("--cache-answers")
        if scenario.task_seconds is not None:
            self.args += ["--task-seconds", str(scenario.task_seconds)]
        self.process: subprocess.Popen[bytes] | None = None
        self.base_url = ""
        self.token = ""
        self._log = tempfile.TemporaryFile()  # noqa: SIM115 - closed in stop()

    def start(self) -> None:
        """Launch the fake and wait for its `<base_url> <token>` line."""
        self.process = subprocess.Popen(
            self.args, cwd=REPO_ROOT, stdout=subprocess.PIPE, stderr=self._log
        )
        assert self.process.stdout is not None  # noqa: S101 - stdout=PIPE above
        line = _read_line(self.process.stdout.fileno(), SERVER_START_TIMEOUT)
        if not line:
            self.stop()
            self._log.seek(0)
            detail = self._log.read().decode(errors="replace")[-2000:]
            msg = f"the fake API did not start within {SERVER_START_TIMEOUT:.0f} s:\n{detail}"
            raise RuntimeError(msg)
        self.base_url, self.token = line.split()

    def cpu_seconds(self) -> float:
        """User plus system CPU seconds the fake has used so far (from /proc)."""
        if self.process is None:
            return 0.0
        try:
            fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return 0.0
        ticks = os.sysconf("SC_CLK_TCK")
        return (int(fields[11]) + int(fields[12])) / ticks  # utime, stime

    def stop(self) -> None:
        """SIGTERM, then SIGKILL after 10 s."""
        process, self.process = self.process, None
        if process is not None and process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        if process is not None and process.stdout is not None:
            process.stdout.close()
        self._log.close()


@contextlib.contextmanager
def fake_server(size: Size, last_day: dt.date, scenario: Scenario) -> Iterator[FakeServer]:
    """A running fake API for the duration of the block."""
    server = FakeServer(size, last_day, scenario)
    try:
        server.start()
        yield server
    finally:
        server.stop()


def _read_line(fd: int, timeout: float) -> str:
    """The first line written to a pipe, or '' on timeout or EOF."""
    deadline = time.monotonic() + timeout
    buffer = b""
    with selectors.DefaultSelector() as selector:
        selector.register(fd, selectors.EVENT_READ)
        while b"\n" not in buffer:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not selector.select(remaining):
                return ""
            chunk = os.read(fd, 4096)
            if not chunk:
                return ""
            buffer += chunk
    return buffer.split(b"\n", 1)[0].decode().strip()


# --- what an ideal run reads --------------------------------------------------------------


def compute_truth(
    size: Size, last_day: dt.date, streams: tuple[str, ...], metrics: tuple[str, ...] = ()
) -> Truth:
    """Rows and minimum requests of the selected report streams, from the fake's own data.

    `metrics` are the selected metrics (empty: each stream's default ones).

    Counting row keys with one-row pages is cheap (no values are computed), even at 1M rows.
    """
    sys.path.insert(0, str(REPO_ROOT))
    from tap_tiktok_ads.metrics import ReportType, TimeDimension
    from tap_tiktok_ads.report_definitions import Granularity, builtin_reports
    from tests.fake_api import DataSpec, FakeData
    from tests.fake_api.report_query import ReportQuery

    first_day = last_day - dt.timedelta(days=size.days - 1)
    data = FakeData(
        DataSpec(
            advertisers=size.advertisers,
            campaigns_per_advertiser=size.campaigns,
            adgroups_per_campaign=size.adgroups,
            ads_per_adgroup=size.ads,
            first_day=first_day,
            last_day=last_day,
        )
    )
    advertiser_ids = data.advertiser_ids()
    definitions = {definition.name: definition for definition in builtin_reports()}
    now = dt.datetime.now(dt.timezone.utc)
    rows = 0
    requests = math.ceil(len(advertiser_ids) / ADVERTISER_INFO_BATCH)
    if "advertisers" in streams:
        rows += len(advertiser_ids)
    for stream in streams:
        definition = definitions.get(stream)
        if definition is None:
            continue
        selected = len(metrics) if metrics else len(_default_metrics(definition))
        chunks = max(1, math.ceil(selected / MAX_METRICS_PER_REQUEST))
        time_names = {t.value for t in TimeDimension}
        lifetime = definition.granularity is Granularity.LIFETIME
        window_days = (
            HOURLY_WINDOW_DAYS if definition.granularity is Granularity.HOUR else DAILY_WINDOW_DAYS
        )
        windows = [(None, None)] if lifetime else _windows(first_day, last_day, window_days)
        for advertiser_id in advertiser_ids:
            for start, end in windows:
                query = ReportQuery(
                    advertiser_id=advertiser_id,
                    report_type=ReportType(definition.report_type),
                    level=definition.level,
                    dimensions=tuple(definition.dimensions),
                    time_dimension=definition.time_dimension,
                    breakdowns=tuple(
                        d
                        for d in definition.dimensions
                        if d not in time_names and d != definition.level.id_dimension
                    ),
                    metrics=("impressions",),
                    start=start,
                    end=end,
                    lifetime=lifetime,
                )
                total, _ = data.engine.page(query, now, 1, 1)
                rows += total
                requests += max(1, math.ceil(total / PAGE_SIZE)) * chunks
    return Truth(rows, requests, first_day, last_day, tuple(advertiser_ids))


def truth_in_subprocess(
    size: Size, last_day: dt.date, streams: tuple[str, ...], metrics: tuple[str, ...] = ()
) -> Truth:
    """`compute_truth` in a fresh process, so this one never holds the fake's data.

    A child's `ru_maxrss` is at least the parent's peak RSS when it was spawned (the kernel
    carries the pre-exec image's high-water mark over into the child), so the tap's peak
    can only be measured while this process stays smaller than the tap.
    """
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=1, mp_context=context) as pool:
        return pool.submit(compute_truth, size, last_day, streams, metrics).result()


def _default_metrics(definition: Any) -> list[str]:  # noqa: ANN401 - a ReportDefinition
    """The metrics a catalog with default selection asks for."""
    return [metric.name for metric in definition.metrics if definition.is_default(metric)]


def _windows(
    first: dt.date, last: dt.date, days: int
) -> list[tuple[dt.date | None, dt.date | None]]:
    """Consecutive windows of at most `days` days from `first` through `last`."""
    found: list[tuple[dt.date | None, dt.date | None]] = []
    start = first
    while start <= last:
        end = min(start + dt.timedelta(days=days - 1), last)
        found.append((start, end))
        start = end + dt.timedelta(days=1)
    return found


# --- outputs compared with the truth and with each other (issue 13) -------------------------

COMPARED_FIGURES = ("missing", "duplicates", "different", "unexpected")


def run_compared(
    scenario: Scenario, timeout: float, profile_dir: Path | None, *, quiet: bool
) -> list[RunResult]:
    """Each `report_mode` of `scenario.modes` (or the scenario as it is), outputs compared.

    Every run's stdout is kept in a temporary directory; a helper process (this one must stay
    small, see `truth_in_subprocess`) checks each output's records of the report streams
    against the fake's truth, row by row (`compare_outputs`), and the modes with each other.
    """
    results: list[RunResult] = []
    for size in scenario.sizes:
        with tempfile.TemporaryDirectory(prefix="tap-bench-out-") as directory:
            outputs: dict[str, Path] = {}
            for mode in scenario.modes or ("",):
                variant = replace(scenario, sizes=(size,), modes=())
                if mode:
                    settings = (*scenario.tap_settings, ("report_mode", mode))
                    variant = replace(
                        variant, name=f"{scenario.name}-{mode}", tap_settings=settings
                    )
                mode_dir = Path(directory) / (mode or "run")
                mode_dir.mkdir()
                runs = run_scenario(variant, timeout, profile_dir, quiet=quiet, output_dir=mode_dir)
                results += runs
                for result in runs:
                    outputs[f"{result.scenario} run {result.run}"] = mode_dir / _output_name(
                        result.run
                    )
            by_output = compare_in_subprocess(size, outputs)
        _note_comparison(results[-len(outputs) :], by_output, quiet=quiet)
    return results


def _output_name(run: int) -> str:
    return f"run-{run}.jsonl"


def _output_path(output_dir: Path | None, run: int, truth: Truth, inputs: Inputs) -> Path | None:
    """Where a run's stdout goes (None: nowhere), next to what `compare_outputs` needs."""
    if output_dir is None:
        return None
    catalog = json.loads(inputs.catalog_path.read_text())
    streams = {
        entry["tap_stream_id"]: [
            item["breadcrumb"][-1]
            for item in entry["metadata"]
            if item["breadcrumb"] and _is_selected(item)
        ]
        for entry in catalog["streams"]
        if any(
            not item["breadcrumb"] and item["metadata"].get("selected")
            for item in entry["metadata"]
        )
    }
    about = {
        "first_day": truth.first_day.isoformat(),
        "last_day": truth.last_day.isoformat(),
        "advertiser_ids": list(truth.advertiser_ids),
        "streams": streams,
    }
    path = output_dir / _output_name(run)
    path.with_suffix(".json").write_text(json.dumps(about))
    return path


def compare_in_subprocess(size: Size, outputs: dict[str, Path]) -> dict[str, dict[str, int]]:
    """`compare_outputs` in a fresh process (see `truth_in_subprocess`)."""
    context = multiprocessing.get_context("spawn")
    paths = {label: str(path) for label, path in outputs.items()}
    with ProcessPoolExecutor(max_workers=1, mp_context=context) as pool:
        return pool.submit(compare_outputs, size, paths).result()


def compare_outputs(size: Size, outputs: dict[str, str]) -> dict[str, dict[str, int]]:
    """Per output: its report records against the fake's truth, and a digest of all of them.

    The truth is `tests/truth.py`'s typed records (the fake's own vocabulary), computed one
    advertiser and one day at a time and kept as one digest per primary key, so a year or
    600,000 rows fit in memory. A record is its JSON with every number as a float (1 and 1.0
    are the same value). Figures: records, truth (rows), missing (truth keys never emitted),
    duplicates (keys emitted more than once), different (values unlike the truth's),
    unexpected (keys the truth lacks), digest (of every record, order aside: equal outputs
    have equal digests).
    """
    sys.path.insert(0, str(REPO_ROOT))
    from tests.fake_api import DataSpec, FakeData
    from tests.truth import REPORTS, expected_report_records

    about = json.loads(Path(next(iter(outputs.values()))).with_suffix(".json").read_text())
    first_day = dt.date.fromisoformat(about["first_day"])
    last_day = dt.date.fromisoformat(about["last_day"])
    data = FakeData(
        DataSpec(
            advertisers=size.advertisers,
            campaigns_per_advertiser=size.campaigns,
            adgroups_per_campaign=size.adgroups,
            ads_per_adgroup=size.ads,
            first_day=last_day - dt.timedelta(days=size.days - 1),
            last_day=last_day,
        )
    )
    now = dt.datetime.now(dt.timezone.utc)
    keys = {
        stream: REPORTS[stream].key_properties for stream in about["streams"] if stream in REPORTS
    }
    truth: dict[bytes, bytes] = {}
    for stream, key_names in keys.items():
        definition = REPORTS[stream]
        automatic = {"advertiser_id", *definition.dimensions}
        metrics = [name for name in about["streams"][stream] if name not in automatic]
        days = (last_day - first_day).days + 1
        ranges = [first_day + dt.timedelta(days=n) for n in range(days)]
        for advertiser_id in about["advertiser_ids"]:
            for day in ranges:
                for record in expected_report_records(
                    data, stream, metrics, start=day, end=day, advertiser_ids=[advertiser_id],
                    now=now,
                ):  # fmt: skip
                    key, digest = _fingerprint(stream, record, key_names)
                    truth[key] = digest
    return {label: _check_output(Path(path), truth, keys) for label, path in outputs.items()}


def _check_output(
    path: Path, truth: dict[bytes, bytes], keys: dict[str, list[str]]
) -> dict[str, int]:
    """One output's figures (see `compare_outputs`)."""
    seen: dict[bytes, int] = {}
    records = different = unexpected = digest = 0
    with path.open("rb") as lines:
        for line in lines:
            if not line.startswith(RECORD_PREFIX):
                continue
            message = json.loads(line)
            stream = message["stream"]
            if stream not in keys:
                continue
            records += 1
            key, fingerprint = _fingerprint(stream, message["record"], keys[stream])
            digest = (digest + int.from_bytes(fingerprint, "big")) % 2**128
            seen[key] = seen.get(key, 0) + 1
            expected = truth.get(key)
            if expected is None:
                unexpected += 1
            elif expected != fingerprint:
                different += 1
    log = path.with_suffix(".log").read_text().splitlines()
    return {
        "log_lines": len(log),
        "progress_lines": sum(1 for line in log if ".progress" in line),
        "warnings": sum(1 for line in log if "WARNING" in line or "ERROR" in line),
        "records": records,
        "truth": len(truth),
        "missing": sum(1 for key in truth if key not in seen),
        "duplicates": sum(count - 1 for count in seen.values()),
        "different": different,
        "unexpected": unexpected,
        "digest": digest,
    }


def _fingerprint(stream: str, record: dict[str, Any], keys: list[str]) -> tuple[bytes, bytes]:
    """A record's primary key and its whole content, each as a short stable digest."""
    key = json.dumps([stream, *(record.get(name) for name in keys)]).encode()
    canonical = {
        name: float(value)
        if isinstance(value, int | float) and not isinstance(value, bool)
        else value
        for name, value in record.items()
    }
    content = json.dumps([stream, canonical], sort_keys=True).encode()
    return (
        hashlib.blake2b(key, digest_size=12).digest(),
        hashlib.blake2b(content, digest_size=16).digest(),
    )


def _note_comparison(
    results: list[RunResult], by_output: dict[str, dict[str, int]], *, quiet: bool
) -> None:
    """Put each output's figures into its result; print them and whether the outputs agree."""
    for result, (label, figures) in zip(results, by_output.items(), strict=True):
        result.extra |= {name: figures[name] for name in COMPARED_FIGURES}
        exact = not any(figures[name] for name in COMPARED_FIGURES)
        result.extra["equal_to_truth"] = int(exact)
        if not quiet:
            print(
                f"{label}: {figures['records']:,} records, truth {figures['truth']:,} rows:"
                + "".join(f" {name} {figures[name]:,}," for name in COMPARED_FIGURES)
                + f" equal to the truth: {'yes' if exact else 'no'}; log: {figures['log_lines']}"
                f" lines, {figures['progress_lines']} progress, {figures['warnings']} warnings"
                " or errors",
                flush=True,
            )
    if len(by_output) > 1:
        digests = {figures["digest"] for figures in by_output.values()}
        counts = {figures["records"] for figures in by_output.values()}
        equal = len(digests) == 1 and len(counts) == 1
        for result in results:
            result.extra["outputs_equal"] = int(equal)
        if not quiet:
            print(f"{' == '.join(by_output)}: equal: {'yes' if equal else 'no'}", flush=True)


# --- config, catalog and the tap run --------------------------------------------------------


@dataclass(frozen=True)
class Inputs:
    """The tap's config and catalog, and what discovery cost."""

    config_path: Path
    catalog_path: Path
    state_path: Path | None  # `--checked-today`
    discover_seconds: float
    discover_cpu_seconds: float
    catalog_bytes: int
    # The whole discovered catalog: what Meltano walks and matches its rules against.
    catalog_streams: int
    catalog_properties: int
    catalog_metadata_entries: int
    properties_offered: int  # by the selected streams, in the catalog the tap runs with
    properties_selected: int
    metrics: tuple[str, ...]  # requested, in the tap's order (the catalog's)


def write_inputs(workdir: Path, server: FakeServer, truth: Truth, scenario: Scenario) -> Inputs:
    """The tap's config and a catalog selecting exactly the scenario's streams and metrics."""
    config = {
        "access_token": server.token,
        "advertiser_ids": list(truth.advertiser_ids),
        "api_base_url": server.base_url,
        "start_date": truth.first_day.isoformat(),
        "end_date": truth.last_day.isoformat(),
        "max_requests_per_second": scenario.rps or UNCAPPED_RPS,
        # The synchronous report path (pages of `report/integrated/get/`), which the minimum
        # request count and the bare client assume; `auto` would read 180 days with a task.
        "report_mode": "sync",
    }
    config.update(scenario.tap_settings)
    config_path = workdir / "config.json"
    config_path.write_text(json.dumps(config, indent=2))
    started = time.perf_counter()
    children_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    discovered = subprocess.run(
        [sys.executable, "-m", "tap_tiktok_ads", "--config", str(config_path), "--discover"],
        cwd=REPO_ROOT,
        capture_output=True,
        check=True,
        timeout=120,
        env=_tap_environment(),
    )
    discover_seconds = time.perf_counter() - started
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    discover_cpu_seconds = (children.ru_utime + children.ru_stime) - (
        children_before.ru_utime + children_before.ru_stime
    )
    catalog = json.loads(discovered.stdout)
    size = (
        len(catalog["streams"]),
        sum(len(entry["schema"].get("properties", {})) for entry in catalog["streams"]),
        sum(len(entry["metadata"]) for entry in catalog["streams"]),
    )
    known = {entry["tap_stream_id"] for entry in catalog["streams"]}
    unknown = sorted(set(scenario.streams) - known)
    if unknown:
        msg = f"unknown streams {unknown}; the tap has {sorted(known)}"
        raise SystemExit(msg)
    offered = selected = 0
    requested: list[str] = []
    for entry in catalog["streams"]:
        chosen = entry["tap_stream_id"] in scenario.streams
        if chosen:
            requested = _select(entry, scenario.metrics) or requested
            _multiply_schema(entry, scenario.schema_factor)
            offered += len(entry["schema"]["properties"])
        for item in entry["metadata"]:
            if not item["breadcrumb"]:
                item["metadata"]["selected"] = chosen
            elif chosen and _is_selected(item):
                selected += 1
    catalog_path = workdir / "catalog.json"
    catalog_path.write_text(json.dumps(catalog))
    state_path = None
    if scenario.checked_today:
        state_path = workdir / "state.json"
        state_path.write_text(json.dumps(_checked_today(scenario.streams, truth.advertiser_ids)))
    return Inputs(
        config_path,
        catalog_path,
        state_path,
        discover_seconds,
        discover_cpu_seconds,
        len(discovered.stdout),
        *size,
        offered,
        selected,
        tuple(requested),
    )


def _is_selected(item: dict[str, Any]) -> bool:
    """A property's selection as the SDK reads it: without either flag, its stream's (selected)."""
    metadata = item["metadata"]
    if metadata.get("inclusion") == "automatic":
        return True
    return bool(metadata.get("selected", metadata.get("selected-by-default", True)))


def _select(entry: dict[str, Any], metrics: tuple[str, ...]) -> list[str]:
    """Select exactly `metrics` (all else but automatic keys off); the metrics in catalog order.

    With no `metrics` the default selection stays and the default-selected ones are returned.
    """
    wanted = set(metrics)
    names = []
    for item in entry["metadata"]:
        if not item["breadcrumb"]:
            continue
        name = item["breadcrumb"][-1]
        if item["metadata"].get("inclusion") == "automatic":
            continue
        if metrics:
            item["metadata"]["selected"] = name in wanted
        if _is_selected(item):
            names.append(name)
    missing = wanted - set(names)
    if missing:
        msg = f"{entry['tap_stream_id']} does not offer {sorted(missing)}"
        raise SystemExit(msg)
    order = list(entry["schema"]["properties"])
    return sorted(names, key=order.index)


def _multiply_schema(entry: dict[str, Any], factor: int) -> None:
    """Offer each property `factor` times: copies named `<name>__copyN`, deselected."""
    properties = entry["schema"]["properties"]
    for copy in range(2, factor + 1):
        for name, schema in list(properties.items()):
            if "__copy" in name:
                continue
            extra = f"{name}__copy{copy}"
            properties[extra] = schema
            entry["metadata"].append(
                {
                    "breadcrumb": ["properties", extra],
                    "metadata": {"inclusion": "available", "selected": False},
                }
            )


@dataclass
class TapOutcome:
    """What one tap process did."""

    records: int
    output_bytes: int
    wall_seconds: float
    cpu_seconds: float
    peak_rss_kb: int
    stderr: str


def _checked_today(streams: tuple[str, ...], advertiser_ids: tuple[str, ...]) -> dict[str, Any]:
    """A state whose only content is a TopView check per advertiser made an hour ago.

    The tap's state format (tap_tiktok_ads/top_view.py, `top_view_checks`): a check that
    found no TopView campaign today holds for the rest of the advertiser's local day.
    """
    checked_at = (dt.datetime.now(dt.timezone.utc) - dt.timedelta(hours=1)).isoformat()
    check = {"checked_at": checked_at, "found": False, "include_deleted": False}
    checks = {advertiser_id: dict(check) for advertiser_id in advertiser_ids}
    return {"bookmarks": {stream: {"top_view_checks": checks} for stream in streams}}


def run_tap(
    inputs: Inputs,
    timeout: float,
    profile_path: Path | None,
    output_path: Path | None = None,
) -> TapOutcome:
    """Run the tap, count RECORD lines on its stdout and take its own rusage from `wait4`.

    With `output_path`, the stdout is also written there, and the log next to it (`.log`).
    """
    command = [sys.executable]
    if profile_path is not None:
        command += ["-m", "cProfile", "-o", str(profile_path)]
    command += ["-m", "tap_tiktok_ads", "--config", str(inputs.config_path)]
    command += ["--catalog", str(inputs.catalog_path)]
    if inputs.state_path is not None:
        command += ["--state", str(inputs.state_path)]
    with tempfile.TemporaryFile() as log:
        started = time.perf_counter()
        process = subprocess.Popen(
            command, cwd=REPO_ROOT, stdout=subprocess.PIPE, stderr=log, env=_tap_environment()
        )
        timed_out = threading.Event()

        def kill() -> None:
            timed_out.set()
            process.kill()

        watchdog = threading.Timer(timeout, kill)
        watchdog.start()
        try:
            with output_path.open("wb") if output_path else contextlib.nullcontext() as sink:
                records, output_bytes = _count_records(process, sink)
            _, status, usage = os.wait4(process.pid, 0)
        finally:
            watchdog.cancel()
            if process.returncode is None and process.poll() is None:
                process.kill()
        wall = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        log.seek(0)
        stderr = log.read().decode(errors="replace")
    if output_path is not None:
        output_path.with_suffix(".log").write_text(stderr)
    if timed_out.is_set():
        msg = f"the tap did not finish within {timeout:.0f} s (--timeout)"
        raise TimeoutError(msg)
    if process.returncode != 0:
        msg = f"the tap failed with exit code {process.returncode}:\n{stderr[-3000:]}"
        raise RuntimeError(msg)
    return TapOutcome(
        records=records,
        output_bytes=output_bytes,
        wall_seconds=wall,
        cpu_seconds=usage.ru_utime + usage.ru_stime,
        peak_rss_kb=usage.ru_maxrss,
        stderr=stderr,
    )


@dataclass(frozen=True)
class BareOutcome:
    """What the bare client (the ceiling) read, and how long it took."""

    rows: int
    requests: int
    wall_seconds: float


def run_bare_client(
    server: FakeServer, truth: Truth, inputs: Inputs, timeout: float
) -> BareOutcome:
    """benchmarks/bare_client.py on the tap's pages: its rows, requests and wall seconds."""
    command = [
        sys.executable, str(REPO_ROOT / "benchmarks" / "bare_client.py"),
        "--base-url", server.base_url, "--token", server.token,
        "--advertisers", ",".join(truth.advertiser_ids),
        "--first", truth.first_day.isoformat(), "--last", truth.last_day.isoformat(),
        "--metrics", ",".join(inputs.metrics),
    ]  # fmt: skip
    done = subprocess.run(
        command, cwd=REPO_ROOT, capture_output=True, check=True, timeout=timeout, text=True
    )
    result = json.loads(done.stdout)
    return BareOutcome(result["rows"], result["requests"], result["wall_seconds"])


def _tap_environment() -> dict[str, str]:
    """This environment without PYTHONUNBUFFERED and PYTHONDONTWRITEBYTECODE.

    With PYTHONUNBUFFERED set, every write is a system call whatever the writer does; with
    PYTHONDONTWRITEBYTECODE, every run compiles the tap's modules again (0.17 s of CPU at
    each start). A deployment such as Meltano sets neither (an installed tap has its .pyc
    files), so a benchmark with them would measure a different tap.
    """
    unset = {"PYTHONUNBUFFERED", "PYTHONDONTWRITEBYTECODE"}
    return {key: value for key, value in os.environ.items() if key not in unset}


def _count_records(
    process: subprocess.Popen[bytes], sink: BinaryIO | None = None
) -> tuple[int, int]:
    """RECORD messages and bytes on the tap's stdout, read in large raw chunks (kept in `sink`).

    The prefix only occurs at the start of a line (inside a JSON string its quotes would be
    escaped), so counting it in each chunk plus the previous chunk's tail is exact.

    Every read goes into one buffer: a new 1 MB object per read, shrunk to the 64 KB a pipe
    holds, left glibc's heap of this process fragmented (40 MB more over 600,000 records),
    and a child's peak RSS starts at its parent's (see `truth_in_subprocess`).
    """
    assert process.stdout is not None  # noqa: S101 - stdout=PIPE
    fd = process.stdout.fileno()
    keep = len(RECORD_PREFIX) - 1
    buffer = bytearray(keep + (1 << 20))
    view = memoryview(buffer)
    records = total = carried = 0  # carried: the previous read's tail, at the buffer's start
    while read := os.readv(fd, [view[carried:]]):
        total += read
        end = carried + read
        if sink is not None:
            sink.write(view[carried:end])
        records += buffer.count(RECORD_PREFIX, 0, end)
        carried = min(keep, end)
        buffer[:carried] = bytes(view[end - carried : end])
    view.release()
    process.stdout.close()
    return records, total


def parse_stats(stderr: str) -> tuple[int, int, int, float]:
    """Requests, retries, rate-limited answers and rate-limit wait from the tap's last log."""
    matches = STATS_LINE.findall(stderr)
    if not matches:
        return 0, 0, 0, 0.0
    sent, retries, limited, waited = matches[-1]
    return int(sent), int(retries), int(limited), float(waited or 0.0)


# --- scenarios ------------------------------------------------------------------------------


def run_scenario(
    scenario: Scenario,
    timeout: float,
    profile_dir: Path | None,
    *,
    quiet: bool,
    output_dir: Path | None = None,
) -> list[RunResult]:
    """Every size and run of a scenario, each against a fresh fake API.

    With `output_dir`, each run's stdout is kept there (`run_compared` reads it).
    """
    last_day = dt.datetime.now(dt.timezone.utc).date() - dt.timedelta(days=2)
    results: list[RunResult] = []
    for size in scenario.sizes:
        truth = truth_in_subprocess(size, last_day, scenario.streams, scenario.metrics)
        rps = scenario.rps
        floor = truth.min_requests / rps if rps else 0.0
        serial_floor = truth.min_requests * scenario.latency
        for run in range(1, scenario.runs + 1):
            profile_path = None
            if profile_dir is not None:
                profile_dir.mkdir(parents=True, exist_ok=True)
                profile_path = profile_dir / f"tap-{scenario.name}-{size.advertisers}-{run}.prof"
            with (
                tempfile.TemporaryDirectory(prefix="tap-bench-") as workdir,
                fake_server(size, last_day, scenario) as server,
            ):
                inputs = write_inputs(Path(workdir), server, truth, scenario)
                bare: BareOutcome | None = None
                if scenario.ceiling:
                    run_bare_client(server, truth, inputs, timeout)  # renders every page once
                    bare = run_bare_client(server, truth, inputs, timeout)
                load_before = os.getloadavg()
                server_cpu_before = server.cpu_seconds()
                output_path = _output_path(output_dir, run, truth, inputs)
                outcome = run_tap(inputs, timeout, profile_path, output_path)
                server_cpu = server.cpu_seconds() - server_cpu_before
                load_after = os.getloadavg()
            sent, retries, limited, waited = parse_stats(outcome.stderr)
            result = RunResult(
                scenario=scenario.name,
                size=size.label,
                run=run,
                records=outcome.records,
                expected_records=truth.rows,
                wall_seconds=outcome.wall_seconds,
                cpu_seconds=outcome.cpu_seconds,
                server_cpu_seconds=server_cpu,
                peak_rss_mb=outcome.peak_rss_kb / 1024,
                output_mb=outcome.output_bytes / 1e6,
                requests=sent,
                min_requests=truth.min_requests,
                retries=retries,
                rate_limited=limited,
                rate_limit_wait_seconds=waited,
                floor_seconds=floor,
                serial_floor_seconds=serial_floor,
                load_before=load_before,
                load_after=load_after,
                profiled=profile_path is not None,
            )
            _note_inputs_and_ratios(result, inputs, bare)
            tasks = TASKS_LINE.findall(outcome.stderr)
            if tasks:
                result.extra["async_tasks"] = int(tasks[-1])
            if result.records != truth.rows:
                result.extra["warning"] = f"expected {truth.rows} records"
            own_peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            if result.peak_rss_mb <= own_peak_mb:
                result.extra["warning"] = (
                    f"peak RSS is this script's ({own_peak_mb:.0f} MB), not the tap's"
                )
            results.append(result)
            if not quiet:
                print(result.line() + _warning(result), flush=True)
                if profile_path is not None:
                    print_profile(profile_path)
    return results


def _note_inputs_and_ratios(result: RunResult, inputs: Inputs, bare: BareOutcome | None) -> None:
    """Discovery and catalog figures; the ratios to the bare client and to the floor."""
    result.extra |= {
        "discover_seconds": inputs.discover_seconds,
        "discover_cpu_seconds": inputs.discover_cpu_seconds,
        "catalog_bytes": inputs.catalog_bytes,
        "catalog_streams": inputs.catalog_streams,
        "catalog_properties": inputs.catalog_properties,
        "catalog_metadata_entries": inputs.catalog_metadata_entries,
        "properties_offered": inputs.properties_offered,
        "properties_selected": inputs.properties_selected,
    }
    if bare is not None:
        result.extra |= {
            "bare_records_per_second": bare.rows / bare.wall_seconds,
            "ratio_to_bare": result.records_per_second * bare.wall_seconds / bare.rows,
        }
        if bare.rows != result.expected_records:
            result.extra["warning"] = f"the bare client read {bare.rows} rows"
    if result.floor_seconds:
        result.extra["ratio_to_floor"] = result.wall_seconds / result.floor_seconds


def _warning(result: RunResult) -> str:
    warning = result.extra.get("warning")
    return f"  WARNING: {warning}" if warning else ""


def summarize(results: list[RunResult]) -> list[dict[str, Any]]:
    """Medians per scenario and size."""
    groups: dict[tuple[str, str], list[RunResult]] = {}
    for result in results:
        groups.setdefault((result.scenario, result.size), []).append(result)
    summaries = []
    for (scenario, size), runs in groups.items():

        def median(name: str, runs: list[RunResult] = runs) -> float:
            return statistics.median(float(getattr(r, name)) for r in runs)

        summaries.append(
            {
                "scenario": scenario,
                "size": size,
                "runs": len(runs),
                "records": median("records"),
                "expected_records": runs[0].expected_records,
                "wall_seconds": median("wall_seconds"),
                "records_per_second": median("records_per_second"),
                "tap_cpu_seconds": median("cpu_seconds"),
                "records_per_cpu_second": statistics.median(
                    r.records / r.cpu_seconds for r in runs if r.cpu_seconds
                )
                if any(r.cpu_seconds for r in runs)
                else 0.0,
                "fake_cpu_seconds": median("server_cpu_seconds"),
                "requests": median("requests"),
                "min_requests": runs[0].min_requests,
                "retries": median("retries"),
                "rate_limited": median("rate_limited"),
                "rate_limit_wait_seconds": median("rate_limit_wait_seconds"),
                "floor_seconds": runs[0].floor_seconds,
                "serial_floor_seconds": runs[0].serial_floor_seconds,
                "peak_rss_mb": median("peak_rss_mb"),
                "output_mb": median("output_mb"),
                "load_1min": [r.load_before[0] for r in runs],
                **_median_extras(runs),
            }
        )
    return summaries


def _median_extras(runs: list[RunResult]) -> dict[str, float]:
    """Medians of the figures every run noted in `extra` (ratios, discovery, catalog)."""
    names = set.intersection(*(set(r.extra) for r in runs)) - {"warning"}
    return {name: statistics.median(float(r.extra[name]) for r in runs) for name in sorted(names)}


def print_summary(summaries: list[dict[str, Any]]) -> None:
    """The median lines."""
    print(f"\nmedians (uptime: {_uptime()})")
    for s in summaries:
        ratios = ""
        if "ratio_to_bare" in s:
            ratios += (
                f"  bare client {s['bare_records_per_second']:,.0f} rec/s,"
                f" tap/bare {s['ratio_to_bare']:.2f}x"
            )
        if "ratio_to_floor" in s:
            ratios += f"  wall/floor {s['ratio_to_floor']:.2f}x"
        floors = ""
        if s["floor_seconds"] or s["serial_floor_seconds"]:
            floors = (
                f"  floor {s['floor_seconds']:.1f} s (requests/rps),"
                f" {s['serial_floor_seconds']:.1f} s (one at a time)"
            )
        print(
            f"{s['scenario']:<8} {s['size']:<36} x{s['runs']}: {s['records']:,.0f} rows"
            f" (expected {s['expected_records']:,}), {s['wall_seconds']:.2f} s wall,"
            f" {s['records_per_second']:,.0f} rec/s, tap cpu {s['tap_cpu_seconds']:.2f} s"
            f" ({s['records_per_cpu_second']:,.0f} rec/cpu-s), fake cpu"
            f" {s['fake_cpu_seconds']:.2f} s, requests {s['requests']:.0f} vs minimum"
            f" {s['min_requests']}, retries {s['retries']:.0f}, rate-limited"
            f" {s['rate_limited']:.0f}, peak RSS {s['peak_rss_mb']:.1f} MB{floors}{ratios}"
        )
        print(
            f"{'':<8} catalog: {s['properties_offered']:.0f} properties offered by the"
            f" selected streams ({s['properties_selected']:.0f} selected); the whole catalog"
            f" {s['catalog_bytes'] / 1e6:.2f} MB, {s['catalog_streams']:.0f} streams,"
            f" {s['catalog_properties']:,.0f} properties, {s['catalog_metadata_entries']:,.0f}"
            f" metadata entries; --discover {s['discover_seconds']:.2f} s wall,"
            f" {s['discover_cpu_seconds']:.2f} s CPU"
        )


def print_profile(path: Path, top: int = 25) -> None:
    """The top functions of a profiled run, by cumulative and by own time."""
    for order in ("cumulative", "tottime"):
        print(f"\n--- {path.name}: top {top} by {order} ---")
        pstats.Stats(str(path), stream=sys.stdout).sort_stats(order).print_stats(top)


def _uptime() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f}, {five:.2f}, {fifteen:.2f} on {os.cpu_count()} cpus"


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="benchmarks/run.py",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--scenario", choices=sorted(SCENARIOS), required=True)
    parser.add_argument("--runs", type=int, help="runs per size (default: 3, memory 1)")
    for name in ("advertisers", "campaigns", "adgroups", "ads", "days"):
        parser.add_argument(f"--{name}", type=int, help="override the scenario's size")
    parser.add_argument("--latency", type=float, help="seconds the fake waits per request")
    parser.add_argument("--rps", type=float, help="the fake's cap and the tap's rate (0: none)")
    parser.add_argument("--streams", help="comma-separated streams (default ad_report_daily)")
    parser.add_argument(
        "--modes", help="comma-separated report_mode values to run and compare (adcap: sync,async)"
    )
    parser.add_argument(
        "--tap-setting",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="extra tap config, VALUE as JSON if it parses (e.g. max_concurrency=1); repeatable",
    )
    parser.add_argument(
        "--schema-factor",
        type=int,
        help="offer each property of the selected streams N times (copies deselected)",
    )
    parser.add_argument(
        "--checked-today",
        action="store_true",
        help="start from a state with today's TopView checks (a later run of the same day)",
    )
    parser.add_argument("--timeout", type=float, default=1800.0, help="seconds per tap run")
    parser.add_argument("--json", action="store_true", help="print one JSON document only")
    parser.add_argument("--profile", type=Path, help="run the tap under cProfile, .prof here")
    return parser.parse_args(argv)


def scenario_from(args: argparse.Namespace) -> Scenario:
    """The chosen scenario with the command line's overrides."""
    scenario = SCENARIOS[args.scenario]
    overrides = {
        name: getattr(args, name)
        for name in ("advertisers", "campaigns", "adgroups", "ads", "days")
        if getattr(args, name) is not None
    }
    if overrides:
        scenario = replace(scenario, sizes=(replace(scenario.sizes[0], **overrides),))
    if args.runs is not None:
        scenario = replace(scenario, runs=args.runs)
    if args.schema_factor is not None:
        scenario = replace(scenario, schema_factor=max(1, args.schema_factor))
    if args.latency is not None:
        scenario = replace(scenario, latency=args.latency)
    if args.rps is not None:
        scenario = replace(scenario, rps=args.rps or None)
    if args.streams:
        streams = tuple(s.strip() for s in args.streams.split(",") if s.strip())
        scenario = replace(scenario, streams=streams)
    if args.tap_setting:
        scenario = replace(scenario, tap_settings=tuple(map(_setting, args.tap_setting)))
    if args.checked_today:
        scenario = replace(scenario, checked_today=True, name=f"{scenario.name}-checked")
    if args.modes:
        modes = tuple(m.strip() for m in args.modes.split(",") if m.strip())
        scenario = replace(scenario, modes=modes, compare=True)
    return scenario


def _setting(text: str) -> tuple[str, Any]:
    """`key=value` with the value read as JSON when it is JSON, else as text."""
    key, separator, value = text.partition("=")
    if not separator or not key.strip():
        msg = f"--tap-setting wants KEY=VALUE, not {text!r}"
        raise SystemExit(msg)
    try:
        return key.strip(), json.loads(value)
    except json.JSONDecodeError:
        return key.strip(), value


def source_state() -> str:
    """The commit measured, and which tap or fake files differ from it (others edit too)."""
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=REPO_ROOT,
            capture_output=True,
            text=True,
            check=True,
            timeout=10,
        ).stdout.strip()
        changed = subprocess.run(
            ["git", "status", "--porcelain", "--", "tap_tiktok_ads", "tests/fake_api"],
            cwd=REPO_ROOT,
            capture_output=True,
            text=True,
            check=True,
            timeout=10,
        ).stdout.split("\n")
    except (OSError, subprocess.SubprocessError):
        return "unknown (no git)"
    dirty = [line[3:] for line in changed if line.strip()]
    return commit + (f" + uncommitted {', '.join(dirty)}" if dirty else "")  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    """Run one scenario and print per-run lines and the medians (or JSON)."""
    args = _arguments(argv)
    scenario = scenario_from(args)
    # SIGTERM ends the benchmark like Ctrl-C, so `finally` blocks stop the fake.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    if not args.json:
        print(
            f"scenario {scenario.name}: streams {','.join(scenario.streams)}, latency"
            f" {scenario.latency} s, cap {scenario.rps or 'none'} rps, {scenario.runs} run(s)"
            f" per size; {_uptime()}",
            flush=True,
        )
        if scenario.tap_settings:
            print(f"tap settings: {dict(scenario.tap_settings)}")
        print(f"source: {source_state()}", flush=True)
    runner = run_compared if scenario.modes or scenario.compare else run_scenario
    results = runner(scenario, args.timeout, args.profile, quiet=args.json)
    summaries = summarize(results)
    if args.json:
        document = {
            "scenario": asdict(scenario),
            "uptime": _uptime(),
            "source": source_state(),
            "runs": [asdict(r) | {"records_per_second": r.records_per_second} for r in results],
            "summary": summaries,
        }
        print(json.dumps(document, indent=2, default=str))
    else:
        print_summary(summaries)
    return 0


if __name__ == "__main__":
    sys.exit(main())
