"""Hand-made action frames for driving the simulator without a strategy (tests, benchmarks, demos)."""

from __future__ import annotations

from datetime import date

import numpy as np
import polars as pl

from recoup.core.schema import ACTION_SCHEMA, CHANNELS, conform
from recoup.sim.zones import MICROS_PER_DAY, MICROS_PER_MINUTE, local_to_utc_us, utc_offsets_minutes

EPOCH = date(1970, 1, 1)


def simple_actions(
    accounts: pl.DataFrame,
    day: date,
    action: str,
    *,
    local_hour: float = 10.0,
    channel: str | None = None,
    offer_kind: str = "none",
    offer_share: float | None = None,
    offer_installments: int | None = None,
) -> pl.DataFrame:
    """One action (ACTION_SCHEMA) per row of ``accounts`` on ``day`` at ``local_hour`` in each debtor's zone.

    ``offer_share`` sets ``offer_amount`` to that share of the balance (rounded down to the minor unit).
    """
    if action != "offer" and channel is None:
        channel = action if action in CHANNELS else None
    zones = tuple(sorted(accounts["timezone"].unique().to_list()))
    codes = accounts["timezone"].replace_strict({z: i for i, z in enumerate(zones)}).to_numpy()
    minutes = round(local_hour * 60)
    local_us = np.full(accounts.height, (day - EPOCH).days * MICROS_PER_DAY + minutes * MICROS_PER_MINUTE)
    at_us = local_to_utc_us(local_us.astype(np.int64), codes, zones)
    offsets = utc_offsets_minutes(at_us, codes, zones)
    balance = pl.col("principal") + pl.col("interest") + pl.col("fees")
    amount = (
        (balance.cast(pl.Float64) * offer_share).floor().cast(pl.Int64) if offer_share is not None else None
    )
    frame = accounts.select(
        "account_id",
        "creditor_id",
        "currency",
        "language",
        pl.lit(day).alias("run_date"),
        pl.lit(action).alias("action"),
        pl.lit(channel, dtype=pl.String()).alias("channel"),
        pl.Series("scheduled_at", at_us).cast(pl.Datetime("us", "UTC")),
        pl.Series("local_offset_minutes", offsets),
        pl.lit(offer_kind).alias("offer_kind"),
        (amount if amount is not None else pl.lit(None, dtype=pl.Int64())).alias("offer_amount"),
        pl.lit(offer_installments, dtype=pl.Int64()).alias("offer_installments"),
    )
    return conform(frame, ACTION_SCHEMA)
