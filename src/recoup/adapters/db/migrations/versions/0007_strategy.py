"""strategy: playbooks, experiments, holdout exposures, and each action's balance

Revision ID: 0007_strategy
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007_strategy"
down_revision = "0001"
branch_labels = None
depends_on = None

Key = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
Instant = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "playbooks",
        sa.Column("key", Key, autoincrement=False, nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.Column("creditor_id", sa.String(length=100), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("source", sa.String(length=500), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("loaded_at", Instant, nullable=False),
        sa.PrimaryKeyConstraint("key", name="pk_playbooks"),
        sa.UniqueConstraint("name", "version", name="uq_playbooks_name"),
    )
    op.create_index("ix_playbooks_status", "playbooks", ["status"])
    op.create_table(
        "experiments",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("seed", sa.String(length=64), nullable=False),
        sa.Column("arms", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("started_on", sa.Date(), nullable=False),
        sa.Column("stopped_on", sa.Date(), nullable=True),
        sa.Column("created_at", Instant, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_experiments"),
    )
    op.create_table(
        "experiment_exposures",
        sa.Column("key", Key, autoincrement=False, nullable=False),
        sa.Column("experiment_id", sa.String(length=64), nullable=False),
        sa.Column("account_key", Key, nullable=False),
        sa.Column("run_date", sa.Date(), nullable=False),
        sa.Column("variant", sa.String(length=50), nullable=False),
        sa.Column("segment", sa.String(length=50), nullable=False),
        sa.Column("balance", sa.BigInteger(), nullable=False),
        sa.Column("ability_score", sa.Float(), nullable=True),
        sa.ForeignKeyConstraint(
            ["experiment_id"], ["experiments.id"], name="fk_experiment_exposures_experiment_id_experiments"
        ),
        sa.ForeignKeyConstraint(
            ["account_key"], ["accounts.key"], name="fk_experiment_exposures_account_key_accounts"
        ),
        sa.PrimaryKeyConstraint("key", name="pk_experiment_exposures"),
        sa.UniqueConstraint(
            "experiment_id", "account_key", "run_date", name="uq_experiment_exposures_experiment_id"
        ),
    )
    op.create_index("ix_experiment_exposures_run_date", "experiment_exposures", ["experiment_id", "run_date"])
    with op.batch_alter_table("actions") as batch:
        batch.add_column(sa.Column("balance", sa.BigInteger(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("actions") as batch:
        batch.drop_column("balance")
    op.drop_index("ix_experiment_exposures_run_date", table_name="experiment_exposures")
    op.drop_table("experiment_exposures")
    op.drop_table("experiments")
    op.drop_index("ix_playbooks_status", table_name="playbooks")
    op.drop_table("playbooks")
