from __future__ import annotations

import numpy as np
import pytest

from recoup.core.scoring.arrays import logit
from recoup.core.scoring.calibration import Calibrator, choose_calibrator, fit_isotonic, fit_platt
from recoup.core.scoring.metrics import auc, brier


def _population(seed: int, n: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    true_logit = rng.normal(0.0, 1.5, n)
    labels = (rng.random(n) < 1 / (1 + np.exp(-true_logit))).astype(np.int64)
    return true_logit, labels


def test_calibration_repairs_an_overconfident_score() -> None:
    true_logit, labels = _population(1, 6000)
    overconfident = 3.0 * true_logit + 1.0  # right order, wrong probabilities
    calibrator, _ = choose_calibrator(overconfident[:3000], labels[:3000], seed=0)
    raw = 1 / (1 + np.exp(-overconfident[3000:]))
    calibrated = calibrator.apply(overconfident[3000:])
    assert brier(labels[3000:], calibrated) < brier(labels[3000:], raw) - 0.02


def test_calibration_keeps_the_brier_score_of_an_honest_score() -> None:
    true_logit, labels = _population(2, 6000)
    calibrator, scores = choose_calibrator(true_logit[:3000], labels[:3000], seed=0)
    raw = 1 / (1 + np.exp(-true_logit[3000:]))
    calibrated = calibrator.apply(true_logit[3000:])
    assert brier(labels[3000:], calibrated) <= brier(labels[3000:], raw) + 0.002
    assert set(scores) == {"platt", "isotonic"}


def test_the_lower_validation_brier_wins() -> None:
    true_logit, labels = _population(3, 4000)
    # a step-shaped distortion that a logistic curve cannot undo, but a monotone step fit can
    distorted = np.where(true_logit > 0, true_logit + 4.0, true_logit - 4.0)
    calibrator, scores = choose_calibrator(distorted, labels, seed=0)
    assert calibrator.method == min(scores, key=lambda method: scores[method])


def test_platt_keeps_every_rank() -> None:
    true_logit, labels = _population(4, 2000)
    calibrated = fit_platt(true_logit, labels).apply(true_logit)
    assert auc(labels, calibrated) == pytest.approx(auc(labels, true_logit))


def test_probabilities_stay_inside_the_open_interval() -> None:
    margin = np.array([-50.0, -1.0, 0.0, 1.0, 50.0])
    isotonic = fit_isotonic(margin, np.array([0, 0, 1, 1, 1]))
    assert (isotonic.apply(margin) > 0).all()
    assert (isotonic.apply(margin) < 1).all()


def test_calibrators_round_trip_through_plain_data() -> None:
    true_logit, labels = _population(5, 1000)
    for calibrator in (fit_platt(true_logit, labels), fit_isotonic(true_logit, labels)):
        again = Calibrator.from_dict(calibrator.to_dict())
        assert np.array_equal(again.apply(true_logit), calibrator.apply(true_logit))


def test_unknown_method_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown calibration method"):
        Calibrator.from_dict({"method": "magic"})


def test_logit_and_sigmoid_are_inverse() -> None:
    probability = np.array([0.01, 0.3, 0.5, 0.9])
    assert np.allclose(1 / (1 + np.exp(-logit(probability))), probability)
