"""Uplift: how much more an action recovers in 30 days than doing nothing, per (segment, treatment).

Learned from experiment data: past actions and holdout accounts with the amount each recovered within
30 days. The outcome of one account is its recovery rate, recovered / balance, clipped to [0, 1].

Per segment the holdout rate (what is recovered without any action) and per (segment, treatment) the
uplift (treated rate minus holdout rate) are shrunk toward a prior with the normal-normal posterior mean:

    estimate = prior + w x (observed - prior),   w = tau^2 / (tau^2 + se^2)

where se^2 is the sampling variance of the observed value (treated and holdout variances over their
counts) and tau the prior's standard deviation. Variances are themselves pooled with a prior variance
(``var_pseudo_n`` pseudo-observations), so two identical outcomes never look certain. With no holdout
or no treated account the weight is 0 and the prior stands; with thousands of accounts the data speak.

The cold-start prior is documented in docs/strategy.md: base rates per segment and uplifts per treatment
scaled by a segment's responsiveness. They are round-number assumptions of the right order for consumer
collections, not measurements; run a holdout and refit to replace them.

Within a segment, the scores individualise the rates: an account's rates are multiplied by
ability / anchor, where anchor is the segment's mean ability (from the data, shrunk toward the prior's),
capped at ``MAX_SCALE``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Final

import polars as pl

from recoup.core.strategy.segments import GRID_SEGMENTS, VULNERABLE

HOLDOUT: Final = "holdout"
TREATMENTS: Final = (
    "sms",
    "email",
    "im",
    "letter",
    "call",
    "visit",
    "legal_review",
    "offer_installment",
    "offer_settlement",
)
MAX_SCALE: Final = 2.0

# The frame `fit_uplift` learns from: one row per account and experiment exposure.
HISTORY_SCHEMA: Final[dict[str, pl.DataType]] = {
    "segment": pl.String(),
    "variant": pl.String(),  # "holdout" rows had no collection action
    "action": pl.String(),  # null for holdout rows
    "offer_kind": pl.String(),
    "balance": pl.Int64(),  # at the time of the action, minor units
    "recovered_30d": pl.Int64(),  # collected within 30 days after it, minor units
    "ability_score": pl.Float64(),  # optional: anchors the per-account scaling
}


def _default_base() -> dict[str, float]:
    return {
        "able_willing": 0.20,
        "able_unwilling": 0.06,
        "unable_willing": 0.05,
        "unable_unwilling": 0.01,
        VULNERABLE: 0.02,
    }


def _default_uplift() -> dict[str, float]:
    return {
        "sms": 0.010,
        "email": 0.004,
        "im": 0.012,
        "letter": 0.012,
        "call": 0.035,
        "visit": 0.060,
        "legal_review": 0.010,
        "offer_installment": 0.040,
        "offer_settlement": 0.060,
    }


def _default_responsiveness() -> dict[str, float]:
    return {
        "able_willing": 0.8,
        "able_unwilling": 1.0,
        "unable_willing": 0.6,
        "unable_unwilling": 0.3,
        VULNERABLE: 0.4,
    }


def _default_anchor() -> dict[str, float]:
    return {
        "able_willing": 0.75,
        "able_unwilling": 0.70,
        "unable_willing": 0.30,
        "unable_unwilling": 0.25,
        VULNERABLE: 0.40,
    }


@dataclass(frozen=True, slots=True)
class UpliftPrior:
    """The cold-start beliefs (rates are fractions of the balance recovered within 30 days)."""

    base_rate: dict[str, float] = field(default_factory=_default_base)
    treatment_uplift: dict[str, float] = field(default_factory=_default_uplift)
    responsiveness: dict[str, float] = field(default_factory=_default_responsiveness)
    anchor_ability: dict[str, float] = field(default_factory=_default_anchor)
    default_base_rate: float = 0.02
    default_responsiveness: float = 0.5
    default_anchor: float = 0.5
    uplift_sd: float = 0.02  # tau of a (segment, treatment) uplift
    base_sd: float = 0.05  # tau of a segment's holdout rate
    outcome_var: float = 0.05  # prior per-account variance of the recovery rate
    var_pseudo_n: float = 10.0
    anchor_pseudo_n: float = 50.0

    def segments(self) -> tuple[str, ...]:
        known = (*GRID_SEGMENTS, VULNERABLE)
        return known + tuple(sorted(set(self.base_rate) - set(known)))

    def uplift(self, segment: str, treatment: str) -> float:
        response = self.responsiveness.get(segment, self.default_responsiveness)
        return self.treatment_uplift.get(treatment, 0.0) * response

    def base(self, segment: str) -> float:
        return self.base_rate.get(segment, self.default_base_rate)

    def anchor(self, segment: str) -> float:
        return self.anchor_ability.get(segment, self.default_anchor)


DEFAULT_PRIOR: Final = UpliftPrior()


@dataclass(frozen=True, slots=True)
class UpliftModel:
    """Per segment: ``bases`` (base_rate, anchor_ability); per (segment, treatment): ``uplifts``."""

    bases: pl.DataFrame
    uplifts: pl.DataFrame
    prior: UpliftPrior

    def lookup(self, frame: pl.DataFrame) -> pl.DataFrame:
        """``frame`` (with segment, treatment) joined with base_rate, anchor_ability and uplift.

        A segment or treatment the model has never seen gets the prior's defaults and zero uplift.
        """
        joined = frame.join(
            self.bases.select("segment", "base_rate", "anchor_ability"), on="segment", how="left"
        )
        joined = joined.join(
            self.uplifts.select("segment", "treatment", "uplift"), on=["segment", "treatment"], how="left"
        )
        return joined.with_columns(
            base_rate=pl.col("base_rate").fill_null(self.prior.default_base_rate),
            anchor_ability=pl.col("anchor_ability").fill_null(self.prior.default_anchor),
            uplift=pl.col("uplift").fill_null(0.0),
        )


def treatment_expr() -> pl.Expr:
    """The uplift key of a row: ``holdout``, an action, or ``offer_<kind>`` for offers."""
    return (
        pl.when(pl.col("variant") == HOLDOUT)
        .then(pl.lit(HOLDOUT))
        .when(pl.col("action") == "offer")
        .then(pl.concat_str([pl.lit("offer_"), pl.col("offer_kind").fill_null("none")]))
        .otherwise(pl.col("action"))
    )


def _prior_frames(prior: UpliftPrior, segments: list[str]) -> tuple[pl.DataFrame, pl.DataFrame]:
    bases = pl.DataFrame(
        {
            "segment": segments,
            "prior_base": [prior.base(s) for s in segments],
            "prior_anchor": [prior.anchor(s) for s in segments],
        }
    )
    pairs = [(s, t) for s in segments for t in TREATMENTS]
    uplifts = pl.DataFrame(
        {
            "segment": [s for s, _ in pairs],
            "treatment": [t for _, t in pairs],
            "prior_uplift": [prior.uplift(s, t) for s, t in pairs],
        }
    )
    return bases, uplifts


def _pooled_var(n: pl.Expr, var: pl.Expr, prior: UpliftPrior) -> pl.Expr:
    """Sample variance pooled with the prior variance: never zero, and the prior's when n < 2."""
    dof = (n - 1).clip(lower_bound=0).cast(pl.Float64)
    return (dof * var.fill_null(0.0) + prior.var_pseudo_n * prior.outcome_var) / (dof + prior.var_pseudo_n)


