"""`recoup run`, `recoup export actions` and `recoup report`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from recoup.adapters.db.portfolio import actions_on
from recoup.adapters.files.writers import actions_for_export, write_table
from recoup.config import Settings
from recoup.core.messages import Sender
from recoup.core.money import parse_minor
from recoup.entrypoints.cli.common import globals_of, out, parse_date, progress, user_errors
from recoup.entrypoints.cli.experiments import report_experiments
from recoup.entrypoints.jobs.daily import RunSummary, run_day
from recoup.services import reporting
from recoup.services.daily_run import STEPS
from recoup.services.deciding import STRATEGIES
from recoup.services.options import RunOptions

export_app = typer.Typer(help="Write what Recoup decided.", no_args_is_help=True)


def parse_capacity(text: str | None, defaults: dict[str, int]) -> dict[str, int]:
    capacity = dict(defaults)
    if not text:
        return capacity
    for part in text.split(","):
        name, sep, value = part.partition("=")
        name = name.strip()
        if not sep or name not in ("call", "visit") or not value.strip().isdigit():
            raise typer.BadParameter(
                f"{part!r}: expected call=N or visit=N with N a whole number", param_hint="--capacity"
            )
        capacity[name] = int(value)
    return capacity


def run_options(
    settings: Settings, capacity: str | None, budget: str | None, strategy: str | None = None
) -> RunOptions:
    chosen = strategy or settings.strategy
    if chosen not in STRATEGIES:
        raise typer.BadParameter(
            f"{chosen!r}: known strategies are {', '.join(STRATEGIES)}", param_hint="--strategy"
        )
    message_budget = settings.message_budget
    if budget is not None:
        try:
            message_budget = parse_minor(budget, "CNY")
        except Exception as exc:
            raise typer.BadParameter(str(exc), param_hint="--budget") from None
    return RunOptions(
        capacity=parse_capacity(capacity, {"call": settings.call_capacity, "visit": settings.visit_capacity}),
        message_budget=message_budget,
        strategy=chosen,
        sender=Sender(agency=settings.agency_name, phone=settings.agency_phone),
        grace_days=settings.promise_grace_days,
        model_dir=settings.model_dir,
    )


def print_run(summary: RunSummary) -> None:
    if summary.already_done:
        out.print(f"{summary.run_date}: already run; nothing changed")
        return
    table = Table(title=f"daily run {summary.run_date}")
    table.add_column("step")
    table.add_column("seconds", justify="right")
    table.add_column("result")
    for result in summary.ran:
        brief = {k: v for k, v in result.stats.items() if not isinstance(v, (dict, list))}
        table.add_row(result.step, f"{result.seconds:.2f}", ", ".join(f"{k}={v}" for k, v in brief.items()))
    out.print(table)


@user_errors
def run(
    ctx: typer.Context,
    run_date: Annotated[
        str | None, typer.Option("--date", help="run date YYYY-MM-DD (default: today)")
    ] = None,
    capacity: Annotated[
        str | None, typer.Option("--capacity", help="agent capacity, e.g. call=500,visit=20")
    ] = None,
    budget: Annotated[
        str | None, typer.Option("--budget", help="message budget for the day, e.g. 300.00")
    ] = None,
    strategy: Annotated[str | None, typer.Option("--strategy", help="baseline or default")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print the steps as JSON")] = False,
) -> None:
    """The daily cycle for a date: update, score, segment, decide, check, queue, report. Safe to repeat."""
    g = globals_of(ctx)
    app = g.app()
    try:
        day = parse_date(run_date) or app.clock().date()
        options = run_options(app.settings, capacity, budget, strategy)
        with progress(g.show_progress and not as_json, total=len(STEPS), description=f"run {day}") as advance:
            summary = run_day(
                app, day, options, progress=lambda step: advance(description=f"run {day}: {step}")
            )
    finally:
        app.close()
    if as_json:
        out.print_json(
            json.dumps(
                [{"step": r.step, "seconds": r.seconds, "stats": r.stats} for r in summary.ran], default=str
            )
        )
    elif not g.quiet:
        print_run(summary)


@export_app.command("actions")
@user_errors
def export_actions(
    ctx: typer.Context,
    run_date: Annotated[str, typer.Option("--date", help="run date YYYY-MM-DD")],
    out_file: Annotated[Path, typer.Option("--out", help="output file: .csv, .jsonl or .parquet")],
) -> None:
    """Write the actions decided for a date (contracts/portfolio.md, actions)."""
    day = parse_date(run_date)
    assert day is not None
    app = globals_of(ctx).app()
    try:
        frame = actions_for_export(actions_on(app.db, day))
    finally:
        app.close()
    write_table(frame, out_file)
    if not globals_of(ctx).quiet:
        out.print(f"{frame.height} actions for {day} written to {out_file}")


def print_kpis(report: dict[str, Any]) -> None:
    money = Table(title=f"portfolio on {report['date']}")
    for column in (
        "currency",
        "accounts",
        "active_accounts",
        "balance",
        "collected",
        "collected_on_day",
        "recovery_rate",
    ):
        money.add_column(column, justify="right")
    for row in report["money"]:
        money.add_row(
            *(
                str(row[c])
                for c in (
                    "currency",
                    "accounts",
                    "active_accounts",
                    "balance",
                    "collected",
                    "collected_on_day",
                    "recovery_rate",
                )
            )
        )
    out.print(money)
    rates = Table(show_header=False)
    for key in (
        "contact_attempts",
        "contact_rate",
        "right_party_rate",
        "promises_made",
        "promises_kept",
        "promises_broken",
        "promise_kept_rate",
        "complaints",
        "complaints_on_day",
    ):
        rates.add_row(key.replace("_", " "), str(report.get(key)))
    for key, value in report.items():
        if key.startswith("blocks") or key == "actions_on_day":
            rates.add_row(key.replace("_", " "), json.dumps(value, ensure_ascii=False))
    out.print(rates)


@user_errors
def report(
    ctx: typer.Context,
    run_date: Annotated[
        str | None, typer.Option("--date", help="report date YYYY-MM-DD (default: today)")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="machine-readable output")] = False,
    experiments: Annotated[
        bool, typer.Option("--experiments", help="the champion/challenger readout instead of the KPIs")
    ] = False,
    experiment_id: Annotated[
        str | None, typer.Option("--experiment", help="with --experiments: only this experiment")
    ] = None,
) -> None:
    """Portfolio KPIs: balance, collected, recovery, contact and right-party rates, promises, complaints.

    With --experiments: per arm of each experiment, recovered, net of cost, cost, cure rate and
    complaints per account with 95 % confidence intervals, and each arm's difference from the holdout
    and each challenger's from the champion."""
    if experiments:
        report_experiments(ctx, experiment_id, run_date, as_json)
        return
    app = globals_of(ctx).app()
    try:
        day = parse_date(run_date) or app.clock().date()
        kpis = reporting.kpis(app.db, day)
    finally:
        app.close()
    if as_json:
        print(json.dumps(kpis, ensure_ascii=False, default=str))
    else:
        print_kpis(kpis)
