"""Protected attributes never feed a model, and the report shows whether scores differ by group anyway.

A model may still discriminate through proxies; that is why `group_gaps` reports, per age band and sex
where the data has them, the mean score and the approval rate at a cut-off, and flags a group whose
approval rate is under four fifths of the best group's (the "four-fifths rule" of adverse impact).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Final

import numpy as np
import polars as pl

from recoup.core.errors import ValidationError

# Name tokens that mark an attribute protected by anti-discrimination law (sex, marital or family status,
# ethnicity and national origin, religion, and so on), in English and Chinese.
PROTECTED_TOKENS: Final = frozenset(
    {
        "sex",
        "gender",
        "marital",
        "married",
        "ethnicity",
        "ethnic",
        "race",
        "racial",
        "religion",
        "religious",
        "nationality",
        "citizenship",
        "pregnancy",
        "pregnant",
        "disability",
        "orientation",
    }
)
PROTECTED_CHINESE: Final = ("性别", "婚姻", "民族", "种族", "宗教", "国籍", "怀孕", "残疾")
# Whole names that carry a protected trait without saying so (proxies), e.g. the German credit data's
# ``personal_status_and_sex`` (sex and marital status) and ``foreign_worker`` (national origin).
PROTECTED_NAMES: Final = frozenset(
    {"personal_status_and_sex", "personal_status", "foreign_worker", "hukou", "ethnic_group", "hukou_type"}
)
FOUR_FIFTHS: Final = 0.8
GAP_SCHEMA: Final[dict[str, pl.DataType]] = {
    "attribute": pl.String(),
    "group": pl.String(),
    "n": pl.UInt32(),
    "mean_score": pl.Float64(),
    "approval_rate": pl.Float64(),
    "score_gap": pl.Float64(),
    "approval_gap": pl.Float64(),
    "impact_ratio": pl.Float64(),
    "adverse_impact": pl.Boolean(),
}


class ProtectedAttributeError(ValidationError):
    """A feature list names a protected attribute or a known proxy of one."""


def is_protected(name: str) -> bool:
    lowered = name.strip().lower()
    if lowered in PROTECTED_NAMES or any(word in lowered for word in PROTECTED_CHINESE):
        return True
    tokens = {token for token in re.split(r"[^0-9a-z]+", lowered) if token}
    return bool(tokens & PROTECTED_TOKENS)


def check_features(features: Iterable[str]) -> tuple[str, ...]:
    """The features unchanged, or `ProtectedAttributeError` naming every protected one."""
    names = tuple(features)
    refused = [name for name in names if is_protected(name)]
    if refused:
        raise ProtectedAttributeError(
            f"protected attributes cannot be model features: {', '.join(refused)}", field="features"
        )
    return names


def group_gaps(
    scores: pl.Series, groups: pl.DataFrame, threshold: float, *, min_group: int = 1
) -> pl.DataFrame:
    """Mean score and approval rate (score >= ``threshold``) per group of every column in ``groups``.

    Returns attribute, group, n, mean_score, approval_rate, score_gap (group mean minus overall mean),
    approval_gap (group rate minus the best group's), impact_ratio (rate over the best group's) and
    adverse_impact (impact_ratio under four fifths). Groups smaller than ``min_group`` are left out.
    """
    if not groups.columns:
        return pl.DataFrame(schema=GAP_SCHEMA)
    frame = groups.with_columns(_score=scores.cast(pl.Float64).alias("_score"))
    overall = float(np.mean(scores.cast(pl.Float64).to_numpy())) if scores.len() else 0.0
    tables = []
    for attribute in groups.columns:
        table = (
            frame.filter(pl.col(attribute).is_not_null())
            .group_by(pl.col(attribute).cast(pl.String).alias("group"))
            .agg(
                n=pl.len(),
                mean_score=pl.col("_score").mean(),
                approval_rate=(pl.col("_score") >= threshold).mean(),
            )
            .filter(pl.col("n") >= min_group)
        )
        best = pl.col("approval_rate").max()
        tables.append(
            table.with_columns(
                attribute=pl.lit(attribute),
                score_gap=pl.col("mean_score") - overall,
                approval_gap=pl.col("approval_rate") - best,
                impact_ratio=pl.when(best > 0).then(pl.col("approval_rate") / best).otherwise(None),
            )
            .with_columns(adverse_impact=pl.col("impact_ratio").fill_null(1.0) < FOUR_FIFTHS)
            .sort("group")
        )
    return pl.concat([table.select(list(GAP_SCHEMA)) for table in tables], how="vertical_relaxed")
