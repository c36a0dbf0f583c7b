"""The ceiling of the CPU benchmark: the tap's report requests with `requests` and a JSON parse.

No typing, no records, no output: per advertiser and per 30-day window, page 1 and then the
pages its `page_info` announces, on a few threads, each answer decoded with the standard
library's `json`. A tap cannot read the same pages faster than this on the same machine, so
the benchmark prints the tap's records per second as a fraction of this script's.

    python benchmarks/bare_client.py --base-url URL --token T --advertisers 1,2 \
        --first 2026-01-01 --last 2026-06-29 --metrics spend,clicks [--concurrency 4]

Prints one JSON line: rows, requests and wall seconds.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import requests

REPORT_PATH = "/report/integrated/get/"  # after the base URL, which ends in /open_api/v1.3
PAGE_SIZE = 1000  # report/integrated/get/: page_size at most 1000 (reference 2.1)
WINDOW_DAYS = 30  # stat_time_day: at most 30 days per request (reference 2.5)


def windows(first: dt.date, last: dt.date) -> list[tuple[dt.date, dt.date]]:
    """Consecutive windows of at most 30 days, as the tap reads them."""
    found = []
    start = first
    while start <= last:
        end = min(start + dt.timedelta(days=WINDOW_DAYS - 1), last)
        found.append((start, end))
        start = end + dt.timedelta(days=1)
    return found


class BareClient:
    """One session shared by the threads, as the tap shares one."""

    def __init__(self, args: argparse.Namespace) -> None:
        """Keep the query's fixed parts."""
        self.url = args.base_url.rstrip("/") + REPORT_PATH
        self.session = requests.Session()
        adapter = requests.adapters.HTTPAdapter(pool_maxsize=args.concurrency + 1)
        self.session.mount("http://", adapter)
        self.session.headers["Access-Token"] = args.token
        self.fixed = {
            "service_type": "AUCTION",
            "report_type": "BASIC",
            "data_level": args.data_level,
            "dimensions": json.dumps(args.dimensions.split(","), separators=(",", ":")),
            "metrics": json.dumps(args.metrics.split(","), separators=(",", ":")),
            "page_size": PAGE_SIZE,
        }
        self.rows = 0
        self.requests = 0
        self._lock = threading.Lock()

    def page(self, advertiser_id: str, window: tuple[dt.date, dt.date], number: int) -> int:
        """Fetch and parse one page; its announced page count."""
        params = {
            "advertiser_id": advertiser_id,
            **self.fixed,
            "start_date": window[0].isoformat(),
            "end_date": window[1].isoformat(),
            "page": number,
        }
        response = self.session.get(self.url, params=params, timeout=300)
        response.raise_for_status()
        body = json.loads(response.content)
        if body.get("code") != 0:
            msg = f"TikTok code {body.get('code')}: {body.get('message')}"
            raise RuntimeError(msg)
        data = body["data"]
        with self._lock:
            self.rows += len(data["list"])
            self.requests += 1
        return int(data["page_info"]["total_page"])

    def window(self, advertiser_id: str, window: tuple[dt.date, dt.date]) -> None:
        """Page 1, then the rest of the pages it announces."""
        total = self.page(advertiser_id, window, 1)
        for number in range(2, total + 1):
            self.page(advertiser_id, window, number)


def main(argv: list[str] | None = None) -> int:
    """Read every page once and print rows, requests and wall seconds as JSON."""
    parser = argparse.ArgumentParser(prog="benchmarks/bare_client.py", description=__doc__)
    parser.add_argument("--base-url", required=True)
    parser.add_argument("--token", required=True)
    parser.add_argument("--advertisers", required=True, help="comma-separated IDs")
    parser.add_argument("--first", type=dt.date.fromisoformat, required=True)
    parser.add_argument("--last", type=dt.date.fromisoformat, required=True)
    parser.add_argument("--metrics", required=True, help="comma-separated, in the tap's order")
    parser.add_argument("--dimensions", default="ad_id,stat_time_day")
    parser.add_argument("--data-level", default="AUCTION_AD")
    parser.add_argument("--concurrency", type=int, default=4)
    args = parser.parse_args(argv)
    client = BareClient(args)
    jobs = [
        (advertiser_id, window)
        for advertiser_id in args.advertisers.split(",")
        for window in windows(args.first, args.last)
    ]
    started = time.perf_counter()
    with ThreadPoolExecutor(args.concurrency) as pool:
        for future in [pool.submit(client.window, *job) for job in jobs]:
            future.result()
    wall = time.perf_counter() - started
    result = {"rows": client.rows, "requests": client.requests, "wall_seconds": wall}
    sys.stdout.write(json.dumps(result) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
