"""`recoup simulate` and `recoup demo`: synthetic portfolios run against the debtor-behaviour simulator."""

from __future__ import annotations

import json
import tempfile
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import polars as pl
import typer
from rich.table import Table

from recoup.bootstrap import App
from recoup.config import Settings
from recoup.entrypoints.cli.common import Globals, globals_of, out, parse_date, progress, user_errors
from recoup.entrypoints.cli.daily import run_options
from recoup.entrypoints.cli.experiments import parts_of
from recoup.entrypoints.jobs.comparison import compare, summary
from recoup.entrypoints.jobs.simulation import SimulationPlan, SimulationResult, simulate
from recoup.services.deciding import STRATEGIES

DEMO_DATABASE = "recoup-demo.db"


def _whole(amount: str | None) -> str:
    return "" if not amount else f"{int(amount.split('.')[0]):,}"


def _summary_table(result: SimulationResult, every: int) -> Table:
    table = Table(title="simulated collection, CNY accounts (amounts in yuan)")
    for column in (
        "day",
        "active",
        "paid",
        "paid total",
        "recov.",
        "contact",
        "RPC",
        "PTP kept",
        "compl.",
        "actions",
    ):
        table.add_column(column, justify="right")
    last = len(result.days) - 1
    for index, day in enumerate(result.days):
        if index % every and index != last:
            continue
        cny = next(
            (m for m in day["money"] if m["currency"] == "CNY"), day["money"][0] if day["money"] else {}
        )
        table.add_row(
            day["date"][5:],
            str(cny.get("active_accounts", "")),
            _whole(cny.get("collected_on_day")),
            _whole(cny.get("collected")),
            _pct(cny.get("recovery_rate")),
            _pct(day.get("contact_rate")),
            _pct(day.get("right_party_rate")),
            _pct(day.get("promise_kept_rate")),
            str(day.get("complaints", "")),
            str(sum(day.get("actions_on_day", {}).values())),
        )
    return table


def _pct(value: Any) -> str:
    return "–" if value is None else f"{100 * float(value):.1f}%"


def _run(g: Globals, app: App, plan: SimulationPlan, every: int) -> SimulationResult:
    with (
        tempfile.TemporaryDirectory(prefix="recoup-sim-") as workdir,
        progress(g.show_progress, total=plan.days, description="simulating") as advance,
    ):
        result = simulate(
            app, plan, Path(workdir), on_day=lambda day, _kpis: advance(description=f"simulating {day}")
        )
    if not g.quiet:
        out.print(_summary_table(result, every))
    return result


def _fresh_sqlite(path: str) -> str:
    for suffix in ("", "-wal", "-shm"):
        Path(path + suffix).unlink(missing_ok=True)
    return f"sqlite:///{path}"


