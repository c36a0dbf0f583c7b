"""What a person reads at INFO: a screen of lines, progress, and a table that adds up.

The CLI tests run the installed tap against the fake API and read its stderr as a user sees
it; the row counts of the end table are checked against the RECORD messages on stdout.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import itertools
import json
import logging
import re
import socket
import ssl
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pytest

from tap_tiktok_ads.run_log import DemoteSdkChatter, Partition, RunLog
from tap_tiktok_ads.transport import _lasting
from tests.conftest import NOW, run_cli, tap_config

if TYPE_CHECKING:
    from pathlib import Path

    from tests.fake_api import FakeTikTokApi

LOG_LINE = re.compile(r"^\S+ \S+ \| (\w+)\s* \| (\S+)\s* \| (.*)$")
SCREEN = 40  # lines: one terminal screen
STREAMS: dict[str, list[str] | None] = {
    "advertisers": None,
    "campaigns": None,
    "ads": None,
    "ad_report_daily": None,
    "campaign_report_daily": None,
    "ad_audience_age_gender_daily": None,
    "organic_profile": None,
    "organic_videos": None,
}


def info_lines(stderr: str) -> list[tuple[str, str]]:
    """(logger, message) of each INFO line, in order."""
    lines = []
    for line in stderr.splitlines():
        match = LOG_LINE.match(line)
        if match and match.group(1) == "INFO":
            lines.append((match.group(2), match.group(3)))
    return lines


def record_counts(stdout: str) -> dict[str, int]:
    counts: dict[str, int] = {}
    for line in stdout.splitlines():
        message = json.loads(line)
        if message["type"] == "RECORD":
            counts[message["stream"]] = counts.get(message["stream"], 0) + 1
    return counts


def end_table(messages: list[str]) -> dict[str, int]:
    """Rows per stream from the table the run ends with."""
    start = messages.index("Rows and seconds per stream:")
    rows = {}
    for message in messages[start + 2 :]:
        if message.startswith("all streams"):
            break
        name, count, _seconds = message.split()
        rows[name] = int(count.replace(",", ""))
    return rows


def test_the_log_at_info_fits_a_screen_and_ends_with_the_table(
    tmp_path: Path, fake_api: FakeTikTokApi
) -> None:
    config = tap_config(fake_api, progress_interval_seconds=0.2)
    done = run_cli(tmp_path, config=config, streams=STREAMS, now=NOW)
    assert done.returncode == 0, done.stderr
    assert "METRIC" not in done.stderr
    assert "Skipping deselected stream" not in done.stderr
    assert "Traceback" not in done.stderr
    lines = info_lines(done.stderr)
    messages = [message for _, message in lines]
    other = [line for line in lines if line[0] != "tap-tiktok-ads.progress"]
    assert len(other) <= SCREEN, "\n".join(message for _, message in other)

    emitted = record_counts(done.stdout)
    assert set(emitted) == set(STREAMS) - {"organic_profile", "organic_videos"}
    table = end_table(messages)
    assert table == {**emitted, "organic_profile": 0, "organic_videos": 0}
    assert messages[-1].startswith("TikTok requests sent: ")

    first_advertiser = fake_api.data.advertiser_ids()[0]
    assert (
        f"Starting incremental sync of 'ad_report_daily' for advertiser {first_advertiser} "
        "(1 of 3): days 2026-11-01 to 2026-11-20 (no bookmark yet: start_date '2026-11-01')"
    ) in messages
    assert "bookmark value" not in done.stderr
    no_accounts = [m for m in messages if "`tiktok_accounts` is empty" in m]
    assert len(no_accounts) == 1


def test_progress_lines_come_at_most_once_per_interval(
    tmp_path: Path, fake_api: FakeTikTokApi
) -> None:
    """Apart from each stream's first start line, progress lines keep the interval apart."""
    interval = 0.3
    config = tap_config(
        fake_api,
        start_date="2026-11-15",
        progress_interval_seconds=interval,
        max_requests_per_second=10,
    )
    done = run_cli(tmp_path, config=config, streams={"ad_report_hourly": None}, now=NOW)
    assert done.returncode == 0, done.stderr
    stamps = []
    for line in done.stderr.splitlines():
        if "| tap-tiktok-ads.progress" in line and "| INFO" in line:
            stamp = dt.datetime.strptime(line[:23], "%Y-%m-%d %H:%M:%S,%f")
            stamps.append((stamp, line))
    assert len(stamps) >= 2, done.stderr  # 3 advertisers, 6 one-day windows each: about 2 s
    for (earlier, _), (later, line) in itertools.pairwise(stamps):
        assert (later - earlier).total_seconds() >= interval - 0.01, line
    assert any("rows so far" in line for _, line in stamps)


