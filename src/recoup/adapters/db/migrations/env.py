"""Alembic environment: runs on the connection that `recoup.adapters.db.migrate` hands it."""

from __future__ import annotations

from alembic import context

from recoup.adapters.db import audit as _audit_tables  # noqa: F401  (registers its tables on Base)
from recoup.adapters.db import channel_tables as _channel_tables  # noqa: F401  (registers its tables on Base)
from recoup.adapters.db.tables import Base

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
