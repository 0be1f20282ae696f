"""Validation metrics for probability scores: AUC, Gini, KS, Brier, a calibration table and PSI.

Written with NumPy only so that they run anywhere the core runs; the tests check them against
scikit-learn. Labels are 1 for the good outcome (can pay, paid) and scores are probabilities of it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np
import polars as pl

from recoup.core.scoring.arrays import FloatArray, IntArray, as_float, as_labels

# Conventional PSI reading: under 0.10 stable, 0.10-0.25 worth a look, over 0.25 the population moved.
PSI_WARNING: Final = 0.10
PSI_ALERT: Final = 0.25
_PSI_FLOOR: Final = 1e-4  # share given to an empty bin so that the logarithm stays finite


def _average_ranks(values: FloatArray) -> FloatArray:
    """Ranks 1..n with ties sharing their average rank."""
    _, inverse, counts = np.unique(values, return_inverse=True, return_counts=True)
    ends = np.cumsum(counts)
    averages = ends - (counts - 1) / 2.0
    return as_float(averages[inverse])


def _two_classes(labels: IntArray) -> tuple[int, int]:
    positives = int(labels.sum())
    negatives = int(labels.size - positives)
    if positives == 0 or negatives == 0:
        raise ValueError("AUC and KS need both outcomes among the labels")
    return positives, negatives


def auc(labels: object, scores: object) -> float:
    """Area under the ROC curve (Mann-Whitney), ties counted as half."""
    y = as_labels(labels)
    s = as_float(scores)
    positives, negatives = _two_classes(y)
    rank_sum = float(_average_ranks(s)[y == 1].sum())
    return (rank_sum - positives * (positives + 1) / 2.0) / (positives * negatives)


def gini(labels: object, scores: object) -> float:
    return 2.0 * auc(labels, scores) - 1.0


def ks(labels: object, scores: object) -> float:
    """Kolmogorov-Smirnov: the largest gap between the score distributions of goods and bads."""
    y = as_labels(labels)
    s = as_float(scores)
    positives, negatives = _two_classes(y)
    order = np.argsort(s, kind="stable")
    sorted_scores, sorted_labels = s[order], y[order]
    cum_good = np.cumsum(sorted_labels) / positives
    cum_bad = np.cumsum(1 - sorted_labels) / negatives
    # Only the last row of each run of tied scores is a threshold one can actually cut at.
    last_of_tie = np.append(sorted_scores[1:] != sorted_scores[:-1], True)
    return float(np.max(np.abs(cum_good - cum_bad)[last_of_tie]))


def brier(labels: object, probabilities: object) -> float:
    y = as_labels(labels)
    p = as_float(probabilities)
    return float(np.mean((p - y) ** 2))


def calibration_table(labels: object, probabilities: object, bins: int = 10) -> pl.DataFrame:
    """Predicted against observed rates in equal-count bins of the predicted probability."""
    y = as_labels(labels)
    p = as_float(probabilities)
    order = np.argsort(p, kind="stable")
    bin_of = np.empty(p.size, dtype=np.int64)
    bin_of[order] = np.arange(p.size) * bins // max(p.size, 1)
    frame = pl.DataFrame({"bin": bin_of, "predicted": p, "observed": y.astype(np.float64)})
    return (
        frame.group_by("bin")
        .agg(
            n=pl.len(),
            low=pl.col("predicted").min(),
            high=pl.col("predicted").max(),
            mean_predicted=pl.col("predicted").mean(),
            observed_rate=pl.col("observed").mean(),
        )
        .sort("bin")
        .with_columns(gap=pl.col("observed_rate") - pl.col("mean_predicted"))
    )


@dataclass(frozen=True, slots=True)
class ScoreReference:
    """The binned score distribution of a training population, kept with a model to measure drift later."""

    edges: tuple[float, ...]  # interior cut points, ascending
    shares: tuple[float, ...]  # len(edges) + 1 shares summing to one

    def to_dict(self) -> dict[str, list[float]]:
        return {"edges": list(self.edges), "shares": list(self.shares)}

    @classmethod
    def from_dict(cls, data: dict[str, list[float]]) -> ScoreReference:
        return cls(
            edges=tuple(float(x) for x in data["edges"]), shares=tuple(float(x) for x in data["shares"])
        )


def _shares(scores: FloatArray, edges: FloatArray) -> FloatArray:
    counts = np.bincount(np.searchsorted(edges, scores, side="right"), minlength=edges.size + 1)
    return as_float(counts / max(scores.size, 1))


def score_reference(scores: object, bins: int = 10) -> ScoreReference:
    """Deciles (or fewer, when scores repeat) of the training scores and the share in each."""
    s = as_float(scores)
    quantiles = np.quantile(s, np.linspace(0, 1, bins + 1)[1:-1]) if s.size else np.array([])
    edges = np.unique(quantiles)
    return ScoreReference(edges=tuple(edges.tolist()), shares=tuple(_shares(s, edges).tolist()))


def psi_against(reference: ScoreReference, scores: object) -> float:
    """Population stability index of ``scores`` against a stored training distribution."""
    edges = np.asarray(reference.edges, dtype=np.float64)
    expected = np.maximum(np.asarray(reference.shares, dtype=np.float64), _PSI_FLOOR)
    actual = np.maximum(_shares(as_float(scores), edges), _PSI_FLOOR)
    return float(np.sum((actual - expected) * np.log(actual / expected)))


def psi(expected_scores: object, actual_scores: object, bins: int = 10) -> float:
    """Population stability index between a training (expected) and a scoring (actual) population."""
    return psi_against(score_reference(expected_scores, bins), actual_scores)


def drift_level(value: float) -> str:
    """``stable``, ``warning`` (0.10-0.25) or ``alert`` (over 0.25)."""
    if value >= PSI_ALERT:
        return "alert"
    if value >= PSI_WARNING:
        return "warning"
    return "stable"


@dataclass(frozen=True, slots=True)
class Discrimination:
    auc: float
    gini: float
    ks: float
    brier: float

    def to_dict(self) -> dict[str, float]:
        return {"auc": self.auc, "gini": self.gini, "ks": self.ks, "brier": self.brier}


def discrimination(labels: object, probabilities: object) -> Discrimination:
    value = auc(labels, probabilities)
    return Discrimination(
        auc=value, gini=2.0 * value - 1.0, ks=ks(labels, probabilities), brier=brier(labels, probabilities)
    )
