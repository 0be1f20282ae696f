"""Write synthetic portfolios and simulated events as portfolio-format files (contracts/portfolio.md).

Everything is written as text exactly as a creditor would send it: money as decimal text in the
account's currency, dates as YYYY-MM-DD, instants as ISO 8601 with the local offset, flags and phones
';'-joined, booleans as true/false. The same text columns go to CSV or Parquet, chosen by the path's
suffix, so that importing them exercises the real import path.
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

import polars as pl

from recoup.core.money import format_minor_expr
from recoup.core.schema import ACCOUNT_SCHEMA, CONTACT_SCHEMA, EVENT_SCHEMA
from recoup.sim.portfolio import SyntheticPortfolio

ACCOUNT_COLUMNS: Final = tuple(name for name in ACCOUNT_SCHEMA if name != "attributes")
ACCOUNT_MONEY: Final = (
    "principal",
    "interest",
    "fees",
    "original_amount",
    "last_payment_amount",
    "income_monthly",
)
CONTACT_COLUMNS: Final = tuple(CONTACT_SCHEMA)
EVENT_COLUMNS: Final = tuple(name for name in EVENT_SCHEMA if name != "utc_offset_minutes")
SUFFIXES: Final = (".csv", ".parquet")


money_text = format_minor_expr  # the one columnar money formatter, kept under the name callers use


def instant_text(at: pl.Expr, offset_minutes: pl.Expr) -> pl.Expr:
    """ISO 8601 local time with its offset, e.g. ``2026-03-02T09:15:00+08:00``."""
    local = (at + pl.duration(minutes=offset_minutes)).dt.replace_time_zone(None)
    sign = pl.when(offset_minutes < 0).then(pl.lit("-")).otherwise(pl.lit("+"))
    hours = (offset_minutes.abs() // 60).cast(pl.String).str.zfill(2)
    minutes = (offset_minutes.abs() % 60).cast(pl.String).str.zfill(2)
    return pl.concat_str(local.dt.strftime("%Y-%m-%dT%H:%M:%S"), sign, hours, pl.lit(":"), minutes)


def _plain_text(name: str, dtype: pl.DataType) -> pl.Expr:
    column = pl.col(name)
    if dtype == pl.Date():
        return column.dt.strftime("%Y-%m-%d")
    return column.cast(pl.String)  # booleans become true/false, integers their digits


def accounts_text(accounts: pl.DataFrame) -> pl.DataFrame:
    """The placement file's columns as text."""
    return accounts.select(
        [
            money_text(pl.col(name), pl.col("currency")).alias(name)
            if name in ACCOUNT_MONEY
            else _plain_text(name, ACCOUNT_SCHEMA[name]).alias(name)
            for name in ACCOUNT_COLUMNS
        ]
    )


def contacts_text(contacts: pl.DataFrame) -> pl.DataFrame:
    return contacts.select([_plain_text(name, CONTACT_SCHEMA[name]).alias(name) for name in CONTACT_COLUMNS])


def events_text(events: pl.DataFrame, accounts: pl.DataFrame) -> pl.DataFrame:
    """The events file's columns as text; amounts are read in each account's currency."""
    currencies = accounts.select("account_id", "creditor_id", "currency")
    joined = events.join(currencies, on=["account_id", "creditor_id"], how="left", maintain_order="left")
    missing = joined.filter(pl.col("currency").is_null() & pl.col("amount").is_not_null())
    if missing.height:
        raise ValueError(
            f"events name accounts that are not in the portfolio, e.g. {missing['account_id'][0]!r}"
        )
    columns = []
    for name in EVENT_COLUMNS:
        if name == "at":
            columns.append(instant_text(pl.col("at"), pl.col("utc_offset_minutes")).alias(name))
        elif name == "amount":
            columns.append(money_text(pl.col("amount"), pl.col("currency")).alias(name))
        else:
            columns.append(_plain_text(name, EVENT_SCHEMA[name]).alias(name))
    return joined.select(columns)


def write_table(frame: pl.DataFrame, path: Path) -> Path:
    """Write a text frame as CSV (UTF-8, header row) or Parquet, by the path's suffix."""
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise ValueError(f"{path.name}: write .csv or .parquet, not {suffix or 'no suffix'}")
    path.parent.mkdir(parents=True, exist_ok=True)
    if suffix == ".csv":
        frame.write_csv(path)
    else:
        frame.write_parquet(path)
    return path


def write_accounts(accounts: pl.DataFrame, path: Path) -> Path:
    return write_table(accounts_text(accounts), path)


def write_contacts(contacts: pl.DataFrame, path: Path) -> Path:
    return write_table(contacts_text(contacts), path)


def write_events(events: pl.DataFrame, path: Path, *, accounts: pl.DataFrame) -> Path:
    return write_table(events_text(events, accounts), path)


def write_portfolio(
    portfolio: SyntheticPortfolio, directory: Path, *, suffix: str = ".csv"
) -> dict[str, Path]:
    """``accounts<suffix>`` and ``contacts<suffix>`` in ``directory``; returns their paths by name."""
    return {
        "accounts": write_accounts(portfolio.accounts, directory / f"accounts{suffix}"),
        "contacts": write_contacts(portfolio.contacts, directory / f"contacts{suffix}"),
    }
