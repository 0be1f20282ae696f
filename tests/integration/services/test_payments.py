from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from recoup.adapters.db.bulk import read_frame
from recoup.adapters.db.engine import Database
from recoup.core.errors import Conflict, NotFound, ValidationError
from recoup.services import payments
from tests.integration.services.helpers import snapshot
from tests.integration.services.payment_helpers import (
    OFFERED,
    PAYMENTS_HEADER,
    first_row,
    offer_and_accept,
    reconcile_text,
    setup_accounts,
)


def test_unknown_accounts_and_foreign_currency_reject_the_file_and_nothing_is_lost(
    db: Database, tmp_path: Path
) -> None:
    setup_accounts(db, tmp_path)
    text = PAYMENTS_HEADER + (
        "OK-1,A1,10.00,CNY,2026-03-02T09:00:00+08:00\n"
        "BAD-1,NOPE,10.00,CNY,2026-03-02T09:00:00+08:00\n"
        "BAD-2,A2,10.00,USD,2026-03-02T09:00:00+08:00\n"
    )
    before = snapshot(db)
    report = reconcile_text(db, tmp_path, text, now=datetime(2026, 3, 3, tzinfo=UTC))
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
    assert first_row(db, "SELECT status, rows, matched, booked, exceptions FROM reconciliation_runs") == (
        "rejected",
        3,
        1,
        0,
        2,
    )

    partial = reconcile_text(db, tmp_path, text, now=datetime(2026, 3, 3, tzinfo=UTC), partial=True)
    assert (partial.status, partial.booked) == ("partial", 1)
    assert read_frame(db, "SELECT event_id FROM events WHERE type = 'payment'").rows() == [("OK-1",)]


def test_reconciling_the_same_file_twice_books_nothing_twice(db: Database, tmp_path: Path) -> None:
    setup_accounts(db, tmp_path)
    text = (
        PAYMENTS_HEADER
        + "P-1,A1,10.00,CNY,2026-03-02T09:00:00+08:00\nP-2,U1,5.00,USD,2026-03-02T09:00:00-05:00\n"
    )
    first = reconcile_text(db, tmp_path, text, now=datetime(2026, 3, 3, tzinfo=UTC))
    second = reconcile_text(db, tmp_path, text, now=datetime(2026, 3, 3, tzinfo=UTC))
    assert (first.status, first.booked) == ("booked", 2)
    assert (second.status, second.booked, second.counts["duplicate_stored"]) == ("booked", 0, 2)
    assert first_row(db, "SELECT COUNT(*) FROM events") == (2,)


def test_remittance_statement_adds_up_to_the_cent(db: Database, tmp_path: Path) -> None:
    setup_accounts(db, tmp_path)
    text = PAYMENTS_HEADER + (
        "R-1,A1,333.33,CNY,2026-03-02T09:00:00+08:00\n"
        "R-2,A1,0.01,CNY,2026-03-31T23:30:00+08:00\n"
        "R-3,A2,100.01,CNY,2026-03-15T09:00:00+08:00\n"
        "R-4,A3,77.77,CNY,2026-04-01T00:30:00+08:00\n"  # 31 March in UTC, 1 April locally: next period
        "R-5,U1,50.00,USD,2026-03-15T09:00:00-05:00\n"  # another creditor
    )
    reconcile_text(db, tmp_path, text, now=datetime(2026, 4, 2, tzinfo=UTC))
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
    setup_accounts(db, tmp_path)
    with db.engine.begin() as connection:
        with pytest.raises(Conflict, match="on hold"):
            payments.offer_plan(connection, db, account_id="H1", installments=3, now=OFFERED)
        with pytest.raises(NotFound, match="unknown account 'X'"):
            payments.offer_plan(connection, db, account_id="X", installments=3, now=OFFERED)
        with pytest.raises(ValidationError, match="1 to 60"):
            payments.offer_plan(connection, db, account_id="A1", installments=0, now=OFFERED)
    offer_and_accept(db, "A1", 3, date(2026, 3, 4))
    with db.engine.begin() as connection, pytest.raises(Conflict, match="already has an open plan"):
        payments.accept_settlement(
            connection, db, account_id="A1", due_on=date(2026, 3, 9), amount="100.00", now=OFFERED
        )
