"""Columnar queries the daily run needs. Every query returns a Polars frame read through ADBC."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import polars as pl

from recoup.adapters.db.bulk import read_frame, sql_literal
from recoup.adapters.db.engine import Database
from recoup.core.schema import ACCOUNT_SCHEMA, ACTION_SCHEMA, EVENT_SCHEMA, UTC_INSTANT

STATE_SCHEMA: dict[str, pl.DataType] = {
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

STORED_EVENT_SCHEMA: dict[str, pl.DataType] = {
    "key": pl.Int64(),
    "account_key": pl.Int64(),
    **{name: dtype for name, dtype in EVENT_SCHEMA.items() if name not in ("account_id", "creditor_id")},
}

PROMISE_SCHEMA: dict[str, pl.DataType] = {
    "key": pl.Int64(),
    "account_key": pl.Int64(),
    "event_id": pl.String(),
    "made_at": UTC_INSTANT,
    "amount": pl.Int64(),
    "due_on": pl.Date(),
    "status": pl.String(),
    "paid": pl.Int64(),
}

STORED_ACTION_SCHEMA: dict[str, pl.DataType] = {
    "key": pl.Int64(),
    "account_key": pl.Int64(),
    **ACTION_SCHEMA,
    "cost": pl.Int64(),
    "model_version": pl.String(),
    "status": pl.String(),
}

_EVENT_COLUMNS = ", ".join(f'"{c}"' for c in STORED_EVENT_SCHEMA)


def pending_events(db: Database, cutoff: datetime) -> pl.DataFrame:
    """Events not yet applied that happened before ``cutoff``."""
    return read_frame(
        db,
        f"SELECT {_EVENT_COLUMNS} FROM events WHERE applied_on IS NULL AND at < {sql_literal(cutoff)}",
        STORED_EVENT_SCHEMA,
    )


def account_states(db: Database, keys_sql: str) -> pl.DataFrame:
    """State columns of the accounts whose key is in the subquery ``keys_sql``."""
    columns = ", ".join(f'"{c}"' if c != "account_key" else '"key" AS account_key' for c in STATE_SCHEMA)
    return read_frame(db, f'SELECT {columns} FROM accounts WHERE "key" IN ({keys_sql})', STATE_SCHEMA)


def open_promises(db: Database) -> pl.DataFrame:
    columns = ", ".join(f'"{c}"' for c in PROMISE_SCHEMA)
    return read_frame(db, f"SELECT {columns} FROM promises WHERE status = 'open'", PROMISE_SCHEMA)


def payments_since(db: Database, since: datetime, keys_sql: str) -> pl.DataFrame:
    frame = read_frame(
        db,
        "SELECT account_key, at, utc_offset_minutes, amount FROM events "
        f"WHERE type = 'payment' AND at >= {sql_literal(since)} AND account_key IN ({keys_sql})",
        {
            "account_key": pl.Int64(),
            "at": UTC_INSTANT,
            "utc_offset_minutes": pl.Int32(),
            "amount": pl.Int64(),
        },
    )
    return frame.with_columns(
        local_date=(pl.col("at") + pl.duration(minutes=pl.col("utc_offset_minutes"))).dt.date()
    )


_BASE_COLUMNS = (
    "account_id",
    "creditor_id",
    "debtor_id",
    "debtor_type",
    "debtor_name",
    "product",
    "currency",
    "jurisdiction",
    "language",
    "principal",
    "interest",
    "fees",
    "due_on",
    "flags",
    "opted_out",
    "consent_sms",
    "consent_email",
    "consent_im",
    "consent_call",
    "phone",
    "email",
    "im_handle",
    "address",
    "timezone",
    "region",
    "income_monthly",
    "placed_on",
    "statute_limit_on",
    "original_amount",
    "opened_on",
    "last_payment_on",
    "last_payment_amount",
    "employment_status",
    "age",
    "attributes",
    "collected",
    "credit",
)


def active_accounts(db: Database) -> pl.DataFrame:
    """Every active account with what deciding needs."""
    schema = {"account_key": pl.Int64(), **{c: ACCOUNT_SCHEMA.get(c, pl.String()) for c in _BASE_COLUMNS}}
    schema.update(placed_on=pl.Date(), opted_out=pl.String(), collected=pl.Int64(), credit=pl.Int64())
    columns = ", ".join(f'"{c}"' for c in _BASE_COLUMNS)
    return read_frame(
        db, f"SELECT \"key\" AS account_key, {columns} FROM accounts WHERE status = 'active'", schema
    )


def contact_history(db: Database, run_date: date, days: int = 60) -> pl.DataFrame:
    """Per account: the last day we acted or a contact happened before ``run_date``, and actions in 7 days."""
    since = run_date - timedelta(days=days)
    week = run_date - timedelta(days=7)
    actions = read_frame(
        db,
        "SELECT account_key, MAX(run_date) AS last_action_on, "
        f"SUM(CASE WHEN run_date >= {sql_literal(week)} THEN 1 ELSE 0 END) AS contacts_7d "
        f"FROM actions WHERE run_date >= {sql_literal(since)} AND run_date < {sql_literal(run_date)} "
        "GROUP BY account_key",
        {"account_key": pl.Int64(), "last_action_on": pl.Date(), "contacts_7d": pl.Int64()},
    )
    contacts = read_frame(
        db,
        "SELECT account_key, MAX(at) AS last_contact_at FROM events "
        f"WHERE type = 'contact' AND direction = 'outbound' AND at >= {sql_literal(since)} "
        f"AND at < {sql_literal(run_date)} GROUP BY account_key",
        {"account_key": pl.Int64(), "last_contact_at": UTC_INSTANT},
    )
    return actions.join(contacts, on="account_key", how="full", coalesce=True).select(
        "account_key",
        last_contact_on=pl.max_horizontal(pl.col("last_action_on"), pl.col("last_contact_at").dt.date()),
        contacts_7d=pl.col("contacts_7d").fill_null(0),
    )


def promise_summary(db: Database, run_date: date) -> pl.DataFrame:
    since = run_date - timedelta(days=60)
    return read_frame(
        db,
        "SELECT account_key, "
        "SUM(CASE WHEN status = 'open' THEN 1 ELSE 0 END) AS open_promises, "
        f"SUM(CASE WHEN status = 'broken' AND resolved_on >= {sql_literal(since)} THEN 1 ELSE 0 END) "
        "AS broken_promises_60d FROM promises GROUP BY account_key",
        {"account_key": pl.Int64(), "open_promises": pl.Int64(), "broken_promises_60d": pl.Int64()},
    )


def actions_on(db: Database, run_date: date) -> pl.DataFrame:
    """The actions decided for ``run_date`` with the account references the export needs."""
    return read_frame(
        db,
        'SELECT a.*, c.account_id, c.creditor_id FROM actions a JOIN accounts c ON c."key" = a.account_key '
        f'WHERE a.run_date = {sql_literal(run_date)} ORDER BY a."key"',
        STORED_ACTION_SCHEMA,
    )


def recent_contacts(db: Database, since: datetime) -> pl.DataFrame:
    """Contact events since ``since`` with their debtor: the compliance engine's history frame."""
    return read_frame(
        db,
        "SELECT e.account_key, c.debtor_id, e.channel, e.at, e.utc_offset_minutes, e.direction, e.outcome "
        "FROM events e "
        'JOIN accounts c ON c."key" = e.account_key '
        f"WHERE e.type = 'contact' AND e.at >= {sql_literal(since)}",
        {
            "account_key": pl.Int64(),
            "debtor_id": pl.String(),
            "channel": pl.String(),
            "at": UTC_INSTANT,
            "utc_offset_minutes": pl.Int32(),
            "direction": pl.String(),
            "outcome": pl.String(),
        },
    )


