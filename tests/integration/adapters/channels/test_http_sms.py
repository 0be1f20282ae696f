"""SMS and IM through a local HTTP provider that checks signatures and deduplicates by idempotency key."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from tests.integration.channel_servers import (
    ACCESS_KEY_ID,
    ACCESS_KEY_SECRET,
    GENERIC_SECRET,
    ProviderServer,
    running_provider,
)

from recoup.adapters.channels.gateway import OutboundMessage, RetryPolicy
from recoup.adapters.channels.http_sms import SignedSmsGateway, WebhookGateway

NO_WAIT = RetryPolicy(attempts=3, sleep=lambda _seconds: None)


@pytest.fixture
def provider() -> Iterator[ProviderServer]:
    yield from running_provider()


def _sms(
    key: str, to: str = "+8613800138000", text: str = "【催收示例】张三您好，回复TD退订"
) -> OutboundMessage:
    return OutboundMessage(key, 1, 1, "sms", to, "zh", text)


@pytest.fixture(params=["generic", "signed"])
def gateway(
    request: pytest.FixtureRequest, provider: ProviderServer
) -> Iterator[WebhookGateway | SignedSmsGateway]:
    chosen: WebhookGateway | SignedSmsGateway
    if request.param == "generic":
        chosen = WebhookGateway(f"{provider.base_url}/generic", GENERIC_SECRET, batch_size=3, retry=NO_WAIT)
    else:
        chosen = SignedSmsGateway(
            f"{provider.base_url}/signed",
            ACCESS_KEY_ID,
            ACCESS_KEY_SECRET,
            "催收示例",
            batch_size=3,
            retry=NO_WAIT,
        )
    yield chosen
    chosen.close()


def test_messages_reach_the_provider_in_batches_with_valid_signatures(
    gateway: WebhookGateway | SignedSmsGateway, provider: ProviderServer
) -> None:
    messages = [_sms(f"recoup-{i}", f"+861380013800{i}") for i in range(7)]
    results = gateway.send(messages)
    assert [r.status for r in results] == ["sent"] * 7
    assert [r.idempotency_key for r in results] == [m.idempotency_key for m in messages]
    assert provider.state.requests == 3  # 7 messages in batches of 3
    assert provider.state.rejected_requests == []
    assert provider.state.delivered["recoup-3"].to == "+8613800138003"
    assert provider.state.delivered["recoup-3"].text == "【催收示例】张三您好，回复TD退订"
    assert results[3].provider_message_id == provider.state.delivered["recoup-3"].message_id


def test_a_key_sent_twice_is_delivered_once(
    gateway: WebhookGateway | SignedSmsGateway, provider: ProviderServer
) -> None:
    first = gateway.send([_sms("recoup-1")])
    again = gateway.send([_sms("recoup-1")])
    assert first[0].status == again[0].status == "sent"
    assert first[0].provider_message_id == again[0].provider_message_id
    assert provider.state.submissions["recoup-1"] == 2
    assert list(provider.state.delivered) == ["recoup-1"]


def test_a_rejected_number_fails_alone(gateway: WebhookGateway | SignedSmsGateway) -> None:
    results = gateway.send([_sms("recoup-1"), _sms("recoup-2", to="+0001"), _sms("recoup-3")])
    assert [r.status for r in results] == ["sent", "failed", "sent"]
    assert results[1].error


def test_a_provider_outage_is_retried_with_the_same_keys(
    gateway: WebhookGateway | SignedSmsGateway, provider: ProviderServer
) -> None:
    provider.state.fail_next = 2
    results = gateway.send([_sms("recoup-1"), _sms("recoup-2")])
    assert [r.status for r in results] == ["sent", "sent"]
    assert provider.state.requests == 3
    assert sorted(provider.state.delivered) == ["recoup-1", "recoup-2"]


def test_retries_that_run_out_fail_the_batch(
    gateway: WebhookGateway | SignedSmsGateway, provider: ProviderServer
) -> None:
    provider.state.fail_next = 10
    results = gateway.send([_sms("recoup-1")])
    assert results[0].status == "failed"
    assert "gave up after 3 attempts" in (results[0].error or "")
    assert provider.state.delivered == {}


def test_a_wrong_secret_is_refused_by_the_provider(provider: ProviderServer) -> None:
    generic = WebhookGateway(f"{provider.base_url}/generic", "not-the-secret", retry=NO_WAIT)
    signed = SignedSmsGateway(f"{provider.base_url}/signed", ACCESS_KEY_ID, "wrong", "x", retry=NO_WAIT)
    try:
        refused = generic.send([_sms("recoup-1")]) + signed.send([_sms("recoup-2")])
    finally:
        generic.close()
        signed.close()
    assert [r.status for r in refused] == ["failed", "failed"]
    assert "401" in (refused[0].error or "")
    assert "SignatureDoesNotMatch" in (refused[1].error or "")
    assert provider.state.delivered == {}


def test_im_goes_through_the_generic_provider(provider: ProviderServer) -> None:
    gateway = WebhookGateway(f"{provider.base_url}/generic", GENERIC_SECRET, channel="im", name="im-webhook")
    try:
        [result] = gateway.send([OutboundMessage("recoup-9", 9, 9, "im", "wx_zhangsan", "zh", "您好")])
    finally:
        gateway.close()
    assert result.status == "sent"
    assert provider.state.delivered["recoup-9"].channel == "im"
