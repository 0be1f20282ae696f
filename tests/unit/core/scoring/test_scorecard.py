from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from recoup.core.scoring.metrics import auc
from recoup.core.scoring.scorecard import (
    MIN_POINTS_LOST,
    Characteristic,
    ScorecardTable,
    fit_scorecard,
    top_factors,
)
from recoup.core.scoring.scorer import FeatureSpec


def synthetic(n: int, seed: int) -> tuple[pl.DataFrame, np.ndarray]:
    """Goods rise with income share and fall with broken promises; employment matters; noise does not."""
    rng = np.random.default_rng(seed)
    broken = rng.poisson(1.0, n)
    ratio = rng.gamma(2.0, 0.5, n)
    employment = rng.choice(["employed", "self_employed", "unemployed"], n, p=[0.6, 0.25, 0.15])
    noise = rng.normal(size=n)
    logit = 1.0 - 0.8 * broken - 0.9 * ratio + np.select([employment == "unemployed"], [-1.2], 0.3)
    labels = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(np.int64)
    frame = pl.DataFrame(
        {"broken": broken, "debt_ratio": ratio, "employment": employment, "noise": noise}
    ).with_columns(
        pl.when(pl.int_range(pl.len()) % 17 == 0)
        .then(None)
        .otherwise(pl.col("debt_ratio"))
        .alias("debt_ratio")
    )
    return frame, labels


SPEC = FeatureSpec(("broken", "debt_ratio", "employment", "noise"), {"broken": -1, "debt_ratio": -1})


@pytest.fixture(scope="module")
def fitted() -> tuple[ScorecardTable, pl.DataFrame, np.ndarray]:
    frame, labels = synthetic(6000, 1)
    return fit_scorecard(frame, labels, SPEC, seed=0), frame, labels


def test_scorecard_learns_the_signal_and_drops_noise(fitted) -> None:
    table, _, _ = fitted
    test_frame, test_labels = synthetic(4000, 2)
    assert auc(test_labels, table.margin(test_frame)) > 0.7
    assert set(table.features) >= {"broken", "debt_ratio", "employment"}
    assert "noise" not in table.features


def test_score_is_base_points_plus_the_points_of_each_bin(fitted) -> None:
    table, frame, _ = fitted
    points = table.points(frame)
    assert np.allclose(table.score(frame), table.base_points + points.sum(axis=1))
    assert np.allclose(table.margin(frame), (table.score(frame) - table.offset) / table.factor)


def test_monotone_directions_hold_in_the_points(fitted) -> None:
    table, _, _ = fitted
    for characteristic in table.characteristics:
        if characteristic.feature in ("broken", "debt_ratio"):
            regular = characteristic.points[: characteristic.n_regular]
            assert list(regular) == sorted(regular, reverse=True), characteristic.feature


def test_missing_values_fall_in_the_missing_bin(fitted) -> None:
    table, frame, _ = fitted
    ratio = next(c for c in table.characteristics if c.feature == "debt_ratio")
    index = ratio.bin_index(frame.get_column("debt_ratio"))
    assert (index[frame.get_column("debt_ratio").is_null().to_numpy()] == ratio.n_regular).all()
    assert ratio.goods[ratio.n_regular] + ratio.bads[ratio.n_regular] == frame["debt_ratio"].null_count()


def test_an_unseen_category_scores_neutral_points(fitted) -> None:
    table, _, _ = fitted
    employment = next(c for c in table.characteristics if c.feature == "employment")
    index = employment.bin_index(pl.Series(["astronaut"]))
    assert index[0] == employment.n_regular + 1
    assert employment.points[index[0]] == 0.0


def test_reason_codes_are_the_attributes_with_the_most_points_lost(fitted) -> None:
    table, frame, _ = fitted
    sample = frame.head(300)
    reasons = table.reasons(sample)
    points_table = table.points_table()
    best = points_table.group_by("feature").agg(pl.col("points").max())
    best_points = dict(zip(best["feature"], best["points"], strict=True))
    points = table.points(sample)
    for row, codes in enumerate(reasons.iter_rows()):
        lost = {f: best_points[f] - points[row, j] for j, f in enumerate(table.features)}
        expected = [
            f for f, value in sorted(lost.items(), key=lambda kv: -kv[1]) if value >= MIN_POINTS_LOST
        ][:3]
        assert [c for c in codes if c is not None] == expected


def test_a_row_at_its_best_in_every_characteristic_has_no_reason() -> None:
    characteristic = Characteristic(
        "x", False, (1.0,), (), (10.0, -10.0, 0.0, 0.0), (0,) * 4, (0,) * 4, (0,) * 4
    )
    table = ScorecardTable((characteristic,), base_points=500.0)
    reasons = table.reasons(pl.DataFrame({"x": [0.0, 2.0]}))
    assert reasons.row(0) == (None, None, None)
    assert reasons.row(1) == ("x", None, None)


def test_the_table_round_trips_through_plain_data(fitted) -> None:
    table, frame, _ = fitted
    again = ScorecardTable.from_dict(table.to_dict())
    assert again == table
    assert np.array_equal(again.score(frame), table.score(frame))


@given(
    st.lists(st.lists(st.floats(0, 100, allow_nan=False), min_size=4, max_size=4), min_size=1, max_size=30),
    st.integers(1, 4),
)
@settings(max_examples=100, deadline=None)
def test_top_factors_picks_the_largest_losses_in_order(rows: list[list[float]], top: int) -> None:
    loss = np.array(rows)
    names = ("a", "b", "c", "d")
    chosen = top_factors(loss, names, top, floor=1.0)
    for row, codes in zip(loss, chosen.iter_rows(), strict=True):
        picked = [names.index(c) for c in codes if c is not None]
        values = [row[i] for i in picked]
        assert values == sorted(values, reverse=True)
        assert all(v >= 1.0 for v in values)
        assert len(picked) == min(top, int((row >= 1.0).sum()))
        if picked:
            assert row[picked[0]] == row.max()
