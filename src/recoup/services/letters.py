"""The day's letters: which letter actions print, and recording that they did. Nothing here commits.

A letter prints when its account is still active, not on a collection hold, not opted out of letters and
has an address; otherwise the action is cancelled or failed with the reason. Printed letters stay in
the batch of their date, so printing a date again gives the same PDF.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import polars as pl
from sqlalchemy import Connection

from recoup.adapters.channels.letters import Letter
from recoup.adapters.db.bulk import read_frame, sql_literal
from recoup.adapters.db.engine import Database
from recoup.adapters.db.staged import update_columns
from recoup.core.outbox import letter_verdicts
from recoup.core.templates.locale import format_day, locale_for

_LETTER_SCHEMA: dict[str, pl.DataType] = {
    "action_key": pl.Int64(),
    "account_key": pl.Int64(),
    "language": pl.String(),
    "message": pl.String(),
    "status": pl.String(),
    "debtor_name": pl.String(),
    "address": pl.String(),
    "account_id": pl.String(),
    "jurisdiction": pl.String(),
    "account_status": pl.String(),
    "flags": pl.String(),
    "opted_out": pl.String(),
}


@dataclass
class LetterBatch:
    letters: list[Letter]
    printed: list[int]  # action keys
    unsent: pl.DataFrame  # action_key, verdict, reason


def letters_for(db: Database, run_date: date, *, agency: str, agency_address: str = "") -> LetterBatch:
    rows = read_frame(
        db,
        'SELECT a."key" AS action_key, a.account_key, a.language, a.message, a.status, c.debtor_name, '
        "c.address, c.account_id, c.jurisdiction, c.status AS account_status, c.flags, c.opted_out "
        'FROM actions a JOIN accounts c ON c."key" = a.account_key '
        f"WHERE a.action = 'letter' AND a.run_date = {sql_literal(run_date)} "
        "AND a.status IN ('queued', 'printed') ORDER BY a.\"key\"",
        _LETTER_SCHEMA,
    )
    judged = letter_verdicts(rows.with_columns(pl.col("language").fill_null("zh")))
    printable = judged.filter(pl.col("verdict") == "send")
    letters = [
        Letter(
            reference=row["account_id"],
            recipient_name=row["debtor_name"],
            address=row["to"],
            language=row["language"],
            date_text=format_day(run_date, locale_for(row["language"], row["jurisdiction"])),
            body=row["message"] or "",
            sender_name=agency,
            sender_address=agency_address,
        )
        for row in printable.iter_rows(named=True)
    ]
    unsent = judged.filter(pl.col("verdict") != "send").select("action_key", "verdict", "reason")
    return LetterBatch(letters, printable["action_key"].to_list(), unsent)


def record_printed(connection: Connection, db: Database, batch: LetterBatch) -> dict[str, int]:
    printed = pl.DataFrame(
        {"key": batch.printed, "status": ["printed"] * len(batch.printed)},
        schema={"key": pl.Int64, "status": pl.String},
    )
    update_columns(connection, db, "actions", printed, "key")
    update_columns(connection, db, "actions", batch.unsent.select(key="action_key", status="verdict"), "key")
    return {"printed": len(batch.printed), "not_printed": batch.unsent.height}
