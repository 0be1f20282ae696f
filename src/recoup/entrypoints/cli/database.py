"""`recoup init`: create or migrate the database."""

from __future__ import annotations

import typer

from recoup.adapters.db.migrate import migrate
from recoup.entrypoints.cli.common import globals_of, out, user_errors


@user_errors
def init(ctx: typer.Context) -> None:
    """Create or migrate the database (idempotent)."""
    app = globals_of(ctx).app(init=False)
    try:
        revision = migrate(app.db)
    finally:
        app.close()
    if not globals_of(ctx).quiet:
        out.print(f"database ready at {app.db.url.render_as_string(hide_password=True)} (schema {revision})")
