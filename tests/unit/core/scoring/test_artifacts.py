from __future__ import annotations

import json

import numpy as np
import polars as pl
import pytest

from recoup.core.scoring.artifacts import BOOSTER_FILE, ScorerParts, from_parts, to_parts
from recoup.core.scoring.defaults import builtin_scorer
from recoup.core.scoring.gbm import GbmConfig
from recoup.core.scoring.scorer import FeatureSpec
from recoup.core.scoring.training import FamilyConfig, train_scorer


def synthetic(n: int) -> tuple[pl.DataFrame, np.ndarray]:
    rng = np.random.default_rng(0)
    x = rng.normal(size=n)
    kind = rng.choice(["a", "b", "c"], n)
    labels = (rng.random(n) < 1 / (1 + np.exp(-(x + (kind == "a"))))).astype(np.int64)
    return pl.DataFrame({"x": x, "kind": kind}), labels


@pytest.mark.parametrize("family", ["scorecard", "gbm"])
def test_scorers_survive_json_and_text(family: str) -> None:
    frame, labels = synthetic(1200)
    config = FamilyConfig(gbm=GbmConfig(rounds=50, learning_rate=0.1))
    scorer = train_scorer(frame, labels, FeatureSpec(("x", "kind")), family, seed=1, config=config).scorer
    parts = to_parts(scorer)
    assert (BOOSTER_FILE in parts.texts) == (family == "gbm")
    stored = ScorerParts(description=json.loads(json.dumps(parts.description)), texts=dict(parts.texts))
    again = from_parts(stored)
    assert np.array_equal(again.predict(frame), scorer.predict(frame))
    assert again.reasons(frame).equals(scorer.reasons(frame))


def test_an_unknown_format_is_refused() -> None:
    parts = to_parts(builtin_scorer("ability"))
    with pytest.raises(ValueError, match="unknown artifact format"):
        from_parts(ScorerParts({**parts.description, "format": "pickle"}, {}))


def test_a_gbm_without_its_booster_is_refused() -> None:
    frame, labels = synthetic(600)
    config = FamilyConfig(gbm=GbmConfig(rounds=20))
    scorer = train_scorer(frame, labels, FeatureSpec(("x",)), "gbm", seed=1, config=config).scorer
    with pytest.raises(ValueError, match=BOOSTER_FILE):
        from_parts(ScorerParts(to_parts(scorer).description, {}))
