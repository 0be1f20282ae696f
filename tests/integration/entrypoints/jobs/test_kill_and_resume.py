"""A daily run killed with SIGKILL at any point resumes on the next call with nothing lost or doubled."""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import pytest

from recoup.adapters.db.bulk import read_frame
from recoup.adapters.db.engine import Database, connect
from recoup.adapters.db.portfolio import actions_on
from recoup.bootstrap import App
from recoup.config import Settings
from recoup.entrypoints.jobs.daily import run_day
from recoup.entrypoints.jobs.simulation import _feed_back, place
from recoup.services.daily_run import RunOptions
from recoup.services.importing import account_lookup
from recoup.sim.behaviour import DebtorBehaviour
from recoup.sim.portfolio import generate_portfolio

pytestmark = pytest.mark.slow

DAY_1, DAY_2 = date(2026, 3, 2), date(2026, 3, 3)
STATE_QUERIES = {
    "accounts": 'SELECT * FROM accounts ORDER BY "key"',
    "events": 'SELECT "key", event_id, applied_on FROM events ORDER BY "key"',
    "promises": 'SELECT * FROM promises ORDER BY "key"',
    "actions": 'SELECT * FROM actions ORDER BY "key"',
    "steps": "SELECT run_date, step FROM run_steps ORDER BY run_date, step",
}


def _state(path: Path) -> dict[str, list[tuple[object, ...]]]:
    db = connect(f"sqlite:///{path}")
    try:
        return {name: read_frame(db, sql).rows() for name, sql in STATE_QUERIES.items()}
    finally:
        db.dispose()


def _checkpoint(path: Path) -> None:
    with sqlite3.connect(path) as raw:
        raw.execute("PRAGMA wal_checkpoint(TRUNCATE)")


def _run_command(path: Path) -> list[str]:
    return [
        sys.executable,
        "-m",
        "recoup.entrypoints.cli",
        "--quiet",
        "--db",
        f"sqlite:///{path}",
        "run",
        "--date",
        DAY_2.isoformat(),
    ]


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A portfolio after one simulated day, with the events that day produced waiting to be applied."""
    folder = tmp_path_factory.mktemp("kill")
    path = folder / "template.db"
    db: Database = connect(f"sqlite:///{path}")
    from recoup.adapters.db.migrate import migrate

    migrate(db)
    app = App(settings=Settings(), db=db)
    portfolio = generate_portfolio(15_000, seed=5, as_of=date(2026, 3, 1))
    place(app, portfolio, folder)
    run_day(app, DAY_1, RunOptions())
    events = DebtorBehaviour(portfolio, seed=5).respond(DAY_1, actions_on(db, DAY_1))
    _feed_back(app, DAY_1, events, portfolio, account_lookup(db))
    db.dispose()
    _checkpoint(path)
    return path


def test_killed_runs_resume_to_the_same_state(template: Path, tmp_path: Path) -> None:
    reference = tmp_path / "reference.db"
    shutil.copy(template, reference)
    started = time.monotonic()
    subprocess.run(_run_command(reference), check=True, timeout=600)
    duration = time.monotonic() - started
    expected = _state(reference)
    assert expected["actions"] and len(expected["steps"]) == 16

    for fraction in (0.15, 0.35, 0.55, 0.75, 0.9):
        trial = tmp_path / f"trial-{fraction}.db"
        shutil.copy(template, trial)
        process = subprocess.Popen(_run_command(trial))
        time.sleep(duration * fraction)
        if process.poll() is None:
            os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=60)
        subprocess.run(_run_command(trial), check=True, timeout=600)
        assert _state(trial) == expected, f"killed at {fraction:.0%} of the run"
