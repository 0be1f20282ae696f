"""`GET /api/v1/experiments`: every experiment with its arms and readout (per arm and currency: n, total,
mean and interval of recovered, net, cost, cured and complaints; differences against the holdout and the
champion). Query ``date`` (the readout's end, default today) and ``confidence`` (default 0.95)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from recoup.bootstrap import App
from recoup.entrypoints.api.app import Reader, recoup_app
from recoup.services import strategies

router = APIRouter(prefix="/api/v1", tags=["experiments"])


@router.get("/experiments")
def experiments(
    app: Annotated[App, Depends(recoup_app)],
    connection: Reader,
    on: Annotated[date | None, Query(alias="date")] = None,
    confidence: Annotated[float, Query(ge=0.5, lt=1.0)] = 0.95,
) -> list[dict[str, Any]]:
    day = on or app.clock().date()
    found = []
    for row in strategies.experiments(connection):
        entry: dict[str, Any] = {
            k: row[k] for k in ("id", "seed", "status", "arms", "started_on", "stopped_on")
        }
        if row["started_on"] <= day:
            measured = strategies.experiment_readout(connection, app.db, row["id"], day, confidence)
            entry["readout"] = strategies.readout_record(measured)
        found.append(entry)
    return found
