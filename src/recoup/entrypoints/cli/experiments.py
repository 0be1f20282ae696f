"""`recoup experiment ...` and `recoup playbook ...`: champion/challenger experiments and the playbooks
they compare. Each command owns its transaction; every change is appended to the audit chain."""

from __future__ import annotations

import json
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table
from sqlalchemy import Connection

from recoup.core.strategy.experiments import PARTS
from recoup.entrypoints.cli.common import fail, globals_of, out, parse_date, user_errors
from recoup.services import strategies

app = typer.Typer(
    help="Champion/challenger experiments: start, list, read out, stop, promote.", no_args_is_help=True
)
playbook_app = typer.Typer(
    help="Treatment-path files (playbooks): load a champion, list.", no_args_is_help=True
)

JsonOption = Annotated[bool, typer.Option("--json", help="print the result as JSON")]


def _read(ctx: typer.Context, query: Callable[[Connection], list[dict[str, Any]]]) -> list[dict[str, Any]]:
    recoup = globals_of(ctx).app()
    try:
        with recoup.db.engine.connect() as connection:
            return query(connection)
    finally:
        recoup.close()


def parts_of(text: str, option: str) -> int:
    """A share given in percent ("5", "2.5") as parts of 10,000."""
    try:
        percent = Decimal(text.strip().removesuffix("%"))
    except InvalidOperation:
        raise typer.BadParameter(f"{text!r} is not a percentage", param_hint=option) from None
    parts = percent * PARTS / 100
    if not percent.is_finite() or parts != parts.to_integral_value() or not 0 <= parts <= PARTS:
        raise typer.BadParameter(f"{text!r}: a percentage from 0 to 100 in steps of 0.01", param_hint=option)
    return int(parts)


def _challenger(text: str) -> tuple[Path, int]:
    path, sep, share = text.rpartition("=")
    if not sep or not path:
        raise typer.BadParameter(f"{text!r}: expected FILE=PERCENT", param_hint="--challenger")
    return Path(path), parts_of(share, "--challenger")


@app.command("start")
@user_errors
def start(
    ctx: typer.Context,
    experiment_id: Annotated[str, typer.Argument(help="a new id, e.g. 2026-12-offers")],
    holdout: Annotated[str, typer.Option("--holdout", help="percent of accounts that get no action")] = "5",
    challenger: Annotated[
        list[str] | None,
        typer.Option("--challenger", help="FILE=PERCENT: a playbook under test and its share (repeatable)"),
    ] = None,
    seed: Annotated[str | None, typer.Option("--seed", help="assignment seed (default: the id)")] = None,
    start_date: Annotated[str | None, typer.Option("--date", help="first day (default: today)")] = None,
) -> None:
    """Start an experiment: the champion, any challengers and a holdout, assigned by account hash."""
    holdout_parts = parts_of(holdout, "--holdout")
    arms = [_challenger(item) for item in challenger or []]
    recoup = globals_of(ctx).app()
    try:
        texts = [(path.read_text(encoding="utf-8"), str(path), parts) for path, parts in arms]
        now = recoup.clock()
        day = parse_date(start_date) or now.date()
        with recoup.db.engine.begin() as connection:
            experiment = strategies.start_experiment(
                connection,
                experiment_id=experiment_id,
                seed=seed or experiment_id,
                holdout=holdout_parts,
                challengers=texts,
                started_on=day,
                now=now,
            )
    finally:
        recoup.close()
    shares = ", ".join(f"{arm.name} {arm.weight / 100:g}%" for arm in experiment.arms)
    out.print(f"experiment {experiment.id} started on {day}: {shares}")


