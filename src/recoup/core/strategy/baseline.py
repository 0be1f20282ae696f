"""The baseline dunning ladder: what a collection agency starts from before any optimisation.

By days past due: gentle reminders by SMS, email or IM in the first month; agent calls ranked by balance
from the second month; a letter every month and calls every few days from the fourth; legal review of
large balances after six months. No scores, no offers: it is the control that smarter strategies must beat.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import polars as pl

from recoup.core.accounts import COLLECTION_HOLDS
from recoup.core.schema import CANDIDATE_SCHEMA, conform

# What one action costs the agency, in minor units (CNY fen by default): measured per contact.
DEFAULT_CHANNEL_COSTS: dict[str, int] = {
    "sms": 5,
    "email": 1,
    "im": 2,
    "letter": 300,
    "call": 250,
    "visit": 8000,
    "legal_review": 20000,
    "offer": 5,
}


@dataclass(frozen=True, slots=True)
class BaselineConfig:
    reminder_every_days: int = 7
    call_from_dpd: int = 31
    call_every_days: int = 3
    letters_from_dpd: int = 91
    letter_every_days: int = 30
    legal_from_dpd: int = 181
    legal_min_balance: int = 500_000  # minor units: 5,000.00
    channel_costs: dict[str, int] = field(default_factory=lambda: dict(DEFAULT_CHANNEL_COSTS))
    name: str = "baseline"


def _usable(channel: str, reach: str) -> pl.Expr:
    consent = pl.col(f"consent_{channel}").fill_null(True)
    opted_out = pl.col("opted_out").fill_null("").str.contains(channel, literal=True)
    return pl.col(reach).fill_null(False) & consent & ~opted_out


def _message_channel() -> pl.Expr:
    return (
        pl.when(_usable("sms", "has_phone"))
        .then(pl.lit("sms"))
        .when(_usable("email", "has_email"))
        .then(pl.lit("email"))
        .when(_usable("im", "has_im"))
        .then(pl.lit("im"))
        .otherwise(pl.lit(None, dtype=pl.String))
    )


def _due(every: int) -> pl.Expr:
    since = pl.col("days_since_last_contact")
    return since.is_null() | (since >= every)


def _on_hold() -> pl.Expr:
    flags = pl.col("flags").fill_null("")
    held = pl.lit(False)
    for hold in sorted(COLLECTION_HOLDS):
        held = held | flags.str.contains(hold, literal=True)
    return held


def propose(inputs: pl.DataFrame, run_date: date, config: BaselineConfig | None = None) -> pl.DataFrame:
    """At most one candidate per account: the ladder's step for its days past due (CANDIDATE_SCHEMA)."""
    cfg = config or BaselineConfig()
    dpd = pl.col("dpd")
    message = _message_channel()
    can_call = _usable("call", "has_phone") & ~pl.col("flags").fill_null("").str.contains("vulnerable")
    letter_day = (dpd >= cfg.letters_from_dpd) & ((dpd - cfg.letters_from_dpd) % cfg.letter_every_days == 0)
    legal_day = (
        (dpd >= cfg.legal_from_dpd)
        & ((dpd - cfg.legal_from_dpd) % cfg.letter_every_days == 0)
        & (pl.col("balance") >= cfg.legal_min_balance)
    )
    action = (
        pl.when(
            _on_hold()
            | (pl.col("balance") <= 0)
            | (dpd <= 0)
            | pl.col("open_promise").fill_null(False)
            | pl.col("on_plan").fill_null(False)
        )
        .then(pl.lit(None, dtype=pl.String))
        .when(legal_day)
        .then(pl.lit("legal_review"))
        .when(letter_day & pl.col("has_address").fill_null(False))
        .then(pl.lit("letter"))
        .when((dpd >= cfg.call_from_dpd) & can_call & _due(cfg.call_every_days))
        .then(pl.lit("call"))
        .when(_due(cfg.reminder_every_days))
        .then(message)
        .otherwise(pl.lit(None, dtype=pl.String))
    )
    costs = pl.col("action").replace_strict(cfg.channel_costs, default=0, return_dtype=pl.Int64)
    message_action = pl.col("action").is_in(["sms", "email", "im", "letter"])
    candidates = (
        inputs.with_columns(action=action)
        .filter(pl.col("action").is_not_null())
        .with_columns(
            channel=pl.when(pl.col("action") == "legal_review")
            .then(pl.lit(None))
            .otherwise(pl.col("action")),
            template_id=pl.when(message_action).then(pl.concat_str([pl.lit("reminder_"), pl.col("action")])),
            tone=pl.lit("neutral"),
            offer_kind=pl.lit("none"),
            cost=costs,
            # The ladder ranks by balance: the biggest debts get the agents first.
            value=pl.col("balance").cast(pl.Float64),
            expected_recovery=pl.lit(None, dtype=pl.Int64),
            segment=pl.col("bucket"),
            strategy=pl.lit(cfg.name),
            variant=pl.lit("champion"),
            reasons=pl.concat_str([pl.lit("ladder:"), pl.col("bucket"), pl.lit(":"), pl.col("action")]),
        )
    )
    return conform(candidates, CANDIDATE_SCHEMA)


def within_capacity(candidates: pl.DataFrame, capacity: dict[str, int]) -> pl.DataFrame:
    """Keep, per capacity-limited action, the candidates of highest value up to its capacity."""
    ranked = candidates.with_columns(
        _rank=pl.col("value").rank("ordinal", descending=True).over("action"),
        _cap=pl.col("action").replace_strict(capacity, default=None, return_dtype=pl.Int64),
    )
    return ranked.filter(pl.col("_cap").is_null() | (pl.col("_rank") <= pl.col("_cap"))).drop("_rank", "_cap")
