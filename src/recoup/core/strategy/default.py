"""The default strategy: segments, treatment paths, offers and uplift turned into candidate actions.

`propose(inputs, run_date, config)` takes the day's decision inputs (DECISION_INPUT_SCHEMA) and returns
candidates (CANDIDATE_SCHEMA), zero or more per account:

1. segment every account and assign its experiment arm; accounts on hold and holdout accounts get
   nothing (the law requires no collection action of us);
2. pick each account's playbook: its arm's challenger playbook, else its creditor's, else the default;
3. every step of every path for the account's segment whose conditions hold becomes a candidate: days
   past due in the step's window, the wait since the last contact over, the bucket, balance band,
   debtor type and product filters met, no exit condition (open promise, on a plan, broken promise),
   the channel reachable, consented and not opted out, the weekly contact limit not reached; forbearance
   segments never get a firm tone, a visit or a legal review whatever the playbook says;
4. offers are sized within the creditor's guardrails (offers.py); an unaffordable plan is not offered;
5. expected recovery (30 days) = balance x clip((base + uplift) x scale, 0, 1), where base and uplift
   come from the uplift model for (segment, treatment) and scale = ability / segment anchor (capped);
   a settlement's is P(accept) x settlement amount. ``value`` = expected recovery minus what the
   account would pay anyway (base x scale x balance) minus the action's cost, in major units of the
   currency times ``value_per_major`` (1 by default: set it for portfolios in several currencies).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Final

import numpy as np
import polars as pl

from recoup.core.errors import ValidationError
from recoup.core.money import CURRENCY_EXPONENTS
from recoup.core.schema import CANDIDATE_SCHEMA, conform
from recoup.core.strategy.experiments import HOLDOUT, Experiment, assign_arms
from recoup.core.strategy.offers import (
    DEFAULT_ELASTICITY,
    affordable_amount,
    installment_terms,
    settlement_terms,
)
from recoup.core.strategy.paths import Filters, Playbook, Step, default_playbook
from recoup.core.strategy.segments import FORBEARANCE_SEGMENTS, HOLD, SegmentRules, segment_exprs
from recoup.core.strategy.uplift import MAX_SCALE, UpliftModel, cold_start

# Where a contact channel needs a contact point and, for the consented channels, a consent column.
_REACH: Final = {
    "sms": ("has_phone", "consent_sms"),
    "call": ("has_phone", "consent_call"),
    "email": ("has_email", "consent_email"),
    "im": ("has_im", "consent_im"),
    "letter": ("has_address", None),
    "visit": ("has_address", None),
}
_DEFAULT_KEY: Final = "*"


@dataclass(frozen=True, slots=True)
class StrategyConfig:
    """Everything `propose` needs besides the inputs: immutable, so a run can be replayed."""

    playbooks: Mapping[str, Playbook]  # champion playbook per creditor_id; "*" for everyone else
    uplift: UpliftModel
    segments: SegmentRules = field(default_factory=SegmentRules)
    experiment: Experiment | None = None
    elasticity: float = DEFAULT_ELASTICITY  # settlement acceptance per unit of discount (offers.py)
    value_per_major: Mapping[str, float] = field(default_factory=dict)  # currency -> reference units


def default_config(experiment: Experiment | None = None) -> StrategyConfig:
    """The shipped playbook and the cold-start uplift prior."""
    return StrategyConfig(
        playbooks={_DEFAULT_KEY: default_playbook()}, uplift=cold_start(), experiment=experiment
    )


def _refs(config: StrategyConfig) -> dict[str, Playbook]:
    refs = {
        f"creditor:{creditor}": book
        for creditor, book in config.playbooks.items()
        if creditor != _DEFAULT_KEY
    }
    if _DEFAULT_KEY in config.playbooks:
        refs[_DEFAULT_KEY] = config.playbooks[_DEFAULT_KEY]
    if config.experiment is not None:
        refs.update({f"arm:{a.name}": a.playbook for a in config.experiment.arms if a.playbook is not None})
    return refs


def _ref_expr(config: StrategyConfig) -> pl.Expr:
    creditors = [c for c in config.playbooks if c != _DEFAULT_KEY]
    fallback = pl.lit(_DEFAULT_KEY) if _DEFAULT_KEY in config.playbooks else pl.lit(None, dtype=pl.String)
    by_creditor = (
        pl.when(pl.col("creditor_id").is_in(creditors))
        .then(pl.concat_str([pl.lit("creditor:"), pl.col("creditor_id")]))
        .otherwise(fallback)
    )
    arms = [a.name for a in config.experiment.arms if a.playbook is not None] if config.experiment else []
    if not arms:
        return by_creditor
    return (
        pl.when(pl.col("variant").is_in(arms))
        .then(pl.concat_str([pl.lit("arm:"), pl.col("variant")]))
        .otherwise(by_creditor)
    )


def _merge(path: tuple[str, ...] | None, step: tuple[str, ...] | None) -> list[str] | None:
    if path is None:
        return None if step is None else list(step)
    return list(path) if step is None else [item for item in path if item in step]


def _step_row(
    ref: str, book: Playbook, path_id: str, path_when: Filters, exits: set[str], step: Step
) -> dict[str, Any]:
    cap_pct = book.guardrails.max_discount_pct
    if step.offer.max_discount_pct is not None:
        cap_pct = min(cap_pct, step.offer.max_discount_pct)
    every = exits | set(step.exit_when)
    return {
        "_ref": ref,
        "strategy": book.label,
        "path_id": path_id,
        "step_id": step.id,
        "action": step.action,
        "channel": step.channel,
        "template_id": step.template,
        "tone": step.tone,
        "dpd_from": step.dpd_from,
        "dpd_to": step.dpd_to,
        "wait_days": step.wait_days,
        "offer_kind": step.offer.kind,
        "max_discount_bp": cap_pct * 100,
        "f_buckets": _merge(path_when.buckets, step.when.buckets),
        "f_bands": _merge(path_when.balance_bands, step.when.balance_bands),
        "f_types": _merge(path_when.debtor_types, step.when.debtor_types),
        "f_products": _merge(path_when.products, step.when.products),
        "exit_open_promise": "open_promise" in every,
        "exit_on_plan": "on_plan" in every,
        "exit_broken_promise": "broken_promise" in every,
    }


_STEP_SCHEMA: Final[dict[str, pl.DataType]] = {
    "_ref": pl.String(),
    "segment": pl.String(),
    "strategy": pl.String(),
    "path_id": pl.String(),
    "step_id": pl.String(),
    "action": pl.String(),
    "channel": pl.String(),
    "template_id": pl.String(),
    "tone": pl.String(),
    "dpd_from": pl.Int64(),
    "dpd_to": pl.Int64(),
    "wait_days": pl.Int64(),
    "offer_kind": pl.String(),
    "max_discount_bp": pl.Int64(),
    "f_buckets": pl.List(pl.String()),
    "f_bands": pl.List(pl.String()),
    "f_types": pl.List(pl.String()),
    "f_products": pl.List(pl.String()),
    "exit_open_promise": pl.Boolean(),
    "exit_on_plan": pl.Boolean(),
    "exit_broken_promise": pl.Boolean(),
}


def steps_frame(refs: Mapping[str, Playbook]) -> pl.DataFrame:
    """One row per (playbook reference, segment, path step)."""
    rows = [
        {**_step_row(ref, book, path.id, path.when, set(path.exit_when), step), "segment": segment}
        for ref, book in refs.items()
        for path in book.paths
        for step in path.steps
        for segment in path.segments
    ]
    return pl.DataFrame(rows, schema=_STEP_SCHEMA)


def _terms_frame(refs: Mapping[str, Playbook]) -> pl.DataFrame:
    """Per (playbook reference, currency): guardrails and the cost of each cost key."""
    rows = [
        {
            "_ref": ref,
            "currency": currency,
            "cost_key": key,
            "cost": cost,
            "min_installment": book.guardrails.min_installment.get(currency),
            "max_installments": book.guardrails.max_installments,
            "valid_days": book.guardrails.offer_valid_days,
            "affordability_pct": book.guardrails.affordability_pct,
            "max_contacts_7d": book.max_contacts_7d,
        }
        for ref, book in refs.items()
        for currency, costs in book.costs.items()
        for key, cost in costs.items()
    ]
    schema: dict[str, pl.DataType] = {
        "_ref": pl.String(),
        "currency": pl.String(),
        "cost_key": pl.String(),
        "cost": pl.Int64(),
        "min_installment": pl.Int64(),
        "max_installments": pl.Int64(),
        "valid_days": pl.Int64(),
        "affordability_pct": pl.Int64(),
        "max_contacts_7d": pl.Int64(),
    }
    return pl.DataFrame(rows, schema=schema)


def _channel_open(channel: str) -> pl.Expr:
    reach, consent = _REACH[channel]
    opted_out = pl.col("opted_out").fill_null("").str.split(";").list.contains(channel)
    usable = pl.col(reach).fill_null(False) & ~opted_out
    return usable & pl.col(consent).fill_null(True) if consent else usable


def _accounts(inputs: pl.DataFrame, config: StrategyConfig) -> pl.DataFrame:
    """Accounts eligible for collection today, with segment, arm, playbook reference and channel flags."""
    segmented = inputs.with_columns(
        **segment_exprs(inputs.columns, config.segments), variant=assign_arms(inputs, config.experiment)
    )
    eligible = segmented.filter((pl.col("segment") != HOLD) & (pl.col("variant") != HOLDOUT)).with_columns(
        _ref=_ref_expr(config)
    )
    unmatched = eligible.filter(pl.col("_ref").is_null())
    if unmatched.height:
        creditors = sorted(set(unmatched.get_column("creditor_id").to_list()))
        raise ValidationError(
            f"no playbook for creditors {creditors} and no default ('*')", field="creditor_id"
        )
    obligations = pl.col("obligations_monthly") if "obligations_monthly" in inputs.columns else pl.lit(0)
    return eligible.select(
        "account_key",
        "currency",
        "balance",
        "dpd",
        "bucket",
        "debtor_type",
        "product",
        "segment",
        "balance_band",
        "variant",
        "_ref",
        "income_monthly",
        "ability_score",
        "days_since_last_contact",
        "contacts_7d",
        obligations=obligations.fill_null(0).cast(pl.Int64),
        open_promise=pl.col("open_promise").fill_null(False),
        on_plan=pl.col("on_plan").fill_null(False),
        broken=pl.col("broken_promises_60d").fill_null(0) > 0,
        **{f"open_{channel}": _channel_open(channel) for channel in _REACH},
    )


def _allowed(channel: pl.Expr) -> pl.Expr:
    """No channel (a legal review) needs no contact point; a contact channel must be open."""
    by_channel = pl.coalesce(*(pl.when(channel == name).then(pl.col(f"open_{name}")) for name in _REACH))
    return pl.when(channel.is_null()).then(pl.lit(True)).otherwise(by_channel.fill_null(False))


def _matches(column: str, allowed: str) -> pl.Expr:
    return pl.col(allowed).is_null() | pl.col(allowed).list.contains(pl.col(column)).fill_null(False)


def _step_applies() -> pl.Expr:
    dpd, since = pl.col("dpd"), pl.col("days_since_last_contact")
    is_contact = pl.col("channel").is_not_null()
    forbearance = pl.col("segment").is_in(list(FORBEARANCE_SEGMENTS))
    return (
        (dpd >= pl.col("dpd_from"))
        & (pl.col("dpd_to").is_null() | (dpd <= pl.col("dpd_to")))
        & (since.is_null() | (since >= pl.col("wait_days")))
        & _matches("bucket", "f_buckets")
        & _matches("balance_band", "f_bands")
        & _matches("debtor_type", "f_types")
        & _matches("product", "f_products")
        & ~(pl.col("exit_open_promise") & pl.col("open_promise"))
        & ~(pl.col("exit_on_plan") & pl.col("on_plan"))
        & ~(pl.col("exit_broken_promise") & pl.col("broken"))
        & _allowed(pl.col("channel"))
        & ~(forbearance & ((pl.col("tone") == "firm") | pl.col("action").is_in(["visit", "legal_review"])))
        & (
            ~is_contact
            | pl.col("max_contacts_7d").is_null()
            | (pl.col("contacts_7d").fill_null(0) < pl.col("max_contacts_7d"))
        )
    )


def _with_terms(rows: pl.DataFrame, refs: Mapping[str, Playbook]) -> pl.DataFrame:
    terms = _terms_frame(refs)
    cost_key = (
        pl.when(pl.col("action") == "legal_review").then(pl.lit("legal_review")).otherwise(pl.col("channel"))
    )
    joined = rows.with_columns(cost_key=cost_key).join(terms, on=["_ref", "currency", "cost_key"], how="left")
    missing = joined.filter(pl.col("cost").is_null())
    if missing.height:
        pairs = missing.select("_ref", "currency").unique().sort("_ref", "currency").rows()
        named = ", ".join(f"{refs[ref].label} has no costs for {currency}" for ref, currency in pairs)
        raise ValidationError(f"playbook currency missing: {named}", field="currency")
    return joined


def _int(frame: pl.DataFrame, column: str, fill: int = 0) -> np.ndarray[Any, np.dtype[np.int64]]:
    return frame.get_column(column).fill_null(fill).cast(pl.Int64).to_numpy().astype(np.int64)


def _installments(rows: pl.DataFrame) -> pl.DataFrame:
    if rows.height == 0:
        return rows.with_columns(offer_installments=pl.lit(None, dtype=pl.Int64))
    affordable = affordable_amount(
        _int(rows, "income_monthly", -1), _int(rows, "obligations"), _int(rows, "affordability_pct")
    )
    count, offered = installment_terms(
        _int(rows, "balance"),
        affordable,
        rows.get_column("ability_score").cast(pl.Float64).fill_null(float("nan")).to_numpy(),
        _int(rows, "max_installments", 1),
        _int(rows, "min_installment", 1),
    )
    return rows.with_columns(offer_installments=pl.Series(count)).filter(pl.Series(offered))


def _settlements(rows: pl.DataFrame, elasticity: float) -> pl.DataFrame:
    if rows.height == 0:
        return rows.with_columns(
            offer_amount=pl.lit(None, dtype=pl.Int64),
            discount_bp=pl.lit(None, dtype=pl.Int64),
            p_accept=pl.lit(None, dtype=pl.Float64),
        )
    amount, discount, accept = settlement_terms(
        _int(rows, "balance"),
        rows.get_column("rate").to_numpy(),
        _int(rows, "max_discount_bp"),
        elasticity,
    )
    return rows.with_columns(
        offer_amount=pl.Series(amount), discount_bp=pl.Series(discount), p_accept=pl.Series(accept)
    )


def _treatment() -> pl.Expr:
    return (
        pl.when(pl.col("action") == "offer")
        .then(pl.concat_str([pl.lit("offer_"), pl.col("offer_kind")]))
        .otherwise(pl.col("action"))
    )


def _expected(rows: pl.DataFrame, config: StrategyConfig) -> pl.DataFrame:
    looked_up = config.uplift.lookup(rows.with_columns(treatment=_treatment()))
    scale = (
        pl.col("ability_score").fill_null(pl.col("anchor_ability")).fill_nan(pl.col("anchor_ability"))
        / pl.col("anchor_ability")
    ).clip(0.0, MAX_SCALE)
    return looked_up.with_columns(
        rate=((pl.col("base_rate") + pl.col("uplift")) * scale).clip(0.0, 1.0),
        anyway=pl.col("base_rate") * scale * pl.col("balance"),
    )


def _offers(rows: pl.DataFrame, config: StrategyConfig) -> pl.DataFrame:
    kind = pl.col("offer_kind")
    plain = rows.filter(kind == "none").with_columns(
        offer_amount=pl.lit(None, dtype=pl.Int64),
        offer_installments=pl.lit(None, dtype=pl.Int64),
        expected=(pl.col("rate") * pl.col("balance")).round().cast(pl.Int64),
        offer_reason=pl.lit(None, dtype=pl.String),
    )
    plans = _installments(rows.filter(kind == "installment")).with_columns(
        offer_amount=pl.col("balance"),
        expected=(pl.col("rate") * pl.col("balance")).round().cast(pl.Int64),
        offer_reason=pl.concat_str(
            [pl.lit("offer:installment:"), pl.col("offer_installments").cast(pl.String)]
        ),
    )
    settlements = (
        _settlements(rows.filter(kind == "settlement"), config.elasticity)
        .with_columns(
            offer_installments=pl.lit(1, dtype=pl.Int64),
            expected=(pl.col("p_accept") * pl.col("offer_amount")).round().cast(pl.Int64),
            offer_reason=pl.concat_str(
                [pl.lit("offer:settlement:"), (pl.col("discount_bp") // 100).cast(pl.String), pl.lit("pct")]
            ),
        )
        .drop("discount_bp", "p_accept")
    )
    return pl.concat([plain, plans, settlements], how="diagonal_relaxed")


def _value(config: StrategyConfig) -> pl.Expr:
    digits = pl.col("currency").replace_strict(CURRENCY_EXPONENTS, default=2, return_dtype=pl.Int64)
    per_major = pl.col("currency").replace_strict(
        dict(config.value_per_major), default=1.0, return_dtype=pl.Float64
    )
    net_minor = pl.col("expected").cast(pl.Float64) - pl.col("anyway") - pl.col("cost").cast(pl.Float64)
    return net_minor / pl.lit(10.0).pow(digits) * per_major


def propose(inputs: pl.DataFrame, run_date: date, config: StrategyConfig | None = None) -> pl.DataFrame:
    """Candidate actions for the day (CANDIDATE_SCHEMA), sorted by account_key, action, channel, step."""
    config = config or default_config()
    refs = _refs(config)
    accounts = _accounts(inputs, config)
    rows = accounts.join(steps_frame(refs), on=["_ref", "segment"], how="inner")
    rows = _with_terms(rows, refs).filter(_step_applies())
    rows = _offers(_expected(rows, config), config)
    reasons = pl.concat_str(
        [
            pl.lit("seg:"),
            pl.col("segment"),
            pl.lit(";band:"),
            pl.col("balance_band").fill_null("unknown"),
            pl.lit(";path:"),
            pl.col("path_id"),
            pl.lit(";step:"),
            pl.col("step_id"),
            pl.when(pl.col("offer_reason").is_not_null())
            .then(pl.lit(";") + pl.col("offer_reason"))
            .otherwise(pl.lit("")),
        ]
    )
    expires = pl.when(pl.col("offer_kind") != "none").then(
        pl.lit(run_date) + pl.duration(days=pl.col("valid_days"))
    )
    candidates = rows.with_columns(
        expected_recovery=pl.col("expected"),
        value=_value(config),
        offer_expires_on=expires.cast(pl.Date),
        reasons=reasons,
    ).sort("account_key", "action", "channel", "step_id", nulls_last=True)
    return conform(candidates, CANDIDATE_SCHEMA)
