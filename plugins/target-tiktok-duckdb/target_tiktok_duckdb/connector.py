"""DuckDB through SQLAlchemy: column types from the JSON schema, and loads that never guess.

The SDK's connector creates schemas and tables and adds columns. Rows do not go through a CSV
file, whose header and types DuckDB would guess, nor through `executemany`, which runs one
statement per row. Each column of a batch is bound as one typed list parameter
(`unnest($1::BIGINT[])`), so DuckDB receives the values themselves and casts them to the
column's declared type, or fails the load.
"""

from __future__ import annotations

import decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import simplejson
import sqlalchemy as sa
from singer_sdk.sql import SQLConnector
from singer_sdk.sql.connector import JSONSchemaToSQL
from sqlalchemy.dialects import postgresql
from typing_extensions import override

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from singer_sdk.sql.connector import FullyQualifiedName

# The name of the per-batch staging table, a temporary table private to the connection.
STAGING_TABLE = "_target_tiktok_duckdb_batch"
# SQLAlchemy types of the DuckDB column types this target creates, for the SDK's comparison
# of a table's columns with a new schema; other types are compared by their name.
_SQL_TYPES: dict[str, Callable[[], sa.types.TypeEngine]] = {
    "BIGINT": sa.BIGINT,
    "INTEGER": sa.INTEGER,
    "DOUBLE": sa.DOUBLE,
    "FLOAT": sa.FLOAT,
    "BOOLEAN": sa.BOOLEAN,
    "VARCHAR": sa.VARCHAR,
    "DATE": sa.DATE,
    "TIME": sa.TIME,
    "TIMESTAMP": sa.TIMESTAMP,
    "TIMESTAMP WITH TIME ZONE": lambda: sa.TIMESTAMP(timezone=True),
    "JSON": sa.JSON,
}


class DuckDBTypes(JSONSchemaToSQL):
    """JSON schema types to DuckDB column types, as wide as the values can be.

    Integers are BIGINT (the SDK default INTEGER is 32 bits), numbers DOUBLE (the SDK default
    DECIMAL is DECIMAL(18,3) in DuckDB and would round), date-times TIMESTAMPTZ (an instant;
    the SDK default is a TIMESTAMP without zone), objects and arrays JSON.
    """

    def __init__(self, *, max_varchar_length: int | None = None) -> None:
        """Register DuckDB's types over the SDK's defaults."""
        super().__init__(max_varchar_length=max_varchar_length)
        self.register_type_handler("integer", sa.BIGINT)
        self.register_type_handler("number", sa.DOUBLE)
        self.register_type_handler("object", sa.JSON)
        self.register_type_handler("array", sa.JSON)
        self.register_format_handler("date-time", lambda _: sa.TIMESTAMP(timezone=True))
        self.register_format_handler("date", sa.DATE)
        self.register_format_handler("time", sa.TIME)

    @override
    def handle_raw_string(self, schema: dict) -> sa.types.TypeEngine:
        """Plain VARCHAR: DuckDB ignores lengths, and a declared one only misleads."""
        return sa.VARCHAR()


def _as_json(value: object) -> str:
    """JSON text; numbers keep their digits (the SDK reads them as Decimal)."""
    return simplejson.dumps(
        value, use_decimal=True, default=str, ensure_ascii=False, separators=(",", ":")
    )


def _as_text(value: object) -> str:
    """Text as it is; other values (a column of several JSON types) as their JSON."""
    return value if isinstance(value, str) else _as_json(value)


def _as_float(value: object) -> float:
    if isinstance(value, (int, float, decimal.Decimal, str)):
        return float(value)
    raise TypeError(f"{value!r} is not a number")


def _as_integer(value: object) -> int:
    """An integral value; 1.5 in an integer column fails instead of being rounded."""
    if isinstance(value, bool) or not isinstance(value, (int, float, decimal.Decimal, str)):
        raise TypeError(f"{value!r} is not an integer")
    number = decimal.Decimal(value)
    if number != number.to_integral_value():
        raise TypeError(f"{value!r} is not an integer")
    return int(number)


def _as_iso_text(value: object) -> str:
    """Dates and times as ISO text; DuckDB's cast to DATE or TIMESTAMPTZ reads it exactly."""
    isoformat = getattr(value, "isoformat", None)
    return isoformat() if isoformat else str(value)


