"""Audit overhead: the daily run (and a placement import) with and without their audit appends.

The same imported portfolio is copied for each run; "without" swaps the services' audit module for one
that records nothing, so both variants do identical work otherwise. Variants alternate and the best of
the repeats counts. On a shared, loaded machine wall-clock times of identical runs wobble by 20% and
more, far beyond what the audit costs, so the ratio reported (target < 1.10) times the audit functions
inside the audited run: run seconds / (run seconds - audit seconds). The wall-clock comparison is shown
beside it.
Verifying the whole log afterwards is timed too (it re-reads every covered row).
"""

from __future__ import annotations

import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import polars as pl

from recoup.adapters.db import audit
from recoup.adapters.db.engine import Database, connect
from recoup.adapters.db.migrate import migrate
from recoup.adapters.files.readers import read_table
from recoup.bootstrap import App
from recoup.config import Settings
from recoup.entrypoints.jobs.daily import run_day
from recoup.services import daily_run, importing
from recoup.services.daily_run import RunOptions
from recoup.sim.files import write_accounts
from recoup.sim.portfolio import generate_portfolio

PLACED_ON = date(2026, 3, 1)
RUN_DATE = date(2026, 3, 2)
REPEATS = 2  # per variant; imports run once each (their audit share is timed inside)

_SILENT = SimpleNamespace(
    record=lambda *args, **kwargs: None,
    written_cover=lambda *args, **kwargs: None,
    matching_cover=lambda *args, **kwargs: None,
)


class _Stopwatch:
    """The real audit functions, timed: how much of a run the audit itself took."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self.record = self._timed(audit.record)
        self.written_cover = self._timed(audit.written_cover)
        self.matching_cover = self._timed(audit.matching_cover)

    def _timed(self, work: Callable[..., Any]) -> Callable[..., Any]:
        def timed(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return work(*args, **kwargs)
            finally:
                self.seconds += time.perf_counter() - started

        return timed


@contextmanager
def _audit(enabled: bool) -> Iterator[_Stopwatch]:
    watch = _Stopwatch()
    saved = daily_run.audit, importing.audit
    daily_run.audit = importing.audit = watch if enabled else _SILENT  # type: ignore[assignment]
    try:
        yield watch
    finally:
        daily_run.audit, importing.audit = saved


def _events(accounts: pl.DataFrame, work: Path) -> Path:
    """Payments on a fifth of the accounts and promises on a twentieth, the day before the run."""
    unique = accounts.filter(pl.col("account_id").is_unique()).with_row_index("i")
    payments = unique.filter(pl.col("i") % 5 == 0).select(
        "account_id", type=pl.lit("payment"), amount=pl.lit("100.00"), promise_due_on=pl.lit(None, pl.String)
    )
    promises = unique.filter(pl.col("i") % 20 == 1).select(
        "account_id", type=pl.lit("promise"), amount=pl.lit("300.00"), promise_due_on=pl.lit("2026-03-09")
    )
    events = pl.concat([payments, promises]).with_row_index("n")
    path = work / "events.csv"
    events.select(
        event_id=pl.format("ev{}", "n"),
        account_id="account_id",
        at=pl.lit("2026-03-01T10:00:00+08:00"),
        type="type",
        amount="amount",
        promise_due_on="promise_due_on",
    ).write_csv(path)
    return path


@dataclass
class Timing:
    """Best wall-clock seconds with and without audit, and the audit's own share of the best audited one."""

    on: float = float("inf")
    off: float = float("inf")
    inside: float = 0.0

    def add(self, enabled: bool, seconds: float, audit_seconds: float) -> None:
        if enabled and seconds < self.on:
            self.on, self.inside = seconds, audit_seconds
        elif not enabled:
            self.off = min(self.off, seconds)

    def row(self, benchmark: str, n: int, note: str) -> dict[str, Any]:
        """Ratio: the audited run over the same run less the audit's own time (immune to machine load);
        the wall-clock comparison with the unaudited variant is shown beside it."""
        return {
            "benchmark": benchmark,
            "n": n,
            "seconds": self.on,
            "rate_per_s": n / self.on,
            "baseline": f"audit's own {self.inside:.3f} s; wall clock without audit {self.off:.2f} s "
            f"(x{self.on / self.off:.2f}){note}",
            "ratio": self.on / (self.on - self.inside),
            "target": "< 1.10",
        }