def _shrink(prior_value: pl.Expr, observed: pl.Expr, sampling_var: pl.Expr, tau: float) -> pl.Expr:
    weight = tau**2 / (tau**2 + sampling_var)
    return prior_value + weight.fill_null(0.0) * (observed - prior_value).fill_null(0.0)


def fit_uplift(history: pl.DataFrame, prior: UpliftPrior = DEFAULT_PRIOR) -> UpliftModel:
    """Fit per-segment base rates and per-(segment, treatment) uplifts from ``history`` (HISTORY_SCHEMA)."""
    rows = history.filter(pl.col("balance") > 0).with_columns(
        treatment=treatment_expr(),
        rate=(pl.col("recovered_30d").cast(pl.Float64) / pl.col("balance")).clip(0.0, 1.0),
    )
    if "ability_score" not in rows.columns:
        rows = rows.with_columns(ability_score=pl.lit(None, dtype=pl.Float64))
    segments = sorted(set(prior.segments()) | set(rows.get_column("segment").drop_nulls().to_list()))
    prior_bases, prior_uplifts = _prior_frames(prior, segments)

    stats = rows.group_by("segment", "treatment").agg(
        n=pl.len(), mean=pl.col("rate").mean(), var=pl.col("rate").var(ddof=1)
    )
    holdout = stats.filter(pl.col("treatment") == HOLDOUT).select(
        "segment",
        n_holdout="n",
        holdout_rate="mean",
        holdout_var=_pooled_var(pl.col("n"), pl.col("var"), prior),
    )
    anchors = rows.group_by("segment").agg(
        ability_sum=pl.col("ability_score").sum(), ability_n=pl.col("ability_score").count()
    )
    bases = (
        prior_bases.join(holdout, on="segment", how="left")
        .join(anchors, on="segment", how="left")
        .with_columns(n_holdout=pl.col("n_holdout").fill_null(0))
        .with_columns(
            base_rate=_shrink(
                pl.col("prior_base"),
                pl.col("holdout_rate"),
                pl.col("holdout_var") / pl.col("n_holdout"),
                prior.base_sd,
            ),
            anchor_ability=(
                pl.col("ability_sum").fill_null(0.0) + prior.anchor_pseudo_n * pl.col("prior_anchor")
            )
            / (pl.col("ability_n").fill_null(0) + prior.anchor_pseudo_n),
        )
        .select("segment", "n_holdout", "holdout_rate", "prior_base", "base_rate", "anchor_ability")
        .sort("segment")
    )
    treated = stats.filter(pl.col("treatment") != HOLDOUT).select(
        "segment",
        "treatment",
        n_treated="n",
        treated_rate="mean",
        treated_var=_pooled_var(pl.col("n"), pl.col("var"), prior),
    )
    sampling_var = pl.col("treated_var") / pl.col("n_treated") + pl.col("holdout_var") / pl.col("n_holdout")
    uplifts = (
        prior_uplifts.join(treated, on=["segment", "treatment"], how="full", coalesce=True)
        .join(holdout.select("segment", "holdout_rate", "holdout_var", "n_holdout"), on="segment", how="left")
        .with_columns(
            prior_uplift=pl.col("prior_uplift").fill_null(0.0),
            n_treated=pl.col("n_treated").fill_null(0),
            n_holdout=pl.col("n_holdout").fill_null(0),
            raw_uplift=pl.col("treated_rate") - pl.col("holdout_rate"),
        )
        .with_columns(
            weight=(prior.uplift_sd**2 / (prior.uplift_sd**2 + sampling_var)).fill_null(0.0),
            uplift=_shrink(pl.col("prior_uplift"), pl.col("raw_uplift"), sampling_var, prior.uplift_sd),
            posterior_sd=(
                (prior.uplift_sd**2 * sampling_var / (prior.uplift_sd**2 + sampling_var)).sqrt()
            ).fill_null(prior.uplift_sd),
        )
        .select(
            "segment",
            "treatment",
            "n_treated",
            "n_holdout",
            "raw_uplift",
            "prior_uplift",
            "weight",
            "uplift",
            "posterior_sd",
        )
        .sort("segment", "treatment")
    )
    return UpliftModel(bases=bases, uplifts=uplifts, prior=prior)


