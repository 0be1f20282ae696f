"""Strategy configuration and champion/challenger experiments.

Which playbook is each creditor's champion, which experiment runs, the uplift fitted from that
experiment's history, the holdout exposures the fit learns the no-action baseline from, the readout, and
the promotion of a challenger. Every change of configuration is appended to the audit chain inside the
caller's transaction; nothing here commits.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Final

import polars as pl
from sqlalchemy import Connection

from recoup.adapters.db import audit
from recoup.adapters.db import strategy_queries as stored
from recoup.adapters.db.engine import Database
from recoup.adapters.db.strategy_tables import PLAYBOOK_STATUSES
from recoup.core.errors import Conflict, NotFound, ValidationError
from recoup.core.money import exponent
from recoup.core.strategy import StrategyConfig, UpliftModel, cold_start, fit_uplift
from recoup.core.strategy.experiments import (
    HOLDOUT,
    Experiment,
    Readout,
    account_outcomes,
    arms_record,
    assign_arms,
    experiment_from_record,
    holdout_experiment,
    promote,
    readout,
)
from recoup.core.strategy.paths import Playbook, default_playbook, parse_playbook
from recoup.core.strategy.uplift import HORIZON_DAYS, uplift_history

DEFAULT_KEY: Final = "*"
UPLIFT_LOOKBACK_DAYS: Final = 180


# ------------------------------------------------------------------------------------------ playbooks


def champions(connection: Connection) -> dict[str, Playbook]:
    """The champion playbook of each creditor that has one, and ``"*"`` (the stored default or the
    shipped one)."""
    books: dict[str, Playbook] = {DEFAULT_KEY: default_playbook()}
    for row in stored.stored_playbooks(connection, ("champion",)):
        book = parse_playbook(row["text"], row["source"])
        books[book.creditor_id] = book
    return books


def _all_playbooks(connection: Connection) -> dict[str, Playbook]:
    books = {}
    for row in stored.stored_playbooks(connection, PLAYBOOK_STATUSES):
        book = parse_playbook(row["text"], row["source"])
        books[book.label] = book
    return books


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _store(connection: Connection, book: Playbook, text: str, status: str, now: datetime) -> bool:
    """Store a playbook version; False when the same text is stored already. A version is immutable:
    other text under a stored name and version is refused."""
    existing = stored.playbook_row(connection, book.name, book.version)
    if existing is not None:
        if existing["sha256"] != _sha(text):
            raise Conflict(
                f"playbook {book.label} is stored with other content; give the new text a new version"
            )
        return False
    stored.add_playbook(
        connection,
        name=book.name,
        version=book.version,
        creditor_id=book.creditor_id,
        status=status,
        source=book.source,
        text=text,
        now=now,
    )
    return True


def load_playbook(connection: Connection, text: str, source: str, now: datetime) -> Playbook:
    """Make the playbook in ``text`` its creditor's champion (validated first; the one it replaces is
    retired). Loading the champion again changes nothing."""
    book = parse_playbook(text, source)
    existing = stored.playbook_row(connection, book.name, book.version)
    if existing is not None and existing["status"] == "champion" and existing["sha256"] == _sha(text):
        return book
    _store(connection, book, text, "champion", now)
    retired = [
        label for label in stored.retire_champions(connection, book.creditor_id) if label != book.label
    ]
    row = stored.playbook_row(connection, book.name, book.version)
    assert row is not None
    stored.set_playbook_status(connection, int(row["key"]), "champion")
    audit.record(
        connection,
        "strategy.playbook",
        {"playbook": book.label, "creditor_id": book.creditor_id, "sha256": _sha(text), "retired": retired},
        now,
    )
    return book


# ---------------------------------------------------------------------------------------- experiments


def _experiment(connection: Connection, row: dict[str, Any]) -> Experiment:
    return experiment_from_record(row["id"], row["seed"], row["arms"], _all_playbooks(connection))


def running_experiment(connection: Connection) -> tuple[Experiment, date] | None:
    """The running experiment and the date it started, if one runs."""
    rows = stored.experiments(connection, "running")
    if not rows:
        return None
    return _experiment(connection, rows[-1]), rows[-1]["started_on"]


def start_experiment(
    connection: Connection,
    *,
    experiment_id: str,
    seed: str,
    holdout: int,
    challengers: list[tuple[str, str, int]],
    started_on: date,
    now: datetime,
) -> Experiment:
    """Start an experiment: the champion, ``challengers`` (playbook text, source, weight) and a holdout of
    ``holdout`` parts of 10,000. One experiment runs at a time."""
    if stored.experiment_row(connection, experiment_id) is not None:
        raise Conflict(f"experiment {experiment_id} exists already; ids are never reused")
    running = stored.experiments(connection, "running")
    if running:
        raise Conflict(f"experiment {running[-1]['id']} is running; stop it first")
    books = [(parse_playbook(text, source), text, weight) for text, source, weight in challengers]
    experiment = holdout_experiment(
        experiment_id, seed, holdout, [(book, weight) for book, _, weight in books]
    )
    for book, text, _ in books:
        _store(connection, book, text, "challenger", now)
    arms = arms_record(experiment)
    stored.add_experiment(
        connection, experiment_id=experiment_id, seed=seed, arms=arms, started_on=started_on, now=now
    )
    audit.record(
        connection,
        "strategy.experiment_started",
        {"experiment_id": experiment_id, "seed": seed, "arms": arms, "started_on": started_on.isoformat()},
        now,
    )
    return experiment


def stop_experiment(connection: Connection, experiment_id: str, stopped_on: date, now: datetime) -> None:
    row = _experiment_row(connection, experiment_id)
    if row["status"] != "running":
        raise Conflict(f"experiment {experiment_id} is not running")
    stored.set_experiment(connection, experiment_id, status="stopped", stopped_on=stopped_on)
    audit.record(
        connection,
        "strategy.experiment_stopped",
        {"experiment_id": experiment_id, "stopped_on": stopped_on.isoformat()},
        now,
    )


def _experiment_row(connection: Connection, experiment_id: str) -> dict[str, Any]:
    row = stored.experiment_row(connection, experiment_id)
    if row is None:
        raise NotFound(f"no experiment {experiment_id!r} (see `recoup experiment list`)")
    return row


def experiments(connection: Connection) -> list[dict[str, Any]]:
    return stored.experiments(connection)


# --------------------------------------------------------------------------------------- daily config


def strategy_config(connection: Connection, db: Database, run_date: date) -> StrategyConfig:
    """The default strategy's configuration for ``run_date``: the champions, the running experiment, and
    the uplift fitted from that experiment's matured history (the cold-start prior without one)."""
    running = running_experiment(connection)
    if running is None:
        return StrategyConfig(playbooks=champions(connection), uplift=cold_start())
    experiment, started_on = running
    uplift = fitted_uplift(db, experiment, started_on, run_date)
    return StrategyConfig(playbooks=champions(connection), uplift=uplift, experiment=experiment)


