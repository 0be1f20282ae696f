"""Training labels learned from a portfolio's own history, and the features as they stood before each one.

Willingness: for every right-party contact (outcome ``conversation``, either direction) whose 30-day
window ends by the cutoff, label 1 when a payment followed within 30 days. Ability: for every promise
to pay that had fallen due (with its grace days) by the cutoff, label 1 when it was kept and 0 when it
was broken (replaced promises are left out). A debtor who promises wants to pay, so whether the
promise held says more about what they can carry than about their intent. Each label's features are
taken as of the day before the contact or promise, so nothing that happened on or after it leaks in.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Final

import polars as pl

from recoup.core.accounts import STATE_COLUMNS, apply_events_batch
from recoup.core.promises import DEFAULT_GRACE_DAYS, promise_outcomes_batch
from recoup.core.scoring.features import build_features, events_until

WILLINGNESS_HORIZON_DAYS: Final = 30
LABEL_SCHEMA: Final[dict[str, pl.DataType]] = {
    "account_key": pl.Int64(),
    "event_id": pl.String(),
    "at": pl.Datetime("us", "UTC"),
    "as_of": pl.Date(),
    "label": pl.Int64(),
}


def willingness_labels(
    events: pl.DataFrame, cutoff: date, horizon_days: int = WILLINGNESS_HORIZON_DAYS
) -> pl.DataFrame:
    """LABEL_SCHEMA: one row per right-party contact whose ``horizon_days`` window ends by ``cutoff``."""
    history = events_until(events, cutoff)
    contacts = (
        history.filter(
            (pl.col("type") == "contact")
            & (pl.col("outcome") == "conversation")
            & (pl.col("local_date") <= cutoff - timedelta(days=horizon_days))
        )
        .select("account_key", "event_id", "at", as_of=pl.col("local_date") - pl.duration(days=1))
        .sort("at")
    )
    payments = history.filter(pl.col("type") == "payment").select("account_key", paid_at="at").sort("paid_at")
    labelled = contacts.join_asof(
        payments,
        left_on="at",
        right_on="paid_at",
        by="account_key",
        strategy="forward",
        allow_exact_matches=False,
        check_sortedness=False,  # both sides are sorted by time above, so by time within each account too
    )
    within = pl.col("paid_at").is_not_null() & (
        pl.col("paid_at") <= pl.col("at") + pl.duration(days=horizon_days)
    )
    return (
        labelled.with_columns(label=within.cast(pl.Int64))
        .select(list(LABEL_SCHEMA))
        .sort("account_key", "at", "event_id")
    )


def ability_labels(events: pl.DataFrame, cutoff: date, grace_days: int = DEFAULT_GRACE_DAYS) -> pl.DataFrame:
    """LABEL_SCHEMA: one row per promise kept (1) or broken (0) by ``cutoff``."""
    history = events_until(events, cutoff)
    promises = history.filter((pl.col("type") == "promise") & pl.col("promise_due_on").is_not_null()).select(
        "account_key",
        "event_id",
        "local_date",
        made_at="at",
        amount=pl.col("amount").fill_null(1),
        due_on="promise_due_on",
    )
    payments = history.filter(pl.col("type") == "payment").select(
        "account_key", "at", "local_date", amount=pl.col("amount").fill_null(0)
    )
    outcomes = promise_outcomes_batch(promises.drop("local_date"), payments, cutoff, grace_days=grace_days)
    return (
        promises.join(outcomes, on="event_id")
        .filter(pl.col("status").is_in(["kept", "broken"]))
        .select(
            "account_key",
            "event_id",
            at="made_at",
            as_of=pl.col("local_date") - pl.duration(days=1),
            label=(pl.col("status") == "kept").cast(pl.Int64),
        )
        .sort("account_key", "at", "event_id")
    )


def state_at(placed: pl.DataFrame, events: pl.DataFrame, as_of: date) -> pl.DataFrame:
    """The accounts as they stood at the end of ``as_of``: the placement with every event up to then
    applied by the account engine (payments down the waterfall, credit, collected, flags)."""
    base = placed.with_columns(
        [
            pl.lit(0, dtype=pl.Int64).alias(name)
            for name in ("credit", "collected")
            if name not in placed.columns
        ]
    )
    defaults = {"status": "active", "flags": "", "opted_out": ""}
    states = base.select(
        "account_key",
        *(
            pl.col(name).fill_null(0).cast(pl.Int64)
            for name in ("fees", "interest", "principal", "credit", "collected")
        ),
        *((pl.col(n) if n in base.columns else pl.lit(v)).fill_null(v).alias(n) for n, v in defaults.items()),
    ).select(STATE_COLUMNS)
    keys = states.get_column("account_key").implode()
    history = events_until(events.filter(pl.col("account_key").is_in(keys)), as_of).drop("local_date")
    changed = apply_events_batch(states, history)
    if changed.is_empty():
        return base
    return base.update(
        changed.select([name for name in STATE_COLUMNS if name in base.columns]), on="account_key"
    )


def features_at(placed: pl.DataFrame, events: pl.DataFrame, points: pl.DataFrame) -> pl.DataFrame:
    """Features for every (account_key, as_of) in ``points``, row for row, each as of its own date.

    ``placed`` is the accounts as placed (before any of ``events``); each date's features see the state
    that date had (`state_at`). One `build_features` call per distinct date (a loop over days, not rows);
    the result keeps the columns of ``points`` and adds the features.
    """
    pieces = []
    for (day,), group in points.with_row_index("_order").group_by("as_of"):
        keys = group.get_column("account_key").unique().implode()
        accounts = state_at(placed.filter(pl.col("account_key").is_in(keys)), events, day)
        snapshot = build_features(accounts, events.filter(pl.col("account_key").is_in(keys)), day)
        pieces.append(group.join(snapshot, on="account_key", how="left"))
    if not pieces:
        return points.clear()
    return pl.concat(pieces).sort("_order").drop("_order")
