from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from recoup.core.scoring import training
from recoup.core.scoring.gbm import GbmConfig
from recoup.core.scoring.metrics import auc
from recoup.core.scoring.scorer import CalibratedScorer, FeatureSpec, Scorer
from recoup.core.scoring.training import FamilyConfig, cross_validate, stratified_folds, train_scorer

SPEC = FeatureSpec(("x", "kind"), {"x": 1})
QUICK = FamilyConfig(gbm=GbmConfig(rounds=60, learning_rate=0.1))


def synthetic(n: int, seed: int) -> tuple[pl.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    kind = rng.choice(["a", "b"], n)
    labels = (rng.random(n) < 1 / (1 + np.exp(-(1.5 * x + np.where(kind == "a", 0.5, -0.5))))).astype(
        np.int64
    )
    return pl.DataFrame({"x": x, "kind": kind}), labels


@pytest.mark.parametrize("family", ["scorecard", "gbm"])
def test_a_trained_scorer_is_a_calibrated_scorer(family: str) -> None:
    frame, labels = synthetic(1500, 1)
    trained = train_scorer(frame, labels, SPEC, family, seed=0, config=QUICK)
    assert isinstance(trained.scorer, Scorer)
    probability = trained.scorer.predict(frame)
    assert ((probability > 0) & (probability < 1)).all()
    assert auc(labels, probability) > 0.75
    assert set(trained.calibration_brier) == {"platt", "isotonic"}


def test_large_data_calibrates_on_a_held_out_tenth(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(training, "HOLDOUT_ABOVE", 500)
    frame, labels = synthetic(2000, 2)
    calls: list[int] = []
    real = training.fitter

    def counting(*args: object, **kwargs: object) -> training.Fitter:
        fit = real(*args, **kwargs)  # type: ignore[arg-type]

        def wrapped(frame: pl.DataFrame, y: np.ndarray, seed: int) -> object:
            calls.append(frame.height)
            return fit(frame, y, seed)

        return wrapped  # type: ignore[return-value]

    monkeypatch.setattr(training, "fitter", counting)
    trained = train_scorer(frame, labels, SPEC, "scorecard", seed=0)
    assert calls == [1800]  # one fit on nine tenths, none for cross-fitting
    assert isinstance(trained.scorer, CalibratedScorer)


def test_grouped_folds_never_split_a_group() -> None:
    rng = np.random.default_rng(3)
    groups = rng.integers(0, 60, 600)
    labels = rng.integers(0, 2, 600)
    for train, test in stratified_folds(labels, 5, seed=1, groups=groups):
        assert not set(groups[train]) & set(groups[test])


def test_cross_validation_is_reproducible() -> None:
    frame, labels = synthetic(800, 4)
    first = cross_validate(frame, labels, SPEC, "scorecard", folds=3, seed=42)
    second = cross_validate(frame, labels, SPEC, "scorecard", folds=3, seed=42)
    assert np.array_equal(first.out_of_fold(), second.out_of_fold())
    assert first.mean().auc == second.mean().auc


def test_too_few_labels_are_refused() -> None:
    frame, labels = synthetic(30, 5)
    with pytest.raises(ValueError, match="at least 20 rows with 5 of each"):
        train_scorer(frame[:10], labels[:10], SPEC, "scorecard", seed=0)


def test_unknown_family_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown model family"):
        training.fitter("forest", SPEC)
