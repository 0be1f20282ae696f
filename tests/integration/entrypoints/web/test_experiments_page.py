"""The experiments page: every experiment's readout with intervals, after a simulated week."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

from fastapi.testclient import TestClient

from recoup.adapters.db.engine import Database
from recoup.bootstrap import App
from recoup.config import Settings
from recoup.entrypoints.api.app import create_app
from recoup.entrypoints.jobs.simulation import SimulationPlan, simulate
from recoup.services.options import RunOptions


def test_the_page_shows_each_arm_against_the_holdout(sqlite_db: Database, tmp_path: Path) -> None:
    app = App(settings=Settings(), db=sqlite_db)
    with TestClient(create_app(app)) as client:
        empty = client.get("/experiments", params={"date": "2026-03-08"})
        assert empty.status_code == 200 and "No experiments yet" in empty.text
        plan = SimulationPlan(
            accounts=300,
            days=7,
            seed=5,
            start=date(2026, 3, 2),
            options=RunOptions(strategy="default"),
            holdout=1500,
        )
        simulate(app, plan, tmp_path)
        page = client.get("/experiments", params={"date": "2026-03-08"})
    assert page.status_code == 200
    html = page.text
    assert "sim-5" in html and "champion 85%, holdout 15%" in html
    cells = [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", html, re.S)]
    assert "holdout" in cells and "net" in cells and "recovered" in cells
    assert client.get("/experiments", params={"date": "not-a-date"}).status_code == 422
