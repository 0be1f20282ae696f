"""Segments: the ability x willingness grid, crossed with holds, vulnerability and balance bands.

Every account lands in exactly one segment:

- ``hold``: a collection hold (cease, bankrupt, deceased, attorney, dispute), a recalled or paid account;
  no collection action at all;
- ``vulnerable``: the forbearance path only (CONC 7.3, EU 2023/2225 art. 35): empathetic, no pressure;
- otherwise the grid cell: ``able_willing`` (remind gently), ``able_unwilling`` (firm, escalating within
  the law), ``unable_willing`` (hardship plan and forbearance), ``unable_unwilling`` (low-cost contact,
  legal review).

An unknown ability counts as unable and an unknown willingness as willing: without a score the account
gets the gentler treatment. The balance band (small / medium / large, edges in major units of the
account's currency) and the bucket and debtor type refine which path steps apply (see paths.py).

`segment_of` (one account) and `assign_segments` (a frame) implement the same rule; a property test
proves they agree. When several holds apply, ``hold_reason`` names the first in the flags text (sorted
by the importer).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

import polars as pl

from recoup.core.accounts import COLLECTION_HOLDS, split_set
from recoup.core.money import CURRENCY_EXPONENTS

GRID_SEGMENTS: Final = ("able_willing", "able_unwilling", "unable_willing", "unable_unwilling")
HOLD: Final = "hold"
VULNERABLE: Final = "vulnerable"
SEGMENTS: Final = (HOLD, VULNERABLE, *GRID_SEGMENTS)
# Segments that may only receive forbearance: empathetic tone, no visits, no legal review.
FORBEARANCE_SEGMENTS: Final = frozenset({VULNERABLE, "unable_willing"})
BALANCE_BANDS: Final = ("small", "medium", "large")
HOLD_ORDER: Final = tuple(sorted(COLLECTION_HOLDS))


@dataclass(frozen=True, slots=True)
class SegmentRules:
    """Thresholds of the grid and the balance bands (band edges in major units of each currency)."""

    ability_threshold: float = 0.5
    willingness_threshold: float = 0.5
    medium_from_major: int = 1_000
    large_from_major: int = 10_000

    def __post_init__(self) -> None:
        if not (0.0 < self.ability_threshold < 1.0 and 0.0 < self.willingness_threshold < 1.0):
            raise ValueError("segment thresholds must lie strictly between 0 and 1")
        if not 0 < self.medium_from_major < self.large_from_major:
            raise ValueError("balance band edges must satisfy 0 < medium < large")


@dataclass(frozen=True, slots=True)
class Segment:
    name: str
    hold_reason: str | None
    balance_band: str | None


def _grid_cell(able: bool, willing: bool) -> str:
    return f"{'able' if able else 'unable'}_{'willing' if willing else 'unwilling'}"


def _band(balance: int, currency: str, rules: SegmentRules) -> str | None:
    digits = CURRENCY_EXPONENTS.get(currency)
    if digits is None:
        return None
    scale = 10**digits
    if balance >= rules.large_from_major * scale:
        return "large"
    return "medium" if balance >= rules.medium_from_major * scale else "small"


def _hold_reason(flags: str | None, status: str, balance: int) -> str | None:
    held = next((flag for flag in (flags or "").split(";") if flag in COLLECTION_HOLDS), None)
    if held is not None:
        return held
    if status != "active":
        return status
    return "paid" if balance <= 0 else None


def segment_of(
    *,
    ability: float | None,
    willingness: float | None,
    flags: str | None,
    balance: int,
    currency: str,
    status: str = "active",
    rules: SegmentRules | None = None,
) -> Segment:
    """The segment of one account (the single-account twin of `assign_segments`)."""
    rules = rules or SegmentRules()
    flag_set = split_set(flags)
    band = _band(balance, currency, rules)
    reason = _hold_reason(flags, status, balance)
    if reason is not None:
        return Segment(HOLD, reason, band)
    if "vulnerable" in flag_set:
        return Segment(VULNERABLE, None, band)
    able = ability is not None and ability >= rules.ability_threshold
    willing = willingness is None or willingness >= rules.willingness_threshold
    return Segment(_grid_cell(able, willing), None, band)


def has_item(column: str, item: str) -> pl.Expr:
    """Whether the ';'-separated set in ``column`` holds ``item`` (a regex: cheaper than splitting)."""
    return pl.col(column).fill_null("").str.contains(f"(?:^|;){re.escape(item)}(?:;|$)")


def _band_expr(rules: SegmentRules) -> pl.Expr:
    scales = {currency: 10**digits for currency, digits in CURRENCY_EXPONENTS.items()}
    scale = pl.col("currency").replace_strict(scales, default=None, return_dtype=pl.Int64)
    balance = pl.col("balance")
    return (
        pl.when(scale.is_null())
        .then(pl.lit(None, dtype=pl.String))
        .when(balance >= scale * rules.large_from_major)
        .then(pl.lit("large"))
        .when(balance >= scale * rules.medium_from_major)
        .then(pl.lit("medium"))
        .otherwise(pl.lit("small"))
    )


def _hold_reason_expr(columns: list[str]) -> pl.Expr:
    """The first hold flag in the text (one regex pass), else a non-active status, else "paid"."""
    status = pl.col("status").fill_null("active") if "status" in columns else pl.lit("active")
    first_hold = pl.col("flags").fill_null("").str.extract(f"(?:^|;)({'|'.join(HOLD_ORDER)})(?:;|$)", 1)
    return pl.coalesce(
        first_hold,
        pl.when(status != "active").then(status),
        pl.when(pl.col("balance") <= 0).then(pl.lit("paid")),
    )


def _segment_expr(rules: SegmentRules) -> pl.Expr:
    able = pl.col("ability_score").fill_null(0.0) >= rules.ability_threshold
    willing = pl.col("willingness_score").fill_null(1.0) >= rules.willingness_threshold
    grid = (
        pl.when(able & willing)
        .then(pl.lit("able_willing"))
        .when(able)
        .then(pl.lit("able_unwilling"))
        .when(willing)
        .then(pl.lit("unable_willing"))
        .otherwise(pl.lit("unable_unwilling"))
    )
    return (
        pl.when(pl.col("hold_reason").is_not_null())
        .then(pl.lit(HOLD))
        .when(has_item("flags", VULNERABLE))
        .then(pl.lit(VULNERABLE))
        .otherwise(grid)
    )


def assign_segments(inputs: pl.DataFrame, rules: SegmentRules | None = None) -> pl.DataFrame:
    """``inputs`` (DECISION_INPUT_SCHEMA) with ``segment``, ``hold_reason`` and ``balance_band`` added.

    A ``status`` column, when present, puts non-active accounts on hold.
    """
    rules = rules or SegmentRules()
    with_reason = inputs.with_columns(
        hold_reason=_hold_reason_expr(inputs.columns), balance_band=_band_expr(rules)
    )
    return with_reason.with_columns(segment=_segment_expr(rules))
