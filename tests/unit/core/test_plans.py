from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from recoup.core.money import Money
from recoup.core.plans import (
    FREQUENCIES,
    BusinessCalendar,
    Installment,
    Plan,
    Settlement,
    add_months,
    business_day_mask,
    installment_schedule,
    plan_outcome,
    plan_outcomes_batch,
    roll_forward_table,
    schedules_batch,
    settlement_outcome,
    settlement_outcomes_batch,
    settlement_terms,
)
from recoup.core.promises import Payment

CN = timezone(timedelta(hours=8))
# Spring Festival 2026 as the holidays package lists it, with the two adjusted working Saturdays.
SPRING_2026 = frozenset(
    [
        date(2026, 2, 16),
        date(2026, 2, 17),
        date(2026, 2, 18),
        date(2026, 2, 19),
        date(2026, 2, 20),
        date(2026, 2, 23),
    ]
)
CN_2026 = BusinessCalendar(
    "CN", 2026, 2031, holidays=SPRING_2026, workdays=frozenset([date(2026, 2, 14), date(2026, 2, 28)])
)
PLAIN = BusinessCalendar("PLAIN", 2020, 2035)


def test_schedule_rolls_over_weekends_and_the_spring_festival() -> None:
    schedule = installment_schedule(Money(90_000, "CNY"), 3, date(2026, 1, 15), CN_2026)
    # 15 Feb is a Sunday inside the festival: the next business day is Tuesday 24 Feb.
    assert [i.due_on for i in schedule] == [date(2026, 1, 15), date(2026, 2, 24), date(2026, 3, 16)]


def test_an_adjusted_working_saturday_is_a_business_day() -> None:
    assert CN_2026.is_business_day(date(2026, 2, 14))
    assert not CN_2026.is_business_day(date(2026, 2, 21))


def test_monthly_dates_keep_the_day_of_month_and_clamp_to_month_end() -> None:
    assert [add_months(date(2026, 1, 31), k) for k in range(4)] == [
        date(2026, 1, 31),
        date(2026, 2, 28),
        date(2026, 3, 31),
        date(2026, 4, 30),
    ]
    assert add_months(date(2027, 11, 30), 3) == date(2028, 2, 29)


def test_schedule_sums_exactly_and_extra_minor_units_go_first() -> None:
    schedule = installment_schedule(Money(100_000, "CNY"), 3, date(2026, 3, 2), PLAIN)
    assert [i.amount for i in schedule] == [33_334, 33_333, 33_333]


def test_plan_terms_are_checked() -> None:
    with pytest.raises(ValueError, match="1 to 60"):
        installment_schedule(Money(100, "CNY"), 61, date(2026, 3, 2), PLAIN)
    with pytest.raises(ValueError, match="cannot be split"):
        installment_schedule(Money(2, "CNY"), 3, date(2026, 3, 2), PLAIN)
    with pytest.raises(ValueError, match="unknown frequency"):
        installment_schedule(Money(100, "CNY"), 2, date(2026, 3, 2), PLAIN, "daily")


def test_a_day_outside_the_calendar_span_is_an_error_not_a_guess() -> None:
    with pytest.raises(ValueError, match="covers 2026-2031"):
        CN_2026.roll_forward(date(2032, 1, 3))


def _plan(*amounts_and_days: tuple[int, date]) -> Plan:
    accepted = datetime(2026, 3, 1, 2, tzinfo=UTC)
    return Plan(1, accepted, tuple(Installment(n + 1, d, a) for n, (a, d) in enumerate(amounts_and_days)))


def _paid(day: date, amount: int) -> Payment:
    return Payment(datetime.combine(day, datetime.min.time()).replace(hour=12, tzinfo=CN), amount)


PLAN = _plan((5_000, date(2026, 3, 10)), (5_000, date(2026, 4, 10)))


def test_plan_is_current_then_late_then_broken_after_the_grace() -> None:
    assert plan_outcome(PLAN, [], date(2026, 3, 10)).status == "current"
    assert plan_outcome(PLAN, [], date(2026, 3, 11)).status == "late"
    assert plan_outcome(PLAN, [], date(2026, 3, 13), grace_days=3).status == "late"
    broken = plan_outcome(PLAN, [], date(2026, 3, 14), grace_days=3)
    assert broken.status == "broken"
    assert [i.status for i in broken.installments] == ["missed", "due"]


def test_payments_close_installments_in_order_and_keep_the_plan() -> None:
    first = plan_outcome(PLAN, [_paid(date(2026, 3, 9), 6_000)], date(2026, 3, 20))
    assert first.status == "current"
    assert [(i.status, i.paid) for i in first.installments] == [("paid", 5_000), ("due", 1_000)]
    kept = plan_outcome(
        PLAN, [_paid(date(2026, 3, 9), 6_000), _paid(date(2026, 4, 2), 4_000)], date(2026, 4, 3)
    )
    assert (kept.status, kept.paid) == ("kept", 10_000)


