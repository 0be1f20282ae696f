"""Test helpers for the storage-backed service tests."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import polars as pl

from recoup.adapters.db.bulk import read_frame
from recoup.adapters.db.engine import Database
from recoup.adapters.files.readers import read_table
from recoup.services.importing import ImportReport, import_accounts, import_events

DATA = Path(__file__).resolve().parents[2] / "data"
NOW = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)


def raw(text: str, tmp_path: Path, name: str = "file.csv") -> pl.DataFrame:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return read_table(path).frame


def load_accounts(
    db: Database, frame: pl.DataFrame, *, partial: bool = False, contacts: pl.DataFrame | None = None
) -> ImportReport:
    with db.engine.begin() as connection:
        return import_accounts(
            connection,
            db,
            frame,
            file="accounts.csv",
            sha256="0" * 64,
            placed_on=date(2026, 3, 1),
            now=NOW,
            contacts_raw=contacts,
            partial=partial,
        )


def load_events(db: Database, frame: pl.DataFrame, *, partial: bool = False) -> ImportReport:
    with db.engine.begin() as connection:
        return import_events(
            connection, db, frame, file="events.csv", sha256="0" * 64, now=NOW, partial=partial
        )


def snapshot(db: Database) -> dict[str, list[tuple[object, ...]]]:
    """Every row of the tables an import or run writes, in a stable order, for before/after comparisons."""
    tables = {
        "accounts": 'SELECT * FROM accounts ORDER BY "key"',
        "contacts": 'SELECT * FROM contacts ORDER BY "key"',
        "events": 'SELECT * FROM events ORDER BY "key"',
        "promises": 'SELECT * FROM promises ORDER BY "key"',
        "actions": 'SELECT * FROM actions ORDER BY "key"',
    }
    return {name: read_frame(db, sql).rows() for name, sql in tables.items()}
