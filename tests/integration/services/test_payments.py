from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import polars as pl
import pytest

from recoup.adapters.db.bulk import read_frame
from recoup.adapters.db.engine import Database
from recoup.bootstrap import App
from recoup.config import Settings
from recoup.core.errors import Conflict, NotFound, ValidationError
from recoup.entrypoints.jobs.daily import run_day
from recoup.services import payments
from recoup.services.daily_run import RunOptions
from tests.integration.services.helpers import load_accounts, load_events, raw, snapshot

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


def _app(db: Database) -> App:
    return App(settings=Settings(), db=db)


def _setup(db: Database, tmp_path: Path) -> None:
    load_accounts(db, raw(ACCOUNTS, tmp_path))


def _reconcile(
    db: Database, tmp_path: Path, text: str, *, now: datetime, partial: bool = False, name: str = "bank.csv"
) -> payments.ReconciliationReport:
    with db.engine.begin() as connection:
        return payments.reconcile_payment_file(
            connection, db, raw(text, tmp_path, name), file=name, sha256="0" * 64, now=now, partial=partial
        )


def _offer_and_accept(db: Database, account_id: str, count: int, first_due: date) -> payments.PlanView:
    with db.engine.begin() as connection:
        offer = payments.offer_plan(
            connection, db, account_id=account_id, installments=count, first_due=first_due, now=OFFERED
        )
    with db.engine.begin() as connection:
        return payments.accept_plan(connection, db, offer.plan_key, OFFERED)


def _one(db: Database, sql: str, **dates: type[pl.Date]) -> tuple[object, ...]:
    """The first row of ``sql``; the columns named in ``dates`` read as dates (SQLite keeps them as text)."""
    return read_frame(db, sql, {name: pl.Date() for name in dates} or None).row(0)


def test_a_payment_file_closes_a_promise_and_a_plan_installment(db: Database, tmp_path: Path) -> None:
    _setup(db, tmp_path)
    plan = _offer_and_accept(db, "A1", 3, date(2026, 3, 4))
    assert [i.amount for i in plan.installments] == [100_000, 100_000, 100_000]
    load_events(
        db,
        raw(
            "event_id,account_id,at,type,amount,promise_due_on\n"
            "p1,A1,2026-03-01T10:00:00+08:00,promise,1000.00,2026-03-05\n",
            tmp_path,
            "promise.csv",
        ),
    )
    run_day(_app(db), date(2026, 3, 1), RunOptions())
    report = _reconcile(
        db,
        tmp_path,
        PAYMENTS_HEADER + "PAY-1,A1,1000.00,CNY,2026-03-03T10:00:00+08:00\n",
        now=datetime(2026, 3, 3, 6, tzinfo=UTC),
    )
    assert (report.status, report.booked, report.exceptions.height) == ("booked", 1, 0)

    summary = run_day(_app(db), date(2026, 3, 3), RunOptions())
    update = summary.stats("update")
    assert update["promises_kept"] == 1
    assert update["installments_paid"] == 1
    assert _one(db, "SELECT status, paid FROM promises") == ("kept", 100_000)
    assert read_frame(db, "SELECT number, status, paid FROM plan_installments ORDER BY number").rows() == [
        (1, "paid", 100_000),
        (2, "due", 0),
        (3, "due", 0),
    ]
    assert _one(db, "SELECT status, paid FROM plans") == ("current", 100_000)
    # The payment went through the waterfall: fees, then interest, then principal.
    assert _one(db, "SELECT fees, interest, principal FROM accounts WHERE account_id = 'A1'") == (
        0,
        0,
        200_000,
    )


def test_a_plan_breaks_after_the_grace_and_is_kept_when_paid_in_time(db: Database, tmp_path: Path) -> None:
    _setup(db, tmp_path)
    _offer_and_accept(db, "A2", 2, date(2026, 3, 4))
    _offer_and_accept(db, "A3", 1, date(2026, 3, 4))
    _reconcile(
        db,
        tmp_path,
        PAYMENTS_HEADER + "PAY-3,A3,500.00,CNY,2026-03-04T09:00:00+08:00\n",
        now=datetime(2026, 3, 5, tzinfo=UTC),
    )
    run_day(_app(db), date(2026, 3, 8), RunOptions(grace_days=3))
    statuses = read_frame(
        db,
        'SELECT a.account_id, p.status, p.resolved_on FROM plans p JOIN accounts a ON a."key" = p.account_key ORDER BY 1',
        {"resolved_on": pl.Date()},
    ).rows()
    assert statuses == [("A2", "broken", date(2026, 3, 8)), ("A3", "kept", date(2026, 3, 8))]