def fitted_uplift(db: Database, experiment: Experiment, started_on: date, run_date: date) -> UpliftModel:
    """Base rates and uplifts from the experiment's holdout exposures and treated actions whose 30-day
    window has ended, shrunk toward the prior (core.strategy.uplift.fit_uplift)."""
    since = max(started_on, run_date - timedelta(days=UPLIFT_LOOKBACK_DAYS))
    until = run_date - timedelta(days=HORIZON_DAYS)
    if until < since or not any(arm.name == HOLDOUT for arm in experiment.arms):
        return cold_start()
    exposures = stored.exposures_between(db, experiment.id, since, until)
    if exposures.filter(pl.col("variant") == HOLDOUT).is_empty():
        return cold_start()
    payments = stored.payments_between(db, since, run_date)
    return fit_uplift(uplift_history(exposures, payments, run_date))


def record_exposures(
    connection: Connection,
    db: Database,
    experiment: Experiment | None,
    segmented: pl.DataFrame,
    run_date: date,
) -> int:
    """Record the holdout accounts of ``segmented`` (account_key, creditor_id, account_id, segment,
    balance, ability_score) not recorded in the last 30 days; accounts on hold are not exposed."""
    if experiment is None or segmented.is_empty():
        return 0
    holdout = segmented.with_columns(variant=assign_arms(segmented, experiment)).filter(
        (pl.col("variant") == HOLDOUT) & (pl.col("segment") != "hold")
    )
    recent = stored.latest_exposures(db, experiment.id, run_date - timedelta(days=HORIZON_DAYS - 1))
    due = holdout.join(recent.select("account_key"), on="account_key", how="anti")
    return stored.insert_exposures(connection, db, experiment.id, due.with_columns(run_date=pl.lit(run_date)))


# ------------------------------------------------------------------------------------ readout, promote


@dataclass(frozen=True, slots=True)
class ExperimentReadout:
    experiment: Experiment
    status: str
    started_on: date
    until: date
    result: Readout


