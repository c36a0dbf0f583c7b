"""`python -m tap_tiktok_ads`."""

from tap_tiktok_ads.command import main

main()
