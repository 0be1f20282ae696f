"""payments: plans and installments, settlements, creditor terms, reconciliation runs and exceptions

Revision ID: 0004_payments
Revises: 0001
Create Date: 2026-11-29 17:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_payments"
down_revision = "0001"
branch_labels = None
depends_on = None

KEY = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
INSTANT = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "plans",
        sa.Column("key", KEY, autoincrement=False, nullable=False),
        sa.Column("account_key", KEY, nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("total", sa.BigInteger(), nullable=False),
        sa.Column("installments", sa.Integer(), nullable=False),
        sa.Column("frequency", sa.String(length=10), nullable=False),
        sa.Column("first_due", sa.Date(), nullable=False),
        sa.Column("calendar", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("offered_at", INSTANT, nullable=False),
        sa.Column("offer_expires_on", sa.Date(), nullable=False),
        sa.Column("accepted_at", INSTANT, nullable=True),
        sa.Column("paid", sa.BigInteger(), nullable=False),
        sa.Column("resolved_on", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_key"], ["accounts.key"], name=op.f("fk_plans_account_key_accounts")
        ),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_plans")),
    )
    op.create_index("ix_plans_account", "plans", ["account_key"])
    op.create_index("ix_plans_status", "plans", ["status"])

    op.create_table(
        "plan_installments",
        sa.Column("key", KEY, autoincrement=False, nullable=False),
        sa.Column("plan_key", KEY, nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("paid", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["plan_key"], ["plans.key"], name=op.f("fk_plan_installments_plan_key_plans")
        ),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_plan_installments")),
        sa.UniqueConstraint("plan_key", "number", name=op.f("uq_plan_installments_plan_key")),
    )
    op.create_index("ix_plan_installments_due_on", "plan_installments", ["due_on"])

    op.create_table(
        "settlements",
        sa.Column("key", KEY, autoincrement=False, nullable=False),
        sa.Column("account_key", KEY, nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("balance", sa.BigInteger(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("accepted_at", INSTANT, nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("paid", sa.BigInteger(), nullable=False),
        sa.Column("resolved_on", sa.Date(), nullable=True),
        sa.Column("write_off_event_id", sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_key"], ["accounts.key"], name=op.f("fk_settlements_account_key_accounts")
        ),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_settlements")),
    )
    op.create_index("ix_settlements_account", "settlements", ["account_key"])
    op.create_index("ix_settlements_status", "settlements", ["status"])

    op.create_table(
        "creditor_terms",
        sa.Column("creditor_id", sa.String(length=100), nullable=False),
        sa.Column("commission_bps", sa.Integer(), nullable=False),
        sa.Column("updated_at", INSTANT, nullable=False),
        sa.PrimaryKeyConstraint("creditor_id", name=op.f("pk_creditor_terms")),
    )

    op.create_table(
        "reconciliation_runs",
        sa.Column("key", KEY, autoincrement=False, nullable=False),
        sa.Column("file_name", sa.String(length=500), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("at", INSTANT, nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column("matched", sa.Integer(), nullable=False),
        sa.Column("booked", sa.Integer(), nullable=False),
        sa.Column("exceptions", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_reconciliation_runs")),
    )
    op.create_table(
        "reconciliation_exceptions",
        sa.Column("key", KEY, autoincrement=False, nullable=False),
        sa.Column("run_key", KEY, nullable=False),
        sa.Column("row", sa.Integer(), nullable=False),
        sa.Column("payment_reference", sa.Text(), nullable=True),
        sa.Column("account_id", sa.Text(), nullable=True),
        sa.Column("creditor_id", sa.Text(), nullable=True),
        sa.Column("amount", sa.Text(), nullable=True),
        sa.Column("currency", sa.Text(), nullable=True),
        sa.Column("paid_at", sa.Text(), nullable=True),
        sa.Column("outcome", sa.String(length=20), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_key"],
            ["reconciliation_runs.key"],
            name=op.f("fk_reconciliation_exceptions_run_key_reconciliation_runs"),
        ),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_reconciliation_exceptions")),
        sa.UniqueConstraint("run_key", "row", name=op.f("uq_reconciliation_exceptions_run_key")),
    )
    op.create_index("ix_reconciliation_exceptions_outcome", "reconciliation_exceptions", ["outcome"])


def downgrade() -> None:
    op.drop_table("reconciliation_exceptions")
    op.drop_table("reconciliation_runs")
    op.drop_table("creditor_terms")
    op.drop_table("settlements")
    op.drop_table("plan_installments")
    op.drop_table("plans")