@app.command("list")
@user_errors
def list_experiments(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """Every experiment with its arms and dates."""
    rows = _read(ctx, strategies.experiments)
    if as_json:
        print(json.dumps(rows, default=str))
        return
    table = Table("id", "status", "started", "stopped", "arms")
    for row in rows:
        arms = ", ".join(
            f"{a['name']} {a['weight'] / 100:g}%" + (f" ({a['playbook']})" if a["playbook"] else "")
            for a in row["arms"]
        )
        table.add_row(row["id"], row["status"], str(row["started_on"]), str(row["stopped_on"] or ""), arms)
    out.print(table)


@app.command("stop")
@user_errors
def stop(
    ctx: typer.Context,
    experiment_id: Annotated[str, typer.Argument()],
    stop_date: Annotated[str | None, typer.Option("--date", help="last day (default: today)")] = None,
) -> None:
    """Stop an experiment: from the next run every account gets the champion."""
    recoup = globals_of(ctx).app()
    try:
        now = recoup.clock()
        day = parse_date(stop_date) or now.date()
        with recoup.db.engine.begin() as connection:
            strategies.stop_experiment(connection, experiment_id, day, now)
    finally:
        recoup.close()
    out.print(f"experiment {experiment_id} stopped on {day}")


@app.command("promote")
@user_errors
def promote(
    ctx: typer.Context,
    experiment_id: Annotated[str, typer.Argument()],
    arm: Annotated[str, typer.Option("--arm", help="the challenger arm, e.g. challenger-1")],
    approved_by: Annotated[str, typer.Option("--approved-by", help="who approves the promotion")],
    reason: Annotated[str, typer.Option("--reason", help="why, in a sentence")],
    force: Annotated[
        bool, typer.Option("--force", help="promote without a significant gain in net recovery")
    ] = False,
    as_of: Annotated[str | None, typer.Option("--date", help="evidence up to this day")] = None,
) -> None:
    """Make a challenger its creditor's champion: refused unless it beats the champion on net recovery
    per account with the whole confidence interval above zero (or --force); logged with its evidence."""
    if not reason.strip():
        raise fail("--reason must say why")
    recoup = globals_of(ctx).app()
    try:
        now = recoup.clock()
        with recoup.db.engine.begin() as connection:
            record = strategies.promote_challenger(
                connection,
                recoup.db,
                experiment_id=experiment_id,
                arm=arm,
                approved_by=approved_by,
                reason=reason,
                as_of=parse_date(as_of) or now.date(),
                now=now,
                require_significant=not force,
            )
    finally:
        recoup.close()
    out.print(
        f"{record['promoted']} is now the champion for creditor {record['creditor_id']} "
        f"(replacing {record['previous'] or 'nothing'}); approved by {record['approved_by']}"
    )


# ------------------------------------------------------------------------------------------ readout


def print_readout(measured: strategies.ExperimentReadout) -> None:
    result = measured.result
    out.print(
        f"experiment {measured.experiment.id} ({measured.status}), {measured.started_on} to "
        f"{measured.until}; means per account with {result.confidence:.0%} intervals, money in major units"
    )
    shown = strategies.readout_table(measured)
    table = Table("currency", "arm", "accounts", "metric", "total", "mean", "interval")
    for row in shown["arms"]:
        table.add_row(
            row["currency"],
            row["variant"],
            f"{row['n']:,}",
            row["metric"],
            row["total"],
            row["mean"],
            f"[{row['lo']}, {row['hi']}]",
        )
    out.print(table)
    diffs = Table("currency", "arm", "minus", "metric", "difference", "interval")
    for row in shown["differences"]:
        diffs.add_row(
            row["currency"],
            row["variant"],
            row["baseline"],
            row["metric"],
            row["difference"],
            f"[{row['lo']}, {row['hi']}]",
        )
    out.print(diffs)


def report_experiments(ctx: typer.Context, experiment_id: str | None, day: str | None, as_json: bool) -> None:
    """`recoup report --experiments`: the readout of one experiment, or of every one."""
    recoup = globals_of(ctx).app()
    try:
        as_of = parse_date(day) or recoup.clock().date()
        with recoup.db.engine.connect() as connection:
            ids = [experiment_id] if experiment_id else [r["id"] for r in strategies.experiments(connection)]
            measured = [strategies.experiment_readout(connection, recoup.db, i, as_of) for i in ids]
    finally:
        recoup.close()
    if as_json:
        print(json.dumps([strategies.readout_record(m) for m in measured], ensure_ascii=False, default=str))
        return
    if not measured:
        out.print("no experiments (start one with `recoup experiment start`)")
    for one in measured:
        print_readout(one)


# ----------------------------------------------------------------------------------------- playbooks


@playbook_app.command("load")
@user_errors
def load(ctx: typer.Context, file: Annotated[Path, typer.Argument(help="a playbook YAML file")]) -> None:
    """Validate a playbook and make it its creditor's champion (the one it replaces is retired)."""
    recoup = globals_of(ctx).app()
    try:
        text = file.read_text(encoding="utf-8")
        with recoup.db.engine.begin() as connection:
            book = strategies.load_playbook(connection, text, str(file), recoup.clock())
    finally:
        recoup.close()
    out.print(f"{book.label} is the champion for creditor {book.creditor_id}")


@playbook_app.command("list")
@user_errors
def list_playbooks(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """Every stored playbook version with its status (champion, challenger, retired)."""
    rows = _read(ctx, strategies.playbooks)
    if as_json:
        print(json.dumps(rows, default=str))
        return
    table = Table("playbook", "creditor", "status", "loaded", "sha256", "source")
    for row in rows:
        table.add_row(
            f"{row['name']}@v{row['version']}",
            row["creditor_id"],
            row["status"],
            str(row["loaded_at"]),
            row["sha256"][:12],
            row["source"],
        )
    out.print(table)
