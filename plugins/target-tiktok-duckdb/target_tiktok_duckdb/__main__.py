"""`python -m target_tiktok_duckdb`, the same as the `target-tiktok-duckdb` command."""

from target_tiktok_duckdb.target import TargetTikTokDuckDB

TargetTikTokDuckDB.cli()