def test_a_paid_settlement_writes_off_the_rest_and_closes_the_account(db: Database, tmp_path: Path) -> None:
    _setup(db, tmp_path)
    with db.engine.begin() as connection:
        settlement = payments.accept_settlement(
            connection, db, account_id="A2", due_on=date(2026, 3, 10), discount_bps=3_000, now=OFFERED
        )
    assert (settlement.amount, settlement.write_off) == (70_000, 30_000)
    _reconcile(
        db,
        tmp_path,
        PAYMENTS_HEADER + "S-1,A2,700.00,CNY,2026-03-05T09:00:00+08:00\n",
        now=datetime(2026, 3, 5, 3, tzinfo=UTC),
    )
    summary = run_day(_app(db), date(2026, 3, 5), RunOptions())
    assert summary.stats("update")["settlements_paid"] == 1
    assert _one(db, "SELECT status, paid, write_off_event_id FROM settlements") == (
        "paid",
        70_000,
        "settlement-1-write-off",
    )
    write_off = "SELECT type, amount, applied_on FROM events WHERE event_id = 'settlement-1-write-off'"
    assert _one(db, write_off, applied_on=pl.Date) == (
        "adjustment",
        -30_000,
        date(2026, 3, 5),
    )
    account = _one(
        db, "SELECT status, principal, interest, fees, credit FROM accounts WHERE account_id = 'A2'"
    )
    assert account == ("paid", 0, 0, 0, 0)
    acted = read_frame(
        db,
        'SELECT a."key" FROM actions a JOIN accounts c ON c."key" = a.account_key WHERE c.account_id = \'A2\'',
    )
    assert acted.is_empty()


def test_a_settlement_not_paid_in_time_is_broken_and_writes_nothing_off(db: Database, tmp_path: Path) -> None:
    _setup(db, tmp_path)
    with db.engine.begin() as connection:
        payments.accept_settlement(
            connection, db, account_id="A2", due_on=date(2026, 3, 2), amount="600.00", now=OFFERED
        )
    run_day(_app(db), date(2026, 3, 6), RunOptions(grace_days=3))
    assert _one(db, "SELECT status, write_off_event_id FROM settlements") == ("broken", None)
    assert _one(db, "SELECT principal FROM accounts WHERE account_id = 'A2'") == (100_000,)


def test_unknown_accounts_and_foreign_currency_reject_the_file_and_nothing_is_lost(
    db: Database, tmp_path: Path
) -> None:
    _setup(db, tmp_path)
    text = PAYMENTS_HEADER + (
        "OK-1,A1,10.00,CNY,2026-03-02T09:00:00+08:00\n"
        "BAD-1,NOPE,10.00,CNY,2026-03-02T09:00:00+08:00\n"
        "BAD-2,A2,10.00,USD,2026-03-02T09:00:00+08:00\n"
    )
    before = snapshot(db)
    report = _reconcile(db, tmp_path, text, now=datetime(2026, 3, 3, tzinfo=UTC))
    assert (report.status, report.booked) == ("rejected", 0)
    assert snapshot(db)["events"] == before["events"]
    stored = read_frame(
        db,
        "SELECT row, payment_reference, account_id, amount, currency, outcome, reason FROM reconciliation_exceptions ORDER BY row",
    )
    assert stored.rows() == [
        (3, "BAD-1", "NOPE", "10.00", "CNY", "unknown_account", "unknown account 'NOPE'"),
        (
            4,
            "BAD-2",
            "A2",
            "10.00",
            "USD",
            "currency_mismatch",
            "paid in USD but account 'A2' is in CNY: convert it before booking",
        ),
    ]
    assert _one(db, "SELECT status, rows, matched, booked, exceptions FROM reconciliation_runs") == (
        "rejected",
        3,
        1,
        0,
        2,
    )

    partial = _reconcile(db, tmp_path, text, now=datetime(2026, 3, 3, tzinfo=UTC), partial=True)
    assert (partial.status, partial.booked) == ("partial", 1)
    assert read_frame(db, "SELECT event_id FROM events WHERE type = 'payment'").rows() == [("OK-1",)]


