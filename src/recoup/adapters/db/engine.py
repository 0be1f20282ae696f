"""Engines for SQLite (the embedded default) and PostgreSQL, built explicitly, never at import."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, make_url

from recoup.core.errors import ValidationError

DEFAULT_URL = "sqlite:///recoup.db"


def normalise_url(url: str) -> URL:
    """Accept `sqlite:///file.db`, a bare path, or a PostgreSQL URL (psycopg 3 is the driver)."""
    if "://" not in url:
        url = f"sqlite:///{url}"
    try:
        parsed = make_url(url)
    except Exception as exc:
        raise ValidationError(f"database URL {url!r} is not valid: {exc}", field="database_url") from None
    if parsed.get_backend_name() == "postgresql":
        # Sessions run in UTC so that instants written as plain literals mean the same everywhere.
        options = str(parsed.query.get("options", ""))
        if "timezone=" not in options:
            options = f"{options} -c timezone=UTC".strip()
        return parsed.set(drivername="postgresql+psycopg").update_query_dict({"options": options})
    if parsed.get_backend_name() != "sqlite":
        raise ValidationError(
            f"database {parsed.get_backend_name()!r} is not supported (use sqlite or postgresql)",
            field="database_url",
        )
    return parsed


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # Let SQLAlchemy, not the sqlite3 module, decide when transactions begin.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA cache_size=-200000")
    cursor.close()


def _sqlite_begin(connection: Any) -> None:
    # IMMEDIATE takes the write lock up front, so two writers queue instead of failing half-way.
    connection.exec_driver_sql("BEGIN IMMEDIATE")


class ReaderPool:
    """Idle ADBC connections for columnar PostgreSQL reads, reused because opening one costs ~40 ms.

    Connections run in autocommit mode, so an idle one holds no transaction (and no lock). A connection
    whose read failed is closed, not returned. Safe to share between threads: each read takes its own.
    """

    MAX_IDLE = 4

    def __init__(self) -> None:
        self._idle: list[Any] = []
        self._lock = threading.Lock()

    @contextmanager
    def connection(self, uri: str) -> Iterator[Any]:
        import adbc_driver_postgresql.dbapi as adbc_pg

        with self._lock:
            reader = self._idle.pop() if self._idle else None
        if reader is None:
            reader = adbc_pg.connect(uri, autocommit=True)
        try:
            yield reader
        except BaseException:
            reader.close()
            raise
        with self._lock:
            if len(self._idle) < self.MAX_IDLE:
                self._idle.append(reader)
                return
        reader.close()

    def close(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, []
        for reader in idle:
            reader.close()


@dataclass(frozen=True)
class Database:
    """An engine plus what the bulk paths need to know about it."""

    engine: Engine
    url: URL
    readers: ReaderPool = field(default_factory=ReaderPool, compare=False, repr=False)

    @property
    def is_sqlite(self) -> bool:
        return self.url.get_backend_name() == "sqlite"

    @property
    def sqlite_path(self) -> Path:
        return Path(self.url.database or "")

    def libpq_uri(self) -> str:
        """The PostgreSQL URL in libpq form (for ADBC), with the same options (e.g. search_path)."""
        plain = self.url.set(drivername="postgresql").render_as_string(hide_password=False)
        base, _, query = plain.partition("?")
        # libpq decodes %20 but, unlike form encoding, keeps '+' literally.
        return f"{base}?{query.replace('+', '%20')}" if query else base

    def dispose(self) -> None:
        self.readers.close()
        self.engine.dispose()


def connect(url: str = DEFAULT_URL, *, echo: bool = False) -> Database:
    parsed = normalise_url(url)
    if parsed.get_backend_name() == "sqlite":
        if not parsed.database or parsed.database == ":memory:":
            raise ValidationError(
                "Recoup needs an SQLite file, not an in-memory database", field="database_url"
            )
        engine = create_engine(parsed, echo=echo)
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
    else:
        engine = create_engine(parsed, echo=echo, pool_pre_ping=True)
    return Database(engine=engine, url=parsed)
