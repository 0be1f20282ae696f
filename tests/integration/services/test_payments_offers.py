"""`payments.accept_offer`: a strategy's stored offer booked on its own terms (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from recoup.adapters.db.bulk import read_frame
from recoup.adapters.db.engine import Database
from recoup.bootstrap import App
from recoup.config import Settings
from recoup.core.audit import Reason
from recoup.core.errors import Conflict, NotFound, ValidationError
from recoup.core.offer_acceptance import NOT_SENT
from recoup.core.plans import MAX_INSTALLMENTS
from recoup.entrypoints.jobs.simulation import SimulationPlan, simulate
from recoup.services import payments
from recoup.services.options import RunOptions
from tests.integration.audit_helpers import broken_at, intact, logged, tamper
from tests.integration.services.offer_helpers import (
    EXPIRES,
    arrangements,
    insert_offer,
    offer,
    set_balance,
)
from tests.integration.services.payment_helpers import first_row, setup_accounts

NOW = datetime(2026, 3, 3, 2, 0, tzinfo=UTC)  # 10:00 on 3 March in Shanghai


def _accept(
    db: Database, key: int, now: datetime = NOW, **options: date
) -> payments.PlanView | payments.SettlementView:
    with db.engine.begin() as connection:
        return payments.accept_offer(connection, db, action_key=key, now=now, **options)


def _plan(db: Database, key: int, now: datetime = NOW, **options: date) -> payments.PlanView:
    booked = _accept(db, key, now, **options)
    assert isinstance(booked, payments.PlanView)
    return booked


def _settlement(db: Database, key: int, now: datetime = NOW) -> payments.SettlementView:
    booked = _accept(db, key, now)
    assert isinstance(booked, payments.SettlementView)
    return booked


def test_an_installment_offer_becomes_a_current_plan_of_its_total_and_count(
    db: Database, tmp_path: Path
) -> None:
    setup_accounts(db, tmp_path)
    key = offer(db, "A1", kind="installment", installments=7, status="delivered")  # 3000.00 CNY
    plan = _plan(db, key, first_due=date(2026, 3, 20))
    assert (plan.status, plan.total, len(plan.installments), plan.action_key) == ("current", 300_000, 7, key)
    amounts = [item.amount for item in plan.installments]
    # The wording quoted one installment as the total / 7 rounded up: no installment is above it.
    assert sum(amounts) == 300_000 and max(amounts) == -(-300_000 // 7)
    assert (plan.installments[0].due_on, plan.offer_expires_on) == (date(2026, 3, 20), EXPIRES)
    assert first_row(
        db, f'SELECT status, action_key, installments FROM plans WHERE "key" = {plan.plan_key}'
    ) == (
        "current",
        key,
        7,
    )


def test_the_first_installment_defaults_to_a_week_after_the_debtors_today(
    db: Database, tmp_path: Path
) -> None:
    setup_accounts(db, tmp_path)
    key = offer(db, "A2", kind="installment", installments=2)
    late_evening = datetime(2026, 3, 3, 17, 0, tzinfo=UTC)  # 4 March 01:00 in Shanghai
    assert _plan(db, key, late_evening).installments[0].due_on == date(2026, 3, 11)


def test_a_settlement_offer_is_accepted_for_its_amount_due_when_it_expires(
    db: Database, tmp_path: Path
) -> None:
    setup_accounts(db, tmp_path)
    key = offer(db, "A2", kind="settlement", amount=85_000)  # 1000.00 owed, 850.00 offered
    settlement = _settlement(db, key)
    assert (settlement.balance, settlement.amount, settlement.write_off, settlement.due_on) == (
        100_000,
        85_000,
        15_000,
        EXPIRES,
    )
    assert settlement.action_key == key
    stored = f'SELECT status, amount, action_key FROM settlements WHERE "key" = {settlement.settlement_key}'
    assert first_row(db, stored) == ("accepted", 85_000, key)


def test_a_fallen_balance_never_gets_a_larger_discount_than_offered(db: Database, tmp_path: Path) -> None:
    setup_accounts(db, tmp_path)
    with db.engine.begin() as connection:
        part_paid = insert_offer(connection, db, "A2", kind="settlement", amount=85_000)
        paid_below = insert_offer(connection, db, "A3", kind="settlement", amount=40_000)
        plan_offer = insert_offer(connection, db, "A1", kind="installment", installments=6)
        set_balance(connection, "A2", 90_000)
        set_balance(connection, "A3", 30_000)
        set_balance(connection, "A1", 120_000)
    still_above = _settlement(db, part_paid)
    assert (still_above.amount, still_above.write_off) == (85_000, 5_000)  # 150.00 was offered off
    below = _settlement(db, paid_below)
    assert (below.amount, below.write_off) == (30_000, 0)
    plan = _plan(db, plan_offer)
    assert (plan.total, [item.amount for item in plan.installments]) == (120_000, [20_000] * 6)


def test_a_risen_balance_refuses_both_kinds_and_writes_nothing(db: Database, tmp_path: Path) -> None:
    setup_accounts(db, tmp_path)
    with db.engine.begin() as connection:
        settlement = insert_offer(connection, db, "A2", kind="settlement", amount=85_000)
        plan = insert_offer(connection, db, "A1", kind="installment", installments=6)
        set_balance(connection, "A2", 110_000)
        set_balance(connection, "A1", 310_000)
    with pytest.raises(
        Conflict, match=rf"rose from 1000.00 CNY to 1100.00 CNY since the offer of action {settlement}"
    ):
        _accept(db, settlement)
    with pytest.raises(
        Conflict, match=rf"rose to 3100.00 CNY since the offer of action {plan} \(a plan of 3000.00"
    ):
        _accept(db, plan)
    assert arrangements(db) == [0, 0, 0]


def test_expiry_is_judged_on_the_debtors_local_date(db: Database, tmp_path: Path) -> None:
    setup_accounts(db, tmp_path)
    with db.engine.begin() as connection:
        shanghai_last_minute = insert_offer(connection, db, "A1", kind="settlement", amount=250_000)
        shanghai_too_late = insert_offer(connection, db, "A2", kind="settlement", amount=80_000)
        chicago_last_hour = insert_offer(connection, db, "U1", kind="settlement", amount=70_000)
    _settlement(db, shanghai_last_minute, datetime(2026, 3, 16, 15, 59, tzinfo=UTC))  # 23:59 on the 16th
    with pytest.raises(
        Conflict,
        match=rf"offer of action {shanghai_too_late} expired on 2026-03-16 \(it is 2026-03-17 where the debtor",
    ):
        _accept(db, shanghai_too_late, datetime(2026, 3, 16, 16, 0, tzinfo=UTC))
    # 17 March in UTC, still the 16th in the US default zone (America/Chicago, UTC-5 since 8 March).
    assert _settlement(db, chicago_last_hour, datetime(2026, 3, 17, 4, 30, tzinfo=UTC)).amount == 70_000
    assert arrangements(db) == [0, 0, 2]


def test_unknown_and_non_offer_actions_are_refused_by_key(db: Database, tmp_path: Path) -> None:
    setup_accounts(db, tmp_path)
    call = offer(db, "A1", kind="none", action="call", amount=None)
    with pytest.raises(ValidationError, match=rf"action {call} is a call action, not an offer") as refused:
        _accept(db, call)
    assert refused.value.field == "action_key"
    with pytest.raises(NotFound, match="no action 999"):
        _accept(db, 999)
    settlement = offer(db, "A2", kind="settlement", amount=85_000)
    with pytest.raises(ValidationError, match="a first due date is for installment plans"):
        _accept(db, settlement, first_due=date(2026, 3, 20))
    assert arrangements(db) == [0, 0, 0]


def test_an_offer_that_never_reached_the_debtor_is_refused(db: Database, tmp_path: Path) -> None:
    setup_accounts(db, tmp_path)
    with db.engine.begin() as connection:
        keys = {
            status: insert_offer(
                connection,
                db,
                "A2",
                kind="settlement",
                amount=85_000,
                status=status,
                run_date=date(2026, 3, 2) - timedelta(days=day),
            )
            for day, status in enumerate(NOT_SENT)
        }
    for status, key in keys.items():
        with pytest.raises(Conflict, match=rf"offer of action {key} was never sent \(it is {status}\)"):
            _accept(db, key)
    assert arrangements(db) == [0, 0, 0]


def test_a_held_account_is_refused_naming_the_action_and_the_hold(db: Database, tmp_path: Path) -> None:
    setup_accounts(db, tmp_path)
    key = offer(db, "H1", kind="installment", installments=3)
    with pytest.raises(
        Conflict, match=rf"offer of action {key} cannot be accepted: account 'H1' is on hold \(dispute\)"
    ):
        _accept(db, key)
    assert arrangements(db) == [0, 0, 0]


def test_accepting_again_returns_what_the_first_acceptance_booked(db: Database, tmp_path: Path) -> None:
    setup_accounts(db, tmp_path)
    with db.engine.begin() as connection:
        plan_offer = insert_offer(connection, db, "A1", kind="installment", installments=4)
        settlement_offer = insert_offer(connection, db, "A2", kind="settlement", amount=85_000)
    plan = _plan(db, plan_offer)
    settlement = _settlement(db, settlement_offer)
    stored = arrangements(db)
    # Later, past the offer's expiry, with the plan open on the account and another first due date asked.
    later = datetime(2026, 4, 1, tzinfo=UTC)
    assert _plan(db, plan_offer, later, first_due=date(2026, 5, 1)) == plan
    assert _settlement(db, settlement_offer, later) == settlement
    assert arrangements(db) == stored == [1, 4, 1]
    assert len(logged(db, "payment.")) == 2  # booked once, recorded once


def test_a_booked_offer_is_in_the_audit_log_with_the_terms_offered_and_booked(
    db: Database, tmp_path: Path
) -> None:
    setup_accounts(db, tmp_path)
    with db.engine.begin() as connection:
        plan_offer = insert_offer(connection, db, "A1", kind="installment", installments=4)
        settlement_offer = insert_offer(connection, db, "A2", kind="settlement", amount=85_000)
    plan = _plan(db, plan_offer)
    settlement = _settlement(db, settlement_offer)
    booked_plan, booked_settlement = logged(db, "payment.")
    assert {booked_plan.kind, booked_settlement.kind} == {"payment.offer_accepted"}
    assert {k: booked_plan.content[k] for k in ("action_key", "kind", "offered_installments")} == {
        "action_key": plan_offer,
        "kind": "installment",
        "offered_installments": 4,
    }
    terms = booked_plan.content["plan"]
    assert (terms["plan_key"], terms["total"], terms["installments"], terms["status"]) == (
        plan.plan_key,
        300_000,
        4,
        "current",
    )
    assert booked_settlement.content["offered_amount"] == 85_000
    assert booked_settlement.content["settlement"]["amount"] == settlement.amount == 85_000
    assert booked_settlement.content["expires_on"] == EXPIRES.isoformat()
    assert booked_plan.covered_tables() == ["plans", "plan_installments"]
    assert booked_settlement.covered_tables() == ["settlements"]
    assert intact(db)
    assert tamper(db, f'UPDATE plans SET installments = 2 WHERE "key" = {plan.plan_key}') == 1
    assert broken_at(db) == (booked_plan.seq, Reason.ROWS_CHANGED)


def test_one_offer_can_link_one_arrangement_only(db: Database, tmp_path: Path) -> None:
    """The database itself refuses a second plan booked from the same offer (the last line of defence)."""
    setup_accounts(db, tmp_path)
    key = offer(db, "A1", kind="installment", installments=2)
    plan = _plan(db, key)
    copy = (
        'INSERT INTO plans ("key", account_key, currency, total, installments, frequency, first_due, calendar, '
        'status, offered_at, offer_expires_on, paid, action_key) SELECT "key" + 1, account_key, currency, '
        "total, installments, frequency, first_due, calendar, status, offered_at, offer_expires_on, paid, "
        f'action_key FROM plans WHERE "key" = {plan.plan_key}'
    )
    with pytest.raises(IntegrityError), db.engine.begin() as connection:
        connection.execute(text(copy))


def test_offers_of_a_simulated_run_are_booked_as_stored(db: Database, tmp_path: Path) -> None:
    app = App(settings=Settings(), db=db)
    simulate(
        app, SimulationPlan(accounts=300, days=2, seed=3, options=RunOptions(strategy="default")), tmp_path
    )
    unchanged = read_frame(
        db,
        'SELECT a."key", a.offer_kind, a.offer_amount, a.offer_installments, a.offer_expires_on, a.balance '
        'FROM actions a JOIN accounts c ON c."key" = a.account_key '
        "WHERE a.action = 'offer' AND a.balance = c.principal + c.interest + c.fees AND c.status = 'active' "
        "AND c.flags = '' ORDER BY a.\"key\"",
    )
    by_kind = {
        kind: unchanged.filter(offer_kind=kind).row(0, named=True) for kind in ("installment", "settlement")
    }
    accepted_on = datetime(2026, 3, 4, 2, 0, tzinfo=UTC)
    plan = _plan(db, by_kind["installment"]["key"], accepted_on)
    assert (plan.total, len(plan.installments), plan.status) == (
        by_kind["installment"]["offer_amount"],
        by_kind["installment"]["offer_installments"],
        "current",
    )
    assert sum(item.amount for item in plan.installments) == plan.total
    settlement = _settlement(db, by_kind["settlement"]["key"], accepted_on)
    assert (settlement.amount, settlement.balance, settlement.due_on.isoformat()) == (
        by_kind["settlement"]["offer_amount"],
        by_kind["settlement"]["balance"],
        str(by_kind["settlement"]["offer_expires_on"])[:10],
    )


balances = st.integers(min_value=MAX_INSTALLMENTS, max_value=10**11)


@st.composite
def offers_and_balances(draw: st.DrawFn) -> tuple[str, int, int, int, int]:
    """kind, balance at the offer, offered amount, installments, balance at acceptance."""
    kind = draw(st.sampled_from(["installment", "settlement"]))
    then = draw(balances)
    amount = then if kind == "installment" else draw(st.integers(min_value=1, max_value=then))
    count = draw(st.integers(min_value=1, max_value=MAX_INSTALLMENTS))
    now = draw(st.one_of(st.just(then), balances))
    return kind, then, amount, count, now


def test_booked_plans_add_up_and_settlements_never_exceed_the_offer(db: Database, tmp_path: Path) -> None:
    setup_accounts(db, tmp_path)

    @settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(offers_and_balances())
    def check(case: tuple[str, int, int, int, int]) -> None:
        kind, then, amount, count, now = case
        with db.engine.connect() as connection:
            transaction = connection.begin()  # rolled back: every example starts from the same database
            set_balance(connection, "A1", then)
            key = insert_offer(connection, db, "A1", kind=kind, amount=amount, installments=count)
            set_balance(connection, "A1", now)
            try:
                booked = payments.accept_offer(connection, db, action_key=key, now=NOW)
            except Conflict as refused:
                assert now > (amount if kind == "installment" else then), refused.message
                return
            finally:
                transaction.rollback()
        if isinstance(booked, payments.PlanView):
            parts = [item.amount for item in booked.installments]
            assert sum(parts) == booked.total == now <= amount
            assert len(parts) == count and max(parts) <= -(-amount // count)
        else:
            assert booked.amount <= amount
            assert booked.write_off <= then - amount  # never more forgiven than offered
            assert booked.amount + booked.write_off == now

    check()
