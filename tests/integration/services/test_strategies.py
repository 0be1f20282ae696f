"""Experiments in the daily run: arms on every action, an untouched holdout, exposures, the readout, the
uplift fitted from stored history, and promotion as an audited act."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import polars as pl
import pytest

from recoup.adapters.db import audit
from recoup.adapters.db.bulk import read_frame
from recoup.adapters.db.engine import Database
from recoup.bootstrap import App
from recoup.config import Settings
from recoup.core.errors import Conflict, NotFound
from recoup.core.strategy.experiments import HOLDOUT, arm_of
from recoup.entrypoints.jobs.simulation import SimulationPlan, simulate
from recoup.services import strategies
from recoup.services.options import RunOptions

START = date(2026, 3, 2)
NOW = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
PLAYBOOK = (Path(__file__).resolve().parents[3] / "src/recoup/core/strategy/paths/default.yaml").read_text(
    encoding="utf-8"
)


def _challenger_text(name: str = "bolder", version: int = 1) -> str:
    return PLAYBOOK.replace("name: default", f"name: {name}", 1).replace(
        "version: 2", f"version: {version}", 1
    )


def _simulated(
    db: Database, tmp_path: Path, days: int, holdout: int = 2000, strategy: str = "default"
) -> App:
    app = App(settings=Settings(), db=db)
    plan = SimulationPlan(
        accounts=400, days=days, seed=5, start=START, options=RunOptions(strategy=strategy), holdout=holdout
    )
    simulate(app, plan, tmp_path)
    return app


def _acted(db: Database) -> pl.DataFrame:
    return read_frame(
        db,
        'SELECT c.creditor_id, c.account_id, a.variant, a.balance FROM actions a JOIN accounts c ON c."key" = a.account_key',
    )


@pytest.mark.parametrize("strategy", ["default", "baseline"])
def test_holdout_accounts_are_never_treated_and_every_action_names_its_arm(
    sqlite_db: Database, tmp_path: Path, strategy: str
) -> None:
    _simulated(sqlite_db, tmp_path, days=6, strategy=strategy)
    acted = _acted(sqlite_db)
    with sqlite_db.engine.connect() as connection:
        experiment = strategies.running_experiment(connection)
    assert experiment is not None
    arms = [arm_of(experiment[0], c, a) for c, a in acted.select("creditor_id", "account_id").rows()]
    assert acted.height > 0 and HOLDOUT not in arms
    assert acted.get_column("variant").to_list() == arms
    assert acted.get_column("balance").null_count() == 0


def test_a_month_with_a_holdout_exposes_reads_out_and_fits_the_uplift(db: Database, tmp_path: Path) -> None:
    """One simulated month (shared because PostgreSQL makes each one slow): exposures once per 30 days,
    the readout over every placed account, and the uplift fitted once the first exposures matured."""
    _simulated(db, tmp_path, days=34)
    exposures = read_frame(
        db,
        "SELECT account_key, run_date, variant, segment FROM experiment_exposures",
        {"account_key": pl.Int64(), "run_date": pl.Date(), "variant": pl.String(), "segment": pl.String()},
    )
    assert exposures.get_column("variant").unique().to_list() == [HOLDOUT]
    assert "hold" not in exposures.get_column("segment").to_list()
    gaps = (
        exposures.sort("account_key", "run_date")
        .group_by("account_key")
        .agg(gap=pl.col("run_date").diff().dt.total_days().min())
        .get_column("gap")
        .drop_nulls()
    )
    assert gaps.len() > 0 and gaps.min() >= 30  # type: ignore[operator]
    placed = read_frame(db, "SELECT COUNT(*) AS n FROM accounts").item()
    first_day = exposures.filter(pl.col("run_date") == START).height
    assert 0.1 * placed < first_day < 0.3 * placed  # a 20 % holdout, less accounts on hold

    with db.engine.connect() as connection:
        measured = strategies.experiment_readout(connection, db, "sim-5", date(2026, 4, 4))
        config = strategies.strategy_config(connection, db, date(2026, 4, 4))
    arms = measured.result.arms.filter(pl.col("metric") == "recovered")
    assert set(arms.get_column("variant")) == {"champion", HOLDOUT}
    assert arms.get_column("n").sum() == placed
    cost = measured.result.arms.filter((pl.col("metric") == "cost") & (pl.col("variant") == HOLDOUT))
    assert cost.get_column("total").sum() == 0
    assert config.uplift.bases.get_column("n_holdout").sum() > 0
    assert config.uplift.uplifts.get_column("n_treated").sum() > 0
    steps = read_frame(db, "SELECT stats FROM run_steps WHERE step = 'decide' ORDER BY run_date")
    assert '"uplift": "prior"' in steps.item(0, 0) and '"uplift": "fitted"' in steps.item(-1, 0)


def test_a_challenger_is_promoted_only_explicitly_and_the_act_is_audited(
    sqlite_db: Database, tmp_path: Path
) -> None:
    app = App(settings=Settings(), db=sqlite_db)
    plan = SimulationPlan(accounts=300, days=1, seed=5, start=START, options=RunOptions(strategy="default"))
    simulate(app, plan, tmp_path)
    with sqlite_db.engine.begin() as connection:
        strategies.start_experiment(
            connection,
            experiment_id="offers-1",
            seed="x",
            holdout=1000,
            challengers=[(_challenger_text(), "bolder.yaml", 3000)],
            started_on=START,
            now=NOW,
        )
    with sqlite_db.engine.begin() as connection, pytest.raises(Conflict, match="does not beat"):
        strategies.promote_challenger(
            connection,
            sqlite_db,
            experiment_id="offers-1",
            arm="challenger-1",
            approved_by="lead",
            reason="r",
            as_of=START,
            now=NOW,
        )
    with sqlite_db.engine.begin() as connection:
        record = strategies.promote_challenger(
            connection,
            sqlite_db,
            experiment_id="offers-1",
            arm="challenger-1",
            approved_by="lead",
            reason="bolder wording wins",
            as_of=START,
            now=NOW,
            require_significant=False,
        )
    assert (record["previous"], record["promoted"], record["forced"]) == ("default@v2", "bolder@v1", True)
    with sqlite_db.engine.connect() as connection:
        assert strategies.champions(connection)["*"].label == "bolder@v1"
        running = strategies.running_experiment(connection)
    assert running is not None and running[0].arm("challenger-1").playbook is None
    log = read_frame(sqlite_db, "SELECT kind FROM audit_log ORDER BY seq").get_column("kind").to_list()
    assert log[-2:] == ["strategy.experiment_started", "strategy.promoted"]
    assert audit.verify(sqlite_db).intact


def test_playbook_versions_are_immutable_and_one_experiment_runs_at_a_time(sqlite_db: Database) -> None:
    with sqlite_db.engine.begin() as connection:
        book = strategies.load_playbook(connection, _challenger_text("acme", 3), "acme.yaml", NOW)
        again = strategies.load_playbook(connection, _challenger_text("acme", 3), "acme.yaml", NOW)
    assert book.label == again.label == "acme@v3"
    changed = _challenger_text("acme", 3).replace("max_contacts_7d: 3", "max_contacts_7d: 2")
    with sqlite_db.engine.begin() as connection, pytest.raises(Conflict, match="new version"):
        strategies.load_playbook(connection, changed, "acme.yaml", NOW)
    with sqlite_db.engine.begin() as connection:
        strategies.start_experiment(
            connection, experiment_id="a", seed="a", holdout=500, challengers=[], started_on=START, now=NOW
        )
    with sqlite_db.engine.begin() as connection, pytest.raises(Conflict, match="is running"):
        strategies.start_experiment(
            connection, experiment_id="b", seed="b", holdout=500, challengers=[], started_on=START, now=NOW
        )
    with sqlite_db.engine.begin() as connection, pytest.raises(NotFound, match="no experiment"):
        strategies.stop_experiment(connection, "nope", START, NOW)
    kinds = read_frame(sqlite_db, "SELECT kind FROM audit_log").get_column("kind").to_list()
    assert kinds.count("strategy.playbook") == 1 and "strategy.experiment_started" in kinds
