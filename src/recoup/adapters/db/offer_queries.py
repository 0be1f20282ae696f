"""Reads for booking a strategy's offer: the stored action with its account's zone, and the plan or
settlement already booked from it. Small reads on the caller's connection (they see its own writes)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, text

from recoup.adapters.db.engine import Database

_OFFER_SQL = (
    'SELECT a."key" AS action_key, a.account_key, a.action, a.offer_kind, a.status, a.currency, '
    "a.offer_amount, a.offer_installments, a.offer_expires_on, a.balance, c.timezone, c.jurisdiction "
    'FROM actions a JOIN accounts c ON c."key" = a.account_key WHERE a."key" = :k'
)


def offer_action(connection: Connection, db: Database, action_key: int) -> dict[str, Any] | None:
    """The action and its account's timezone and jurisdiction, or None. On PostgreSQL the action's row
    stays locked to the end of the transaction, so two acceptances of one offer take turns (SQLite
    transactions already write one at a time)."""
    sql = _OFFER_SQL if db.is_sqlite else _OFFER_SQL + " FOR UPDATE OF a"
    row = connection.execute(text(sql), {"k": action_key}).first()
    return dict(row._mapping) if row else None


def booked_from(connection: Connection, action_key: int) -> tuple[str, int] | None:
    """("plan", plan key) or ("settlement", settlement key) booked from the action's offer, or None."""
    row = connection.execute(
        text(
            "SELECT 'plan', \"key\" FROM plans WHERE action_key = :k "
            "UNION ALL SELECT 'settlement', \"key\" FROM settlements WHERE action_key = :k"
        ),
        {"k": action_key},
    ).first()
    return (str(row[0]), int(row[1])) if row else None


def settlement_row(connection: Connection, settlement_key: int) -> dict[str, Any] | None:
    row = connection.execute(
        text('SELECT * FROM settlements WHERE "key" = :k'), {"k": settlement_key}
    ).first()
    return dict(row._mapping) if row else None
