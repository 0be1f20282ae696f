"""Tables of the strategy engine's configuration and experiments: the playbooks loaded (the champion of
each creditor and the challengers under test), the experiments with their arms, and the holdout
exposures an uplift fit learns the no-action baseline from.

Created by migration 0007_strategy.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Date, Float, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from recoup.adapters.db.tables import Base, Instant, Key

# champion: used for its creditor; challenger: only through an experiment arm; retired: replaced.
PLAYBOOK_STATUSES = ("champion", "challenger", "retired")
EXPERIMENT_STATUSES = ("running", "stopped")


class StoredPlaybook(Base):
    """One version of a treatment-path file, as loaded (the YAML text is kept verbatim)."""

    __tablename__ = "playbooks"
    __table_args__ = (UniqueConstraint("name", "version"), Index("ix_playbooks_status", "status"))

    key: Mapped[int] = mapped_column(Key, primary_key=True, autoincrement=False)
    name: Mapped[str] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(BigInteger)
    creditor_id: Mapped[str] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(12))
    source: Mapped[str] = mapped_column(String(500))
    text: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64))
    loaded_at: Mapped[datetime] = mapped_column(Instant)


class StoredExperiment(Base):
    """A champion/challenger experiment; ``arms`` is JSON: [{"name", "weight", "playbook"}], the playbook
    given by its label (``name@vN``) or null for the champion and the holdout."""

    __tablename__ = "experiments"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    seed: Mapped[str] = mapped_column(String(64))
    arms: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(10))
    started_on: Mapped[date] = mapped_column(Date)
    stopped_on: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(Instant)


class Exposure(Base):
    """A holdout account seen by a daily run: its segment, balance and ability then. One row per account
    per 30 days, so each row's 30-day outcome window is its own."""

    __tablename__ = "experiment_exposures"
    __table_args__ = (
        UniqueConstraint("experiment_id", "account_key", "run_date"),
        Index("ix_experiment_exposures_run_date", "experiment_id", "run_date"),
    )

    key: Mapped[int] = mapped_column(Key, primary_key=True, autoincrement=False)
    experiment_id: Mapped[str] = mapped_column(ForeignKey("experiments.id"))
    account_key: Mapped[int] = mapped_column(ForeignKey("accounts.key"))
    run_date: Mapped[date] = mapped_column(Date)
    variant: Mapped[str] = mapped_column(String(50))
    segment: Mapped[str] = mapped_column(String(50))
    balance: Mapped[int] = mapped_column(BigInteger)
    ability_score: Mapped[float | None] = mapped_column(Float)
