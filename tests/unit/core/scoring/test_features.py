from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import polars as pl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from recoup.core.accounts import STATE_COLUMNS, apply_events_batch
from recoup.core.schema import ACCOUNT_SCHEMA, ACCOUNT_STATE_SCHEMA, CHANNELS, EVENT_SCHEMA, OUTCOMES, conform
from recoup.core.scoring.features import FEATURE_SCHEMA, build_features
from recoup.core.scoring.targets import features_at, state_at

AS_OF = date(2026, 3, 25)


def accounts(collected: tuple[int, int] = (0, 0)) -> pl.DataFrame:
    frame = pl.DataFrame(
        {
            "account_id": ["a", "b"],
            "debtor_type": ["individual", "sme"],
            "product": ["credit_card", "sme_loan"],
            "currency": ["CNY", "CNY"],
            "principal": [100_000, 50_000],
            "interest": [1_000, 0],
            "fees": [500, 0],
            "original_amount": [200_000, None],
            "due_on": [date(2026, 1, 1), date(2026, 2, 1)],
            "income_monthly": [800_000, None],
            "employment_status": ["employed", None],
            "age": [30, None],
            "attributes": [None, '{"industry": "retail", "员工人数": "12"}'],
            "placed_on": [date(2026, 2, 1), date(2026, 2, 1)],
            "collected": list(collected),
            "credit": [0, 0],
        }
    )
    return conform(frame, {**ACCOUNT_SCHEMA, **ACCOUNT_STATE_SCHEMA}).with_columns(
        account_key=pl.Series([1, 2], dtype=pl.Int64)
    )


def at(day: int, hour: int = 3) -> datetime:
    return datetime(2026, 3, day, hour, tzinfo=UTC)


def events(rows: list[dict[str, object]]) -> pl.DataFrame:
    frame = pl.DataFrame(
        [
            {"event_id": f"e{i}", "account_id": "a", "utc_offset_minutes": 480, **row}
            for i, row in enumerate(rows)
        ]
    )
    return conform(frame, EVENT_SCHEMA).with_columns(account_key=pl.lit(1, dtype=pl.Int64))


HISTORY = [
    {"at": at(1), "type": "contact", "channel": "call", "direction": "outbound", "outcome": "conversation"},
    {"at": at(1, 4), "type": "contact", "channel": "sms", "direction": "outbound", "outcome": "delivered"},
    {"at": at(2), "type": "promise", "amount": 10_000, "promise_due_on": date(2026, 3, 10)},
    {"at": at(5), "type": "payment", "amount": 5_000},
    {"at": at(6), "type": "contact", "channel": "im", "direction": "inbound", "outcome": "replied"},
    {"at": at(20), "type": "payment", "amount": 5_000},
    {"at": at(22), "type": "dispute"},
    # after the as-of date: must change nothing
    {"at": at(26), "type": "payment", "amount": 10_000},
    {"at": at(27), "type": "complaint"},
    # 20:00 UTC on the 24th is the 25th in Beijing: counts
    {
        "at": datetime(2026, 3, 24, 20, tzinfo=UTC),
        "type": "contact",
        "channel": "call",
        "outcome": "no_answer",
    },
]


def test_features_follow_the_history_up_to_the_date() -> None:
    history = events(HISTORY)
    features = build_features(state_at(accounts(), history, AS_OF), history, AS_OF)
    assert features.schema == pl.Schema(FEATURE_SCHEMA)
    a, b = features.row(0, named=True), features.row(1, named=True)
    assert a["balance"] == 101_500 - 10_000 and a["placed_balance"] == 101_500
    assert a["interest_fees_share"] == 0.0  # the waterfall paid fees and interest first
    assert a["payments_count"] == 2 and a["payments_amount"] == 10_000
    assert a["days_since_last_payment"] == 5
    assert a["paid_share"] == 10_000 / 101_500
    assert a["dpd"] == 83 and a["bucket"] == "M3"
    assert a["debt_to_income"] == 91_500 / (12 * 800_000)
    assert a["balance_to_original"] == 91_500 / 200_000
    assert a["call_attempts"] == 2 and a["call_rpc_rate"] == 0.5
    assert a["sms_delivery_rate"] == 1.0 and a["sms_reply_rate"] == 0.0
    assert a["contacts_inbound"] == 1 and a["rpc_count"] == 1
    assert a["days_since_last_contact"] == 0 and a["days_since_last_rpc"] == 24
    assert (a["promises_made"], a["promises_kept"], a["promises_broken"]) == (1, 0, 1)
    assert a["broken_promises_60d"] == 1 and a["promise_kept_rate"] == 0.0
    assert a["disputes_count"] == 1 and a["dispute_open"] is True
    assert a["complaints_count"] == 0
    assert a["age_band"] == "25-34" and a["days_since_placement"] == 52
    assert b["industry"] == "retail" and b["employees"] == 12.0
    assert b["payments_count"] == 0 and b["days_since_last_payment"] is None
    assert b["call_rpc_rate"] is None and b["employment_status"] == "unknown"


