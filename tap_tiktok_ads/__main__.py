"""`python -m tap_tiktok_ads`."""

from tap_tiktok_ads.tap import TapTikTokAds

TapTikTokAds.cli()
