"""Small column-building helpers: categorical codes live in NumPy, text only ever in Polars.

Moving strings between NumPy object arrays and Polars costs far more than generating them, so the
generators keep categories as integer codes and build text columns with Polars gathers and concatenations.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import numpy as np
import numpy.typing as npt
import polars as pl

Codes = npt.NDArray[np.integer]
Mask = npt.NDArray[np.bool_]


def pick(values: Sequence[str], codes: Codes) -> pl.Series:
    """``values[codes[i]]`` for every i, as a String column."""
    return pl.Series(list(values), dtype=pl.String()).gather(np.asarray(codes, dtype=np.int64))


def choose(mask: Mask, when_true: pl.Series, when_false: pl.Series | None = None) -> pl.Series:
    """Row-wise ``when_true`` where ``mask`` holds, else ``when_false`` (null when not given)."""
    picked = pl.when(pl.Series(mask, dtype=pl.Boolean())).then(when_true)
    expr = picked if when_false is None else picked.otherwise(when_false)
    return pl.select(expr.alias(when_true.name)).to_series()


def number_text(values: npt.NDArray[np.integer], width: int = 0) -> pl.Series:
    """Decimal text of integers, left-padded with zeros to ``width``."""
    text = pl.Series(np.asarray(values, dtype=np.int64)).cast(pl.String())
    return text.str.zfill(width) if width else text


def groups(codes: Codes) -> Iterator[tuple[int, npt.NDArray[np.intp]]]:
    """(code, row indices) for each distinct code, in increasing code order."""
    if len(codes) == 0:
        return
    order = np.argsort(codes, kind="stable")
    ordered = np.asarray(codes)[order]
    starts = np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1]])
    ends = np.r_[starts[1:], len(ordered)]
    for start, end in zip(starts, ends, strict=True):
        yield int(ordered[start]), order[start:end]


def assemble(pieces: list[tuple[npt.NDArray[np.intp], pl.Series]], n: int) -> pl.Series:
    """Put per-group columns back in row order; rows that no group covers are null."""
    if not pieces:
        return pl.Series([None] * n, dtype=pl.String())
    rows = np.concatenate([index for index, _ in pieces])
    values = pl.concat([column for _, column in pieces])
    position = np.full(n, len(values), dtype=np.int64)
    position[rows] = np.arange(len(values))
    return values.extend_constant(None, 1).gather(position)


def concat(*parts: pl.Series | str) -> pl.Series:
    """Row-wise concatenation of text columns and literals in one pass (no intermediate columns)."""
    exprs = [pl.lit(part) if isinstance(part, str) else pl.lit(part).cast(pl.String()) for part in parts]
    return pl.select(pl.concat_str(exprs).alias("text")).to_series()