def test_paying_after_the_deadline_does_not_unbreak_a_plan() -> None:
    late_payment = [_paid(date(2026, 3, 20), 10_000)]
    outcome = plan_outcome(PLAN, late_payment, date(2026, 3, 21), grace_days=3)
    assert outcome.status == "broken"
    assert [i.status for i in outcome.installments] == ["paid", "paid"]


def test_payments_before_acceptance_do_not_count() -> None:
    before = Payment(PLAN.accepted_at - timedelta(seconds=1), 10_000)
    assert plan_outcome(PLAN, [before], date(2026, 3, 5)).paid == 0


def test_settlement_terms_round_the_discount_down() -> None:
    terms = settlement_terms(10_001, date(2026, 3, 31), date(2026, 3, 1), discount_bps=3_333)
    # 10001 * 0.3333 = 3333.33 off: the debtor gets 3333 off, not 3334.
    assert (terms.amount, terms.write_off) == (6_668, 3_333)
    with pytest.raises(ValueError, match="at most the balance"):
        settlement_terms(10_000, date(2026, 3, 31), date(2026, 3, 1), amount=10_001)
    with pytest.raises(ValueError, match="before it is offered"):
        settlement_terms(10_000, date(2026, 2, 1), date(2026, 3, 1), amount=5_000)


def test_settlement_paid_or_broken() -> None:
    settlement = Settlement(7, datetime(2026, 3, 1, tzinfo=UTC), 6_000, date(2026, 3, 31))
    assert (
        settlement_outcome(settlement, [_paid(date(2026, 3, 5), 3_000)], date(2026, 3, 6)).status
        == "accepted"
    )
    paid = settlement_outcome(
        settlement, [_paid(d, 3_000) for d in (date(2026, 3, 5), date(2026, 4, 2))], date(2026, 4, 2)
    )
    assert (paid.status, paid.paid) == ("paid", 6_000)
    assert settlement_outcome(settlement, [], date(2026, 4, 4), grace_days=3).status == "broken"


# --- the batch paths agree with the scalar ones ---------------------------------------------------

days = st.integers(min_value=0, max_value=3 * 365)
START = date(2026, 1, 1)


@st.composite
def calendars(draw: st.DrawFn) -> BusinessCalendar:
    holidays = frozenset(START + timedelta(days=d) for d in draw(st.lists(days, max_size=40)))
    workdays = frozenset(START + timedelta(days=d) for d in draw(st.lists(days, max_size=5)))
    weekend = frozenset(draw(st.sets(st.integers(0, 6), max_size=3)))
    return BusinessCalendar("X", 2025, 2035, holidays=holidays, weekend=weekend, workdays=workdays)


@settings(max_examples=60, deadline=None)
@given(calendars(), days, st.integers(1, 60))
def test_business_day_mask_and_roll_table_agree_with_the_scalar_calendar(
    calendar: BusinessCalendar, first: int, span: int
) -> None:
    first_day = START + timedelta(days=first)
    last_day = first_day + timedelta(days=span)
    mask = business_day_mask(calendar, first_day, last_day)
    assert mask.tolist() == [calendar.is_business_day(first_day + timedelta(days=k)) for k in range(span + 1)]
    table = roll_forward_table(calendar, first_day, last_day)
    assert table.get_column("rolled").to_list() == [
        calendar.roll_forward(d) for d in table.get_column("day").to_list()
    ]


plan_spec = st.tuples(st.integers(1, 5_000_000), st.integers(1, 24), days, st.sampled_from(FREQUENCIES))


@settings(max_examples=60, deadline=None)
@given(calendars(), st.lists(plan_spec, min_size=1, max_size=5))
def test_schedules_batch_agrees_with_scalar(
    calendar: BusinessCalendar, specs: list[tuple[int, int, int, str]]
) -> None:
    specs = [(max(total, count), count, first, frequency) for total, count, first, frequency in specs]
    frame = pl.DataFrame(
        {
            "plan_key": list(range(len(specs))),
            "total": [s[0] for s in specs],
            "installments": [s[1] for s in specs],
            "first_due": [START + timedelta(days=s[2]) for s in specs],
            "frequency": [s[3] for s in specs],
            "calendar": ["X"] * len(specs),
        }
    )
    batch = schedules_batch(frame, {"X": calendar})
    expected = [
        (key, i.number, i.due_on, i.amount)
        for key, (total, count, first, frequency) in enumerate(specs)
        for i in installment_schedule(
            Money(total, "CNY"), count, START + timedelta(days=first), calendar, frequency
        )
    ]
    assert batch.rows() == expected
    sums = batch.group_by("plan_key").agg(pl.col("amount").sum()).sort("plan_key")
    assert sums.get_column("amount").to_list() == [s[0] for s in specs]


