"""Receipts and replies over a real database: what they change at once, what the next run sees, and
what is refused whole."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

import pytest

from recoup.adapters.channels.callbacks import Receipt, Reply
from recoup.adapters.db.bulk import read_frame
from recoup.adapters.db.engine import Database
from recoup.core.audit import Reason
from recoup.entrypoints.jobs.daily import run_day
from recoup.entrypoints.jobs.dispatch import dispatch_outbox
from recoup.services.daily_run import RunOptions
from recoup.services.inbound import Replayed, UnknownMessages, accept_nonce, apply_receipts, record_replies
from tests.integration.audit_helpers import broken_at, intact, kinds, logged, tamper
from tests.integration.channel_servers import ProviderServer, SmtpSink, running_provider, running_smtp
from tests.integration.channel_world import CN_MORNING, World, make_world

AT = datetime(2026, 3, 2, 11, 30, tzinfo=timezone(timedelta(hours=8)))
PROVIDER = "sms-webhook"


@pytest.fixture
def provider() -> Iterator[ProviderServer]:
    yield from running_provider()


@pytest.fixture
def smtp_sink() -> Iterator[SmtpSink]:
    yield from running_smtp()


@pytest.fixture
def sent(db: Database, tmp_path: Path, provider: ProviderServer, smtp_sink: SmtpSink) -> Iterator[World]:
    """The world after the morning's dispatch: two SMS sent, one email delivered."""
    world = make_world(db, tmp_path, provider, smtp_sink)
    dispatch_outbox(world.app, world.dispatcher, world.settings)
    yield world
    world.close()


def _keys(db: Database) -> dict[str, str]:
    frame = read_frame(
        db,
        'SELECT c.account_id, d.idempotency_key FROM deliveries d JOIN accounts c ON c."key" = d.account_key',
    )
    return dict(frame.iter_rows())


def _reply(text: str, sender: str = "+86 138 0013 8001", message_id: str = "in-1", **extra: str) -> Reply:
    return Reply(message_id, sender, text, AT, extra.get("in_reply_to"))


def _state(db: Database) -> dict[str, list[tuple[object, ...]]]:
    queries = {
        "accounts": 'SELECT "key", flags, opted_out FROM accounts ORDER BY "key"',
        "actions": 'SELECT "key", status FROM actions ORDER BY "key"',
        "deliveries": "SELECT action_key, status FROM deliveries ORDER BY action_key",
        "events": "SELECT event_id FROM events ORDER BY event_id",
        "tasks": "SELECT kind, reference FROM tasks ORDER BY reference",
        "inbound": "SELECT provider, message_id FROM inbound_messages ORDER BY message_id",
    }
    return {name: read_frame(db, sql).rows() for name, sql in queries.items()}


def test_receipts_move_statuses_forward_and_become_contact_events(sent: World) -> None:
    db = sent.app.db
    keys = _keys(db)
    receipts = [
        Receipt(keys["S1"], "delivered", AT),
        Receipt(keys["S2"], "failed", AT, error="MOBILE_OFF"),
    ]
    with db.engine.begin() as connection:
        result = apply_receipts(connection, db, PROVIDER, receipts, CN_MORNING)
    assert result == {"receipts": 2, "status_changes": 2, "events": 2}
    assert {k: v for k, v in sent.actions().items() if k in ("S1", "S2")} == {
        "S1": ("sms", "delivered"),
        "S2": ("sms", "failed"),
    }
    events = read_frame(
        db,
        "SELECT event_id, outcome, note, utc_offset_minutes FROM events WHERE channel = 'sms' ORDER BY event_id",
    )
    assert events.rows() == [
        (f"{keys['S1']}:delivered", "delivered", "m1", 480),
        (f"{keys['S2']}:failed", "failed", "MOBILE_OFF", 480),
    ]
    # The same receipt again changes nothing; a late "read" still moves forward.
    with db.engine.begin() as connection:
        again = apply_receipts(connection, db, PROVIDER, receipts[:1], CN_MORNING)
        read = apply_receipts(
            connection, db, PROVIDER, [Receipt(keys["S1"], "read", AT + timedelta(minutes=1))], CN_MORNING
        )
    assert again == {"receipts": 1, "status_changes": 0, "events": 0}
    assert read["status_changes"] == 1
    assert sent.actions()["S1"] == ("sms", "read")


