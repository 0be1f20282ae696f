"""Storage. Importing the package registers every area's tables on the one metadata (for Alembic)."""

from recoup.adapters.db import payment_tables as _payment_tables  # noqa: F401
