"""The `tap-tiktok-ads` command (and `python -m tap_tiktok_ads`).

The garbage collector is paused before the tap is imported: the imports build objects that
live for the whole run, and walking them as they pile up costs 0.08 s of CPU before the
first request (gc_pause.py). The sync turns it back on.
"""

from __future__ import annotations

from tap_tiktok_ads.gc_pause import own_process, pause


def main() -> None:
    """Run the tap's command line, in a process of its own."""
    own_process()
    pause()
    from tap_tiktok_ads.tap import TapTikTokAds  # noqa: PLC0415 - imported with the collector paused

    TapTikTokAds.cli()
