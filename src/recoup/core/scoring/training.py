"""Fit a model family and calibrate it on log-odds it has not seen, then cross-validate the whole recipe.

Calibration data: up to ``HOLDOUT_ABOVE`` rows, the calibrator learns from cross-fitted log-odds (each
row scored by a model fitted without it) and the final model is refitted on every row; above that, a
stratified tenth is held out for the calibrator, which is plenty and saves the extra fits.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Final

import numpy as np
import polars as pl
from sklearn.model_selection import StratifiedGroupKFold, StratifiedKFold, train_test_split

from recoup.core.scoring.arrays import FloatArray, IntArray, as_float, as_labels, sigmoid
from recoup.core.scoring.calibration import Calibrator, choose_calibrator
from recoup.core.scoring.gbm import GbmConfig, fit_gbm
from recoup.core.scoring.metrics import Discrimination, discrimination
from recoup.core.scoring.scorecard import ScorecardConfig, fit_scorecard
from recoup.core.scoring.scorer import CalibratedScorer, FeatureSpec, MarginModel

FAMILIES: Final = ("scorecard", "gbm")
CALIBRATION_FOLDS: Final = 3
HOLDOUT_ABOVE: Final = 200_000
HOLDOUT_SHARE: Final = 0.1

Fitter = Callable[[pl.DataFrame, IntArray, int], MarginModel]


@dataclass(frozen=True, slots=True)
class FamilyConfig:
    scorecard: ScorecardConfig = field(default_factory=ScorecardConfig)
    gbm: GbmConfig | None = None  # None: chosen by the size of the training data (GbmConfig.for_rows)

    def for_rows(self, rows: int) -> FamilyConfig:
        """The same settings with the gradient-boosting ones fixed for ``rows`` training rows."""
        return FamilyConfig(self.scorecard, self.gbm or GbmConfig.for_rows(rows))


def fitter(
    family: str, spec: FeatureSpec, config: FamilyConfig | None = None, *, explain: bool = True
) -> Fitter:
    """A function that fits ``family``; with ``explain`` false, without anything only reasons need."""
    settings = config or FamilyConfig()
    if family == "scorecard":
        return lambda frame, y, seed: fit_scorecard(frame, y, spec, seed=seed, config=settings.scorecard)
    if family == "gbm":
        return lambda frame, y, seed: fit_gbm(
            frame,
            y,
            spec,
            seed=seed,
            config=settings.gbm,
            explainer_config=settings.scorecard,
            explain=explain,
        )
    raise ValueError(f"unknown model family {family!r}; choose one of {', '.join(FAMILIES)}")


def stratified_folds(
    labels: IntArray, folds: int, seed: int, groups: IntArray | None = None
) -> list[tuple[IntArray, IntArray]]:
    """Stratified folds; with ``groups`` (e.g. account keys), all rows of a group fall in one fold."""
    rows = np.zeros(labels.size)
    splitter = (
        StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed).split(rows, labels)
        if groups is None
        else StratifiedGroupKFold(n_splits=folds, shuffle=True, random_state=seed).split(rows, labels, groups)
    )
    return [(np.asarray(train, dtype=np.int64), np.asarray(test, dtype=np.int64)) for train, test in splitter]


@dataclass(frozen=True)
class Trained:
    scorer: CalibratedScorer
    calibration_brier: dict[str, float]  # validation Brier of each calibration method considered


def _check_labels(frame: pl.DataFrame, y: IntArray) -> None:
    if frame.height != y.size:
        raise ValueError(f"{frame.height} rows but {y.size} labels")
    if y.size < 20 or y.sum() < 5 or (y.size - y.sum()) < 5:
        raise ValueError("training needs at least 20 rows with 5 of each outcome")


def train_scorer(
    frame: pl.DataFrame,
    labels: object,
    spec: FeatureSpec,
    family: str,
    *,
    seed: int,
    config: FamilyConfig | None = None,
    explain: bool = True,
    groups: IntArray | None = None,
) -> Trained:
    """Fit ``family`` on ``spec`` and attach the calibrator chosen on out-of-sample log-odds."""
    y = as_labels(labels)
    _check_labels(frame, y)
    # one setting for the cross-fitted models and the final one, so the calibrator fits what it calibrates
    config = (config or FamilyConfig()).for_rows(frame.height)
    fit = fitter(family, spec, config, explain=explain)
    if frame.height > HOLDOUT_ABOVE:
        rows = np.arange(frame.height)
        fit_rows, calibration_rows = train_test_split(
            rows, test_size=HOLDOUT_SHARE, stratify=y, random_state=seed
        )
        model = fit(frame[np.sort(fit_rows)], y[np.sort(fit_rows)], seed)
        held_out = np.sort(calibration_rows)
        calibrator, scores = choose_calibrator(model.margin(frame[held_out]), y[held_out], seed)
        return Trained(CalibratedScorer(model, calibrator), scores)
    measure_only = fitter(family, spec, config, explain=False)
    cross_fitted = cross_fitted_margin(measure_only, frame, y, CALIBRATION_FOLDS, seed, groups)
    calibrator, scores = choose_calibrator(cross_fitted, y, seed)
    return Trained(CalibratedScorer(fit(frame, y, seed), calibrator), scores)


def cross_fitted_margin(
    fit: Fitter, frame: pl.DataFrame, y: IntArray, folds: int, seed: int, groups: IntArray | None = None
) -> FloatArray:
    margin = np.empty(frame.height, dtype=np.float64)
    for train, test in stratified_folds(y, folds, seed, groups):
        margin[test] = fit(frame[train], y[train], seed).margin(frame[test])
    return as_float(margin)


@dataclass(frozen=True)
class FoldResult:
    fold: int
    test_rows: IntArray
    probability: FloatArray  # calibrated, for test_rows
    raw_probability: FloatArray  # the model's own sigmoid(log-odds), before calibration
    train_probability: FloatArray  # calibrated, on the fold's training rows (for PSI)
    metrics: Discrimination
    calibrator: Calibrator


@dataclass(frozen=True)
class CrossValidation:
    family: str
    folds: tuple[FoldResult, ...]
    labels: IntArray

    @property
    def mean_auc(self) -> float:
        return float(np.mean([fold.metrics.auc for fold in self.folds]))

    def out_of_fold(self) -> FloatArray:
        """Every row's calibrated probability from the fold that did not train on it."""
        probability = np.empty(self.labels.size, dtype=np.float64)
        for fold in self.folds:
            probability[fold.test_rows] = fold.probability
        return as_float(probability)

    def out_of_fold_raw(self) -> FloatArray:
        probability = np.empty(self.labels.size, dtype=np.float64)
        for fold in self.folds:
            probability[fold.test_rows] = fold.raw_probability
        return as_float(probability)

    def mean(self) -> Discrimination:
        values = [fold.metrics for fold in self.folds]
        return Discrimination(
            auc=float(np.mean([m.auc for m in values])),
            gini=float(np.mean([m.gini for m in values])),
            ks=float(np.mean([m.ks for m in values])),
            brier=float(np.mean([m.brier for m in values])),
        )


