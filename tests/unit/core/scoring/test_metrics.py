from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.metrics import brier_score_loss, roc_auc_score, roc_curve

from recoup.core.scoring.metrics import (
    auc,
    brier,
    calibration_table,
    drift_level,
    gini,
    ks,
    psi,
    psi_against,
    score_reference,
)

labelled_scores = st.integers(min_value=4, max_value=200).flatmap(
    lambda n: st.tuples(
        st.lists(st.integers(0, 1), min_size=n, max_size=n).filter(lambda ys: 0 < sum(ys) < len(ys)),
        # few distinct values, so that ties are common
        st.lists(st.integers(0, 20).map(lambda k: k / 20), min_size=n, max_size=n),
    )
)


@given(labelled_scores)
@settings(max_examples=60, deadline=None)
def test_auc_and_brier_match_scikit_learn(data: tuple[list[int], list[float]]) -> None:
    labels, scores = data
    assert auc(labels, scores) == pytest.approx(roc_auc_score(labels, scores))
    assert gini(labels, scores) == pytest.approx(2 * roc_auc_score(labels, scores) - 1)
    assert brier(labels, scores) == pytest.approx(brier_score_loss(labels, scores))


@given(labelled_scores)
@settings(max_examples=60, deadline=None)
def test_ks_is_the_largest_gap_between_the_roc_rates(data: tuple[list[int], list[float]]) -> None:
    labels, scores = data
    false_positive, true_positive, _ = roc_curve(labels, scores)
    assert ks(labels, scores) == pytest.approx(np.max(np.abs(true_positive - false_positive)))


def test_perfect_and_useless_scores() -> None:
    labels = [0, 0, 1, 1]
    assert auc(labels, [0.1, 0.2, 0.8, 0.9]) == 1.0
    assert ks(labels, [0.1, 0.2, 0.8, 0.9]) == 1.0
    assert auc(labels, [0.5, 0.5, 0.5, 0.5]) == 0.5
    assert ks(labels, [0.5, 0.5, 0.5, 0.5]) == 0.0


def test_auc_needs_both_outcomes() -> None:
    with pytest.raises(ValueError, match="both outcomes"):
        auc([1, 1, 1], [0.2, 0.4, 0.6])


def test_calibration_table_bins_every_row_once_in_order() -> None:
    rng = np.random.default_rng(3)
    probability = rng.random(1000)
    labels = (rng.random(1000) < probability).astype(int)
    table = calibration_table(labels, probability, bins=10)
    assert table.height == 10
    assert table["n"].sum() == 1000
    assert table["mean_predicted"].is_sorted()
    # the labels were drawn from these probabilities: observed rates follow them
    assert np.max(np.abs(table["gap"].to_numpy())) < 0.12


def test_psi_is_zero_for_the_same_population_and_alarms_on_a_shift() -> None:
    rng = np.random.default_rng(5)
    training = rng.beta(2, 5, 20_000)
    same = rng.beta(2, 5, 20_000)
    shifted = rng.beta(5, 2, 20_000)
    assert psi(training, training) == pytest.approx(0.0, abs=1e-12)
    assert psi(training, same) < 0.01
    assert drift_level(psi(training, same)) == "stable"
    assert psi(training, shifted) > 0.25
    assert drift_level(psi(training, shifted)) == "alert"


def test_psi_from_a_stored_reference_equals_psi_from_the_scores() -> None:
    rng = np.random.default_rng(8)
    training, scoring = rng.random(5000), rng.random(3000) ** 1.3
    reference = score_reference(training)
    assert psi_against(reference, scoring) == pytest.approx(psi(training, scoring))
    assert sum(reference.shares) == pytest.approx(1.0)
    assert type(reference).from_dict(reference.to_dict()) == reference


def test_drift_levels() -> None:
    assert drift_level(0.05) == "stable"
    assert drift_level(0.15) == "warning"
    assert drift_level(0.3) == "alert"
