"""The composition root: every entry point gets its database, clock and settings from here."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from recoup.adapters.db.engine import Database, connect
from recoup.adapters.db.migrate import migrate
from recoup.config import Settings


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class App:
    settings: Settings
    db: Database
    clock: Callable[[], datetime] = field(default=utc_now)

    def close(self) -> None:
        self.db.dispose()


def build(settings: Settings | None = None, *, database_url: str | None = None, init: bool = True) -> App:
    """Build the application; ``init`` creates or upgrades the schema first (idempotent)."""
    settings = settings or Settings()
    if database_url:
        settings = settings.model_copy(update={"database_url": database_url})
    db = connect(settings.database_url)
    if init:
        migrate(db)
    return App(settings=settings, db=db)
