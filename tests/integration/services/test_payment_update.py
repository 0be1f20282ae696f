"""The daily update step moves plans and settlements (services.payment_update), end to end."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import polars as pl
import pytest

from recoup.adapters.db.bulk import read_frame
from recoup.adapters.db.engine import Database
from recoup.core.audit import Reason
from recoup.core.errors import Conflict
from recoup.entrypoints.jobs.daily import run_day
from recoup.services import payments
from recoup.services.daily_run import RunOptions
from tests.integration.audit_helpers import broken_at, intact, logged, tamper
from tests.integration.services.helpers import load_events, raw
from tests.integration.services.payment_helpers import (
    OFFERED,
    PAYMENTS_HEADER,
    app_of,
    first_row,
    offer_and_accept,
    reconcile_text,
    setup_accounts,
)


def test_a_payment_file_closes_a_promise_and_a_plan_installment(db: Database, tmp_path: Path) -> None:
    setup_accounts(db, tmp_path)
    plan = offer_and_accept(db, "A1", 3, date(2026, 3, 4))
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
    run_day(app_of(db), date(2026, 3, 1), RunOptions())
    report = reconcile_text(
        db,
        tmp_path,
        PAYMENTS_HEADER + "PAY-1,A1,1000.00,CNY,2026-03-03T10:00:00+08:00\n",
        now=datetime(2026, 3, 3, 6, tzinfo=UTC),
    )
    assert (report.status, report.booked, report.exceptions.height) == ("booked", 1, 0)

    summary = run_day(app_of(db), date(2026, 3, 3), RunOptions())
    update = summary.stats("update")
    assert update["promises_kept"] == 1
    assert update["installments_paid"] == 1
    assert first_row(db, "SELECT status, paid FROM promises") == ("kept", 100_000)
    assert read_frame(db, "SELECT number, status, paid FROM plan_installments ORDER BY number").rows() == [
        (1, "paid", 100_000),
        (2, "due", 0),
        (3, "due", 0),
    ]
    assert first_row(db, "SELECT status, paid FROM plans") == ("current", 100_000)
    # The payment went through the waterfall: fees, then interest, then principal.
    assert first_row(db, "SELECT fees, interest, principal FROM accounts WHERE account_id = 'A1'") == (
        0,
        0,
        200_000,
    )


def test_a_plan_breaks_after_the_grace_and_is_kept_when_paid_in_time(db: Database, tmp_path: Path) -> None:
    setup_accounts(db, tmp_path)
    offer_and_accept(db, "A2", 2, date(2026, 3, 4))
    offer_and_accept(db, "A3", 1, date(2026, 3, 4))
    reconcile_text(
        db,
        tmp_path,
        PAYMENTS_HEADER + "PAY-3,A3,500.00,CNY,2026-03-04T09:00:00+08:00\n",
        now=datetime(2026, 3, 5, tzinfo=UTC),
    )
    run_day(app_of(db), date(2026, 3, 8), RunOptions(grace_days=3))
    statuses = read_frame(
        db,
        'SELECT a.account_id, p.status, p.resolved_on FROM plans p JOIN accounts a ON a."key" = p.account_key ORDER BY 1',
        {"resolved_on": pl.Date()},
    ).rows()
    assert statuses == [("A2", "broken", date(2026, 3, 8)), ("A3", "kept", date(2026, 3, 8))]


def test_a_paid_settlement_writes_off_the_rest_and_closes_the_account(db: Database, tmp_path: Path) -> None:
    setup_accounts(db, tmp_path)
    with db.engine.begin() as connection:
        settlement = payments.accept_settlement(
            connection, db, account_id="A2", due_on=date(2026, 3, 10), discount_bps=3_000, now=OFFERED
        )
    assert (settlement.amount, settlement.write_off) == (70_000, 30_000)
    reconcile_text(
        db,
        tmp_path,
        PAYMENTS_HEADER + "S-1,A2,700.00,CNY,2026-03-05T09:00:00+08:00\n",
        now=datetime(2026, 3, 5, 3, tzinfo=UTC),
    )
    summary = run_day(app_of(db), date(2026, 3, 5), RunOptions())
    assert summary.stats("update")["settlements_paid"] == 1
    assert first_row(db, "SELECT status, paid, write_off_event_id FROM settlements") == (
        "paid",
        70_000,
        "settlement-1-write-off",
    )
    write_off = "SELECT type, amount, applied_on FROM events WHERE event_id = 'settlement-1-write-off'"
    assert first_row(db, write_off, applied_on=pl.Date) == (
        "adjustment",
        -30_000,
        date(2026, 3, 5),
    )
    account = first_row(
        db, "SELECT status, principal, interest, fees, credit FROM accounts WHERE account_id = 'A2'"
    )
    assert account == ("paid", 0, 0, 0, 0)
    acted = read_frame(
        db,
        'SELECT a."key" FROM actions a JOIN accounts c ON c."key" = a.account_key WHERE c.account_id = \'A2\'',
    )
    assert acted.is_empty()


def test_a_settlement_not_paid_in_time_is_broken_and_writes_nothing_off(db: Database, tmp_path: Path) -> None:
    setup_accounts(db, tmp_path)
    with db.engine.begin() as connection:
        payments.accept_settlement(
            connection, db, account_id="A2", due_on=date(2026, 3, 2), amount="600.00", now=OFFERED
        )
    run_day(app_of(db), date(2026, 3, 6), RunOptions(grace_days=3))
    assert first_row(db, "SELECT status, write_off_event_id FROM settlements") == ("broken", None)
    assert first_row(db, "SELECT principal FROM accounts WHERE account_id = 'A2'") == (100_000,)


def test_an_offer_expires_and_cannot_be_accepted_late(db: Database, tmp_path: Path) -> None:
    setup_accounts(db, tmp_path)
    with db.engine.begin() as connection:
        offer = payments.offer_plan(
            connection, db, account_id="U1", installments=4, frequency="weekly", now=OFFERED
        )
    assert offer.calendar == "US-NY"
    assert offer.offer_expires_on == date(2026, 3, 8)
    with db.engine.begin() as connection, pytest.raises(Conflict, match="expired on 2026-03-08"):
        payments.accept_plan(connection, db, offer.plan_key, datetime(2026, 3, 9, tzinfo=UTC))
    run_day(app_of(db), date(2026, 3, 9), RunOptions())
    assert first_row(db, "SELECT status FROM plans") == ("expired",)


def test_a_settlement_paid_by_local_date_is_written_off_on_a_day_without_events(
    db: Database, tmp_path: Path
) -> None:
    setup_accounts(db, tmp_path)
    with db.engine.begin() as connection:
        payments.accept_settlement(
            connection, db, account_id="A2", due_on=date(2026, 3, 10), amount="700.00", now=OFFERED
        )
    # 02:00 on 6 March in Beijing is 18:00 UTC on the 5th: applied by the run of the 5th, but it counts for
    # the settlement only from the 6th, a day with no events at all.
    reconcile_text(
        db,
        tmp_path,
        PAYMENTS_HEADER + "S-1,A2,700.00,CNY,2026-03-06T02:00:00+08:00\n",
        now=datetime(2026, 3, 7, tzinfo=UTC),
    )
    run_day(app_of(db), date(2026, 3, 5), RunOptions())
    assert first_row(db, "SELECT status FROM settlements") == ("accepted",)
    run_day(app_of(db), date(2026, 3, 6), RunOptions())
    assert first_row(db, "SELECT status FROM settlements") == ("paid",)
    assert first_row(db, "SELECT status, principal, credit FROM accounts WHERE account_id = 'A2'") == (
        "paid",
        0,
        0,
    )


def test_a_payment_applied_only_tomorrow_is_not_written_off_as_well(db: Database, tmp_path: Path) -> None:
    setup_accounts(db, tmp_path)
    with db.engine.begin() as connection:
        payments.accept_settlement(
            connection, db, account_id="U1", due_on=date(2026, 3, 10), amount="500.00", now=OFFERED
        )
    # 20:00 in New York on 5 March is 01:00 UTC on the 6th: it pays the settlement on the 5th, but the run of
    # the 5th does not apply it yet, so only the rest (800 - 500) is written off.
    reconcile_text(
        db,
        tmp_path,
        PAYMENTS_HEADER + "S-2,U1,500.00,USD,2026-03-05T20:00:00-05:00\n",
        now=datetime(2026, 3, 7, tzinfo=UTC),
    )
    run_day(app_of(db), date(2026, 3, 5), RunOptions())
    assert first_row(db, "SELECT amount FROM events WHERE type = 'adjustment'") == (-30_000,)
    run_day(app_of(db), date(2026, 3, 6), RunOptions())
    assert first_row(db, "SELECT status, principal, credit FROM accounts WHERE account_id = 'U1'") == (
        "paid",
        0,
        0,
    )


def _resolved_covers(db: Database) -> dict[str, tuple[int, int]]:
    """table -> (entry, rows) of the covers of plans and settlements in the run.update entry."""
    [update] = logged(db, "run.update")
    return {
        c["table"]: (update.seq, c["rows"])
        for c in update.content["covers"]
        if c["table"] in ("plans", "settlements")
    }


def test_the_update_step_vouches_for_the_plans_and_settlements_it_resolved(
    db: Database, tmp_path: Path
) -> None:
    setup_accounts(db, tmp_path)
    offer_and_accept(db, "A2", 2, date(2026, 3, 4))  # broken: nothing paid
    offer_and_accept(db, "A3", 1, date(2026, 3, 4))  # kept
    with db.engine.begin() as connection:
        payments.offer_plan(connection, db, account_id="U1", installments=2, now=OFFERED)  # expires 8 March
        payments.accept_settlement(
            connection, db, account_id="A1", due_on=date(2026, 3, 4), amount="1000.00", now=OFFERED
        )  # broken
    reconcile_text(
        db,
        tmp_path,
        PAYMENTS_HEADER + "PAY-3,A3,500.00,CNY,2026-03-04T09:00:00+08:00\n",
        now=datetime(2026, 3, 5, tzinfo=UTC),
    )
    run_day(app_of(db), date(2026, 3, 9), RunOptions(grace_days=3))
    assert read_frame(db, "SELECT status FROM plans ORDER BY status").rows() == [
        ("broken",),
        ("expired",),
        ("kept",),
    ]
    covers = _resolved_covers(db)
    seq = covers["plans"][0]
    assert covers == {"plans": (seq, 3), "settlements": (seq, 1)}
    assert intact(db)
    assert tamper(db, "UPDATE plans SET paid = 0 WHERE status = 'kept'") == 1
    assert broken_at(db) == (seq, Reason.ROWS_CHANGED)


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE settlements SET status = 'paid'",
        "UPDATE plans SET resolved_on = NULL WHERE status = 'expired'",
    ],
)
def test_rewriting_a_resolved_arrangement_names_the_run_that_resolved_it(
    db: Database, tmp_path: Path, statement: str
) -> None:
    setup_accounts(db, tmp_path)
    with db.engine.begin() as connection:
        payments.offer_plan(connection, db, account_id="U1", installments=2, now=OFFERED)
        payments.accept_settlement(
            connection, db, account_id="A1", due_on=date(2026, 3, 4), amount="1000.00", now=OFFERED
        )
    run_day(app_of(db), date(2026, 3, 9), RunOptions(grace_days=3))
    [update] = logged(db, "run.update")
    assert tamper(db, statement) == 1
    assert broken_at(db) == (update.seq, Reason.ROWS_CHANGED)