def blocks_by_rule(db: Database, run_date: date) -> dict[str, int]:
    """How many contacts each rule blocked on ``run_date`` (a contact may break several rules)."""
    frame = read_frame(
        db,
        "SELECT violations FROM compliance_decisions "
        f"WHERE run_date = {sql_literal(run_date)} AND NOT allowed",
        {"violations": pl.String()},
    )
    rules = frame.select(pl.col("violations").str.split(";")).explode("violations")
    counts = rules.filter(pl.col("violations") != "").group_by("violations").len().sort("violations")
    return {str(rule): int(n) for rule, n in counts.iter_rows()}


SCORING_EVENT_TYPES = ("payment", "contact", "promise", "dispute", "dispute_resolved", "complaint")


def scoring_events(db: Database, since: datetime) -> pl.DataFrame:
    """The events the scores look at (payments, contacts, promises, disputes, complaints) since ``since``."""
    kinds = ", ".join(f"'{k}'" for k in SCORING_EVENT_TYPES)
    columns = (
        "account_key",
        "event_id",
        "at",
        "utc_offset_minutes",
        "type",
        "channel",
        "direction",
        "outcome",
        "amount",
        "promise_due_on",
    )
    return read_frame(
        db,
        f"SELECT {', '.join(columns)} FROM events WHERE type IN ({kinds}) AND at >= {sql_literal(since)}",
        {name: STORED_EVENT_SCHEMA[name] for name in columns},
    )


def placed_accounts(db: Database) -> pl.DataFrame:
    """Every account as it was placed (ACCOUNT_SCHEMA + account_key + placed_on): the parts as placed,
    nothing collected yet, holds and opt-outs as they stand now (their history is not kept apart)."""
    columns = [c for c in ACCOUNT_SCHEMA if c not in ("principal", "interest", "fees")]
    select = ", ".join(f'"{c}"' for c in columns)
    frame = read_frame(
        db,
        f'SELECT "key" AS account_key, {select}, placed_on, opted_out, '
        "COALESCE(placed_principal, principal) AS principal, "
        "COALESCE(placed_interest, interest) AS interest, COALESCE(placed_fees, fees) AS fees FROM accounts",
        {"account_key": pl.Int64(), **ACCOUNT_SCHEMA, "placed_on": pl.Date(), "opted_out": pl.String()},
    )
    return frame.with_columns(flags=pl.col("flags").fill_null(""))


def all_events(db: Database) -> pl.DataFrame:
    """Every stored event with its account key (EVENT_SCHEMA less the ids, plus account_key)."""
    columns = [c for c in STORED_EVENT_SCHEMA if c != "key"]
    select = ", ".join(f'"{c}"' for c in columns)
    return read_frame(
        db, f"SELECT {select} FROM events", {name: STORED_EVENT_SCHEMA[name] for name in columns}
    )
