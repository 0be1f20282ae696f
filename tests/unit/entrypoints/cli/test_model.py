from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from recoup.entrypoints.cli.model import app

root = typer.Typer()
root.add_typer(app, name="model")
runner = CliRunner()


def invoke(*args: str) -> object:
    return runner.invoke(root, ["model", *args])


def test_evaluate_prints_auc_gini_ks_and_brier_and_writes_the_plot(tmp_path: Path) -> None:
    plot = tmp_path / "calibration.png"
    result = invoke(
        "evaluate", "--dataset", "german-credit", "--family", "scorecard", "--folds", "3", "--plot", str(plot)
    )
    assert result.exit_code == 0, result.output
    for heading in (
        "AUC",
        "Gini",
        "KS",
        "Brier",
        "calibration",
        "PSI",
        "scorecard (best)",
        "age_band",
        "female",
    ):
        assert heading in result.output
    assert plot.read_bytes().startswith(b"\x89PNG")


@pytest.mark.slow
def test_evaluate_json_reports_five_folds_with_seed_42() -> None:
    # the floors for both families are asserted in tests/unit/core/scoring/test_german.py
    result = invoke("evaluate", "--dataset", "german-credit", "--family", "scorecard", "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert (report["folds"], report["seed"], report["rows"], report["best"]) == (5, 42, 1000, "scorecard")
    scorecard = report["families"]["scorecard"]
    assert set(scorecard["mean"]) == {"auc", "gini", "ks", "brier"}
    assert len(scorecard["folds"]) == 5 and len(scorecard["calibration"]) == 10
    assert scorecard["mean"]["auc"] >= 0.78
    assert scorecard["drift"] == "stable"


@pytest.mark.slow
def test_train_list_and_refuse_to_promote_a_german_model(tmp_path: Path) -> None:
    models = tmp_path / "models"
    trained = invoke(
        "train", "--dataset", "german-credit", "--family", "scorecard", "--model-dir", str(models), "--json"
    )
    assert trained.exit_code == 0, trained.output
    (record,) = json.loads(trained.output)
    assert record["kind"] == "ability" and record["dataset"] == "german-credit"
    listed = json.loads(invoke("list", "--model-dir", str(models), "--json").output)
    assert [r["version"] for r in listed] == [record["version"]]
    refused = invoke("promote", record["version"], "--model-dir", str(models))
    assert refused.exit_code == 1
    assert "german-credit features the daily run does not compute" in refused.stderr


@pytest.mark.slow
def test_a_simulated_willingness_model_can_be_promoted(tmp_path: Path) -> None:
    models = tmp_path / "models"
    trained = invoke(
        "train", "--sim-accounts", "800", "--sim-days", "45", "--family", "scorecard",
        "--model-dir", str(models), "--json",
    )  # fmt: skip
    assert trained.exit_code == 0, trained.output
    (record,) = json.loads(trained.output)
    assert record["kind"] == "willingness" and record["dataset"] == "simulation"
    promoted = invoke("promote", record["version"], "--model-dir", str(models))
    assert promoted.exit_code == 0, promoted.output
    listed = invoke("list", "--model-dir", str(models))
    assert record["version"] in listed.output and "yes" in listed.output


def test_an_empty_registry_says_the_builtin_scorecards_are_used(tmp_path: Path) -> None:
    result = invoke("list", "--model-dir", str(tmp_path))
    assert result.exit_code == 0 and "built-in scorecards" in result.output


@pytest.mark.parametrize(
    "args",
    [
        ("evaluate",),
        ("evaluate", "--dataset", "german-credit", "--sim-accounts", "500"),
        ("evaluate", "--dataset", "german-credit", "--kind", "willingness"),
        ("evaluate", "--dataset", "mnist"),
    ],
)
def test_usage_errors_exit_with_2(args: tuple[str, ...]) -> None:
    assert invoke(*args).exit_code == 2


def test_user_errors_exit_with_1_saying_what(tmp_path: Path) -> None:
    missing = invoke("evaluate", "--dataset", "german-credit", "--data-file", str(tmp_path / "nope.csv"))
    assert missing.exit_code == 1 and "nope.csv" in missing.stderr
    broken = tmp_path / "broken.csv"
    broken.write_text("a,b\n1,2\n")
    bad = invoke("evaluate", "--dataset", "german-credit", "--data-file", str(broken))
    assert bad.exit_code == 1 and "missing columns" in bad.stderr
    unknown = invoke("promote", "ability-gbm-unknown", "--model-dir", str(tmp_path))
    assert unknown.exit_code == 1 and "no model version" in unknown.stderr
