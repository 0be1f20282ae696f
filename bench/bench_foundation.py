"""Import of a million-account placement file and a daily run over it.

- import on SQLite and on PostgreSQL, each against a raw bulk insert of the same typed rows into an empty
  accounts table measured in the same run (ratio = raw seconds / import seconds; target >= 0.5);
- the daily run over the imported portfolio in a fresh process, with its peak memory (targets: < 30 s,
  < 4 GB).
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl
from sqlalchemy import text

from recoup.adapters.db.bulk import insert_frame, read_frame
from recoup.adapters.db.engine import Database, connect
from recoup.adapters.db.migrate import migrate
from recoup.adapters.files.readers import read_table
from recoup.services.importing import import_accounts
from recoup.sim.files import write_accounts
from recoup.sim.portfolio import generate_portfolio

POSTGRES_URL = os.environ.get("RECOUP_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
PLACED_ON = date(2026, 3, 1)
RUN_DATE = date(2026, 3, 2)


def _import(db: Database, path: Path) -> float:
    started = time.perf_counter()
    raw = read_table(path)
    with db.engine.begin() as connection:
        import_accounts(
            connection, db, raw.frame, file=path.name, sha256="bench", placed_on=PLACED_ON, now=_now()
        )
    return time.perf_counter() - started


def _now() -> Any:
    from datetime import UTC, datetime

    return datetime.now(UTC)


def _raw_insert(db: Database, rows: pl.DataFrame) -> float:
    with db.engine.begin() as connection:
        connection.execute(text("DELETE FROM accounts"))
    started = time.perf_counter()
    with db.engine.begin() as connection:
        insert_frame(connection, db, "accounts", rows)
    return time.perf_counter() - started


def _stored_rows(db: Database) -> pl.DataFrame:
    frame = read_frame(db, 'SELECT * FROM accounts ORDER BY "key"')
    return frame.drop("import_key")


def _postgres(schema: str) -> Database | None:
    try:
        admin = connect(POSTGRES_URL)
        with admin.engine.begin() as connection:
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
        admin.dispose()
    except Exception as exc:
        print(f"PostgreSQL skipped: {exc}", file=sys.stderr)
        return None
    db = connect(f"{POSTGRES_URL}?options=-csearch_path%3D{schema}")
    migrate(db)
    return db


def _drop(schema: str) -> None:
    admin = connect(POSTGRES_URL)
    with admin.engine.begin() as connection:
        connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    admin.dispose()


def _import_rows(name: str, db: Database, path: Path, n: int) -> list[dict[str, Any]]:
    seconds = _import(db, path)
    stored = _stored_rows(db)
    raw = _raw_insert(db, stored)
    return [
        {
            "benchmark": f"import accounts ({name})",
            "n": n,
            "seconds": seconds,
            "rate_per_s": n / seconds,
            "baseline": f"raw bulk insert {raw:.2f} s",
            "ratio": raw / seconds,
            "target": ">= 0.5 of raw; ~10 s",
        }
    ]


def _daily_run(url: str, n: int) -> dict[str, Any]:
    command = [
        sys.executable,
        "-m",
        "recoup.entrypoints.cli",
        "--quiet",
        "--db",
        url,
        "run",
        "--date",
        str(RUN_DATE),
        "--json",
    ]
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    started = time.perf_counter()
    completed = subprocess.run(command, check=True, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    peak_mb = max(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, before) / 1024
    steps = json.loads(completed.stdout)
    inside = sum(step["seconds"] for step in steps)
    queued = next((s["stats"].get("queued") for s in steps if s["step"] == "queue"), None)
    return {
        "benchmark": "daily run (SQLite, fresh process)",
        "n": n,
        "seconds": seconds,
        "rate_per_s": n / seconds,
        "baseline": f"steps {inside:.1f} s; peak {peak_mb:,.0f} MB; {queued} queued",
        "ratio": inside / seconds,
        "target": "< 30 s, < 4 GB",
    }


def run(scale: float = 1.0) -> list[dict[str, Any]]:
    n = max(int(1_000_000 * scale), 1000)
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="recoup-bench-") as folder:
        work = Path(folder)
        portfolio = generate_portfolio(n, seed=2026, as_of=PLACED_ON)
        path = write_accounts(portfolio.accounts, work / "accounts.csv")
        del portfolio

        sqlite = connect(f"sqlite:///{work / 'bench.db'}")
        migrate(sqlite)
        rows += _import_rows("SQLite", sqlite, path, n)
        # The run needs the imported accounts back after the raw-insert baseline emptied the table.
        with sqlite.engine.begin() as connection:
            connection.execute(text("DELETE FROM accounts"))
        _import(sqlite, path)
        sqlite.dispose()
        rows.append(_daily_run(f"sqlite:///{work / 'bench.db'}", n))

        schema = f"bench_{uuid.uuid4().hex[:8]}"
        postgres = _postgres(schema)
        if postgres is not None:
            try:
                rows += _import_rows("PostgreSQL", postgres, path, n)
            finally:
                postgres.dispose()
                _drop(schema)
    return rows


if __name__ == "__main__":
    from bench.__main__ import main

    raise SystemExit(main(["--only", "foundation", *sys.argv[1:]]))