installment_gaps = st.lists(st.tuples(st.integers(1, 40), st.integers(1, 9_000)), min_size=1, max_size=6)
payment_spec = st.tuples(
    st.integers(-5, 200), st.integers(0, 23), st.integers(1, 9_000), st.sampled_from([-5, 0, 8])
)


@settings(max_examples=80, deadline=None)
@given(
    st.lists(installment_gaps, min_size=1, max_size=3),
    st.lists(payment_spec, max_size=10),
    st.integers(0, 220),
    st.integers(0, 5),
)
def test_plan_outcomes_batch_agrees_with_scalar(plan_specs, payment_specs, as_of_day, grace) -> None:  # type: ignore[no-untyped-def]
    start = datetime(2026, 1, 1, tzinfo=UTC)
    plans = []
    for key, gaps in enumerate(plan_specs):
        due, installments = START, []
        for number, (gap, amount) in enumerate(gaps, start=1):
            due += timedelta(days=gap)
            installments.append(Installment(number, due, amount))
        plans.append(Plan(key, start + timedelta(hours=key * 7), tuple(installments)))
    payments = [
        Payment((start + timedelta(days=d, hours=h)).astimezone(timezone(timedelta(hours=off))), amount)
        for d, h, amount, off in payment_specs
    ]
    as_of = START + timedelta(days=as_of_day)
    expected = [plan_outcome(p, payments, as_of, grace_days=grace) for p in plans]

    plan_frame = pl.DataFrame(
        {
            "plan_key": [p.key for p in plans],
            "account_key": [1] * len(plans),
            "accepted_at": [p.accepted_at for p in plans],
        }
    )
    installment_frame = pl.DataFrame(
        [(p.key, i.number, i.due_on, i.amount) for p in plans for i in p.installments],
        schema={"plan_key": pl.Int64, "number": pl.Int64, "due_on": pl.Date, "amount": pl.Int64},
        orient="row",
    )
    payment_frame = pl.DataFrame(
        {
            "account_key": [1] * len(payments),
            "at": [p.at.astimezone(UTC) for p in payments],
            "local_date": [p.local_date for p in payments],
            "amount": [p.amount for p in payments],
        },
        schema={
            "account_key": pl.Int64,
            "at": pl.Datetime("us", "UTC"),
            "local_date": pl.Date,
            "amount": pl.Int64,
        },
    )
    plan_rows, installment_rows = plan_outcomes_batch(
        plan_frame, installment_frame, payment_frame, as_of, grace_days=grace
    )
    assert plan_rows.sort("plan_key").rows() == [(o.key, o.status, o.paid) for o in expected]
    assert installment_rows.sort("plan_key", "number").rows() == [
        (o.key, i.number, i.status, i.paid) for o in expected for i in o.installments
    ]


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(1, 20_000), st.integers(0, 40), st.integers(0, 30)), min_size=1, max_size=4
    ),
    st.lists(st.tuples(st.integers(0, 3), st.integers(0, 80), st.integers(1, 9_000)), max_size=10),
    st.integers(0, 90),
    st.integers(0, 5),
)
def test_settlement_outcomes_batch_agrees_with_scalar(specs, payment_specs, as_of_day, grace) -> None:  # type: ignore[no-untyped-def]
    start = datetime(2026, 1, 1, tzinfo=UTC)
    settlements = [
        (
            account,
            Settlement(
                account + 100, start + timedelta(days=made), amount, START + timedelta(days=made + wait)
            ),
        )
        for account, (amount, made, wait) in enumerate(specs)
    ]
    payments = [
        (account, Payment(start + timedelta(days=d, hours=5), amount)) for account, d, amount in payment_specs
    ]
    as_of = START + timedelta(days=as_of_day)
    expected = [
        settlement_outcome(s, [p for a, p in payments if a == account], as_of, grace_days=grace)
        for account, s in settlements
    ]
    frame = pl.DataFrame(
        {
            "settlement_key": [s.key for _, s in settlements],
            "account_key": [a for a, _ in settlements],
            "accepted_at": [s.accepted_at for _, s in settlements],
            "amount": [s.amount for _, s in settlements],
            "due_on": [s.due_on for _, s in settlements],
        }
    )
    payment_frame = pl.DataFrame(
        {
            "account_key": [a for a, _ in payments],
            "at": [p.at for _, p in payments],
            "local_date": [p.local_date for _, p in payments],
            "amount": [p.amount for _, p in payments],
        },
        schema={
            "account_key": pl.Int64,
            "at": pl.Datetime("us", "UTC"),
            "local_date": pl.Date,
            "amount": pl.Int64,
        },
    )
    batch = settlement_outcomes_batch(frame, payment_frame, as_of, grace_days=grace).sort("settlement_key")
    assert batch.rows() == [(o.key, o.status, o.paid) for o in expected]
