"""Small read queries for the screens and the API (one account, lists with paging)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, Final

import polars as pl
from sqlalchemy import Connection, text

from recoup.adapters.db.bulk import read_frame, sql_literal
from recoup.adapters.db.engine import Database
from recoup.core.errors import NotFound
from recoup.core.schema import UTC_INSTANT


@dataclass(frozen=True)
class Page:
    rows: list[dict[str, Any]]
    total: int
    offset: int
    limit: int


def _rows(result: Any) -> list[dict[str, Any]]:
    return [dict(row._mapping) for row in result]


def list_accounts(
    connection: Connection, *, search: str | None, status: str | None, offset: int, limit: int
) -> Page:
    where = ["1 = 1"]
    params: dict[str, Any] = {"limit": limit, "offset": offset}
    if search:
        where.append("(account_id LIKE :q OR debtor_name LIKE :q OR debtor_id LIKE :q)")
        params["q"] = f"%{search}%"
    if status:
        where.append("status = :status")
        params["status"] = status
    clause = " AND ".join(where)
    total = connection.execute(text(f"SELECT COUNT(*) FROM accounts WHERE {clause}"), params).scalar_one()
    rows = connection.execute(
        text(
            'SELECT "key", account_id, creditor_id, debtor_name, debtor_type, currency, jurisdiction, '
            "principal + interest + fees AS balance, due_on, status, flags FROM accounts "
            f'WHERE {clause} ORDER BY "key" LIMIT :limit OFFSET :offset'
        ),
        params,
    )
    return Page(_rows(rows), int(total), offset, limit)


def account_detail(connection: Connection, key: int) -> dict[str, Any]:
    row = connection.execute(text('SELECT * FROM accounts WHERE "key" = :k'), {"k": key}).first()
    if row is None:
        raise NotFound(f"account {key} does not exist")
    detail = dict(row._mapping)
    detail["events"] = _rows(
        connection.execute(
            text(
                "SELECT event_id, at, type, channel, direction, outcome, amount, promise_due_on FROM events "
                "WHERE account_key = :k ORDER BY at DESC, event_id DESC LIMIT 200"
            ),
            {"k": key},
        )
    )
    detail["actions"] = _rows(
        connection.execute(
            text(
                "SELECT run_date, action, channel, scheduled_at, priority, template_id, message, segment, "
                "strategy, variant, reasons, status FROM actions WHERE account_key = :k "
                "ORDER BY run_date DESC, action LIMIT 200"
            ),
            {"k": key},
        )
    )
    detail["promises"] = _rows(
        connection.execute(
            text(
                "SELECT event_id, made_at, amount, due_on, status, paid, resolved_on FROM promises "
                "WHERE account_key = :k ORDER BY made_at DESC"
            ),
            {"k": key},
        )
    )
    return detail


def key_of(connection: Connection, creditor_id: str, account_id: str) -> int:
    key = connection.execute(
        text('SELECT "key" FROM accounts WHERE creditor_id = :c AND account_id = :a'),
        {"c": creditor_id, "a": account_id},
    ).scalar()
    if key is None:
        raise NotFound(f"account {account_id!r} of creditor {creditor_id!r} does not exist")
    return int(key)


QUEUE_ACTION_SCHEMA: Final[dict[str, pl.DataType]] = {
    "action_key": pl.Int64(),
    "account_key": pl.Int64(),
    "run_date": pl.Date(),
    "action": pl.String(),
    "channel": pl.String(),
    "scheduled_at": UTC_INSTANT,
    "offer_kind": pl.String(),
    "offer_amount": pl.Int64(),
    "segment": pl.String(),
    "reasons": pl.String(),
    "status": pl.String(),
    "expected_recovery": pl.Int64(),
    "cost": pl.Int64(),
    "currency": pl.String(),
    "account_id": pl.String(),
    "creditor_id": pl.String(),
    "debtor_id": pl.String(),
    "debtor_name": pl.String(),
    "jurisdiction": pl.String(),
    "timezone": pl.String(),
    "phone": pl.String(),
    "region": pl.String(),
    "balance": pl.Int64(),
}


def queue_actions(db: Database, run_date: date) -> pl.DataFrame:
    """The actions of ``run_date`` that agents carry out (by call or visit: plain calls and visits, and
    offers made on a call) with what the queue shows of their account (balance as it stands now) and what
    their windows need (jurisdiction, zone, phone, region)."""
    return read_frame(
        db,
        'SELECT a."key" AS action_key, a.account_key, a.run_date, a.action, a.channel, a.scheduled_at, '
        "a.offer_kind, a.offer_amount, a.segment, a.reasons, a.status, a.expected_recovery, a.cost, "
        "a.currency, c.account_id, c.creditor_id, c.debtor_id, c.debtor_name, c.jurisdiction, c.timezone, "
        "c.phone, c.region, "
        "c.principal + c.interest + c.fees AS balance "
        'FROM actions a JOIN accounts c ON c."key" = a.account_key '
        f"WHERE a.run_date = {sql_literal(run_date)} AND a.channel IN ('call', 'visit')",
        QUEUE_ACTION_SCHEMA,
    )


def run_history(connection: Connection, limit: int = 60) -> list[dict[str, Any]]:
    return _rows(
        connection.execute(
            text(
                "SELECT run_date, step, finished_at, seconds, stats FROM run_steps "
                "ORDER BY run_date DESC, finished_at DESC LIMIT :limit"
            ),
            {"limit": limit},
        )
    )


def latest_run_date(connection: Connection, not_after: date) -> date | None:
    """The newest run date on or before ``not_after`` that queued actions, if any."""
    value = connection.execute(
        text("SELECT MAX(run_date) FROM actions WHERE run_date <= :day"), {"day": not_after}
    ).scalar()
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])
