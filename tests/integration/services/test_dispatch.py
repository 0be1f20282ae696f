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
from recoup.entrypoints.jobs.dispatch import dispatch_outbox
from recoup.services import dispatch
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


def test_messages_not_sent_by_the_evening_expire(world: World, provider: ProviderServer) -> None:
    app, clock, dispatcher, settings = world.app, world.clock, world.dispatcher, world.settings
    clock.now = datetime(2026, 3, 2, 13, 0, tzinfo=UTC)  # 21:00 in Shanghai
    summary = dispatch_outbox(app, dispatcher, settings)
    assert summary.outcomes["expired"] == 3
    assert provider.state.delivered == {}


def test_a_limit_and_small_batches(world: World, provider: ProviderServer) -> None:
    app, dispatcher, settings = world.app, world.dispatcher, world.settings
    first = dispatch_outbox(app, dispatcher, settings, limit=1)
    assert first.claimed == 1
    assert dispatch_outbox(app, dispatcher, settings, batch=1).batches == 2
