"""Shared set-up for the payment service tests: accounts of two creditors, plans, payment files."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import polars as pl

from recoup.adapters.db.bulk import read_frame
from recoup.adapters.db.engine import Database
from recoup.bootstrap import App
from recoup.config import Settings
from recoup.services import payments
from tests.integration.services.helpers import load_accounts, raw

HEADER = (
    "account_id,creditor_id,debtor_id,debtor_type,debtor_name,currency,principal,interest,fees,due_on,"
    "jurisdiction,phone,flags\n"
)
ACCOUNTS = HEADER + (
    "A1,招商银行,D1,individual,张三,CNY,2900.00,80.00,20.00,2026-01-01,CN,+8613800138001,\n"
    "A2,招商银行,D2,individual,李四,CNY,1000.00,0,0,2026-01-01,CN,+8613800138002,\n"
    "A3,招商银行,D3,individual,王五,CNY,500.00,0,0,2026-01-01,CN,+8613800138003,\n"
    "H1,招商银行,D4,individual,赵六,CNY,500.00,0,0,2026-01-01,CN,+8613800138004,dispute\n"
    "U1,Chase,D5,individual,John Roe,USD,800.00,0,0,2026-01-01,US-NY,+12125550100,\n"
)
PAYMENTS_HEADER = "payment_reference,account_id,amount,currency,paid_at\n"
OFFERED = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)


def app_of(db: Database) -> App:
    return App(settings=Settings(), db=db)


def setup_accounts(db: Database, tmp_path: Path) -> None:
    load_accounts(db, raw(ACCOUNTS, tmp_path))


def reconcile_text(
    db: Database, tmp_path: Path, text: str, *, now: datetime, partial: bool = False, name: str = "bank.csv"
) -> payments.ReconciliationReport:
    with db.engine.begin() as connection:
        return payments.reconcile_payment_file(
            connection, db, raw(text, tmp_path, name), file=name, sha256="0" * 64, now=now, partial=partial
        )


def offer_and_accept(db: Database, account_id: str, count: int, first_due: date) -> payments.PlanView:
    with db.engine.begin() as connection:
        offer = payments.offer_plan(
            connection, db, account_id=account_id, installments=count, first_due=first_due, now=OFFERED
        )
    with db.engine.begin() as connection:
        return payments.accept_plan(connection, db, offer.plan_key, OFFERED)


def first_row(db: Database, sql: str, **dates: type[pl.Date]) -> tuple[object, ...]:
    """The first row of ``sql``; the columns named in ``dates`` read as dates (SQLite keeps them as text)."""
    return read_frame(db, sql, {name: pl.Date() for name in dates} or None).row(0)
