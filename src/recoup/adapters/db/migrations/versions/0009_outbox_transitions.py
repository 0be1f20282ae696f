"""outbox transitions: every status an outbox action took, append-only, for the audit log to vouch for

Revision ID: 0009_outbox_transitions
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009_outbox_transitions"
down_revision = "0001"
branch_labels = None
depends_on = None

KEY = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "outbox_transitions",
        sa.Column("key", KEY, autoincrement=False, nullable=False),
        sa.Column("action_key", KEY, nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("idempotency_key", sa.String(length=100), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["action_key"], ["actions.key"], name="fk_outbox_transitions_action_key_actions"
        ),
        sa.PrimaryKeyConstraint("key", name="pk_outbox_transitions"),
    )
    op.create_index("ix_outbox_transitions_action_key", "outbox_transitions", ["action_key"])


def downgrade() -> None:
    op.drop_index("ix_outbox_transitions_action_key", table_name="outbox_transitions")
    op.drop_table("outbox_transitions")
