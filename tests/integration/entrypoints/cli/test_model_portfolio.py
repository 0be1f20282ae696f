"""`recoup model evaluate|train --portfolio`: the stored portfolio's own history, replayed from placement."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from recoup.adapters.db.engine import Database
from recoup.adapters.db.portfolio import placed_accounts
from recoup.bootstrap import App
from recoup.config import Settings
from recoup.entrypoints.cli.app import app as cli
from recoup.entrypoints.jobs.simulation import SimulationPlan, simulate
from recoup.services.options import RunOptions

pytestmark = pytest.mark.slow


def test_models_learn_from_the_stored_portfolio(sqlite_db: Database, tmp_path: Path) -> None:
    app = App(settings=Settings(), db=sqlite_db)
    plan = SimulationPlan(accounts=800, days=45, seed=4, options=RunOptions(capacity={"call": 120}))
    result = simulate(app, plan, tmp_path)
    placed = placed_accounts(sqlite_db)
    # The placement is replayed from the parts as placed, not from today's balances.
    assert (
        placed.select("principal").sum().item() == result.portfolio.accounts.select("principal").sum().item()
    )

    url = str(sqlite_db.url)
    runner = CliRunner()
    as_of = str(date(2026, 4, 15))
    evaluated = runner.invoke(
        cli,
        [
            "--db",
            url,
            "model",
            "evaluate",
            "--portfolio",
            "--as-of",
            as_of,
            "--family",
            "scorecard",
            "--json",
        ],
    )
    assert evaluated.exit_code == 0, evaluated.output
    report = json.loads(evaluated.output)
    assert "scorecard" in json.dumps(report) and "auc" in json.dumps(report).lower()

    models = tmp_path / "models"
    trained = runner.invoke(
        cli,
        [
            "--db",
            url,
            "model",
            "train",
            "--portfolio",
            "--as-of",
            as_of,
            "--family",
            "scorecard",
            "--model-dir",
            str(models),
        ],
    )
    assert trained.exit_code == 0, trained.output
    assert any(models.rglob("*.json"))


def test_an_empty_portfolio_says_so(sqlite_db: Database) -> None:
    result = CliRunner().invoke(cli, ["--db", str(sqlite_db.url), "model", "evaluate", "--portfolio"])
    assert result.exit_code == 1
    assert "no labelled willingness examples" in result.output
