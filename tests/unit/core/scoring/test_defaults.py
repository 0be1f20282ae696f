from __future__ import annotations

import polars as pl
import pytest

from recoup.core.scoring.defaults import builtin_scorer
from recoup.core.scoring.features import FEATURE_SCHEMA
from recoup.core.scoring.specs import PORTFOLIO_SPECS


def frame(**columns: list[object]) -> pl.DataFrame:
    rows = len(next(iter(columns.values())))
    base = {name: pl.Series(name, [None] * rows, dtype=dtype) for name, dtype in FEATURE_SCHEMA.items()}
    for name, values in columns.items():
        base[name] = pl.Series(name, values, dtype=FEATURE_SCHEMA[name])
    return pl.DataFrame(list(base.values()))


@pytest.mark.parametrize("kind", ["ability", "willingness"])
def test_builtin_scorers_use_only_portfolio_features(kind: str) -> None:
    assert set(builtin_scorer(kind).features) <= set(FEATURE_SCHEMA)
    assert set(PORTFOLIO_SPECS[kind].features) <= set(FEATURE_SCHEMA)


def test_broken_promises_lower_willingness_and_read_as_the_first_reason() -> None:
    scorer = builtin_scorer("willingness")
    features = frame(broken_promises_60d=[0, 3], days_since_last_payment=[10, 10], dpd=[20, 20])
    low, high = scorer.predict(features)[1], scorer.predict(features)[0]
    assert low < high
    reasons = scorer.reasons(features)
    assert reasons.row(1)[0] == "broken_promises_60d"
    assert "broken_promises_60d" not in reasons.row(0)


def test_unemployment_and_heavy_debt_lower_ability() -> None:
    scorer = builtin_scorer("ability")
    features = frame(employment_status=["employed", "unemployed"], debt_to_income=[0.1, 3.0])
    probability = scorer.predict(features)
    assert probability[1] < probability[0]
    assert set(scorer.reasons(features).row(1)) >= {"employment_status", "debt_to_income"}


def test_unknown_kind_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown score kind"):
        builtin_scorer("honesty")


def test_an_account_with_no_history_gets_neutral_willingness() -> None:
    scorer = builtin_scorer("willingness")
    fresh = frame(dpd=[45])  # 31-90 days past due: +5 points, everything else unknown
    assert 0.5 <= scorer.predict(fresh)[0] < 0.6
