"""Compare each loaded table with what the tap emitted; exit 1 on any difference.

`scripts/demo` runs this with the loader's own Python (its DuckDB reads the file it wrote)
after `meltano run tap-tiktok-ads count-records target-duckdb` into a fresh database:
every table must hold one row per distinct key the tap emitted for its stream, and no key
twice. The counts come from the count-records mapper, which shares no code with the loader.

Usage: python scripts/check_load.py output/record-counts.json output/tiktok_ads.duckdb tiktok
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import duckdb


def quote(name: str) -> str:
    """A DuckDB identifier."""
    return '"' + name.replace('"', '""') + '"'


def main(counts_path: str, database: str, schema: str) -> int:
    """Print one line per stream; return 1 if any table differs from what was emitted."""
    emitted = json.loads(Path(counts_path).read_text())
    connection = duckdb.connect(database, read_only=True)
    tables = {
        name
        for (name,) in connection.execute(
            "select table_name from information_schema.tables where table_schema = ?", [schema]
        ).fetchall()
    }
    header = f"{'table':40s} {'emitted':>9s} {'keys':>9s} {'rows':>9s} {'row keys':>9s}"
    print(f"\nRows in {database}, schema {schema}, against the records the tap emitted:")
    print(header)
    failures = []
    for stream, count in sorted(emitted.items()):
        if stream not in tables:
            failures.append(f"{stream}: no table {schema}.{stream}")
            continue
        table = f"{quote(schema)}.{quote(stream)}"
        keys = ", ".join(quote(key) for key in count["key_properties"]) or "*"
        row = connection.execute(
            f"select (select count(*) from {table}), "  # noqa: S608
            f"(select count(*) from (select distinct {keys} from {table}))"
        ).fetchone()
        rows, row_keys = row or (0, 0)
        ok = rows == row_keys == count["distinct_keys"]
        print(
            f"{stream:40s} {count['records']:>9d} {count['distinct_keys']:>9d} {rows:>9d} "
            f"{row_keys:>9d}  {'ok' if ok else 'DIFFERENT'}"
        )
        if not ok:
            failures.append(
                f"{stream}: the tap emitted {count['records']} records with "
                f"{count['distinct_keys']} distinct keys; the table has {rows} rows with "
                f"{row_keys} distinct keys"
            )
    failures.extend(
        f"{schema}.{table}: a table for a stream the tap did not emit"
        for table in sorted(tables - set(emitted))
    )
    if failures:
        print(
            "\nLOAD CHECK FAILED: the database does not hold what the tap emitted:", file=sys.stderr
        )
        for failure in failures:
            print(f"  {failure}", file=sys.stderr)
        return 1
    print(f"\nEvery table holds each record the tap emitted ({len(emitted)} streams).")
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:4]))
