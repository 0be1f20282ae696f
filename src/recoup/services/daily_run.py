"""The daily cycle's use cases, one function per recorded step. The job runner owns the transactions.

Steps and what each one persists:
- ingest:  nothing new (imports are their own transactions); counts what is waiting to be applied;
- update:  applies pending events to balances, holds and opt-outs, records new promises and settles
           open ones (kept, broken, replaced); moves installment plans and settlements
           (services.payment_update), a paid settlement's write-off applied with the day's events;
- score .. check: pure computations over the portfolio, recomputed identically on a resumed run;
- queue:   writes the chosen actions to the outbox together with the records of score .. check, in one
           transaction, keyed by (account, run date, action) so that nothing is queued twice;
- report:  the day's KPIs.

Recording a step appends its audit entry in the same transaction, with covers (digests) of the rows it
wrote that stay as written: events applied, promises made and resolved, actions queued.
"""

from __future__ import annotations

import json
import time
from datetime import UTC, date, datetime, timedelta
from typing import Any

import polars as pl
from sqlalchemy import Connection, text

from recoup.adapters.db import audit, portfolio
from recoup.adapters.db.bulk import insert_new, next_key, sql_literal, update_rows
from recoup.adapters.db.engine import Database
from recoup.core.accounts import apply_events_batch
from recoup.core.audit import Cover
from recoup.core.daily import count_by
from recoup.core.promises import promise_outcomes_batch
from recoup.services import deciding
from recoup.services.options import RunOptions, StepResult
from recoup.services.payment_update import update_arrangements

STEPS: tuple[str, ...] = ("ingest", "update", "score", "segment", "decide", "check", "queue", "report")
DECISION_STEPS: tuple[str, ...] = ("score", "segment", "decide", "check", "queue")


def cutoff_for(run_date: date) -> datetime:
    """Events strictly before the end of the run date (UTC) belong to that run."""
    return datetime.combine(run_date + timedelta(days=1), datetime.min.time(), UTC)


def ingest(db: Database, run_date: date) -> dict[str, Any]:
    pending = portfolio.pending_events(db, cutoff_for(run_date))
    return {"pending_events": pending.height, "by_type": dict(count_by(pending, "type"))}


def update(connection: Connection, db: Database, run_date: date, grace_days: int) -> StepResult:
    started = time.perf_counter()
    cutoff = cutoff_for(run_date)
    covers: list[Cover | None] = []
    events = portfolio.pending_events(db, cutoff)
    arrangements, write_offs, finished = update_arrangements(connection, db, run_date, events, grace_days)
    covers.extend(finished)
    events = pl.concat([events, write_offs])
    changed = 0
    new_promises = pl.DataFrame()
    if not events.is_empty():
        keys_sql = (
            f"SELECT DISTINCT account_key FROM events WHERE applied_on IS NULL AND at < {sql_literal(cutoff)}"
            " UNION SELECT account_key FROM settlements WHERE status = 'accepted'"  # for today's write-offs
        )
        states = portfolio.account_states(db, keys_sql)
        new_states = apply_events_batch(states, events).rename({"account_key": "key"})
        changed = update_rows(connection, db, "accounts", new_states, "key")
        update_rows(connection, db, "events", events.select("key", applied_on=pl.lit(run_date)), "key")
        covers.append(audit.matching_cover("events", events.select("key"), "applied_on", run_date))
        new_promises, made = _record_promises(connection, db, events)
        covers.append(made)
    settled, resolved = _settle_promises(connection, db, run_date, grace_days, new_promises)
    stats = {"events_applied": events.height, "accounts_changed": changed, **settled, **arrangements}
    return StepResult("update", time.perf_counter() - started, stats, [*covers, resolved])


