"""Email through a real SMTP server (aiosmtpd on localhost): what arrives, headers and both parts."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from tests.integration.channel_servers import SmtpSink, running_smtp

from recoup.adapters.channels.gateway import OutboundMessage, RetryPolicy
from recoup.adapters.channels.smtp import SmtpConfig, SmtpGateway
from recoup.core.outbox import email_html, email_subject

NO_WAIT = RetryPolicy(attempts=3, sleep=lambda _seconds: None)


@pytest.fixture
def smtp_sink() -> Iterator[SmtpSink]:
    yield from running_smtp()


def _message(
    key: str, to: str, language: str = "zh", text: str = "张三您好：\n\n您的账户尚有¥1,234.50待还。"
) -> OutboundMessage:
    return OutboundMessage(
        idempotency_key=key,
        action_key=1,
        account_key=1,
        channel="email",
        to=to,
        language=language,
        text=text,
        subject=email_subject(language, "示例银行"),
        html=email_html(text, language),
        recipient_name="张三",
    )


def _gateway(sink: SmtpSink, connections: int = 1) -> SmtpGateway:
    config = SmtpConfig(
        host=sink.host,
        port=sink.port,
        mail_from="collections@agency.example",
        from_name="催收示例公司",
        connections=connections,
        unsubscribe_to="unsubscribe@agency.example",
    )
    return SmtpGateway(config, retry=NO_WAIT)


def test_an_email_arrives_with_headers_and_plain_and_html_parts(smtp_sink: SmtpSink) -> None:
    gateway = _gateway(smtp_sink)
    try:
        [result] = gateway.send([_message("recoup-7", "zhang@example.cn")])
    finally:
        gateway.close()
    assert result.status == "delivered", result.error
    assert result.provider_message_id == "recoup-7@agency.example"
    [arrived] = smtp_sink.arrived
    assert arrived.rcpt_tos == ["zhang@example.cn"]
    assert arrived.mail_from == "collections@agency.example"
    email = arrived.message
    assert email["Subject"] == "关于您在示例银行的账户"
    assert email["Message-ID"] == "<recoup-7@agency.example>"
    assert email["X-Recoup-Idempotency-Key"] == "recoup-7"
    assert email["From"].addresses[0].display_name == "催收示例公司"
    assert email["To"].addresses[0].addr_spec == "zhang@example.cn"
    assert email["List-Unsubscribe"] == "<mailto:unsubscribe@agency.example?subject=STOP-recoup-7>"
    assert email["Content-Language"] == "zh-CN"
    plain = email.get_body(preferencelist=("plain",))
    html = email.get_body(preferencelist=("html",))
    assert plain is not None and html is not None
    assert "您的账户尚有¥1,234.50待还。" in plain.get_content()
    assert '<html lang="zh-CN">' in html.get_content()
    assert "<p>您的账户尚有¥1,234.50待还。</p>" in html.get_content()


def test_html_part_escapes_what_the_text_holds(smtp_sink: SmtpSink) -> None:
    gateway = _gateway(smtp_sink)
    try:
        gateway.send([_message("recoup-8", "a@example.com", "en", "Dear <b>Alex</b> & co")])
    finally:
        gateway.close()
    html = smtp_sink.arrived[0].message.get_body(preferencelist=("html",))
    assert html is not None
    assert "Dear &lt;b&gt;Alex&lt;/b&gt; &amp; co" in html.get_content()


def test_a_refused_recipient_bounces_and_a_deferred_one_is_retried(smtp_sink: SmtpSink) -> None:
    gateway = _gateway(smtp_sink)
    try:
        results = gateway.send(
            [_message("recoup-1", "nobody@refuse.example"), _message("recoup-2", "later@defer.example")]
        )
    finally:
        gateway.close()
    assert [r.status for r in results] == ["bounced", "delivered"]
    assert "550" in (results[0].error or "")
    assert [a.rcpt_tos for a in smtp_sink.arrived] == [["later@defer.example"]]


def test_one_connection_per_worker_carries_many_messages(smtp_sink: SmtpSink) -> None:
    gateway = _gateway(smtp_sink, connections=3)
    messages = [_message(f"recoup-{i}", f"d{i}@example.cn") for i in range(30)]
    try:
        results = gateway.send(messages)
        opened = len(gateway._opened)
    finally:
        gateway.close()
    assert {r.status for r in results} == {"delivered"}
    assert [r.idempotency_key for r in results] == [m.idempotency_key for m in messages]
    # At most one connection per worker; a worker that started late may have found the queue empty.
    assert 1 <= opened <= 3
    assert sorted(smtp_sink.by_message_id()) == sorted(f"<recoup-{i}@agency.example>" for i in range(30))


def test_an_unreachable_server_fails_the_batch_after_the_retries() -> None:
    config = SmtpConfig(host="127.0.0.1", port=1, mail_from="c@agency.example", timeout=2)
    slept: list[float] = []
    gateway = SmtpGateway(config, retry=RetryPolicy(attempts=3, sleep=slept.append))
    try:
        [result] = gateway.send([_message("recoup-1", "a@example.com")])
    finally:
        gateway.close()
    assert result.status == "failed"
    assert "gave up after 3 attempts" in (result.error or "")
    assert len(slept) == 2
