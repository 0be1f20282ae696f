"""Columnar reads and bulk writes: the batch path never loops over ORM rows.

Writes join the caller's transaction: executemany on SQLite's own connection, COPY on PostgreSQL.
Reads see committed data only. On PostgreSQL they go through ADBC, which hands back Arrow columns
directly. On SQLite they use the process's one sqlite3 library: a second copy of SQLite in the same
process (as ADBC's SQLite driver bundles) would release the first copy's POSIX locks when it closes the
file, which SQLite documents as a way to corrupt a database.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

import polars as pl
from sqlalchemy import Connection, text

from recoup.adapters.db.engine import Database

SQLITE_INSTANT_FORMAT = "%Y-%m-%d %H:%M:%S%.6f"


def _for_sqlite(frame: pl.DataFrame) -> pl.DataFrame:
    conversions = []
    for name, dtype in frame.schema.items():
        if dtype == pl.Date:
            conversions.append(pl.col(name).dt.strftime("%Y-%m-%d"))
        elif isinstance(dtype, pl.Datetime):
            utc = pl.col(name).dt.convert_time_zone("UTC") if dtype.time_zone else pl.col(name)
            conversions.append(utc.dt.strftime(SQLITE_INSTANT_FORMAT))
        elif dtype == pl.Boolean:
            conversions.append(pl.col(name).cast(pl.Int8))
    return frame.with_columns(conversions) if conversions else frame


def _copy_payload(frame: pl.DataFrame) -> bytes:
    conversions = [
        pl.col(name).dt.convert_time_zone("UTC").dt.strftime("%Y-%m-%d %H:%M:%S%.6f+00")
        for name, dtype in frame.schema.items()
        if isinstance(dtype, pl.Datetime) and dtype.time_zone
    ]
    if conversions:
        frame = frame.with_columns(conversions)
    buffer = io.BytesIO()
    frame.write_csv(buffer, include_header=False, null_value="\\N", quote_style="necessary")
    return buffer.getvalue()


def insert_frame(connection: Connection, db: Database, table: str, frame: pl.DataFrame) -> int:
    """Insert every row of ``frame`` into ``table`` (columns by name) inside the open transaction."""
    if frame.is_empty():
        return 0
    columns = ", ".join(f'"{c}"' for c in frame.columns)
    raw: Any = connection.connection.driver_connection
    if db.is_sqlite:
        placeholders = ", ".join("?" for _ in frame.columns)
        raw.executemany(
            f'INSERT INTO "{table}" ({columns}) VALUES ({placeholders})', _for_sqlite(frame).iter_rows()
        )
    else:
        with (
            raw.cursor() as cursor,
            cursor.copy(f"COPY \"{table}\" ({columns}) FROM STDIN WITH (FORMAT csv, NULL '\\N')") as copy,
        ):
            copy.write(_copy_payload(frame))
    return frame.height


def next_key(connection: Connection, table: str) -> int:
    """The first free application-assigned key of ``table`` (callers hold the table's write lock)."""
    return int(connection.execute(text(f'SELECT COALESCE(MAX("key"), 0) FROM "{table}"')).scalar_one()) + 1


def sql_literal(value: object) -> str:
    """A typed value as an SQL literal, for the few parameters of columnar reads (never user text)."""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, datetime):
        return f"'{value.strftime('%Y-%m-%d %H:%M:%S.%f')}'"
    if isinstance(value, date):
        return f"'{value.isoformat()}'"
    raise TypeError(f"no literal for {type(value).__name__}")


def _read_postgres(db: Database, sql: str) -> pl.DataFrame:
    with db.readers.connection(db.libpq_uri()) as connection:
        cursor = connection.cursor()
        try:
            cursor.execute(sql)
            table = cursor.fetch_arrow_table()
        finally:
            cursor.close()
    frame = pl.from_arrow(_plain_columns(table))
    assert isinstance(frame, pl.DataFrame)
    return frame


def _plain_columns(table: Any) -> Any:
    """PostgreSQL NUMERIC (e.g. SUM over BIGINT) arrives as an opaque extension type holding text; keep
    the text so the schema cast turns it into the declared integer type."""
    import pyarrow as pa

    columns = [
        pa.chunked_array([chunk.storage for chunk in column.chunks], type=column.type.storage_type)
        if isinstance(column.type, pa.BaseExtensionType)
        else column
        for column in table.columns
    ]
    return pa.table(columns, names=table.column_names)


def _sqlite_wire_type(dtype: pl.DataType | None) -> pl.DataType | None:
    """What sqlite3 hands back for a column meant to become ``dtype`` (dates and instants are text)."""
    if dtype is None:
        return None
    if dtype == pl.Date or isinstance(dtype, pl.Datetime):
        return pl.String()
    if dtype == pl.Boolean:
        return pl.Int64()
    return dtype


def _read_sqlite(db: Database, sql: str, schema: Mapping[str, pl.DataType] | None) -> pl.DataFrame:
    with db.engine.connect() as connection:
        raw: Any = connection.connection.driver_connection
        cursor = raw.execute(sql)
        names = [d[0] for d in cursor.description]
        rows = cursor.fetchall()
    # Column-wise construction is about twice as fast as handing Polars the row tuples.
    columns = list(zip(*rows, strict=True)) if rows else [() for _ in names]
    wire = {name: _sqlite_wire_type((schema or {}).get(name)) for name in names}
    return pl.DataFrame(
        [
            pl.Series(name, values, dtype=wire[name], strict=False)
            for name, values in zip(names, columns, strict=True)
        ]
    )


