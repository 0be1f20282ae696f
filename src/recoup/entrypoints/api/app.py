"""The FastAPI application: JSON API under /api/v1 and the server-rendered pages. Built per App, never
at import time."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Query, Request
from fastapi.responses import JSONResponse
from sqlalchemy import Connection

from recoup import __version__
from recoup.adapters.db import queries
from recoup.bootstrap import App
from recoup.core.errors import RecoupError, ValidationError
from recoup.services import reporting


def recoup_app(request: Request) -> App:
    app = request.app.state.recoup
    assert isinstance(app, App)
    return app


def read_connection(app: Annotated[App, Depends(recoup_app)]) -> Iterator[Connection]:
    with app.db.engine.connect() as connection:
        yield connection


Reader = Annotated[Connection, Depends(read_connection)]

router = APIRouter(prefix="/api/v1")


@router.get("/health")
def health() -> dict[str, str]:
    return {"status": "ok", "version": __version__}


@router.get("/report")
def report(
    app: Annotated[App, Depends(recoup_app)], on: Annotated[date | None, Query(alias="date")] = None
) -> dict[str, Any]:
    return reporting.kpis(app.db, on or app.clock().date())


@router.get("/accounts")
def accounts(
    connection: Reader,
    q: Annotated[str | None, Query(max_length=100)] = None,
    status: Annotated[str | None, Query(pattern="^(active|paid|recalled)$")] = None,
    offset: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> dict[str, Any]:
    page = queries.list_accounts(connection, search=q, status=status, offset=offset, limit=limit)
    return {"total": page.total, "offset": page.offset, "limit": page.limit, "accounts": page.rows}


@router.get("/accounts/{creditor_id}/{account_id}")
def account(connection: Reader, creditor_id: str, account_id: str) -> dict[str, Any]:
    return queries.account_detail(connection, queries.key_of(connection, creditor_id, account_id))


def _recoup_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RecoupError)
    body: dict[str, Any] = {"error": exc.message}
    if isinstance(exc, ValidationError) and exc.field:
        body["field"] = exc.field
    return JSONResponse(body, status_code=exc.status_code)


def _optional_routers() -> list[APIRouter]:
    """Routers of areas that may be absent in a trimmed install."""
    found: list[APIRouter] = []
    for module_name in ("recoup.entrypoints.api.compliance", "recoup.entrypoints.api.webhooks"):
        try:
            module = __import__(module_name, fromlist=["router"])
        except ModuleNotFoundError as exc:
            if exc.name != module_name:
                raise
            continue
        found.append(module.router)
    return found


def create_app(app: App) -> FastAPI:
    """The web application for ``app``: API, pages and static files, fully offline (no CDN assets)."""
    from recoup.entrypoints.api.experiments import router as experiments_router
    from recoup.entrypoints.api.offers import router as offers_router
    from recoup.entrypoints.api.queue import router as queue_router
    from recoup.entrypoints.web.pages import mount_pages

    api = FastAPI(
        title="Recoup", version=__version__, docs_url=None, redoc_url=None, openapi_url="/api/openapi.json"
    )
    api.state.recoup = app
    api.add_exception_handler(RecoupError, _recoup_error)
    api.include_router(router)
    api.include_router(queue_router)
    api.include_router(offers_router)
    api.include_router(experiments_router)
    for extra in _optional_routers():
        api.include_router(extra)
    mount_pages(api)
    return api
