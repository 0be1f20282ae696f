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


def head_revisions() -> tuple[str, ...]:
    return tuple(sorted(ScriptDirectory.from_config(_config()).get_heads()))


def current_revisions(db: Database) -> tuple[str, ...]:
    with db.engine.connect() as connection:
        return tuple(sorted(MigrationContext.configure(connection).get_current_heads()))


def migrate(db: Database) -> str:
    """Upgrade ``db`` to the newest revisions; returns them. Running it again changes nothing.

    Areas add their tables in revisions of their own; "heads" applies every branch."""
    config = _config()
    with db.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "heads")
    return ",".join(head_revisions())
