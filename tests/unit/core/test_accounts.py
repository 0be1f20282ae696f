from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from recoup.core.accounts import (
    AccountState,
    Event,
    apply_events,
    apply_events_batch,
    bucket_expr,
    bucket_of,
    days_past_due,
    join_set,
)

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("dpd", "bucket"),
    [(0, "M0"), (1, "M1"), (30, "M1"), (31, "M2"), (90, "M3"), (150, "M5"), (151, "M6+"), (900, "M6+")],
)
def test_buckets(dpd: int, bucket: str) -> None:
    assert bucket_of(dpd) == bucket
    assert pl.select(bucket_expr(pl.lit(dpd))).item() == bucket


def test_days_past_due_never_negative() -> None:
    assert days_past_due(date(2026, 3, 1), date(2026, 3, 11)) == 10
    assert days_past_due(date(2026, 3, 20), date(2026, 3, 11)) == 0


def test_payment_follows_waterfall_and_overpayment_becomes_credit() -> None:
    state = AccountState(fees=10, interest=20, principal=100)
    after = apply_events(state, [Event("p1", T0, "payment", amount=200)])
    assert (after.fees, after.interest, after.principal, after.credit) == (0, 0, 0, 70)
    assert after.collected == 200
    assert after.status == "paid"


def test_charge_is_netted_against_credit_whatever_the_order() -> None:
    state = AccountState(fees=0, interest=0, principal=50)
    pay = Event("p", T0, "payment", amount=100)
    charge = Event("c", T0 + timedelta(hours=1), "adjustment", amount=30)
    assert apply_events(state, [pay, charge]) == apply_events(state, [charge, pay])
    assert apply_events(state, [pay, charge]).credit == 20


def test_dispute_then_resolution_by_time_not_arrival() -> None:
    state = AccountState(fees=0, interest=0, principal=50)
    opened = Event("d1", T0, "dispute")
    resolved = Event("d2", T0 + timedelta(hours=2), "dispute_resolved")
    assert "dispute" not in apply_events(state, [resolved, opened]).flags
    assert "dispute" in apply_events(state, [Event("d3", T0 + timedelta(hours=3), "dispute"), resolved]).flags


def test_holds_opt_outs_and_recall() -> None:
    state = AccountState(fees=0, interest=0, principal=50)
    after = apply_events(
        state,
        [Event("a", T0, "cease"), Event("b", T0, "opt_out", channel="sms"), Event("c", T0, "recall")],
    )
    assert after.flags == frozenset({"cease"})
    assert after.opted_out == frozenset({"sms"})
    assert after.status == "recalled"
    assert after.on_hold


def test_naive_event_time_is_refused() -> None:
    with pytest.raises(ValueError, match="zone"):
        Event("x", datetime(2026, 3, 2, 9), "payment", amount=1)


EVENT_TYPES = [
    "payment",
    "adjustment",
    "dispute",
    "dispute_resolved",
    "opt_out",
    "opt_in",
    "cease",
    "complaint",
    "recall",
    "contact",
]


@st.composite
def event_lists(draw: st.DrawFn) -> list[Event]:
    n = draw(st.integers(min_value=0, max_value=12))
    events = []
    for i in range(n):
        kind = draw(st.sampled_from(EVENT_TYPES))
        amount = None
        if kind == "payment":
            amount = draw(st.integers(min_value=1, max_value=50_000))
        elif kind == "adjustment":
            amount = draw(st.integers(min_value=-20_000, max_value=20_000).filter(lambda a: a != 0))
        channel = draw(st.sampled_from(["sms", "email", "call"])) if kind in ("opt_out", "opt_in") else None
        minute = draw(st.integers(min_value=0, max_value=24 * 60 - 1))
        events.append(
            Event(f"e{i:02d}", T0 + timedelta(minutes=minute), kind, amount=amount, channel=channel)
        )
    return events


states = st.builds(
    AccountState,
    fees=st.integers(0, 10_000),
    interest=st.integers(0, 10_000),
    principal=st.integers(0, 100_000),
    credit=st.just(0),
    collected=st.integers(0, 1000),
    status=st.sampled_from(["active", "paid"]),
    flags=st.sets(st.sampled_from(["dispute", "vulnerable", "complaint"])).map(frozenset),
    opted_out=st.sets(st.sampled_from(["sms", "email"])).map(frozenset),
)


@given(states, event_lists(), st.randoms())
def test_order_of_arrival_within_a_day_never_changes_the_state(
    state: AccountState, events: list[Event], rnd
) -> None:  # type: ignore[no-untyped-def]
    shuffled = list(events)
    rnd.shuffle(shuffled)
    assert apply_events(state, events) == apply_events(state, shuffled)


@given(states, event_lists())
def test_money_is_conserved(state: AccountState, events: list[Event]) -> None:
    after = apply_events(state, events)
    paid = sum(e.amount or 0 for e in events if e.type == "payment")
    charged = sum(e.amount or 0 for e in events if e.type == "adjustment" and (e.amount or 0) > 0)
    written = -sum(e.amount or 0 for e in events if e.type == "adjustment" and (e.amount or 0) < 0)
    before_net = state.balance - state.credit
    assert after.balance - after.credit == before_net + charged - paid - written
    assert min(after.fees, after.interest, after.principal, after.credit) >= 0
    assert after.balance == 0 or after.credit == 0


def _frame(states_: list[AccountState]) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "account_key": list(range(1, len(states_) + 1)),
            "fees": [s.fees for s in states_],
            "interest": [s.interest for s in states_],
            "principal": [s.principal for s in states_],
            "credit": [s.credit for s in states_],
            "collected": [s.collected for s in states_],
            "status": [s.status for s in states_],
            "flags": [join_set(s.flags) for s in states_],
            "opted_out": [join_set(s.opted_out) for s in states_],
        }
    )


def _events_frame(per_account: list[list[Event]]) -> pl.DataFrame:
    rows = [
        {
            "account_key": key,
            "event_id": f"{key}-{e.event_id}",
            "at": e.at,
            "type": e.type,
            "amount": e.amount,
            "channel": e.channel,
        }
        for key, events in enumerate(per_account, start=1)
        for e in events
    ]
    schema = {
        "account_key": pl.Int64,
        "event_id": pl.String,
        "at": pl.Datetime("us", "UTC"),
        "type": pl.String,
        "amount": pl.Int64,
        "channel": pl.String,
    }
    return pl.DataFrame(rows, schema=schema)


@settings(max_examples=60)
@given(st.lists(st.tuples(states, event_lists()), min_size=1, max_size=8))
def test_batch_path_agrees_with_scalar_path(cases: list[tuple[AccountState, list[Event]]]) -> None:
    batch = apply_events_batch(_frame([s for s, _ in cases]), _events_frame([e for _, e in cases]))
    by_key = {row["account_key"]: row for row in batch.iter_rows(named=True)}
    for key, (state, events) in enumerate(cases, start=1):
        expected = apply_events(
            state, [Event(f"{key}-{e.event_id}", e.at, e.type, e.amount, e.channel) for e in events]
        )
        if not events:
            assert key not in by_key
            continue
        row = by_key[key]
        assert (row["fees"], row["interest"], row["principal"], row["credit"]) == (
            expected.fees,
            expected.interest,
            expected.principal,
            expected.credit,
        )
        assert row["collected"] == expected.collected
        assert row["status"] == expected.status
        assert row["flags"] == join_set(expected.flags)
        assert row["opted_out"] == join_set(expected.opted_out)
