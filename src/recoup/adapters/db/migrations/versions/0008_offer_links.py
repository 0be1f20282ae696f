"""offer links: the action whose offer a plan or settlement was booked from

Revision ID: 0008_offer_links
Revises: 0001
Depends on: 0004_payments (the plans and settlements tables)
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008_offer_links"
down_revision = "0001"
branch_labels = None
# An independent branch like every area's, but it alters tables 0004 creates: "heads" must apply 0004 first.
depends_on = ("0004_payments",)

KEY = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
TABLES = ("plans", "settlements")


def upgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("action_key", KEY, nullable=True))
            batch.create_foreign_key(f"fk_{table}_action_key_actions", "actions", ["action_key"], ["key"])
            # One arrangement per offer: a repeated acceptance finds the first, never books a second.
            batch.create_unique_constraint(f"uq_{table}_action_key", ["action_key"])


def downgrade() -> None:
    for table in reversed(TABLES):
        with op.batch_alter_table(table) as batch:
            batch.drop_constraint(f"uq_{table}_action_key", type_="unique")
            batch.drop_constraint(f"fk_{table}_action_key_actions", type_="foreignkey")
            batch.drop_column("action_key")
