"""A job: run daily cycles against the debtor-behaviour simulator, through the same import and run paths a
creditor's files take: placement files are written and read back, each day's events are validated by
the intake rules before they are stored."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import polars as pl

from recoup.adapters.db.bulk import read_frame
from recoup.adapters.db.portfolio import actions_on
from recoup.adapters.files.readers import read_table
from recoup.bootstrap import App
from recoup.core.errors import Conflict
from recoup.entrypoints.jobs.daily import run_day
from recoup.services import reporting, strategies
from recoup.services.importing import account_lookup, import_accounts, import_events
from recoup.services.options import RunOptions
from recoup.sim.behaviour import DebtorBehaviour
from recoup.sim.files import events_text, write_portfolio
from recoup.sim.portfolio import SyntheticPortfolio, generate_portfolio

DayHook = Callable[[date, dict[str, Any]], None]


@dataclass(frozen=True)
class SimulationPlan:
    accounts: int
    days: int
    seed: int = 7
    start: date = date(2026, 3, 2)
    options: RunOptions = field(default_factory=RunOptions)
    holdout: int = 0  # parts of 10,000: when > 0 an experiment "sim-<seed>" with this holdout runs


@dataclass
class SimulationResult:
    portfolio: SyntheticPortfolio
    days: list[dict[str, Any]]

    @property
    def final(self) -> dict[str, Any]:
        return self.days[-1] if self.days else {}


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def ensure_empty(app: App) -> None:
    count = read_frame(app.db, "SELECT COUNT(*) AS n FROM accounts").item()
    if count:
        raise Conflict(f"simulation needs an empty database; this one holds {count} accounts")


def place(app: App, portfolio: SyntheticPortfolio, workdir: Path) -> None:
    """Write the synthetic placement as contract files and import them like a creditor's."""
    paths = write_portfolio(portfolio, workdir)
    accounts = read_table(paths["accounts"])
    contacts = read_table(paths["contacts"])
    with app.db.engine.begin() as connection:
        import_accounts(
            connection,
            app.db,
            accounts.frame,
            file=paths["accounts"].name,
            sha256=_digest(f"sim-accounts-{portfolio.seed}-{portfolio.as_of}"),
            placed_on=portfolio.as_of,
            now=app.clock(),
            contacts_raw=contacts.frame,
            contacts_file=paths["contacts"].name,
        )


def _feed_back(
    app: App, day: date, events: pl.DataFrame, portfolio: SyntheticPortfolio, lookup: pl.DataFrame
) -> int:
    if events.is_empty():
        return 0
    raw = (
        events_text(events, portfolio.accounts)
        .with_row_index("row", offset=2)
        .with_columns(pl.col("row").cast(pl.Int64))
    )
    with app.db.engine.begin() as connection:
        report = import_events(
            connection,
            app.db,
            raw,
            file=f"sim-events-{day}.csv",
            sha256=_digest(f"sim-events-{portfolio.seed}-{day}"),
            now=app.clock(),
            lookup=lookup,
        )
    return report.inserted


def start_holdout(app: App, plan: SimulationPlan) -> None:
    """Run the simulation as an experiment of the champion against a holdout (no challenger)."""
    with app.db.engine.begin() as connection:
        strategies.start_experiment(
            connection,
            experiment_id=f"sim-{plan.seed}",
            seed=f"sim-{plan.seed}",
            holdout=plan.holdout,
            challengers=[],
            started_on=plan.start,
            now=app.clock(),
        )


def simulate(
    app: App, plan: SimulationPlan, workdir: Path, on_day: DayHook | None = None
) -> SimulationResult:
    """Place a synthetic portfolio and run ``plan.days`` daily cycles, the simulated debtors answering
    each day's actions. Returns the KPIs of every day."""
    ensure_empty(app)
    portfolio = generate_portfolio(plan.accounts, seed=plan.seed, as_of=plan.start - timedelta(days=1))
    place(app, portfolio, workdir)
    if plan.holdout:
        start_holdout(app, plan)
    behaviour = DebtorBehaviour(portfolio, seed=plan.seed)
    lookup = account_lookup(app.db)
    days: list[dict[str, Any]] = []
    for offset in range(plan.days):
        day = plan.start + timedelta(days=offset)
        run_day(app, day, plan.options)
        events = behaviour.respond(day, actions_on(app.db, day))
        fed_back = _feed_back(app, day, events, portfolio, lookup)
        kpis = {**reporting.kpis(app.db, day), "events_fed_back": fed_back}
        days.append(kpis)
        if on_day:
            on_day(day, kpis)
    return SimulationResult(portfolio, days)
