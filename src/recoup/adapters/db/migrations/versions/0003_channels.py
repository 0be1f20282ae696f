"""message channels: templates, deliveries, tasks, inbound messages, webhook nonces

Revision ID: 0003_channels
Revises: 0001
Create Date: 2026-11-29 16:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_channels"
down_revision = "0001"
branch_labels = None
depends_on = None

KEY = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
INSTANT = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "templates",
        sa.Column("key", KEY, autoincrement=True, nullable=False),
        sa.Column("template_id", sa.String(length=100), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=10), nullable=False),
        sa.Column("language", sa.String(length=5), nullable=False),
        sa.Column("tone", sa.String(length=20), nullable=False),
        sa.Column("jurisdiction", sa.String(length=10), nullable=False),
        sa.Column("product", sa.String(length=30), nullable=True),
        sa.Column("creditor_id", sa.String(length=100), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", INSTANT, nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_templates")),
        sa.UniqueConstraint(
            "template_id",
            "jurisdiction",
            "language",
            "tone",
            "creditor_id",
            "version",
            name=op.f("uq_templates_template_id"),
        ),
    )
    op.create_table(
        "deliveries",
        sa.Column("action_key", KEY, autoincrement=False, nullable=False),
        sa.Column("account_key", KEY, nullable=False),
        sa.Column("idempotency_key", sa.String(length=100), nullable=False),
        sa.Column("channel", sa.String(length=10), nullable=False),
        sa.Column("provider", sa.String(length=50), nullable=False),
        sa.Column("recipient", sa.String(length=500), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("provider_message_id", sa.String(length=200), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("lease_until", INSTANT, nullable=True),
        sa.Column("created_at", INSTANT, nullable=False),
        sa.Column("sent_at", INSTANT, nullable=True),
        sa.Column("updated_at", INSTANT, nullable=False),
        sa.ForeignKeyConstraint(
            ["action_key"], ["actions.key"], name=op.f("fk_deliveries_action_key_actions")
        ),
        sa.ForeignKeyConstraint(
            ["account_key"], ["accounts.key"], name=op.f("fk_deliveries_account_key_accounts")
        ),
        sa.PrimaryKeyConstraint("action_key", name=op.f("pk_deliveries")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_deliveries_idempotency_key")),
    )
    op.create_index("ix_deliveries_status_lease", "deliveries", ["status", "lease_until"])
    op.create_index("ix_deliveries_provider_message", "deliveries", ["provider", "provider_message_id"])
    op.create_table(
        "tasks",
        sa.Column("key", KEY, autoincrement=False, nullable=False),
        sa.Column("account_key", KEY, nullable=True),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("source", sa.String(length=60), nullable=False),
        sa.Column("reference", sa.String(length=300), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("created_at", INSTANT, nullable=False),
        sa.ForeignKeyConstraint(
            ["account_key"], ["accounts.key"], name=op.f("fk_tasks_account_key_accounts")
        ),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_tasks")),
        sa.UniqueConstraint("kind", "reference", name=op.f("uq_tasks_kind")),
    )
    op.create_index("ix_tasks_status", "tasks", ["status"])
    op.create_table(
        "inbound_messages",
        sa.Column("key", KEY, autoincrement=False, nullable=False),
        sa.Column("provider", sa.String(length=50), nullable=False),
        sa.Column("message_id", sa.String(length=200), nullable=False),
        sa.Column("channel", sa.String(length=10), nullable=False),
        sa.Column("sender", sa.String(length=320), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("received_at", INSTANT, nullable=False),
        sa.Column("in_reply_to", sa.String(length=200), nullable=True),
        sa.Column("account_keys", sa.String(length=500), nullable=False),
        sa.Column("signals", sa.String(length=100), nullable=False),
        sa.Column("created_at", INSTANT, nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_inbound_messages")),
        sa.UniqueConstraint("provider", "message_id", name=op.f("uq_inbound_messages_provider")),
    )
    op.create_table(
        "webhook_nonces",
        sa.Column("provider", sa.String(length=50), nullable=False),
        sa.Column("nonce", sa.String(length=100), nullable=False),
        sa.Column("seen_at", INSTANT, nullable=False),
        sa.PrimaryKeyConstraint("provider", "nonce", name=op.f("pk_webhook_nonces")),
    )
    op.create_index("ix_webhook_nonces_seen_at", "webhook_nonces", ["seen_at"])


def downgrade() -> None:
    op.drop_index("ix_webhook_nonces_seen_at", table_name="webhook_nonces")
    op.drop_table("webhook_nonces")
    op.drop_table("inbound_messages")
    op.drop_index("ix_tasks_status", table_name="tasks")
    op.drop_table("tasks")
    op.drop_index("ix_deliveries_provider_message", table_name="deliveries")
    op.drop_index("ix_deliveries_status_lease", table_name="deliveries")
    op.drop_table("deliveries")
    op.drop_table("templates")
