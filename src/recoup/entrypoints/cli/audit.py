"""`recoup audit verify|purge|checkpoint|keygen`: prove the audit log intact and keep it within retention."""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime, time
from typing import Annotated

import typer

from recoup.adapters.db import audit
from recoup.core.audit import retention_cutoff
from recoup.entrypoints.cli.common import fail, globals_of, out, parse_date, user_errors

app = typer.Typer(help="Check and maintain the tamper-evident audit log.", no_args_is_help=True)


@app.command("verify")
@user_errors
def verify(
    ctx: typer.Context,
    public_key: Annotated[
        str | None,
        typer.Option(
            "--public-key",
            help="hex Ed25519 public key every checkpoint must be signed with "
            "(default: the key of RECOUP_AUDIT_SIGNING_KEY, when set)",
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="machine-readable output")] = False,
) -> None:
    """Check the audit log end to end: chain, head, signed checkpoints and the rows entries vouch for."""
    recoup = globals_of(ctx).app()
    try:
        key = recoup.settings.audit_signing_key
        pinned = public_key or (audit.public_key_hex(audit.signing_key(key)) if key else None)
        report = audit.verify(recoup.db, public_key=pinned.lower() if pinned else None)
    finally:
        recoup.close()
    if as_json:
        print(json.dumps(_as_dict(report)))
    elif report.intact and not globals_of(ctx).quiet:
        out.print(report.summary())
        if report.checkpoints and not report.key_pinned:
            print(
                "note: checkpoint signatures were checked against the keys they name; pin yours with "
                "--public-key or RECOUP_AUDIT_SIGNING_KEY",
                file=sys.stderr,
            )
    if not report.intact:
        raise fail(report.summary())


def _as_dict(report: audit.VerifyReport) -> dict[str, object]:
    broken = report.first_break
    return {
        "intact": report.intact,
        "entries": report.entries,
        "checkpoints": report.checkpoints,
        "purged": report.purged,
        "covers_checked": report.covers_checked,
        "key_pinned": report.key_pinned,
        "first_break": None
        if broken is None
        else {"seq": broken.seq, "reason": broken.reason.value, "detail": broken.detail},
    }


@app.command("purge")
@user_errors
def purge(
    ctx: typer.Context,
    before: Annotated[
        str | None, typer.Option("--before", help="purge entries recorded before this date (UTC), YYYY-MM-DD")
    ] = None,
    retention_years: Annotated[
        int | None,
        typer.Option(
            "--retention-years", min=1, help="purge what is older than this many years (e.g. 2 for CN)"
        ),
    ] = None,
) -> None:
    """Drop the content of old entries, keeping their hashes so the chain still verifies."""
    if (before is None) == (retention_years is None):
        raise typer.BadParameter("give exactly one of --before DATE or --retention-years N")
    recoup = globals_of(ctx).app()
    try:
        now = recoup.clock()
        day = parse_date(before, "--before") or retention_cutoff(now.date(), retention_years or 0)
        with recoup.db.engine.begin() as connection:
            purged = audit.purge(connection, datetime.combine(day, time(), UTC), now)
    finally:
        recoup.close()
    if not globals_of(ctx).quiet:
        out.print(f"purged {purged} audit entries recorded before {day}; their hashes remain")


@app.command("checkpoint")
@user_errors
def checkpoint(ctx: typer.Context) -> None:
    """Sign the newest entry now with RECOUP_AUDIT_SIGNING_KEY (daily runs do this by themselves)."""
    recoup = globals_of(ctx).app()
    try:
        key = recoup.settings.audit_signing_key
        if not key:
            raise fail("set RECOUP_AUDIT_SIGNING_KEY (see `recoup audit keygen`) to sign checkpoints")
        with recoup.db.engine.begin() as connection:
            made = audit.checkpoint(connection, audit.signing_key(key), recoup.clock())
    finally:
        recoup.close()
    if not globals_of(ctx).quiet:
        out.print(f"signed entry {made.seq}" if made else "nothing new to sign")


@app.command("keygen")
def keygen() -> None:
    """Print a new signing key (keep it secret: RECOUP_AUDIT_SIGNING_KEY) and its public key (share it)."""
    private = audit.new_signing_key()
    print(f"RECOUP_AUDIT_SIGNING_KEY={private}")
    print(f"public key: {audit.public_key_hex(audit.signing_key(private))}")