def retry_seconds(error: str) -> float:
    """The seconds the tap spent on its 3 attempts, as its message says.

    Its own count from the first attempt to the last: the short budget is about 2 s, the usual
    one minutes. The command's whole run also counts its start, up to 20 s measured at load 22
    (the bound of 15 s on it failed there).
    """
    spent = re.search(r"\(3 attempts in ([0-9.]+) s\)", error)
    assert spent, error
    return float(spent.group(1))


def test_a_closed_port_fails_within_seconds_naming_the_host(tmp_path: Path) -> None:
    """Nothing listens there: no minutes of retries, one message, no token, no traceback.

    The port stays bound, not listening, for the whole run (Linux refuses connections to it):
    released, another worker's fake API could be given it meanwhile."""
    token = "closed-port-token-5c1e"
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]
        config = {
            "access_token": token,
            "advertiser_ids": ["7100000000000000001"],
            "api_base_url": f"http://127.0.0.1:{port}/open_api/v1.3",
        }
        done = run_cli(tmp_path, config=config)
    assert done.returncode == 1
    errors = [line for line in done.stderr.splitlines() if "| ERROR" in line]
    assert len(errors) == 1, done.stderr
    assert retry_seconds(errors[0]) < 15
    assert f"127.0.0.1:{port} refused the connection" in errors[0]
    assert "`api_base_url`" in errors[0]
    assert "fake" in errors[0]
    assert "proxy" in errors[0]
    assert "Traceback" not in done.stderr
    assert token not in done.stderr


def test_a_tls_failure_fails_within_seconds_naming_the_setting(
    tmp_path: Path, fake_api: FakeTikTokApi
) -> None:
    """`https://` at the fake's plain-HTTP port: every handshake fails the same way, so it
    gets the short budget of a refused connection, not minutes of retries (default settings)."""
    base_url = fake_api.base_url.replace("http://", "https://", 1)
    config = {
        "access_token": fake_api.token,
        "advertiser_ids": fake_api.data.advertiser_ids()[:1],
        "api_base_url": base_url,
    }
    done = run_cli(tmp_path, config=config, timeout=40)
    assert done.returncode == 1
    errors = [line for line in done.stderr.splitlines() if "| ERROR" in line]
    assert len(errors) == 1, done.stderr
    assert retry_seconds(errors[0]) < 15
    origin = base_url.split("/open_api")[0]
    assert f"the TLS handshake with {origin} failed" in errors[0]
    # Plain HTTP at the port, in the words of the machine's OpenSSL: 3.0, or 3.2 and later.
    plain_http = ("WRONG_VERSION_NUMBER", "RECORD_LAYER_FAILURE", "PACKET_LENGTH_TOO_LONG")
    assert any(reason in errors[0] for reason in plain_http), errors[0]
    assert "3 attempts" in errors[0]
    for hint in ("`api_base_url`", "proxy", "certificate"):
        assert hint in errors[0]
    assert "Traceback" not in done.stderr
    assert fake_api.token not in done.stderr


class _HandshakeDropper:
    """A host that reads each TLS ClientHello and closes the connection: what a load balancer
    or proxy dropping connections looks like to the client (`SSLEOFError`)."""

    def __init__(self) -> None:
        self.server = socket.create_server(("127.0.0.1", 0))
        self.connections = 0
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    @property
    def base_url(self) -> str:
        return f"https://127.0.0.1:{self.server.getsockname()[1]}/open_api/v1.3"

    def _serve(self) -> None:
        with contextlib.suppress(OSError):
            while True:
                connection, _ = self.server.accept()
                self.connections += 1
                with connection:
                    connection.recv(4096)

    def close(self) -> None:
        self.server.close()


def test_a_handshake_cut_short_is_retried_like_any_network_blip(tmp_path: Path) -> None:
    """Only a TLS failure every attempt meets again gets the short budget: a handshake the
    host cuts short is retried with the usual budget (`max_retries`), not blamed on the
    settings after three attempts in a second."""
    host = _HandshakeDropper()
    try:
        config = {"access_token": "tok", "advertiser_ids": ["1"], "api_base_url": host.base_url}
        config |= {"max_retries": 4}
        done = run_cli(tmp_path, config=config, timeout=60)
    finally:
        host.close()
    assert done.returncode == 1
    assert host.connections == 5  # the first attempt and max_retries more
    errors = [line for line in done.stderr.splitlines() if "| ERROR" in line]
    assert len(errors) == 1, done.stderr
    assert "TLS handshake" not in errors[0]
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize(
    ("reason", "lasting"),
    [
        ("WRONG_VERSION_NUMBER", True),  # plain HTTP at the port, OpenSSL 3.0
        ("RECORD_LAYER_FAILURE", True),  # the same with OpenSSL 3.2 and later
        ("PACKET_LENGTH_TOO_LONG", True),
        ("TLSV1_UNRECOGNIZED_NAME", True),
        ("UNEXPECTED_EOF_WHILE_READING", False),  # a handshake cut short
        (None, False),
    ],
)
def test_which_tls_failures_waiting_does_not_mend(reason: str | None, lasting: bool) -> None:
    error = ssl.SSLError(1, f"[SSL: {reason}] ...")
    error.reason = reason  # type: ignore[misc]
    assert _lasting(error) is lasting