# How a value is handed to DuckDB for a column of each type (the data_type information_schema
# reports); types not named here take the value as it is.
_CONVERTERS: dict[str, Callable[[Any], Any]] = {
    "VARCHAR": _as_text,
    "JSON": _as_json,
    "BIGINT": _as_integer,
    "INTEGER": _as_integer,
    "DOUBLE": _as_float,
    "FLOAT": _as_float,
    "DATE": _as_iso_text,
    "TIME": _as_iso_text,
    "TIMESTAMP": _as_iso_text,
    "TIMESTAMP WITH TIME ZONE": _as_iso_text,
}


class _NamedType(sa.types.UserDefinedType):
    """A DuckDB type this target does not create (a table made by other tools), by name."""

    cache_ok = True

    def __init__(self, name: str) -> None:
        self.name = name

    def get_col_spec(self, **_: object) -> str:
        return self.name

    def __str__(self) -> str:
        return self.name


class _Executes(Protocol):
    def execute(self, statement: str) -> object: ...


def _use_utc(dbapi_connection: _Executes, _: object) -> None:
    dbapi_connection.execute("set TimeZone = 'UTC'")


def _sql_type(data_type: str) -> sa.types.TypeEngine:
    known = _SQL_TYPES.get(data_type)
    return known() if known else _NamedType(data_type)


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


