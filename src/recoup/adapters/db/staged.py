"""Bulk updates of some columns by key that are safe to mix in one session with other column sets.

On PostgreSQL the rows go through a temporary table named after the table and the updated columns and
dropped at commit, so two updates of the same table with different columns (in one transaction, or in
transactions that reuse a pooled connection) never meet a staging table of the wrong shape. On SQLite
it is `bulk.update_rows` (executemany, no staging table).
"""

from __future__ import annotations

import hashlib
from typing import Any

import polars as pl
from sqlalchemy import Connection

from recoup.adapters.db.bulk import insert_frame, update_rows
from recoup.adapters.db.engine import Database


def update_columns(connection: Connection, db: Database, table: str, frame: pl.DataFrame, key: str) -> int:
    """Set the other columns of ``frame`` on the rows of ``table`` whose ``key`` matches."""
    if frame.is_empty():
        return 0
    if db.is_sqlite:
        return update_rows(connection, db, table, frame, key)
    columns = ", ".join(f'"{c}"' for c in frame.columns)
    shape = hashlib.sha256(",".join(frame.columns).encode()).hexdigest()[:12]
    stage = f"stage_set_{table}_{shape}"
    raw: Any = connection.connection.driver_connection
    with raw.cursor() as cursor:
        cursor.execute(
            f'CREATE TEMPORARY TABLE IF NOT EXISTS "{stage}" ON COMMIT DROP AS '
            f'SELECT {columns} FROM "{table}" WITH NO DATA'
        )
        cursor.execute(f'TRUNCATE "{stage}"')
    insert_frame(connection, db, stage, frame)
    assignments = ", ".join(f'"{c}" = s."{c}"' for c in frame.columns if c != key)
    with raw.cursor() as cursor:
        cursor.execute(
            f'UPDATE "{table}" AS t SET {assignments} FROM "{stage}" AS s WHERE t."{key}" = s."{key}"'
        )
        return int(cursor.rowcount)
