"""Offer actions as the daily run stores them, inserted directly, for the offer acceptance tests."""

from __future__ import annotations

from datetime import date
from typing import Any

import polars as pl
from sqlalchemy import Connection, text

from recoup.adapters.db.bulk import insert_frame, next_key
from recoup.adapters.db.engine import Database

RUN_DATE = date(2026, 3, 2)
EXPIRES = date(2026, 3, 16)


def balance_of(connection: Connection, account_id: str) -> tuple[int, int, str]:
    """The account's key, balance (minor units) and currency."""
    key, balance, currency = connection.execute(
        text('SELECT "key", principal + interest + fees, currency FROM accounts WHERE account_id = :a'),
        {"a": account_id},
    ).one()
    return int(key), int(balance), str(currency)


def insert_offer(
    connection: Connection,
    db: Database,
    account_id: str,
    *,
    kind: str,
    amount: int | None = None,
    installments: int | None = None,
    balance: int | None = None,
    expires_on: date = EXPIRES,
    status: str = "queued",
    action: str = "offer",
    run_date: date = RUN_DATE,
) -> int:
    """Store one action for ``account_id``; amount and balance default to the account's balance now.
    Returns the action's key."""
    account_key, now_balance, currency = balance_of(connection, account_id)
    key = next_key(connection, "actions")
    row = pl.DataFrame(
        {
            "key": [key],
            "account_key": [account_key],
            "run_date": [run_date],
            "action": [action],
            "channel": ["sms"],
            "offer_kind": [kind],
            "offer_amount": pl.Series([now_balance if amount is None else amount], dtype=pl.Int64),
            "offer_installments": pl.Series([installments], dtype=pl.Int64),
            "offer_expires_on": [expires_on],
            "balance": pl.Series([now_balance if balance is None else balance], dtype=pl.Int64),
            "strategy": ["default"],
            "currency": [currency],
            "status": [status],
        }
    )
    insert_frame(connection, db, "actions", row)
    return key


def offer(db: Database, account_id: str, **terms: Any) -> int:
    """`insert_offer` in a transaction of its own."""
    with db.engine.begin() as connection:
        return insert_offer(connection, db, account_id, **terms)


def set_balance(connection: Connection, account_id: str, balance: int) -> None:
    """What the daily run's update step leaves after payments or a charge: the balance is now ``balance``."""
    connection.execute(
        text("UPDATE accounts SET principal = :b, interest = 0, fees = 0 WHERE account_id = :a"),
        {"a": account_id, "b": balance},
    )


def arrangements(db: Database) -> list[int]:
    """How many plans, installments and settlements are stored."""
    with db.engine.connect() as connection:
        return [
            int(connection.execute(text(f"SELECT COUNT(*) FROM {table}")).scalar_one())
            for table in ("plans", "plan_installments", "settlements")
        ]
