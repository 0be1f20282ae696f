from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from recoup.core.errors import ValidationError
from recoup.core.scoring.german import FEATURES, PROTECTED_COLUMNS, SPEC, GermanData, parse_german
from recoup.core.scoring.metrics import brier
from recoup.core.scoring.training import CrossValidation, cross_validate

DATA = Path(__file__).resolve().parents[4] / "data" / "german_credit.csv"
SCORECARD_FLOOR = 0.78
BEST_FLOOR = 0.79


@pytest.fixture(scope="module")
def german() -> GermanData:
    return parse_german(DATA.read_bytes())


def test_the_file_parses_with_its_outcome_and_protected_groups(german: GermanData) -> None:
    assert german.features.shape == (1000, len(FEATURES))
    assert int(german.labels.sum()) == 700
    assert set(german.groups["sex"].unique()) == {"female", "male"}
    assert german.groups["age_band"].null_count() == 0


def test_protected_columns_never_become_features(german: GermanData) -> None:
    assert not set(PROTECTED_COLUMNS) & set(german.features.columns)
    assert not set(PROTECTED_COLUMNS) & set(SPEC.features)


def test_a_broken_file_is_refused_saying_where() -> None:
    text = DATA.read_text(encoding="utf-8").splitlines()
    header, first = text[0], text[1]
    with pytest.raises(ValidationError, match="missing columns: creditability"):
        parse_german(("\n".join([header.rsplit(",", 1)[0], first.rsplit(",", 1)[0]])).encode())
    with pytest.raises(ValidationError, match="good or bad") as error:
        parse_german("\n".join([header, first.rsplit(",", 1)[0] + ",maybe"]).encode())
    assert error.value.row == 2
    with pytest.raises(ValidationError, match="whole number"):
        parse_german("\n".join([header, first.replace(",6,", ",six,", 1)]).encode())


@pytest.fixture(scope="module")
def validations(german: GermanData) -> dict[str, CrossValidation]:
    return {
        family: cross_validate(german.features, german.labels, SPEC, family, folds=5, seed=42)
        for family in ("scorecard", "gbm")
    }


@pytest.mark.slow
def test_cross_validated_auc_reaches_the_floors(validations: dict[str, CrossValidation]) -> None:
    scorecard = validations["scorecard"].mean_auc
    gbm = validations["gbm"].mean_auc
    print(
        f"\nGerman credit, 5-fold stratified CV, seed 42: scorecard AUC {scorecard:.4f}, LightGBM AUC {gbm:.4f}"
    )
    assert scorecard >= SCORECARD_FLOOR, f"scorecard AUC {scorecard:.4f}"
    assert max(scorecard, gbm) >= BEST_FLOOR, f"best AUC {max(scorecard, gbm):.4f}"


@pytest.mark.slow
def test_calibration_improves_or_keeps_the_brier_score(validations: dict[str, CrossValidation]) -> None:
    for family, validation in validations.items():
        labels = validation.labels
        calibrated = brier(labels, validation.out_of_fold())
        raw = brier(labels, validation.out_of_fold_raw())
        assert calibrated <= raw + 0.002, f"{family}: calibrated {calibrated:.4f}, raw {raw:.4f}"


@pytest.mark.slow
def test_every_fold_was_scored_once(validations: dict[str, CrossValidation]) -> None:
    rows = np.sort(np.concatenate([fold.test_rows for fold in validations["scorecard"].folds]))
    assert np.array_equal(rows, np.arange(1000))
