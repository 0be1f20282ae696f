"""The tamper-evident audit log, pure: canonical contents, the hash chain, row digests and verification.

Every entry's hash covers its sequence number, time, kind, the SHA-256 of its content and the previous
entry's hash, so that a purged entry (content dropped, hashes kept) still verifies. An entry may cover
rows of a table: it records which rows (a key range or a column value), which columns, how many and the
SHA-256 of their canonical bytes; verification recomputes that digest from the stored rows.

Canonical row bytes (format 1), column by column so that a digest is a few vector passes: the header
``recoup-rows-v1:<rows>:<type,type,...>\n``, then for each column, rows sorted by the first column (the
table's key): one byte per row (1 null, 0 not), then the values, nulls as zero: int as int64, float as
binary64, bool as one byte, date as int32 days and instant as int64 microseconds since 1970-01-01 UTC,
all little-endian; a string column as uint32 UTF-8 byte lengths followed by all the UTF-8 bytes.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
import struct
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from typing import Any, Literal, TypeAlias, cast, get_args

import numpy as np
import polars as pl

FORMAT_VERSION = 1
GENESIS_HASH = "0" * 64
PURGE_KIND = "audit.purge"

ColumnType: TypeAlias = Literal["int", "str", "bool", "date", "instant", "float"]
COLUMN_TYPES: tuple[str, ...] = get_args(ColumnType)
_IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")
_HEX64 = re.compile(r"^[0-9a-f]{64}$")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_STRUCT: dict[str, str] = {"int": "<q", "float": "<d", "bool": "<B", "date": "<i", "instant": "<q"}
_LITTLE: dict[str, str] = {"int": "<i8", "float": "<f8", "bool": "u1", "date": "<i4", "instant": "<i8"}


# Canonical JSON ---------------------------------------------------------------------------------


def instant_text(moment: datetime) -> str:
    """An instant as canonical UTC text with microseconds; naive datetimes are taken as UTC."""
    utc = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    return (
        f"{utc.year:04d}-{utc.month:02d}-{utc.day:02d}T"
        f"{utc.hour:02d}:{utc.minute:02d}:{utc.second:02d}.{utc.microsecond:06d}Z"
    )


def _plain(value: object) -> object:
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        # JSON has no NaN or infinity; their names keep a statistic's record instead of failing the step.
        return value if math.isfinite(value) else json.dumps(value)
    if isinstance(value, datetime):
        return instant_text(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Mapping):
        if not all(isinstance(k, str) for k in value):
            raise TypeError("audit content keys must be strings")
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    raise TypeError(f"audit contents cannot hold a {type(value).__name__}")


def canonical_json(value: object) -> str:
    """Sorted keys, no spaces, UTF-8 text as is; dates and instants as ISO text. Money is int minor units."""
    return json.dumps(
        _plain(value), sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    )


def sha256_hex(text: str | bytes) -> str:
    return hashlib.sha256(text.encode() if isinstance(text, str) else text).hexdigest()


# Row digests --------------------------------------------------------------------------------------


def column_type(dtype: pl.DataType) -> ColumnType:
    if dtype.is_integer():
        return "int"
    if dtype.is_float():
        return "float"
    if dtype == pl.Boolean:
        return "bool"
    if dtype == pl.Date:
        return "date"
    if isinstance(dtype, pl.Datetime):
        return "instant"
    if dtype in (pl.String, pl.Null, pl.Categorical) or isinstance(dtype, pl.Enum):
        return "str"
    raise TypeError(f"no canonical text for {dtype}")


def polars_type(kind: ColumnType) -> pl.DataType:
    """The dtype a stored column is read back as before its digest is recomputed."""
    return {
        "int": pl.Int64(),
        "str": pl.String(),
        "bool": pl.Boolean(),
        "date": pl.Date(),
        "instant": pl.Datetime("us", "UTC"),
        "float": pl.Float64(),
    }[kind]


def _fixed_width(series: pl.Series, kind: ColumnType) -> np.ndarray:
    if kind == "instant":
        zoned = series.dt.convert_time_zone("UTC") if getattr(series.dtype, "time_zone", None) else series
        return zoned.dt.epoch("us").fill_null(0).to_numpy()
    dtype = {"int": pl.Int64(), "float": pl.Float64(), "bool": pl.UInt8(), "date": pl.Int32()}[kind]
    return series.cast(dtype).fill_null(0).to_numpy()


def _update_column(hasher: Any, series: pl.Series, kind: ColumnType) -> None:
    hasher.update(series.is_null().cast(pl.UInt8).to_numpy().tobytes())
    if kind != "str":
        hasher.update(np.ascontiguousarray(_fixed_width(series, kind)).astype(_LITTLE[kind]).tobytes())
        return
    text = series.cast(pl.String)
    hasher.update(text.str.len_bytes().fill_null(0).to_numpy().astype("<u4").tobytes())
    joined = text.fill_null("").str.join("").cast(pl.Binary).item()
    hasher.update(joined)


def _header(rows: int, kinds: Sequence[ColumnType]) -> bytes:
    return f"recoup-rows-v{FORMAT_VERSION}:{rows}:{','.join(kinds)}\n".encode()


def rows_digest(frame: pl.DataFrame, columns: Sequence[tuple[str, ColumnType]]) -> str:
    """SHA-256 of ``frame``'s ``columns`` in canonical bytes, rows sorted by the first column (columnar)."""
    picked = frame.select([name for name, _ in columns]).sort(columns[0][0])
    hasher = hashlib.sha256(_header(picked.height, [kind for _, kind in columns]))
    for name, kind in columns:
        _update_column(hasher, picked.get_column(name), kind)
    return hasher.hexdigest()


