"""Score a million accounts with both scores and reason codes; train on a million rows.

The feature frame is drawn column-wise with NumPy (FEATURE_SCHEMA columns that the two default specs
use, with hidden ability and willingness behind them), so the benchmark measures the models, not the
simulator. Baselines are measured in the same run on the same rows:

- scoring: LightGBM's bare ``predict(raw_score=True)`` on the ability model's own float matrix;
- training: a bare ``lightgbm.train`` with the same parameters on the same matrix.

Run: `.venv/bin/python -m bench.bench_scoring [--scale S]`.
"""

from __future__ import annotations

import os

# On a shared machine OpenMP threads that spin while waiting make two-thread LightGBM several times
# slower than one; passive waiting removes that (it must be set before LightGBM loads OpenMP).
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import argparse
import time
from collections.abc import Callable
from typing import Any, TypeVar

import lightgbm as lgb
import numpy as np
import polars as pl

from recoup.core.scoring.artifacts import VersionedScorer
from recoup.core.scoring.gbm import GbmModel, bare_margin
from recoup.core.scoring.reasons import reason_texts
from recoup.core.scoring.specs import ABILITY_SPEC, WILLINGNESS_SPEC
from recoup.core.scoring.training import train_scorer
from recoup.services.modeling import score_accounts

ROWS_AT_SCALE_1 = 1_000_000
SEED = 20260302
UNTIMED_TRAINING_ROWS = 150_000
T = TypeVar("T")


def _timed(action: Callable[[], T]) -> tuple[T, float]:
    started = time.perf_counter()
    result = action()
    return result, time.perf_counter() - started


def _maybe(rng: np.random.Generator, values: np.ndarray, share_missing: float) -> pl.Series:
    mask = rng.random(values.size) < share_missing
    return pl.Series(np.where(mask, np.nan, values.astype(np.float64))).fill_nan(None)


def synthetic_features(n: int, seed: int) -> tuple[pl.DataFrame, np.ndarray, np.ndarray]:
    """Features of ``n`` accounts plus ability and willingness labels drawn from hidden traits."""
    rng = np.random.default_rng(seed)
    ability, will = rng.standard_normal(n), rng.standard_normal(n)
    employment = np.where(
        ability + rng.normal(0, 1, n) < -1.2,
        "unemployed",
        rng.choice(["employed", "self_employed", "retired"], n),
    )
    payments = rng.poisson(np.exp(0.4 * will + 0.3 * ability - 0.2))
    rpc = rng.poisson(1.2, n)
    kept = rng.poisson(np.exp(0.5 * will - 1.2))
    broken = rng.poisson(np.exp(-0.5 * will - 1.0))
    frame = pl.DataFrame(
        {
            "account_key": np.arange(n, dtype=np.int64),
            "debtor_type": rng.choice(["individual", "sme", "enterprise"], n, p=[0.85, 0.12, 0.03]),
            "product": rng.choice(["credit_card", "consumer_loan", "auto_loan", "sme_loan"], n),
            "employment_status": employment,
            "industry": pl.Series(rng.choice(["retail", "manufacturing", "services"], n)).set(
                pl.Series(rng.random(n) < 0.85), None
            ),
            "employees": _maybe(rng, rng.lognormal(2, 1, n), 0.85),
            "debt_to_income": _maybe(rng, np.exp(rng.normal(-0.5 - 0.6 * ability, 0.6)), 0.15),
            "interest_fees_share": rng.beta(2, 8, n),
            "balance_to_original": _maybe(rng, rng.beta(5, 2, n), 0.3),
            "dpd": rng.integers(1, 720, n) + (60 * np.maximum(-will, 0)).astype(np.int64),
            "loan_age_days": rng.integers(100, 3000, n),
            "payments_count": payments,
            "payments_90d": np.minimum(payments, rng.poisson(0.6, n)),
            "paid_share": np.clip(payments * rng.beta(1, 8, n), 0, 1),
            "days_since_last_payment": _maybe(rng, rng.integers(0, 365, n), 0.0).set(
                pl.Series(payments == 0), None
            ),
            "promises_kept": kept,
            "promises_broken": broken,
            "broken_promises_60d": np.minimum(broken, rng.poisson(0.5, n)),
            "promise_kept_rate": pl.Series(kept / np.maximum(kept + broken, 1)).set(
                pl.Series(kept + broken == 0), None
            ),
            "plans_made": rng.poisson(0.05, n),
            "rpc_count": rpc,
            "days_since_last_rpc": _maybe(rng, rng.integers(0, 120, n), 0.0).set(pl.Series(rpc == 0), None),
            "call_rpc_rate": _maybe(rng, rng.beta(2, 6, n), 0.1),
            "sms_reply_rate": _maybe(rng, rng.beta(1, 12, n), 0.2),
            "im_reply_rate": _maybe(rng, rng.beta(2, 8, n), 0.4),
            "email_read_rate": _maybe(rng, rng.beta(2, 5, n), 0.5),
            "contacts_inbound": rng.poisson(np.exp(0.6 * will - 1.5)),
            "wrong_party_count": rng.poisson(0.05, n),
            "disputes_count": rng.poisson(0.02, n),
            "dispute_open": rng.random(n) < 0.01,
            "complaints_count": rng.poisson(0.01, n),
            "currency": ["CNY"] * n,
        }
    )
    pay_ability = rng.random(n) < 1 / (1 + np.exp(-(0.3 + 1.2 * ability)))
    pay_willing = rng.random(n) < 1 / (1 + np.exp(-(-0.8 + 1.0 * will + 0.4 * ability)))
    return frame, pay_ability.astype(np.int64), pay_willing.astype(np.int64)


