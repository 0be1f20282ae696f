"""The audit log on SQLite and PostgreSQL: atomic appends, tampering found and named, purge keeps it whole."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import select, text
from tests.integration.services.helpers import DATA, load_accounts, load_events, raw

from recoup.adapters.db import audit
from recoup.adapters.db.engine import Database
from recoup.bootstrap import App
from recoup.config import Settings
from recoup.core.audit import Checkpoint, Entry, Reason, canonical_json, entry_hash, sha256_hex
from recoup.entrypoints.jobs.daily import run_day
from recoup.services.daily_run import RunOptions

RUN_DATE = date(2026, 3, 1)
LATER = datetime(2026, 6, 1, tzinfo=UTC)
KEY = audit.new_signing_key()


def _app(db: Database, key: str | None = None) -> App:
    return App(settings=Settings(audit_signing_key=key), db=db, clock=lambda: LATER)


def _audited(db: Database, tmp_path: Path, key: str | None = None) -> None:
    load_accounts(db, raw((DATA / "accounts_small.csv").read_text(encoding="utf-8"), tmp_path))
    load_events(db, raw((DATA / "events_small.csv").read_text(encoding="utf-8"), tmp_path, "e.csv"))
    run_day(_app(db, key), RUN_DATE, RunOptions())


def _sql(db: Database, statement: str, **params: object) -> None:
    with db.engine.begin() as connection:
        connection.execute(text(statement), params)


def _seq_of(db: Database, kind: str) -> int:
    with db.engine.connect() as connection:
        return int(
            connection.execute(text("SELECT seq FROM audit_log WHERE kind = :k"), {"k": kind}).scalar_one()
        )


def _broken(db: Database, public_key: str | None = None) -> tuple[int, Reason]:
    report = audit.verify(db, public_key=public_key)
    assert report.first_break is not None, "tampering went unnoticed"
    return report.first_break.seq, report.first_break.reason


def test_append_in_a_rolled_back_transaction_leaves_nothing(db: Database) -> None:
    with pytest.raises(RuntimeError), db.engine.begin() as connection:
        audit.append(connection, [Entry("test", {"n": 1})], LATER)
        raise RuntimeError("the change it records failed")
    report = audit.verify(db)
    assert report.intact and report.entries == 0
    with db.engine.begin() as connection:
        [entry] = audit.append(connection, [Entry("test", {"n": 2})], LATER)
    assert entry.seq == 1 and audit.verify(db).entries == 1


def test_imports_and_a_daily_run_leave_an_intact_log_that_vouches_for_their_rows(
    db: Database, tmp_path: Path
) -> None:
    _audited(db, tmp_path)
    report = audit.verify(db)
    assert report.intact, report.summary()
    assert report.summary() == f"audit log intact: {report.entries} entries, 0 checkpoints"
    with db.engine.connect() as connection:
        kinds = [row[0] for row in connection.execute(text("SELECT kind FROM audit_log ORDER BY seq"))]
        queue = connection.execute(
            text("SELECT content FROM audit_log WHERE kind = 'run.queue'")
        ).scalar_one()
        queued = connection.execute(text("SELECT COUNT(*) FROM actions")).scalar_one()
    assert kinds == ["import.accounts", "import.events"] + [
        f"run.{s}" for s in ("ingest", "update", "score", "segment", "decide", "check", "queue", "report")
    ]
    covers = {cover["table"]: cover for cover in json.loads(queue)["covers"]}
    assert covers["actions"]["rows"] == queued > 0
    assert covers["compliance_decisions"]["rows"] > 0  # the decision log of the queued contacts
    assert report.covers_checked >= 5  # accounts, events, events applied, promises made and resolved, actions


def test_reimporting_a_file_records_an_entry_without_rows(db: Database, tmp_path: Path) -> None:
    _audited(db, tmp_path)
    again = load_events(db, raw((DATA / "events_small.csv").read_text(encoding="utf-8"), tmp_path, "e.csv"))
    assert again.inserted == 0
    assert audit.verify(db).intact


@pytest.mark.parametrize(
    ("kind", "statement", "reason"),
    [
        (
            "import.events",
            "UPDATE audit_log SET content = '{}' WHERE seq = :seq",
            Reason.EDITED,
        ),
        ("run.update", "UPDATE audit_log SET kind = 'run.nothing' WHERE seq = :seq", Reason.EDITED),
        ("run.score", "DELETE FROM audit_log WHERE seq = :seq", Reason.MISSING),
        ("run.report", "DELETE FROM audit_log WHERE seq = :seq", Reason.MISSING),
        (
            "run.queue",
            'UPDATE actions SET message = \'pay now or else\' WHERE "key" = (SELECT MIN("key") FROM actions)',
            Reason.ROWS_CHANGED,
        ),
        (
            "run.queue",
            'DELETE FROM actions WHERE "key" = (SELECT MAX("key") FROM actions)',
            Reason.ROWS_CHANGED,
        ),
        (
            "import.events",
            "UPDATE events SET amount = amount + 1 WHERE type = 'payment'",
            Reason.ROWS_CHANGED,
        ),
        (
            "import.accounts",
            "UPDATE accounts SET placed_balance = 1 WHERE account_id = 'A1'",
            Reason.ROWS_CHANGED,
        ),
        ("run.update", "UPDATE events SET applied_on = NULL WHERE event_id = 'e1'", Reason.ROWS_CHANGED),
    ],
)
def test_tampering_is_found_and_the_entry_named(
    db: Database, tmp_path: Path, kind: str, statement: str, reason: Reason
) -> None:
    _audited(db, tmp_path)
    seq = _seq_of(db, kind)
    _sql(db, statement, seq=seq)
    assert _broken(db) == (seq, reason)


def test_swapping_two_entries_sequence_numbers_is_named_as_reordered(db: Database, tmp_path: Path) -> None:
    _audited(db, tmp_path)
    first, second = _seq_of(db, "run.segment"), _seq_of(db, "run.check")
    _sql(db, "UPDATE audit_log SET seq = -1 WHERE seq = :a", a=first)
    _sql(db, "UPDATE audit_log SET seq = :a WHERE seq = :b", a=first, b=second)
    _sql(db, "UPDATE audit_log SET seq = :b WHERE seq = -1", b=second)
    assert _broken(db) == (first, Reason.REORDERED)


def test_the_daily_run_signs_a_checkpoint_that_verifies_against_the_pinned_key(
    db: Database, tmp_path: Path
) -> None:
    _audited(db, tmp_path, key=KEY)
    pinned = audit.public_key_hex(audit.signing_key(KEY))
    report = audit.verify(db, public_key=pinned)
    assert report.intact and report.checkpoints == 1 and report.key_pinned
    other = audit.public_key_hex(audit.signing_key(audit.new_signing_key()))
    assert _broken(db, public_key=other) == (report.entries, Reason.BAD_CHECKPOINT)


def test_a_forged_or_altered_checkpoint_is_named(db: Database, tmp_path: Path) -> None:
    _audited(db, tmp_path, key=KEY)
    pinned = audit.public_key_hex(audit.signing_key(KEY))
    seq = _seq_of(db, "run.decide")
    forger = audit.signing_key(audit.new_signing_key())
    with db.engine.connect() as connection:
        entry_hash_at = connection.execute(
            text("SELECT hash FROM audit_log WHERE seq = :s"), {"s": seq}
        ).scalar_one()
    forged = Checkpoint(seq, entry_hash_at, LATER, audit.public_key_hex(forger), "")
    signature = forger.sign(forged.payload()).hex()
    _sql(
        db,
        "INSERT INTO audit_checkpoints (seq, entry_hash, at, public_key, signature) VALUES (:s, :h, :at, :k, :sig)",
        s=seq,
        h=entry_hash_at,
        at=LATER,
        k=forged.public_key,
        sig=signature,
    )
    assert _broken(db, public_key=pinned) == (seq, Reason.BAD_CHECKPOINT)
    _sql(db, "DELETE FROM audit_checkpoints WHERE seq = :s", s=seq)
    _sql(db, "UPDATE audit_checkpoints SET entry_hash = :h", h="0" * 64)
    last = _seq_of(db, "run.report")
    assert _broken(db) == (last, Reason.BAD_CHECKPOINT)


def test_a_chain_rewritten_without_the_key_is_caught_by_the_checkpoint(db: Database, tmp_path: Path) -> None:
    _audited(db, tmp_path, key=KEY)
    with db.engine.connect() as connection:
        log = audit.LOG.c
        rows = connection.execute(select(log.seq, log.at, log.kind, log.content).order_by(log.seq)).all()
    victim = _seq_of(db, "import.events")
    prev = "0" * 64
    with db.engine.begin() as connection:
        for seq, stored_at, kind, stored in rows:
            content = canonical_json({"forged": True}) if seq == victim else stored
            at = stored_at.replace(tzinfo=UTC) if stored_at.tzinfo is None else stored_at
            digest = entry_hash(seq, at, kind, sha256_hex(content), prev)
            connection.execute(
                text(
                    "UPDATE audit_log SET content = :c, content_sha256 = :cs, prev_hash = :p, hash = :h WHERE seq = :s"
                ),
                {"c": content, "cs": sha256_hex(content), "p": prev, "h": digest, "s": seq},
            )
            prev = digest
        connection.execute(text("UPDATE audit_head SET hash = :h"), {"h": prev})
    assert _broken(db) == (rows[-1][0], Reason.EDITED)


def test_purge_keeps_hashes_so_the_chain_still_verifies(db: Database, tmp_path: Path) -> None:
    _audited(db, tmp_path)
    cutoff = datetime(2026, 3, 2, tzinfo=UTC)
    # The imports were recorded on 2026-03-01 (helpers.NOW), the run at LATER.
    with db.engine.begin() as connection:
        assert audit.purge(connection, cutoff, LATER) == 2
    report = audit.verify(db)
    assert report.intact and report.purged == 2, report.summary()
    with db.engine.connect() as connection:
        purge = connection.execute(
            text("SELECT content FROM audit_log WHERE kind = 'audit.purge'")
        ).scalar_one()
    assert json.loads(purge) == {"before": "2026-03-02T00:00:00.000000Z", "entries_purged": 2}
    # Purged rows are no longer vouched for; rows of retained entries still are.
    _sql(db, "UPDATE accounts SET placed_balance = 1 WHERE account_id = 'A1'")
    assert audit.verify(db).intact
    _sql(db, "UPDATE actions SET message = 'x'")
    assert _broken(db) == (_seq_of(db, "run.queue"), Reason.ROWS_CHANGED)


def test_content_dropped_outside_a_purge_is_an_edit(db: Database, tmp_path: Path) -> None:
    _audited(db, tmp_path)
    seq = _seq_of(db, "run.queue")
    _sql(db, "UPDATE audit_log SET content = NULL WHERE seq = :s", s=seq)
    assert _broken(db) == (seq, Reason.EDITED)


def test_purge_refuses_a_cut_off_in_the_future(db: Database) -> None:
    with pytest.raises(Exception, match="future"), db.engine.begin() as connection:
        audit.purge(connection, datetime(2027, 1, 1, tzinfo=UTC), LATER)
