"""The audit log's storage: append in the caller's transaction, sign checkpoints, verify, purge.

Tables: ``audit_log`` (the chain), ``audit_head`` (one row: the last entry, so that deleting the newest
entries shows) and ``audit_checkpoints`` (Ed25519 signatures over entry hashes). Appenders serialise on
the head row (SQLite's BEGIN IMMEDIATE already serialises writers).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import cast

import polars as pl
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from sqlalchemy import BigInteger, Connection, Integer, String, Table, Text, select, text, update
from sqlalchemy.orm import Mapped, mapped_column

from recoup.adapters.db.bulk import read_frame, sql_literal
from recoup.adapters.db.engine import Database
from recoup.adapters.db.tables import Base, Instant, Key
from recoup.core import audit as core
from recoup.core.audit import (
    PURGE_KIND,
    Break,
    Checkpoint,
    Cover,
    Entry,
    Equals,
    Head,
    KeyRange,
    LogEntry,
    Reason,
)
from recoup.core.errors import RecoupError, ValidationError

HEAD_ID = 1


class AuditLogRow(Base):
    __tablename__ = "audit_log"

    seq: Mapped[int] = mapped_column(Key, primary_key=True, autoincrement=False)
    at: Mapped[datetime] = mapped_column(Instant, index=True)
    kind: Mapped[str] = mapped_column(String(50))
    content: Mapped[str | None] = mapped_column(Text)
    content_sha256: Mapped[str] = mapped_column(String(64))
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class AuditHeadRow(Base):
    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    seq: Mapped[int] = mapped_column(BigInteger)
    hash: Mapped[str] = mapped_column(String(64))


class AuditCheckpointRow(Base):
    __tablename__ = "audit_checkpoints"

    seq: Mapped[int] = mapped_column(Key, primary_key=True, autoincrement=False)
    entry_hash: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(Instant)
    public_key: Mapped[str] = mapped_column(String(64))
    signature: Mapped[str] = mapped_column(String(128))


LOG = cast(Table, AuditLogRow.__table__)
HEAD = cast(Table, AuditHeadRow.__table__)
CHECKPOINTS = cast(Table, AuditCheckpointRow.__table__)


class AuditTampered(RecoupError):
    """The log cannot be appended to: its head record is gone."""

    status_code = 500


# Appending --------------------------------------------------------------------------------------


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _locked_head(connection: Connection) -> Head:
    row = connection.execute(
        select(HEAD.c.seq, HEAD.c.hash).where(HEAD.c.id == HEAD_ID).with_for_update()
    ).one_or_none()
    if row is None:
        raise AuditTampered("the audit log's head record is missing; run `recoup audit verify`")
    return Head(int(row.seq), str(row.hash))


def append(connection: Connection, entries: Sequence[Entry], now: datetime) -> list[LogEntry]:
    """Chain ``entries`` onto the log inside the caller's transaction (they commit or vanish with it)."""
    if not entries:
        return []
    linked = core.chain(entries, _locked_head(connection), _utc(now))
    connection.execute(
        LOG.insert(),
        [
            {
                "seq": e.seq,
                "at": e.at,
                "kind": e.kind,
                "content": e.content,
                "content_sha256": e.content_sha256,
                "prev_hash": e.prev_hash,
                "hash": e.hash,
            }
            for e in linked
        ],
    )
    last = linked[-1]
    connection.execute(update(HEAD).where(HEAD.c.id == HEAD_ID).values(seq=last.seq, hash=last.hash))
    return linked


def record(
    connection: Connection,
    kind: str,
    content: Mapping[str, object],
    now: datetime,
    covers: Sequence[Cover | None] = (),
) -> LogEntry:
    """Append one entry; ``None`` covers (nothing was written) are left out."""
    entry = Entry(kind, content, tuple(c for c in covers if c is not None))
    return append(connection, [entry], now)[0]


def written_cover(
    connection: Connection, table: str, frame: pl.DataFrame, inserted: int, *, exclude: Sequence[str] = ()
) -> Cover | None:
    """A cover of the rows of ``frame`` that an insert just stored (``inserted`` of them: rows skipped as
    already present are looked up in the open transaction). None when nothing was stored."""
    if inserted == 0 or frame.is_empty():
        return None
    if inserted != frame.height:
        keys = frame.get_column("key")
        stored = connection.execute(
            text(f'SELECT "key" FROM "{table}" WHERE "key" BETWEEN :low AND :high'),
            {"low": keys.min(), "high": keys.max()},
        )
        frame = frame.filter(pl.col("key").is_in([row[0] for row in stored]))
    return core.key_range_cover(table, frame, exclude=exclude)


def matching_cover(table: str, frame: pl.DataFrame, column: str, value: date | int) -> Cover:
    """A cover of every row of ``table`` whose ``column`` equals ``value``, as written in ``frame`` (its
    first column is the table's key)."""
    return core.cover(table, frame, Equals(column, value))


# Checkpoints ------------------------------------------------------------------------------------


def signing_key(hex_key: str) -> Ed25519PrivateKey:
    """The Ed25519 private key from settings (64 hex digits: the raw 32-byte seed)."""
    try:
        return Ed25519PrivateKey.from_private_bytes(bytes.fromhex(hex_key.strip()))
    except ValueError:
        raise ValidationError(
            "the audit signing key must be 64 hex digits (a raw Ed25519 private key)",
            field="audit_signing_key",
        ) from None


def public_key_hex(key: Ed25519PrivateKey) -> str:
    return key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw).hex()


def new_signing_key() -> str:
    """A fresh private key as 64 hex digits, for RECOUP_AUDIT_SIGNING_KEY."""
    return Ed25519PrivateKey.generate().private_bytes_raw().hex()


