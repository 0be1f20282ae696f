"""`GET /api/v1/experiments`: the arms and readout of every experiment as JSON."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from fastapi.testclient import TestClient

from recoup.adapters.db.engine import Database
from recoup.bootstrap import App
from recoup.config import Settings
from recoup.entrypoints.api.app import create_app
from recoup.entrypoints.jobs.simulation import SimulationPlan, simulate
from recoup.services.options import RunOptions


def test_experiments_come_with_their_readout(sqlite_db: Database, tmp_path: Path) -> None:
    app = App(settings=Settings(), db=sqlite_db)
    plan = SimulationPlan(
        accounts=300,
        days=5,
        seed=5,
        start=date(2026, 3, 2),
        options=RunOptions(strategy="default"),
        holdout=2000,
    )
    simulate(app, plan, tmp_path)
    with TestClient(create_app(app)) as client:
        before = client.get("/api/v1/experiments", params={"date": "2026-03-01"})
        body = client.get("/api/v1/experiments", params={"date": "2026-03-06", "confidence": 0.9}).json()
        bad = client.get("/api/v1/experiments", params={"confidence": 1.5})
    assert before.status_code == 200 and "readout" not in before.json()[0]
    (experiment,) = body
    assert experiment["id"] == "sim-5" and experiment["status"] == "running"
    assert [a["name"] for a in experiment["arms"]] == ["champion", "holdout"]
    readout = experiment["readout"]
    assert readout["confidence"] == 0.9 and readout["to"] == "2026-03-06"
    assert {(r["variant"], r["metric"]) for r in readout["arms"]} >= {("holdout", "net"), ("champion", "net")}
    assert any(d["variant"] == "champion" and d["baseline"] == "holdout" for d in readout["differences"])
    assert bad.status_code == 422
