"""The agents' work queue: the day's chosen calls (and visits), ordered by expected value per creditor.

The lead supplies, for every chosen action, the window in which compliance allows it (``window_start``,
``window_end``, UTC instants). Within each creditor's queue the order is: higher ``value`` first; on equal
value the window that closes sooner first; then ``account_key``. Priorities run 1..n per creditor and
channel (agents who call and agents who visit work separate queues).
"""

from __future__ import annotations

from typing import Final

import polars as pl

from recoup.core.errors import ValidationError

QUEUE_CHANNELS: Final = ("call",)
REQUIRED: Final = ("account_key", "creditor_id", "channel", "value", "window_start", "window_end")


def work_queue(chosen: pl.DataFrame, channels: tuple[str, ...] = QUEUE_CHANNELS) -> pl.DataFrame:
    """The rows of ``chosen`` carried out by agents through ``channels``, with ``priority`` 1..n per
    (creditor, channel), ordered by creditor, channel and priority. All of ``chosen``'s columns are kept."""
    missing = [name for name in REQUIRED if name not in chosen.columns]
    if missing:
        raise ValidationError(f"the work queue needs the columns {missing}", field=missing[0])
    calls = chosen.filter(pl.col("channel").is_in(list(channels)))
    late = calls.filter(pl.col("window_end") < pl.col("window_start"))
    if late.height:
        key = late.get_column("account_key")[0]
        raise ValidationError(
            f"account_key {key}: the allowed window ends before it starts", field="window_end"
        )
    ordered = calls.sort(
        ["creditor_id", "channel", "value", "window_end", "account_key"],
        descending=[False, False, True, False, False],
        nulls_last=True,
    )
    priority = pl.int_range(1, pl.len() + 1, dtype=pl.Int64).over("creditor_id", "channel")
    return ordered.with_columns(priority=priority)
