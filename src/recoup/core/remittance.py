"""Remittance statements: per creditor and period, what was collected, the agency's commission, and the
net to remit, per account and in total, per currency.

Which payments: the creditor's payment events whose local date (the payment's own offset) falls in the
period, both ends included.

Rounding (money stays in integer minor units; the rate is in basis points, 1 bp = 0.01 %):
- per currency, the statement's commission is collected x rate / 10,000 rounded half up to the minor unit;
- that total is shared over the account lines by the largest-remainder method: each line gets its exact
  share rounded down, and the minor units still missing go one each to the lines that lost the largest
  fractions (ties in account_id order). Every line's commission is therefore its exact share rounded
  down or up, and the lines add up to the total exactly;
- net to remit = collected - commission, per line and in total.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Final

import polars as pl

BASIS_POINTS: Final = 10_000
_INT64_MAX: Final = 2**63 - 1

PAYMENT_COLUMNS: Final = ("account_id", "creditor_id", "debtor_name", "currency", "local_date", "amount")
LINE_SCHEMA: Final[dict[str, pl.DataType]] = {
    "currency": pl.String(),
    "account_id": pl.String(),
    "debtor_name": pl.String(),
    "payments": pl.Int64(),
    "collected": pl.Int64(),
    "commission": pl.Int64(),
    "net": pl.Int64(),
}
TOTAL_SCHEMA: Final[dict[str, pl.DataType]] = {
    "currency": pl.String(),
    "accounts": pl.Int64(),
    "payments": pl.Int64(),
    "collected": pl.Int64(),
    "commission": pl.Int64(),
    "net": pl.Int64(),
}


@dataclass(frozen=True, slots=True)
class RemittanceStatement:
    creditor_id: str
    period_start: date
    period_end: date
    commission_bps: int
    lines: pl.DataFrame  # LINE_SCHEMA, by currency then account_id
    totals: pl.DataFrame  # TOTAL_SCHEMA, one row per currency


def check_rate(commission_bps: int) -> None:
    if not 0 <= commission_bps <= BASIS_POINTS:
        raise ValueError(f"a commission rate is 0 to {BASIS_POINTS} basis points, not {commission_bps}")


def build_statement(
    payments: pl.DataFrame,
    *,
    creditor_id: str,
    period_start: date,
    period_end: date,
    commission_bps: int,
) -> RemittanceStatement:
    """The statement for ``creditor_id`` over ``period_start``..``period_end`` from payment events
    (account_id, creditor_id, debtor_name, currency, local_date, amount in minor units)."""
    check_rate(commission_bps)
    if period_end < period_start:
        raise ValueError(f"the period ends ({period_end}) before it starts ({period_start})")
    in_period = payments.filter(
        (pl.col("creditor_id") == creditor_id) & pl.col("local_date").is_between(period_start, period_end)
    )
    collected = in_period.group_by("currency", "account_id").agg(
        debtor_name=pl.col("debtor_name").first(),
        payments=pl.len().cast(pl.Int64),
        collected=pl.col("amount").sum().cast(pl.Int64),
    )
    _check_size(collected, commission_bps)
    lines = commission_lines(collected, commission_bps)
    totals = (
        lines.group_by("currency")
        .agg(
            accounts=pl.len().cast(pl.Int64),
            payments=pl.col("payments").sum(),
            collected=pl.col("collected").sum(),
            commission=pl.col("commission").sum(),
            net=pl.col("net").sum(),
        )
        .sort("currency")
    )
    return RemittanceStatement(
        creditor_id=creditor_id,
        period_start=period_start,
        period_end=period_end,
        commission_bps=commission_bps,
        lines=lines.select([pl.col(n).cast(t) for n, t in LINE_SCHEMA.items()]),
        totals=totals.select([pl.col(n).cast(t) for n, t in TOTAL_SCHEMA.items()]),
    )


def _check_size(collected: pl.DataFrame, commission_bps: int) -> None:
    by_currency = collected.group_by("currency").agg(pl.col("collected").sum())
    largest = by_currency.get_column("collected").max()
    if isinstance(largest, int) and largest * max(commission_bps, 1) > _INT64_MAX:
        raise ValueError("the amounts collected are too large to compute a commission on exactly")


def commission_lines(collected: pl.DataFrame, commission_bps: int) -> pl.DataFrame:
    """Add ``commission`` and ``net`` to lines (currency, account_id, collected) by the rules above."""
    share = pl.col("collected") * commission_bps
    ranked = collected.with_columns(
        floor=share // BASIS_POINTS,
        dropped=share % BASIS_POINTS,
        total_share=share.sum().over("currency"),
    ).sort(["currency", "dropped", "account_id"], descending=[False, True, False])
    total_commission = (pl.col("total_share") + BASIS_POINTS // 2) // BASIS_POINTS
    missing = total_commission - pl.col("floor").sum().over("currency")
    place = pl.int_range(pl.len()).over("currency")
    return (
        ranked.with_columns(commission=pl.col("floor") + (place < missing).cast(pl.Int64))
        .with_columns(net=pl.col("collected") - pl.col("commission"))
        .drop("floor", "dropped", "total_share")
        .sort("currency", "account_id")
    )