def _record_promises(
    connection: Connection, db: Database, events: pl.DataFrame
) -> tuple[pl.DataFrame, Cover | None]:
    made = events.filter(
        (pl.col("type") == "promise")
        & pl.col("amount").is_not_null()
        & pl.col("promise_due_on").is_not_null()
    )
    if made.is_empty():
        return pl.DataFrame(), None
    first = next_key(connection, "promises")
    rows = made.select(
        key=pl.int_range(first, first + made.height, dtype=pl.Int64),
        account_key="account_key",
        event_id="event_id",
        made_at="at",
        amount="amount",
        due_on="promise_due_on",
        status=pl.lit("open"),
        paid=pl.lit(0, dtype=pl.Int64),
    )
    inserted = insert_new(connection, db, "promises", rows, ("event_id",))
    return rows, audit.written_cover(connection, "promises", rows, inserted, exclude=("status", "paid"))


def _settle_promises(
    connection: Connection, db: Database, run_date: date, grace_days: int, new_promises: pl.DataFrame
) -> tuple[dict[str, Any], Cover]:
    open_now = portfolio.open_promises(db)
    if not new_promises.is_empty():
        open_now = pl.concat(
            [open_now, new_promises.select(open_now.columns)], how="vertical_relaxed"
        ).unique("event_id", keep="last")
    if open_now.is_empty():
        nothing = pl.DataFrame(
            schema={"key": pl.Int64, "status": pl.String, "paid": pl.Int64, "resolved_on": pl.Date}
        )
        return {"promises_kept": 0, "promises_broken": 0, "promises_replaced": 0}, _resolved(
            nothing, run_date
        )
    earliest = open_now.get_column("made_at").min()
    assert isinstance(earliest, datetime)
    payments = portfolio.payments_since(db, earliest, "SELECT account_key FROM events WHERE type = 'payment'")
    outcomes = promise_outcomes_batch(
        open_now.drop("status", "paid"), payments, run_date, grace_days=grace_days
    )
    moved = outcomes.join(
        open_now.select("event_id", "key", old_paid="paid", old_status="status"), on="event_id"
    ).filter((pl.col("status") != pl.col("old_status")) | (pl.col("paid") != pl.col("old_paid")))
    rows = moved.select(
        "key",
        "status",
        "paid",
        resolved_on=pl.when(pl.col("status") != "open")
        .then(pl.lit(run_date))
        .otherwise(pl.lit(None, dtype=pl.Date)),
    )
    update_rows(connection, db, "promises", rows, "key")
    counts = count_by(moved, "status")
    stats = {f"promises_{s}": int(counts.get(s, 0)) for s in ("kept", "broken", "replaced")}
    return stats, _resolved(rows, run_date)


def _resolved(rows: pl.DataFrame, run_date: date) -> Cover:
    """A resolved promise never changes again, so the entry vouches for every one resolved on the day."""
    final = rows.filter(pl.col("resolved_on").is_not_null())
    return audit.matching_cover("promises", final, "resolved_on", run_date)


def decide(connection: Connection, db: Database, run_date: date, options: RunOptions) -> list[StepResult]:
    """Score, segment, decide, check and queue (services.deciding)."""
    return deciding.decide(connection, db, run_date, options)


def record_step(connection: Connection, run_date: date, result: StepResult, now: datetime) -> None:
    """Mark the step done and append its audit entry, in the caller's transaction."""
    stats = json.dumps(result.stats, default=str)
    connection.execute(
        text(
            "INSERT INTO run_steps (run_date, step, finished_at, seconds, stats) "
            "VALUES (:d, :s, :f, :sec, :st)"
        ),
        {
            "d": run_date,
            "s": result.step,
            "f": now,
            "sec": result.seconds,
            "st": stats,
        },
    )
    content = {"run_date": run_date, "stats": json.loads(stats)}
    audit.record(connection, f"run.{result.step}", content, now, result.covers)


def completed_steps(connection: Connection, run_date: date) -> set[str]:
    rows = connection.execute(text("SELECT step FROM run_steps WHERE run_date = :d"), {"d": run_date})
    return {row[0] for row in rows}
