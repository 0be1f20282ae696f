"""Reading the audit log in tests: the entries of some kinds, what `verify` says, tampering with rows."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import text

from recoup.adapters.db import audit
from recoup.adapters.db.engine import Database
from recoup.core.audit import Reason


@dataclass(frozen=True)
class Logged:
    seq: int
    kind: str
    content: dict[str, Any]

    def covered_tables(self) -> list[str]:
        return [cover["table"] for cover in self.content.get("covers", [])]


def logged(db: Database, prefix: str = "") -> list[Logged]:
    """The entries whose kind starts with ``prefix``, in order, contents parsed."""
    with db.engine.connect() as connection:
        rows = connection.execute(
            text("SELECT seq, kind, content FROM audit_log WHERE kind LIKE :p ORDER BY seq"),
            {"p": f"{prefix}%"},
        ).all()
    return [Logged(int(seq), str(kind), json.loads(content)) for seq, kind, content in rows]


def kinds(db: Database, prefix: str = "") -> list[str]:
    return [entry.kind for entry in logged(db, prefix)]


def intact(db: Database) -> bool:
    report = audit.verify(db)
    assert report.first_break is None, report.summary()
    return True


def broken_at(db: Database) -> tuple[int, Reason]:
    """The first broken entry and why; fails the test when tampering went unnoticed."""
    report = audit.verify(db)
    assert report.first_break is not None, "tampering went unnoticed"
    return report.first_break.seq, report.first_break.reason


def tamper(db: Database, statement: str, **params: object) -> int:
    """Run ``statement`` behind the application's back; returns how many rows it touched."""
    with db.engine.begin() as connection:
        return int(connection.execute(text(statement), params).rowcount or 0)