def test_receipts_naming_unknown_messages_are_refused_whole(sent: World) -> None:
    db = sent.app.db
    keys = _keys(db)
    before = _state(db)
    receipts = [Receipt(keys["S1"], "delivered", AT), Receipt("recoup-999999", "delivered", AT)]
    with pytest.raises(UnknownMessages, match="recoup-999999"), db.engine.begin() as connection:
        apply_receipts(connection, db, PROVIDER, receipts, CN_MORNING)
    with pytest.raises(UnknownMessages), db.engine.begin() as connection:  # sent through another provider
        apply_receipts(connection, db, "sms-signed", receipts[:1], CN_MORNING)
    assert _state(db) == before


def test_a_nonce_is_accepted_once(sent: World) -> None:
    db = sent.app.db
    with db.engine.begin() as connection:
        accept_nonce(connection, PROVIDER, "n-1", CN_MORNING)
    with pytest.raises(Replayed), db.engine.begin() as connection:
        accept_nonce(connection, PROVIDER, "n-1", CN_MORNING)
    with db.engine.begin() as connection:  # another provider's nonce space
        accept_nonce(connection, "im-webhook", "n-1", CN_MORNING)
    with db.engine.begin() as connection:  # old nonces are pruned once no timestamp could still be valid
        accept_nonce(connection, PROVIDER, "n-2", CN_MORNING + timedelta(hours=1))
    assert read_frame(db, "SELECT nonce FROM webhook_nonces ORDER BY nonce").rows() == [("n-2",)]


def test_stop_stops_that_channel_at_once_and_the_next_run_proposes_no_sms(sent: World) -> None:
    db = sent.app.db
    with db.engine.begin() as connection:
        report = record_replies(connection, db, PROVIDER, "sms", [_reply("退订")], CN_MORNING)
    assert (report.matched_accounts, report.opt_outs, report.tasks) == (1, 1, 0)
    opted = dict(read_frame(db, "SELECT account_id, opted_out FROM accounts").iter_rows())
    assert opted["S1"] == "sms" and opted["S2"] == ""
    kinds = read_frame(
        db,
        "SELECT e.type, e.channel, e.direction, e.outcome FROM events e JOIN accounts c ON c.\"key\" = e.account_key WHERE c.account_id = 'S1' ORDER BY e.type",
    )
    assert kinds.rows() == [("contact", "sms", "inbound", "replied"), ("opt_out", "sms", None, None)]

    sent.clock.now = datetime(2026, 3, 9, 1, 0, tzinfo=UTC)
    run_day(sent.app, date(2026, 3, 9), RunOptions())
    next_run = read_frame(
        db,
        'SELECT c.account_id, a.action FROM actions a JOIN accounts c ON c."key" = a.account_key '
        "WHERE a.run_date = '2026-03-09' ORDER BY c.account_id",
    )
    proposed = dict(next_run.iter_rows())
    assert "S1" not in proposed  # its only channel is SMS, and it said STOP
    assert proposed["S2"] == "sms"
    # The update step applied the opt-out event again: nothing changed.
    assert dict(read_frame(db, "SELECT account_id, opted_out FROM accounts").iter_rows())["S1"] == "sms"


def test_a_stop_cancels_what_is_still_queued_on_that_channel(
    db: Database, tmp_path: Path, provider: ProviderServer, smtp_sink: SmtpSink
) -> None:
    world = make_world(db, tmp_path, provider, smtp_sink)
    try:
        with db.engine.begin() as connection:
            record_replies(
                connection, db, PROVIDER, "sms", [_reply("STOP", sender="13800138002")], CN_MORNING
            )
        assert world.actions()["S2"] == ("sms", "cancelled")
        dispatch_outbox(world.app, world.dispatcher, world.settings)
        assert [d.to for d in provider.state.delivered.values()] == ["+8613800138001"]
    finally:
        world.close()


