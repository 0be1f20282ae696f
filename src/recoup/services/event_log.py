"""Writing events that Recoup itself observes (delivery results, replies) into the events table, the same
table imports fill, so the daily run's update step applies them like any other event.

Nothing here commits. Keys are taken under a table lock on PostgreSQL (SQLite's write transaction
already serialises writers), as the importer does. Each write returns the cover of the rows it stored,
for the audit entry of the caller's transaction.
"""

from __future__ import annotations

from typing import NamedTuple

import polars as pl
from sqlalchemy import Connection, text

from recoup.adapters.db import audit
from recoup.adapters.db.bulk import insert_new
from recoup.adapters.db.engine import Database
from recoup.core.audit import Cover
from recoup.core.schema import EVENT_SCHEMA
from recoup.services.importing import event_rows

STORED_COLUMNS = ("account_key", *[c for c in EVENT_SCHEMA if c not in ("account_id", "creditor_id")])


def _lock_events(connection: Connection, db: Database) -> None:
    if not db.is_sqlite:
        connection.execute(text('LOCK TABLE "events" IN SHARE ROW EXCLUSIVE MODE'))


def _next_key(connection: Connection) -> int:
    return int(connection.execute(text('SELECT COALESCE(MAX("key"), 0) FROM events')).scalar_one()) + 1


class Stored(NamedTuple):
    """How many events were stored, and the cover of them (every column but ``applied_on``, which the
    update step sets later); None when none was."""

    inserted: int
    cover: Cover | None


def store_events(connection: Connection, db: Database, events: pl.DataFrame) -> Stored:
    """Insert ``events`` (account_key plus EVENT_SCHEMA's columns; missing ones are null); an event_id
    already stored is skipped, so storing the same observation twice changes nothing."""
    if events.is_empty():
        return Stored(0, None)
    columns = [
        (pl.col(name) if name in events.columns else pl.lit(None))
        .cast(pl.Int64 if name == "account_key" else EVENT_SCHEMA[name])
        .alias(name)
        for name in STORED_COLUMNS
    ]
    valid = events.select(columns).unique("event_id", keep="first", maintain_order=True)
    _lock_events(connection, db)
    rows = event_rows(valid, _next_key(connection))
    inserted = insert_new(connection, db, "events", rows, ("event_id",))
    return Stored(
        inserted, audit.written_cover(connection, "events", rows, inserted, exclude=("applied_on",))
    )


def contact_events(
    connection: Connection, db: Database, outcomes: pl.DataFrame, *, direction: str = "outbound"
) -> Stored:
    """Store contact events from columns event_id, account_key, at, utc_offset_minutes, channel,
    outcome and note."""
    return store_events(
        connection, db, outcomes.with_columns(type=pl.lit("contact"), direction=pl.lit(direction))
    )