def cross_validate(
    frame: pl.DataFrame,
    labels: object,
    spec: FeatureSpec,
    family: str,
    *,
    folds: int = 5,
    seed: int = 42,
    config: FamilyConfig | None = None,
    groups: IntArray | None = None,
) -> CrossValidation:
    """Stratified k-fold validation of the whole recipe (fit, calibrate, predict) for ``family``.

    With ``groups``, every group's rows stay in one fold (no account is both trained and tested on).
    """
    y = as_labels(labels)
    results = []
    for number, (train, test) in enumerate(stratified_folds(y, folds, seed, groups), start=1):
        trained = train_scorer(
            frame[train],
            y[train],
            spec,
            family,
            seed=seed,
            config=config,
            explain=False,
            groups=None if groups is None else groups[train],
        ).scorer
        probability = trained.predict(frame[test])
        raw = sigmoid(trained.margin(frame[test]))
        results.append(
            FoldResult(
                fold=number,
                test_rows=np.ascontiguousarray(test, dtype=np.int64),
                probability=probability,
                raw_probability=as_float(raw),
                train_probability=trained.predict(frame[train]),
                metrics=discrimination(y[test], probability),
                calibrator=trained.calibrator,
            )
        )
    return CrossValidation(family=family, folds=tuple(results), labels=y)
