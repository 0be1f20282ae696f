from __future__ import annotations

from datetime import UTC, date, datetime

import polars as pl

from recoup.core.schema import ACCOUNT_SCHEMA, ACCOUNT_STATE_SCHEMA, EVENT_SCHEMA, conform
from recoup.core.scoring.targets import ability_labels, features_at, willingness_labels


def at(month: int, day: int, hour: int = 2) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=UTC)


def events(rows: list[tuple[int, datetime, str, dict[str, object]]]) -> pl.DataFrame:
    frame = pl.DataFrame(
        [
            {
                "event_id": f"e{i}",
                "account_id": f"a{key}",
                "account_key": key,
                "at": when,
                "type": kind,
                "utc_offset_minutes": 480,
                **extra,
            }
            for i, (key, when, kind, extra) in enumerate(rows)
        ]
    )
    return conform(frame, {**EVENT_SCHEMA, "account_key": pl.Int64()})


RPC = {"channel": "call", "direction": "outbound", "outcome": "conversation"}


def test_a_conversation_is_labelled_by_a_payment_within_thirty_days() -> None:
    history = events(
        [
            (1, at(1, 5), "contact", RPC),
            (1, at(1, 20), "payment", {"amount": 100}),  # 15 days later: paid
            (2, at(1, 5), "contact", RPC),
            (2, at(2, 10), "payment", {"amount": 100}),  # 36 days later: not within 30
            (
                3,
                at(1, 5),
                "contact",
                {"channel": "call", "outcome": "no_answer"},
            ),  # not a right-party contact
            (4, at(1, 6), "contact", {"channel": "call", "direction": "inbound", "outcome": "conversation"}),
            (5, at(3, 20), "contact", RPC),  # window still open at the cutoff
            (5, at(3, 21), "payment", {"amount": 100}),
        ]
    )
    labels = willingness_labels(history, date(2026, 3, 31))
    assert labels.select("account_key", "label").rows() == [(1, 1), (2, 0), (4, 0)]
    assert labels.filter(pl.col("account_key") == 1)["as_of"].item() == date(2026, 1, 4)


def test_payments_after_the_cutoff_are_never_seen() -> None:
    history = events([(1, at(1, 5), "contact", RPC), (1, at(2, 1), "payment", {"amount": 100})])
    assert willingness_labels(history, date(2026, 2, 10))["label"].to_list() == [1]
    assert willingness_labels(history, date(2026, 1, 31)).is_empty()  # the window ends after the cutoff


def test_promises_are_labelled_kept_or_broken_once_due() -> None:
    history = events(
        [
            (1, at(1, 5), "promise", {"amount": 100, "promise_due_on": date(2026, 1, 10)}),
            (1, at(1, 9), "payment", {"amount": 100}),
            (2, at(1, 5), "promise", {"amount": 100, "promise_due_on": date(2026, 1, 10)}),
            (2, at(1, 9), "payment", {"amount": 40}),
            (3, at(3, 25), "promise", {"amount": 100, "promise_due_on": date(2026, 4, 5)}),  # still open
        ]
    )
    labels = ability_labels(history, date(2026, 3, 31))
    assert labels.select("account_key", "label").rows() == [(1, 1), (2, 0)]


def test_features_at_take_each_row_on_its_own_date() -> None:
    accounts = conform(
        pl.DataFrame(
            {
                "account_id": ["a1"],
                "principal": [1000],
                "interest": [0],
                "fees": [0],
                "due_on": [date(2025, 12, 1)],
            }
        ),
        {**ACCOUNT_SCHEMA, **ACCOUNT_STATE_SCHEMA},
    ).with_columns(account_key=pl.lit(1, dtype=pl.Int64))
    history = events([(1, at(1, 9), "payment", {"amount": 300}), (1, at(2, 9), "payment", {"amount": 200})])
    points = pl.DataFrame(
        {"account_key": [1, 1, 1], "as_of": [date(2026, 2, 20), date(2026, 1, 1), date(2026, 1, 15)]}
    )
    features = features_at(accounts, history, points)
    assert features["as_of"].to_list() == points["as_of"].to_list()
    assert features["balance"].to_list() == [500, 1000, 700]
    assert features["payments_count"].to_list() == [2, 0, 1]
