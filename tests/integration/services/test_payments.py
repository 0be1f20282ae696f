from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from recoup.adapters.db.bulk import read_frame
from recoup.adapters.db.engine import Database
from recoup.core.audit import Reason
from recoup.core.errors import Conflict, NotFound, ValidationError
from recoup.services import payments
from tests.integration.audit_helpers import broken_at, intact, kinds, logged, tamper
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


def _content(entry_content: dict[str, object]) -> dict[str, object]:
    return {k: v for k, v in entry_content.items() if k != "covers"}


def test_a_plan_offered_and_accepted_is_in_the_audit_log_and_its_terms_are_vouched_for(
    db: Database, tmp_path: Path
) -> None:
    setup_accounts(db, tmp_path)
    plan = offer_and_accept(db, "A1", 3, date(2026, 3, 4))
    offered, accepted = logged(db, "payment.")
    assert (offered.kind, accepted.kind) == ("payment.plan_offered", "payment.plan_accepted")
    assert _content(offered.content) == {
        "plan_key": plan.plan_key,
        "action_key": None,
        "account_id": "A1",
        "creditor_id": "招商银行",
        "currency": "CNY",
        "total": 300_000,  # minor units: 2,900.00 + 80.00 + 20.00
        "installments": 3,
        "frequency": "monthly",
        "calendar": plan.calendar,
        "first_due": "2026-03-04",
        "offer_expires_on": "2026-03-08",
        "status": "offered",
    }
    assert accepted.content["status"] == "current"
    assert offered.covered_tables() == ["plans", "plan_installments"]
    assert intact(db)  # accepting moved the plan's status and acceptance time: those are not covered
    assert tamper(db, "UPDATE plan_installments SET amount = amount - 1 WHERE number = 3") == 1
    assert broken_at(db) == (offered.seq, Reason.ROWS_CHANGED)


def test_a_settlement_is_in_the_audit_log_and_a_refused_one_is_not(db: Database, tmp_path: Path) -> None:
    setup_accounts(db, tmp_path)
    with db.engine.begin() as connection:
        settled = payments.accept_settlement(
            connection, db, account_id="A2", due_on=date(2026, 3, 9), amount="700.00", now=OFFERED
        )
    with db.engine.begin() as connection, pytest.raises(Conflict):
        payments.accept_settlement(
            connection, db, account_id="H1", due_on=date(2026, 3, 9), discount_bps=1_000, now=OFFERED
        )
    [entry] = logged(db, "payment.")
    assert _content(entry.content) == {
        "settlement_key": settled.settlement_key,
        "action_key": None,
        "account_id": "A2",
        "creditor_id": "招商银行",
        "currency": "CNY",
        "balance": 100_000,
        "amount": 70_000,
        "write_off": 30_000,
        "due_on": "2026-03-09",
        "discount_bps": None,
    }
    assert intact(db)
    assert tamper(db, "UPDATE settlements SET amount = 1") == 1
    assert broken_at(db) == (entry.seq, Reason.ROWS_CHANGED)


def test_each_reconciliation_run_is_audited_with_the_payments_it_booked(db: Database, tmp_path: Path) -> None:
    setup_accounts(db, tmp_path)
    text = PAYMENTS_HEADER + (
        "OK-1,A1,10.00,CNY,2026-03-02T09:00:00+08:00\nBAD-1,NOPE,10.00,CNY,2026-03-02T09:00:00+08:00\n"
    )
    reconcile_text(db, tmp_path, text, now=datetime(2026, 3, 3, tzinfo=UTC))
    reconcile_text(db, tmp_path, text, now=datetime(2026, 3, 3, tzinfo=UTC), partial=True)
    rejected, partial = logged(db, "payment.reconciled")
    assert (rejected.content["status"], rejected.content["booked"], rejected.content["exceptions"]) == (
        "rejected",
        0,
        1,
    )
    assert rejected.content["sha256"] == "0" * 64 and rejected.content["outcomes"]["unknown_account"] == 1
    assert rejected.covered_tables() == ["reconciliation_runs", "reconciliation_exceptions"]
    assert (partial.content["status"], partial.content["booked"]) == ("partial", 1)
    assert partial.covered_tables() == ["events", "reconciliation_runs", "reconciliation_exceptions"]
    assert intact(db)
    assert tamper(db, "UPDATE events SET amount = amount * 10 WHERE event_id = 'OK-1'") == 1
    assert broken_at(db) == (partial.seq, Reason.ROWS_CHANGED)


def test_tampering_with_a_rejected_files_exceptions_names_its_run(db: Database, tmp_path: Path) -> None:
    setup_accounts(db, tmp_path)
    text = PAYMENTS_HEADER + "BAD-1,NOPE,10.00,CNY,2026-03-02T09:00:00+08:00\n"
    reconcile_text(db, tmp_path, text, now=datetime(2026, 3, 3, tzinfo=UTC))
    [entry] = logged(db, "payment.reconciled")
    assert tamper(db, "DELETE FROM reconciliation_exceptions") == 1
    assert broken_at(db) == (entry.seq, Reason.ROWS_CHANGED)


def test_commission_rates_and_remittance_statements_are_recorded(db: Database, tmp_path: Path) -> None:
    setup_accounts(db, tmp_path)
    reconcile_text(
        db,
        tmp_path,
        PAYMENTS_HEADER + "R-1,A1,333.33,CNY,2026-03-02T09:00:00+08:00\n",
        now=datetime(2026, 4, 2, tzinfo=UTC),
    )
    with db.engine.begin() as connection:
        payments.set_commission(connection, db, "招商银行", 1_000, OFFERED)
        payments.set_commission(connection, db, "招商银行", 1_234, OFFERED)
        statement = payments.remittance_statement(
            connection, creditor_id="招商银行", period_start=date(2026, 3, 1), period_end=date(2026, 3, 31)
        )
        payments.record_remittance(connection, statement, file="march.csv", file_sha256="f" * 64, now=OFFERED)
    first, second = logged(db, "payment.commission_set")
    assert (first.content["previous_bps"], second.content["previous_bps"]) == (None, 1_000)
    [produced] = logged(db, "payment.remittance")
    assert _content(produced.content) == {
        "creditor_id": "招商银行",
        "period_start": "2026-03-01",
        "period_end": "2026-03-31",
        "commission_bps": 1_234,
        "totals": [
            {
                "currency": "CNY",
                "accounts": 1,
                "payments": 1,
                "collected": 33_333,
                "commission": 4_113,
                "net": 29_220,
            }
        ],
        "lines": 1,
        "lines_sha256": produced.content["lines_sha256"],
        "file": "march.csv",
        "file_sha256": "f" * 64,
    }
    with db.engine.begin() as connection:  # the same statement again: the same lines, the same digest
        again = payments.remittance_statement(
            connection, creditor_id="招商银行", period_start=date(2026, 3, 1), period_end=date(2026, 3, 31)
        )
        payments.record_remittance(connection, again, file="march.pdf", file_sha256="e" * 64, now=OFFERED)
    assert logged(db, "payment.remittance")[1].content["lines_sha256"] == produced.content["lines_sha256"]
    assert kinds(db, "payment.")[:3] == [
        "payment.reconciled",
        "payment.commission_set",
        "payment.commission_set",
    ]
    assert intact(db)
