"""A Singer target for DuckDB that loads every record it receives, typed, upserted by key."""