def test_disputes_complaints_and_hardship_open_tasks_and_hold_where_the_rulebook_says(sent: World) -> None:
    db = sent.app.db
    keys = _keys(db)
    replies = [
        _reply("这不是我的欠款", message_id="in-d"),
        _reply("你们天天骚扰，我要投诉", sender="+8613800138002", message_id="in-c"),
        _reply(
            "I lost my job, can we talk about a plan?", sender="x", message_id="in-h", in_reply_to=keys["E1"]
        ),
        _reply("好的收到", sender="+8613800138002", message_id="in-o"),
        _reply("who is this?", sender="+8619999999999", message_id="in-u"),
    ]
    with db.engine.begin() as connection:
        report = record_replies(connection, db, PROVIDER, "sms", replies, CN_MORNING)
    assert (report.disputes, report.complaints, report.hardship, report.unmatched) == (1, 1, 1, 1)
    flags = dict(read_frame(db, "SELECT account_id, flags FROM accounts").iter_rows())
    assert flags["S1"] == "dispute" and flags["S2"] == "complaint" and flags["E1"] == ""
    tasks = read_frame(
        db,
        'SELECT t.kind, c.account_id, t.note FROM tasks t LEFT JOIN accounts c ON c."key" = t.account_key ORDER BY t.kind',
    )
    assert [(k, a) for k, a, _ in tasks.rows()] == [
        ("complaint", "S2"),
        ("dispute", "S1"),
        ("hardship", "E1"),  # matched through the message it answered, not the sender
        ("reply", "S2"),
        ("unmatched_reply", None),
    ]
    assert "+8619999999999" in tasks.rows()[-1][2]
    types = read_frame(db, "SELECT type FROM events WHERE type IN ('dispute', 'complaint') ORDER BY type")[
        "type"
    ]
    assert types.to_list() == ["complaint", "dispute"]
    stored = read_frame(
        db, "SELECT message_id, account_keys, signals FROM inbound_messages ORDER BY message_id"
    )
    assert stored.height == 5  # every reply kept, matched or not

    # The dispute holds collection now: S1's next message is not proposed; a complaint alone does not hold.
    sent.clock.now = datetime(2026, 3, 9, 1, 0, tzinfo=UTC)
    run_day(sent.app, date(2026, 3, 9), RunOptions())
    proposed = read_frame(
        db,
        "SELECT c.account_id FROM actions a JOIN accounts c ON c.\"key\" = a.account_key WHERE a.run_date = '2026-03-09'",
    )["account_id"].to_list()
    assert "S1" not in proposed and "S2" in proposed


def test_the_same_reply_twice_is_handled_once(sent: World) -> None:
    db = sent.app.db
    with db.engine.begin() as connection:
        record_replies(connection, db, PROVIDER, "sms", [_reply("这不是我的欠款")], CN_MORNING)
    before = _state(db)
    with db.engine.begin() as connection:
        report = record_replies(connection, db, PROVIDER, "sms", [_reply("这不是我的欠款")], CN_MORNING)
    assert report.duplicates == 1
    assert _state(db) == before


def test_an_email_reply_matches_through_in_reply_to(sent: World) -> None:
    db = sent.app.db
    key = _keys(db)["E1"]
    reply = Reply("mail-1", "Someone <other@example.org>", "unsubscribe", AT, f"<{key}@agency.example>")
    with db.engine.begin() as connection:
        report = record_replies(connection, db, "email-webhook", "email", [reply], CN_MORNING)
    assert report.opt_outs == 1
    assert dict(read_frame(db, "SELECT account_id, opted_out FROM accounts").iter_rows())["E1"] == "email"


def test_a_message_to_the_unsubscribe_mailbox_opts_out_the_email_it_names(sent: World) -> None:
    db = sent.app.db
    reply = Reply("mail-2", "list-unsubscribe@mail.example", f"STOP-{_keys(db)['E1']}", AT, None)
    with db.engine.begin() as connection:
        report = record_replies(connection, db, "email-webhook", "email", [reply], CN_MORNING)
    assert report.opt_outs == 1
    assert dict(read_frame(db, "SELECT account_id, opted_out FROM accounts").iter_rows())["E1"] == "email"