def _scalar_value(value: object, kind: ColumnType) -> bytes:
    if kind == "str":
        return b"" if value is None else str(value).encode()
    if value is None:
        return struct.pack(_STRUCT[kind], 0)
    if kind == "instant":
        moment = cast(datetime, value)
        utc = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment
        micros = (utc - _EPOCH) // timedelta(microseconds=1)
        return struct.pack("<q", micros)
    if kind == "date":
        return struct.pack("<i", (cast(date, value) - _EPOCH.date()).days)
    return struct.pack(_STRUCT[kind], value)


def rows_digest_scalar(rows: Iterable[Sequence[object]], kinds: Sequence[ColumnType]) -> str:
    """`rows_digest` value by value, for tests and for anyone re-implementing the format."""
    ordered = sorted(rows, key=lambda row: (row[0] is not None, row[0]))
    hasher = hashlib.sha256(_header(len(ordered), kinds))
    for index, kind in enumerate(kinds):
        values = [row[index] for row in ordered]
        hasher.update(bytes(1 if v is None else 0 for v in values))
        if kind == "str":
            texts = [b"" if v is None else str(v).encode() for v in values]
            hasher.update(b"".join(struct.pack("<I", len(t)) for t in texts))
            hasher.update(b"".join(texts))
        else:
            hasher.update(b"".join(_scalar_value(v, kind) for v in values))
    return hasher.hexdigest()


# Covers: which stored rows an entry vouches for ------------------------------------------------------


@dataclass(frozen=True)
class KeyRange:
    """Rows whose ``column`` lies in [low, high]."""

    column: str
    low: int
    high: int


@dataclass(frozen=True)
class Equals:
    """Rows whose ``column`` equals ``value`` (a date or an integer)."""

    column: str
    value: date | int


