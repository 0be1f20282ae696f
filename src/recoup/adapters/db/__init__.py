"""Storage. Importing the package registers every area's tables on the one metadata (for Alembic)."""

from recoup.adapters.db import outbox_transitions as _outbox_transitions  # noqa: F401
from recoup.adapters.db import payment_tables as _payment_tables  # noqa: F401
from recoup.adapters.db import strategy_tables as _strategy_tables  # noqa: F401
