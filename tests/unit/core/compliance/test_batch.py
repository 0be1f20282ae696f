"""The batch evaluator: frames in, decisions out, the same answers as the scalar evaluator."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any

import polars as pl
import pytest

from recoup.core.compliance import (
    DECISION_SCHEMA,
    evaluate,
    evaluate_batch,
    frames_from_attempts,
    load_rulebooks,
    parse_attempt,
)
from recoup.core.errors import ValidationError

BASE: dict[str, Any] = {
    "id": "a",
    "jurisdiction": "US",
    "channel": "call",
    "at": "2026-03-02T20:30:00-05:00",
    "recipient": "debtor",
    "account": {
        "account_id": "X1",
        "debtor_id": "D1",
        "timezones": ["America/New_York"],
        "phone": "+12125550100",
        "validation_notice_sent_at": "2026-02-20T10:00:00-05:00",
    },
    "history": [],
}


def variant(**changes: Any) -> dict[str, Any]:
    obj = copy.deepcopy(BASE)
    for key, value in changes.items():
        if key.startswith("account_"):
            obj["account"][key.removeprefix("account_")] = value
        else:
            obj[key] = value
    return obj


def no_answer(*times: str, **extra: Any) -> list[dict[str, Any]]:
    return [{"channel": "call", "at": t, "outcome": "no_answer", **extra} for t in times]


CASES = [
    variant(),
    variant(at="2026-03-02T21:00:00-05:00"),
    variant(at="2026-03-02T21:00:01-05:00"),
    variant(account_flags=["cease"]),
    variant(
        history=no_answer(
            *[f"2026-02-{d}T10:00:00-05:00" for d in range(23, 29)], "2026-03-01T10:00:00-05:00"
        )
    ),
    variant(history=[{"channel": "call", "at": "2026-03-01T10:00:00-05:00", "outcome": "conversation"}]),
    variant(
        jurisdiction="CN",
        at="2026-03-02T23:30:00+08:00",
        account_timezones=[],
        account_phone="+8613800138000",
    ),
    variant(
        jurisdiction="CN",
        recipient="family",
        account_timezones=[],
        account_phone="+8613800138000",
        history=no_answer("2026-03-01T10:00:00+08:00"),
    ),
    variant(account_timezones=[], account_phone=None),
    variant(channel="sms"),
    variant(account_agreed_windows=["06:00-07:00"], at="2026-03-02T10:00:00-05:00"),
    variant(account_inconvenient_windows=["09:00-12:00"], at="2026-03-02T10:00:00-05:00"),
    variant(jurisdiction="UK", account_timezones=["Europe/London"], account_flags=["breathing_space"]),
    variant(
        jurisdiction="US-NY",
        at="2026-03-02T12:00:00-05:00",
        history=no_answer("2026-03-02T10:00:00-05:00", "2026-03-02T11:00:00-05:00"),
    ),
    variant(
        recipient="family",
        destination={"phone": "+12125550199"},
        history=no_answer("2026-02-01T10:00:00-05:00", recipient="family", phone="+12125550199"),
    ),
    variant(
        jurisdiction="US-TX",
        account_timezones=["America/Chicago", "America/Denver"],
        at="2026-03-08T08:30:00-05:00",
    ),
]


def decide_both(
    objects: list[dict[str, Any]], **frame_changes: Any
) -> list[tuple[tuple[Any, ...], tuple[Any, ...]]]:
    books = load_rulebooks()
    parsed = [parse_attempt(obj) for obj in objects]
    attempts, history = frames_from_attempts(parsed)
    decided = evaluate_batch(attempts, history, books)
    pairs = []
    for attempt, row in zip(parsed, decided.iter_rows(named=True), strict=True):
        d = evaluate(attempt, books)
        scalar = (
            d.allowed,
            ";".join(f.rule for f in d.violations),
            ";".join(f.rule for f in d.warnings),
            d.next_allowed_at,
        )
        pairs.append(((row["allowed"], row["violations"], row["warnings"], row["next_allowed_at"]), scalar))
    return pairs


def test_hand_picked_cases_agree_with_the_scalar_evaluator() -> None:
    for batch, scalar in decide_both(CASES):
        assert batch == scalar


def test_output_frame_shape_and_order() -> None:
    books = load_rulebooks()
    attempts, history = frames_from_attempts([parse_attempt(obj) for obj in reversed(CASES)])
    decided = evaluate_batch(attempts, history, books)
    assert decided.schema == pl.Schema(DECISION_SCHEMA)
    assert decided["attempt_id"].to_list() == attempts["attempt_id"].to_list()
    row = decided.filter(pl.col("violations") == "US.1006.6.c.cease").row(0, named=True)
    assert row["allowed"] is False and row["next_allowed_at"] is None


def test_integer_debtor_keys_give_the_same_answers_as_ids() -> None:
    books = load_rulebooks()
    attempts, history = frames_from_attempts([parse_attempt(obj) for obj in CASES])
    codes = {debtor: index for index, debtor in enumerate(attempts["debtor_id"].to_list())}
    keyed = evaluate_batch(
        attempts.with_columns(
            pl.col("debtor_id").replace_strict(codes, return_dtype=pl.Int64).alias("debtor_key")
        ),
        history.with_columns(
            pl.col("debtor_id").replace_strict(codes, return_dtype=pl.Int64).alias("debtor_key")
        ),
        books,
    )
    assert keyed.equals(evaluate_batch(attempts, history, books))


def test_a_debtors_other_accounts_share_per_debtor_limits() -> None:
    at = datetime(2026, 3, 2, 7, 0, tzinfo=UTC)  # 15:00 in Shanghai
    attempts = pl.DataFrame(
        {
            "attempt_id": ["x", "y"],
            "account_key": [1, 2],
            "debtor_id": ["d", "d"],
            "jurisdiction": ["CN", "CN"],
            "channel": ["call", "call"],
            "at": [at, at],
            "timezones": ["Asia/Shanghai"] * 2,
        }
    )
    history = pl.DataFrame(
        {
            "account_key": [1, 2, 2],
            "debtor_id": ["d", "d", "d"],
            "channel": ["call"] * 3,
            "at": [datetime(2026, 3, 2, hour, 0, tzinfo=UTC) for hour in (1, 2, 3)],
            "outcome": ["conversation"] * 3,
        }
    )
    decided = evaluate_batch(attempts, history, load_rulebooks())
    assert decided["violations"].to_list() == ["CN.calls.connected", "CN.calls.connected"]


def test_empty_attempts() -> None:
    attempts, history = frames_from_attempts([])
    assert evaluate_batch(attempts, history, load_rulebooks()).is_empty()


def minimal() -> tuple[pl.DataFrame, pl.DataFrame]:
    attempts, history = frames_from_attempts([parse_attempt(obj) for obj in CASES[:2]])
    return attempts, history


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda a, h: (a.drop("at"), h), "at"),
        (lambda a, h: (a.with_columns(pl.lit("pigeon").alias("channel")), h), "channel"),
        (lambda a, h: (a.with_columns(pl.lit("XX").alias("jurisdiction")), h), "jurisdiction"),
        (lambda a, h: (a.with_columns(pl.col("at").dt.replace_time_zone(None)), h), "at"),
        (lambda a, h: (a.with_columns(pl.lit("angry").alias("flags")), h), "flags"),
        (lambda a, h: (a.with_columns(pl.lit("Mars/Olympus").alias("timezones")), h), "timezones"),
        (lambda a, h: (a, h.with_columns(pl.lit("answered").alias("outcome"))), "outcome"),
        (lambda a, h: (a.with_columns(pl.lit("8pm").alias("agreed_windows")), h), "agreed_windows[0]"),
    ],
)
def test_bad_frames_name_the_column(change: Any, field: str) -> None:
    attempts, history = change(*minimal())
    if history.is_empty():
        history = (
            pl.DataFrame(
                {
                    "account_key": [0],
                    "debtor_id": ["0:D1"],
                    "channel": ["call"],
                    "at": [datetime(2026, 3, 1, tzinfo=UTC)],
                    "outcome": ["answered"],
                }
            )
            if field == "outcome"
            else history
        )
    with pytest.raises(ValidationError) as caught:
        evaluate_batch(attempts, history, load_rulebooks())
    assert caught.value.field == field


@pytest.mark.parametrize(
    "phone",
    [
        "+442079460958",
        "+8613800138000",
        "+12125550100",
        "+4930123456",
        "+61212345678",
        "0755 8888 1234",
        "bad",
    ],
)
def test_zones_derived_from_phone_numbers_match_the_scalar_path(phone: str) -> None:
    # 23:30 UTC is inside the hours somewhere and outside elsewhere: the decision depends on the zones.
    obj = variant(
        jurisdiction="UK", at="2026-03-02T23:30:00+00:00", account_timezones=[], account_phone=phone
    )
    for batch, scalar in decide_both([obj]):
        assert batch == scalar


def test_no_history_at_all() -> None:
    for batch, scalar in decide_both(
        [variant(recipient="family"), variant(jurisdiction="CN", recipient="other")]
    ):
        assert batch == scalar
