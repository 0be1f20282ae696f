"""Portfolio KPIs (contracts/cli.md, `recoup report`): money per currency, rates over the whole history
up to the report date and for the day itself."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import polars as pl

from recoup.adapters.db import portfolio
from recoup.adapters.db.bulk import read_frame, sql_literal
from recoup.adapters.db.engine import Database
from recoup.core.money import format_minor
from recoup.services.daily_run import cutoff_for

REACHED = ("delivered", "read", "replied", "conversation")


def _ratio(numerator: int, denominator: int) -> float | None:
    return round(numerator / denominator, 4) if denominator else None


def _money(db: Database, as_of: date) -> list[dict[str, Any]]:
    cutoff = sql_literal(cutoff_for(as_of))
    day_start = sql_literal(cutoff_for(as_of - timedelta(days=1)))
    balances = read_frame(
        db,
        "SELECT currency, COUNT(*) AS accounts, "
        "SUM(CASE WHEN status = 'active' THEN 1 ELSE 0 END) AS active, "
        "SUM(CASE WHEN status = 'active' THEN principal + interest + fees ELSE 0 END) AS balance, "
        "SUM(placed_balance) AS placed FROM accounts GROUP BY currency",
        {
            "currency": pl.String(),
            "accounts": pl.Int64(),
            "active": pl.Int64(),
            "balance": pl.Int64(),
            "placed": pl.Int64(),
        },
    )
    paid = read_frame(
        db,
        "SELECT c.currency AS currency, SUM(e.amount) AS collected, "
        f"SUM(CASE WHEN e.at >= {day_start} THEN e.amount ELSE 0 END) AS collected_day "
        'FROM events e JOIN accounts c ON c."key" = e.account_key '
        f"WHERE e.type = 'payment' AND e.at < {cutoff} GROUP BY c.currency",
        {"currency": pl.String(), "collected": pl.Int64(), "collected_day": pl.Int64()},
    )
    rows = balances.join(paid, on="currency", how="left").fill_null(0).sort("currency")
    return [
        {
            "currency": r["currency"],
            "accounts": r["accounts"],
            "active_accounts": r["active"],
            "balance": format_minor(r["balance"], r["currency"]),
            "placed": format_minor(r["placed"], r["currency"]),
            "collected": format_minor(r["collected"], r["currency"]),
            "collected_on_day": format_minor(r["collected_day"], r["currency"]),
            "recovery_rate": _ratio(r["collected"], r["placed"]),
        }
        for r in rows.iter_rows(named=True)
    ]


def _contacts(db: Database, as_of: date) -> dict[str, Any]:
    cutoff = sql_literal(cutoff_for(as_of))
    reached = ", ".join(f"'{o}'" for o in REACHED)
    frame = read_frame(
        db,
        "SELECT COUNT(*) AS attempts, "
        f"SUM(CASE WHEN outcome IN ({reached}) THEN 1 ELSE 0 END) AS reached, "
        "SUM(CASE WHEN channel = 'call' THEN 1 ELSE 0 END) AS calls, "
        "SUM(CASE WHEN channel = 'call' AND outcome = 'conversation' THEN 1 ELSE 0 END) AS rpc "
        f"FROM events WHERE type = 'contact' AND direction = 'outbound' AND at < {cutoff}",
        {"attempts": pl.Int64(), "reached": pl.Int64(), "calls": pl.Int64(), "rpc": pl.Int64()},
    ).fill_null(0)
    row = frame.row(0, named=True)
    return {
        "contact_attempts": row["attempts"],
        "contact_rate": _ratio(row["reached"], row["attempts"]),
        "calls": row["calls"],
        "right_party_rate": _ratio(row["rpc"], row["calls"]),
    }


def _promises_and_complaints(db: Database, as_of: date) -> dict[str, Any]:
    promises = read_frame(
        db,
        "SELECT status, COUNT(*) AS n FROM promises "
        f"WHERE made_at < {sql_literal(cutoff_for(as_of))} GROUP BY status",
        {"status": pl.String(), "n": pl.Int64()},
    )
    counts = dict(promises.iter_rows())
    kept, broken = int(counts.get("kept", 0)), int(counts.get("broken", 0))
    complaints = read_frame(
        db,
        "SELECT COUNT(*) AS n, "
        f"SUM(CASE WHEN at >= {sql_literal(cutoff_for(as_of - timedelta(days=1)))} THEN 1 ELSE 0 END) AS day "
        f"FROM events WHERE type = 'complaint' AND at < {sql_literal(cutoff_for(as_of))}",
        {"n": pl.Int64(), "day": pl.Int64()},
    ).fill_null(0)
    return {
        "promises_made": int(sum(counts.values())),
        "promises_open": int(counts.get("open", 0)),
        "promises_kept": kept,
        "promises_broken": broken,
        "promise_kept_rate": _ratio(kept, kept + broken),
        "complaints": int(complaints["n"][0]),
        "complaints_on_day": int(complaints["day"][0]),
    }


def _actions(db: Database, as_of: date) -> dict[str, Any]:
    frame = read_frame(
        db,
        f"SELECT action, COUNT(*) AS n FROM actions WHERE run_date = {sql_literal(as_of)} GROUP BY action",
        {"action": pl.String(), "n": pl.Int64()},
    )
    return {"actions_on_day": {str(a): int(n) for a, n in frame.sort("action").iter_rows()}}


def kpis(db: Database, as_of: date) -> dict[str, Any]:
    """The KPI report as of the end of ``as_of``."""
    return {
        "date": as_of.isoformat(),
        "money": _money(db, as_of),
        **_contacts(db, as_of),
        **_promises_and_complaints(db, as_of),
        **_actions(db, as_of),
        "blocks_by_rule": portfolio.blocks_by_rule(db, as_of),
    }
