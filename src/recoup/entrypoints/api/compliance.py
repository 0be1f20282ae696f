"""`POST /api/v1/compliance/check`: the stateless check of contracts/compliance-check.md over HTTP.

A JSON array of attempts in, an array of decisions out (same order). Bad input is a 422 naming the field
by its path in the request (``[3].account.timezones[1]``). Rulebooks come from the ``rulebooks``
dependency, which an application may override (per creditor, say) with ``dependency_overrides``.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends
from fastapi.responses import JSONResponse

from recoup.core.compliance import RulebookSet, check_attempts, load_rulebooks
from recoup.core.errors import ValidationError

MAX_ATTEMPTS = 10_000

router = APIRouter(prefix="/api/v1/compliance", tags=["compliance"])


def rulebooks() -> RulebookSet:
    return load_rulebooks()


@router.post("/check", response_model=None)
def check(
    attempts: Annotated[list[Any], Body(description="attempts (contracts/compliance-check.md)")],
    books: Annotated[RulebookSet, Depends(rulebooks)],
) -> list[dict[str, Any]] | JSONResponse:
    if len(attempts) > MAX_ATTEMPTS:
        return JSONResponse(
            {"error": f"{len(attempts)} attempts in one request; at most {MAX_ATTEMPTS}"}, status_code=413
        )
    try:
        return check_attempts(attempts, books)
    except ValidationError as problem:
        return JSONResponse({"error": problem.message, "field": problem.field}, status_code=422)
