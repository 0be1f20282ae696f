"""The outbox dispatcher's use cases. The caller owns the transactions and sends between them:

    with begin() as c: claim = claim_batch(c, db, now, channels, ...)       # 'sending' + keys recorded
    results = dispatcher.deliver(claim.messages)                            # no transaction open
    with begin() as c: record_results(c, db, claim, results, now)           # statuses + contact events

A message leaves only after the daily run's transaction committed its action (it is read from the
actions table) and after its delivery row with the idempotency key is committed with status 'sending'.
If the process dies after sending and before recording, the action stays 'sending'; once its lease
expires a later claim picks it up again and re-sends it with the same key, which the provider drops.

Nothing here commits.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from typing import Any

import polars as pl
from sqlalchemy import Connection, text

from recoup.adapters.channels.gateway import OutboundMessage, SendResult
from recoup.adapters.db.bulk import insert_new, read_frame, sql_literal
from recoup.adapters.db.engine import Database
from recoup.adapters.db.staged import update_columns
from recoup.core.outbox import (
    AGENT_ACTIONS,
    LATEST_LOCAL_SEND,
    SENT_ACTIONS,
    email_html,
    email_subject,
    idempotency_key,
    verdicts,
)
from recoup.core.schema import UTC_INSTANT
from recoup.services.event_log import contact_events

DEFAULT_LEASE = timedelta(minutes=10)
DEFAULT_BATCH = 5000
CONTACT_OUTCOMES = ("delivered", "failed", "bounced")

CLAIM_SCHEMA: dict[str, pl.DataType] = {
    "action_key": pl.Int64(),
    "account_key": pl.Int64(),
    "action": pl.String(),
    "channel": pl.String(),
    "scheduled_at": UTC_INSTANT,
    "local_offset_minutes": pl.Int32(),
    "language": pl.String(),
    "message": pl.String(),
    "action_status": pl.String(),
    "attempts": pl.Int64(),
    "account_status": pl.String(),
    "jurisdiction": pl.String(),
    "flags": pl.String(),
    "opted_out": pl.String(),
    "phone": pl.String(),
    "email": pl.String(),
    "im_handle": pl.String(),
    "address": pl.String(),
    "debtor_name": pl.String(),
    "creditor_id": pl.String(),
}


@dataclass
class Claim:
    """What one claim took: the rows to send now (with their messages) and what was settled without
    sending (cancelled, expired, failed before sending)."""

    rows: pl.DataFrame
    messages: list[OutboundMessage] = field(default_factory=list)
    settled: dict[str, int] = field(default_factory=dict)
    recovered: int = 0


def _utc(now: datetime) -> datetime:
    if now.tzinfo is None:
        raise ValueError("now must carry a zone")
    return now.astimezone(UTC)


def _keys_sql(keys: Sequence[int]) -> str:
    return ", ".join(str(int(k)) for k in keys)


def _in_list(values: Sequence[str]) -> str:
    return ", ".join("'" + v.replace("'", "''") + "'" for v in values)


def route_agent_work(connection: Connection) -> int:
    """Calls, visits and legal reviews go to the agents' work queues (no dialer here)."""
    result = connection.execute(
        text(
            "UPDATE actions SET status = 'queued_for_agent' "
            f"WHERE status = 'queued' AND action IN ({_in_list(AGENT_ACTIONS)})"
        )
    )
    return int(result.rowcount or 0)


def _candidates(db: Database, now: datetime, channels: Sequence[str], limit: int) -> pl.DataFrame:
    moment = sql_literal(_utc(now).replace(tzinfo=None))
    sql = (
        'SELECT a."key" AS action_key, a.account_key, a.action, a.channel, a.scheduled_at, '
        "a.local_offset_minutes, a.language, a.message, a.status AS action_status, "
        "COALESCE(d.attempts, 0) AS attempts, c.status AS account_status, c.jurisdiction, c.flags, "
        "c.opted_out, "
        "c.phone, c.email, c.im_handle, c.address, c.debtor_name, c.creditor_id "
        'FROM actions a JOIN accounts c ON c."key" = a.account_key '
        'LEFT JOIN deliveries d ON d.action_key = a."key" '
        f"WHERE a.channel IN ({_in_list(channels)}) AND a.action IN ({_in_list(SENT_ACTIONS)}) "
        f"AND ((a.status = 'queued' AND a.scheduled_at <= {moment}) "
        f"OR (a.status = 'sending' AND d.status = 'sending' AND d.lease_until < {moment})) "
        f'ORDER BY a.scheduled_at, a."key" LIMIT {int(limit)}'
    )
    return read_frame(db, sql, CLAIM_SCHEMA)


