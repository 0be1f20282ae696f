"""The outbox dispatcher's use cases. The caller owns the transactions and sends between them:

    with begin() as c: claim = claim_batch(c, db, now, channels, ...)       # 'sending' + keys recorded
    results = dispatcher.deliver(claim.messages)                            # no transaction open
    with begin() as c: record_results(c, db, claim, results, now)           # statuses + contact events

A message leaves only after the daily run's transaction committed its action (it is read from the
actions table) and after its delivery row with the idempotency key is committed with status 'sending'.
If the process dies after sending and before recording, the action stays 'sending'; once its lease
expires a later claim picks it up again and re-sends it with the same key, which the provider drops.

A message leaves only inside the window the rulebook's contact hours allow for its channel in every
candidate zone of the debtor (`recoup.core.outbox.verdicts`): one whose window is yet to open is not
claimed and stays queued; one whose run date's hours are over expires.

Every transaction that moves statuses appends the moves to the outbox's status history
(adapters.db.outbox_transitions) and one audit entry covering them and the contact events it wrote:
`dispatch.routed`, `dispatch.claimed`, `dispatch.sent`. Nothing here commits.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import polars as pl
from sqlalchemy import Connection, text

from recoup.adapters.channels.gateway import OutboundMessage, SendResult
from recoup.adapters.db import audit
from recoup.adapters.db.bulk import insert_new, read_frame, sql_literal
from recoup.adapters.db.engine import Database
from recoup.adapters.db.outbox_transitions import move_counts, record_transitions
from recoup.adapters.db.staged import update_columns
from recoup.core.compliance import RulebookSet, load_rulebooks
from recoup.core.outbox import (
    AGENT_ACTIONS,
    HELD,
    SENT_ACTIONS,
    email_html,
    email_subject,
    idempotency_key,
    verdicts,
)
from recoup.core.schema import UTC_INSTANT
from recoup.services.event_log import Stored, contact_events

DEFAULT_LEASE = timedelta(minutes=10)
DEFAULT_BATCH = 5000
CONTACT_OUTCOMES = ("delivered", "failed", "bounced")

CLAIM_SCHEMA: dict[str, pl.DataType] = {
    "action_key": pl.Int64(),
    "account_key": pl.Int64(),
    "action": pl.String(),
    "channel": pl.String(),
    "run_date": pl.Date(),
    "scheduled_at": UTC_INSTANT,
    "local_offset_minutes": pl.Int32(),
    "language": pl.String(),
    "message": pl.String(),
    "action_status": pl.String(),
    "attempts": pl.Int64(),
    "account_status": pl.String(),
    "jurisdiction": pl.String(),
    "timezone": pl.String(),
    "region": pl.String(),
    "flags": pl.String(),
    "opted_out": pl.String(),
    "phone": pl.String(),
    "email": pl.String(),
    "im_handle": pl.String(),
    "address": pl.String(),
    "debtor_name": pl.String(),
    "creditor_id": pl.String(),
}


Cursor = tuple[datetime, int]  # (scheduled_at, action key) of the last due action a claim read


@dataclass
class Claim:
    """What one claim took: the rows to send now (with their messages) and what was settled without
    sending (cancelled, expired, failed before sending). ``read`` due actions were looked at, ``held`` of
    them left queued because their window is yet to open; ``after`` is where the next claim reads on."""

    rows: pl.DataFrame
    messages: list[OutboundMessage] = field(default_factory=list)
    settled: dict[str, int] = field(default_factory=dict)
    recovered: int = 0
    held: int = 0
    read: int = 0
    after: Cursor | None = None


def _utc(now: datetime) -> datetime:
    if now.tzinfo is None:
        raise ValueError("now must carry a zone")
    return now.astimezone(UTC)


def _keys_sql(keys: Sequence[int]) -> str:
    return ", ".join(str(int(k)) for k in keys)


def _in_list(values: Sequence[str]) -> str:
    return ", ".join("'" + v.replace("'", "''") + "'" for v in values)


def route_agent_work(connection: Connection, db: Database, now: datetime) -> int:
    """Calls, visits and legal reviews go to the agents' work queues (no dialer here); the moves are
    recorded with a `dispatch.routed` audit entry."""
    routed = connection.execute(
        text(
            "UPDATE actions SET status = 'queued_for_agent' "
            f"WHERE status = 'queued' AND action IN ({_in_list(AGENT_ACTIONS)}) "
            'RETURNING "key", action, channel'
        )
    ).all()
    if not routed:
        return 0
    moved = (
        pl.DataFrame(
            [tuple(row) for row in routed],
            schema={"action_key": pl.Int64, "action": pl.String, "channel": pl.String},
            orient="row",
        )
        .with_columns(status=pl.lit("queued_for_agent"), channel=pl.coalesce("channel", "action"))
        .sort("action_key")
    )
    content = {"routed": moved.height, "counts": move_counts(moved)}
    audit.record(
        connection, "dispatch.routed", content, now, [record_transitions(connection, db, moved, now)]
    )
    return moved.height


def _candidates(
    db: Database, now: datetime, channels: Sequence[str], limit: int, after: Cursor | None
) -> pl.DataFrame:
    moment = sql_literal(_utc(now).replace(tzinfo=None))
    onwards = ""
    if after is not None:
        at = sql_literal(_utc(after[0]).replace(tzinfo=None))
        onwards = f'AND (a.scheduled_at > {at} OR (a.scheduled_at = {at} AND a."key" > {int(after[1])})) '
    sql = (
        'SELECT a."key" AS action_key, a.account_key, a.action, a.channel, a.run_date, a.scheduled_at, '
        "a.local_offset_minutes, a.language, a.message, a.status AS action_status, "
        "COALESCE(d.attempts, 0) AS attempts, c.status AS account_status, c.jurisdiction, c.timezone, "
        "c.region, c.flags, c.opted_out, "
        "c.phone, c.email, c.im_handle, c.address, c.debtor_name, c.creditor_id "
        'FROM actions a JOIN accounts c ON c."key" = a.account_key '
        'LEFT JOIN deliveries d ON d.action_key = a."key" '
        f"WHERE a.channel IN ({_in_list(channels)}) AND a.action IN ({_in_list(SENT_ACTIONS)}) "
        f"AND ((a.status = 'queued' AND a.scheduled_at <= {moment}) "
        f"OR (a.status = 'sending' AND d.status = 'sending' AND d.lease_until < {moment})) "
        f"{onwards}"
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


def _rulebook_versions(rows: pl.DataFrame, rulebooks: RulebookSet) -> dict[str, dict[str, str]]:
    books = [rulebooks.get(code) for code in rows["jurisdiction"].unique().to_list()]
    return {b.jurisdiction: {"version": b.version, "sha256": b.content_hash} for b in books}


def _claim_moves(rows: pl.DataFrame, prefix: str) -> pl.DataFrame:
    """The status each claimed row moved to: 'sending' (again, for a row whose lease ran out) or the
    verdict that settled it unsent."""
    sending = pl.col("verdict") == "send"
    return rows.select(
        "action_key",
        "channel",
        status=pl.when(sending).then(pl.lit("sending")).otherwise(pl.col("verdict")),
        idempotency_key=pl.concat_str([pl.lit(f"{prefix}-"), pl.col("action_key").cast(pl.String)]),
        reason=pl.when(sending & (pl.col("action_status") == "sending"))
        .then(pl.lit("the lease ran out: sent again with the same key"))
        .otherwise(pl.col("reason")),
    )


def claim_batch(
    connection: Connection,
    db: Database,
    now: datetime,
    providers: Mapping[str, str],
    *,
    limit: int = DEFAULT_BATCH,
    lease: timedelta = DEFAULT_LEASE,
    prefix: str = "recoup",
    rulebooks: RulebookSet | None = None,
    after: Cursor | None = None,
) -> Claim:
    """Claim up to ``limit`` due messages of the channels in ``providers`` (channel -> provider name):
    due queued actions, and actions left 'sending' whose lease ran out (a dispatcher died mid-send),
    read in order of schedule from past ``after``. Each gets its delivery row with its idempotency key in
    this transaction; one whose contact window is yet to open is not claimed (see the module docstring).
    The moves are recorded with a `dispatch.claimed` audit entry."""
    books = rulebooks or load_rulebooks()
    candidates = _candidates(db, now, list(providers), limit, after)
    if candidates.is_empty():
        return Claim(candidates)
    last = candidates.row(-1, named=True)
    judged = verdicts(candidates, now, books)
    held = judged.filter(pl.col("verdict") == HELD)
    taken = _take_rows(connection, judged.filter(pl.col("verdict") != HELD), now, lease)
    rows = judged.filter(pl.col("action_key").is_in(list(taken)))
    claim = Claim(
        rows, held=held.height, read=candidates.height, after=(last["scheduled_at"], last["action_key"])
    )
    if rows.is_empty():
        return claim
    fresh = rows.filter(pl.col("action_status") == "queued")
    insert_new(
        connection, db, "deliveries", _delivery_rows(fresh, providers, now, lease, prefix), ("action_key",)
    )
    claim.recovered = _count_attempts(connection, rows)
    claim.settled = _settle_unsent(connection, db, rows, now)
    claim.messages = outbound_messages(rows, prefix)
    _record_claim(connection, db, claim, _claim_moves(rows, prefix), books, now)
    return claim


def _count_attempts(connection: Connection, rows: pl.DataFrame) -> int:
    """Rows left 'sending' by a dispatcher that died go again: one more attempt each; how many."""
    recovered = rows.filter((pl.col("action_status") == "sending") & (pl.col("verdict") == "send"))
    if not recovered.is_empty():
        connection.execute(
            text(
                "UPDATE deliveries SET attempts = attempts + 1 "
                f"WHERE action_key IN ({_keys_sql(recovered['action_key'].to_list())})"
            )
        )
    return recovered.height


def _record_claim(
    connection: Connection, db: Database, claim: Claim, moves: pl.DataFrame, books: RulebookSet, now: datetime
) -> None:
    content = {
        "claimed": claim.rows.height,
        "held": claim.held,
        "recovered": claim.recovered,
        "counts": move_counts(moves),
        "rulebooks": _rulebook_versions(claim.rows, books),
    }
    audit.record(
        connection, "dispatch.claimed", content, now, [record_transitions(connection, db, moves, now)]
    )


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
    stored = contact_events(
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
    _record_sent(connection, db, sent, stored, now)
    return {"recorded": sent.height, "events": stored.inserted, **counts}


def _record_sent(
    connection: Connection, db: Database, sent: pl.DataFrame, events: Stored, now: datetime
) -> None:
    """The providers' answers as moves and a `dispatch.sent` entry covering them and the contact events."""
    moves = sent.select("action_key", "channel", "idempotency_key", status="result", reason="error")
    moved = record_transitions(connection, db, moves, now)
    content = {"recorded": sent.height, "events": events.inserted, "counts": move_counts(moves)}
    audit.record(connection, "dispatch.sent", content, now, [moved, events.cover])
