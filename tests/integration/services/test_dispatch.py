"""The outbox dispatcher over a real database (SQLite and PostgreSQL), a real SMTP server and a local
HTTP SMS provider: a daily run queues, the dispatcher delivers, results come back as contact events,
and a crash between sending and recording never reaches a debtor twice."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from recoup.adapters.db.bulk import read_frame
from recoup.adapters.db.engine import Database
from recoup.core.audit import Reason
from recoup.entrypoints.jobs.dispatch import dispatch_outbox
from recoup.services import dispatch
from tests.integration.audit_helpers import broken_at, intact, kinds, logged, tamper
from tests.integration.channel_servers import ProviderServer, SmtpSink, running_provider, running_smtp
from tests.integration.channel_world import CN_MORNING, World, make_world


@pytest.fixture
def provider() -> Iterator[ProviderServer]:
    yield from running_provider()


@pytest.fixture
def smtp_sink() -> Iterator[SmtpSink]:
    yield from running_smtp()


@pytest.fixture
def world(db: Database, tmp_path: Path, provider: ProviderServer, smtp_sink: SmtpSink) -> Iterator[World]:
    made = make_world(db, tmp_path, provider, smtp_sink)
    yield made
    made.close()


def test_a_daily_run_queues_and_the_dispatcher_delivers(
    world: World, provider: ProviderServer, smtp_sink: SmtpSink
) -> None:
    app, clock, dispatcher, settings = world.app, world.clock, world.dispatcher, world.settings
    assert world.actions() == {
        "S1": ("sms", "queued"),
        "S2": ("sms", "queued"),
        "E1": ("email", "queued"),
        "U1": ("email", "queued"),
        "K1": ("call", "queued"),
        "L1": ("letter", "queued"),
    }
    summary = dispatch_outbox(app, dispatcher, settings)
    assert summary.agent_work == 1
    assert world.actions() == {
        "S1": ("sms", "sent"),
        "S2": ("sms", "sent"),
        "E1": ("email", "delivered"),
        "U1": ("email", "queued"),  # 21:00 the evening before in Chicago: not yet due
        "K1": ("call", "queued_for_agent"),
        "L1": ("letter", "queued"),  # letters are printed, not dispatched
    }
    texts = {d.to: d.text for d in provider.state.delivered.values()}
    assert set(texts) == {"+8613800138001", "+8613800138002"}
    decided = dict(
        read_frame(
            app.db, 'SELECT c.phone, a.message FROM actions a JOIN accounts c ON c."key" = a.account_key'
        ).rows()
    )
    assert texts["+8613800138001"] == decided["+86 138-0013-8001"]  # what was decided is what left
    assert "张三您好" in texts["+8613800138001"]
    [email] = smtp_sink.arrived
    assert email.rcpt_tos == ["wang@example.cn"]
    assert email.message["Subject"] == "关于您在bank的账户"
    plain = email.message.get_body(preferencelist=("plain",))
    assert plain is not None and "王五您好" in plain.get_content()

    us_due = world.scheduled_at("U1")  # late morning in the US: past midnight in Shanghai
    assert us_due > CN_MORNING + timedelta(hours=12)
    clock.now = us_due + timedelta(minutes=30)
    dispatch_outbox(app, dispatcher, settings)
    assert world.actions()["U1"] == ("email", "delivered")
    us_email = smtp_sink.arrived[1].message
    assert us_email["Subject"] == "About your account with bank"
    us_plain = us_email.get_body(preferencelist=("plain",))
    assert us_plain is not None and "from a debt collector" in us_plain.get_content()

    events = read_frame(
        app.db,
        "SELECT c.account_id, e.type, e.channel, e.direction, e.outcome, e.event_id FROM events e "
        'JOIN accounts c ON c."key" = e.account_key ORDER BY c.account_id',
    )
    assert [tuple(r[:5]) for r in events.iter_rows()] == [
        ("E1", "contact", "email", "outbound", "delivered"),
        ("U1", "contact", "email", "outbound", "delivered"),
    ]
    deliveries = read_frame(
        app.db, "SELECT idempotency_key, provider, status, attempts FROM deliveries ORDER BY action_key"
    )
    assert deliveries["provider"].to_list() == ["sms-webhook", "sms-webhook", "smtp", "smtp"]
    assert deliveries["status"].to_list() == ["sent", "sent", "delivered", "delivered"]
    assert all(k.startswith("recoup-") for k in deliveries["idempotency_key"].to_list())
    assert dispatch_outbox(app, dispatcher, settings).claimed == 0  # nothing left to send


def test_a_crash_between_send_and_record_never_sends_twice(
    world: World, provider: ProviderServer, smtp_sink: SmtpSink
) -> None:
    app, clock, dispatcher, settings = world.app, world.clock, world.dispatcher, world.settings
    with app.db.engine.begin() as connection:
        claim = dispatch.claim_batch(connection, app.db, clock(), dispatcher.providers)
    dispatcher.deliver(claim.messages)  # ... and the process dies before recording the results
    assert {s for _, s in world.actions().values()} >= {"sending"}
    assert len(provider.state.delivered) == 2

    clock.now = CN_MORNING + timedelta(minutes=5)  # restarted while the lease still holds: nothing is taken
    assert dispatch_outbox(app, dispatcher, settings).claimed == 0

    clock.now = CN_MORNING + timedelta(minutes=11)  # the lease ran out: re-sent with the same keys
    summary = dispatch_outbox(app, dispatcher, settings)
    assert summary.recovered == 3
    assert {a: s for a, (_, s) in world.actions().items() if a in ("S1", "S2", "E1")} == {
        "S1": "sent",
        "S2": "sent",
        "E1": "delivered",
    }
    keys = [m.idempotency_key for m in claim.messages if m.channel == "sms"]
    assert all(provider.state.submissions[k] == 2 for k in keys)  # submitted twice ...
    assert sorted(provider.state.delivered) == sorted(keys)  # ... delivered once
    attempts = read_frame(app.db, "SELECT attempts FROM deliveries WHERE channel = 'sms'")[
        "attempts"
    ].to_list()
    assert attempts == [2, 2]
    # SMTP has no idempotency: the re-sent email carries the same Message-ID, which receiving systems
    # use to drop the copy (a bare relay would show both).
    assert [len(copies) for copies in smtp_sink.by_message_id().values()] == [2]
    resent = [reason for _, status, _, reason in _history(world) if status == "sending"]
    assert resent == [None] * 3 + ["the lease ran out: sent again with the same key"] * 3
    assert intact(app.db)


def test_a_stop_replied_before_sending_cancels_the_queued_message(
    world: World, provider: ProviderServer
) -> None:
    app, dispatcher, settings = world.app, world.dispatcher, world.settings
    with app.db.engine.begin() as connection:
        connection.exec_driver_sql("UPDATE accounts SET opted_out = 'sms' WHERE account_id = 'S1'")
        connection.exec_driver_sql("UPDATE accounts SET flags = 'dispute' WHERE account_id = 'E1'")
    summary = dispatch_outbox(app, dispatcher, settings)
    assert summary.outcomes["cancelled"] == 2
    states = world.actions()
    assert states["S1"] == ("sms", "cancelled") and states["E1"] == ("email", "cancelled")
    assert [d.to for d in provider.state.delivered.values()] == ["+8613800138002"]
    reasons = read_frame(
        app.db, "SELECT error FROM deliveries WHERE status = 'cancelled' ORDER BY action_key"
    )
    assert reasons["error"].to_list() == ["debtor opted out of sms", "collection hold: dispute"]


def test_messages_not_sent_by_the_end_of_the_contact_hours_expire(
    world: World, provider: ProviderServer
) -> None:
    app, clock, dispatcher, settings = world.app, world.clock, world.dispatcher, world.settings
    clock.now = datetime(2026, 3, 2, 14, 30, tzinfo=UTC)  # 22:30 in Shanghai: CN.hours ended at 22:00
    summary = dispatch_outbox(app, dispatcher, settings)
    assert summary.outcomes["expired"] == 3
    assert provider.state.delivered == {}
    reasons = read_frame(app.db, "SELECT DISTINCT error FROM deliveries WHERE status = 'expired'")
    assert reasons["error"].to_list() == ["the contact hours of its run date 2026-03-02 are over (CN.hours)"]


def test_a_limit_and_small_batches(world: World, provider: ProviderServer) -> None:
    app, dispatcher, settings = world.app, world.dispatcher, world.settings
    first = dispatch_outbox(app, dispatcher, settings, limit=1)
    assert first.claimed == 1
    assert dispatch_outbox(app, dispatcher, settings, batch=1).batches == 2


def _history(world: World) -> list[tuple[object, ...]]:
    """(account_id, status, idempotency key as '<prefix>-<action key>', reason) of every recorded move."""
    frame = read_frame(
        world.app.db,
        "SELECT c.account_id, t.status, t.idempotency_key, t.action_key, t.reason FROM outbox_transitions t "
        'JOIN actions a ON a."key" = t.action_key JOIN accounts c ON c."key" = a.account_key ORDER BY t."key"',
    )
    return [
        (account, status, None if key is None else key.replace(f"-{action}", "-<key>"), reason)
        for account, status, key, action, reason in frame.iter_rows()
    ]


def test_each_dispatch_transaction_appends_an_audit_entry_covering_its_moves(world: World) -> None:
    app, dispatcher, settings = world.app, world.dispatcher, world.settings
    with app.db.engine.begin() as connection:
        connection.exec_driver_sql("UPDATE accounts SET opted_out = 'sms' WHERE account_id = 'S2'")
    dispatch_outbox(app, dispatcher, settings)
    routed, claimed, sent = logged(app.db, "dispatch.")
    assert (routed.kind, claimed.kind, sent.kind) == ("dispatch.routed", "dispatch.claimed", "dispatch.sent")
    assert routed.content["counts"] == {"queued_for_agent": {"call": 1}}
    assert claimed.content["counts"] == {"cancelled": {"sms": 1}, "sending": {"email": 1, "sms": 1}}
    assert (claimed.content["claimed"], claimed.content["held"]) == (3, 0)
    assert claimed.content["rulebooks"]["CN"]["version"] == "2026.1"
    assert sent.content["counts"] == {"delivered": {"email": 1}, "sent": {"sms": 1}}
    assert sent.content["events"] == 1  # E1's delivery; a bare "sent" is no contact outcome yet
    assert routed.covered_tables() == claimed.covered_tables() == ["outbox_transitions"]
    assert sent.covered_tables() == ["outbox_transitions", "events"]
    assert _history(world) == [
        ("K1", "queued_for_agent", None, None),
        ("S1", "sending", "recoup-<key>", None),
        ("S2", "cancelled", "recoup-<key>", "debtor opted out of sms"),
        ("E1", "sending", "recoup-<key>", None),
        ("S1", "sent", "recoup-<key>", None),
        ("E1", "delivered", "recoup-<key>", None),
    ]
    assert intact(app.db)
    assert dispatch_outbox(app, dispatcher, settings).claimed == 0
    assert kinds(app.db, "dispatch.") == ["dispatch.routed", "dispatch.claimed", "dispatch.sent"]  # no change


@pytest.mark.parametrize(
    ("kind", "statement"),
    [
        ("dispatch.routed", "DELETE FROM outbox_transitions WHERE status = 'queued_for_agent'"),
        ("dispatch.claimed", "UPDATE outbox_transitions SET status = 'expired' WHERE status = 'sending'"),
        ("dispatch.sent", "UPDATE outbox_transitions SET idempotency_key = 'x' WHERE status = 'delivered'"),
        ("dispatch.sent", "UPDATE events SET outcome = 'bounced' WHERE outcome = 'delivered'"),
    ],
)
def test_tampering_with_a_recorded_move_or_contact_event_names_its_entry(
    world: World, kind: str, statement: str
) -> None:
    dispatch_outbox(world.app, world.dispatcher, world.settings)
    assert tamper(world.app.db, statement) >= 1
    [entry] = [e for e in logged(world.app.db, kind) if e.kind == kind]
    assert broken_at(world.app.db) == (entry.seq, Reason.ROWS_CHANGED)


def test_the_rulebook_hours_decide_when_a_message_may_leave(world: World, provider: ProviderServer) -> None:
    app, clock, dispatcher, settings = world.app, world.clock, world.dispatcher, world.settings
    clock.now = datetime(2026, 3, 2, 13, 30, tzinfo=UTC)  # 21:30 in Shanghai: CN.hours allows until 22:00
    summary = dispatch_outbox(app, dispatcher, settings)
    assert summary.outcomes == {"sent": 2, "delivered": 1}
    assert len(provider.state.delivered) == 2
    with app.db.engine.begin() as connection:  # the US debtor turns out to live in Chicago (UTC-6)
        connection.exec_driver_sql("UPDATE accounts SET timezone = 'America/Chicago' WHERE account_id = 'U1'")
    clock.now = datetime(2026, 3, 3, 2, 30, tzinfo=UTC)  # 20:30 in Chicago: the US rule allows until 21:00
    assert dispatch_outbox(app, dispatcher, settings).outcomes == {"delivered": 1}
    assert world.actions()["U1"] == ("email", "delivered")
    assert intact(app.db)


def test_a_message_outside_its_window_stays_queued_until_the_window_opens(
    world: World, provider: ProviderServer
) -> None:
    app, clock, dispatcher, settings = world.app, world.clock, world.dispatcher, world.settings
    with app.db.engine.begin() as connection:  # S1's debtor is in Los Angeles: 19:00 the evening before
        connection.exec_driver_sql(
            "UPDATE accounts SET timezone = 'America/Los_Angeles' WHERE account_id = 'S1'"
        )
    summary = dispatch_outbox(app, dispatcher, settings, batch=1)  # S1 comes first: the rest still go
    assert (summary.claimed, summary.held, summary.batches) == (2, 1, 2)
    assert world.actions()["S1"] == ("sms", "queued")
    assert [d.to for d in provider.state.delivered.values()] == ["+8613800138002"]
    no_delivery = read_frame(
        app.db,
        "SELECT COUNT(*) AS n FROM deliveries d JOIN accounts c "
        "ON c.\"key\" = d.account_key WHERE c.account_id = 'S1'",
    )
    assert no_delivery["n"].to_list() == [0]
    # The claim that read only S1 held it and changed nothing: it recorded nothing.
    assert [e.content["held"] for e in logged(app.db, "dispatch.claimed")] == [0, 0]

    clock.now = datetime(2026, 3, 2, 15, 59, tzinfo=UTC)  # 07:59 in Los Angeles
    later = dispatch_outbox(app, dispatcher, settings)
    assert (later.claimed, later.held) == (0, 1)
    clock.now = datetime(2026, 3, 2, 16, 0, tzinfo=UTC)  # 08:00: the window opens on the run date
    assert dispatch_outbox(app, dispatcher, settings).outcomes == {"sent": 1}
    assert world.actions()["S1"] == ("sms", "sent")
    assert intact(app.db)
