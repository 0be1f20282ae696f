"""Reads and writes of the strategy tables (playbooks, experiments, exposures) and the frames an
experiment's readout and an uplift fit need. Nothing here commits."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, cast

import polars as pl
from sqlalchemy import Connection, Table, select, update

from recoup.adapters.db.bulk import insert_new, next_key, read_frame, sql_literal
from recoup.adapters.db.engine import Database
from recoup.adapters.db.strategy_tables import Exposure, StoredExperiment, StoredPlaybook
from recoup.core.schema import UTC_INSTANT
from recoup.core.strategy.experiments import EXPERIMENT_ID
from recoup.core.strategy.uplift import EXPOSURE_SCHEMA

PLAYBOOKS = cast(Table, StoredPlaybook.__table__)
EXPERIMENTS = cast(Table, StoredExperiment.__table__)
NOT_SPENT = ("cancelled", "expired")  # actions that never went out cost nothing


def _id_literal(experiment_id: str) -> str:
    """An experiment id as an SQL literal: ids are checked against EXPERIMENT_ID, which has no quote."""
    if not EXPERIMENT_ID.fullmatch(experiment_id):
        raise ValueError(f"not an experiment id: {experiment_id!r}")
    return f"'{experiment_id}'"


# ------------------------------------------------------------------------------------------ playbooks


def stored_playbooks(connection: Connection, statuses: tuple[str, ...]) -> list[dict[str, Any]]:
    rows = connection.execute(
        select(PLAYBOOKS).where(PLAYBOOKS.c.status.in_(statuses)).order_by(PLAYBOOKS.c.key)
    )
    return [dict(row._mapping) for row in rows]


def playbook_row(connection: Connection, name: str, version: int) -> dict[str, Any] | None:
    row = connection.execute(
        select(PLAYBOOKS).where(PLAYBOOKS.c.name == name, PLAYBOOKS.c.version == version)
    ).one_or_none()
    return dict(row._mapping) if row is not None else None


def add_playbook(
    connection: Connection,
    *,
    name: str,
    version: int,
    creditor_id: str,
    status: str,
    source: str,
    text: str,
    now: datetime,
) -> int:
    key = next_key(connection, "playbooks")
    connection.execute(
        PLAYBOOKS.insert().values(
            key=key,
            name=name,
            version=version,
            creditor_id=creditor_id,
            status=status,
            source=source[:500],
            text=text,
            sha256=hashlib.sha256(text.encode("utf-8")).hexdigest(),
            loaded_at=now,
        )
    )
    return key


def set_playbook_status(connection: Connection, key: int, status: str) -> None:
    connection.execute(update(PLAYBOOKS).where(PLAYBOOKS.c.key == key).values(status=status))


def retire_champions(connection: Connection, creditor_id: str) -> list[str]:
    """Retire the champion playbooks of ``creditor_id``; returns their labels."""
    rows = connection.execute(
        select(PLAYBOOKS.c.key, PLAYBOOKS.c.name, PLAYBOOKS.c.version).where(
            PLAYBOOKS.c.creditor_id == creditor_id, PLAYBOOKS.c.status == "champion"
        )
    ).all()
    for row in rows:
        set_playbook_status(connection, int(row.key), "retired")
    return [f"{row.name}@v{row.version}" for row in rows]


# ---------------------------------------------------------------------------------------- experiments


def experiments(connection: Connection, status: str | None = None) -> list[dict[str, Any]]:
    query = select(EXPERIMENTS).order_by(EXPERIMENTS.c.created_at, EXPERIMENTS.c.id)
    if status is not None:
        query = query.where(EXPERIMENTS.c.status == status)
    return [_experiment_row(row._mapping) for row in connection.execute(query)]


def experiment_row(connection: Connection, experiment_id: str) -> dict[str, Any] | None:
    row = connection.execute(select(EXPERIMENTS).where(EXPERIMENTS.c.id == experiment_id)).one_or_none()
    return _experiment_row(row._mapping) if row is not None else None


def _experiment_row(mapping: Any) -> dict[str, Any]:
    row = dict(mapping)
    row["arms"] = json.loads(row["arms"])
    return row


def add_experiment(
    connection: Connection,
    *,
    experiment_id: str,
    seed: str,
    arms: list[dict[str, Any]],
    started_on: date,
    now: datetime,
) -> None:
    connection.execute(
        EXPERIMENTS.insert().values(
            id=experiment_id,
            seed=seed,
            arms=json.dumps(arms, sort_keys=True),
            status="running",
            started_on=started_on,
            stopped_on=None,
            created_at=now,
        )
    )


def set_experiment(connection: Connection, experiment_id: str, **values: Any) -> None:
    if "arms" in values:
        values["arms"] = json.dumps(values["arms"], sort_keys=True)
    connection.execute(update(EXPERIMENTS).where(EXPERIMENTS.c.id == experiment_id).values(**values))


# ------------------------------------------------------------------------------------------ exposures


def latest_exposures(db: Database, experiment_id: str, since: date) -> pl.DataFrame:
    """The last exposure on or after ``since`` of every account that has one."""
    return read_frame(
        db,
        "SELECT account_key, MAX(run_date) AS run_date FROM experiment_exposures "
        f"WHERE experiment_id = {_id_literal(experiment_id)} AND run_date >= {sql_literal(since)} "
        "GROUP BY account_key",
        {"account_key": pl.Int64(), "run_date": pl.Date()},
    )


def insert_exposures(connection: Connection, db: Database, experiment_id: str, rows: pl.DataFrame) -> int:
    if rows.is_empty():
        return 0
    first = next_key(connection, Exposure.__tablename__)
    keyed = rows.select(
        key=pl.int_range(first, first + rows.height, dtype=pl.Int64),
        experiment_id=pl.lit(experiment_id),
        account_key="account_key",
        run_date="run_date",
        variant="variant",
        segment="segment",
        balance="balance",
        ability_score="ability_score",
    )
    return insert_new(
        connection, db, Exposure.__tablename__, keyed, ("experiment_id", "account_key", "run_date")
    )


def exposures_between(db: Database, experiment_id: str, since: date, until: date) -> pl.DataFrame:
    """Treated actions and holdout exposures from ``since`` to ``until`` (EXPOSURE_SCHEMA)."""
    low, high = sql_literal(since), sql_literal(until)
    holdout = (
        "SELECT account_key, run_date, segment, variant, NULL AS action, NULL AS offer_kind, balance, "
        "ability_score FROM experiment_exposures "
        f"WHERE experiment_id = {_id_literal(experiment_id)} AND run_date BETWEEN {low} AND {high}"
    )
    spent = ", ".join(f"'{s}'" for s in NOT_SPENT)
    treated = (
        "SELECT account_key, run_date, segment, variant, action, offer_kind, balance, ability_score "
        f"FROM actions WHERE run_date BETWEEN {low} AND {high} AND variant IS NOT NULL "
        f"AND variant <> 'holdout' AND balance IS NOT NULL AND status NOT IN ({spent})"
    )
    return read_frame(db, f"{holdout} UNION ALL {treated}", EXPOSURE_SCHEMA)


# ------------------------------------------------------------------------------------------- outcomes


def _events_between(db: Database, kind: str, since: date, until: date) -> pl.DataFrame:
    """Events of ``kind`` whose debtor-local date falls from ``since`` to ``until``: account_key,
    local_date, amount."""
    # A local date lies within a day of the UTC date (offsets are under 24 hours).
    low = datetime.combine(since - timedelta(days=1), time(0), tzinfo=UTC)
    high = datetime.combine(until + timedelta(days=2), time(0), tzinfo=UTC)
    frame = read_frame(
        db,
        "SELECT account_key, at, utc_offset_minutes, amount FROM events "
        f"WHERE type = '{kind}' AND at >= {sql_literal(low)} AND at < {sql_literal(high)}",
        {
            "account_key": pl.Int64(),
            "at": UTC_INSTANT,
            "utc_offset_minutes": pl.Int32(),
            "amount": pl.Int64(),
        },
    )
    local = (pl.col("at") + pl.duration(minutes=pl.col("utc_offset_minutes"))).dt.date()
    return frame.select("account_key", local_date=local, amount="amount").filter(
        pl.col("local_date").is_between(since, until)
    )


def payments_between(db: Database, since: date, until: date) -> pl.DataFrame:
    """Payments whose debtor-local date falls from ``since`` to ``until``: account_key, local_date, amount."""
    return _events_between(db, "payment", since, until)


def outcome_frames(db: Database, since: date, until: date) -> dict[str, pl.DataFrame]:
    """What an experiment readout needs (see core.strategy.experiments.account_outcomes): every account
    placed by ``until`` with its balance now, and the payments, spent actions and complaints of the window."""
    low, high = sql_literal(since), sql_literal(until)
    spent = ", ".join(f"'{s}'" for s in NOT_SPENT)
    accounts = read_frame(
        db,
        'SELECT "key" AS account_key, creditor_id, account_id, currency, '
        "principal + interest + fees AS balance FROM accounts "
        f"WHERE placed_on <= {high}",
        {
            "account_key": pl.Int64(),
            "creditor_id": pl.String(),
            "account_id": pl.String(),
            "currency": pl.String(),
            "balance": pl.Int64(),
        },
    )
    actions = read_frame(
        db,
        f"SELECT account_key, cost FROM actions WHERE run_date BETWEEN {low} AND {high} "
        f"AND status NOT IN ({spent})",
        {"account_key": pl.Int64(), "cost": pl.Int64()},
    )
    return {
        "accounts": accounts,
        "payments": payments_between(db, since, until),
        "actions": actions,
        "complaints": _events_between(db, "complaint", since, until).select("account_key"),
    }
