"""Turn a model's raw log-odds into probabilities that mean what they say.

Two calibrators compete: Platt scaling (a logistic curve on the log-odds: two parameters, keeps the ranking
exactly) and isotonic regression (a free monotone step curve: fits any shape, needs more data, may tie
scores). `choose_calibrator` fits both on held-out log-odds and keeps the one with the lower
cross-validated Brier score; on a tie Platt wins, because it is simpler and keeps every rank.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

import numpy as np
from sklearn.isotonic import IsotonicRegression
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold

from recoup.core.scoring.arrays import FloatArray, IntArray, as_float, as_labels, sigmoid
from recoup.core.scoring.metrics import brier

CALIBRATION_METHODS: Final = ("platt", "isotonic")
# Probabilities are kept off exactly 0 and 1: an isotonic end step is an estimate from a few rows.
PROBABILITY_FLOOR: Final = 1e-4
_SELECTION_FOLDS: Final = 5
_TIE_TOLERANCE: Final = 1e-5


@dataclass(frozen=True, slots=True)
class Calibrator:
    """A fitted map from log-odds to probability."""

    method: str
    slope: float = 1.0
    intercept: float = 0.0
    knots_x: tuple[float, ...] = ()
    knots_y: tuple[float, ...] = ()

    def apply(self, margin: FloatArray) -> FloatArray:
        if self.method == "platt":
            probability = sigmoid(self.slope * margin + self.intercept)
        elif self.method == "isotonic":
            probability = as_float(np.interp(margin, self.knots_x, self.knots_y))
        else:
            raise ValueError(f"unknown calibration method {self.method!r}")
        return as_float(np.clip(probability, PROBABILITY_FLOOR, 1.0 - PROBABILITY_FLOOR))

    def to_dict(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "slope": self.slope,
            "intercept": self.intercept,
            "knots_x": list(self.knots_x),
            "knots_y": list(self.knots_y),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Calibrator:
        method = str(data["method"])
        if method not in CALIBRATION_METHODS:
            raise ValueError(f"unknown calibration method {method!r}")
        return cls(
            method=method,
            slope=float(data.get("slope", 1.0)),
            intercept=float(data.get("intercept", 0.0)),
            knots_x=tuple(float(x) for x in data.get("knots_x", ())),
            knots_y=tuple(float(y) for y in data.get("knots_y", ())),
        )


IDENTITY: Final = Calibrator(method="platt")


def fit_platt(margin: FloatArray, labels: IntArray) -> Calibrator:
    model = LogisticRegression(C=1e6, max_iter=1000).fit(margin.reshape(-1, 1), labels)
    return Calibrator(method="platt", slope=float(model.coef_[0, 0]), intercept=float(model.intercept_[0]))


def fit_isotonic(margin: FloatArray, labels: IntArray) -> Calibrator:
    model = IsotonicRegression(out_of_bounds="clip", y_min=0.0, y_max=1.0).fit(margin, labels)
    return Calibrator(
        method="isotonic",
        knots_x=tuple(as_float(model.X_thresholds_).tolist()),
        knots_y=tuple(as_float(model.y_thresholds_).tolist()),
    )


_FITTERS: Final = {"platt": fit_platt, "isotonic": fit_isotonic}


def cross_validated_brier(method: str, margin: FloatArray, labels: IntArray, seed: int) -> float:
    """Brier score of ``method`` fitted on four fifths of the held-out log-odds and tried on the rest."""
    folds = StratifiedKFold(n_splits=_SELECTION_FOLDS, shuffle=True, random_state=seed)
    predicted = np.empty(margin.size, dtype=np.float64)
    for train, test in folds.split(margin.reshape(-1, 1), labels):
        predicted[test] = _FITTERS[method](margin[train], labels[train]).apply(margin[test])
    return brier(labels, predicted)


def choose_calibrator(margin: object, labels: object, seed: int) -> tuple[Calibrator, dict[str, float]]:
    """The calibrator with the lower cross-validated Brier score, fitted on all of ``margin``.

    ``margin`` must be out-of-sample log-odds (cross-fitted or from a held-out split), never the
    training rows' own scores. Returns the calibrator and each method's validation Brier score.
    """
    z = as_float(margin)
    y = as_labels(labels)
    scores = {method: cross_validated_brier(method, z, y, seed) for method in CALIBRATION_METHODS}
    best = "isotonic" if scores["isotonic"] < scores["platt"] - _TIE_TOLERANCE else "platt"
    return _FITTERS[best](z, y), scores
