"""The German credit data (Hofmann 1994, CC BY 4.0; see data/README.md) prepared for the ability model.

The outcome ``creditability`` becomes label 1 for ``good``. ``personal_status_and_sex`` (sex and marital
status) and ``foreign_worker`` (national origin) are protected: they never become features, and are kept
only to report score gaps by sex and age band. Parsing takes the file's bytes; reading the file is the
caller's business, so this module stays pure.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Final

import numpy as np
import polars as pl

from recoup.core.errors import ValidationError
from recoup.core.scoring.arrays import IntArray
from recoup.core.scoring.features import age_band_expr
from recoup.core.scoring.scorer import FeatureSpec

DATASET: Final = "german-credit"
TARGET: Final = "creditability"
PROTECTED_COLUMNS: Final = ("personal_status_and_sex", "foreign_worker")
NUMERIC_COLUMNS: Final = (
    "duration_in_month",
    "credit_amount",
    "installment_rate_in_percentage_of_disposable_income",
    "present_residence_since",
    "age_in_years",
    "number_of_existing_credits_at_this_bank",
    "number_of_people_being_liable_to_provide_maintenance_for",
)
CATEGORICAL_COLUMNS: Final = (
    "status_of_existing_checking_account",
    "credit_history",
    "purpose",
    "savings_account_and_bonds",
    "present_employment_since",
    "other_debtors_or_guarantors",
    "property",
    "other_installment_plans",
    "housing",
    "job",
    "telephone",
)
FEATURES: Final = (
    "status_of_existing_checking_account",
    "duration_in_month",
    "credit_history",
    "purpose",
    "credit_amount",
    "savings_account_and_bonds",
    "present_employment_since",
    "installment_rate_in_percentage_of_disposable_income",
    "other_debtors_or_guarantors",
    "present_residence_since",
    "property",
    "age_in_years",
    "other_installment_plans",
    "housing",
    "number_of_existing_credits_at_this_bank",
    "job",
    "number_of_people_being_liable_to_provide_maintenance_for",
    "telephone",
)
# Where the business direction is beyond doubt: a longer loan and a heavier instalment burden can only
# make repayment harder. (Amount and age are left free: both are U-shaped in this data.)
MONOTONE: Final = {
    "duration_in_month": -1,
    "installment_rate_in_percentage_of_disposable_income": -1,
}
SPEC: Final = FeatureSpec(FEATURES, MONOTONE)


@dataclass(frozen=True)
class GermanData:
    features: pl.DataFrame  # FEATURES only
    labels: IntArray  # 1 = good
    groups: pl.DataFrame  # sex and age_band, for the fairness report only

    @property
    def spec(self) -> FeatureSpec:
        return SPEC


def parse_german(data: bytes, *, source: str = "german_credit.csv") -> GermanData:
    """Parse the CSV's bytes; refuses a file with missing columns or an unknown outcome, saying where."""
    try:
        frame = pl.read_csv(io.BytesIO(data), infer_schema_length=0)
    except (pl.exceptions.ComputeError, pl.exceptions.NoDataError) as error:
        raise ValidationError(f"not a readable CSV: {error}", file=source) from None
    required = (*FEATURES, *PROTECTED_COLUMNS, TARGET)
    missing = [name for name in required if name not in frame.columns]
    if missing:
        raise ValidationError(f"missing columns: {', '.join(missing)}", file=source, field=missing[0])
    outcome = frame.get_column(TARGET)
    unknown = (~outcome.is_in(["good", "bad"])).arg_true()
    if unknown.len():
        row = int(unknown[0])
        raise ValidationError(
            f"{TARGET} must be good or bad, not {outcome[row]!r}", file=source, row=row + 2, field=TARGET
        )
    typed = frame.with_columns(_numbers(frame, source))
    return GermanData(
        features=typed.select(FEATURES),
        labels=np.ascontiguousarray((outcome == "good").to_numpy(), dtype=np.int64),
        groups=typed.select(
            sex=pl.col("personal_status_and_sex").str.split(" ").list.first(),
            age_band=age_band_expr(pl.col("age_in_years")),
        ),
    )


def _numbers(frame: pl.DataFrame, source: str) -> list[pl.Expr]:
    for name in NUMERIC_COLUMNS:
        parsed = frame.get_column(name).cast(pl.Int64, strict=False)
        bad = (parsed.is_null() & frame.get_column(name).is_not_null()).arg_true()
        if bad.len():
            row = int(bad[0])
            raise ValidationError(
                f"{name} must be a whole number, not {frame.get_column(name)[row]!r}",
                file=source,
                row=row + 2,
                field=name,
            )
    return [pl.col(name).cast(pl.Int64) for name in NUMERIC_COLUMNS]
