"""Shared fixtures: a migrated database on SQLite and, where it runs, on PostgreSQL."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from recoup.adapters.db.engine import Database, connect
from recoup.adapters.db.migrate import migrate

POSTGRES_URL = os.environ.get("RECOUP_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def _postgres_or_skip() -> None:
    try:
        probe = connect(POSTGRES_URL)
        with probe.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        probe.dispose()
    except Exception as exc:
        if os.environ.get("RECOUP_REQUIRE_POSTGRES"):
            pytest.fail(f"PostgreSQL is required here but not reachable at {POSTGRES_URL}: {exc}")
        pytest.skip(f"PostgreSQL not reachable at {POSTGRES_URL} (set RECOUP_TEST_POSTGRES_URL)")


def make_database(backend: str, tmp_path: Path) -> Iterator[Database]:
    if backend == "sqlite":
        db = connect(f"sqlite:///{tmp_path / 'recoup.db'}")
        migrate(db)
        yield db
        db.dispose()
        return
    _postgres_or_skip()
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = connect(POSTGRES_URL)
    with admin.engine.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    separator = "&" if "?" in POSTGRES_URL else "?"
    db = connect(f"{POSTGRES_URL}{separator}options=-csearch_path%3D{schema}")
    try:
        migrate(db)
        yield db
    finally:
        db.dispose()
        with admin.engine.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """A freshly migrated database; every test using it runs on SQLite and on PostgreSQL."""
    yield from make_database(request.param, tmp_path)


@pytest.fixture
def sqlite_db(tmp_path: Path) -> Iterator[Database]:
    yield from make_database("sqlite", tmp_path)