@dataclass(frozen=True)
class Cover:
    """Rows of ``table`` an entry vouches for: their count and the digest of their canonical text."""

    table: str
    columns: tuple[tuple[str, ColumnType], ...]
    where: KeyRange | Equals
    rows: int
    sha256: str

    def as_json(self) -> dict[str, object]:
        if isinstance(self.where, KeyRange):
            where: dict[str, object] = {
                "column": self.where.column,
                "between": [self.where.low, self.where.high],
            }
        else:
            kind = "int" if isinstance(self.where.value, int) else "date"
            value = self.where.value
            where = {
                "column": self.where.column,
                "equals": value if kind == "int" else str(value),
                "type": kind,
            }
        return {
            "table": self.table,
            "columns": [list(c) for c in self.columns],
            "where": where,
            "rows": self.rows,
            "sha256": self.sha256,
        }

    @classmethod
    def from_json(cls, data: object) -> Cover:
        """Parse and validate a stored cover (names become SQL identifiers, so they are checked)."""
        if not isinstance(data, dict):
            raise ValueError("a cover must be an object")
        columns = tuple((str(name), str(kind)) for name, kind in data["columns"])
        names = [data["table"], *(name for name, _ in columns), data["where"]["column"]]
        if not columns or not all(isinstance(n, str) and _IDENTIFIER.match(n) for n in names):
            raise ValueError(f"a cover names an invalid table or column: {names}")
        if any(kind not in COLUMN_TYPES for _, kind in columns):
            raise ValueError("a cover names an unknown column type")
        rows, digest = data["rows"], data["sha256"]
        if type(rows) is not int or not isinstance(digest, str) or not _HEX64.match(digest):
            raise ValueError("a cover's row count or digest is malformed")
        return cls(
            data["table"],
            cast(tuple[tuple[str, ColumnType], ...], columns),
            _where(data["where"]),
            rows,
            digest,
        )


def _where(data: dict[str, object]) -> KeyRange | Equals:
    column = str(data["column"])
    if "between" in data:
        low, high = cast(list[object], data["between"])
        if type(low) is not int or type(high) is not int:
            raise ValueError("a key range must be two integers")
        return KeyRange(column, low, high)
    value = data["equals"]
    if data.get("type") == "date" and isinstance(value, str):
        return Equals(column, date.fromisoformat(value))
    if data.get("type") == "int" and type(value) is int:
        return Equals(column, value)
    raise ValueError("a cover's filter is malformed")


def cover(table: str, frame: pl.DataFrame, where: KeyRange | Equals, *, exclude: Sequence[str] = ()) -> Cover:
    """A cover of ``frame`` (rows as written to ``table``; its first column is the table's key)."""
    columns = tuple(
        (name, column_type(dtype)) for name, dtype in frame.schema.items() if name not in set(exclude)
    )
    return Cover(table, columns, where, frame.height, rows_digest(frame, columns))


def key_range_cover(
    table: str, frame: pl.DataFrame, key: str = "key", *, exclude: Sequence[str] = ()
) -> Cover:
    """A cover of freshly inserted rows, selected later by the range of their keys."""
    keys = frame.get_column(key)
    low, high = keys.min(), keys.max()
    assert isinstance(low, int) and isinstance(high, int), "a key range cover needs rows"
    return cover(table, frame.select(key, pl.exclude(key)), KeyRange(key, low, high), exclude=exclude)


# Entries and the chain --------------------------------------------------------------------------


@dataclass(frozen=True)
class Entry:
    """What to append: a kind (``import.accounts``, ``run.queue``, ...), content, and covered rows."""

    kind: str
    content: Mapping[str, object]
    covers: tuple[Cover, ...] = ()

    def content_text(self) -> str:
        if "covers" in self.content:
            raise ValueError("'covers' is reserved in audit contents")
        body = {**self.content, "covers": [c.as_json() for c in self.covers]} if self.covers else self.content
        return canonical_json(body)


@dataclass(frozen=True)
class LogEntry:
    """A stored entry. ``content`` is the canonical JSON text, or None once purged."""

    seq: int
    at: datetime
    kind: str
    content: str | None
    content_sha256: str
    prev_hash: str
    hash: str

    def covers(self) -> tuple[Cover, ...]:
        if self.content is None:
            return ()
        body = json.loads(self.content)
        return tuple(Cover.from_json(c) for c in body.get("covers", ())) if isinstance(body, dict) else ()


