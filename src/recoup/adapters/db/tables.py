"""SQLAlchemy 2 typed tables. Schema changes go through Alembic (adapters/db/migrations)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# SQLite needs INTEGER (not BIGINT) for a rowid alias primary key.
Key = BigInteger().with_variant(Integer(), "sqlite")
Instant = DateTime(timezone=True)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class Account(Base):
    __tablename__ = "accounts"
    __table_args__ = (UniqueConstraint("creditor_id", "account_id"), Index("ix_accounts_debtor", "debtor_id"))

    key: Mapped[int] = mapped_column(Key, primary_key=True, autoincrement=False)
    account_id: Mapped[str] = mapped_column(String(100))
    creditor_id: Mapped[str] = mapped_column(String(100))
    debtor_id: Mapped[str] = mapped_column(String(100))
    debtor_type: Mapped[str] = mapped_column(String(20))
    debtor_name: Mapped[str] = mapped_column(String(200))
    product: Mapped[str | None] = mapped_column(String(30))
    currency: Mapped[str] = mapped_column(String(3))
    principal: Mapped[int] = mapped_column(BigInteger)
    interest: Mapped[int] = mapped_column(BigInteger)
    fees: Mapped[int] = mapped_column(BigInteger)
    original_amount: Mapped[int | None] = mapped_column(BigInteger)
    opened_on: Mapped[date | None] = mapped_column(Date)
    due_on: Mapped[date] = mapped_column(Date)
    last_payment_on: Mapped[date | None] = mapped_column(Date)
    last_payment_amount: Mapped[int | None] = mapped_column(BigInteger)
    jurisdiction: Mapped[str] = mapped_column(String(10))
    region: Mapped[str | None] = mapped_column(String(100))
    timezone: Mapped[str | None] = mapped_column(String(64))
    language: Mapped[str | None] = mapped_column(String(5))
    phone: Mapped[str | None] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(320))
    im_handle: Mapped[str | None] = mapped_column(String(200))
    address: Mapped[str | None] = mapped_column(String(500))
    consent_sms: Mapped[bool | None] = mapped_column(Boolean)
    consent_email: Mapped[bool | None] = mapped_column(Boolean)
    consent_im: Mapped[bool | None] = mapped_column(Boolean)
    consent_call: Mapped[bool | None] = mapped_column(Boolean)
    income_monthly: Mapped[int | None] = mapped_column(BigInteger)
    employment_status: Mapped[str | None] = mapped_column(String(20))
    age: Mapped[int | None] = mapped_column(Integer)
    statute_limit_on: Mapped[date | None] = mapped_column(Date)
    flags: Mapped[str] = mapped_column(String(200), default="")
    attributes: Mapped[str | None] = mapped_column(Text)
    # State the daily cycle keeps.
    status: Mapped[str] = mapped_column(String(10), default="active")
    credit: Mapped[int] = mapped_column(BigInteger, default=0)
    collected: Mapped[int] = mapped_column(BigInteger, default=0)
    placed_on: Mapped[date] = mapped_column(Date)
    placed_balance: Mapped[int] = mapped_column(BigInteger)
    # The parts as placed (migration 0006; null for accounts placed before it): models learn from the
    # placement replayed with its events.
    placed_principal: Mapped[int | None] = mapped_column(BigInteger)
    placed_interest: Mapped[int | None] = mapped_column(BigInteger)
    placed_fees: Mapped[int | None] = mapped_column(BigInteger)
    opted_out: Mapped[str] = mapped_column(String(100), default="")
    import_key: Mapped[int | None] = mapped_column(BigInteger)


class Contact(Base):
    __tablename__ = "contacts"
    __table_args__ = (UniqueConstraint("account_key", "contact_id"),)

    key: Mapped[int] = mapped_column(Key, primary_key=True, autoincrement=False)
    account_key: Mapped[int] = mapped_column(ForeignKey("accounts.key"))
    contact_id: Mapped[str] = mapped_column(String(100))
    role: Mapped[str] = mapped_column(String(20))
    name: Mapped[str | None] = mapped_column(String(200))
    phone: Mapped[str | None] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(320))
    consent_to_discuss_debt: Mapped[bool | None] = mapped_column(Boolean)


class Event(Base):
    __tablename__ = "events"
    __table_args__ = (
        UniqueConstraint("event_id"),
        Index("ix_events_account_at", "account_key", "at"),
        Index("ix_events_applied_on", "applied_on"),
    )

    key: Mapped[int] = mapped_column(Key, primary_key=True, autoincrement=False)
    event_id: Mapped[str] = mapped_column(String(200))
    account_key: Mapped[int] = mapped_column(ForeignKey("accounts.key"))
    at: Mapped[datetime] = mapped_column(Instant)
    utc_offset_minutes: Mapped[int] = mapped_column(Integer)
    type: Mapped[str] = mapped_column(String(20))
    channel: Mapped[str | None] = mapped_column(String(10))
    direction: Mapped[str | None] = mapped_column(String(10))
    outcome: Mapped[str | None] = mapped_column(String(20))
    amount: Mapped[int | None] = mapped_column(BigInteger)
    promise_due_on: Mapped[date | None] = mapped_column(Date)
    note: Mapped[str | None] = mapped_column(Text)
    # The run date whose update step applied it to the account (null: not yet applied).
    applied_on: Mapped[date | None] = mapped_column(Date)
    import_key: Mapped[int | None] = mapped_column(BigInteger)


class Promise(Base):
    __tablename__ = "promises"
    __table_args__ = (UniqueConstraint("event_id"), Index("ix_promises_status", "status"))

    key: Mapped[int] = mapped_column(Key, primary_key=True, autoincrement=False)
    event_id: Mapped[str] = mapped_column(String(200))
    account_key: Mapped[int] = mapped_column(ForeignKey("accounts.key"))
    made_at: Mapped[datetime] = mapped_column(Instant)
    amount: Mapped[int] = mapped_column(BigInteger)
    due_on: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(10), default="open")
    paid: Mapped[int] = mapped_column(BigInteger, default=0)
    resolved_on: Mapped[date | None] = mapped_column(Date)


class Action(Base):
    """The outbox: what a daily run decided. One row per (account, run date, action)."""

    __tablename__ = "actions"
    __table_args__ = (
        UniqueConstraint("account_key", "run_date", "action"),
        Index("ix_actions_run_date", "run_date"),
        Index("ix_actions_status", "status"),
    )

    key: Mapped[int] = mapped_column(Key, primary_key=True, autoincrement=False)
    account_key: Mapped[int] = mapped_column(ForeignKey("accounts.key"))
    run_date: Mapped[date] = mapped_column(Date)
    action: Mapped[str] = mapped_column(String(20))
    channel: Mapped[str | None] = mapped_column(String(10))
    scheduled_at: Mapped[datetime | None] = mapped_column(Instant)
    local_offset_minutes: Mapped[int | None] = mapped_column(Integer)
    priority: Mapped[int | None] = mapped_column(Integer)
    template_id: Mapped[str | None] = mapped_column(String(100))
    language: Mapped[str | None] = mapped_column(String(5))
    message: Mapped[str | None] = mapped_column(Text)
    offer_kind: Mapped[str] = mapped_column(String(20), default="none")
    offer_amount: Mapped[int | None] = mapped_column(BigInteger)
    offer_installments: Mapped[int | None] = mapped_column(Integer)
    offer_expires_on: Mapped[date | None] = mapped_column(Date)
    segment: Mapped[str | None] = mapped_column(String(50))
    ability_score: Mapped[float | None] = mapped_column(Float)
    willingness_score: Mapped[float | None] = mapped_column(Float)
    expected_recovery: Mapped[int | None] = mapped_column(BigInteger)
    balance: Mapped[int | None] = mapped_column(BigInteger)  # at the decision (migration 0007)
    strategy: Mapped[str | None] = mapped_column(String(50))
    variant: Mapped[str | None] = mapped_column(String(50))
    reasons: Mapped[str | None] = mapped_column(Text)
    currency: Mapped[str] = mapped_column(String(3))
    cost: Mapped[int | None] = mapped_column(BigInteger)
    model_version: Mapped[str | None] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(20), default="queued")


class ComplianceDecision(Base):
    """The compliance engine's verdict on a contact of a daily run: every blocked one and every queued one."""

    __tablename__ = "compliance_decisions"
    __table_args__ = (
        UniqueConstraint("run_date", "account_key", "action"),
        Index("ix_compliance_decisions_allowed", "run_date", "allowed"),
    )

    key: Mapped[int] = mapped_column(Key, primary_key=True, autoincrement=False)
    run_date: Mapped[date] = mapped_column(Date)
    account_key: Mapped[int] = mapped_column(ForeignKey("accounts.key"))
    action: Mapped[str] = mapped_column(String(20))
    channel: Mapped[str | None] = mapped_column(String(10))
    at: Mapped[datetime] = mapped_column(Instant)
    allowed: Mapped[bool] = mapped_column(Boolean)
    violations: Mapped[str] = mapped_column(String(500), default="")
    warnings: Mapped[str] = mapped_column(String(500), default="")
    next_allowed_at: Mapped[datetime | None] = mapped_column(Instant)


class RunStep(Base):
    """One step of one daily run, recorded when its work commits (so an interrupted run resumes)."""

    __tablename__ = "run_steps"

    run_date: Mapped[date] = mapped_column(Date, primary_key=True)
    step: Mapped[str] = mapped_column(String(20), primary_key=True)
    finished_at: Mapped[datetime] = mapped_column(Instant)
    seconds: Mapped[float] = mapped_column(Float)
    stats: Mapped[str] = mapped_column(Text, default="{}")


class ImportBatch(Base):
    __tablename__ = "imports"

    key: Mapped[int] = mapped_column(Key, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(20))
    file_name: Mapped[str] = mapped_column(String(500))
    sha256: Mapped[str] = mapped_column(String(64))
    rows: Mapped[int] = mapped_column(Integer)
    inserted: Mapped[int] = mapped_column(Integer)
    skipped: Mapped[int] = mapped_column(Integer)
    rejected: Mapped[int] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(Instant)
