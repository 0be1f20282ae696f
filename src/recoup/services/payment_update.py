"""The daily run's update step for payment arrangements: expire old plan offers, move plans and their
installments (current, late, kept, broken), settle settlements and write off the rest of a paid one.

Runs inside the update step's transaction, before the day's events are applied (see `update_arrangements`).
The step's `run.update` audit entry covers every plan and settlement resolved that day (expired offers,
kept and broken plans, paid and broken settlements: their final status, payments and resolution), which
never change again.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Final

import polars as pl
from sqlalchemy import Connection

from recoup.adapters.db import audit, payment_queries, portfolio
from recoup.adapters.db.bulk import insert_frame, update_rows
from recoup.adapters.db.engine import Database
from recoup.core.accounts import apply_events_batch
from recoup.core.audit import Cover
from recoup.core.plans import plan_outcomes_batch, settlement_outcomes_batch
from recoup.core.promises import DEFAULT_GRACE_DAYS

PLAN_UPDATE_COLUMNS: Final[dict[str, pl.DataType]] = {
    "status": pl.String(),
    "accepted_at": pl.Datetime("us", "UTC"),
    "paid": pl.Int64(),
    "resolved_on": pl.Date(),
}
SETTLEMENT_UPDATE_COLUMNS: Final[dict[str, pl.DataType]] = {
    "status": pl.String(),
    "paid": pl.Int64(),
    "resolved_on": pl.Date(),
    "write_off_event_id": pl.String(),
}


def update_arrangements(
    connection: Connection,
    db: Database,
    run_date: date,
    pending: pl.DataFrame,
    grace_days: int = DEFAULT_GRACE_DAYS,
) -> tuple[dict[str, int], pl.DataFrame, list[Cover]]:
    """Expire old offers, move plans and their installments, and settle settlements, as of ``run_date``.

    Called by the update step before it applies ``pending`` (the day's events). A settlement paid today
    writes off what is left by an adjustment event, stored here and returned for the step to apply with
    the rest, so the account is settled before anything is decided for it today. Returns the counts,
    those events (shaped like ``pending``) and the covers of the plans and settlements resolved today.
    """
    expired, expired_stats = _expire_offers(connection, db, run_date)
    judged, judged_stats = _judge_plans(connection, db, run_date, grace_days)
    settlements, settled, write_offs = _judge_settlements(connection, db, run_date, grace_days, pending)
    covers = [
        _resolved("plans", pl.concat([expired, judged]), run_date),
        _resolved("settlements", settlements, run_date),
    ]
    return {**expired_stats, **judged_stats, **settled}, write_offs, covers


def _resolved(table: str, rows: pl.DataFrame, run_date: date) -> Cover:
    """The cover of every row of ``table`` resolved on ``run_date``, as ``rows`` (what the day wrote) has
    them: a resolved arrangement never changes again."""
    final = rows.filter(pl.col("resolved_on").is_not_null())
    return audit.matching_cover(table, final, "resolved_on", run_date)


def _typed(rows: pl.DataFrame, columns: dict[str, pl.DataType]) -> pl.DataFrame:
    return rows.select([pl.col(c).cast(t) for c, t in {"key": pl.Int64(), **columns}.items()])


def update_plans(connection: Connection, db: Database, rows: pl.DataFrame) -> None:
    """Every update of plans sets the same columns: on PostgreSQL `update_rows` keeps one staging table
    per table for the session, shaped by the first update's columns."""
    update_rows(connection, db, "plans", _typed(rows, PLAN_UPDATE_COLUMNS), "key")


def _expire_offers(
    connection: Connection, db: Database, run_date: date
) -> tuple[pl.DataFrame, dict[str, int]]:
    expired = payment_queries.expired_offers(db, run_date)
    rows = _typed(
        expired.with_columns(
            status=pl.lit("expired"),
            accepted_at=pl.lit(None, dtype=pl.Datetime("us", "UTC")),
            paid=pl.lit(0),
            resolved_on=pl.lit(run_date),
        ),
        PLAN_UPDATE_COLUMNS,
    )
    update_plans(connection, db, rows)
    return rows, {"plan_offers_expired": expired.height}


def _changed(new: pl.DataFrame, old: pl.DataFrame, on: list[str]) -> pl.DataFrame:
    joined = new.join(old.rename({"status": "old_status", "paid": "old_paid"}), on=on)
    return joined.filter((pl.col("status") != pl.col("old_status")) | (pl.col("paid") != pl.col("old_paid")))


def _judge_plans(
    connection: Connection, db: Database, run_date: date, grace_days: int
) -> tuple[pl.DataFrame, dict[str, int]]:
    plans, installments = payment_queries.plans_to_judge(db)
    if plans.is_empty():
        nothing = pl.DataFrame(schema={"key": pl.Int64(), **PLAN_UPDATE_COLUMNS})
        return nothing, {"plans_kept": 0, "plans_broken": 0, "plans_late": 0, "installments_paid": 0}
    earliest = plans.get_column("accepted_at").min()
    assert isinstance(earliest, datetime)
    payments = portfolio.payments_since(
        db, earliest, "SELECT account_key FROM plans WHERE status IN ('current', 'late')"
    )
    plan_rows, installment_rows = plan_outcomes_batch(
        plans, installments, payments, run_date, grace_days=grace_days
    )
    moved = _changed(plan_rows, plans.select("plan_key", "status", "paid"), ["plan_key"])
    final = pl.col("status").is_in(["kept", "broken"])
    rows = _typed(
        moved.join(plans.select("plan_key", "accepted_at"), on="plan_key").select(
            key="plan_key",
            status="status",
            accepted_at="accepted_at",
            paid="paid",
            resolved_on=pl.when(final).then(pl.lit(run_date)).otherwise(pl.lit(None, dtype=pl.Date)),
        ),
        PLAN_UPDATE_COLUMNS,
    )
    update_plans(connection, db, rows)
    stored = installments.select("key", "plan_key", "number", "status", "paid")
    moved_installments = _changed(installment_rows, stored, ["plan_key", "number"])
    update_rows(
        connection, db, "plan_installments", moved_installments.select("key", "status", "paid"), "key"
    )
    statuses = moved.get_column("status")
    return rows, {
        "plans_kept": int((statuses == "kept").sum()),
        "plans_broken": int((statuses == "broken").sum()),
        "plans_late": int((statuses == "late").sum()),
        "installments_paid": moved_installments.filter(pl.col("status") == "paid").height,
    }


def _judge_settlements(
    connection: Connection, db: Database, run_date: date, grace_days: int, pending: pl.DataFrame
) -> tuple[pl.DataFrame, dict[str, int], pl.DataFrame]:
    open_now = payment_queries.settlements_to_judge(db)
    if open_now.is_empty():
        nothing = pl.DataFrame(schema={"key": pl.Int64(), **SETTLEMENT_UPDATE_COLUMNS})
        return nothing, {"settlements_paid": 0, "settlements_broken": 0}, pending.clear()
    earliest = open_now.get_column("accepted_at").min()
    assert isinstance(earliest, datetime)
    payments = portfolio.payments_since(
        db, earliest, "SELECT account_key FROM settlements WHERE status = 'accepted'"
    )
    outcomes = settlement_outcomes_batch(
        open_now.drop("status", "paid"), payments, run_date, grace_days=grace_days
    )
    moved = _changed(outcomes, open_now.select("settlement_key", "status", "paid"), ["settlement_key"]).join(
        open_now.select("settlement_key", "account_key"), on="settlement_key"
    )
    write_offs = _write_offs(connection, db, moved.filter(pl.col("status") == "paid"), run_date, pending)
    rows = _typed(
        moved.join(
            write_offs.select(settlement_key="__settlement_key", write_off_event_id="event_id"),
            on="settlement_key",
            how="left",
        ).select(
            key="settlement_key",
            status="status",
            paid="paid",
            resolved_on=pl.when(pl.col("status") != "accepted")
            .then(pl.lit(run_date))
            .otherwise(pl.lit(None, dtype=pl.Date)),
            write_off_event_id="write_off_event_id",
        ),
        SETTLEMENT_UPDATE_COLUMNS,
    )
    update_rows(connection, db, "settlements", rows, "key")
    statuses = moved.get_column("status")
    stats = {
        "settlements_paid": int((statuses == "paid").sum()),
        "settlements_broken": int((statuses == "broken").sum()),
    }
    return rows, stats, write_offs.drop("__settlement_key")


def _write_offs(
    connection: Connection, db: Database, paid: pl.DataFrame, run_date: date, pending: pl.DataFrame
) -> pl.DataFrame:
    """Adjustment events writing off what is left on accounts whose settlement is paid, stored unapplied.

    What is left: the balance once the day's events are applied, less payments stored for after the run
    date (a payment late in the evening west of UTC counts for the settlement's day but is applied by the
    next run), so that the write-off never turns a payment into a credit.
    """
    shape = {name: pending.schema[name] for name in pending.columns}
    if paid.is_empty():
        return pl.DataFrame(schema={**shape, "__settlement_key": pl.Int64()})
    keys = paid.get_column("account_key").to_list()
    cutoff = datetime.combine(run_date + timedelta(days=1), datetime.min.time(), UTC)
    todays = pending.filter(pl.col("account_key").is_in(keys))
    before = payment_queries.account_states(connection, keys)
    applied = apply_events_batch(before, todays)  # only the accounts with events today
    untouched = before.filter(~pl.col("account_key").is_in(applied.get_column("account_key").implode()))
    states = pl.concat([applied.select(before.columns), untouched])
    later = payment_queries.payments_from(connection, keys, cutoff)
    left = (
        states.select(
            "account_key",
            left=pl.col("fees")
            + pl.col("interest")
            + pl.col("principal")
            - pl.col("account_key").replace_strict(later, default=0, return_dtype=pl.Int64),
        )
        .join(paid.select("settlement_key", "account_key"), on="account_key")
        .filter(pl.col("left") > 0)
    )
    first = payment_queries.next_key(connection, "events")
    events = left.select(
        key=pl.int_range(first, first + left.height, dtype=pl.Int64),
        account_key="account_key",
        event_id=pl.format("settlement-{}-write-off", pl.col("settlement_key")),
        at=pl.lit(cutoff - timedelta(microseconds=1), dtype=pl.Datetime("us", "UTC")),
        utc_offset_minutes=pl.lit(0, dtype=pl.Int32),
        type=pl.lit("adjustment"),
        amount=-pl.col("left"),
        note=pl.format("write-off: settlement {} paid in full", pl.col("settlement_key")),
        __settlement_key="settlement_key",
    )
    events = events.select(
        [(pl.col(n) if n in events.columns else pl.lit(None)).cast(t).alias(n) for n, t in shape.items()]
        + [pl.col("__settlement_key")]
    )
    insert_frame(connection, db, "events", events.drop("__settlement_key"))
    return events
