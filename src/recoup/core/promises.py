"""Promises to pay: open until paid, kept when payments reach the promised amount, broken after the grace.

A promise counts payments made from the moment it was given until the end of its due date plus the grace
days, in the debtor's local calendar (the payment's own offset), and partial payments add up. A newer
promise on the same account replaces an older one that is still open: the debtor renegotiated, and the
older promise is neither kept nor broken.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import polars as pl

DEFAULT_GRACE_DAYS = 3
PROMISE_STATUSES: tuple[str, ...] = ("open", "kept", "broken", "replaced")


@dataclass(frozen=True, slots=True)
class Promise:
    event_id: str
    made_at: datetime
    amount: int
    due_on: date


@dataclass(frozen=True, slots=True)
class Payment:
    at: datetime  # aware; its own offset gives the debtor's local date
    amount: int

    @property
    def local_date(self) -> date:
        return self.at.date()


@dataclass(frozen=True, slots=True)
class PromiseOutcome:
    event_id: str
    status: str
    paid: int


def promise_outcome(
    promise: Promise,
    payments: Sequence[Payment],
    as_of: date,
    *,
    next_promise_at: datetime | None = None,
    grace_days: int = DEFAULT_GRACE_DAYS,
) -> PromiseOutcome:
    """Where ``promise`` stands at the end of ``as_of``, given the account's payments."""
    last_day = promise.due_on + timedelta(days=grace_days)
    paid = sum(
        p.amount
        for p in payments
        if p.at >= promise.made_at
        and p.local_date <= min(last_day, as_of)
        and (next_promise_at is None or p.at < next_promise_at)
    )
    if paid >= promise.amount:
        status = "kept"
    elif next_promise_at is not None and next_promise_at.date() <= as_of:
        status = "replaced"
    elif as_of > last_day:
        status = "broken"
    else:
        status = "open"
    return PromiseOutcome(promise.event_id, status, paid)


def promise_outcomes_batch(
    promises: pl.DataFrame, payments: pl.DataFrame, as_of: date, *, grace_days: int = DEFAULT_GRACE_DAYS
) -> pl.DataFrame:
    """`promise_outcome` for every promise.

    promises: account_key, event_id, made_at (UTC), amount, due_on.
    payments: account_key, at (UTC), local_date, amount.
    Returns event_id, status, paid.
    """
    ordered = promises.sort(["account_key", "made_at", "event_id"]).with_columns(
        next_promise_at=pl.col("made_at").shift(-1).over("account_key"),
        last_day=pl.col("due_on") + pl.duration(days=grace_days),
    )
    window_end = pl.min_horizontal(pl.col("last_day"), pl.lit(as_of))
    in_window = (
        (pl.col("at") >= pl.col("made_at"))
        & (pl.col("local_date") <= window_end)
        & (pl.col("next_promise_at").is_null() | (pl.col("at") < pl.col("next_promise_at")))
    )
    paid = (
        ordered.join(payments.rename({"amount": "paid_amount"}), on="account_key", how="inner")
        .filter(in_window)
        .group_by("event_id")
        .agg(paid=pl.col("paid_amount").sum())
    )
    next_day = pl.col("next_promise_at").dt.date()
    return (
        ordered.join(paid, on="event_id", how="left")
        .with_columns(pl.col("paid").fill_null(0))
        .with_columns(
            status=pl.when(pl.col("paid") >= pl.col("amount"))
            .then(pl.lit("kept"))
            .when(pl.col("next_promise_at").is_not_null() & (next_day <= as_of))
            .then(pl.lit("replaced"))
            .when(pl.lit(as_of) > pl.col("last_day"))
            .then(pl.lit("broken"))
            .otherwise(pl.lit("open"))
        )
        .select("event_id", "status", "paid")
    )
