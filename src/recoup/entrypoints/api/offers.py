"""`POST /api/v1/offers/{action_key}/accept`: book a strategy's offer the debtor accepted, on its own terms.

Body (optional JSON): ``{"first_due": "YYYY-MM-DD"}``, a plan's first due date. Answers the booked plan or
settlement with ``kind``; accepting again answers what the first acceptance booked. Refusals are the
app's error bodies: 404 (no such action), 409 (expired, never sent, account not collectable, balance
rose), 422 (not an offer, bad input). The route owns its transaction: a refusal writes nothing.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Path
from pydantic import BaseModel

from recoup.bootstrap import App
from recoup.entrypoints.api.app import recoup_app
from recoup.services import payments

router = APIRouter(prefix="/api/v1", tags=["offers"])


class Acceptance(BaseModel):
    first_due: date | None = None


@router.post("/offers/{action_key}/accept")
def accept_offer(
    app: Annotated[App, Depends(recoup_app)],
    action_key: Annotated[int, Path(ge=1)],
    acceptance: Annotated[Acceptance | None, Body()] = None,
) -> dict[str, Any]:
    with app.db.engine.begin() as connection:
        booked = payments.accept_offer(
            connection,
            app.db,
            action_key=action_key,
            now=app.clock(),
            first_due=acceptance.first_due if acceptance else None,
        )
    kind = "installment" if isinstance(booked, payments.PlanView) else "settlement"
    return {"kind": kind, **booked.as_dict()}