@dataclass(frozen=True)
class Head:
    """The last appended entry, kept apart from the log so that deleting the newest entries shows."""

    seq: int
    hash: str


GENESIS = Head(0, GENESIS_HASH)


def entry_hash(seq: int, at: datetime, kind: str, content_sha256: str, prev_hash: str) -> str:
    fields = {
        "v": FORMAT_VERSION,
        "seq": seq,
        "at": at,
        "kind": kind,
        "content": content_sha256,
        "prev": prev_hash,
    }
    return sha256_hex(canonical_json(fields))


def chain(entries: Sequence[Entry], head: Head, at: datetime) -> list[LogEntry]:
    """Link ``entries`` after ``head``: sequence numbers follow on and each hash covers the previous one."""
    linked: list[LogEntry] = []
    seq, prev = head.seq, head.hash
    for entry in entries:
        seq += 1
        content = entry.content_text()
        content_sha = sha256_hex(content)
        digest = entry_hash(seq, at, entry.kind, content_sha, prev)
        linked.append(LogEntry(seq, at, entry.kind, content, content_sha, prev, digest))
        prev = digest
    return linked


# Checkpoints ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Checkpoint:
    """A signature (Ed25519, hex) over the hash of entry ``seq``; anyone with the public key can check it."""

    seq: int
    entry_hash: str
    at: datetime
    public_key: str
    signature: str

    def payload(self) -> bytes:
        return checkpoint_payload(self.seq, self.entry_hash, self.at)


SignatureCheck: TypeAlias = Callable[[Checkpoint], bool]


def checkpoint_payload(seq: int, entry_hash: str, at: datetime) -> bytes:
    """The exact bytes a checkpoint signs."""
    body = {"v": FORMAT_VERSION, "type": "recoup-audit-checkpoint", "seq": seq, "hash": entry_hash, "at": at}
    return canonical_json(body).encode()


# Verification -----------------------------------------------------------------------------------


class Reason(StrEnum):
    EDITED = "edited"
    MISSING = "missing"
    REORDERED = "reordered"
    INSERTED = "inserted"
    BAD_CHECKPOINT = "bad checkpoint signature"
    ROWS_CHANGED = "covered rows changed"


@dataclass(frozen=True)
class Break:
    """The first place the log stops proving itself."""

    seq: int
    reason: Reason
    detail: str

    def describe(self) -> str:
        return f"entry {self.seq}: {self.reason.value}: {self.detail}"


@dataclass(frozen=True)
class ChainReport:
    entries: int
    checkpoints: int
    purged: int
    first_break: Break | None

    @property
    def intact(self) -> bool:
        return self.first_break is None


def _purge_allowance(entries: Sequence[LogEntry]) -> list[datetime | None]:
    """For each entry, the latest `before` of a purge recorded after it: only older content may be gone."""
    allowance: list[datetime | None] = [None] * len(entries)
    latest: datetime | None = None
    for index in range(len(entries) - 1, -1, -1):
        allowance[index] = latest
        entry = entries[index]
        if entry.kind == PURGE_KIND and entry.content is not None:
            before = _purge_before(entry.content)
            if before is not None and (latest is None or before > latest):
                latest = before
    return allowance


def _purge_before(content: str) -> datetime | None:
    try:
        return datetime.fromisoformat(json.loads(content)["before"])
    except (ValueError, KeyError, TypeError):
        return None