def _row(
    name: str, n: int, seconds: float, baseline: str, baseline_seconds: float, target: str
) -> dict[str, Any]:
    return {
        "benchmark": name,
        "n": n,
        "seconds": round(seconds, 3),
        "rate_per_s": round(n / seconds) if seconds else None,
        "baseline": baseline,
        "ratio": round(seconds / baseline_seconds, 2) if baseline_seconds else None,
        "target": target,
    }


def run(scale: float = 1.0) -> list[dict[str, Any]]:
    n = max(int(ROWS_AT_SCALE_1 * scale), 2_000)
    frame, ability_labels, willing_labels = synthetic_features(n, SEED)

    ability_trained, train_gbm_seconds = _timed(
        lambda: train_scorer(frame, ability_labels, ABILITY_SPEC, "gbm", seed=SEED)
    )
    # the willingness model is only needed to score with: a smaller sample keeps the run short
    sample = min(n, UNTIMED_TRAINING_ROWS)
    willingness_trained = train_scorer(
        frame.head(sample), willing_labels[:sample], WILLINGNESS_SPEC, "gbm", seed=SEED
    )
    _, train_scorecard_seconds = _timed(
        lambda: train_scorer(frame, willing_labels, WILLINGNESS_SPEC, "scorecard", seed=SEED)
    )
    ability_model = ability_trained.scorer.model
    if not isinstance(ability_model, GbmModel):
        raise RuntimeError("the ability model should be a gradient-boosting model")
    matrix = ability_model.encoder.matrix(frame)
    params = ability_model.booster.params
    _, bare_train_seconds = _timed(
        lambda: lgb.train(
            params,
            lgb.Dataset(matrix, label=ability_labels),
            num_boost_round=params.get("num_iterations", 500),
        )
    )
    _, bare_predict_seconds = _timed(lambda: bare_margin(ability_model.booster, matrix))

    models = {
        "ability": VersionedScorer("bench-ability", "ability", ability_trained.scorer),
        "willingness": VersionedScorer("bench-willingness", "willingness", willingness_trained.scorer),
    }
    scored, score_seconds = _timed(lambda: score_accounts(frame, models))
    if scored.height != n or scored["ability_score"].null_count():
        raise RuntimeError("scoring lost rows")
    reasons = ability_trained.scorer.reasons(frame)
    _, text_seconds = _timed(lambda: reason_texts(frame, reasons, "zh"))

    predict = "lightgbm predict (raw, 2 threads)"
    train = "lightgbm.train, same params and matrix"
    return [
        _row(predict, n, bare_predict_seconds, predict, bare_predict_seconds, "reference"),
        _row(
            "score both kinds + reason codes (gbm)",
            n,
            score_seconds,
            predict,
            bare_predict_seconds,
            "<= 10 s for 1M accounts",
        ),
        _row("reason texts zh (3 per account)", n, text_seconds, predict, bare_predict_seconds, "on demand"),
        _row(train, n, bare_train_seconds, train, bare_train_seconds, "reference"),
        _row(
            "train gbm (calibrated, with explainer)",
            n,
            train_gbm_seconds,
            train,
            bare_train_seconds,
            "<= 60 s for 1M rows",
        ),
        _row(
            "train scorecard (calibrated)",
            n,
            train_scorecard_seconds,
            train,
            bare_train_seconds,
            "<= 60 s for 1M rows",
        ),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scale", type=float, default=1.0)
    args = parser.parse_args()
    from bench.__main__ import _print

    _print(run(args.scale))


if __name__ == "__main__":
    main()
