"""The daily job: runs the recorded steps of one run date, each in its own transaction.

A step is recorded in the same transaction as its work, so a run killed at any point resumes at the first
unrecorded step, and a finished date runs again as a no-op. Each recorded step appends its audit entry;
with a signing key configured, the run ends by signing a checkpoint of the audit log.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from recoup.adapters.db import audit
from recoup.bootstrap import App
from recoup.services import daily_run, reporting
from recoup.services.options import RunOptions, StepResult

Progress = Callable[[str], None]


@dataclass
class RunSummary:
    run_date: date
    ran: list[StepResult] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)

    @property
    def already_done(self) -> bool:
        return not self.ran

    def stats(self, step: str) -> dict[str, Any]:
        return next((r.stats for r in self.ran if r.step == step), {})


def _timed(step: str, work: Callable[[], dict[str, Any]]) -> StepResult:
    started = time.perf_counter()
    stats = work()
    return StepResult(step, time.perf_counter() - started, stats)


def run_day(app: App, run_date: date, options: RunOptions, progress: Progress | None = None) -> RunSummary:
    db = app.db
    say = progress or (lambda _step: None)
    summary = RunSummary(run_date)
    with db.engine.connect() as connection:
        done = daily_run.completed_steps(connection, run_date)
    summary.skipped = [s for s in daily_run.STEPS if s in done]

    if "ingest" not in done:
        say("ingest")
        with db.engine.begin() as connection:
            result = _timed("ingest", lambda: daily_run.ingest(db, run_date))
            daily_run.record_step(connection, run_date, result, app.clock())
        summary.ran.append(result)

    if "update" not in done:
        say("update")
        with db.engine.begin() as connection:
            result = daily_run.update(connection, db, run_date, options.grace_days)
            daily_run.record_step(connection, run_date, result, app.clock())
        summary.ran.append(result)

    if "queue" not in done:
        say("decide")
        with db.engine.begin() as connection:
            results = daily_run.decide(connection, db, run_date, options)
            for result in results:
                daily_run.record_step(connection, run_date, result, app.clock())
        summary.ran.extend(results)

    if "report" not in done:
        say("report")
        with db.engine.begin() as connection:
            result = _timed("report", lambda: reporting.kpis(db, run_date))
            daily_run.record_step(connection, run_date, result, app.clock())
        summary.ran.append(result)

    if summary.ran and app.settings.audit_signing_key:
        with db.engine.begin() as connection:
            audit.checkpoint(connection, audit.signing_key(app.settings.audit_signing_key), app.clock())
    return summary
