from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from recoup.adapters.models.registry import ArtifactError, ModelRegistry, _content_hash
from recoup.core.errors import NotFound
from recoup.core.scoring.features import FEATURE_SCHEMA
from recoup.core.scoring.gbm import GbmConfig
from recoup.core.scoring.scorer import CalibratedScorer, FeatureSpec
from recoup.core.scoring.training import FamilyConfig, train_scorer

PORTFOLIO_SPEC = FeatureSpec(("dpd", "employment_status"), {"dpd": -1})


def portfolio_rows(n: int = 1000) -> tuple[pl.DataFrame, np.ndarray]:
    rng = np.random.default_rng(0)
    dpd = rng.integers(1, 360, n)
    employment = rng.choice(["employed", "unemployed"], n)
    logit = 1 - dpd / 120 + np.where(employment == "employed", 0.8, -0.8)
    labels = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(np.int64)
    return pl.DataFrame({"dpd": dpd, "employment_status": employment}), labels


def scorer(family: str, spec: FeatureSpec = PORTFOLIO_SPEC) -> CalibratedScorer:
    frame, labels = portfolio_rows()
    if spec is not PORTFOLIO_SPEC:
        frame = frame.rename({"dpd": spec.features[0], "employment_status": spec.features[1]})
    config = FamilyConfig(gbm=GbmConfig(rounds=40, learning_rate=0.1))
    return train_scorer(frame, labels, spec, family, seed=1, config=config).scorer


def metadata(kind: str = "willingness", dataset: str = "simulation", **extra: object) -> dict[str, object]:
    return {
        "kind": kind,
        "dataset": dataset,
        "features": ["dpd", "employment_status"],
        "metrics": {"auc": 0.71, "ks": 0.3, "brier": 0.2},
        "training": {"fingerprint": "ab" * 32, "rows": 1000, "positives": 400, "seed": 1},
        "reference": {"edges": [0.3, 0.5], "shares": [0.3, 0.4, 0.3]},
        **extra,
    }


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        self.now += timedelta(seconds=1)
        return self.now


@pytest.fixture
def registry(tmp_path: Path) -> ModelRegistry:
    return ModelRegistry(tmp_path / "models", clock=Clock())


@pytest.mark.parametrize("family", ["scorecard", "gbm"])
def test_save_and_load_round_trip(registry: ModelRegistry, family: str) -> None:
    model = scorer(family)
    record = registry.save(model, metadata())
    assert record.version.startswith(f"willingness-{family}-20260301T0900")
    loaded = registry.load(record.version)
    frame, _ = portfolio_rows(50)
    assert np.array_equal(loaded.scorer.predict(frame), model.predict(frame))
    assert loaded.version == record.version and loaded.kind == "willingness"
    assert loaded.reference is not None and loaded.reference.shares == (0.3, 0.4, 0.3)
    stored = loaded.metadata
    assert stored["sha256"] == record.sha256 and len(record.sha256) == 64
    assert stored["features"] == ["dpd", "employment_status"]
    assert stored["training"]["fingerprint"] == "ab" * 32
    assert set(stored["files"]) == ({"model.json", "booster.txt"} if family == "gbm" else {"model.json"})
    for name, digest in stored["files"].items():
        assert hashlib.sha256((registry.root / record.version / name).read_bytes()).hexdigest() == digest
    assert not [p for p in registry.root.iterdir() if p.name.startswith(".staging")]


def test_a_changed_artifact_file_is_refused(registry: ModelRegistry) -> None:
    record = registry.save(scorer("gbm"), metadata())
    booster = registry.root / record.version / "booster.txt"
    booster.write_text(booster.read_text().replace("learning_rate", "learning_rate ", 1))
    with pytest.raises(ArtifactError, match=r"booster.txt was changed after it was saved; refusing"):
        registry.load(record.version)


def test_changed_metadata_is_refused(registry: ModelRegistry) -> None:
    record = registry.save(scorer("scorecard"), metadata())
    path = registry.root / record.version / "metadata.json"
    data = json.loads(path.read_text())
    data["metrics"]["auc"] = 0.99
    path.write_text(json.dumps(data))
    with pytest.raises(ArtifactError, match="metadata does not match its SHA-256"):
        registry.load(record.version)


def test_a_promoted_model_cannot_be_swapped_even_with_matching_hashes(registry: ModelRegistry) -> None:
    record = registry.save(scorer("scorecard"), metadata())
    registry.promote(record.version)
    folder = registry.root / record.version
    model_file = folder / "model.json"
    description = json.loads(model_file.read_text())
    description["model"]["base_points"] += 100
    model_file.write_text(json.dumps(description))
    data = json.loads((folder / "metadata.json").read_text())
    data["files"]["model.json"] = hashlib.sha256(model_file.read_bytes()).hexdigest()
    data["sha256"] = _content_hash(data)
    (folder / "metadata.json").write_text(json.dumps(data))
    registry.load(record.version)  # consistent on its own ...
    with pytest.raises(ArtifactError, match="differs from the one recorded when it was promoted"):
        registry.promoted("willingness")  # ... but not what was promoted


def test_promote_points_the_daily_run_at_a_version(registry: ModelRegistry) -> None:
    assert registry.promoted("willingness") is None
    first = registry.save(scorer("scorecard"), metadata())
    second = registry.save(scorer("gbm"), metadata())
    registry.promote(first.version)
    registry.promote(second.version)
    promoted = registry.promoted("willingness")
    assert promoted is not None and promoted.version == second.version
    assert registry.promoted("ability") is None
    listed = registry.list()
    assert [r.version for r in listed] == [first.version, second.version]
    assert [r.promoted for r in listed] == [False, True]
    pointer = json.loads((registry.root / "promoted" / "willingness.json").read_text())
    assert pointer["version"] == second.version and pointer["sha256"] == second.sha256


def test_a_model_of_other_features_cannot_be_promoted(registry: ModelRegistry) -> None:
    spec = FeatureSpec(("duration_in_month", "job"))
    record = registry.save(
        scorer("scorecard", spec), metadata("ability", "german-credit", features=list(spec.features))
    )
    assert "duration_in_month" not in FEATURE_SCHEMA
    with pytest.raises(ArtifactError, match="german-credit features the daily run does not compute"):
        registry.promote(record.version)


def test_unknown_versions_and_kinds(registry: ModelRegistry) -> None:
    with pytest.raises(NotFound):
        registry.load("willingness-gbm-nothing")
    with pytest.raises(NotFound):
        registry.load("../escape")
    with pytest.raises(ArtifactError, match="must name a kind"):
        registry.save(scorer("scorecard"), metadata(kind="honesty"))
    assert ModelRegistry(registry.root / "absent").list() == []


def test_a_promoted_version_that_disappeared_is_reported(registry: ModelRegistry) -> None:
    record = registry.save(scorer("scorecard"), metadata())
    registry.promote(record.version)
    for path in (registry.root / record.version).iterdir():
        path.unlink()
    (registry.root / record.version).rmdir()
    with pytest.raises(ArtifactError, match="is missing"):
        registry.promoted("willingness")
