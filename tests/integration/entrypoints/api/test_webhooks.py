"""Provider callbacks through the real web application: signed receipts and replies are applied;
unsigned, replayed, malformed or unknown ones are refused clearly and change nothing."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from urllib.parse import urlencode

import pytest
from fastapi.testclient import TestClient
from tests.integration.audit_helpers import intact, kinds
from tests.integration.channel_servers import (
    GENERIC_SECRET,
    ProviderServer,
    SmtpSink,
    running_provider,
    running_smtp,
)
from tests.integration.channel_world import CN_MORNING, World, make_world

from recoup.adapters.channels.settings import ChannelSettings
from recoup.adapters.channels.signing import sign_body, sign_params
from recoup.adapters.db.bulk import read_frame
from recoup.adapters.db.engine import Database
from recoup.entrypoints.api.app import create_app
from recoup.entrypoints.jobs.daily import run_day
from recoup.entrypoints.jobs.dispatch import dispatch_outbox
from recoup.services.daily_run import RunOptions

AT = "2026-03-02T11:05:00+08:00"


@pytest.fixture
def provider() -> Iterator[ProviderServer]:
    yield from running_provider()


@pytest.fixture
def smtp_sink() -> Iterator[SmtpSink]:
    yield from running_smtp()


@pytest.fixture
def sent(db: Database, tmp_path: Path, provider: ProviderServer, smtp_sink: SmtpSink) -> Iterator[World]:
    world = make_world(db, tmp_path, provider, smtp_sink)
    dispatch_outbox(world.app, world.dispatcher, world.settings)
    yield world
    world.close()


def _client(world: World, settings: ChannelSettings | None = None) -> TestClient:
    api = create_app(world.app)
    api.state.channel_settings = settings or world.settings
    return TestClient(api)


def _signed(payload: object, nonce: str, secret: str = GENERIC_SECRET) -> tuple[bytes, dict[str, str]]:
    body = json.dumps(payload, ensure_ascii=False).encode()
    return body, {
        "Content-Type": "application/json",
        **sign_body(body, secret=secret, now=CN_MORNING, nonce=nonce),
    }


def _sms_keys(db: Database) -> dict[str, str]:
    frame = read_frame(
        db,
        'SELECT c.account_id, d.idempotency_key FROM deliveries d JOIN accounts c ON c."key" = d.account_key',
    )
    return dict(frame.iter_rows())


def _state(db: Database) -> list[list[tuple[object, ...]]]:
    return [
        read_frame(db, sql).rows()
        for sql in (
            'SELECT "key", status FROM actions ORDER BY "key"',
            "SELECT action_key, status FROM deliveries ORDER BY action_key",
            "SELECT event_id FROM events ORDER BY event_id",
            'SELECT "key", flags, opted_out FROM accounts ORDER BY "key"',
            "SELECT provider, nonce FROM webhook_nonces ORDER BY nonce",
            "SELECT message_id FROM inbound_messages ORDER BY message_id",
            "SELECT seq, kind FROM audit_log ORDER BY seq",
        )
    ]


def test_signed_receipts_become_contact_events_and_a_replay_is_refused(sent: World) -> None:
    db = sent.app.db
    keys = _sms_keys(db)
    body, headers = _signed(
        {
            "receipts": [
                {"id": keys["S1"], "status": "delivered", "at": AT},
                {"id": keys["S2"], "status": "failed", "at": AT, "error": "UNKNOWN_SUBSCRIBER"},
            ]
        },
        "nonce-1",
    )
    with _client(sent) as client:
        accepted = client.post("/webhooks/sms-webhook/receipts", content=body, headers=headers)
        assert accepted.status_code == 200, accepted.text
        assert accepted.json() == {"receipts": 2, "status_changes": 2, "events": 2}
        before = _state(db)
        replayed = client.post("/webhooks/sms-webhook/receipts", content=body, headers=headers)
    assert replayed.status_code == 409
    assert "replayed" in replayed.json()["error"]
    assert _state(db) == before  # the audit log too: a refused callback records nothing
    assert kinds(db, "inbound.") == ["inbound.receipts"]
    assert intact(db)
    outcomes = read_frame(db, "SELECT outcome FROM events WHERE channel = 'sms' ORDER BY outcome")["outcome"]
    assert outcomes.to_list() == ["delivered", "failed"]


def test_unsigned_badly_signed_and_stale_callbacks_are_unauthorised(sent: World) -> None:
    db = sent.app.db
    before = _state(db)
    body, headers = _signed({"receipts": [{"id": _sms_keys(db)["S1"], "status": "delivered", "at": AT}]}, "n")
    with _client(sent) as client:
        unsigned = client.post(
            "/webhooks/sms-webhook/receipts", content=body, headers={"Content-Type": "application/json"}
        )
        wrong = client.post(
            "/webhooks/sms-webhook/receipts", content=body, headers=_signed({}, "n2", secret="guess")[1]
        )
        sent.clock.now = CN_MORNING.replace(hour=4)  # an hour later the same signature is stale
        stale = client.post("/webhooks/sms-webhook/receipts", content=body, headers=headers)
    assert [r.status_code for r in (unsigned, wrong, stale)] == [401, 401, 401]
    assert "unsigned" in unsigned.json()["error"]
    assert "does not match" in wrong.json()["error"]
    assert "outside" in stale.json()["error"]
    assert _state(db) == before


def test_receipts_for_unknown_messages_change_nothing_and_a_corrected_retry_goes_through(sent: World) -> None:
    db = sent.app.db
    keys = _sms_keys(db)
    before = _state(db)
    body, headers = _signed(
        {
            "receipts": [
                {"id": keys["S1"], "status": "delivered", "at": AT},
                {"id": "recoup-424242", "status": "delivered", "at": AT},
            ]
        },
        "nonce-x",
    )
    with _client(sent) as client:
        refused = client.post("/webhooks/sms-webhook/receipts", content=body, headers=headers)
        assert refused.status_code == 422
        assert "recoup-424242" in refused.json()["error"]
        assert _state(db) == before  # the nonce too: the refused request left nothing behind
        body, headers = _signed(
            {"receipts": [{"id": keys["S1"], "status": "delivered", "at": AT}]}, "nonce-x"
        )
        assert client.post("/webhooks/sms-webhook/receipts", content=body, headers=headers).status_code == 200


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        ({"receipts": [{"id": "x", "status": "delivered"}]}, "time missing"),
        ({"receipts": [{"id": "x", "status": "exploded", "at": AT}]}, "status 'exploded'"),
        ({"nothing": []}, "expected a list"),
    ],
)
def test_malformed_receipts_are_refused_with_where(sent: World, payload: object, reason: str) -> None:
    before = _state(sent.app.db)
    body, headers = _signed(payload, "n-bad")
    with _client(sent) as client:
        response = client.post("/webhooks/sms-webhook/receipts", content=body, headers=headers)
    assert response.status_code == 422
    assert reason in response.json()["error"]
    assert _state(sent.app.db) == before


def test_an_unknown_provider_is_not_found(sent: World) -> None:
    with _client(sent) as client:
        response = client.post("/webhooks/nobody/receipts", content=b"{}")
    assert response.status_code == 404
    assert "sms-webhook" in response.json()["error"]


def test_a_stop_reply_by_webhook_opts_out_at_once(sent: World) -> None:
    body, headers = _signed(
        {"replies": [{"id": "up-1", "from": "+8613800138002", "text": "ＳＴＯＰ", "at": AT}]}, "r-1"
    )
    with _client(sent) as client:
        response = client.post("/webhooks/sms-webhook/replies", content=body, headers=headers)
    assert response.status_code == 200, response.text
    assert response.json()["opt_outs"] == 1
    opted = dict(read_frame(sent.app.db, "SELECT account_id, opted_out FROM accounts").iter_rows())
    assert opted["S2"] == "sms"
    assert kinds(sent.app.db, "inbound.") == ["inbound.replies"]
    with _client(sent) as client:  # the same reply under a fresh nonce: a duplicate, nothing recorded
        body, headers = _signed(
            {"replies": [{"id": "up-1", "from": "+8613800138002", "text": "ＳＴＯＰ", "at": AT}]}, "r-2"
        )
        again = client.post("/webhooks/sms-webhook/replies", content=body, headers=headers)
    assert again.status_code == 200 and again.json()["duplicates"] == 1
    assert kinds(sent.app.db, "inbound.") == ["inbound.replies"]
    assert intact(sent.app.db)


def test_the_signed_provider_posts_replies_as_signed_form_parameters(sent: World) -> None:
    settings = sent.settings.model_copy(
        update={
            "sms_provider": "signed",
            "sms_access_key_id": "key-id",
            "sms_access_key_secret": "key-secret",
        }
    )
    replies = [{"MsgId": "s-1", "PhoneNumber": "13800138001", "Content": "退订", "SendTime": AT}]
    params = sign_params(
        {"Replies": json.dumps(replies, ensure_ascii=False)},
        access_key_id="key-id",
        secret="key-secret",
        now=CN_MORNING,
    )
    tampered = {**params, "Replies": json.dumps([{**replies[0], "Content": "hello"}])}
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    with _client(sent, settings) as client:
        refused = client.post("/webhooks/sms-signed/replies", content=urlencode(tampered), headers=form)
        accepted = client.post("/webhooks/sms-signed/replies", content=urlencode(params), headers=form)
    assert refused.status_code == 401
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["opt_outs"] == 1
    opted = dict(read_frame(sent.app.db, "SELECT account_id, opted_out FROM accounts").iter_rows())
    assert opted["S1"] == "sms"


def test_queue_send_receipts_and_a_stop_that_the_next_run_respects(
    sent: World, provider: ProviderServer
) -> None:
    """The issue's path: the daily run queued, the dispatcher delivered to the local servers (fixture),
    receipts come back as contact events, and a STOP by webhook means no SMS on the next run."""
    db = sent.app.db
    by_key = {d.key: d for d in provider.state.delivered.values()}
    receipts = [{"id": key, "status": "delivered", "at": AT} for key in by_key]
    body, headers = _signed({"receipts": receipts}, "e2e-1")
    stop, stop_headers = _signed(
        {"replies": [{"id": "up-9", "from": "+86 138 0013 8001", "text": "退订", "at": AT}]}, "e2e-2"
    )
    with _client(sent) as client:
        assert client.post("/webhooks/sms-webhook/receipts", content=body, headers=headers).status_code == 200
        assert (
            client.post("/webhooks/sms-webhook/replies", content=stop, headers=stop_headers).status_code
            == 200
        )
    contacts = read_frame(
        db,
        "SELECT c.account_id, e.channel, e.direction, e.outcome FROM events e "
        "JOIN accounts c ON c.\"key\" = e.account_key WHERE e.type = 'contact' ORDER BY c.account_id, e.direction",
    ).rows()
    assert contacts == [
        ("E1", "email", "outbound", "delivered"),
        ("S1", "sms", "inbound", "replied"),
        ("S1", "sms", "outbound", "delivered"),
        ("S2", "sms", "outbound", "delivered"),
    ]
    sent.clock.now = datetime(2026, 3, 9, 1, 0, tzinfo=UTC)
    run_day(sent.app, date(2026, 3, 9), RunOptions())
    proposed = read_frame(
        db,
        'SELECT c.account_id, a.action FROM actions a JOIN accounts c ON c."key" = a.account_key '
        "WHERE a.run_date = '2026-03-09'",
    ).rows()
    assert ("S2", "sms") in proposed
    assert not [row for row in proposed if row[0] == "S1"]


def test_a_mail_gateway_reports_bounces_of_what_smtp_sent(sent: World) -> None:
    db = sent.app.db
    settings = sent.settings.model_copy(update={"email_inbound_secret": "mail-secret"})
    key = _sms_keys(db)["E1"]
    body, headers = _signed(
        {"receipts": [{"id": key, "status": "bounced", "at": AT, "error": "550 mailbox full"}]},
        "b-1",
        "mail-secret",
    )
    with _client(sent, settings) as client:
        response = client.post("/webhooks/email-webhook/receipts", content=body, headers=headers)
    assert response.status_code == 200, response.text
    assert sent.actions()["E1"] == ("email", "bounced")
    outcomes = read_frame(db, "SELECT outcome FROM events WHERE channel = 'email' ORDER BY outcome")[
        "outcome"
    ]
    assert outcomes.to_list() == ["bounced", "delivered"]