def cold_start(prior: UpliftPrior = DEFAULT_PRIOR) -> UpliftModel:
    """The model before any experiment data: the prior itself."""
    return fit_uplift(pl.DataFrame(schema=HISTORY_SCHEMA), prior)


HORIZON_DAYS: Final = 30
# The exposures `uplift_history` reads: treated actions and holdout exposures alike.
EXPOSURE_SCHEMA: Final[dict[str, pl.DataType]] = {
    "account_key": pl.Int64(),
    "run_date": pl.Date(),
    "segment": pl.String(),
    "variant": pl.String(),
    "action": pl.String(),
    "offer_kind": pl.String(),
    "balance": pl.Int64(),
    "ability_score": pl.Float64(),
}


def uplift_history(exposures: pl.DataFrame, payments: pl.DataFrame, as_of: date) -> pl.DataFrame:
    """HISTORY_SCHEMA rows from stored exposures (EXPOSURE_SCHEMA) whose 30-day window ended by ``as_of``,
    each with what its account paid in the 30 days after it (``payments``: account_key, local_date,
    amount). Payments on the day of the exposure itself came before the contact and do not count."""
    matured = exposures.filter(
        pl.col("run_date") + pl.duration(days=HORIZON_DAYS) <= pl.lit(as_of), pl.col("balance").is_not_null()
    ).with_row_index("_exposure")
    window = (
        matured.select("_exposure", "account_key", "run_date")
        .join(payments.select("account_key", "local_date", "amount"), on="account_key", how="inner")
        .filter(
            pl.col("local_date") > pl.col("run_date"),
            pl.col("local_date") <= pl.col("run_date") + pl.duration(days=HORIZON_DAYS),
        )
        .group_by("_exposure")
        .agg(recovered_30d=pl.col("amount").sum())
    )
    return matured.join(window, on="_exposure", how="left").select(
        "segment",
        "variant",
        "action",
        "offer_kind",
        "balance",
        recovered_30d=pl.col("recovered_30d").fill_null(0).cast(pl.Int64),
        ability_score="ability_score",
    )