def test_accepted_receipts_append_one_entry_and_receipts_seen_before_none(sent: World) -> None:
    db = sent.app.db
    keys = _keys(db)
    receipts = [Receipt(keys["S1"], "delivered", AT), Receipt(keys["S2"], "failed", AT, error="MOBILE_OFF")]
    with db.engine.begin() as connection:
        apply_receipts(connection, db, PROVIDER, receipts, CN_MORNING)
    [entry] = logged(db, "inbound.")
    assert entry.kind == "inbound.receipts"
    assert entry.content["counts"] == {"delivered": {"sms": 1}, "failed": {"sms": 1}}
    assert (entry.content["provider"], entry.content["status_changes"], entry.content["events"]) == (
        PROVIDER,
        2,
        2,
    )
    assert entry.covered_tables() == ["outbox_transitions", "events"]
    moves = read_frame(db, 'SELECT status, idempotency_key, reason FROM outbox_transitions ORDER BY "key"')
    assert moves.rows()[-2:] == [("delivered", keys["S1"], None), ("failed", keys["S2"], "MOBILE_OFF")]
    with db.engine.begin() as connection:  # the same receipts again: nothing changes, nothing is recorded
        apply_receipts(connection, db, PROVIDER, receipts, CN_MORNING)
    assert kinds(db, "inbound.") == ["inbound.receipts"]
    assert intact(db)
    assert tamper(db, "UPDATE events SET note = 'OK' WHERE outcome = 'failed'") == 1
    assert broken_at(db) == (entry.seq, Reason.ROWS_CHANGED)


def test_a_refused_batch_of_receipts_records_nothing(sent: World) -> None:
    db = sent.app.db
    before = kinds(db)
    receipts = [Receipt(_keys(db)["S1"], "delivered", AT), Receipt("recoup-999999", "delivered", AT)]
    with pytest.raises(UnknownMessages), db.engine.begin() as connection:
        apply_receipts(connection, db, PROVIDER, receipts, CN_MORNING)
    assert kinds(db) == before


def test_a_reply_batch_appends_an_entry_covering_what_it_wrote(
    db: Database, tmp_path: Path, provider: ProviderServer, smtp_sink: SmtpSink
) -> None:
    world = make_world(db, tmp_path, provider, smtp_sink)
    try:
        replies = [
            _reply("STOP", sender="13800138002"),
            _reply("这不是我的欠款", message_id="in-2"),
            _reply("who is this?", sender="+8619999999999", message_id="in-3"),
        ]
        with db.engine.begin() as connection:
            record_replies(connection, db, PROVIDER, "sms", replies, CN_MORNING)
        [entry] = logged(db, "inbound.")
        assert entry.kind == "inbound.replies"
        content = entry.content
        assert (content["received"], content["opt_outs"], content["disputes"], content["unmatched"]) == (
            3,
            1,
            1,
            1,
        )
        assert (content["accounts_changed"], content["actions_cancelled"], content["tasks"]) == (2, 1, 2)
        assert content["events"] == 4  # two replies matched (contact events), an opt-out, a dispute
        assert entry.covered_tables() == ["inbound_messages", "events", "tasks", "outbox_transitions"]
        cancelled = read_frame(db, "SELECT status, idempotency_key, reason FROM outbox_transitions")
        assert cancelled.rows() == [("cancelled", None, "debtor opted out of sms by reply")]
        assert intact(db)
        with db.engine.begin() as connection:  # seen before: nothing written, nothing recorded
            report = record_replies(connection, db, PROVIDER, "sms", replies, CN_MORNING)
        assert report.duplicates == 3 and kinds(db, "inbound.") == ["inbound.replies"]
        # A task's status moves on (an agent closes it); its other columns are vouched for.
        assert tamper(db, "UPDATE tasks SET status = 'closed'") == 2
        assert intact(db)
        assert tamper(db, "DELETE FROM events WHERE type = 'opt_out'") == 1
        assert broken_at(db) == (entry.seq, Reason.ROWS_CHANGED)
    finally:
        world.close()


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE inbound_messages SET text = 'hello' WHERE message_id = 'in-1'",
        "UPDATE tasks SET note = 'nothing to see' WHERE kind = 'dispute'",
        "UPDATE outbox_transitions SET status = 'sent'",
    ],
)
def test_tampering_with_what_a_reply_wrote_names_its_entry(
    db: Database, tmp_path: Path, provider: ProviderServer, smtp_sink: SmtpSink, statement: str
) -> None:
    world = make_world(db, tmp_path, provider, smtp_sink)
    try:
        replies = [_reply("STOP", sender="13800138002"), _reply("这不是我的欠款", message_id="in-2")]
        with db.engine.begin() as connection:
            record_replies(connection, db, PROVIDER, "sms", replies, CN_MORNING)
        [entry] = logged(db, "inbound.replies")
        assert tamper(db, statement) == 1
        assert broken_at(db) == (entry.seq, Reason.ROWS_CHANGED)
    finally:
        world.close()