class DuckDBConnector(SQLConnector):
    """A DuckDB database file; tables are created, widened and loaded here."""

    allow_column_add = True
    allow_column_rename = True
    allow_column_alter = True
    allow_merge_upsert = True
    allow_overwrite = True
    allow_temp_tables = True
    jsonschema_to_sql_converter = DuckDBTypes

    @override
    def get_sqlalchemy_url(self, config: dict[str, Any]) -> str:
        """A file URL; the file's folder is created so that a first run needs no setup."""
        path = Path(config["filepath"]).expanduser()
        path.parent.mkdir(parents=True, exist_ok=True)
        return f"duckdb:///{path}"

    @override
    def create_engine(self) -> sa.Engine:
        """An engine whose sessions read timestamps without an offset as UTC, on any machine."""
        engine = sa.create_engine(
            self.sqlalchemy_url,
            json_serializer=self.serialize_json,
            json_deserializer=self.deserialize_json,
        )
        # A SET, not a connect option: DuckDB applies connect options before it loads ICU,
        # which the TimeZone setting needs.
        sa.event.listen(engine, "connect", _use_utc)
        return engine

    @override
    def schema_exists(self, schema_name: str) -> bool:
        """Looked up in this file's catalog: duckdb-engine names schemas `<file>.<schema>`."""
        query = sa.text(
            "select count(*) from information_schema.schemata "
            "where catalog_name = current_database() and schema_name = :schema"
        )
        with self._connect() as connection:
            return bool(connection.execute(query, {"schema": schema_name}).scalar())

    @override
    def create_empty_table(
        self,
        full_table_name: str | FullyQualifiedName,
        schema: dict,
        primary_keys: Sequence[str] | None = None,
        partition_keys: list[str] | None = None,
        as_temp_table: bool = False,
    ) -> None:
        """The SDK's table, without turning an integer key into an auto-increment SERIAL.

        SQLAlchemy's PostgreSQL dialect, which duckdb-engine builds on, would make an integer
        primary key BIGSERIAL, a type DuckDB does not have. The key is a constraint, so a
        second row with the same key fails the load instead of being stored twice.
        """
        _ = partition_keys
        if as_temp_table:
            raise NotImplementedError("Temporary tables are created per batch, not here.")
        _, schema_name, table_name = self.parse_full_table_name(full_table_name)
        properties: dict[str, dict] = schema.get("properties", {})
        if not properties:
            raise RuntimeError(f"Schema for '{full_table_name}' defines no properties")
        metadata = sa.MetaData(schema=schema_name)
        columns = [
            sa.Column(name, self.to_sql_type(prop), autoincrement=False)
            for name, prop in properties.items()
        ]
        keys = [key for key in primary_keys or [] if key in properties]
        constraints = [sa.PrimaryKeyConstraint(*keys)] if keys else []
        sa.Table(table_name, metadata, *columns, *constraints)
        metadata.create_all(self._engine)

    @override
    def table_exists(self, full_table_name: str | FullyQualifiedName) -> bool:
        """From information_schema: duckdb-engine's reflection differs between versions."""
        _, schema_name, table_name = self.parse_full_table_name(full_table_name)
        query = sa.text(
            "select count(*) from information_schema.tables where table_catalog = "
            "current_database() and table_schema = :schema and table_name = :table"
        )
        with self._connect() as connection:
            parameters = {"schema": schema_name or "main", "table": table_name}
            return bool(connection.execute(query, parameters).scalar())

    @override
    def get_table_columns(
        self,
        full_table_name: str | FullyQualifiedName,
        column_names: list[str] | None = None,
    ) -> dict[str, sa.Column]:
        """The table's columns from information_schema, typed as this target creates them.

        SQLAlchemy's reflection through duckdb-engine queries PostgreSQL catalog tables
        that some DuckDB versions lack, and reads TIMESTAMPTZ back as TIMESTAMP.
        """
        wanted = {name.casefold() for name in column_names or []}
        return {
            name: sa.Column(name, _sql_type(data_type))
            for name, data_type in self.column_types(full_table_name).items()
            if not wanted or name.casefold() in wanted
        }

    @override
    @staticmethod
    def get_column_alter_ddl(
        table_name: str | FullyQualifiedName,
        column_name: str,
        column_type: sa.types.TypeEngine,
    ) -> sa.DDL:
        """DuckDB's syntax; the SDK widens a column (e.g. DATE to VARCHAR) this way."""
        type_name = column_type.compile(dialect=postgresql.dialect())
        return sa.DDL(
            f"alter table {table_name} alter column {_quote(column_name)} set data type {type_name}"
        )

    def column_types(self, full_table_name: str | FullyQualifiedName) -> dict[str, str]:
        """Each column's DuckDB type, as the database reports it (not as SQLAlchemy reflects)."""
        _, schema_name, table_name = self.parse_full_table_name(full_table_name)
        query = sa.text(
            "select column_name, data_type from information_schema.columns "
            "where table_catalog = current_database() and table_schema = :schema "
            "and table_name = :table order by ordinal_position"
        )
        with self._connect() as connection:
            parameters = {"schema": schema_name or "main", "table": table_name}
            rows = connection.execute(query, parameters)
            return {str(row[0]): str(row[1]) for row in rows}

    def load_rows(
        self,
        full_table_name: str | FullyQualifiedName,
        rows: Sequence[dict[str, Any]],
        key_columns: Sequence[str],
    ) -> int:
        """Insert `rows`; with key columns, each row first replaces the stored row of its key.

        One transaction: the batch goes into a staging table as typed column lists, the stored
        rows with the batch's keys are deleted, and the batch is inserted. Rows must have
        distinct keys (the sink keeps the last row of each key). Returns the rows inserted.
        """
        if not rows:
            return 0
        table = str(full_table_name)
        types = self.column_types(full_table_name)
        names = [name for name in types if any(name in row for row in rows)]
        unknown = sorted({name for row in rows for name in row} - set(types))
        if unknown:
            raise RuntimeError(f"{table} has no columns {unknown}")
        lists = []
        for name in names:
            convert = _CONVERTERS.get(types[name])
            values = [row.get(name) for row in rows]
            lists.append([v if v is None or convert is None else convert(v) for v in values])
        columns = ", ".join(
            f"unnest(${i}::{types[name]}[]) as {_quote(name)}"
            for i, name in enumerate(names, start=1)
        )
        staging = _quote(STAGING_TABLE)
        matches = " and ".join(
            f"{table}.{_quote(key)} is not distinct from {staging}.{_quote(key)}"
            for key in key_columns
        )
        with self._connect() as connection, connection.begin():
            connection.exec_driver_sql(
                f"create or replace temp table {staging} as select {columns}",
                tuple(lists),
            )
            if key_columns:
                connection.exec_driver_sql(f"delete from {table} using {staging} where {matches}")  # noqa: S608
            inserted = connection.exec_driver_sql(
                f"insert into {table} by name select * from {staging}"  # noqa: S608
            ).rowcount
            connection.exec_driver_sql(f"drop table {staging}")
        return int(inserted) if inserted is not None and inserted >= 0 else len(rows)
