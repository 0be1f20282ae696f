"""Queries over plans, settlements, payments and creditor terms.

Two kinds: columnar reads of committed data through `read_frame` (the daily run's batch path), and small
reads on the caller's connection with bound parameters (they see the open transaction's own writes and
take user text safely).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta
from typing import Any, Final

import polars as pl
from sqlalchemy import Connection, bindparam, text

from recoup.adapters.db.bulk import SQLITE_INSTANT_FORMAT, read_frame
from recoup.adapters.db.engine import Database
from recoup.adapters.db.payment_tables import OPEN_PLAN_STATUSES
from recoup.core.schema import UTC_INSTANT

# Parameters per IN (...) list: well inside SQLite's and PostgreSQL's limits.
CHUNK: Final = 5_000

ACCOUNT_COLUMNS: Final = (
    '"key"',
    "account_id",
    "creditor_id",
    "debtor_name",
    "currency",
    "jurisdiction",
    "region",
    "attributes",
    "status",
    "flags",
    "principal",
    "interest",
    "fees",
)
STATE_COLUMNS: Final[dict[str, pl.DataType]] = {
    "account_key": pl.Int64(),
    "fees": pl.Int64(),
    "interest": pl.Int64(),
    "principal": pl.Int64(),
    "credit": pl.Int64(),
    "collected": pl.Int64(),
    "status": pl.String(),
    "flags": pl.String(),
    "opted_out": pl.String(),
}
_OPEN_PLANS_SQL: Final = ", ".join(f"'{s}'" for s in OPEN_PLAN_STATUSES)


def _chunks(values: Sequence[Any], size: int = CHUNK) -> Iterable[Sequence[Any]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _frame(rows: Sequence[Any], schema: dict[str, pl.DataType]) -> pl.DataFrame:
    return pl.DataFrame([tuple(r) for r in rows], schema=schema, orient="row")


def next_key(connection: Connection, table: str) -> int:
    """The next free key of ``table`` as the open transaction sees it."""
    return int(connection.execute(text(f'SELECT COALESCE(MAX("key"), 0) FROM "{table}"')).scalar_one()) + 1


def accounts_named(connection: Connection, account_id: str, creditor_id: str | None) -> list[dict[str, Any]]:
    """The accounts with this account_id (of this creditor, when given)."""
    sql = f"SELECT {', '.join(ACCOUNT_COLUMNS)} FROM accounts WHERE account_id = :account_id"
    params: dict[str, Any] = {"account_id": account_id}
    if creditor_id is not None:
        sql += " AND creditor_id = :creditor_id"
        params["creditor_id"] = creditor_id
    return [dict(row._mapping) for row in connection.execute(text(sql), params)]


def account_states(connection: Connection, keys: Sequence[int]) -> pl.DataFrame:
    """The state columns of these accounts as the open transaction sees them."""
    columns = ", ".join('"key" AS account_key' if c == "account_key" else f'"{c}"' for c in STATE_COLUMNS)
    query = text(f'SELECT {columns} FROM accounts WHERE "key" IN :keys').bindparams(
        bindparam("keys", expanding=True)
    )
    rows = [row for chunk in _chunks(list(keys)) for row in connection.execute(query, {"keys": list(chunk)})]
    return _frame(rows, STATE_COLUMNS)


def payments_from(connection: Connection, keys: Sequence[int], since: datetime) -> dict[int, int]:
    """Per account, the payments stored at or after ``since`` (not applied by a run up to then)."""
    query = text(
        "SELECT account_key, SUM(amount) FROM events WHERE type = 'payment' AND at >= :since "
        "AND account_key IN :keys GROUP BY account_key"
    ).bindparams(bindparam("keys", expanding=True))
    found: dict[int, int] = {}
    for chunk in _chunks(list(keys)):
        rows = connection.execute(query, {"keys": list(chunk), "since": since})
        found.update({int(k): int(v) for k, v in rows})
    return found


def open_arrangements(connection: Connection, account_key: int) -> dict[str, int]:
    """How many open plans and accepted settlements the account has."""
    plans = connection.execute(
        text(f"SELECT COUNT(*) FROM plans WHERE account_key = :k AND status IN ({_OPEN_PLANS_SQL})"),
        {"k": account_key},
    ).scalar_one()
    settlements = connection.execute(
        text("SELECT COUNT(*) FROM settlements WHERE account_key = :k AND status = 'accepted'"),
        {"k": account_key},
    ).scalar_one()
    return {"plans": int(plans), "settlements": int(settlements)}


def plan_row(connection: Connection, plan_key: int) -> dict[str, Any] | None:
    row = connection.execute(text('SELECT * FROM plans WHERE "key" = :k'), {"k": plan_key}).first()
    return dict(row._mapping) if row else None


def plan_installments(connection: Connection, plan_key: int) -> list[dict[str, Any]]:
    rows = connection.execute(
        text(
            "SELECT number, due_on, amount, status, paid FROM plan_installments "
            "WHERE plan_key = :k ORDER BY number"
        ),
        {"k": plan_key},
    )
    return [dict(row._mapping) for row in rows]


def stored_event_ids(connection: Connection, ids: Sequence[str]) -> pl.DataFrame:
    """event_id, type of the stored events whose id is one of ``ids``."""
    query = text("SELECT event_id, type FROM events WHERE event_id IN :ids").bindparams(
        bindparam("ids", expanding=True)
    )
    rows = [row for chunk in _chunks(list(ids)) for row in connection.execute(query, {"ids": list(chunk)})]
    return _frame(rows, {"event_id": pl.String(), "type": pl.String()})


def commission_bps(connection: Connection, creditor_id: str) -> int | None:
    value = connection.execute(
        text("SELECT commission_bps FROM creditor_terms WHERE creditor_id = :c"), {"c": creditor_id}
    ).scalar_one_or_none()
    return None if value is None else int(value)


def creditor_payments(connection: Connection, creditor_id: str, first: date, last: date) -> pl.DataFrame:
    """The creditor's payment events that could have a local date in ``first``..``last`` (offsets reach
    14 hours either way; the exact local-date filter is the core's), with the account's references."""
    since = datetime.combine(first - timedelta(days=1), datetime.min.time())
    until = datetime.combine(last + timedelta(days=2), datetime.min.time())
    rows = connection.execute(
        text(
            "SELECT a.account_id, a.creditor_id, a.debtor_name, a.currency, "
            "e.at, e.utc_offset_minutes, e.amount "
            'FROM events e JOIN accounts a ON a."key" = e.account_key '
            "WHERE e.type = 'payment' AND a.creditor_id = :c AND e.at >= :since AND e.at < :until"
        ),
        {"c": creditor_id, "since": since, "until": until},
    ).all()
    names = ["account_id", "creditor_id", "debtor_name", "currency", "at", "utc_offset_minutes", "amount"]
    frame = pl.DataFrame([tuple(r) for r in rows], schema=names, orient="row", infer_schema_length=None)
    return frame.with_columns(
        pl.col("account_id", "creditor_id", "debtor_name", "currency").cast(pl.String),
        pl.col("utc_offset_minutes", "amount").cast(pl.Int64),
        at=_utc(frame.get_column("at")),
    )


def _utc(values: pl.Series) -> pl.Series:
    """Instants as SQLite (text) or PostgreSQL (aware datetimes) return them, as UTC datetimes."""
    if values.dtype == pl.String:
        return values.str.to_datetime(SQLITE_INSTANT_FORMAT, time_unit="us").dt.replace_time_zone("UTC")
    if values.dtype == pl.Null:
        return values.cast(UTC_INSTANT)
    return values.cast(pl.Datetime("us", "UTC")) if isinstance(values.dtype, pl.Datetime) else values


# --- the daily run's columnar reads (committed data) ------------------------------------------------


def plans_to_judge(db: Database) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Open plans (plan_key, account_key, accepted_at, status, paid) and their installments
    (key, plan_key, number, due_on, amount, status, paid)."""
    plans = read_frame(
        db,
        'SELECT "key" AS plan_key, account_key, accepted_at, status, paid FROM plans '
        f"WHERE status IN ({_OPEN_PLANS_SQL})",
        {
            "plan_key": pl.Int64(),
            "account_key": pl.Int64(),
            "accepted_at": UTC_INSTANT,
            "status": pl.String(),
            "paid": pl.Int64(),
        },
    )
    installments = read_frame(
        db,
        'SELECT i."key", i.plan_key, i.number, i.due_on, i.amount, i.status, i.paid FROM plan_installments i '
        f'JOIN plans p ON p."key" = i.plan_key WHERE p.status IN ({_OPEN_PLANS_SQL})',
        {
            "key": pl.Int64(),
            "plan_key": pl.Int64(),
            "number": pl.Int64(),
            "due_on": pl.Date(),
            "amount": pl.Int64(),
            "status": pl.String(),
            "paid": pl.Int64(),
        },
    )
    return plans, installments


def settlements_to_judge(db: Database) -> pl.DataFrame:
    return read_frame(
        db,
        'SELECT "key" AS settlement_key, account_key, accepted_at, amount, due_on, status, paid '
        "FROM settlements WHERE status = 'accepted'",
        {
            "settlement_key": pl.Int64(),
            "account_key": pl.Int64(),
            "accepted_at": UTC_INSTANT,
            "amount": pl.Int64(),
            "due_on": pl.Date(),
            "status": pl.String(),
            "paid": pl.Int64(),
        },
    )


def expired_offers(db: Database, run_date: date) -> pl.DataFrame:
    return read_frame(
        db,
        f"SELECT \"key\" FROM plans WHERE status = 'offered' AND offer_expires_on < '{run_date.isoformat()}'",
        {"key": pl.Int64()},
    )


def plan_summary(db: Database) -> pl.DataFrame:
    """account_key, on_plan: accounts with a plan that is current or late (for the decision inputs)."""
    return read_frame(
        db,
        f"SELECT DISTINCT account_key, 1 AS on_plan FROM plans WHERE status IN ({_OPEN_PLANS_SQL})",
        {"account_key": pl.Int64(), "on_plan": pl.Boolean()},
    )
