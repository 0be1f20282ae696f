"""the balance parts as placed

Revision ID: 0006_placed_parts
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_placed_parts"
down_revision = "0001"
branch_labels = None
depends_on = None

PARTS = ("placed_principal", "placed_interest", "placed_fees")


def upgrade() -> None:
    with op.batch_alter_table("accounts") as batch:
        for name in PARTS:
            batch.add_column(sa.Column(name, sa.BigInteger(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("accounts") as batch:
        for name in reversed(PARTS):
            batch.drop_column(name)
