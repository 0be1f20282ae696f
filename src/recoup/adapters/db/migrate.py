"""Create or upgrade the schema (idempotent): `recoup init` and every entry point's start-up check."""

from __future__ import annotations

from importlib.resources import files

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from recoup.adapters.db.engine import Database


def _config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(files("recoup.adapters.db") / "migrations"))
    return config


def head_revision() -> str | None:
    return ScriptDirectory.from_config(_config()).get_current_head()


def current_revision(db: Database) -> str | None:
    with db.engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def migrate(db: Database) -> str | None:
    """Upgrade ``db`` to the newest revision; returns it. Running it again changes nothing."""
    config = _config()
    with db.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
    return head_revision()
