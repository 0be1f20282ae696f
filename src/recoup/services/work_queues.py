"""The agents' work queues of a day: the calls and visits a daily run decided, each with the window in
which the rulebook's contact hours allow it, ordered by expected value per creditor and channel.

A queued action's ``value`` is its ``expected_recovery`` less its ``cost`` (minor units of the account's
currency; a creditor's queue is assumed to be in one currency). The baseline ladder estimates no recovery:
its actions have no value and come after those that have one, the window that closes first leading. The
balance is the account's as it stands now, not as it was on the run date.
"""

from __future__ import annotations

from datetime import date
from typing import Final

import polars as pl

from recoup.adapters.db import queries
from recoup.adapters.db.engine import Database
from recoup.core.compliance import RulebookSet, load_rulebooks
from recoup.core.compliance.windows import contact_windows, with_window_text
from recoup.core.errors import ValidationError
from recoup.core.money import format_minor_expr
from recoup.core.strategy.workqueue import work_queue

QUEUE_CHANNELS: Final = ("call", "visit")
COLUMNS: Final = (
    "creditor_id",
    "channel",
    "priority",
    "window_start",
    "window_end",
    "window_local",
    "zone",
    "window_utc",
    "scheduled_at",
    "debtor_id",
    "debtor_name",
    "account_key",
    "account_id",
    "action_key",
    "action",
    "offer_kind",
    "currency",
    "balance",
    "offer_amount",
    "expected_recovery",
    "cost",
    "value",
    "segment",
    "reasons",
    "status",
)
MONEY_COLUMNS: Final = ("balance", "offer_amount", "expected_recovery", "cost", "value")
INSTANT_COLUMNS: Final = ("window_start", "window_end", "scheduled_at")


def check_channel(channel: str | None) -> tuple[str, ...]:
    """The channels a queue request covers: ``channel`` alone, or every agent channel when None."""
    if channel is None:
        return QUEUE_CHANNELS
    if channel not in QUEUE_CHANNELS:
        raise ValidationError(
            f"{channel!r} is not an agent channel (known: {', '.join(QUEUE_CHANNELS)})", field="channel"
        )
    return (channel,)


def day_queue(
    db: Database,
    run_date: date,
    *,
    creditor: str | None = None,
    channel: str | None = None,
    limit: int | None = None,
    rulebooks: RulebookSet | None = None,
) -> pl.DataFrame:
    """The queues of ``run_date`` (optionally one creditor's, one channel's, the first ``limit`` of each
    queue), ordered by creditor, channel and priority; the columns are ``COLUMNS``."""
    channels = check_channel(channel)
    if limit is not None and limit < 1:
        raise ValidationError(f"limit {limit} is below 1", field="limit")
    actions = queries.queue_actions(db, run_date)
    if creditor is not None:
        actions = actions.filter(pl.col("creditor_id") == creditor)
    return ordered_queue(actions, rulebooks or load_rulebooks(), channels=channels, limit=limit)


def ordered_queue(
    actions: pl.DataFrame,
    rulebooks: RulebookSet,
    *,
    channels: tuple[str, ...] = QUEUE_CHANNELS,
    limit: int | None = None,
) -> pl.DataFrame:
    """``actions`` (``queries.QUEUE_ACTION_SCHEMA``) on ``channels`` as queues: windows, value, priority."""
    chosen = actions.filter(pl.col("channel").is_in(list(channels)))
    windowed = contact_windows(
        chosen.with_columns(
            timezones=pl.col("timezone"),
            # The number the compliance check reads: the first of the account's numbers.
            phone=pl.col("phone").str.split(";").list.first(),
        ),
        rulebooks,
    )
    valued = windowed.with_columns(value=pl.col("expected_recovery") - pl.col("cost").fill_null(0))
    queued = work_queue(valued, channels=channels)
    if limit is not None:
        queued = queued.filter(pl.col("priority") <= limit)
    return with_window_text(queued).select(COLUMNS)


def as_text(queue: pl.DataFrame) -> pl.DataFrame:
    """The queue as people and files see it: money as decimal text in the account's currency, instants as
    ISO 8601 in UTC (``window_end`` is the first instant outside the window)."""
    return queue.with_columns(
        *[
            pl.when(pl.col(name).is_not_null()).then(format_minor_expr(name, "currency")).alias(name)
            for name in MONEY_COLUMNS
        ],
        *[pl.col(name).dt.strftime("%Y-%m-%dT%H:%M:%S%.fZ") for name in INSTANT_COLUMNS],
    )
