"""Strategies compared on equal terms: the same seeded portfolio and the same simulated debtors, each
strategy in a fresh database, with the same capacities. What comes out is measured from what was stored,
and every contact made is re-checked independently against the rulebook with the history before its day.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any

import polars as pl

from recoup.adapters.db.bulk import read_frame
from recoup.adapters.db.engine import connect
from recoup.adapters.db.migrate import migrate
from recoup.adapters.db.portfolio import recent_contacts
from recoup.bootstrap import App
from recoup.config import Settings
from recoup.core.accounts import HOLD_EVENTS, apply_events_batch
from recoup.core.compliance import evaluate_batch, load_rulebooks
from recoup.core.schema import UTC_INSTANT
from recoup.entrypoints.jobs.simulation import DayHook, SimulationPlan, simulate
from recoup.services.deciding import attempts_frame
from recoup.sim.portfolio import SyntheticPortfolio

REACHING = ("sms", "email", "im", "letter", "call", "visit")


@dataclass(frozen=True)
class StrategyOutcome:
    strategy: str
    seed: int
    accounts: int
    days: int
    collected: int  # minor units, all currencies at face value (the simulator is CNY-heavy)
    cost: int
    contacts: int
    complaints: int
    opt_outs: int
    violations: int

    @property
    def net_recovery(self) -> int:
        return self.collected - self.cost

    def as_dict(self) -> dict[str, Any]:
        return {
            "strategy": self.strategy,
            "seed": self.seed,
            "accounts": self.accounts,
            "days": self.days,
            "collected": self.collected,
            "cost": self.cost,
            "net_recovery": self.net_recovery,
            "contacts_per_account": round(self.contacts / self.accounts, 3),
            "complaints": self.complaints,
            "opt_outs": self.opt_outs,
            "violations": self.violations,
        }


def _scalar(app: App, sql: str) -> int:
    return int(read_frame(app.db, sql).item() or 0)


HOLD_AND_CONSENT_EVENTS = ("dispute", "dispute_resolved", "opt_out", "opt_in", *HOLD_EVENTS, "recall")


def _placed_state(app: App, portfolio: SyntheticPortfolio) -> pl.DataFrame:
    """Each account's holds and opt-outs as placed, before any event (STATE_COLUMNS)."""
    keys = read_frame(
        app.db,
        'SELECT "key" AS account_key, account_id, creditor_id FROM accounts',
        {"account_key": pl.Int64()},
    )
    placed = portfolio.accounts.select("account_id", "creditor_id", flags=pl.col("flags").fill_null(""))
    return keys.join(placed, on=["account_id", "creditor_id"]).select(
        "account_key",
        *[
            pl.lit(0, dtype=pl.Int64).alias(c)
            for c in ("fees", "interest", "principal", "credit", "collected")
        ],
        status=pl.lit("active"),
        flags="flags",
        opted_out=pl.lit(""),
    )


def _state_events(app: App) -> pl.DataFrame:
    kinds = ", ".join(f"'{k}'" for k in HOLD_AND_CONSENT_EVENTS)
    return read_frame(
        app.db,
        "SELECT account_key, event_id, at, utc_offset_minutes, type, channel, amount FROM events "
        f"WHERE type IN ({kinds})",
        {
            "account_key": pl.Int64(),
            "at": UTC_INSTANT,
            "utc_offset_minutes": pl.Int32(),
            "amount": pl.Int64(),
        },
    ).with_columns(local_day=(pl.col("at") + pl.duration(minutes=pl.col("utc_offset_minutes"))).dt.date())


