"""Server-rendered pages: dashboard, accounts, one account, the agents' work queue, experiments, run
history.

Pages are plain HTML with autoescaping and no JavaScript build; everything is served from this package,
so the app works in an intranet with no internet access.
"""

from __future__ import annotations

import json
from datetime import date
from importlib.resources import files
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Query, Request
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from recoup.adapters.db import queries
from recoup.bootstrap import App
from recoup.core.money import format_minor
from recoup.entrypoints.api.app import Reader, recoup_app
from recoup.services import reporting, strategies, work_queues

_HERE = files("recoup.entrypoints.web")
templates = Jinja2Templates(directory=str(_HERE / "templates"))
templates.env.filters["money"] = lambda minor, currency: (
    "" if minor is None else format_minor(int(minor), currency)
)
templates.env.filters["fromjson"] = json.loads
templates.env.filters["pct"] = lambda ratio: "–" if ratio is None else f"{100 * float(ratio):.1f}%"

AppDep = Annotated[App, Depends(recoup_app)]
QUEUE_ROWS = 500  # how many of each creditor's queue a page shows


def _page(request: Request, name: str, **context: Any) -> HTMLResponse:
    return templates.TemplateResponse(request, name, context)


def dashboard(
    request: Request, app: AppDep, on: Annotated[date | None, Query(alias="date")] = None
) -> HTMLResponse:
    day = on or app.clock().date()
    return _page(request, "dashboard.html", report=reporting.kpis(app.db, day), day=day)


def accounts(
    request: Request,
    connection: Reader,
    q: Annotated[str | None, Query(max_length=100)] = None,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> HTMLResponse:
    page = queries.list_accounts(connection, search=q, status=None, offset=offset, limit=50)
    return _page(request, "accounts.html", page=page, q=q or "")


def account(request: Request, connection: Reader, key: int) -> HTMLResponse:
    return _page(request, "account.html", account=queries.account_detail(connection, key))


def work_queue(
    request: Request,
    app: AppDep,
    connection: Reader,
    on: Annotated[date | None, Query(alias="date")] = None,
    creditor: Annotated[str | None, Query(max_length=100)] = None,
    channel: Annotated[str, Query(pattern="^(call|visit)$")] = "call",
) -> HTMLResponse:
    today = app.clock().date()
    # Without a date, the newest run's queue: a run may be a day behind, and a demo's runs are simulated.
    day = on or queries.latest_run_date(connection, today) or today
    found = work_queues.day_queue(app.db, day, creditor=creditor or None, channel=channel, limit=QUEUE_ROWS)
    return _page(
        request,
        "queue.html",
        rows=work_queues.as_text(found).to_dicts(),
        day=day,
        creditor=creditor or "",
        channel=channel,
    )


def experiments(
    request: Request, app: AppDep, connection: Reader, on: Annotated[date | None, Query(alias="date")] = None
) -> HTMLResponse:
    day = on or app.clock().date()
    shown = []
    for row in reversed(strategies.experiments(connection)):
        if row["started_on"] > day:
            continue
        measured = strategies.experiment_readout(connection, app.db, row["id"], day)
        table = strategies.readout_table(measured)
        shown.append(
            {
                "id": row["id"],
                "status": row["status"],
                "started_on": measured.started_on,
                "until": measured.until,
                "confidence": f"{measured.result.confidence:.0%}",
                "arms_text": ", ".join(f"{a['name']} {a['weight'] / 100:g}%" for a in row["arms"]),
                "differences": table["differences"],
                "rows": table["arms"],
            }
        )
    return _page(request, "experiments.html", experiments=shown, day=day)


def runs(request: Request, connection: Reader) -> HTMLResponse:
    return _page(request, "runs.html", steps=queries.run_history(connection, limit=200))


def mount_pages(api: FastAPI) -> None:
    api.mount("/static", StaticFiles(directory=str(_HERE / "static")), name="static")
    api.add_api_route("/", dashboard, response_class=HTMLResponse, include_in_schema=False)
    api.add_api_route("/accounts", accounts, response_class=HTMLResponse, include_in_schema=False)
    api.add_api_route("/accounts/{key}", account, response_class=HTMLResponse, include_in_schema=False)
    api.add_api_route("/queue", work_queue, response_class=HTMLResponse, include_in_schema=False)
    api.add_api_route("/experiments", experiments, response_class=HTMLResponse, include_in_schema=False)
    api.add_api_route("/runs", runs, response_class=HTMLResponse, include_in_schema=False)