day_offsets = st.integers(-40, 40)
random_event = st.fixed_dictionaries(
    {
        "day": day_offsets,
        "hour": st.integers(0, 23),
        "offset": st.sampled_from([480, 0, -300, None]),
        "type": st.sampled_from(
            ["payment", "contact", "promise", "dispute", "dispute_resolved", "complaint"]
        ),
        "channel": st.sampled_from(CHANNELS),
        "direction": st.sampled_from(["outbound", "inbound"]),
        "outcome": st.sampled_from(OUTCOMES),
        "amount": st.integers(1, 50_000),
        "due_in": st.integers(0, 20),
        "account": st.sampled_from([1, 2]),
    }
)


def random_events(draws: list[dict[str, object]]) -> pl.DataFrame:
    rows = []
    for i, e in enumerate(draws):
        when = datetime(2026, 3, 25, tzinfo=UTC) + timedelta(days=int(e["day"]), hours=int(e["hour"]))
        rows.append(
            {
                "event_id": f"r{i}",
                "account_id": "a" if e["account"] == 1 else "b",
                "at": when,
                "utc_offset_minutes": e["offset"],
                "type": e["type"],
                "channel": e["channel"] if e["type"] == "contact" else None,
                "direction": e["direction"] if e["type"] == "contact" else None,
                "outcome": e["outcome"] if e["type"] == "contact" else None,
                "amount": e["amount"] if e["type"] in ("payment", "promise") else None,
                "promise_due_on": when.date() + timedelta(days=int(e["due_in"]))
                if e["type"] == "promise"
                else None,
                "account_key": e["account"],
            }
        )
    frame = pl.DataFrame(rows, schema_overrides={"utc_offset_minutes": pl.Int32, "account_key": pl.Int64})
    return conform(frame, {**EVENT_SCHEMA, "account_key": pl.Int64()})


@given(st.lists(random_event, max_size=40))
@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_features_at_a_date_ignore_every_event_after_it(draws: list[dict[str, object]]) -> None:
    everything = random_events(draws)
    local_day = (pl.col("at") + pl.duration(minutes=pl.col("utc_offset_minutes").fill_null(0))).dt.date()
    known_then = everything.filter(local_day <= AS_OF)
    assert_frame_equal(
        build_features(accounts(), everything, AS_OF), build_features(accounts(), known_then, AS_OF)
    )


def test_history_from_the_placement_gives_what_todays_state_gives() -> None:
    history = events(HISTORY[:7])
    placed = accounts()
    states = placed.select(
        "account_key",
        "fees",
        "interest",
        "principal",
        "credit",
        "collected",
        status=pl.lit("active"),
        flags=pl.lit(""),
        opted_out=pl.lit(""),
    ).select(STATE_COLUMNS)
    changed = apply_events_batch(states, history)
    today = placed.update(
        changed.select("account_key", "fees", "interest", "principal", "credit", "collected"),
        on="account_key",
    )
    assert today.row(0, named=True)["collected"] == 10_000
    day = date(2026, 3, 23)
    from_today = build_features(today, history, day)
    from_placement = features_at(placed, history, pl.DataFrame({"account_key": [1, 2], "as_of": [day, day]}))
    assert_frame_equal(from_placement.drop("as_of"), from_today)


def test_a_window_of_recent_events_gives_the_same_balances() -> None:
    history = events(HISTORY[:7])
    today = state_at(accounts(), history, AS_OF)
    recent = history.filter(pl.col("at") >= datetime(2026, 3, 10, tzinfo=UTC))
    full, windowed = build_features(today, history, AS_OF), build_features(today, recent, AS_OF)
    for column in ("balance", "placed_balance", "paid_share", "debt_to_income", "dpd"):
        assert full[column].to_list() == windowed[column].to_list(), column


def test_an_empty_history_gives_zero_counts_and_unknown_rates() -> None:
    features = build_features(accounts(), events([]).clear(), AS_OF)
    row = features.row(0, named=True)
    assert row["payments_count"] == 0 and row["rpc_count"] == 0 and row["promises_made"] == 0
    assert row["call_rpc_rate"] is None and row["promise_kept_rate"] is None
    assert row["balance"] == 101_500 and row["dispute_open"] is False