def experiment_readout(
    connection: Connection, db: Database, experiment_id: str, as_of: date, confidence: float = 0.95
) -> ExperimentReadout:
    """Per arm: recovered, net, cost, cure rate and complaints per account with confidence intervals,
    from the experiment's start to ``as_of`` (or the day it stopped)."""
    if not 0.5 <= confidence < 1.0:
        raise ValidationError(f"confidence must be in [0.5, 1), got {confidence}", field="confidence")
    row = _experiment_row(connection, experiment_id)
    experiment = _experiment(connection, row)
    until = min(as_of, row["stopped_on"]) if row["stopped_on"] else as_of
    if until < row["started_on"]:
        raise ValidationError(
            f"experiment {experiment_id} started on {row['started_on']}, after {until}", field="date"
        )
    frames = stored.outcome_frames(db, row["started_on"], until)
    outcomes = account_outcomes(experiment=experiment, **frames)
    return ExperimentReadout(
        experiment, row["status"], row["started_on"], until, readout(outcomes, confidence=confidence)
    )


def promote_challenger(
    connection: Connection,
    db: Database,
    *,
    experiment_id: str,
    arm: str,
    approved_by: str,
    reason: str,
    as_of: date,
    now: datetime,
    require_significant: bool = True,
) -> dict[str, Any]:
    """Make a challenger its creditor's champion on the experiment's evidence: an explicit act, refused
    unless the challenger beats the champion significantly (unless ``require_significant`` is off), and
    recorded in the audit chain with the evidence. Returns the audit record."""
    measured = experiment_readout(connection, db, experiment_id, as_of)
    promotion = promote(
        measured.experiment,
        arm,
        champions(connection),
        measured.result,
        approved_by=approved_by,
        at=now,
        reason=reason,
        require_significant=require_significant,
    )
    book = measured.experiment.arm(arm).playbook
    assert book is not None  # promote refuses arms without a playbook
    stored.retire_champions(connection, book.creditor_id)
    row = stored.playbook_row(connection, book.name, book.version)
    assert row is not None
    stored.set_playbook_status(connection, int(row["key"]), "champion")
    stored.set_experiment(connection, experiment_id, arms=arms_record(promotion.experiment))
    record = {**promotion.record.to_dict(), "forced": not require_significant}
    audit.record(connection, "strategy.promoted", record, now)
    return record


def playbooks(connection: Connection) -> list[dict[str, Any]]:
    """Every stored playbook version (without its text)."""
    return [
        {k: v for k, v in row.items() if k != "text"}
        for row in stored.stored_playbooks(connection, PLAYBOOK_STATUSES)
    ]


def shown(metric: str, value: float | None, currency: str) -> str:
    """A readout statistic as people read it: money in major units of ``currency`` (a mean keeps its
    fraction of the minor unit rounded away), cure as a percentage, complaints per account."""
    if value is None:
        return ""
    if metric == "cured":
        return f"{value:.1%}"
    if metric == "complaints":
        return f"{value:.4f}" if isinstance(value, float) else str(value)
    places = exponent(currency) if currency else 2
    return f"{value / 10**places:,.{places}f}"


def readout_table(measured: ExperimentReadout) -> dict[str, list[dict[str, Any]]]:
    """The readout with every statistic as display text: ``arms`` and ``differences`` rows."""
    arms = [
        {
            **row,
            "total": shown(row["metric"], row["total"], row["currency"]) if row["metric"] != "cured" else "",
            "mean": shown(row["metric"], row["mean"], row["currency"]),
            "lo": shown(row["metric"], row["lo"], row["currency"]),
            "hi": shown(row["metric"], row["hi"], row["currency"]),
        }
        for row in measured.result.arms.to_dicts()
    ]
    differences = [
        {
            **row,
            "difference": shown(row["metric"], row["difference"], row["currency"]),
            "lo": shown(row["metric"], row["lo"], row["currency"]),
            "hi": shown(row["metric"], row["hi"], row["currency"]),
        }
        for row in measured.result.differences.to_dicts()
    ]
    return {"arms": arms, "differences": differences}


def _finite_rows(frame: pl.DataFrame) -> list[dict[str, Any]]:
    """Rows for JSON: a statistic that is not a number (an arm of one account has no spread) is null."""
    return [
        {k: (None if isinstance(v, float) and not math.isfinite(v) else v) for k, v in row.items()}
        for row in frame.to_dicts()
    ]


def readout_record(measured: ExperimentReadout) -> dict[str, Any]:
    """The readout as plain JSON-ready values (money in minor units, dates as ISO text)."""
    return {
        "experiment": measured.experiment.id,
        "status": measured.status,
        "from": measured.started_on.isoformat(),
        "to": measured.until.isoformat(),
        "confidence": measured.result.confidence,
        "arms": _finite_rows(measured.result.arms),
        "differences": _finite_rows(measured.result.differences),
    }
