from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from recoup.core.scoring.gbm import GbmConfig, GbmModel, fit_encoder, fit_gbm, reason_agreement
from recoup.core.scoring.metrics import auc
from recoup.core.scoring.scorer import FeatureSpec

SPEC = FeatureSpec(("broken", "debt_ratio", "employment"), {"broken": -1, "debt_ratio": -1})
SMALL = GbmConfig(rounds=120, learning_rate=0.05)


def synthetic(n: int, seed: int) -> tuple[pl.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    broken = rng.poisson(1.0, n)
    ratio = rng.gamma(2.0, 0.5, n)
    employment = rng.choice(["employed", "self_employed", "unemployed"], n, p=[0.6, 0.25, 0.15])
    logit = 1.0 - 0.8 * broken - 0.9 * ratio + np.where(employment == "unemployed", -1.2, 0.3)
    labels = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(np.int64)
    return pl.DataFrame({"broken": broken, "debt_ratio": ratio, "employment": employment}), labels


@pytest.fixture(scope="module")
def model() -> GbmModel:
    frame, labels = synthetic(5000, 1)
    return fit_gbm(frame, labels, SPEC, seed=7, config=SMALL)


def test_gbm_learns_the_signal(model: GbmModel) -> None:
    frame, labels = synthetic(3000, 2)
    assert auc(labels, model.margin(frame)) > 0.7


def test_monotone_constraints_hold(model: GbmModel) -> None:
    grid = np.linspace(0, 6, 61)
    frame = pl.DataFrame({"broken": np.zeros(61), "debt_ratio": grid, "employment": ["employed"] * 61})
    margin = model.margin(frame)
    assert (np.diff(margin) <= 1e-12).all()


def test_categories_are_one_hot_and_unseen_ones_are_none_of_them() -> None:
    frame = pl.DataFrame({"employment": ["employed"] * 10 + ["retired"] * 2, "x": range(12)})
    encoder = fit_encoder(frame, ("employment", "x"))
    assert encoder.levels == {"employment": ("employed",)}  # "retired" is too rare to get a column
    matrix = encoder.matrix(pl.DataFrame({"employment": ["employed", "astronaut", None], "x": [1, 2, None]}))
    assert matrix[:, 0].tolist() == [1.0, 0.0, 0.0]
    assert np.isnan(matrix[2, 1])


def test_exact_contributions_add_up_to_the_margin(model: GbmModel) -> None:
    frame, _ = synthetic(50, 3)
    contributions = model.contributions(frame)
    expected_value = model.margin(frame) - contributions.sum(axis=1)
    assert np.allclose(expected_value, expected_value[0])  # the rest is the model's constant base value


def test_batch_reasons_come_from_the_explainer_and_mostly_agree_with_treeshap(model: GbmModel) -> None:
    frame, _ = synthetic(400, 4)
    assert model.reasons(frame).equals(model.explainer.reasons(frame))
    assert reason_agreement(model, frame) > 0.6


def test_round_trip_through_text_and_json(model: GbmModel) -> None:
    frame, _ = synthetic(200, 5)
    description, booster = model.to_parts()
    again = GbmModel.from_parts(description, booster)
    assert np.array_equal(again.margin(frame), model.margin(frame))
    assert again.reasons(frame).equals(model.reasons(frame))


def test_same_seed_same_model() -> None:
    frame, labels = synthetic(2000, 6)
    first = fit_gbm(frame, labels, SPEC, seed=3, config=SMALL, explain=False)
    second = fit_gbm(frame, labels, SPEC, seed=3, config=SMALL, explain=False)
    assert np.array_equal(first.margin(frame), second.margin(frame))