def test_reconciling_the_same_file_twice_books_nothing_twice(db: Database, tmp_path: Path) -> None:
    _setup(db, tmp_path)
    text = (
        PAYMENTS_HEADER
        + "P-1,A1,10.00,CNY,2026-03-02T09:00:00+08:00\nP-2,U1,5.00,USD,2026-03-02T09:00:00-05:00\n"
    )
    first = _reconcile(db, tmp_path, text, now=datetime(2026, 3, 3, tzinfo=UTC))
    second = _reconcile(db, tmp_path, text, now=datetime(2026, 3, 3, tzinfo=UTC))
    assert (first.status, first.booked) == ("booked", 2)
    assert (second.status, second.booked, second.counts["duplicate_stored"]) == ("booked", 0, 2)
    assert _one(db, "SELECT COUNT(*) FROM events") == (2,)


def test_remittance_statement_adds_up_to_the_cent(db: Database, tmp_path: Path) -> None:
    _setup(db, tmp_path)
    text = PAYMENTS_HEADER + (
        "R-1,A1,333.33,CNY,2026-03-02T09:00:00+08:00\n"
        "R-2,A1,0.01,CNY,2026-03-31T23:30:00+08:00\n"
        "R-3,A2,100.01,CNY,2026-03-15T09:00:00+08:00\n"
        "R-4,A3,77.77,CNY,2026-04-01T00:30:00+08:00\n"  # 31 March in UTC, 1 April locally: next period
        "R-5,U1,50.00,USD,2026-03-15T09:00:00-05:00\n"  # another creditor
    )
    _reconcile(db, tmp_path, text, now=datetime(2026, 4, 2, tzinfo=UTC))
    with db.engine.begin() as connection:
        payments.set_commission(connection, db, "招商银行", 1_234, OFFERED)
    with db.engine.connect() as connection:
        statement = payments.remittance_statement(
            connection, creditor_id="招商银行", period_start=date(2026, 3, 1), period_end=date(2026, 3, 31)
        )
    assert statement.commission_bps == 1_234
    # 333.34 x 12.34 % = 41.134156 and 100.01 x 12.34 % = 12.341234: 41.13 + 12.34 = 53.47, but the total
    # 433.35 x 12.34 % = 53.475390 rounds to 53.48; the missing fen goes to the larger dropped fraction (A1).
    assert statement.lines.select("account_id", "payments", "collected", "commission", "net").rows() == [
        ("A1", 2, 33_334, 4_114, 29_220),
        ("A2", 1, 10_001, 1_234, 8_767),
    ]
    assert statement.totals.rows() == [("CNY", 2, 3, 43_335, 5_348, 37_987)]


def test_offers_are_refused_on_holds_unknown_accounts_and_twice(db: Database, tmp_path: Path) -> None:
    _setup(db, tmp_path)
    with db.engine.begin() as connection:
        with pytest.raises(Conflict, match="on hold"):
            payments.offer_plan(connection, db, account_id="H1", installments=3, now=OFFERED)
        with pytest.raises(NotFound, match="unknown account 'X'"):
            payments.offer_plan(connection, db, account_id="X", installments=3, now=OFFERED)
        with pytest.raises(ValidationError, match="1 to 60"):
            payments.offer_plan(connection, db, account_id="A1", installments=0, now=OFFERED)
    _offer_and_accept(db, "A1", 3, date(2026, 3, 4))
    with db.engine.begin() as connection, pytest.raises(Conflict, match="already has an open plan"):
        payments.accept_settlement(
            connection, db, account_id="A1", due_on=date(2026, 3, 9), amount="100.00", now=OFFERED
        )


def test_an_offer_expires_and_cannot_be_accepted_late(db: Database, tmp_path: Path) -> None:
    _setup(db, tmp_path)
    with db.engine.begin() as connection:
        offer = payments.offer_plan(
            connection, db, account_id="U1", installments=4, frequency="weekly", now=OFFERED
        )
    assert offer.calendar == "US-NY"
    assert offer.offer_expires_on == date(2026, 3, 8)
    with db.engine.begin() as connection, pytest.raises(Conflict, match="expired on 2026-03-08"):
        payments.accept_plan(connection, db, offer.plan_key, datetime(2026, 3, 9, tzinfo=UTC))
    run_day(_app(db), date(2026, 3, 9), RunOptions())
    assert _one(db, "SELECT status FROM plans") == ("expired",)