def _take(connection: Connection, sql: str) -> set[int]:
    return {int(row[0]) for row in connection.execute(text(sql))}


def _take_rows(connection: Connection, candidates: pl.DataFrame, now: datetime, lease: timedelta) -> set[int]:
    """Mark the candidates ours; a concurrent dispatcher that read the same rows gets none of them."""
    moment = sql_literal(_utc(now).replace(tzinfo=None))
    fresh = candidates.filter(pl.col("action_status") == "queued")["action_key"].to_list()
    stale = candidates.filter(pl.col("action_status") == "sending")["action_key"].to_list()
    taken: set[int] = set()
    if fresh:
        taken |= _take(
            connection,
            f"UPDATE actions SET status = 'sending' WHERE \"key\" IN ({_keys_sql(fresh)}) "
            "AND status = 'queued' RETURNING \"key\"",
        )
    if stale:
        until = sql_literal(_utc(now + lease).replace(tzinfo=None))
        taken |= _take(
            connection,
            f"UPDATE deliveries SET lease_until = {until}, updated_at = {moment} "
            f"WHERE action_key IN ({_keys_sql(stale)}) AND status = 'sending' AND lease_until < {moment} "
            "RETURNING action_key",
        )
    return taken


def _delivery_rows(
    rows: pl.DataFrame, providers: Mapping[str, str], now: datetime, lease: timedelta, prefix: str
) -> pl.DataFrame:
    sending = pl.col("verdict") == "send"
    return rows.select(
        "action_key",
        "account_key",
        idempotency_key=pl.concat_str([pl.lit(f"{prefix}-"), pl.col("action_key").cast(pl.String)]),
        channel="channel",
        provider=pl.col("channel").replace_strict(dict(providers), default="none"),
        recipient="to",
        status=pl.when(sending).then(pl.lit("sending")).otherwise(pl.col("verdict")),
        provider_message_id=pl.lit(None, dtype=pl.String),
        attempts=pl.when(sending).then(pl.lit(1)).otherwise(pl.lit(0)).cast(pl.Int32),
        error=pl.col("reason"),
        lease_until=pl.when(sending)
        .then(pl.lit(_utc(now + lease)))
        .otherwise(pl.lit(None, dtype=UTC_INSTANT)),
        created_at=pl.lit(_utc(now)),
        sent_at=pl.lit(None, dtype=UTC_INSTANT),
        updated_at=pl.lit(_utc(now)),
    )


def _settle_unsent(connection: Connection, db: Database, rows: pl.DataFrame, now: datetime) -> dict[str, int]:
    """Actions that will not be sent (cancelled, expired, no address) take their verdict as status."""
    unsent = rows.filter(pl.col("verdict") != "send")
    if unsent.is_empty():
        return {}
    update_columns(connection, db, "actions", unsent.select(key="action_key", status="verdict"), "key")
    recovered = unsent.filter(pl.col("action_status") == "sending")
    if not recovered.is_empty():
        update_columns(
            connection,
            db,
            "deliveries",
            recovered.select(
                "action_key",
                status="verdict",
                error="reason",
                lease_until=pl.lit(None, dtype=UTC_INSTANT),
                updated_at=pl.lit(_utc(now)),
            ),
            "action_key",
        )
    counts = unsent.group_by("verdict").len()
    return {str(k): int(v) for k, v in counts.iter_rows()}


def outbound_messages(rows: pl.DataFrame, prefix: str = "recoup") -> list[OutboundMessage]:
    """The messages of claimed rows whose verdict is `send` (email gets its subject and HTML part)."""
    messages = []
    for row in rows.filter(pl.col("verdict") == "send").iter_rows(named=True):
        language = row["language"] or "zh"
        body = row["message"] or ""
        is_email = row["channel"] == "email"
        messages.append(
            OutboundMessage(
                idempotency_key=idempotency_key(row["action_key"], prefix),
                action_key=row["action_key"],
                account_key=row["account_key"],
                channel=row["channel"],
                to=row["to"],
                language=language,
                text=body,
                subject=email_subject(language, row["creditor_id"]) if is_email else None,
                html=email_html(body, language) if is_email else None,
                recipient_name=row["debtor_name"],
            )
        )
    return messages


