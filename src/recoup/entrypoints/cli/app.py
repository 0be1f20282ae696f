"""The `recoup` command (contracts/cli.md). Commands live in sibling modules and are mounted here."""

from __future__ import annotations

from typing import Annotated

import typer

from recoup.entrypoints.cli import (
    audit,
    channels,
    compliance,
    daily,
    database,
    experiments,
    imports,
    model,
    payments,
    queue,
    serve,
    simulate,
)
from recoup.entrypoints.cli.common import Globals

app = typer.Typer(
    name="recoup",
    help="Recoup: debt collection that is compliant by construction and measured against a control.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


@app.callback()
def root(
    ctx: typer.Context,
    db: Annotated[
        str | None,
        typer.Option(
            "--db", envvar="RECOUP_DATABASE_URL", help="database URL (default: sqlite:///recoup.db)"
        ),
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="no progress bars or summaries")] = False,
) -> None:
    ctx.obj = Globals(database_url=db, quiet=quiet)


app.command("init")(database.init)
app.add_typer(imports.app, name="import")
app.command("run")(daily.run)
app.add_typer(daily.export_app, name="export")
app.command("report")(daily.report)
app.command("serve")(serve.serve)
app.command("simulate")(simulate.simulate_command)
app.command("demo")(simulate.demo)
app.add_typer(audit.app, name="audit")
app.add_typer(channels.app, name="channels")
app.add_typer(payments.app, name="payments")
app.add_typer(model.app, name="model")
app.add_typer(compliance.app, name="compliance")
app.command("queue")(queue.queue)
app.add_typer(experiments.app, name="experiment")
app.add_typer(experiments.playbook_app, name="playbook")


def main() -> None:
    app()