def _import(db: Database, accounts: Path, events: Path, enabled: bool) -> tuple[float, float]:
    """Seconds to import the placement file (events follow, untimed) and the audit's part of them."""
    now = datetime(2026, 3, 1, 12, tzinfo=UTC)
    with _audit(enabled) as watch:
        started = time.perf_counter()
        with db.engine.begin() as connection:
            raw = read_table(accounts).frame
            importing.import_accounts(
                connection, db, raw, file="a.csv", sha256="-", placed_on=PLACED_ON, now=now
            )
        seconds, inside = time.perf_counter() - started, watch.seconds
        with db.engine.begin() as connection:
            events = read_table(events).frame
            importing.import_events(connection, db, events, file="e.csv", sha256="-", now=now)
    return seconds, inside


def _run(template: Path, work: Path, enabled: bool) -> tuple[float, float, int]:
    copy = work / f"run-{'on' if enabled else 'off'}.db"
    shutil.copyfile(template, copy)  # the import's engine is disposed: SQLite folded its WAL into the file
    db = connect(f"sqlite:///{copy}")
    try:
        with _audit(enabled) as watch:
            started = time.perf_counter()
            summary = run_day(App(settings=Settings(), db=db), RUN_DATE, RunOptions())
            seconds = time.perf_counter() - started
    finally:
        db.dispose()
    return seconds, watch.seconds, int(summary.stats("queue").get("queued", 0))


def _fresh(work: Path, name: str) -> Database:
    path = work / name
    path.unlink(missing_ok=True)
    db = connect(f"sqlite:///{path}")
    migrate(db)
    return db


def _verify_row(path: Path, run_seconds: float) -> dict[str, Any]:
    db = connect(f"sqlite:///{path}")
    started = time.perf_counter()
    report = audit.verify(db)
    seconds = time.perf_counter() - started
    db.dispose()
    assert report.intact, report.summary()
    return {
        "benchmark": "audit verify after import + run",
        "n": report.entries,
        "seconds": seconds,
        "rate_per_s": report.entries / seconds,
        "baseline": f"daily run {run_seconds:.2f} s; {report.covers_checked} covers re-read",
        "ratio": seconds / run_seconds,
        "target": "informational",
    }


def run(scale: float = 1.0) -> list[dict[str, Any]]:
    n = max(int(200_000 * scale), 2000)
    imports, runs, queued = Timing(), Timing(), 0
    with tempfile.TemporaryDirectory(prefix="recoup-bench-audit-") as folder:
        work = Path(folder)
        portfolio = generate_portfolio(n, seed=2026, as_of=PLACED_ON)
        accounts_csv = write_accounts(portfolio.accounts, work / "accounts.csv")
        events_csv = _events(portfolio.accounts, work)
        del portfolio
        for enabled in (False, True):
            db = _fresh(work, f"import-{enabled}.db")
            imports.add(enabled, *_import(db, accounts_csv, events_csv, enabled))
            db.dispose()
        for _ in range(REPEATS):
            for enabled in (False, True):
                seconds, inside, queued = _run(work / "import-True.db", work, enabled)
                runs.add(enabled, seconds, inside)
        verify = _verify_row(work / "run-on.db", runs.on)
    return [
        runs.row("daily run with audit (SQLite)", n, f"; {queued:,} actions queued"),
        imports.row("import accounts with audit (SQLite)", n, ""),
        verify,
    ]


if __name__ == "__main__":
    from bench.__main__ import main

    raise SystemExit(main(["--only", "audit", *sys.argv[1:]]))