def _cast(frame: pl.DataFrame, schema: Mapping[str, pl.DataType]) -> pl.DataFrame:
    casts = []
    for name, dtype in schema.items():
        if name not in frame.columns:
            continue
        current = frame.schema[name]
        column = pl.col(name)
        if current == dtype:
            continue
        if current == pl.String and dtype == pl.Date:
            casts.append(column.str.slice(0, 10).str.to_date("%Y-%m-%d"))
        elif current == pl.String and isinstance(dtype, pl.Datetime):
            parsed = column.str.to_datetime(SQLITE_INSTANT_FORMAT, strict=False, time_unit="us")
            casts.append(parsed.dt.replace_time_zone("UTC").cast(dtype))
        elif isinstance(current, pl.Datetime) and isinstance(dtype, pl.Datetime):
            casts.append(column.dt.convert_time_zone("UTC").cast(dtype))
        else:
            casts.append(column.cast(dtype))
    return frame.with_columns(casts) if casts else frame


def read_frame(db: Database, sql: str, schema: Mapping[str, pl.DataType] | None = None) -> pl.DataFrame:
    """Run a SELECT and return its rows as a Polars frame, cast to ``schema`` where given."""
    frame = _read_sqlite(db, sql, schema) if db.is_sqlite else _read_postgres(db, sql)
    if schema is None:
        return frame
    for name, dtype in schema.items():
        if name not in frame.columns:
            frame = frame.with_columns(pl.lit(None, dtype=dtype).alias(name))
        elif frame.schema[name] == pl.Null:
            frame = frame.with_columns(pl.col(name).cast(dtype))
    return _cast(frame, schema)


def _stage(connection: Connection, db: Database, table: str, frame: pl.DataFrame) -> str:
    """COPY ``frame`` into a temporary table shaped like ``table`` (PostgreSQL); returns its name."""
    stage = f"stage_{table}"
    raw: Any = connection.connection.driver_connection
    with raw.cursor() as cursor:
        cursor.execute(f'CREATE TEMPORARY TABLE IF NOT EXISTS "{stage}" (LIKE "{table}") ON COMMIT DROP')
        cursor.execute(f'TRUNCATE "{stage}"')
    insert_frame(connection, db, stage, frame)
    return stage


def insert_new(
    connection: Connection, db: Database, table: str, frame: pl.DataFrame, conflict: tuple[str, ...]
) -> int:
    """Insert the rows of ``frame`` whose ``conflict`` key is not stored yet; returns how many went in."""
    if frame.is_empty():
        return 0
    columns = ", ".join(f'"{c}"' for c in frame.columns)
    target = ", ".join(f'"{c}"' for c in conflict)
    raw: Any = connection.connection.driver_connection
    if db.is_sqlite:
        before = raw.total_changes
        placeholders = ", ".join("?" for _ in frame.columns)
        raw.executemany(
            f'INSERT INTO "{table}" ({columns}) VALUES ({placeholders}) ON CONFLICT ({target}) DO NOTHING',
            _for_sqlite(frame).iter_rows(),
        )
        return int(raw.total_changes - before)
    stage = _stage(connection, db, table, frame)
    with raw.cursor() as cursor:
        cursor.execute(
            f'INSERT INTO "{table}" ({columns}) SELECT {columns} FROM "{stage}" '
            f"ON CONFLICT ({target}) DO NOTHING"
        )
        return int(cursor.rowcount)


def update_rows(connection: Connection, db: Database, table: str, frame: pl.DataFrame, key: str) -> int:
    """Set the other columns of ``frame`` on the rows of ``table`` matched by ``key``."""
    if frame.is_empty():
        return 0
    others = [c for c in frame.columns if c != key]
    raw: Any = connection.connection.driver_connection
    if db.is_sqlite:
        assignments = ", ".join(f'"{c}" = ?' for c in others)
        rows = _for_sqlite(frame.select([*others, key])).iter_rows()
        raw.executemany(f'UPDATE "{table}" SET {assignments} WHERE "{key}" = ?', rows)
        return frame.height
    stage = f"stage_update_{table}"
    with raw.cursor() as cursor:
        # Shaped by this call's columns: a staging table left by an earlier update of other columns
        # in the same transaction must not be reused.
        cursor.execute(f'DROP TABLE IF EXISTS "{stage}"')
        cursor.execute(
            f'CREATE TEMPORARY TABLE "{stage}" ON COMMIT DROP AS SELECT {", ".join(frame.columns)} '
            f'FROM "{table}" WITH NO DATA'
        )
    insert_frame(connection, db, stage, frame)
    assignments = ", ".join(f'"{c}" = s."{c}"' for c in others)
    with raw.cursor() as cursor:
        cursor.execute(
            f'UPDATE "{table}" AS t SET {assignments} FROM "{stage}" AS s WHERE t."{key}" = s."{key}"'
        )
        return int(cursor.rowcount)
