"""`recoup import accounts|events`: load portfolio files (contracts/portfolio.md)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Annotated

import polars as pl
import typer

from recoup.adapters.files.readers import read_table
from recoup.adapters.files.writers import write_rejects
from recoup.entrypoints.cli.common import globals_of, out, progress, user_errors
from recoup.services.importing import ImportReport, import_accounts, import_events

app = typer.Typer(help="Load placement and event files (CSV, Parquet or XLSX).", no_args_is_help=True)

PartialOption = Annotated[
    bool,
    typer.Option("--partial", help="Load the good rows; write the bad ones with reasons to FILE.rejects.csv"),
]


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _reject_path(path: Path) -> Path:
    return path.with_name(path.name + ".rejects.csv")


def _finish(ctx: typer.Context, report: ImportReport, raw: pl.DataFrame, path: Path, as_json: bool) -> None:
    if not report.rejects.is_empty():
        write_rejects(_reject_path(path), raw, report.rejects)
    if as_json:
        out.print_json(json.dumps(report.as_dict()))
    elif not globals_of(ctx).quiet:
        line = (
            f"{path.name}: {report.inserted} new, {report.skipped} already stored, {report.rejected} rejected"
        )
        if report.contacts_inserted:
            line += f", {report.contacts_inserted} contacts"
        out.print(line)
        if report.rejected:
            out.print(f"rejected rows and reasons: {_reject_path(path)}")


@app.command("accounts")
@user_errors
def accounts(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="placement file: accounts per contracts/portfolio.md")],
    contacts: Annotated[
        Path | None, typer.Option("--contacts", help="contacts file for these accounts")
    ] = None,
    partial: PartialOption = False,
    as_json: Annotated[bool, typer.Option("--json", help="print the import report as JSON")] = False,
) -> None:
    """Load a placement file; accounts already placed are left as they are."""
    recoup = globals_of(ctx).app()
    try:
        with progress(globals_of(ctx).show_progress, description=f"importing {file.name}"):
            raw = read_table(file, max_bytes=recoup.settings.max_upload_bytes)
            contacts_raw = (
                read_table(contacts, max_bytes=recoup.settings.max_upload_bytes) if contacts else None
            )
            with recoup.db.engine.begin() as connection:
                report = import_accounts(
                    connection,
                    recoup.db,
                    raw.frame,
                    file=file.name,
                    sha256=sha256_of(file),
                    placed_on=recoup.clock().date(),
                    now=recoup.clock(),
                    contacts_raw=contacts_raw.frame if contacts_raw else None,
                    contacts_file=contacts.name if contacts else "contacts",
                    partial=partial,
                )
    finally:
        recoup.close()
    _finish(ctx, report, raw.frame, file, as_json)


@app.command("events")
@user_errors
def events(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="events file per contracts/portfolio.md")],
    partial: PartialOption = False,
    as_json: Annotated[bool, typer.Option("--json", help="print the import report as JSON")] = False,
) -> None:
    """Load payments, contact results, promises, disputes and other events; known event ids are skipped."""
    recoup = globals_of(ctx).app()
    try:
        with progress(globals_of(ctx).show_progress, description=f"importing {file.name}"):
            raw = read_table(file, max_bytes=recoup.settings.max_upload_bytes)
            with recoup.db.engine.begin() as connection:
                report = import_events(
                    connection,
                    recoup.db,
                    raw.frame,
                    file=file.name,
                    sha256=sha256_of(file),
                    now=recoup.clock(),
                    partial=partial,
                )
    finally:
        recoup.close()
    _finish(ctx, report, raw.frame, file, as_json)
