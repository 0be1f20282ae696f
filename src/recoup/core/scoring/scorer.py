"""The one interface every scoring model family implements, and the calibrated scorer built on it.

A family (`scorecard`, `gbm`) fits a `MarginModel`: log-odds of the good outcome plus reason codes.
`CalibratedScorer` puts a `Calibrator` on top, and that is the `Scorer` the rest of Recoup uses:
``predict`` gives calibrated probabilities, ``reasons`` the top factors that lower each one.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Final, Protocol, runtime_checkable

import polars as pl

from recoup.core.scoring.arrays import FloatArray
from recoup.core.scoring.calibration import Calibrator
from recoup.core.scoring.fairness import check_features

SCORE_KINDS: Final = ("ability", "willingness")
TOP_REASONS: Final = 3


@dataclass(frozen=True, slots=True)
class FeatureSpec:
    """Which columns a model may use, and the business direction of the ones whose effect is known.

    ``monotone[f] = +1`` means a higher value of ``f`` can only raise the probability of the good outcome,
    ``-1`` that it can only lower it. Building a spec that names a protected attribute raises.
    """

    features: tuple[str, ...]
    monotone: Mapping[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        check_features(self.features)
        unknown = sorted(set(self.monotone) - set(self.features))
        if unknown:
            raise ValueError(f"monotone directions for features not in the spec: {unknown}")
        if any(direction not in (-1, 1) for direction in self.monotone.values()):
            raise ValueError("monotone directions must be +1 or -1")

    def direction(self, feature: str) -> int:
        return self.monotone.get(feature, 0)


def reason_columns(top: int) -> list[str]:
    return [f"reason_{i}" for i in range(1, top + 1)]


@runtime_checkable
class MarginModel(Protocol):
    """What a model family fits: uncalibrated log-odds and reason codes."""

    @property
    def family(self) -> str: ...

    @property
    def features(self) -> tuple[str, ...]: ...

    def margin(self, frame: pl.DataFrame) -> FloatArray:
        """Log-odds of the good outcome per row of ``frame`` (which must carry ``features``)."""
        ...

    def reasons(self, frame: pl.DataFrame, top: int = TOP_REASONS) -> pl.DataFrame:
        """Columns reason_1..reason_top: the feature names that lower each row's score most (null if none)."""
        ...


@runtime_checkable
class Scorer(Protocol):
    """A calibrated score: what the daily run, the API and the reports call."""

    @property
    def family(self) -> str: ...

    @property
    def features(self) -> tuple[str, ...]: ...

    def predict(self, frame: pl.DataFrame) -> FloatArray:
        """Calibrated probability of the good outcome (can pay, will pay) per row."""
        ...

    def reasons(self, frame: pl.DataFrame, top: int = TOP_REASONS) -> pl.DataFrame: ...


@dataclass(frozen=True)
class CalibratedScorer:
    """A fitted model family and the calibrator chosen for it on held-out data."""

    model: MarginModel
    calibrator: Calibrator

    @property
    def family(self) -> str:
        return self.model.family

    @property
    def features(self) -> tuple[str, ...]:
        return self.model.features

    def margin(self, frame: pl.DataFrame) -> FloatArray:
        return self.model.margin(frame)

    def predict(self, frame: pl.DataFrame) -> FloatArray:
        return self.calibrator.apply(self.model.margin(frame))

    def reasons(self, frame: pl.DataFrame, top: int = TOP_REASONS) -> pl.DataFrame:
        return self.model.reasons(frame, top)
