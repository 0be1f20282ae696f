"""Write tables by extension (CSV, JSONL, Parquet), the contract's actions file, and reject files."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Final

import polars as pl

from recoup.core.errors import ValidationError
from recoup.core.money import format_minor_expr

ROW: Final = "row"
REASONS: Final = "reasons"
WRITABLE: Final = (".csv", ".jsonl", ".parquet")

# The actions file of contracts/portfolio.md, in the contract's order. creditor_id (after account_id) and
# currency (after expected_recovery) are extensions: account_id is unique per creditor only, and money
# columns need their currency to be read.
ACTION_COLUMNS: Final = (
    "account_id",
    "creditor_id",
    "run_date",
    "action",
    "channel",
    "scheduled_at",
    "priority",
    "template_id",
    "language",
    "message",
    "offer_kind",
    "offer_amount",
    "offer_installments",
    "offer_expires_on",
    "segment",
    "ability_score",
    "willingness_score",
    "expected_recovery",
    "currency",
    "strategy",
    "variant",
    "reasons",
)
_MONEY_COLUMNS: Final = ("offer_amount", "expected_recovery")
_DATE_COLUMNS: Final = ("run_date", "offer_expires_on")


def write_table(frame: pl.DataFrame, path: Path) -> None:
    """Write ``frame`` as CSV (UTF-8, header), JSON Lines or Parquet, chosen by ``path``'s extension.

    The file appears whole or not at all: it is written beside its destination and renamed into place.
    """
    writers: dict[str, Callable[[pl.DataFrame, Path], None]] = {
        ".csv": lambda data, target: data.write_csv(target),
        ".jsonl": lambda data, target: data.write_ndjson(target),
        ".parquet": lambda data, target: data.write_parquet(target),
    }
    writer = writers.get(path.suffix.lower())
    if writer is None:
        raise ValidationError(
            f"cannot write {path.suffix or 'a file without an extension'!r}: use {', '.join(WRITABLE)}",
            file=path.name,
        )
    directory = path.parent if str(path.parent) else Path()
    try:
        handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=directory)
    except OSError as error:
        raise ValidationError(f"cannot write here: {error.strerror or error}", file=path.name) from None
    os.close(handle)
    try:
        writer(frame, Path(temporary))
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def actions_for_export(actions: pl.DataFrame) -> pl.DataFrame:
    """An ACTION_SCHEMA frame as the contract's actions file: money as decimal text in the currency,
    ``scheduled_at`` as ISO 8601 in the debtor's local offset (``local_offset_minutes``; UTC when it is
    unknown), dates as YYYY-MM-DD, scores as numbers."""
    missing = [name for name in (*ACTION_COLUMNS, "local_offset_minutes") if name not in actions.columns]
    if missing:
        raise ValueError(f"actions lack columns {missing}")
    converted = {
        **{name: pl.col(name) for name in ACTION_COLUMNS},
        **{name: _money_text(name) for name in _MONEY_COLUMNS},
        **{name: pl.col(name).dt.to_string("%Y-%m-%d") for name in _DATE_COLUMNS},
        "scheduled_at": local_iso("scheduled_at", "local_offset_minutes"),
    }
    return actions.select([converted[name].alias(name) for name in ACTION_COLUMNS])


def _money_text(column: str) -> pl.Expr:
    return pl.when(pl.col(column).is_not_null()).then(format_minor_expr(column, "currency"))


def local_iso(instant: str, offset_minutes: str) -> pl.Expr:
    """A UTC instant column as ISO 8601 text at the given offset, e.g. ``2026-03-02T09:15:00+08:00``."""
    offset = pl.col(offset_minutes).fill_null(0).cast(pl.Int64)
    local = pl.col(instant).dt.replace_time_zone(None) + pl.duration(minutes=offset)
    sign = pl.when(offset < 0).then(pl.lit("-")).otherwise(pl.lit("+"))
    hours = (offset.abs() // 60).cast(pl.String).str.pad_start(2, "0")
    minutes = (offset.abs() % 60).cast(pl.String).str.pad_start(2, "0")
    text = pl.concat_str([local.dt.to_string("%Y-%m-%dT%H:%M:%S"), sign, hours, pl.lit(":"), minutes])
    return pl.when(pl.col(instant).is_not_null()).then(text)


def write_rejects(path: Path, raw: pl.DataFrame, rejects: pl.DataFrame) -> int:
    """Write the rejected rows as they were read, plus a ``reasons`` column (``column: reason`` joined by
    ``; ``), for ``--partial`` imports. A reject without a row (a missing column) applies to every row.
    Returns the number of rows written."""
    file_level = rejects.filter(pl.col(ROW).is_null())
    per_row = (
        rejects.filter(pl.col(ROW).is_not_null())
        .group_by(ROW, maintain_order=True)
        .agg(_reason_text().str.join("; ").alias(REASONS))
    )
    if file_level.is_empty():
        bad = raw.join(per_row, on=ROW, how="inner", maintain_order="left")
    else:
        everything = "; ".join(file_level.select(_reason_text()).to_series().to_list())
        bad = raw.with_columns(pl.lit(everything).alias(REASONS))
    write_table(bad, path)
    return bad.height


def _reason_text() -> pl.Expr:
    return (
        pl.when(pl.col("column").is_not_null())
        .then(pl.format("{}: {}", pl.col("column"), pl.col("reason")))
        .otherwise(pl.col("reason"))
    )
