from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from recoup.core.strategy.uplift import (
    DEFAULT_PRIOR,
    EXPOSURE_SCHEMA,
    HISTORY_SCHEMA,
    cold_start,
    fit_uplift,
    uplift_history,
)


def _history(
    segment: str, action: str, treated: list[float], holdout: list[float], balance: int = 10_000
) -> pl.DataFrame:
    rows = [
        {
            "segment": segment,
            "variant": "champion",
            "action": action,
            "offer_kind": "none",
            "balance": balance,
            "recovered_30d": round(rate * balance),
            "ability_score": 0.6,
        }
        for rate in treated
    ] + [
        {
            "segment": segment,
            "variant": "holdout",
            "action": None,
            "offer_kind": None,
            "balance": balance,
            "recovered_30d": round(rate * balance),
            "ability_score": 0.6,
        }
        for rate in holdout
    ]
    return pl.DataFrame(rows, schema=HISTORY_SCHEMA)


def _uplift(model: object, segment: str, treatment: str) -> dict[str, float]:
    table = model.uplifts  # type: ignore[attr-defined]
    return table.filter((pl.col("segment") == segment) & (pl.col("treatment") == treatment)).row(
        0, named=True
    )


def test_cold_start_is_the_documented_prior() -> None:
    model = cold_start()
    call = _uplift(model, "able_unwilling", "call")
    assert call["uplift"] == pytest.approx(DEFAULT_PRIOR.uplift("able_unwilling", "call"))
    assert call["weight"] == 0.0 and call["n_treated"] == 0
    base = model.bases.filter(pl.col("segment") == "able_willing").row(0, named=True)
    assert base["base_rate"] == pytest.approx(DEFAULT_PRIOR.base("able_willing"))


@settings(max_examples=40, deadline=None)
@given(
    treated=st.lists(st.sampled_from([0.0, 1.0]), min_size=1, max_size=3),
    holdout=st.lists(st.sampled_from([0.0, 1.0]), min_size=1, max_size=3),
)
def test_uplift_shrinks_to_the_prior_with_little_data(treated: list[float], holdout: list[float]) -> None:
    model = fit_uplift(_history("able_willing", "sms", treated, holdout))
    row = _uplift(model, "able_willing", "sms")
    prior = DEFAULT_PRIOR.uplift("able_willing", "sms")
    # Even an extreme observed difference (+-1) moves a handful of accounts only a little way from the prior.
    assert row["weight"] < 0.1
    assert abs(row["uplift"] - prior) <= row["weight"] * abs(row["raw_uplift"] - prior) + 1e-12
    assert abs(row["uplift"] - prior) < 0.1


def test_uplift_follows_the_data_when_there_is_plenty() -> None:
    rng = np.random.default_rng(3)
    treated = (rng.random(40_000) < 0.30).astype(float).tolist()
    holdout = (rng.random(40_000) < 0.20).astype(float).tolist()
    row = _uplift(fit_uplift(_history("able_unwilling", "call", treated, holdout)), "able_unwilling", "call")
    assert row["weight"] > 0.9
    assert row["uplift"] == pytest.approx(0.10, abs=0.01)
    assert row["posterior_sd"] < 0.005


def test_the_weight_grows_with_the_number_of_accounts() -> None:
    rng = np.random.default_rng(5)
    weights = []
    for n in (10, 100, 1_000, 10_000):
        treated = (rng.random(n) < 0.3).astype(float).tolist()
        holdout = (rng.random(n) < 0.2).astype(float).tolist()
        weights.append(
            _uplift(fit_uplift(_history("able_willing", "call", treated, holdout)), "able_willing", "call")[
                "weight"
            ]
        )
    assert weights == sorted(weights)


def test_no_holdout_means_no_evidence() -> None:
    model = fit_uplift(_history("unable_willing", "email", [1.0] * 500, []))
    row = _uplift(model, "unable_willing", "email")
    assert row["weight"] == 0.0
    assert row["uplift"] == pytest.approx(DEFAULT_PRIOR.uplift("unable_willing", "email"))


def test_offers_are_keyed_by_their_kind_and_unknown_pairs_get_no_uplift() -> None:
    history = _history("able_willing", "offer", [0.5] * 50, [0.1] * 50).with_columns(
        offer_kind=pl.when(pl.col("variant") == "holdout").then(None).otherwise(pl.lit("settlement"))
    )
    model = fit_uplift(history)
    assert _uplift(model, "able_willing", "offer_settlement")["n_treated"] == 50
    frame = pl.DataFrame({"segment": ["able_willing", "new_segment"], "treatment": ["teleport", "sms"]})
    looked = model.lookup(frame)
    assert looked.get_column("uplift").to_list() == [0.0, 0.0]
    assert looked.get_column("base_rate")[1] == DEFAULT_PRIOR.default_base_rate


def test_the_segment_anchor_moves_toward_the_observed_mean_ability() -> None:
    history = _history("able_willing", "sms", [0.1] * 5_000, [0.1] * 5_000).with_columns(
        ability_score=pl.lit(0.95)
    )
    anchor = fit_uplift(history).bases.filter(pl.col("segment") == "able_willing").item(0, "anchor_ability")
    assert 0.94 < anchor < 0.95


def _exposure(
    key: int, day: date, variant: str = "champion", action: str | None = "call"
) -> dict[str, object]:
    return {
        "account_key": key,
        "run_date": day,
        "segment": "able_willing",
        "variant": variant,
        "action": action,
        "offer_kind": "none" if action else None,
        "balance": 10_000,
        "ability_score": 0.7,
    }


def test_history_counts_payments_in_the_thirty_days_after_each_exposure() -> None:
    d0 = date(2026, 3, 2)
    exposures = pl.DataFrame(
        [
            _exposure(1, d0),
            _exposure(1, d0 + timedelta(days=10)),
            _exposure(2, d0, "holdout", None),
            _exposure(3, d0 + timedelta(days=20)),  # its window ends after as_of: not yet an outcome
        ],
        schema=EXPOSURE_SCHEMA,
    )
    payments = pl.DataFrame(
        {
            "account_key": [1, 1, 1, 1, 2, 3],
            "local_date": [
                d0,
                d0 + timedelta(days=1),
                d0 + timedelta(days=30),
                d0 + timedelta(days=31),
                d0 + timedelta(days=5),
                d0 + timedelta(days=21),
            ],
            "amount": [1, 10, 100, 1000, 7, 5],
        }
    )
    history = uplift_history(exposures, payments, as_of=d0 + timedelta(days=40))
    assert history.schema == pl.Schema(HISTORY_SCHEMA)
    assert history.select("variant", "recovered_30d").rows() == [
        ("champion", 110),  # the same-day payment came before the contact; day 31 is outside
        ("champion", 1100),  # days 11..40 of the second exposure
        ("holdout", 7),
    ]
