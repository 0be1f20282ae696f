"""The pure columnar pieces of the daily cycle: decision inputs, contact scheduling and the outbox rows."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date, datetime, time

import polars as pl

from recoup.core.accounts import bucket_expr
from recoup.core.messages import Sender, render_builtin
from recoup.core.schema import ACTION_SCHEMA, DECISION_INPUT_SCHEMA, MESSAGE_CHANNELS, conform
from recoup.core.timezones import local_to_utc, utc_offset_minutes, zone_column

# Local clock times at which the run schedules work before the compliance engine adjusts them.
MESSAGE_AT = time(10, 0)
CALL_DAY_START_MINUTES = 9 * 60
CALL_DAY_LENGTH_MINUTES = 10 * 60  # calls are spread over 09:00-19:00 local by priority


def _present(column: str) -> pl.Expr:
    return pl.col(column).is_not_null() & (pl.col(column).str.strip_chars() != "")


def build_inputs(
    accounts: pl.DataFrame,
    history: pl.DataFrame,
    promises: pl.DataFrame,
    run_date: date,
    scores: pl.DataFrame | None = None,
    plans: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """DECISION_INPUT_SCHEMA rows (plus zone columns) for every active account on ``run_date``.

    accounts: active accounts (see adapters.db.portfolio.active_accounts); history: account_key,
    last_contact_on, contacts_7d; promises: account_key, open_promises, broken_promises_60d;
    scores: account_key, ability_score, willingness_score (absent before any model exists);
    plans: account_key, on_plan for the accounts with a current or late installment plan.
    """
    frame = (
        accounts.join(history, on="account_key", how="left")
        .join(promises, on="account_key", how="left")
        .with_columns(
            balance=pl.col("principal") + pl.col("interest") + pl.col("fees"),
            dpd=pl.max_horizontal((pl.lit(run_date) - pl.col("due_on")).dt.total_days(), pl.lit(0)).cast(
                pl.Int64
            ),
            days_since_last_contact=(pl.lit(run_date) - pl.col("last_contact_on"))
            .dt.total_days()
            .cast(pl.Int64),
            contacts_7d=pl.col("contacts_7d").fill_null(0),
            open_promise=pl.col("open_promises").fill_null(0) > 0,
            broken_promises_60d=pl.col("broken_promises_60d").fill_null(0),
            has_phone=_present("phone"),
            has_email=_present("email"),
            has_im=_present("im_handle"),
            has_address=_present("address"),
            language=pl.coalesce(
                pl.col("language"),
                pl.when(pl.col("jurisdiction") == "CN").then(pl.lit("zh")).otherwise(pl.lit("en")),
            ),
        )
        .with_columns(bucket=bucket_expr(pl.col("dpd")))
    )
    if scores is not None:
        frame = frame.join(scores, on="account_key", how="left")
    on_plan = plans.select("account_key", "on_plan") if plans is not None else None
    frame = (
        frame.join(on_plan, on="account_key", how="left").with_columns(pl.col("on_plan").fill_null(False))
        if on_plan is not None
        else frame.with_columns(on_plan=pl.lit(False))
    )
    zones = frame.select("account_key", zone=zone_column(frame))
    return conform(frame, DECISION_INPUT_SCHEMA).join(zones, on="account_key", how="left")


def _agent_channel() -> pl.Expr:
    """The agents' queue a candidate belongs to: an offer made on a call is a call; a visit is a visit."""
    return pl.when(pl.col("action") == "visit").then(pl.lit("visit")).otherwise(pl.col("channel"))


def compact_priorities(chosen: pl.DataFrame) -> pl.DataFrame:
    """Renumber the chosen calls and visits 1..n per queue, keeping their order.

    `schedule` ranks every candidate before the optimiser chooses, so the chosen ones' priorities have
    gaps; the actions file promises the order in the work queue (1 = first)."""
    return chosen.with_columns(
        priority=pl.when(pl.col("priority").is_not_null())
        .then(pl.col("priority").rank("ordinal").over(_agent_channel()).cast(pl.Int64))
        .otherwise(pl.lit(None, dtype=pl.Int64))
    )


def schedule(candidates: pl.DataFrame, inputs: pl.DataFrame, run_date: date) -> pl.DataFrame:
    """Give every candidate a local time on ``run_date`` in the debtor's zone and its UTC instant.

    Messages, letters and reviews go at 10:00 local; calls (offers made on a call too) and visits are
    spread over the agents' day in order of value, so the most valuable is placed first. Adds
    scheduled_at, local_offset_minutes, priority.
    """
    with_zone = candidates.join(inputs.select("account_key", "zone"), on="account_key", how="left")
    ranked = (
        with_zone.with_columns(_agent=_agent_channel())
        .with_columns(
            priority=pl.when(pl.col("_agent").is_in(["call", "visit"]))
            .then(pl.col("value").rank("ordinal", descending=True).over("_agent").cast(pl.Int64))
            .otherwise(pl.lit(None, dtype=pl.Int64))
        )
        .drop("_agent")
    )
    minutes = (
        pl.when(pl.col("priority").is_not_null())
        .then(CALL_DAY_START_MINUTES + (pl.col("priority") - 1) % CALL_DAY_LENGTH_MINUTES)
        .otherwise(MESSAGE_AT.hour * 60 + MESSAGE_AT.minute)
    )
    local = pl.lit(datetime.combine(run_date, time(0))) + pl.duration(minutes=minutes)
    timed = local_to_utc(ranked.with_columns(_local=local), "_local", "zone", "scheduled_at")
    return utc_offset_minutes(timed, "scheduled_at", "zone", "local_offset_minutes").drop("_local")


Renderer = Callable[[pl.DataFrame], pl.Series]


def builtin_renderer(sender: Sender) -> Renderer:
    return lambda frame: render_builtin(frame, sender)


def outbox_rows(
    chosen: pl.DataFrame,
    inputs: pl.DataFrame,
    run_date: date,
    render: Renderer,
    *,
    first_key: int,
    model_version: str | None = None,
) -> pl.DataFrame:
    """The actions table rows for the chosen candidates, messages rendered by ``render`` (it gets the
    candidates with the account's name, balance, currency, language, jurisdiction and days past due)."""
    enriched = chosen.join(
        inputs.select(
            "account_key",
            "account_id",
            "creditor_id",
            "debtor_name",
            "balance",
            "currency",
            "language",
            "jurisdiction",
            "dpd",
            "ability_score",
            "willingness_score",
        ),
        on="account_key",
        how="left",
    ).with_columns(run_date=pl.lit(run_date))
    message = render(enriched) if enriched.height else pl.Series("message", [], dtype=pl.String)
    rows = enriched.with_columns(
        message=pl.when(pl.col("action").is_in(list(MESSAGE_CHANNELS))).then(message),
        run_date=pl.lit(run_date),
        key=pl.int_range(first_key, first_key + enriched.height, dtype=pl.Int64),
        status=pl.lit("queued"),
        model_version=pl.lit(model_version, dtype=pl.String),
    )
    columns = [c for c in ACTION_SCHEMA if c not in ("account_id", "creditor_id")]
    return conform(
        rows, {**{"key": pl.Int64(), "account_key": pl.Int64()}, **{c: ACTION_SCHEMA[c] for c in columns}}
    ).with_columns(rows.select("cost", "status", "model_version", "balance"))


def count_by(frame: pl.DataFrame, column: str) -> Mapping[str, int]:
    if frame.is_empty():
        return {}
    counts = frame.group_by(column).len().sort(column)
    return {str(k): int(v) for k, v in counts.iter_rows()}
