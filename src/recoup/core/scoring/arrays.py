"""Array types shared by the scoring modules, and the conversions that narrow library output to them."""

from __future__ import annotations

from typing import Any, TypeAlias

import numpy as np
import numpy.typing as npt

FloatArray: TypeAlias = npt.NDArray[np.float64]
IntArray: TypeAlias = npt.NDArray[np.int64]
BoolArray: TypeAlias = npt.NDArray[np.bool_]


def as_float(values: Any) -> FloatArray:
    """A contiguous float64 array (narrows what sklearn, lightgbm and polars hand back)."""
    return np.ascontiguousarray(values, dtype=np.float64)


def as_labels(values: Any) -> IntArray:
    """Binary outcome labels as int64 0/1; anything else is refused."""
    labels = np.asarray(values).astype(np.int64)
    if labels.size and not np.isin(labels, (0, 1)).all():
        raise ValueError("labels must be 0 or 1")
    return labels


def sigmoid(margin: FloatArray) -> FloatArray:
    return as_float(0.5 * (1.0 + np.tanh(0.5 * margin)))


def logit(probability: FloatArray, eps: float = 1e-6) -> FloatArray:
    clipped = np.clip(probability, eps, 1.0 - eps)
    return as_float(np.log(clipped / (1.0 - clipped)))
