"""The dispatcher routes each channel to its gateway under its rate limit (real local servers)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from tests.integration.channel_servers import (
    GENERIC_SECRET,
    ProviderServer,
    SmtpSink,
    running_provider,
    running_smtp,
)

from recoup.adapters.channels.dispatcher import Dispatcher
from recoup.adapters.channels.gateway import OutboundMessage, RetryPolicy
from recoup.adapters.channels.http_sms import WebhookGateway
from recoup.adapters.channels.ratelimit import TokenBucket
from recoup.adapters.channels.smtp import SmtpConfig, SmtpGateway

NO_WAIT = RetryPolicy(attempts=2, sleep=lambda _s: None)


@pytest.fixture
def provider() -> Iterator[ProviderServer]:
    yield from running_provider()


@pytest.fixture
def smtp_sink() -> Iterator[SmtpSink]:
    yield from running_smtp()


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def _messages(channel: str, n: int, to: str) -> list[OutboundMessage]:
    return [OutboundMessage(f"{channel}-{i}", i, i, channel, to, "zh", "您好") for i in range(n)]


def test_channels_go_to_their_gateways_under_their_limits(
    provider: ProviderServer, smtp_sink: SmtpSink
) -> None:
    clock = FakeClock()
    sms = WebhookGateway(f"{provider.base_url}/generic", GENERIC_SECRET, retry=NO_WAIT)
    email = SmtpGateway(SmtpConfig(smtp_sink.host, smtp_sink.port, "c@agency.example"), retry=NO_WAIT)
    dispatcher = Dispatcher(
        {"sms": sms, "email": email},
        {"sms": TokenBucket(rate=10, burst=10, clock=clock, sleep=clock.sleep)},
        chunk=10,
    )
    messages = _messages("sms", 30, "+8613800138000") + _messages("email", 3, "a@example.cn")
    try:
        results = dispatcher.deliver(messages)
    finally:
        dispatcher.close()
    assert sorted(r.idempotency_key for r in results) == sorted(m.idempotency_key for m in messages)
    assert {r.status for r in results if r.idempotency_key.startswith("sms")} == {"sent"}
    assert {r.status for r in results if r.idempotency_key.startswith("email")} == {"delivered"}
    assert len(provider.state.delivered) == 30 and len(smtp_sink.arrived) == 3
    # 30 SMS at 10/s with 10 saved up: the first chunk passes, the next two wait a second each.
    assert clock.slept == pytest.approx([1.0, 1.0])
    assert dispatcher.providers == {"sms": "webhook", "email": "smtp"}


def test_a_channel_without_a_gateway_fails_its_messages_and_nothing_else() -> None:
    results = Dispatcher({}).deliver(_messages("im", 2, "wx"))
    assert [r.status for r in results] == ["failed", "failed"]
    assert "no gateway configured for channel 'im'" in (results[0].error or "")