def _entry_break(
    entry: LogEntry, expected_prev: str, hashes: Mapping[str, int], allowed: datetime | None
) -> Break | None:
    if entry.prev_hash != expected_prev:
        moved = hashes.get(entry.prev_hash)
        if moved is not None:
            return Break(entry.seq, Reason.REORDERED, f"it follows entry {moved}, not entry {entry.seq - 1}")
        return Break(entry.seq, Reason.EDITED, f"its link to entry {entry.seq - 1} is broken")
    if entry_hash(entry.seq, entry.at, entry.kind, entry.content_sha256, entry.prev_hash) != entry.hash:
        return Break(entry.seq, Reason.EDITED, "its hash does not match its sequence, time, kind and content")
    if entry.content is None:
        at = entry.at.replace(tzinfo=UTC) if entry.at.tzinfo is None else entry.at
        if allowed is None or at >= allowed:
            return Break(entry.seq, Reason.EDITED, "its content was removed without a recorded purge")
    elif sha256_hex(entry.content) != entry.content_sha256:
        return Break(entry.seq, Reason.EDITED, "its content does not match its content hash")
    return None


def _checkpoint_break(entry: LogEntry, checkpoint: Checkpoint, signature_ok: SignatureCheck) -> Break | None:
    if not signature_ok(checkpoint):
        return Break(entry.seq, Reason.BAD_CHECKPOINT, "the checkpoint's signature does not verify")
    if checkpoint.entry_hash != entry.hash:
        return Break(entry.seq, Reason.EDITED, "the chain up to here was rewritten after it was signed")
    return None


def _head_break(last: LogEntry | None, head: Head | None) -> Break | None:
    last_seq = last.seq if last else 0
    if head is None:
        return Break(last_seq + 1, Reason.MISSING, "the log's head record is missing")
    if head.seq > last_seq:
        return Break(
            last_seq + 1, Reason.MISSING, f"the log ends at entry {last_seq} but its head records {head.seq}"
        )
    if head.seq < last_seq:
        return Break(
            head.seq + 1, Reason.INSERTED, f"it lies beyond the head, which records {head.seq} entries"
        )
    if head.hash != (last.hash if last else GENESIS_HASH):
        return Break(last_seq, Reason.EDITED, "it differs from the log's head record")
    return None


def verify_chain(
    entries: Sequence[LogEntry],
    head: Head | None,
    checkpoints: Sequence[Checkpoint],
    signature_ok: SignatureCheck,
) -> ChainReport:
    """Check ``entries`` (in stored sequence order) link up, hash right, match the head and the signed
    checkpoints; name the first broken sequence number and why."""
    purged = sum(e.content is None for e in entries)
    found = _first_break(entries, head, checkpoints, signature_ok)
    return ChainReport(len(entries), len(checkpoints), purged, found)


def _first_break(
    entries: Sequence[LogEntry],
    head: Head | None,
    checkpoints: Sequence[Checkpoint],
    signature_ok: SignatureCheck,
) -> Break | None:
    by_seq = {c.seq: c for c in checkpoints}
    if any(seq < 1 for seq in by_seq):
        return Break(1, Reason.BAD_CHECKPOINT, "a checkpoint names no entry")
    hashes = {e.hash: e.seq for e in entries}
    expected_seq, expected_prev = 1, GENESIS_HASH
    for entry, allowed in zip(entries, _purge_allowance(entries), strict=True):
        if entry.seq != expected_seq:
            return Break(expected_seq, Reason.MISSING, f"the next stored entry is {entry.seq}")
        found = _entry_break(entry, expected_prev, hashes, allowed)
        if found is None and entry.seq in by_seq:
            found = _checkpoint_break(entry, by_seq[entry.seq], signature_ok)
        if found is not None:
            return found
        expected_seq, expected_prev = entry.seq + 1, entry.hash
    found = _head_break(entries[-1] if entries else None, head)
    beyond = [seq for seq in by_seq if seq >= expected_seq]
    if found is None and beyond:
        found = Break(expected_seq, Reason.MISSING, f"a checkpoint signed entry {min(beyond)}")
    return found


def retention_cutoff(today: date, years: int) -> date:
    """The first day still kept under a retention of ``years`` (29 February falls back to the 28th)."""
    try:
        return today.replace(year=today.year - years)
    except ValueError:
        return today.replace(year=today.year - years, day=28)
