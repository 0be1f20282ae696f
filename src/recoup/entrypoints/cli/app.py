"""The `recoup` command (contracts/cli.md). Sub-commands live in sibling modules and are mounted here."""

from __future__ import annotations

import typer

app = typer.Typer(
    name="recoup",
    help="Recoup: debt collection that is compliant by construction and measured against a control.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)


def main() -> None:
    app()
