"""Import use cases: placements (accounts + contacts) and events, validated, idempotent, all or nothing.

The caller opens the transaction and commits it; nothing here commits. A file with any bad row is
refused whole unless `partial` is set, in which case the good rows go in and the bad ones come back.
Each import appends one audit entry (file hash, counts, a digest of the rows stored) in the same
transaction.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

import polars as pl
from sqlalchemy import Connection, text

from recoup.adapters.db import audit
from recoup.adapters.db.bulk import insert_frame, insert_new, next_key, read_frame
from recoup.adapters.db.engine import Database
from recoup.core.audit import Cover
from recoup.core.errors import RecoupError
from recoup.core.intake.accounts import validate_accounts
from recoup.core.intake.checks import IntakeResult, format_rejects
from recoup.core.intake.contacts import validate_contacts
from recoup.core.intake.events import validate_events
from recoup.core.schema import ACCOUNT_SCHEMA, CONTACT_SCHEMA, EVENT_SCHEMA


class ImportRejected(RecoupError):
    """The file breaks the contract; nothing was stored. `lines` name file, row, column and reason."""

    status_code = 422

    def __init__(self, file: str, lines: list[str], rejected_rows: int) -> None:
        shown = lines[:20]
        more = f"\n... and {len(lines) - len(shown)} more problems" if len(lines) > len(shown) else ""
        super().__init__(
            f"{file}: {rejected_rows} row(s) break the contract; nothing was imported\n"
            + "\n".join(shown)
            + more
        )
        self.lines = lines
        self.rejected_rows = rejected_rows


@dataclass
class ImportReport:
    kind: str
    file: str
    rows: int
    inserted: int
    skipped: int
    rejected: int
    rejects: pl.DataFrame = field(default_factory=pl.DataFrame, repr=False)
    contacts_inserted: int = 0

    def as_dict(self) -> dict[str, object]:
        return {
            "kind": self.kind,
            "file": self.file,
            "rows": self.rows,
            "inserted": self.inserted,
            "skipped": self.skipped,
            "rejected": self.rejected,
            "contacts_inserted": self.contacts_inserted,
        }


def _rejected_rows(result: IntakeResult) -> int:
    rows = result.rejects.get_column("row")
    return max(rows.n_unique(), 1) if rows.null_count() < rows.len() else 1


def _refuse_unless_partial(result: IntakeResult, file: str, partial: bool) -> None:
    if result.rejects.is_empty():
        return
    missing_columns = result.rejects.filter(pl.col("row").is_null())
    if not partial or not missing_columns.is_empty():
        raise ImportRejected(file, format_rejects(result.rejects, file), _rejected_rows(result))


def _lock(connection: Connection, db: Database, *tables: str) -> None:
    """Serialise writers of these tables for the transaction (SQLite's BEGIN IMMEDIATE already does)."""
    if not db.is_sqlite:
        for table in tables:
            connection.execute(text(f'LOCK TABLE "{table}" IN SHARE ROW EXCLUSIVE MODE'))


def account_lookup(db: Database) -> pl.DataFrame:
    """Stored accounts as the validators look them up: account_id, creditor_id, currency, account_key."""
    return read_frame(
        db,
        'SELECT account_id, creditor_id, currency, "key" AS account_key FROM accounts',
        {
            "account_id": pl.String(),
            "creditor_id": pl.String(),
            "currency": pl.String(),
            "account_key": pl.Int64(),
        },
    )


# What an import's audit entry vouches for in a placement: the columns no later step changes.
PLACEMENT_AUDIT_COLUMNS = (
    "key",
    "account_id",
    "creditor_id",
    "debtor_id",
    "debtor_type",
    "currency",
    "placed_on",
    "placed_balance",
)


def _record_batch(
    connection: Connection,
    kind: str,
    file: str,
    sha256: str,
    report: ImportReport,
    at: datetime,
    covers: list[Cover | None],
) -> None:
    connection.execute(
        text(
            "INSERT INTO imports (kind, file_name, sha256, rows, inserted, skipped, rejected, at) "
            "VALUES (:kind, :file, :sha, :rows, :inserted, :skipped, :rejected, :at)"
        ),
        {
            "kind": kind,
            "file": file,
            "sha": sha256,
            "rows": report.rows,
            "inserted": report.inserted,
            "skipped": report.skipped,
            "rejected": report.rejected,
            "at": at,
        },
    )
    audit.record(connection, f"import.{kind}", {**report.as_dict(), "sha256": sha256}, at, covers)


def import_accounts(
    connection: Connection,
    db: Database,
    raw: pl.DataFrame,
    *,
    file: str,
    sha256: str,
    placed_on: date,
    now: datetime,
    contacts_raw: pl.DataFrame | None = None,
    contacts_file: str = "contacts",
    partial: bool = False,
) -> ImportReport:
    """Store the new accounts of a placement file (and its contacts). Accounts already placed are
    skipped: a placement is never overwritten, changes arrive as events."""
    _lock(connection, db, "accounts", "contacts")
    result = validate_accounts(raw, file=file)
    _refuse_unless_partial(result, file, partial)

    stored = account_lookup(db)
    valid = result.valid
    new = valid.join(stored.select("creditor_id", "account_id"), on=["creditor_id", "account_id"], how="anti")
    first_key = next_key(connection, "accounts")
    rows = new.with_columns(
        key=pl.int_range(first_key, first_key + new.height, dtype=pl.Int64),
        flags=pl.col("flags").fill_null(""),
        status=pl.lit("active"),
        credit=pl.lit(0, dtype=pl.Int64),
        collected=pl.lit(0, dtype=pl.Int64),
        placed_on=pl.lit(placed_on),
        placed_balance=pl.col("principal") + pl.col("interest") + pl.col("fees"),
        placed_principal=pl.col("principal"),
        placed_interest=pl.col("interest"),
        placed_fees=pl.col("fees"),
        opted_out=pl.lit(""),
    ).select(
        [
            "key",
            *ACCOUNT_SCHEMA,
            "status",
            "credit",
            "collected",
            "placed_on",
            "placed_balance",
            "placed_principal",
            "placed_interest",
            "placed_fees",
            "opted_out",
        ]
    )
    insert_frame(connection, db, "accounts", rows)

    contacts_cover = None
    report = ImportReport(
        kind="accounts",
        file=file,
        rows=raw.height,
        inserted=rows.height,
        skipped=valid.height - rows.height,
        rejected=result.rejects.get_column("row").n_unique() if not result.rejects.is_empty() else 0,
        rejects=result.rejects,
    )
    if contacts_raw is not None:
        lookup = pl.concat(
            [stored, rows.select("account_id", "creditor_id", "currency", account_key=pl.col("key"))],
            how="vertical_relaxed",
        )
        report.contacts_inserted, contacts_cover = _import_contacts(
            connection, db, contacts_raw, file=contacts_file, lookup=lookup, partial=partial
        )
    placed = audit.written_cover(connection, "accounts", rows.select(PLACEMENT_AUDIT_COLUMNS), rows.height)
    _record_batch(connection, "accounts", file, sha256, report, now, [placed, contacts_cover])
    return report


def _import_contacts(
    connection: Connection, db: Database, raw: pl.DataFrame, *, file: str, lookup: pl.DataFrame, partial: bool
) -> tuple[int, Cover | None]:
    result = validate_contacts(raw, file=file, accounts=lookup)
    _refuse_unless_partial(result, file, partial)
    first_key = next_key(connection, "contacts")
    rows = result.valid.with_columns(
        key=pl.int_range(first_key, first_key + result.valid.height, dtype=pl.Int64)
    ).select(["key", "account_key", *[c for c in CONTACT_SCHEMA if c not in ("account_id", "creditor_id")]])
    inserted = insert_new(connection, db, "contacts", rows, ("account_key", "contact_id"))
    columns = rows.select("key", "account_key", "contact_id", "role")
    return inserted, audit.written_cover(connection, "contacts", columns, inserted)


def event_rows(valid: pl.DataFrame, first_key: int) -> pl.DataFrame:
    """Validated events (EVENT_SCHEMA + account_key) as rows of the events table."""
    return valid.with_columns(
        key=pl.int_range(first_key, first_key + valid.height, dtype=pl.Int64),
        applied_on=pl.lit(None, dtype=pl.Date),
    ).select(
        [
            "key",
            "account_key",
            *[c for c in EVENT_SCHEMA if c not in ("account_id", "creditor_id")],
            "applied_on",
        ]
    )


def import_events(
    connection: Connection,
    db: Database,
    raw: pl.DataFrame,
    *,
    file: str,
    sha256: str,
    now: datetime,
    partial: bool = False,
    lookup: pl.DataFrame | None = None,
) -> ImportReport:
    """Store the events of a file; an event_id seen before is skipped (importing twice changes nothing)."""
    _lock(connection, db, "events")
    result = validate_events(raw, file=file, accounts=lookup if lookup is not None else account_lookup(db))
    _refuse_unless_partial(result, file, partial)
    rows = event_rows(result.valid, next_key(connection, "events"))
    inserted = insert_new(connection, db, "events", rows, ("event_id",))
    report = ImportReport(
        kind="events",
        file=file,
        rows=raw.height,
        inserted=inserted,
        skipped=result.valid.height - inserted,
        rejected=result.rejects.get_column("row").n_unique() if not result.rejects.is_empty() else 0,
        rejects=result.rejects,
    )
    stored = audit.written_cover(connection, "events", rows, inserted, exclude=("applied_on",))
    _record_batch(connection, "events", file, sha256, report, now, [stored])
    return report
