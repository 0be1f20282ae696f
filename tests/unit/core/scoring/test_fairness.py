from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from recoup.core.errors import ValidationError
from recoup.core.scoring.fairness import (
    ProtectedAttributeError,
    check_features,
    group_gaps,
    is_protected,
)
from recoup.core.scoring.scorer import FeatureSpec


@pytest.mark.parametrize(
    "name",
    [
        "sex",
        "Gender",
        "debtor_sex",
        "marital_status",
        "ethnicity",
        "race",
        "religion",
        "nationality",
        "personal_status_and_sex",
        "foreign_worker",
        "性别",
        "婚姻状况",
        "民族",
    ],
)
def test_protected_names_are_recognised(name: str) -> None:
    assert is_protected(name)


@pytest.mark.parametrize("name", ["dpd", "debt_to_income", "employment_status", "age_band", "sextant_count"])
def test_ordinary_features_are_not_protected(name: str) -> None:
    assert not is_protected(name)


def test_a_feature_list_with_a_protected_attribute_is_refused_naming_it() -> None:
    with pytest.raises(ProtectedAttributeError, match="personal_status_and_sex, religion") as error:
        check_features(["duration_in_month", "personal_status_and_sex", "religion"])
    assert isinstance(error.value, ValidationError)
    assert error.value.field == "features"


def test_a_model_spec_cannot_name_a_protected_attribute() -> None:
    with pytest.raises(ProtectedAttributeError):
        FeatureSpec(("dpd", "gender"))


def test_group_gaps_show_a_discriminating_model() -> None:
    rng = np.random.default_rng(0)
    sex = np.array(["female", "male"] * 500)
    scores = np.where(sex == "female", rng.uniform(0.2, 0.6, 1000), rng.uniform(0.4, 0.9, 1000))
    table = group_gaps(pl.Series(scores), pl.DataFrame({"sex": sex}), threshold=0.5)
    female = table.filter(pl.col("group") == "female").row(0, named=True)
    male = table.filter(pl.col("group") == "male").row(0, named=True)
    assert female["approval_rate"] < 0.3 < 0.7 < male["approval_rate"]
    assert female["adverse_impact"] and not male["adverse_impact"]
    assert female["score_gap"] < 0 < male["score_gap"]
    assert male["approval_gap"] == 0.0


def test_group_gaps_of_a_fair_model_raise_no_flag() -> None:
    rng = np.random.default_rng(1)
    groups = pl.DataFrame({"age_band": rng.choice(["<25", "25-34", "35-44"], 3000)})
    table = group_gaps(pl.Series(rng.random(3000)), groups, threshold=0.5)
    assert table.height == 3
    assert not table["adverse_impact"].any()


def test_group_gaps_without_groups_is_an_empty_table() -> None:
    table = group_gaps(pl.Series([0.1, 0.9]), pl.DataFrame(), threshold=0.5)
    assert table.is_empty()
    assert "impact_ratio" in table.columns
