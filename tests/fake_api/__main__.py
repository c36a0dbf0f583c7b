"""Run the fake in the foreground: `python -m tests.fake_api --port 8765 --ads 10 ...`.

Prints `<base_url> <token>` on one line, then serves until SIGTERM or SIGINT. The demo and
the benchmarks start it this way.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from tests.fake_api.data import DataSpec, FakeData
from tests.fake_api.organic import organic_accounts, organic_auth
from tests.fake_api.server import DEFAULT_TOKEN, FakeTikTokApi


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m tests.fake_api", description=__doc__)
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--advertisers", type=int, default=3)
    parser.add_argument("--campaigns", type=int, default=2, help="per advertiser")
    parser.add_argument("--adgroups", type=int, default=2, help="per campaign")
    parser.add_argument("--ads", type=int, default=2, help="per ad group")
    parser.add_argument("--days", type=int, default=None, help="days of data up to --last-day")
    parser.add_argument("--last-day", default=None, help="YYYY-MM-DD, default today (UTC)")
    parser.add_argument("--latency", type=float, default=0.0, help="seconds per request")
    parser.add_argument("--rps", type=float, default=None, help="hard cap on requests/second")
    parser.add_argument(
        "--task-seconds",
        type=float,
        default=None,
        help="seconds an asynchronous report task takes to process",
    )
    parser.add_argument(
        "--cache-answers",
        action="store_true",
        help="answer a repeated query with its first answer (benchmarks)",
    )
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--token", default=DEFAULT_TOKEN)
    parser.add_argument(
        "--accounts-file",
        default=None,
        help="write the TikTok accounts (business_id, refresh_token) as a JSON list here",
    )
    return parser.parse_args(argv)


def _spec(args: argparse.Namespace) -> DataSpec:
    base = DataSpec()
    last_day = base.last_day
    first_day = base.first_day
    if args.last_day or args.days:
        last_day = (
            datetime.strptime(args.last_day, "%Y-%m-%d").replace(tzinfo=timezone.utc).date()
            if args.last_day
            else datetime.now(timezone.utc).date()
        )
        first_day = last_day - timedelta(days=(args.days or 122) - 1)
    return DataSpec(
        seed=args.seed,
        advertisers=args.advertisers,
        campaigns_per_advertiser=args.campaigns,
        adgroups_per_campaign=args.adgroups,
        ads_per_adgroup=args.ads,
        first_day=first_day,
        last_day=last_day,
    )


def main(argv: list[str] | None = None) -> int:
    """Serve until a termination signal arrives."""
    args = _arguments(argv)
    api = FakeTikTokApi(
        FakeData(_spec(args)),
        tokens={args.token},
        latency_seconds=args.latency,
        max_requests_per_second=args.rps,
        cache_answers=args.cache_answers,
    )
    if args.task_seconds is not None:
        api.report_tasks.processing_seconds = args.task_seconds
    stop = threading.Event()

    def on_signal(_signum: int, _frame: Any) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    api.start(args.port)
    if args.accounts_file:
        auth = organic_auth(api)
        accounts = [
            {
                "business_id": account.business_id,
                "refresh_token": auth.refresh_token(account.business_id),
            }
            for account in organic_accounts(api.data)
        ]
        Path(args.accounts_file).write_text(json.dumps(accounts))
    sys.stdout.write(f"{api.base_url} {args.token}\n")
    sys.stdout.flush()
    try:
        stop.wait()
    finally:
        api.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
