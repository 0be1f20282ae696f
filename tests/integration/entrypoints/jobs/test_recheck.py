"""Sixty simulated days: an independent re-check of every contact made finds no violation."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from recoup.adapters.db.engine import Database
from recoup.bootstrap import App
from recoup.config import Settings
from recoup.entrypoints.jobs.comparison import recheck
from recoup.entrypoints.jobs.simulation import SimulationPlan, simulate
from recoup.services.options import RunOptions

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("strategy", ["baseline", "default"])
def test_sixty_days_of_contacts_pass_an_independent_recheck(
    sqlite_db: Database, tmp_path: Path, strategy: str
) -> None:
    app = App(settings=Settings(), db=sqlite_db)
    plan = SimulationPlan(
        accounts=150,
        days=60,
        seed=21,
        start=date(2026, 3, 2),
        options=RunOptions(strategy=strategy, capacity={"call": 12}),
    )
    result = simulate(app, plan, tmp_path)
    assert sum(sum(day["actions_on_day"].values()) for day in result.days) > 300
    assert recheck(app, result.portfolio) == 0
