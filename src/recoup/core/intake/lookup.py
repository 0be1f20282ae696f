"""Which stored (or same-import) account each row of a contacts or events file names."""

from __future__ import annotations

from typing import Final

import polars as pl

from recoup.core.intake.checks import Check, shown

LOOKUP_SCHEMA: Final[dict[str, pl.DataType]] = {
    "account_id": pl.String(),
    "creditor_id": pl.String(),
    "currency": pl.String(),
    "account_key": pl.Int64(),
}


def attach_accounts(frame: pl.DataFrame, accounts: pl.DataFrame) -> pl.DataFrame:
    """Add each row's account from the lookup: ``__account_key``, ``__creditor``, ``__currency`` and, for
    messages, ``__matches`` (how many accounts fit) and ``__creditors`` (whose they are).

    ``accounts`` has LOOKUP_SCHEMA's columns: stored accounts and the same import's new ones, whose
    ``account_key`` may still be null. A row with a ``creditor_id`` matches that creditor's account only;
    without one, the ``account_id`` must belong to exactly one creditor.
    """
    missing = [name for name in LOOKUP_SCHEMA if name not in accounts.columns]
    if missing:
        raise ValueError(f"the accounts lookup lacks columns {missing}")
    lookup = (
        accounts.select([pl.col(name).cast(dtype) for name, dtype in LOOKUP_SCHEMA.items()])
        .drop_nulls(["account_id", "creditor_id"])
        .sort("account_key", nulls_last=True)
        .unique(["account_id", "creditor_id"], keep="first", maintain_order=True)
    )
    by_account = lookup.group_by("account_id").agg(
        pl.len().alias("__n_any"),
        pl.col("creditor_id").sort().str.join(", ").alias("__creditors"),
        pl.col("creditor_id").first().alias("__creditor_any"),
        pl.col("currency").first().alias("__currency_any"),
        pl.col("account_key").first().alias("__key_any"),
    )
    exact = lookup.select(
        pl.col("account_id"),
        pl.col("creditor_id"),
        pl.col("currency").alias("__currency_exact"),
        pl.col("account_key").alias("__key_exact"),
        pl.lit(1, dtype=pl.UInt32).alias("__n_exact"),
    )
    joined = frame.join(by_account, on="account_id", how="left", maintain_order="left").join(
        exact, on=["account_id", "creditor_id"], how="left", maintain_order="left"
    )
    given = pl.col("creditor_id").is_not_null()
    return joined.with_columns(
        pl.when(given)
        .then(pl.col("__n_exact").fill_null(0))
        .otherwise(pl.col("__n_any").fill_null(0))
        .cast(pl.Int64)
        .alias("__matches"),
        pl.when(given).then(pl.col("creditor_id")).otherwise(pl.col("__creditor_any")).alias("__creditor"),
        pl.when(given)
        .then(pl.col("__currency_exact"))
        .otherwise(pl.col("__currency_any"))
        .alias("__currency"),
        pl.when(given).then(pl.col("__key_exact")).otherwise(pl.col("__key_any")).alias("__account_key"),
    ).drop(
        [
            "__n_any",
            "__creditor_any",
            "__currency_any",
            "__key_any",
            "__currency_exact",
            "__key_exact",
            "__n_exact",
        ]
    )


def account_reference(column: str = "account_id") -> list[Check]:
    """Checks that the row's account was found exactly once (needs `attach_accounts`)."""
    present = pl.col(column).is_not_null()
    given = pl.col("creditor_id").is_not_null()
    return [
        Check(
            column,
            present & (pl.col("__matches") == 0) & given,
            pl.format(
                "unknown account {} of creditor {}", shown(pl.col(column)), shown(pl.col("creditor_id"))
            ),
        ),
        Check(
            column,
            present & (pl.col("__matches") == 0) & ~given,
            pl.format("unknown account {}", shown(pl.col(column))),
        ),
        Check(
            column,
            present & (pl.col("__matches") > 1),
            pl.format(
                "account {} belongs to several creditors ({}): add a creditor_id column to say which",
                shown(pl.col(column)),
                pl.col("__creditors"),
            ),
        ),
    ]
