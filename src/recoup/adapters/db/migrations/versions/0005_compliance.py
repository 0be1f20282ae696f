"""compliance decision log

Revision ID: 0005_compliance
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_compliance"
down_revision = "0001"
branch_labels = None
depends_on = None

Key = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "compliance_decisions",
        sa.Column("key", Key, autoincrement=False, nullable=False),
        sa.Column("run_date", sa.Date(), nullable=False),
        sa.Column("account_key", Key, nullable=False),
        sa.Column("action", sa.String(length=20), nullable=False),
        sa.Column("channel", sa.String(length=10), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("allowed", sa.Boolean(), nullable=False),
        sa.Column("violations", sa.String(length=500), nullable=False),
        sa.Column("warnings", sa.String(length=500), nullable=False),
        sa.Column("next_allowed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_key"], ["accounts.key"], name="fk_compliance_decisions_account_key_accounts"
        ),
        sa.PrimaryKeyConstraint("key", name="pk_compliance_decisions"),
        sa.UniqueConstraint("run_date", "account_key", "action", name="uq_compliance_decisions_run_date"),
    )
    op.create_index("ix_compliance_decisions_allowed", "compliance_decisions", ["run_date", "allowed"])


def downgrade() -> None:
    op.drop_index("ix_compliance_decisions_allowed", table_name="compliance_decisions")
    op.drop_table("compliance_decisions")