def checkpoint(connection: Connection, key: Ed25519PrivateKey, now: datetime) -> Checkpoint | None:
    """Sign the newest entry (in the caller's transaction); None when the log is empty or already signed."""
    head = _locked_head(connection)
    signed = connection.execute(select(CHECKPOINTS.c.seq).where(CHECKPOINTS.c.seq == head.seq)).first()
    if head.seq == 0 or signed is not None:
        return None
    at = _utc(now)
    signature = key.sign(core.checkpoint_payload(head.seq, head.hash, at)).hex()
    made = Checkpoint(head.seq, head.hash, at, public_key_hex(key), signature)
    connection.execute(CHECKPOINTS.insert().values(**vars(made)))
    return made


def _signature_checker(pinned: str | None) -> core.SignatureCheck:
    def valid(checkpoint: Checkpoint) -> bool:
        if pinned is not None and checkpoint.public_key != pinned:
            return False
        try:
            public = Ed25519PublicKey.from_public_bytes(bytes.fromhex(checkpoint.public_key))
            public.verify(bytes.fromhex(checkpoint.signature), checkpoint.payload())
        except (ValueError, InvalidSignature):
            return False
        return True

    return valid


# Verifying --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class VerifyReport:
    entries: int
    checkpoints: int
    purged: int
    covers_checked: int
    first_break: Break | None
    key_pinned: bool

    @property
    def intact(self) -> bool:
        return self.first_break is None

    def summary(self) -> str:
        if self.first_break is not None:
            return f"audit log broken at {self.first_break.describe()}"
        return f"audit log intact: {self.entries} entries, {self.checkpoints} checkpoints"


def _entries(connection: Connection) -> list[LogEntry]:
    rows = connection.execute(select(LOG).order_by(LOG.c.seq))
    return [
        LogEntry(r.seq, _utc(r.at), r.kind, r.content, r.content_sha256, r.prev_hash, r.hash) for r in rows
    ]


def _checkpoints(connection: Connection) -> list[Checkpoint]:
    rows = connection.execute(select(CHECKPOINTS).order_by(CHECKPOINTS.c.seq))
    return [Checkpoint(r.seq, r.entry_hash, _utc(r.at), r.public_key, r.signature) for r in rows]


def _head(connection: Connection) -> Head | None:
    row = connection.execute(select(HEAD.c.seq, HEAD.c.hash).where(HEAD.c.id == HEAD_ID)).one_or_none()
    return Head(int(row.seq), str(row.hash)) if row is not None else None


def _cover_sql(cover: Cover) -> str:
    columns = ", ".join(f'"{name}"' for name, _ in cover.columns)
    where = cover.where
    if isinstance(where, KeyRange):
        condition = f'"{where.column}" BETWEEN {where.low} AND {where.high}'
    else:
        condition = f'"{where.column}" = {sql_literal(where.value)}'
    return f'SELECT {columns} FROM "{cover.table}" WHERE {condition}'


def stored_digest(db: Database, cover: Cover) -> tuple[int, str]:
    """Row count and digest of what is stored now for the rows ``cover`` names."""
    schema = {name: core.polars_type(kind) for name, kind in cover.columns}
    frame = read_frame(db, _cover_sql(cover), schema)
    return frame.height, core.rows_digest(frame, cover.columns)


def _cover_break(db: Database, entry: LogEntry) -> tuple[int, Break | None]:
    checked = 0
    for cover in entry.covers():
        checked += 1
        try:
            rows, digest = stored_digest(db, cover)
        except Exception as exc:  # a tampered column may not even read back as its type
            return checked, Break(entry.seq, Reason.ROWS_CHANGED, f"{cover.table} rows unreadable: {exc}")
        if digest != cover.sha256:
            detail = f"{cover.table} rows {_describe(cover)} changed ({rows} stored, {cover.rows} recorded)"
            return checked, Break(entry.seq, Reason.ROWS_CHANGED, detail)
    return checked, None


def _describe(cover: Cover) -> str:
    where = cover.where
    if isinstance(where, KeyRange):
        return f"with {where.column} {where.low}..{where.high}"
    return f"with {where.column} = {where.value}"


def verify(db: Database, *, public_key: str | None = None) -> VerifyReport:
    """Check the whole log: links, hashes, head, signed checkpoints (against ``public_key`` when given),
    then recompute the digest of every covered set of rows. Names the first broken entry."""
    with db.engine.connect() as connection:
        entries = _entries(connection)
        checkpoints = _checkpoints(connection)
        head = _head(connection)
    chain = core.verify_chain(entries, head, checkpoints, _signature_checker(public_key))
    first = chain.first_break
    covers_checked = 0
    for entry in entries:
        if first is not None and entry.seq >= first.seq:
            break
        try:
            checked, found = _cover_break(db, entry)
        except (ValueError, KeyError, TypeError) as exc:
            checked, found = 0, Break(entry.seq, Reason.EDITED, f"its covers are malformed: {exc}")
        covers_checked += checked
        if found is not None:
            first = found
            break
    return VerifyReport(
        chain.entries, chain.checkpoints, chain.purged, covers_checked, first, public_key is not None
    )


# Purging ----------------------------------------------------------------------------------------


def purge(connection: Connection, before: datetime, now: datetime) -> int:
    """Drop the content of entries older than ``before``, keeping their hashes so the chain verifies;
    records the purge as an entry of its own. Returns how many entries were purged."""
    cutoff = _utc(before)
    if cutoff > _utc(now):
        raise ValidationError("cannot purge audit records from the future", field="before")
    result = connection.execute(
        update(LOG).where(LOG.c.at < cutoff, LOG.c.content.is_not(None)).values(content=None)
    )
    purged = int(result.rowcount or 0)
    record(connection, PURGE_KIND, {"before": cutoff, "entries_purged": purged}, now)
    return purged
