"""`recoup serve`: the web app and JSON API."""

from __future__ import annotations

from typing import Annotated

import typer
import uvicorn

from recoup.entrypoints.api.app import create_app
from recoup.entrypoints.cli.common import Globals, globals_of, out, user_errors


def serve_app(g: Globals, host: str, port: int) -> None:
    app = g.app()
    try:
        if not g.quiet:
            out.print(f"Recoup web app on http://{host}:{port}/  (API: /api/v1, Ctrl+C to stop)")
        uvicorn.run(create_app(app), host=host, port=port, log_level="warning")
    finally:
        app.close()


@user_errors
def serve(
    ctx: typer.Context,
    host: Annotated[str, typer.Option("--host", help="interface to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=1, max=65535, help="port to listen on")] = 8000,
) -> None:
    """Serve the web app (dashboard, accounts, work queue) and the JSON API."""
    serve_app(globals_of(ctx), host, port)
