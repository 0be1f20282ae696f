"""Local wall-clock time <-> UTC for whole columns, one IANA zone at a time."""

from __future__ import annotations

from typing import Final

import polars as pl

from recoup.core.schema import UTC_INSTANT

# Where a debtor with no zone, no usable phone and no region most plausibly lives. Ambiguous
# jurisdictions (US, EU) get a mid zone here; the compliance engine checks every candidate zone.
DEFAULT_ZONES: Final[dict[str, str]] = {
    "CN": "Asia/Shanghai",
    "US": "America/Chicago",
    "UK": "Europe/London",
    "EU": "Europe/Berlin",
}


def zone_column(frame: pl.DataFrame) -> pl.Expr:
    """The debtor's zone: its own `timezone`, else its jurisdiction's default."""
    default = pl.col("jurisdiction").str.slice(0, 2).replace_strict(DEFAULT_ZONES, default="UTC")
    if "timezone" in frame.columns:
        return pl.coalesce(pl.col("timezone"), default)
    return default


def local_to_utc(frame: pl.DataFrame, local: str, zone: str, out: str) -> pl.DataFrame:
    """Add column ``out``: the naive local datetimes in ``local`` read in each row's ``zone``, as UTC.

    Nonexistent local times (spring forward) move forward by the gap; ambiguous ones (fall back) take the
    earlier instant, which is the stricter choice for contact windows that end in the evening.
    """
    pieces = []
    for (name,), part in frame.with_row_index("_order").group_by(zone, maintain_order=True):
        converted = part.with_columns(
            pl.col(local)
            .dt.replace_time_zone(str(name), ambiguous="earliest", non_existent="null")
            .dt.convert_time_zone("UTC")
            .alias(out)
        )
        gap = converted.filter(pl.col(out).is_null() & pl.col(local).is_not_null())
        if not gap.is_empty():
            shifted = (pl.col(local) + pl.duration(hours=1)).dt.replace_time_zone(
                str(name), ambiguous="earliest"
            )
            converted = converted.with_columns(
                pl.when(pl.col(out).is_null() & pl.col(local).is_not_null())
                .then(shifted.dt.convert_time_zone("UTC"))
                .otherwise(pl.col(out))
                .alias(out)
            )
        pieces.append(converted)
    if not pieces:
        return frame.with_columns(pl.lit(None, dtype=UTC_INSTANT).alias(out))
    return pl.concat(pieces).sort("_order").drop("_order").with_columns(pl.col(out).cast(UTC_INSTANT))


def utc_offset_minutes(frame: pl.DataFrame, instant: str, zone: str, out: str) -> pl.DataFrame:
    """Add column ``out``: the UTC offset in minutes of each row's ``zone`` at ``instant``."""
    pieces = []
    for (name,), part in frame.with_row_index("_order").group_by(zone, maintain_order=True):
        local = pl.col(instant).dt.convert_time_zone(str(name))
        naive_local = local.dt.replace_time_zone(None)
        naive_utc = pl.col(instant).dt.replace_time_zone(None)
        pieces.append(
            part.with_columns(((naive_local - naive_utc).dt.total_minutes()).cast(pl.Int32).alias(out))
        )
    if not pieces:
        return frame.with_columns(pl.lit(None, dtype=pl.Int32).alias(out))
    return pl.concat(pieces).sort("_order").drop("_order")
