"""Scoring-model use cases over frames: train, evaluate, and score accounts with versioned models.

Nothing here touches a database or commits: the callers hand frames in (the German credit file's bytes,
a portfolio's accounts and events, or a simulated history) and store what comes back through a
`ModelStore` (the file-system registry in production).
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, Final, Protocol

import numpy as np
import polars as pl

from recoup.core.scoring.arrays import IntArray, as_labels
from recoup.core.scoring.artifacts import VersionedScorer
from recoup.core.scoring.defaults import BUILTIN_VERSIONS, builtin_scorer
from recoup.core.scoring.fairness import group_gaps
from recoup.core.scoring.gbm import GbmModel, reason_agreement
from recoup.core.scoring.german import DATASET as GERMAN_DATASET
from recoup.core.scoring.german import GermanData
from recoup.core.scoring.metrics import (
    ScoreReference,
    calibration_table,
    discrimination,
    drift_level,
    psi,
    psi_against,
    score_reference,
)
from recoup.core.scoring.scorer import SCORE_KINDS, CalibratedScorer, FeatureSpec, reason_columns
from recoup.core.scoring.targets import ability_labels, features_at, willingness_labels
from recoup.core.scoring.training import FAMILIES, CrossValidation, FamilyConfig, cross_validate, train_scorer

DEFAULT_SEED: Final = 42
DEFAULT_FOLDS: Final = 5
APPROVAL_THRESHOLD: Final = 0.5
AGREEMENT_SAMPLE: Final = 2_000
PORTFOLIO_DATASET: Final = "portfolio"
SIMULATION_DATASET: Final = "simulation"


class ModelStore(Protocol):
    """Where promoted models come from (the registry adapter implements it)."""

    def promoted(self, kind: str) -> VersionedScorer | None: ...


@dataclass(frozen=True)
class Examples:
    """Labelled rows for one score: features (and account_key), labels, and the group of each row."""

    frame: pl.DataFrame
    labels: IntArray
    groups: IntArray | None = None  # rows of one account share a group: never split across folds
    fairness_groups: pl.DataFrame | None = None  # protected attributes, for the report only
    dataset: str = PORTFOLIO_DATASET
    cutoff: date | None = None


@dataclass(frozen=True)
class FamilyReport:
    family: str
    mean: dict[str, float]  # mean over folds of AUC, Gini, KS, Brier
    folds: list[dict[str, float]]
    pooled: dict[str, float]  # on every row's out-of-fold probability
    raw_brier: float  # out-of-fold Brier before calibration
    calibrators: list[str]
    calibration: pl.DataFrame
    psi: float  # mean over folds, training against held-out scores
    fairness: pl.DataFrame
    out_of_fold: np.ndarray[Any, np.dtype[np.float64]] = field(repr=False)

    def to_dict(self) -> dict[str, Any]:
        return {
            "family": self.family,
            "mean": self.mean,
            "folds": self.folds,
            "pooled": self.pooled,
            "raw_brier": self.raw_brier,
            "calibrators": self.calibrators,
            "calibration": self.calibration.to_dicts(),
            "psi": self.psi,
            "drift": drift_level(self.psi),
            "fairness": self.fairness.to_dicts(),
        }


@dataclass(frozen=True)
class Evaluation:
    dataset: str
    kind: str
    folds: int
    seed: int
    rows: int
    positives: int
    threshold: float
    families: dict[str, FamilyReport]

    @property
    def best(self) -> str:
        return max(self.families, key=lambda name: self.families[name].mean["auc"])

    def to_dict(self) -> dict[str, Any]:
        return {
            "dataset": self.dataset,
            "kind": self.kind,
            "folds": self.folds,
            "seed": self.seed,
            "rows": self.rows,
            "positives": self.positives,
            "approval_threshold": self.threshold,
            "best": self.best,
            "families": {name: report.to_dict() for name, report in self.families.items()},
        }


@dataclass(frozen=True)
class TrainedModel:
    """A fitted, calibrated scorer with everything the registry records about it."""

    kind: str
    dataset: str
    scorer: CalibratedScorer
    metrics: dict[str, float]
    calibration_brier: dict[str, float]
    reference: ScoreReference
    training: dict[str, Any]
    reason_agreement: float | None = None

    @property
    def family(self) -> str:
        return self.scorer.family

    def metadata(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "family": self.family,
            "dataset": self.dataset,
            "features": list(self.scorer.features),
            "metrics": self.metrics,
            "calibration": {
                "method": self.scorer.calibrator.method,
                "validation_brier": self.calibration_brier,
            },
            "reference": self.reference.to_dict(),
            "training": self.training,
            "reason_agreement": self.reason_agreement,
        }


# ---- examples --------------------------------------------------------------------------------------


def german_examples(data: GermanData) -> Examples:
    return Examples(
        frame=data.features, labels=data.labels, fairness_groups=data.groups, dataset=GERMAN_DATASET
    )


def portfolio_examples(
    accounts: pl.DataFrame, events: pl.DataFrame, cutoff: date, kind: str, *, dataset: str = PORTFOLIO_DATASET
) -> Examples:
    """Labelled rows from the portfolio's history up to ``cutoff`` (see recoup.core.scoring.targets).

    ``accounts`` are the accounts as placed: each row's features see the state its own day had.
    Rows whose balance was already cleared on the day are left out: nobody is asked to pay those.
    """
    labels = {"willingness": willingness_labels, "ability": ability_labels}[_kind(kind)](events, cutoff)
    frame = features_at(accounts, events, labels).filter(pl.col("balance") > 0)
    return Examples(
        frame=frame,
        labels=as_labels(frame.get_column("label").to_numpy()),
        groups=np.ascontiguousarray(frame.get_column("account_key").to_numpy(), dtype=np.int64),
        fairness_groups=frame.select("age_band"),
        dataset=dataset,
        cutoff=cutoff,
    )


def _kind(kind: str) -> str:
    if kind not in SCORE_KINDS:
        raise ValueError(f"unknown score kind {kind!r}; choose ability or willingness")
    return kind


def fingerprint(frame: pl.DataFrame, labels: IntArray) -> str:
    """SHA-256 of the training rows and labels (Arrow IPC bytes): the same data gives the same value."""
    buffer = io.BytesIO()
    frame.with_columns(pl.Series("_label", labels)).write_ipc(buffer, compression="uncompressed")
    return hashlib.sha256(buffer.getvalue()).hexdigest()


# ---- evaluation ------------------------------------------------------------------------------------


def _report(validation: CrossValidation, examples: Examples, threshold: float) -> FamilyReport:
    y = validation.labels
    pooled = validation.out_of_fold()
    groups = examples.fairness_groups if examples.fairness_groups is not None else pl.DataFrame()
    fairness = group_gaps(pl.Series(pooled), groups, threshold)
    return FamilyReport(
        family=validation.family,
        mean=validation.mean().to_dict(),
        folds=[{"fold": fold.fold, **fold.metrics.to_dict()} for fold in validation.folds],
        pooled=discrimination(y, pooled).to_dict(),
        raw_brier=float(np.mean((validation.out_of_fold_raw() - y) ** 2)),
        calibrators=[fold.calibrator.method for fold in validation.folds],
        calibration=calibration_table(y, pooled),
        psi=float(np.mean([psi(fold.train_probability, fold.probability) for fold in validation.folds])),
        fairness=fairness,
        out_of_fold=pooled,
    )


def evaluate(
    examples: Examples,
    spec: FeatureSpec,
    *,
    kind: str,
    families: Sequence[str] = FAMILIES,
    folds: int = DEFAULT_FOLDS,
    seed: int = DEFAULT_SEED,
    threshold: float = APPROVAL_THRESHOLD,
    config: FamilyConfig | None = None,
) -> Evaluation:
    """Stratified k-fold validation of each family: discrimination, calibration, drift and fairness."""
    reports = {
        family: _report(
            cross_validate(
                examples.frame,
                examples.labels,
                spec,
                family,
                folds=folds,
                seed=seed,
                config=config,
                groups=examples.groups,
            ),
            examples,
            threshold,
        )
        for family in families
    }
    return Evaluation(
        dataset=examples.dataset,
        kind=_kind(kind),
        folds=folds,
        seed=seed,
        rows=examples.labels.size,
        positives=int(examples.labels.sum()),
        threshold=threshold,
        families=reports,
    )


# ---- training --------------------------------------------------------------------------------------


def train(
    examples: Examples,
    spec: FeatureSpec,
    family: str,
    *,
    kind: str,
    seed: int = DEFAULT_SEED,
    folds: int = DEFAULT_FOLDS,
    config: FamilyConfig | None = None,
) -> TrainedModel:
    """Cross-validate ``family`` for its metrics, then fit it on every example."""
    validation = cross_validate(
        examples.frame,
        examples.labels,
        spec,
        family,
        folds=folds,
        seed=seed,
        config=config,
        groups=examples.groups,
    )
    trained = train_scorer(
        examples.frame, examples.labels, spec, family, seed=seed, config=config, groups=examples.groups
    )
    scorer = trained.scorer
    frame = examples.frame.select(spec.features)
    agreement = None
    if isinstance(scorer.model, GbmModel):
        rows = np.random.default_rng(seed).permutation(frame.height)[:AGREEMENT_SAMPLE]
        agreement = reason_agreement(scorer.model, frame[np.sort(rows)])
    return TrainedModel(
        kind=_kind(kind),
        dataset=examples.dataset,
        scorer=scorer,
        metrics={**validation.mean().to_dict(), "folds": float(folds)},
        calibration_brier=trained.calibration_brier,
        reference=score_reference(scorer.predict(frame)),
        training={
            "fingerprint": fingerprint(frame, examples.labels),
            "rows": int(examples.labels.size),
            "positives": int(examples.labels.sum()),
            "seed": seed,
            "cutoff": examples.cutoff.isoformat() if examples.cutoff else None,
        },
        reason_agreement=agreement,
    )


# ---- scoring ---------------------------------------------------------------------------------------


def scoring_models(store: ModelStore | None) -> dict[str, VersionedScorer]:
    """The promoted model of each kind, or the documented built-in scorecard when none is promoted."""
    models: dict[str, VersionedScorer] = {}
    for kind in SCORE_KINDS:
        promoted = store.promoted(kind) if store is not None else None
        models[kind] = promoted or VersionedScorer(
            version=BUILTIN_VERSIONS[kind], kind=kind, scorer=builtin_scorer(kind), metadata={"builtin": True}
        )
    return models


def score_accounts(features: pl.DataFrame, models: Mapping[str, VersionedScorer]) -> pl.DataFrame:
    """One row per account: account_key, then per kind ``{kind}_score`` (calibrated probability),
    ``{kind}_reasons`` (reason codes joined by ";") and ``{kind}_model`` (the version that scored it)."""
    columns: list[pl.Series] = [features.get_column("account_key")]
    for kind, model in models.items():
        reasons = model.scorer.reasons(features)
        joined = reasons.select(
            pl.concat_str(reason_columns(len(reasons.columns)), separator=";", ignore_nulls=True)
        ).to_series()
        columns.extend(
            [
                pl.Series(f"{kind}_score", model.scorer.predict(features)),
                joined.alias(f"{kind}_reasons"),
                pl.repeat(model.version, features.height, eager=True).alias(f"{kind}_model"),
            ]
        )
    return pl.DataFrame(columns)


@dataclass(frozen=True)
class Drift:
    version: str
    psi: float | None  # None for a model with no stored training distribution (built-in defaults)
    level: str


def drift(model: VersionedScorer, scores: object) -> Drift:
    """PSI of today's scores against the model's training population, with its reading."""
    if model.reference is None:
        return Drift(model.version, None, "unknown")
    value = psi_against(model.reference, scores)
    return Drift(model.version, value, drift_level(value))


# ---- a simulated history to learn from -------------------------------------------------------------


@dataclass(frozen=True)
class SimulatedHistory:
    accounts: pl.DataFrame  # as placed: ACCOUNT_SCHEMA + account_key, placed_on
    events: pl.DataFrame  # EVENT_SCHEMA + account_key
    truth: pl.DataFrame  # the simulator's hidden traits, row for row with accounts
    cutoff: date


def simulated_history(
    accounts: int, days: int, *, seed: int, start: date = date(2026, 1, 5), call_share: float = 0.25
) -> SimulatedHistory:
    """A synthetic portfolio and ``days`` of its history, driven by a plain policy.

    Every day a random ``call_share`` of the accounts that still owe are called at a random hour
    (09:00-19:00 local); the simulator answers with contacts, promises, payments and the rest.
    """
    from recoup.sim.actions import simple_actions
    from recoup.sim.behaviour import DebtorBehaviour
    from recoup.sim.portfolio import generate_portfolio

    portfolio = generate_portfolio(accounts, seed=seed, as_of=start)
    behaviour = DebtorBehaviour(portfolio, seed=seed)
    frame = portfolio.accounts
    policy = np.random.default_rng(seed)
    batches = []
    for offset in range(days):
        day = start + timedelta(days=offset)
        owing = behaviour.payments_to_date().get_column("owed").to_numpy() > 0
        chosen = frame.filter(pl.Series((policy.random(frame.height) < call_share) & owing))
        hour = float(policy.integers(9, 19))
        batches.append(behaviour.respond(day, simple_actions(chosen, day, "call", local_hour=hour)))
    keyed = frame.with_row_index("account_key").with_columns(
        pl.col("account_key").cast(pl.Int64), placed_on=pl.lit(start)
    )
    events = pl.concat(batches).join(
        keyed.select("account_id", "creditor_id", "account_key"), on=["account_id", "creditor_id"], how="left"
    )
    return SimulatedHistory(
        accounts=keyed, events=events, truth=portfolio.truth, cutoff=start + timedelta(days=days - 1)
    )
