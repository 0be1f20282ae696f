"""The outbox's status history: one row for every status an action took, never updated or deleted.

``actions.status`` and ``deliveries.status`` hold only the latest status, which moves on (sending -> sent
-> delivered), so the audit log cannot vouch for them. Each transaction that moves statuses appends its
moves here and its audit entry covers those rows by their key range: editing or deleting a recorded move
breaks `recoup audit verify` at the entry that wrote it.

Created by migration 0009_outbox_transitions. Keys are given by the writer under a table lock on
PostgreSQL (SQLite's write transaction already serialises writers), as for events.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Final

import polars as pl
from sqlalchemy import ForeignKey, Index, String, Text, text
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Mapped, mapped_column

from recoup.adapters.db import audit
from recoup.adapters.db.bulk import insert_frame, next_key
from recoup.adapters.db.engine import Database
from recoup.adapters.db.tables import Base, Instant, Key
from recoup.core.audit import Cover
from recoup.core.schema import UTC_INSTANT

TABLE: Final = "outbox_transitions"
# What a caller gives: the action, the status it moved to, its idempotency key (none before it was
# claimed) and why (a verdict's reason, a provider's error); every row gets the same instant.
CHANGE_SCHEMA: Final[dict[str, pl.DataType]] = {
    "action_key": pl.Int64(),
    "status": pl.String(),
    "idempotency_key": pl.String(),
    "reason": pl.String(),
}


class OutboxTransition(Base):
    __tablename__ = TABLE
    __table_args__ = (Index("ix_outbox_transitions_action_key", "action_key"),)

    key: Mapped[int] = mapped_column(Key, primary_key=True, autoincrement=False)
    action_key: Mapped[int] = mapped_column(ForeignKey("actions.key"))
    status: Mapped[str] = mapped_column(String(20))
    idempotency_key: Mapped[str | None] = mapped_column(String(100))
    reason: Mapped[str | None] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(Instant)


def changes(frame: pl.DataFrame) -> pl.DataFrame:
    """``frame``'s CHANGE_SCHEMA columns (missing ones null), in that order."""
    return frame.select(
        [
            (pl.col(name) if name in frame.columns else pl.lit(None)).cast(dtype).alias(name)
            for name, dtype in CHANGE_SCHEMA.items()
        ]
    )


def record_transitions(
    connection: Connection, db: Database, moves: pl.DataFrame, now: datetime
) -> Cover | None:
    """Append ``moves`` (CHANGE_SCHEMA columns) at ``now`` in the caller's transaction; the cover of the
    rows written, for the audit entry of the same transaction (None when there is nothing to record)."""
    if moves.is_empty():
        return None
    if not db.is_sqlite:
        connection.execute(text(f'LOCK TABLE "{TABLE}" IN SHARE ROW EXCLUSIVE MODE'))
    first = next_key(connection, TABLE)
    rows = changes(moves).select(
        pl.int_range(first, first + moves.height, dtype=pl.Int64).alias("key"),
        *CHANGE_SCHEMA,
        pl.lit(now.astimezone(UTC), dtype=UTC_INSTANT).alias("at"),
    )
    insert_frame(connection, db, TABLE, rows)
    return audit.written_cover(connection, TABLE, rows, rows.height)


def move_counts(moves: pl.DataFrame) -> dict[str, dict[str, int]]:
    """{status: {channel: moves}} of ``moves`` (columns status and channel), for an entry's content."""
    counted = moves.group_by("status", "channel").len().sort("status", "channel")
    table: dict[str, dict[str, int]] = {}
    for status, channel, rows in counted.iter_rows():
        table.setdefault(str(status), {})[str(channel)] = int(rows)
    return table
