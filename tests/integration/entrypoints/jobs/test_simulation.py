from __future__ import annotations

from datetime import date
from pathlib import Path

from recoup.adapters.db.bulk import read_frame
from recoup.adapters.db.engine import Database
from recoup.bootstrap import App
from recoup.config import Settings
from recoup.core.schema import UTC_INSTANT
from recoup.entrypoints.jobs.simulation import SimulationPlan, simulate
from recoup.sim.behaviour import contacts_outside_hours


def test_a_simulated_month_moves_the_numbers_day_by_day(db: Database, tmp_path: Path) -> None:
    app = App(settings=Settings(), db=db)
    result = simulate(app, SimulationPlan(accounts=400, days=12, seed=3, start=date(2026, 3, 2)), tmp_path)
    collected = [sum(int(m["collected"].replace(".", "")) for m in day["money"]) for day in result.days]
    assert collected == sorted(collected) and collected[-1] > collected[0] > 0
    assert sum(day["events_fed_back"] for day in result.days) > 400
    actions = read_frame(db, "SELECT account_key, run_date, action FROM actions")
    assert actions.height == actions.unique().height
    steps = read_frame(db, "SELECT COUNT(*) AS n FROM run_steps").item()
    assert steps == 12 * 8


def test_the_baseline_never_contacts_outside_sensible_hours(sqlite_db: Database, tmp_path: Path) -> None:
    app = App(settings=Settings(), db=sqlite_db)
    result = simulate(app, SimulationPlan(accounts=300, days=5, seed=11), tmp_path)
    actions = read_frame(
        sqlite_db,
        "SELECT c.account_id, c.creditor_id, a.scheduled_at, a.action FROM actions a "
        'JOIN accounts c ON c."key" = a.account_key',
        {"scheduled_at": UTC_INSTANT},
    )
    assert actions.height > 0
    assert contacts_outside_hours(actions, result.portfolio).is_empty()