@user_errors
def simulate_command(
    ctx: typer.Context,
    accounts: Annotated[int, typer.Option("--accounts", min=1, max=5_000_000, help="portfolio size")] = 5000,
    days: Annotated[int, typer.Option("--days", min=1, max=730, help="daily cycles to run")] = 30,
    seed: Annotated[int, typer.Option("--seed", help="seed of the portfolio and the debtors")] = 7,
    start: Annotated[str | None, typer.Option("--start", help="first run date (default 2026-03-02)")] = None,
    capacity: Annotated[str | None, typer.Option("--capacity", help="agent capacity, e.g. call=500")] = None,
    strategy: Annotated[str | None, typer.Option("--strategy", help="baseline or default")] = None,
    compare: Annotated[
        str | None,
        typer.Option("--compare", help="strategies to compare on identical debtors, e.g. baseline,default"),
    ] = None,
    seeds: Annotated[
        int, typer.Option("--seeds", min=1, max=50, help="with --compare: seeds S, S+1, ...")
    ] = 1,
    as_json: Annotated[bool, typer.Option("--json", help="with --compare: machine-readable output")] = False,
    holdout: Annotated[
        str,
        typer.Option("--holdout", help="percent of accounts held out as the control (not with --compare)"),
    ] = "0",
) -> None:
    """Generate a synthetic portfolio and run daily cycles against the simulated debtors.

    Uses the database named by --db (it must hold no accounts) or a fresh simulation.db. With --compare,
    each strategy runs in a fresh database of its own on the same portfolio and debtors."""
    g = globals_of(ctx)
    if compare:
        _compare(g, compare, accounts, days, seed, seeds, start, capacity, as_json)
        return
    if g.database_url is None:
        g = Globals(database_url=_fresh_sqlite("simulation.db"), quiet=g.quiet)
    app = g.app()
    try:
        plan = SimulationPlan(
            accounts=accounts,
            days=days,
            seed=seed,
            start=parse_date(start, "--start") or date(2026, 3, 2),
            options=run_options(app.settings, capacity, None, strategy),
            holdout=parts_of(holdout, "--holdout"),
        )
        _run(g, app, plan, every=max(days // 12, 1))
    finally:
        app.close()


@user_errors
def demo(
    ctx: typer.Context,
    accounts: Annotated[int, typer.Option("--accounts", min=1, help="portfolio size")] = 5000,
    days: Annotated[int, typer.Option("--days", min=1, help="simulated days")] = 60,
    serve: Annotated[bool, typer.Option("--serve/--no-serve", help="open the web app afterwards")] = True,
    host: Annotated[str, typer.Option("--host")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=1, max=65535)] = 8000,
    holdout: Annotated[
        str, typer.Option("--holdout", help="percent of accounts held out as the control")
    ] = "10",
) -> None:
    """The embedded default: a fresh SQLite database, a synthetic portfolio, 60 simulated days, a summary,
    then the web app."""
    g = globals_of(ctx)
    g = Globals(database_url=g.database_url or _fresh_sqlite(DEMO_DATABASE), quiet=g.quiet)
    app = g.app()
    try:
        plan = SimulationPlan(
            accounts=accounts,
            days=days,
            seed=7,
            options=run_options(app.settings, None, None),
            holdout=parts_of(holdout, "--holdout"),
        )
        result = _run(g, app, plan, every=5)
    finally:
        app.close()
    if not g.quiet:
        out.print(
            f"{accounts} accounts, {days} days simulated into {g.database_url}. "
            f"Explore: recoup --db {g.database_url} report --date {result.final.get('date')}\n"
            f"Against the holdout: recoup --db {g.database_url} report --experiments"
        )
    if serve:
        from recoup.entrypoints.cli.serve import serve_app

        serve_app(g, host, port)


def _compare(
    g: Globals,
    strategies_text: str,
    accounts: int,
    days: int,
    seed: int,
    seeds: int,
    start: str | None,
    capacity: str | None,
    as_json: bool,
) -> None:
    strategies = [s.strip() for s in strategies_text.split(",") if s.strip()]
    unknown = [s for s in strategies if s not in STRATEGIES]
    if len(strategies) < 2 or unknown:
        raise typer.BadParameter(
            f"name two or more of {', '.join(STRATEGIES)}"
            + (f" (unknown: {', '.join(unknown)})" if unknown else ""),
            param_hint="--compare",
        )
    settings = Settings()
    options = run_options(settings, capacity, None)
    first = parse_date(start, "--start") or date(2026, 3, 2)
    outcomes = []
    total = len(strategies) * seeds * days
    with progress(g.show_progress and not as_json, total=total, description="comparing") as advance:
        for offset in range(seeds):
            plan = SimulationPlan(
                accounts=accounts, days=days, seed=seed + offset, start=first, options=options
            )
            outcomes += compare(
                strategies, plan, settings, on_day=lambda s, d: advance(description=f"{s} {d}")
            )
    table = summary(outcomes)
    if as_json:
        print(json.dumps({"runs": [o.as_dict() for o in outcomes], "summary": table.to_dicts()}, default=str))
    elif not g.quiet:
        out.print(_comparison_table(table, accounts, days, seed, seeds))


def _comparison_table(frame: pl.DataFrame, accounts: int, days: int, seed: int, seeds: int) -> Table:
    table = Table(
        title=f"{accounts} accounts, {days} days, seeds {seed}..{seed + seeds - 1} (amounts in yuan)"
    )
    for column in (
        "strategy",
        "net recovery",
        "collected",
        "cost",
        "contacts/acct",
        "complaints",
        "opt-outs",
        "violations",
        "ratio",
    ):
        table.add_column(column, justify="right")
    for row in frame.iter_rows(named=True):
        table.add_row(
            row["strategy"],
            f"{row['net_recovery'] / 100:,.0f}",
            f"{row['collected'] / 100:,.0f}",
            f"{row['cost'] / 100:,.0f}",
            f"{row['contacts_per_account']:.2f}",
            f"{row['complaints']:.1f}",
            f"{row['opt_outs']:.1f}",
            str(row["violations"]),
            f"{row['ratio_net_recovery']:.3f}",
        )
    return table
