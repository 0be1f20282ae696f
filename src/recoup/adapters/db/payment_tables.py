"""Tables of payment arrangements and reconciliation: installment plans and their installments,
settlements, creditors' commission terms, and each reconciled payment file with its exceptions.

Created by migration 0004_payments; 0008_offer_links adds ``action_key`` to plans and settlements: the
stored action whose offer the arrangement was booked from (null when an agent arranged it by hand).
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from recoup.adapters.db.tables import Base, Instant, Key

# offered -> current <-> late -> kept | broken; an offer not accepted in time is expired.
PLAN_STORED_STATUSES = ("offered", "expired", "current", "late", "kept", "broken")
OPEN_PLAN_STATUSES = ("current", "late")


class PaymentPlan(Base):
    """An installment plan offered to (and perhaps accepted by) the debtor of one account."""

    __tablename__ = "plans"
    __table_args__ = (
        Index("ix_plans_account", "account_key"),
        Index("ix_plans_status", "status"),
        UniqueConstraint("action_key"),
    )

    key: Mapped[int] = mapped_column(Key, primary_key=True, autoincrement=False)
    account_key: Mapped[int] = mapped_column(ForeignKey("accounts.key"))
    currency: Mapped[str] = mapped_column(String(3))
    total: Mapped[int] = mapped_column(BigInteger)
    installments: Mapped[int] = mapped_column(Integer)
    frequency: Mapped[str] = mapped_column(String(10))
    first_due: Mapped[date] = mapped_column(Date)
    calendar: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(10))
    offered_at: Mapped[datetime] = mapped_column(Instant)
    offer_expires_on: Mapped[date] = mapped_column(Date)
    accepted_at: Mapped[datetime | None] = mapped_column(Instant)
    paid: Mapped[int] = mapped_column(BigInteger, default=0)
    resolved_on: Mapped[date | None] = mapped_column(Date)
    action_key: Mapped[int | None] = mapped_column(ForeignKey("actions.key"))


class PlanInstallment(Base):
    __tablename__ = "plan_installments"
    __table_args__ = (UniqueConstraint("plan_key", "number"), Index("ix_plan_installments_due_on", "due_on"))

    key: Mapped[int] = mapped_column(Key, primary_key=True, autoincrement=False)
    plan_key: Mapped[int] = mapped_column(ForeignKey("plans.key"))
    number: Mapped[int] = mapped_column(Integer)
    due_on: Mapped[date] = mapped_column(Date)
    amount: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(10), default="due")
    paid: Mapped[int] = mapped_column(BigInteger, default=0)


class Settlement(Base):
    """A lump sum accepted in full settlement; when paid, the rest of the balance is written off by an
    adjustment event (``write_off_event_id``)."""

    __tablename__ = "settlements"
    __table_args__ = (
        Index("ix_settlements_account", "account_key"),
        Index("ix_settlements_status", "status"),
        UniqueConstraint("action_key"),
    )

    key: Mapped[int] = mapped_column(Key, primary_key=True, autoincrement=False)
    account_key: Mapped[int] = mapped_column(ForeignKey("accounts.key"))
    currency: Mapped[str] = mapped_column(String(3))
    balance: Mapped[int] = mapped_column(BigInteger)
    amount: Mapped[int] = mapped_column(BigInteger)
    due_on: Mapped[date] = mapped_column(Date)
    accepted_at: Mapped[datetime] = mapped_column(Instant)
    status: Mapped[str] = mapped_column(String(10), default="accepted")
    paid: Mapped[int] = mapped_column(BigInteger, default=0)
    resolved_on: Mapped[date | None] = mapped_column(Date)
    write_off_event_id: Mapped[str | None] = mapped_column(String(200))
    action_key: Mapped[int | None] = mapped_column(ForeignKey("actions.key"))


class CreditorTerms(Base):
    """What the agency charges a creditor: commission on collections in basis points (1 bp = 0.01 %)."""

    __tablename__ = "creditor_terms"

    creditor_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    commission_bps: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(Instant)


class ReconciliationRun(Base):
    """One payment file reconciled. ``booked``: every row matched (or was booked before) and the matched
    rows are stored as payment events; ``partial``: the matched rows are booked and the exceptions kept;
    ``rejected``: the file had exceptions and was refused whole, nothing booked, the exceptions kept."""

    __tablename__ = "reconciliation_runs"

    key: Mapped[int] = mapped_column(Key, primary_key=True, autoincrement=False)
    file_name: Mapped[str] = mapped_column(String(500))
    sha256: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(Instant)
    status: Mapped[str] = mapped_column(String(10))
    rows: Mapped[int] = mapped_column(Integer)
    matched: Mapped[int] = mapped_column(Integer)
    booked: Mapped[int] = mapped_column(Integer)
    exceptions: Mapped[int] = mapped_column(Integer)


class ReconciliationException(Base):
    """A row of a payment file that was not booked, with the cells exactly as the file had them."""

    __tablename__ = "reconciliation_exceptions"
    __table_args__ = (
        UniqueConstraint("run_key", "row"),
        Index("ix_reconciliation_exceptions_outcome", "outcome"),
    )

    key: Mapped[int] = mapped_column(Key, primary_key=True, autoincrement=False)
    run_key: Mapped[int] = mapped_column(ForeignKey("reconciliation_runs.key"))
    row: Mapped[int] = mapped_column(Integer)
    payment_reference: Mapped[str | None] = mapped_column(Text)
    account_id: Mapped[str | None] = mapped_column(Text)
    creditor_id: Mapped[str | None] = mapped_column(Text)
    amount: Mapped[str | None] = mapped_column(Text)
    currency: Mapped[str | None] = mapped_column(Text)
    paid_at: Mapped[str | None] = mapped_column(Text)
    outcome: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str] = mapped_column(Text)