# --- the pieces, on an injected clock ---------------------------------------------------


@dataclass
class Clock:
    now: float = 100.0

    def __call__(self) -> float:
        return self.now


@dataclass
class Day:
    start: dt.date
    end: dt.date


def run_log(caplog: pytest.LogCaptureFixture, interval: float) -> tuple[RunLog, Clock]:
    clock = Clock()
    caplog.set_level(logging.INFO, logger="test-run-log")
    return RunLog(logging.getLogger("test-run-log"), interval, clock=clock), clock


def test_rows_say_where_the_stream_is_and_the_time_left(caplog: pytest.LogCaptureFixture) -> None:
    log, clock = run_log(caplog, interval=5)
    log.stream_started("ad_report_daily")
    log.partition_started(
        "ad_report_daily", Partition("advertiser 1", 1, 2), "incremental sync", ""
    )
    plan = Day(dt.date(2026, 11, 1), dt.date(2026, 11, 30))
    log.window("ad_report_daily", Day(dt.date(2026, 11, 16), dt.date(2026, 11, 30)), plan)
    clock.now += 1
    log.rows("ad_report_daily", 10)  # within the interval: no line
    clock.now += 9
    log.rows("ad_report_daily", 5)
    messages = [r.getMessage() for r in caplog.records if r.levelno == logging.INFO]
    assert messages[0] == "Starting incremental sync of 'ad_report_daily' for advertiser 1 (1 of 2)"
    # 10 s for a quarter of the stream (half of one advertiser of two): about 30 s left.
    assert messages[1:] == [
        (
            "ad_report_daily, advertiser 1 (1 of 2), days 2026-11-16 to 2026-11-30, "
            "15 rows so far, about 30 s left"
        )
    ]


def test_later_partitions_start_lines_wait_for_the_interval(
    caplog: pytest.LogCaptureFixture,
) -> None:
    log, clock = run_log(caplog, interval=5)
    log.stream_started("ads")
    for index in (1, 2, 3):
        clock.now += 3
        log.partition_started("ads", Partition(f"advertiser {index}", index, 3), "sync", "")
    messages = [r.getMessage() for r in caplog.records if r.levelno == logging.INFO]
    assert messages == [
        "Starting sync of 'ads' for advertiser 1 (1 of 3)",
        "Starting sync of 'ads' for advertiser 3 (3 of 3)",
    ]


def test_the_table_has_rows_and_seconds_per_stream() -> None:
    clock = Clock()
    log = RunLog(logging.getLogger("test-run-log"), 5, clock=clock)
    log.stream_started("ads")
    log.rows("ads", 1200)
    clock.now += 2.5
    log.stream_ended("ads")
    log.stream_started("campaigns")
    log.rows("campaigns", 3)
    clock.now += 0.5
    log.stream_ended("campaigns")
    assert [line.split() for line in log.table_lines()] == [
        ["Rows", "and", "seconds", "per", "stream:"],
        ["stream", "rows", "seconds"],
        ["ads", "1,200", "2.5"],
        ["campaigns", "3", "0.5"],
        ["all", "streams", "1,203", "3.0"],
    ]


def _record(message: str, *args: object, name: str = "test-chatter") -> logging.LogRecord:
    return logging.LogRecord(name, logging.INFO, __file__, 1, message, args, None)


def test_sdk_chatter_goes_to_debug_and_metrics_come_back_on_request(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING)  # the root logger; restored after the test
    logger = logging.getLogger("test-chatter")
    logger.setLevel(logging.INFO)
    quiet = DemoteSdkChatter(keep_metrics=False)
    assert not quiet.filter(_record("Skipping deselected stream '%s'.", "ads"))
    assert not quiet.filter(_record("METRIC: %s", "{}"))
    assert quiet.filter(_record("The token is authorised for %d advertisers", 3))
    assert DemoteSdkChatter(keep_metrics=True).filter(_record("METRIC: %s", "{}"))

    logger.setLevel(logging.DEBUG)
    record = _record("Beginning sync of '%s' in %s mode", "ads", "incremental")
    assert quiet.filter(record)
    assert record.levelno == logging.DEBUG

    logger.setLevel(logging.INFO)  # Meltano's --log-level=debug: the root logger at DEBUG
    caplog.set_level(logging.DEBUG)
    assert quiet.filter(_record("METRIC: %s", "{}"))
