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
proves they agree.
"""

from __future__ import annotations

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


def _hold_reason(flags: frozenset[str], status: str, balance: int) -> str | None:
    held = [flag for flag in HOLD_ORDER if flag in flags]
    if held:
        return held[0]
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
    reason = _hold_reason(flag_set, status, balance)
    if reason is not None:
        return Segment(HOLD, reason, band)
    if "vulnerable" in flag_set:
        return Segment(VULNERABLE, None, band)
    able = ability is not None and ability >= rules.ability_threshold
    willing = willingness is None or willingness >= rules.willingness_threshold
    return Segment(_grid_cell(able, willing), None, band)


def _flag_list() -> pl.Expr:
    return pl.col("flags").fill_null("").str.split(";")


def _band_expr(rules: SegmentRules) -> pl.Expr:
    digits = pl.col("currency").replace_strict(CURRENCY_EXPONENTS, default=None, return_dtype=pl.Int64)
    scale = pl.lit(10, dtype=pl.Int64).pow(digits)
    balance = pl.col("balance")
    return (
        pl.when(digits.is_null())
        .then(pl.lit(None, dtype=pl.String))
        .when(balance >= scale * rules.large_from_major)
        .then(pl.lit("large"))
        .when(balance >= scale * rules.medium_from_major)
        .then(pl.lit("medium"))
        .otherwise(pl.lit("small"))
    )


def segment_exprs(columns: list[str], rules: SegmentRules | None = None) -> dict[str, pl.Expr]:
    """Expressions for ``segment``, ``hold_reason`` and ``balance_band`` over a decision-input frame.

    ``columns`` are the frame's columns: a ``status`` column, when present, holds non-active accounts.
    """
    rules = rules or SegmentRules()
    status = pl.col("status").fill_null("active") if "status" in columns else pl.lit("active")
    hold_reason = pl.coalesce(
        _hold_reason_by_flag(),
        pl.when(status != "active").then(status),
        pl.when(pl.col("balance") <= 0).then(pl.lit("paid")),
    )
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
    segment = (
        pl.when(hold_reason.is_not_null())
        .then(pl.lit(HOLD))
        .when(_flag_list().list.contains(VULNERABLE))
        .then(pl.lit(VULNERABLE))
        .otherwise(grid)
    )
    return {"segment": segment, "hold_reason": hold_reason, "balance_band": _band_expr(rules)}


def _hold_reason_by_flag() -> pl.Expr:
    flags = _flag_list()
    return pl.coalesce(*(pl.when(flags.list.contains(flag)).then(pl.lit(flag)) for flag in HOLD_ORDER))


def assign_segments(inputs: pl.DataFrame, rules: SegmentRules | None = None) -> pl.DataFrame:
    """``inputs`` (DECISION_INPUT_SCHEMA) with ``segment``, ``hold_reason`` and ``balance_band`` added."""
    return inputs.with_columns(**segment_exprs(inputs.columns, rules))
