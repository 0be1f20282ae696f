from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from recoup.core.promises import Payment, Promise, promise_outcome, promise_outcomes_batch

MADE = datetime(2026, 3, 1, 10, 0, tzinfo=UTC)
CN = timezone(timedelta(hours=8))
US = timezone(timedelta(hours=-5))


def _promise(amount: int = 10_000, due: date = date(2026, 3, 10)) -> Promise:
    return Promise("p1", MADE, amount, due)


def test_partial_payments_add_up_to_keep_a_promise() -> None:
    payments = [
        Payment(datetime(2026, 3, 5, 12, tzinfo=CN), 4_000),
        Payment(datetime(2026, 3, 9, 12, tzinfo=CN), 6_000),
    ]
    outcome = promise_outcome(_promise(), payments, date(2026, 3, 9))
    assert (outcome.status, outcome.paid) == ("kept", 10_000)


def test_open_during_grace_and_broken_after() -> None:
    payments = [Payment(datetime(2026, 3, 5, 12, tzinfo=CN), 4_000)]
    assert promise_outcome(_promise(), payments, date(2026, 3, 13), grace_days=3).status == "open"
    broken = promise_outcome(_promise(), payments, date(2026, 3, 14), grace_days=3)
    assert (broken.status, broken.paid) == ("broken", 4_000)


def test_payment_on_last_local_day_counts_even_when_utc_says_next_day() -> None:
    late_evening = datetime(2026, 3, 13, 21, 30, tzinfo=US)  # 02:30 UTC on the 14th
    outcome = promise_outcome(_promise(), [Payment(late_evening, 10_000)], date(2026, 3, 20), grace_days=3)
    assert outcome.status == "kept"


def test_payment_before_the_promise_does_not_count() -> None:
    before = Payment(MADE - timedelta(hours=1), 10_000)
    assert promise_outcome(_promise(), [before], date(2026, 3, 20)).status == "broken"


def test_newer_promise_replaces_an_open_one() -> None:
    newer = datetime(2026, 3, 4, 9, tzinfo=UTC)
    outcome = promise_outcome(_promise(), [], date(2026, 3, 5), next_promise_at=newer)
    assert outcome.status == "replaced"


day = st.integers(min_value=0, max_value=40)


@settings(max_examples=80)
@given(
    st.lists(st.tuples(day, st.integers(1, 20_000), st.integers(0, 15)), min_size=1, max_size=4),
    st.lists(
        st.tuples(day, st.integers(0, 23), st.integers(1, 8_000), st.sampled_from([-5, 0, 8])), max_size=8
    ),
    day,
    st.integers(0, 5),
)
def test_batch_agrees_with_scalar(promises_spec, payments_spec, as_of_day, grace) -> None:  # type: ignore[no-untyped-def]
    start = datetime(2026, 1, 1, tzinfo=UTC)
    promises = [
        Promise(
            f"p{i}", start + timedelta(days=d, hours=i), amount, (start + timedelta(days=d + wait)).date()
        )
        for i, (d, amount, wait) in enumerate(promises_spec)
    ]
    payments = [
        Payment((start + timedelta(days=d, hours=h)).astimezone(timezone(timedelta(hours=off))), amount)
        for d, h, amount, off in payments_spec
    ]
    as_of = (start + timedelta(days=as_of_day)).date()
    ordered = sorted(promises, key=lambda p: (p.made_at, p.event_id))
    expected = {}
    for i, p in enumerate(ordered):
        nxt = ordered[i + 1].made_at if i + 1 < len(ordered) else None
        expected[p.event_id] = promise_outcome(p, payments, as_of, next_promise_at=nxt, grace_days=grace)

    promise_frame = pl.DataFrame(
        {
            "account_key": [1] * len(promises),
            "event_id": [p.event_id for p in promises],
            "made_at": [p.made_at for p in promises],
            "amount": [p.amount for p in promises],
            "due_on": [p.due_on for p in promises],
        },
        schema={
            "account_key": pl.Int64,
            "event_id": pl.String,
            "made_at": pl.Datetime("us", "UTC"),
            "amount": pl.Int64,
            "due_on": pl.Date,
        },
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
    batch = promise_outcomes_batch(promise_frame, payment_frame, as_of, grace_days=grace)
    got = {row["event_id"]: (row["status"], row["paid"]) for row in batch.iter_rows(named=True)}
    assert got == {k: (v.status, v.paid) for k, v in expected.items()}
