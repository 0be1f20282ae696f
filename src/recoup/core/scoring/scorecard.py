"""The interpretable family: a points scorecard from optimal monotonic binning, WoE and a logistic regression.

Fitting: optbinning finds, per feature, the bins that separate goods from bads best under a monotone
trend (the business direction when the spec gives one, otherwise whichever of ascending or descending
fits); each bin's weight of evidence (WoE, log of the good/bad distribution ratio) is computed on all rows;
features with an information value under ``min_iv`` are dropped; a logistic regression on the WoE columns
gives one coefficient per feature (features whose coefficient comes out non-positive are dropped and the
regression refitted, so every feature's points move in the direction of its evidence); and every bin gets
``points = factor * coefficient * WoE``.

Scoring needs none of the libraries: the fitted table (`ScorecardTable`) is plain numbers that look bins
up with NumPy, and it serialises to JSON. Reason codes are the features whose points fall furthest below
the best points that feature can give (the "points lost" convention of adverse-action notices).
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
import polars as pl
from optbinning import OptimalBinning
from sklearn.linear_model import LogisticRegression

from recoup.core.scoring.arrays import FloatArray, IntArray, as_float, as_labels
from recoup.core.scoring.scorer import TOP_REASONS, FeatureSpec, reason_columns

FAMILY: Final = "scorecard"
PDO: Final = 20.0  # points to double the odds
DEFAULT_FACTOR: Final = PDO / math.log(2.0)
DEFAULT_OFFSET: Final = 600.0 - DEFAULT_FACTOR * math.log(50.0)  # 600 points at odds of 50 to 1
MIN_POINTS_LOST: Final = 1.0  # a factor costing less than a point is not worth telling anyone about
_WOE_SMOOTHING: Final = 0.5
_CATEGORICAL_DTYPES: Final = (pl.String, pl.Categorical, pl.Enum)


@dataclass(frozen=True, slots=True)
class ScorecardConfig:
    min_iv: float = 0.02
    regularisation_c: float = 0.1  # chosen on German credit CV with seed 7, reported with seed 42
    min_bin_size: float = 0.05
    max_n_bins: int = 8
    binning_sample: int = 200_000  # bins are found on a sample; WoE and the regression use every row


@dataclass(frozen=True, slots=True)
class Characteristic:
    """One feature's bins and their points. Bin order: regular bins, then missing, then unknown."""

    feature: str
    categorical: bool
    splits: tuple[float, ...]
    groups: tuple[tuple[str, ...], ...]
    points: tuple[float, ...]
    woe: tuple[float, ...]
    goods: tuple[int, ...]
    bads: tuple[int, ...]

    @property
    def n_regular(self) -> int:
        return len(self.groups) if self.categorical else len(self.splits) + 1

    @property
    def best_points(self) -> float:
        return max(self.points[: self.n_regular + 1])

    def bin_index(self, column: pl.Series) -> IntArray:
        missing, unknown = self.n_regular, self.n_regular + 1
        if self.categorical:
            mapping = {category: i for i, group in enumerate(self.groups) for category in group}
            indices = (
                column.cast(pl.String)
                .replace_strict(mapping, default=unknown, return_dtype=pl.Int64)
                .fill_null(missing)
            )
            return np.ascontiguousarray(indices.to_numpy(), dtype=np.int64)
        values = np.ascontiguousarray(column.cast(pl.Float64).to_numpy(), dtype=np.float64)
        indices_array = np.searchsorted(np.asarray(self.splits, dtype=np.float64), values, side="right")
        return np.ascontiguousarray(np.where(np.isnan(values), missing, indices_array), dtype=np.int64)

    def labels(self) -> list[str]:
        if self.categorical:
            regular = [", ".join(group) for group in self.groups]
        else:
            edges = [-math.inf, *self.splits, math.inf]
            regular = [f"[{low:g}, {high:g})" for low, high in itertools.pairwise(edges)]
        return [*regular, "missing", "unknown"]

    def to_dict(self) -> dict[str, Any]:
        return {
            "feature": self.feature,
            "categorical": self.categorical,
            "splits": list(self.splits),
            "groups": [list(group) for group in self.groups],
            "points": list(self.points),
            "woe": list(self.woe),
            "goods": list(self.goods),
            "bads": list(self.bads),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Characteristic:
        return cls(
            feature=str(data["feature"]),
            categorical=bool(data["categorical"]),
            splits=tuple(float(x) for x in data["splits"]),
            groups=tuple(tuple(str(c) for c in group) for group in data["groups"]),
            points=tuple(float(x) for x in data["points"]),
            woe=tuple(float(x) for x in data["woe"]),
            goods=tuple(int(x) for x in data["goods"]),
            bads=tuple(int(x) for x in data["bads"]),
        )


@dataclass(frozen=True, slots=True)
class ScorecardTable:
    """A fitted scorecard: score = base_points + the points of each row's bin in every characteristic."""

    characteristics: tuple[Characteristic, ...]
    base_points: float
    offset: float = DEFAULT_OFFSET
    factor: float = DEFAULT_FACTOR

    @property
    def family(self) -> str:
        return FAMILY

    @property
    def features(self) -> tuple[str, ...]:
        return tuple(c.feature for c in self.characteristics)

    def points(self, frame: pl.DataFrame) -> FloatArray:
        """Points per row (rows) and characteristic (columns)."""
        matrix = np.empty((frame.height, len(self.characteristics)), dtype=np.float64)
        for j, characteristic in enumerate(self.characteristics):
            table = np.asarray(characteristic.points, dtype=np.float64)
            matrix[:, j] = table[characteristic.bin_index(frame.get_column(characteristic.feature))]
        return matrix

    def score(self, frame: pl.DataFrame) -> FloatArray:
        return as_float(self.base_points + self.points(frame).sum(axis=1))

    def margin(self, frame: pl.DataFrame) -> FloatArray:
        return as_float((self.score(frame) - self.offset) / self.factor)

    def points_lost(self, frame: pl.DataFrame) -> FloatArray:
        best = np.asarray([c.best_points for c in self.characteristics], dtype=np.float64)
        return as_float(np.maximum(best - self.points(frame), 0.0))

    def reasons(self, frame: pl.DataFrame, top: int = TOP_REASONS) -> pl.DataFrame:
        return top_factors(self.points_lost(frame), self.features, top, MIN_POINTS_LOST)

    def points_table(self) -> pl.DataFrame:
        """feature, bin, points, woe, goods, bads: the scorecard as a reviewer reads it."""
        rows = [
            (c.feature, label, points, woe, good, bad)
            for c in self.characteristics
            for label, points, woe, good, bad in zip(
                c.labels(), c.points, c.woe, c.goods, c.bads, strict=True
            )
        ]
        schema = {
            "feature": pl.String(),
            "bin": pl.String(),
            "points": pl.Float64(),
            "woe": pl.Float64(),
            "goods": pl.Int64(),
            "bads": pl.Int64(),
        }
        return pl.DataFrame(rows, schema=schema, orient="row")

    def to_dict(self) -> dict[str, Any]:
        return {
            "family": FAMILY,
            "base_points": self.base_points,
            "offset": self.offset,
            "factor": self.factor,
            "characteristics": [c.to_dict() for c in self.characteristics],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ScorecardTable:
        return cls(
            characteristics=tuple(Characteristic.from_dict(c) for c in data["characteristics"]),
            base_points=float(data["base_points"]),
            offset=float(data["offset"]),
            factor=float(data["factor"]),
        )


def top_factors(loss: FloatArray, names: tuple[str, ...], top: int, floor: float) -> pl.DataFrame:
    """Per row, the names of the ``top`` columns of ``loss`` with the largest values above ``floor``.

    Ties go to the earlier column, so the result is deterministic.
    """
    remaining = loss.copy()
    rows = np.arange(loss.shape[0])
    lookup = dict(enumerate(names))
    columns: dict[str, pl.Series] = {}
    for name in reason_columns(top):
        if remaining.shape[1] == 0:
            columns[name] = pl.Series(name, [None] * loss.shape[0], dtype=pl.String)
            continue
        pick = np.argmax(remaining, axis=1)
        chosen = remaining[rows, pick] >= floor
        remaining[rows, pick] = -np.inf
        index = pl.Series(name, np.where(chosen, pick, -1), dtype=pl.Int64)
        columns[name] = index.replace_strict(lookup, default=None, return_dtype=pl.String)
    return pl.DataFrame(columns)


def is_categorical(dtype: pl.DataType) -> bool:
    return isinstance(dtype, _CATEGORICAL_DTYPES)


def _trend(direction: int) -> str:
    return {1: "ascending", -1: "descending"}.get(direction, "auto_asc_desc")


def _binning_values(column: pl.Series, categorical: bool) -> Any:
    if categorical:
        return column.cast(pl.String).to_numpy()
    return column.cast(pl.Float64).to_numpy()


def _find_bins(
    column: pl.Series, labels: IntArray, categorical: bool, direction: int, config: ScorecardConfig
) -> tuple[tuple[float, ...], tuple[tuple[str, ...], ...]]:
    present = column.drop_nulls()
    if column.dtype.is_float():
        present = present.drop_nans()
    if present.n_unique() < 2:
        return (), (
            (tuple(str(v) for v in present.unique().to_list()),) if categorical and present.len() else ()
        )
    binning = OptimalBinning(
        name=str(column.name),
        dtype="categorical" if categorical else "numerical",
        solver="cp",
        monotonic_trend="auto" if categorical else _trend(direction),
        min_bin_size=config.min_bin_size,
        max_n_bins=config.max_n_bins,
    )
    binning.fit(_binning_values(column, categorical), labels)
    if categorical:
        groups = tuple(tuple(str(c) for c in group) for group in binning.splits)
        return (), groups
    return tuple(float(s) for s in np.asarray(binning.splits, dtype=np.float64)), ()


def _weigh(
    feature: str,
    categorical: bool,
    splits: tuple[float, ...],
    groups: tuple[tuple[str, ...], ...],
    column: pl.Series,
    labels: IntArray,
) -> tuple[Characteristic, IntArray, float]:
    """The characteristic with WoE per bin (points still zero), each row's bin and the information value."""
    shell = Characteristic(feature, categorical, splits, groups, (), (), (), ())
    index = shell.bin_index(column)
    size = shell.n_regular + 2
    goods = np.bincount(index, weights=labels, minlength=size).astype(np.int64)
    bads = np.bincount(index, minlength=size).astype(np.int64) - goods
    total_good, total_bad = max(int(goods.sum()), 1), max(int(bads.sum()), 1)
    good_share = (goods + _WOE_SMOOTHING) / total_good
    bad_share = (bads + _WOE_SMOOTHING) / total_bad
    woe = np.where(goods + bads > 0, np.log(good_share / bad_share), 0.0)
    information_value = float(np.sum((goods / total_good - bads / total_bad) * woe))
    characteristic = Characteristic(
        feature,
        categorical,
        splits,
        groups,
        points=tuple(0.0 for _ in range(size)),
        woe=tuple(woe.tolist()),
        goods=tuple(goods.tolist()),
        bads=tuple(bads.tolist()),
    )
    return characteristic, index, information_value


def _sample(frame: pl.DataFrame, labels: IntArray, size: int, seed: int) -> tuple[pl.DataFrame, IntArray]:
    if frame.height <= size:
        return frame, labels
    rows = np.sort(np.random.default_rng(seed).choice(frame.height, size=size, replace=False))
    return frame[rows], labels[rows]


def _regress(woe: FloatArray, labels: IntArray, c: float) -> tuple[FloatArray, float]:
    model = LogisticRegression(C=c, max_iter=2000).fit(woe, labels)
    return as_float(model.coef_[0]), float(model.intercept_[0])


def fit_scorecard(
    frame: pl.DataFrame,
    labels: object,
    spec: FeatureSpec,
    *,
    seed: int,
    config: ScorecardConfig | None = None,
) -> ScorecardTable:
    """Fit a points scorecard of the good outcome (label 1) on ``spec.features`` of ``frame``."""
    settings = config or ScorecardConfig()
    y = as_labels(labels)
    sample, sample_labels = _sample(frame, y, settings.binning_sample, seed)
    kept: list[tuple[Characteristic, IntArray]] = []
    for feature in spec.features:
        categorical = is_categorical(frame.schema[feature])
        splits, groups = _find_bins(
            sample.get_column(feature), sample_labels, categorical, spec.direction(feature), settings
        )
        characteristic, index, information_value = _weigh(
            feature, categorical, splits, groups, frame.get_column(feature), y
        )
        if information_value >= settings.min_iv:
            kept.append((characteristic, index))
    return _points(kept, y, settings)


def _points(
    kept: list[tuple[Characteristic, IntArray]], labels: IntArray, config: ScorecardConfig
) -> ScorecardTable:
    """Regress on the WoE columns, dropping features whose coefficient is not positive, and assign points."""
    while kept:
        woe = np.column_stack([np.asarray(c.woe)[index] for c, index in kept])
        coefficients, intercept = _regress(woe, labels, config.regularisation_c)
        if (coefficients > 0).all():
            break
        kept = [pair for pair, coefficient in zip(kept, coefficients, strict=True) if coefficient > 0]
    else:
        prior = float(np.clip(labels.mean(), 1e-6, 1 - 1e-6)) if labels.size else 0.5
        return ScorecardTable((), base_points=DEFAULT_OFFSET + DEFAULT_FACTOR * math.log(prior / (1 - prior)))
    characteristics = tuple(
        Characteristic(
            c.feature,
            c.categorical,
            c.splits,
            c.groups,
            points=tuple((DEFAULT_FACTOR * float(coefficient) * np.asarray(c.woe)).tolist()),
            woe=c.woe,
            goods=c.goods,
            bads=c.bads,
        )
        for (c, _), coefficient in zip(kept, coefficients, strict=True)
    )
    return ScorecardTable(characteristics, base_points=DEFAULT_OFFSET + DEFAULT_FACTOR * intercept)