def claim_batch(
    connection: Connection,
    db: Database,
    now: datetime,
    providers: Mapping[str, str],
    *,
    limit: int = DEFAULT_BATCH,
    lease: timedelta = DEFAULT_LEASE,
    latest_local: time = LATEST_LOCAL_SEND,
    prefix: str = "recoup",
) -> Claim:
    """Claim up to ``limit`` due messages of the channels in ``providers`` (channel -> provider name):
    due queued actions, and actions left 'sending' whose lease ran out (a dispatcher died mid-send).
    Each gets its delivery row with its idempotency key in this transaction."""
    candidates = _candidates(db, now, list(providers), limit)
    if candidates.is_empty():
        return Claim(candidates)
    taken = _take_rows(connection, candidates, now, lease)
    rows = verdicts(candidates.filter(pl.col("action_key").is_in(list(taken))), now, latest_local)
    fresh = rows.filter(pl.col("action_status") == "queued")
    insert_new(
        connection, db, "deliveries", _delivery_rows(fresh, providers, now, lease, prefix), ("action_key",)
    )
    recovered = rows.filter((pl.col("action_status") == "sending") & (pl.col("verdict") == "send"))
    if not recovered.is_empty():
        connection.execute(
            text(
                "UPDATE deliveries SET attempts = attempts + 1 "
                f"WHERE action_key IN ({_keys_sql(recovered['action_key'].to_list())})"
            )
        )
    settled = _settle_unsent(connection, db, rows, now)
    return Claim(rows, outbound_messages(rows, prefix), settled, recovered.height)


def record_results(
    connection: Connection, db: Database, claim: Claim, results: Sequence[SendResult], now: datetime
) -> dict[str, Any]:
    """Store what the providers answered: delivery and action statuses, and a contact event for each
    message whose fate is known (delivered, failed, bounced). Returns counts by status."""
    if not results:
        return {"recorded": 0}
    answered = pl.DataFrame(
        {
            "idempotency_key": [r.idempotency_key for r in results],
            "result": [r.status for r in results],
            "provider_message_id": [r.provider_message_id for r in results],
            "error": [r.error for r in results],
        },
        schema={
            "idempotency_key": pl.String,
            "result": pl.String,
            "provider_message_id": pl.String,
            "error": pl.String,
        },
    )
    sent = (
        pl.DataFrame(
            {
                "idempotency_key": [m.idempotency_key for m in claim.messages],
                "action_key": [m.action_key for m in claim.messages],
            },
            schema={"idempotency_key": pl.String, "action_key": pl.Int64},
        )
        .join(answered, on="idempotency_key")
        .join(
            claim.rows.select("action_key", "account_key", "channel", "local_offset_minutes"), on="action_key"
        )
    )
    moment = _utc(now)
    reached = pl.col("result") != "failed"
    update_columns(
        connection,
        db,
        "deliveries",
        sent.select(
            "action_key",
            status="result",
            provider_message_id="provider_message_id",
            error="error",
            lease_until=pl.lit(None, dtype=UTC_INSTANT),
            sent_at=pl.when(reached).then(pl.lit(moment)).otherwise(pl.lit(None, dtype=UTC_INSTANT)),
            updated_at=pl.lit(moment),
        ),
        "action_key",
    )
    update_columns(connection, db, "actions", sent.select(key="action_key", status="result"), "key")
    known = sent.filter(pl.col("result").is_in(list(CONTACT_OUTCOMES)))
    events = contact_events(
        connection,
        db,
        known.select(
            event_id=pl.concat_str([pl.col("idempotency_key"), pl.lit(":"), pl.col("result")]),
            account_key="account_key",
            at=pl.lit(moment),
            utc_offset_minutes="local_offset_minutes",
            channel="channel",
            outcome="result",
            note=pl.coalesce(pl.col("error"), pl.col("provider_message_id")),
        ),
    )
    counts = {str(k): int(v) for k, v in sent.group_by("result").len().iter_rows()}
    return {"recorded": sent.height, "events": events, **counts}
