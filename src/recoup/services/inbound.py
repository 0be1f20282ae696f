"""What comes back from the providers: delivery receipts and the debtors' replies. Nothing here commits;
the webhook request owns the transaction, so a refused callback leaves nothing behind.

Replies take effect at once, for every account the sender is matched to (through the message answered,
or else the sender's phone, email or IM handle):
- STOP / 退订 / TD and the like: an `opt_out` event for the reply's channel, the channel added to the
  account's opt-outs now (so the dispatcher cancels what is queued and the next run proposes nothing
  on it), and the queued actions on that channel cancelled;
- a dispute: a `dispute` event and the dispute flag now (a collection hold), and a task to verify;
- a complaint: a `complaint` event and flag, and a task to answer it;
- hardship: a task for an agent to talk about an affordable plan;
- anything else: a task for a person to read it. A reply matching no account is kept and becomes a task.
Every matched reply is also an inbound contact event (outcome `replied`). Replies and receipts are
idempotent: a message id seen before is skipped, and event ids and task references are unique.

An accepted batch that changed anything appends one audit entry in the caller's transaction:
`inbound.receipts` covers the status moves (adapters.db.outbox_transitions) and the contact events it
wrote; `inbound.replies` covers the replies kept, the events (opt-outs, disputes, complaints, replies),
the tasks (but their status) and the queued actions an opt-out cancelled. A batch that changed nothing
(every receipt or reply seen before) records nothing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import polars as pl
from sqlalchemy import Connection, bindparam, text

from recoup.adapters.channels.callbacks import Receipt, Reply
from recoup.adapters.channels.signing import MAX_SKEW
from recoup.adapters.db import audit
from recoup.adapters.db.bulk import insert_new
from recoup.adapters.db.engine import Database
from recoup.adapters.db.outbox_transitions import move_counts, record_transitions
from recoup.adapters.db.staged import update_columns
from recoup.core.errors import Conflict, ValidationError
from recoup.core.replies import address_key, classify_reply
from recoup.core.schema import UTC_INSTANT
from recoup.services.event_log import contact_events, store_events

STATUS_RANK = {"sending": 0, "sent": 1, "delivered": 2, "failed": 2, "bounced": 2, "read": 3}
ADDRESS_COLUMN = {"sms": "phone", "email": "email", "im": "im_handle"}
EVENT_FOR_SIGNAL = {"stop": "opt_out", "dispute": "dispute", "complaint": "complaint"}
FLAG_FOR_SIGNAL = {"dispute": "dispute", "complaint": "complaint"}
TASK_FOR_SIGNAL = {"dispute": "dispute", "complaint": "complaint", "hardship": "hardship"}


class Replayed(Conflict):
    """A callback whose nonce was accepted before."""


class UnknownMessages(ValidationError):
    """Receipts naming messages this provider never sent for us."""

    def __init__(self, references: Sequence[str]) -> None:
        shown = ", ".join(references[:10]) + (" ..." if len(references) > 10 else "")
        super().__init__(
            f"{len(references)} receipt(s) name messages we did not send: {shown}", field="receipts"
        )
        self.references = list(references)


def _utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC)


def _frame(
    connection: Connection, sql: str, params: Mapping[str, Any], schema: Mapping[str, pl.DataType]
) -> pl.DataFrame:
    statement = text(sql)
    for name, value in params.items():
        if isinstance(value, (list, tuple)):
            statement = statement.bindparams(bindparam(name, expanding=True))
    rows = connection.execute(statement, dict(params)).all()
    return pl.DataFrame([tuple(r) for r in rows], schema=dict(schema), orient="row")


def _keyed(connection: Connection, db: Database, table: str, frame: pl.DataFrame) -> pl.DataFrame:
    """``frame`` with a `key` column of fresh keys of ``table`` (taken under a table lock on PostgreSQL;
    SQLite's write transaction already serialises writers)."""
    if not db.is_sqlite:
        connection.execute(text(f'LOCK TABLE "{table}" IN SHARE ROW EXCLUSIVE MODE'))
    first = int(connection.execute(text(f'SELECT COALESCE(MAX("key"), 0) FROM "{table}"')).scalar_one()) + 1
    return frame.with_columns(key=pl.int_range(first, first + frame.height, dtype=pl.Int64))


def accept_nonce(connection: Connection, provider: str, nonce: str, now: datetime) -> None:
    """Record a callback's nonce; `Replayed` if it was seen. Nonces older than the signature window
    can go: a callback that old fails the timestamp check anyway."""
    connection.execute(
        text("DELETE FROM webhook_nonces WHERE seen_at < :before"), {"before": _utc(now) - 2 * MAX_SKEW}
    )
    inserted = connection.execute(
        text(
            "INSERT INTO webhook_nonces (provider, nonce, seen_at) VALUES (:p, :n, :at) "
            "ON CONFLICT (provider, nonce) DO NOTHING"
        ),
        {"p": provider, "n": nonce[:100], "at": _utc(now)},
    )
    if not inserted.rowcount:
        raise Replayed(f"callback replayed: nonce {nonce!r} was already used")


# --- receipts --------------------------------------------------------------------------------------

_DELIVERY_SCHEMA = {
    "action_key": pl.Int64(),
    "account_key": pl.Int64(),
    "idempotency_key": pl.String(),
    "provider_message_id": pl.String(),
    "status": pl.String(),
    "channel": pl.String(),
}


def _deliveries_for(connection: Connection, provider: str, references: list[str]) -> pl.DataFrame:
    return _frame(
        connection,
        "SELECT action_key, account_key, idempotency_key, provider_message_id, status, channel "
        "FROM deliveries "
        "WHERE provider = :provider AND (idempotency_key IN :refs OR provider_message_id IN :refs)",
        {"provider": provider, "refs": references},
        _DELIVERY_SCHEMA,
    )


def apply_receipts(
    connection: Connection, db: Database, provider: str, receipts: Sequence[Receipt], now: datetime
) -> dict[str, int]:
    """Apply delivery receipts: statuses move forward only, and each known outcome becomes an outbound
    contact event. Any receipt naming a message we did not send through ``provider`` refuses them all."""
    if not receipts:
        return {"receipts": 0}
    incoming = pl.DataFrame(
        {
            "reference": [r.reference for r in receipts],
            "new_status": [r.status for r in receipts],
            "at": [_utc(r.at) for r in receipts],
            "offset": [int((r.at.utcoffset() or timedelta()).total_seconds() // 60) for r in receipts],
            "error": [r.error for r in receipts],
        },
        schema={
            "reference": pl.String,
            "new_status": pl.String,
            "at": UTC_INSTANT,
            "offset": pl.Int32,
            "error": pl.String,
        },
    )
    stored = _deliveries_for(connection, provider, incoming["reference"].unique().to_list())
    by_key = stored.join(incoming, left_on="idempotency_key", right_on="reference", how="inner")
    by_provider_id = stored.join(incoming, left_on="provider_message_id", right_on="reference", how="inner")
    matched = pl.concat([by_key, by_provider_id], how="vertical").unique(
        ["action_key", "new_status"], keep="first"
    )
    known = set(stored["idempotency_key"].to_list()) | set(
        stored["provider_message_id"].drop_nulls().to_list()
    )
    unknown = sorted({r for r in incoming["reference"].to_list() if r not in known})
    if unknown:
        raise UnknownMessages(unknown)

    latest = matched.sort("at").group_by("action_key").agg(pl.all().last())
    forward = latest.filter(
        pl.col("new_status").replace_strict(STATUS_RANK, default=0)
        >= pl.col("status").replace_strict(STATUS_RANK, default=0)
    ).filter(pl.col("new_status") != pl.col("status"))
    if not forward.is_empty():
        update_columns(
            connection,
            db,
            "deliveries",
            forward.select("action_key", status="new_status", error="error", updated_at=pl.lit(_utc(now))),
            "action_key",
        )
        update_columns(
            connection, db, "actions", forward.select(key="action_key", status="new_status"), "key"
        )
    events = contact_events(
        connection,
        db,
        matched.select(
            event_id=pl.concat_str([pl.col("idempotency_key"), pl.lit(":"), pl.col("new_status")]),
            account_key="account_key",
            at="at",
            utc_offset_minutes="offset",
            channel="channel",
            outcome="new_status",
            note=pl.coalesce(pl.col("error"), pl.col("provider_message_id")),
        ),
    )
    report = {"receipts": len(receipts), "status_changes": forward.height, "events": events.inserted}
    if forward.height or events.inserted:
        moves = forward.sort("action_key").select(
            "action_key", "channel", "idempotency_key", status="new_status", reason="error"
        )
        content = {
            "provider": provider,
            **report,
            "counts": move_counts(moves),
        }
        moved = record_transitions(connection, db, moves, now)
        audit.record(connection, "inbound.receipts", content, now, [moved, events.cover])
    return report


# --- replies ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReplyReport:
    received: int
    duplicates: int
    matched_accounts: int
    unmatched: int
    opt_outs: int
    disputes: int
    complaints: int
    hardship: int
    tasks: int

    def as_dict(self) -> dict[str, int]:
        return dict(self.__dict__)


def _reply_frame(provider: str, channel: str, replies: Sequence[Reply]) -> pl.DataFrame:
    frame = pl.DataFrame(
        {
            "message_id": [r.message_id for r in replies],
            "sender": [r.sender for r in replies],
            "text": [r.text for r in replies],
            "received_at": [_utc(r.at) for r in replies],
            "offset": [int((r.at.utcoffset() or timedelta()).total_seconds() // 60) for r in replies],
            "in_reply_to": [r.in_reply_to for r in replies],
            "signals": [";".join(sorted(classify_reply(r.text))) for r in replies],
        },
        schema={
            "message_id": pl.String,
            "sender": pl.String,
            "text": pl.String,
            "received_at": UTC_INSTANT,
            "offset": pl.Int32,
            "in_reply_to": pl.String,
            "signals": pl.String,
        },
    ).unique("message_id", keep="first", maintain_order=True)
    return frame.with_columns(
        provider=pl.lit(provider),
        channel=pl.lit(channel),
        sender_key=address_key(pl.col("sender"), channel),
        # An email's In-Reply-To is our Message-ID, <key@domain>: the key is what we look up.
        # A message to the List-Unsubscribe mailbox has subject STOP-<key>.
        in_reply_to=pl.coalesce(
            pl.col("in_reply_to").str.strip_chars(" <>").str.split("@").list.first(),
            pl.col("text").str.extract(r"STOP-([A-Za-z0-9._-]+)", 1),
        ),
    )


def _unseen(connection: Connection, provider: str, frame: pl.DataFrame) -> pl.DataFrame:
    seen = _frame(
        connection,
        "SELECT message_id FROM inbound_messages WHERE provider = :p AND message_id IN :ids",
        {"p": provider, "ids": frame["message_id"].to_list()},
        {"message_id": pl.String()},
    )
    return frame.join(seen, on="message_id", how="anti")


def _by_reference(connection: Connection, replies: pl.DataFrame) -> pl.DataFrame:
    references = replies["in_reply_to"].drop_nulls().unique().to_list()
    if not references:
        return pl.DataFrame(schema={"message_id": pl.String, "account_key": pl.Int64})
    deliveries = _frame(
        connection,
        "SELECT idempotency_key, account_key FROM deliveries WHERE idempotency_key IN :refs",
        {"refs": references},
        {"idempotency_key": pl.String(), "account_key": pl.Int64()},
    )
    return replies.join(deliveries, left_on="in_reply_to", right_on="idempotency_key").select(
        "message_id", "account_key"
    )


def _by_sender(connection: Connection, replies: pl.DataFrame, channel: str) -> pl.DataFrame:
    column = ADDRESS_COLUMN.get(channel)
    keys = replies["sender_key"].drop_nulls().unique().to_list()
    empty = pl.DataFrame(schema={"message_id": pl.String, "account_key": pl.Int64})
    if column is None or not keys:
        return empty
    if channel == "sms":
        clauses = " OR ".join(f"phone LIKE :p{i}" for i in range(len(keys)))
        params: dict[str, Any] = {f"p{i}": f"%{key[-4:]}%" for i, key in enumerate(keys)}
        where = f"({clauses})"
    elif channel == "email":
        where, params = "LOWER(email) IN :keys", {"keys": keys}
    else:
        where, params = f"{column} IN :keys", {"keys": keys}
    candidates = _frame(
        connection,
        f'SELECT "key" AS account_key, {column} AS address FROM accounts WHERE {where}',
        params,
        {"account_key": pl.Int64(), "address": pl.String()},
    )
    if channel == "sms":
        candidates = candidates.with_columns(pl.col("address").str.split(";")).explode("address")
    candidates = candidates.with_columns(sender_key=address_key(pl.col("address"), channel)).drop_nulls(
        "sender_key"
    )
    return replies.join(candidates, on="sender_key").select("message_id", "account_key")


def _match(connection: Connection, replies: pl.DataFrame, channel: str) -> pl.DataFrame:
    """(message_id, account_key) pairs: through the message answered when known, else the sender."""
    referenced = _by_reference(connection, replies)
    rest = replies.join(referenced.select("message_id").unique(), on="message_id", how="anti")
    return pl.concat([referenced, _by_sender(connection, rest, channel)]).unique()


def _signal_rows(matched: pl.DataFrame) -> pl.DataFrame:
    return (
        matched.with_columns(signal=pl.col("signals").str.split(";"))
        .explode("signal")
        .filter(pl.col("signal") != "")
    )


def _events(matched: pl.DataFrame, signals: pl.DataFrame, channel: str) -> pl.DataFrame:
    base = pl.concat_str(
        [
            pl.lit("reply:"),
            pl.col("provider"),
            pl.lit(":"),
            pl.col("message_id"),
            pl.lit(":"),
            pl.col("account_key").cast(pl.String),
        ]
    )
    replied = matched.select(
        event_id=base,
        account_key="account_key",
        at="received_at",
        utc_offset_minutes="offset",
        type=pl.lit("contact"),
        channel=pl.lit(channel),
        direction=pl.lit("inbound"),
        outcome=pl.lit("replied"),
        note=pl.col("text").str.slice(0, 500),
    )
    flagged = signals.filter(pl.col("signal").is_in(list(EVENT_FOR_SIGNAL))).select(
        event_id=pl.concat_str([base, pl.lit(":"), pl.col("signal")]),
        account_key="account_key",
        at="received_at",
        utc_offset_minutes="offset",
        type=pl.col("signal").replace_strict(EVENT_FOR_SIGNAL),
        channel=pl.when(pl.col("signal") == "stop")
        .then(pl.lit(channel))
        .otherwise(pl.lit(None, dtype=pl.String)),
        direction=pl.lit(None, dtype=pl.String),
        outcome=pl.lit(None, dtype=pl.String),
        note=pl.col("text").str.slice(0, 500),
    )
    return pl.concat([replied, flagged])


@dataclass(frozen=True)
class _Applied:
    accounts: int  # accounts whose opt-outs or flags changed
    cancelled: pl.DataFrame  # the queued actions an opt-out cancelled, as moves


_NOTHING_CANCELLED = pl.DataFrame(schema={"action_key": pl.Int64, "channel": pl.String})


def _apply_now(connection: Connection, db: Database, signals: pl.DataFrame, channel: str) -> _Applied:
    """Opt-outs and flags take effect on the accounts at once (the update step later applies the same
    events again, which changes nothing)."""
    changes = (
        signals.filter(pl.col("signal").is_in(["stop", *FLAG_FOR_SIGNAL]))
        .group_by("account_key")
        .agg(
            stop=(pl.col("signal") == "stop").any(),
            flags=pl.col("signal").filter(pl.col("signal").is_in(list(FLAG_FOR_SIGNAL))).unique(),
        )
    )
    if changes.is_empty():
        return _Applied(0, _NOTHING_CANCELLED)
    current = _frame(
        connection,
        'SELECT "key", flags, opted_out FROM accounts WHERE "key" IN :keys',
        {"keys": changes["account_key"].to_list()},
        {"key": pl.Int64(), "flags": pl.String(), "opted_out": pl.String()},
    )

    def merged(column: str, added: pl.Expr) -> pl.Expr:
        items = pl.col(column).fill_null("").str.split(";").list.concat(added)
        return (
            items.list.eval(pl.element().filter(pl.element() != "")).list.unique().list.sort().list.join(";")
        )

    updated = current.join(changes, left_on="key", right_on="account_key").select(
        "key",
        flags=merged("flags", pl.col("flags_right").cast(pl.List(pl.String))),
        opted_out=merged(
            "opted_out",
            pl.when(pl.col("stop")).then(pl.lit([channel])).otherwise(pl.lit([], dtype=pl.List(pl.String))),
        ),
    )
    changed = current.join(updated, on="key").filter(
        (pl.col("flags").fill_null("") != pl.col("flags_right"))
        | (pl.col("opted_out").fill_null("") != pl.col("opted_out_right"))
    )
    update_columns(connection, db, "accounts", updated, "key")
    stopped = changes.filter(pl.col("stop"))["account_key"].to_list()
    if not stopped:
        return _Applied(changed.height, _NOTHING_CANCELLED)
    cancelled = connection.execute(
        text(
            "UPDATE actions SET status = 'cancelled' "
            "WHERE status = 'queued' AND channel = :channel AND account_key IN :keys RETURNING \"key\""
        ).bindparams(bindparam("keys", expanding=True)),
        {"channel": channel, "keys": stopped},
    ).all()
    keys = pl.Series("action_key", sorted(int(row[0]) for row in cancelled), dtype=pl.Int64)
    return _Applied(changed.height, pl.DataFrame([keys]).with_columns(channel=pl.lit(channel)))


def _tasks(
    matched: pl.DataFrame, signals: pl.DataFrame, unmatched: pl.DataFrame, now: datetime
) -> pl.DataFrame:
    reference = pl.concat_str(
        [
            pl.col("provider"),
            pl.lit(":"),
            pl.col("message_id"),
            pl.lit(":"),
            pl.col("account_key").cast(pl.String),
        ]
    )
    by_signal = signals.filter(pl.col("signal").is_in(list(TASK_FOR_SIGNAL))).select(
        account_key="account_key",
        kind=pl.col("signal").replace_strict(TASK_FOR_SIGNAL),
        reference=reference,
        note="text",
    )
    plain = matched.filter(pl.col("signals") == "").select(
        account_key="account_key", kind=pl.lit("reply"), reference=reference, note="text"
    )
    orphan = unmatched.select(
        account_key=pl.lit(None, dtype=pl.Int64),
        kind=pl.lit("unmatched_reply"),
        reference=pl.concat_str([pl.col("provider"), pl.lit(":"), pl.col("message_id")]),
        note=pl.concat_str([pl.lit("from "), pl.col("sender"), pl.lit(": "), pl.col("text")]),
    )
    tasks = pl.concat([by_signal, plain, orphan])
    return tasks.with_columns(
        status=pl.lit("open"),
        source=pl.lit("reply"),
        created_at=pl.lit(_utc(now)),
    )


def record_replies(
    connection: Connection, db: Database, provider: str, channel: str, replies: Sequence[Reply], now: datetime
) -> ReplyReport:
    """Store and act on inbound replies (see the module docstring)."""
    incoming = _reply_frame(provider, channel, replies)
    fresh = _unseen(connection, provider, incoming) if not incoming.is_empty() else incoming
    if fresh.is_empty():
        return ReplyReport(len(replies), len(replies), 0, 0, 0, 0, 0, 0, 0)
    pairs = _match(connection, fresh, channel)
    matched = fresh.join(pairs, on="message_id")
    unmatched = fresh.join(pairs.select("message_id").unique(), on="message_id", how="anti")
    accounts = pairs.group_by("message_id").agg(
        account_keys=pl.col("account_key").sort().cast(pl.String).str.join(";")
    )
    stored = fresh.join(accounts, on="message_id", how="left").select(
        "provider",
        "message_id",
        "channel",
        "sender",
        "text",
        "received_at",
        "in_reply_to",
        pl.col("account_keys").fill_null(""),
        "signals",
        created_at=pl.lit(_utc(now)),
    )
    kept = _keyed(connection, db, "inbound_messages", stored)
    inserted = insert_new(connection, db, "inbound_messages", kept, ("provider", "message_id"))
    signals = _signal_rows(matched)
    events = store_events(connection, db, _events(matched, signals, channel))
    applied = _apply_now(connection, db, signals, channel)
    new_tasks = _keyed(connection, db, "tasks", _tasks(matched, signals, unmatched, now))
    tasks = insert_new(connection, db, "tasks", new_tasks, ("kind", "reference"))
    count = signals.group_by("signal").len()
    per_signal = {str(k): int(v) for k, v in count.iter_rows()}
    report = ReplyReport(
        received=len(replies),
        duplicates=len(replies) - fresh.height,
        matched_accounts=matched.height,
        unmatched=unmatched.height,
        opt_outs=per_signal.get("stop", 0),
        disputes=per_signal.get("dispute", 0),
        complaints=per_signal.get("complaint", 0),
        hardship=per_signal.get("hardship", 0),
        tasks=tasks,
    )
    moves = applied.cancelled.with_columns(
        status=pl.lit("cancelled"), reason=pl.lit(f"debtor opted out of {channel} by reply")
    )
    content = {
        "provider": provider,
        "channel": channel,
        **report.as_dict(),
        "events": events.inserted,
        "accounts_changed": applied.accounts,
        "actions_cancelled": moves.height,
    }
    covers = [
        audit.written_cover(connection, "inbound_messages", kept, inserted),
        events.cover,
        audit.written_cover(connection, "tasks", new_tasks, tasks, exclude=("status",)),
        record_transitions(connection, db, moves, now),
    ]
    audit.record(connection, "inbound.replies", content, now, covers)
    return report