def recheck(app: App, portfolio: SyntheticPortfolio) -> int:
    """Contacts that break the rulebook when judged again, day by day, against the stored contact history
    and the holds and opt-outs in force that day (replayed from the placement and the events)."""
    static = read_frame(
        app.db,
        'SELECT "key" AS account_key, account_id, debtor_id, jurisdiction, timezone, phone, region, '
        "consent_sms, consent_email, consent_im, consent_call, statute_limit_on FROM accounts",
        {
            "account_key": pl.Int64(),
            "statute_limit_on": pl.Date(),
            **{f"consent_{c}": pl.Boolean() for c in ("sms", "email", "im", "call")},
        },
    )
    actions = read_frame(
        app.db,
        "SELECT account_key, run_date, action, channel, scheduled_at FROM actions WHERE channel IS NOT NULL",
        {"account_key": pl.Int64(), "run_date": pl.Date(), "scheduled_at": UTC_INSTANT},
    )
    placed = _placed_state(app, portfolio)
    changes = _state_events(app)
    rulebooks = load_rulebooks()
    history = recent_contacts(app.db, datetime(1970, 1, 1)).with_columns(
        local_day=(pl.col("at") + pl.duration(minutes=pl.col("utc_offset_minutes"))).dt.date()
    )
    violations = 0
    for (day,), today in actions.partition_by("run_date", as_dict=True).items():
        state = placed.update(
            apply_events_batch(placed, changes.filter(pl.col("local_day") < day)), on="account_key"
        )
        accounts = static.join(state.select("account_key", "flags", "opted_out"), on="account_key")
        decided = evaluate_batch(
            attempts_frame(today, accounts), history.filter(pl.col("local_day") < day), rulebooks
        )
        violations += decided.filter(~pl.col("allowed")).height
    return violations


def measure(app: App, strategy: str, plan: SimulationPlan, portfolio: SyntheticPortfolio) -> StrategyOutcome:
    return StrategyOutcome(
        strategy=strategy,
        seed=plan.seed,
        accounts=plan.accounts,
        days=plan.days,
        collected=_scalar(app, "SELECT SUM(amount) FROM events WHERE type = 'payment'"),
        cost=_scalar(app, "SELECT SUM(cost) FROM actions"),
        contacts=_scalar(app, "SELECT COUNT(*) FROM actions WHERE channel IS NOT NULL"),
        complaints=_scalar(app, "SELECT COUNT(*) FROM events WHERE type = 'complaint'"),
        opt_outs=_scalar(app, "SELECT COUNT(*) FROM events WHERE type = 'opt_out'"),
        violations=recheck(app, portfolio),
    )


def _progress(on_day: Callable[[str, Any], None] | None, strategy: str) -> DayHook | None:
    if on_day is None:
        return None
    hook = on_day
    return lambda day, _kpis: hook(strategy, day)


def compare(
    strategies: list[str],
    plan: SimulationPlan,
    settings: Settings | None = None,
    on_day: Callable[[str, Any], None] | None = None,
) -> list[StrategyOutcome]:
    """Run ``plan`` once per strategy on identical portfolios and debtors; returns what each achieved."""
    outcomes = []
    with tempfile.TemporaryDirectory(prefix="recoup-compare-") as folder:
        for strategy in strategies:
            work = Path(folder) / strategy
            work.mkdir()
            db = connect(f"sqlite:///{work / 'compare.db'}")
            migrate(db)
            app = App(settings=settings or Settings(), db=db)
            try:
                run = replace(plan, options=replace(plan.options, strategy=strategy))
                result = simulate(app, run, work, on_day=_progress(on_day, strategy))
                outcomes.append(measure(app, strategy, run, result.portfolio))
            finally:
                db.dispose()
    return outcomes


def summary(outcomes: list[StrategyOutcome]) -> pl.DataFrame:
    """Per strategy, the means over seeds and the ratio of net recovery to the first strategy's."""
    frame = pl.DataFrame([o.as_dict() for o in outcomes])
    means = frame.group_by("strategy", maintain_order=True).agg(
        pl.len().alias("seeds"),
        *[
            pl.col(c).mean()
            for c in ("collected", "cost", "net_recovery", "contacts_per_account", "complaints", "opt_outs")
        ],
        pl.col("violations").sum(),
    )
    first = means.get_column("net_recovery")[0]
    return means.with_columns(ratio_net_recovery=pl.col("net_recovery") / first if first else pl.lit(None))
