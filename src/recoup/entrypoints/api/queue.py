"""`GET /api/v1/queue`: the agents' work queues of a day, each call or visit with its allowed window.

Query: ``date`` (YYYY-MM-DD, default today), ``creditor``, ``channel`` (call or visit; default both),
``limit`` (the first N of each queue). Bad values are a 422 naming the parameter.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from recoup.bootstrap import App
from recoup.entrypoints.api.app import recoup_app
from recoup.services.work_queues import as_text, day_queue

router = APIRouter(prefix="/api/v1", tags=["queue"])


@router.get("/queue")
def work_queue(
    app: Annotated[App, Depends(recoup_app)],
    on: Annotated[date | None, Query(alias="date")] = None,
    creditor: Annotated[str | None, Query(max_length=100)] = None,
    channel: Annotated[str | None, Query(pattern="^(call|visit)$")] = None,
    limit: Annotated[int | None, Query(ge=1)] = None,
) -> dict[str, Any]:
    day = on or app.clock().date()
    found = day_queue(app.db, day, creditor=creditor, channel=channel, limit=limit)
    return {"date": day.isoformat(), "count": found.height, "queue": as_text(found).to_dicts()}
