"""When the tap let its requests go, as its own thread saw it: what its limiters guarantee.

The fake stamps a request when its server thread gets to it. On a loaded machine (2 cores
shared with other runs; the fake runs in the tap's process, so it also waits for the GIL)
that stamp lags the send by up to `DELIVERY_SKEW`: 84 ms was measured at load 17, more than
the tap's own margin for network jitter (its 1.05 s window against TikTok's second,
transport.py). Arrival spacing on such a machine is not what the tap controls, so rate
tests assert the tap's rule on the sends, and TikTok's on the arrivals less that skew.

`LatencyGauge.started` runs on the sending thread right after the limiters let the request
go, before a byte is written (latency.py): it is recorded there. Sends and arrivals are
counted by the fake's one rule (`tests.fake_api.request_log.most_within`).
"""

from __future__ import annotations

import threading
import time
from typing import TYPE_CHECKING

from tap_tiktok_ads.latency import LatencyGauge

if TYPE_CHECKING:
    import pytest

# The most the fake's arrival stamp may lag a send in these tests (84 ms measured at load 17
# on 2 cores). Bugs of the limiters shift arrivals far more: a halved quota by 1/(2 x rate).
DELIVERY_SKEW = 0.2


def record_sends(monkeypatch: pytest.MonkeyPatch) -> list[tuple[float, int]]:
    """From now on, each request's send moment (monotonic) and sending thread."""
    sends: list[tuple[float, int]] = []
    started = LatencyGauge.started

    def recording(gauge: LatencyGauge) -> int:
        sends.append((time.monotonic(), threading.get_ident()))
        return started(gauge)

    monkeypatch.setattr(LatencyGauge, "started", recording)
    return sends
