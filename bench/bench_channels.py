"""Channels: how fast messages leave, measured against the local servers the tests use.

- HTTP SMS (generic JSON and signed providers): batches of 200 over pooled keep-alive connections, against
  one message per request over the same pooled connection, per message. Target >= 2,000/s.
- SMTP: two persistent sessions (the default), against a new SMTP session per message. Target >= 500/s.
- The whole dispatcher on SQLite (claim with idempotency keys, send, record results and contact events),
  SMS to the HTTP provider: the rate a real `recoup channels dispatch` reaches.
- PDF letters in the CJK TrueType font, against ReportLab's Platypus with CJK word wrap. Target >= 50 pages/s.
- Rendering messages: plain templates as one concat_str per template, against a Jinja2 render per row.

The servers (tests/integration/channel_servers.py) run in a process of their own, as a provider would, but
on the same two cores as the client: the rates are a floor for a client talking to another machine.
"""

from __future__ import annotations

import argparse
import multiprocessing
import smtplib
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any, TypeVar

import polars as pl
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.platypus import PageBreak, Paragraph, SimpleDocTemplate
from tests.integration.channel_servers import (
    ACCESS_KEY_ID,
    ACCESS_KEY_SECRET,
    GENERIC_SECRET,
    ProviderServer,
    SmtpSink,
)

from recoup.adapters.channels.dispatcher import Dispatcher
from recoup.adapters.channels.gateway import OutboundMessage, RetryPolicy
from recoup.adapters.channels.http_sms import SignedSmsGateway, WebhookGateway
from recoup.adapters.channels.letters import Letter, register_font, render_letters
from recoup.adapters.channels.settings import ChannelSettings
from recoup.adapters.channels.smtp import SmtpConfig, SmtpGateway, build_email
from recoup.adapters.db.bulk import insert_frame
from recoup.adapters.db.engine import connect
from recoup.adapters.db.migrate import migrate
from recoup.bootstrap import App
from recoup.config import Settings
from recoup.core.outbox import email_html, email_subject
from recoup.core.templates import builtin_library, sample_context
from recoup.core.templates.render import render_messages
from recoup.core.templates.variables import context_frame
from recoup.entrypoints.jobs.dispatch import dispatch_outbox

T = TypeVar("T")


def _serve(kind: str, pipe: Connection) -> None:
    """Child process: run one server until told to stop, then report how many messages it took."""
    if kind == "provider":
        provider = ProviderServer().start()
        host, port = provider.httpd.server_address[:2]
        pipe.send((str(host), int(port)))
        pipe.recv()
        pipe.send(len(provider.state.delivered))
        provider.stop()
    else:
        sink = SmtpSink().start()
        pipe.send((sink.host, sink.port))
        pipe.recv()
        pipe.send(len(sink.arrived))
        sink.stop()


@dataclass
class Served:
    host: str
    port: int
    received: int = -1

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"


@contextmanager
def _served(kind: str) -> Iterator[Served]:
    context = multiprocessing.get_context("spawn")
    parent, child = context.Pipe()
    process = context.Process(target=_serve, args=(kind, child), daemon=True)
    process.start()
    host, port = parent.recv()
    served = Served(host, port)
    try:
        yield served
    finally:
        parent.send("stop")
        served.received = parent.recv()
        process.join(timeout=30)


SMS_AT_SCALE_1 = 20_000
EMAIL_AT_SCALE_1 = 4_000
DISPATCH_AT_SCALE_1 = 20_000
LETTERS_AT_SCALE_1 = 1_000
RENDER_AT_SCALE_1 = 200_000
NO_WAIT = RetryPolicy(attempts=2, sleep=lambda _s: None)
TEXT = "【催收示例】张三您好，我们受示例银行委托联系您：您尾号5678的账户尚有¥1,234.50待还。详询400-000-0000。回复TD退订"


def _timed(work: Callable[[], T]) -> tuple[T, float]:
    started = time.perf_counter()
    result = work()
    return result, time.perf_counter() - started


def _row(
    name: str, n: int, seconds: float, baseline: str, ratio: float | None, target: str
) -> dict[str, Any]:
    return {
        "benchmark": name,
        "n": n,
        "seconds": round(seconds, 3),
        "rate_per_s": round(n / seconds) if seconds else None,
        "baseline": baseline,
        "ratio": round(ratio, 3) if ratio is not None else None,
        "target": target,
    }


def _per_message_ratio(n: int, seconds: float, baseline_n: int, baseline_seconds: float) -> float:
    return (seconds / n) / (baseline_seconds / baseline_n)


def _sms(n: int, channel: str = "sms") -> list[OutboundMessage]:
    return [
        OutboundMessage(f"bench-{channel}-{i}", i, i, channel, f"+86138{i:08d}", "zh", TEXT) for i in range(n)
    ]


def _one_by_one(provider: Served, messages: list[OutboundMessage]) -> None:
    """One request per message over a pooled connection: what a client without batching does."""
    gateway = WebhookGateway(f"{provider.base_url}/generic", GENERIC_SECRET, batch_size=1, retry=NO_WAIT)
    try:
        gateway.send(messages)
    finally:
        gateway.close()


def _http_rows(scale: float) -> list[dict[str, Any]]:
    n = max(int(SMS_AT_SCALE_1 * scale), 200)
    naive_n = max(n // 20, 50)
    with _served("provider") as provider:
        _, naive_seconds = _timed(lambda: _one_by_one(provider, _sms(naive_n, "naive")))
        generic = WebhookGateway(
            f"{provider.base_url}/generic", GENERIC_SECRET, batch_size=200, retry=NO_WAIT
        )
        signed = SignedSmsGateway(
            f"{provider.base_url}/signed",
            ACCESS_KEY_ID,
            ACCESS_KEY_SECRET,
            "催收示例",
            batch_size=200,
            retry=NO_WAIT,
        )
        try:
            results, generic_seconds = _timed(lambda: generic.send(_sms(n, "sms")))
            signed_results, signed_seconds = _timed(lambda: signed.send(_sms(n, "signed")))
        finally:
            generic.close()
            signed.close()
    if {r.status for r in results + signed_results} != {"sent"} or provider.received != 2 * n + naive_n:
        raise RuntimeError("the provider did not accept every message exactly once")
    baseline = "1 message a request, pooled (per message)"
    return [
        _row("HTTP SMS one message a request", naive_n, naive_seconds, baseline, 1.0, "reference"),
        _row(
            "HTTP SMS generic, batches of 200",
            n,
            generic_seconds,
            baseline,
            _per_message_ratio(n, generic_seconds, naive_n, naive_seconds),
            ">= 2,000 messages/s",
        ),
        _row(
            "HTTP SMS signed (HMAC params)",
            n,
            signed_seconds,
            baseline,
            _per_message_ratio(n, signed_seconds, naive_n, naive_seconds),
            ">= 2,000 messages/s",
        ),
    ]


def _emails(n: int, prefix: str) -> list[OutboundMessage]:
    body = "张三您好：\n\n我们是催收示例公司，受示例银行委托与您联系。您尾号5678的账户目前尚有¥1,234.50待还。\n\n催收示例公司"
    return [
        OutboundMessage(
            f"{prefix}-{i}",
            i,
            i,
            "email",
            f"d{i}@example.cn",
            "zh",
            body,
            email_subject("zh", "示例银行"),
            email_html(body, "zh"),
            "张三",
        )
        for i in range(n)
    ]


def _naive_smtp(config: SmtpConfig, messages: list[OutboundMessage]) -> None:
    for message in messages:
        with smtplib.SMTP(config.host, config.port) as session:
            session.sendmail(config.mail_from, [message.to], build_email(message, config))


def _smtp_rows(scale: float) -> list[dict[str, Any]]:
    n = max(int(EMAIL_AT_SCALE_1 * scale), 100)
    naive_n = max(n // 10, 50)
    with _served("smtp") as sink:
        config = SmtpConfig(host=sink.host, port=sink.port, mail_from="c@agency.example", connections=2)
        _, naive_seconds = _timed(lambda: _naive_smtp(config, _emails(naive_n, "naive")))
        gateway = SmtpGateway(config, retry=NO_WAIT)
        try:
            results, seconds = _timed(lambda: gateway.send(_emails(n, "pooled")))
        finally:
            gateway.close()
    if {r.status for r in results} != {"delivered"} or sink.received != n + naive_n:
        raise RuntimeError("the SMTP server did not receive every message")
    baseline = "a new SMTP session per message (per message)"
    return [
        _row("SMTP new session each", naive_n, naive_seconds, baseline, 1.0, "reference"),
        _row(
            "SMTP 2 persistent sessions",
            n,
            seconds,
            baseline,
            _per_message_ratio(n, seconds, naive_n, naive_seconds),
            ">= 500 messages/s",
        ),
    ]


def _dispatch_db(folder: Path, n: int) -> App:
    db = connect(f"sqlite:///{folder / 'dispatch.db'}")
    migrate(db)
    keys = pl.int_range(1, n + 1, dtype=pl.Int64, eager=True)
    accounts = pl.DataFrame({"key": keys}).with_columns(
        account_id=pl.format("A{}", "key"),
        creditor_id=pl.lit("bank"),
        debtor_id=pl.format("D{}", "key"),
        debtor_type=pl.lit("individual"),
        debtor_name=pl.lit("张三"),
        currency=pl.lit("CNY"),
        principal=pl.lit(123450, dtype=pl.Int64),
        interest=pl.lit(0, dtype=pl.Int64),
        fees=pl.lit(0, dtype=pl.Int64),
        due_on=pl.lit(date(2026, 2, 1)),
        jurisdiction=pl.lit("CN"),
        phone=pl.format("+86138{}", pl.col("key").cast(pl.String).str.zfill(8)),
        flags=pl.lit(""),
        status=pl.lit("active"),
        credit=pl.lit(0, dtype=pl.Int64),
        collected=pl.lit(0, dtype=pl.Int64),
        placed_on=pl.lit(date(2026, 2, 1)),
        placed_balance=pl.lit(123450, dtype=pl.Int64),
        opted_out=pl.lit(""),
    )
    actions = pl.DataFrame({"key": keys}).with_columns(
        account_key="key",
        run_date=pl.lit(date(2026, 3, 2)),
        action=pl.lit("sms"),
        channel=pl.lit("sms"),
        scheduled_at=pl.lit(datetime(2026, 3, 2, 2, 0, tzinfo=UTC)),
        local_offset_minutes=pl.lit(480, dtype=pl.Int32),
        template_id=pl.lit("reminder_sms"),
        language=pl.lit("zh"),
        message=pl.lit(TEXT),
        offer_kind=pl.lit("none"),
        currency=pl.lit("CNY"),
        status=pl.lit("queued"),
    )
    with db.engine.begin() as connection:
        insert_frame(connection, db, "accounts", accounts)
        insert_frame(connection, db, "actions", actions)
    now = datetime(2026, 3, 2, 3, 0, tzinfo=UTC)
    return App(settings=Settings(database_url=str(db.url)), db=db, clock=lambda: now)


def _dispatch_rows(scale: float, http_rate: float) -> list[dict[str, Any]]:
    n = max(int(DISPATCH_AT_SCALE_1 * scale), 200)
    with (
        _served("provider") as provider,
        tempfile.TemporaryDirectory(prefix="recoup-bench-channels-") as folder,
    ):
        app = _dispatch_db(Path(folder), n)
        gateway = WebhookGateway(
            f"{provider.base_url}/generic", GENERIC_SECRET, name="sms-webhook", retry=NO_WAIT
        )
        dispatcher = Dispatcher({"sms": gateway})
        try:
            summary, seconds = _timed(lambda: dispatch_outbox(app, dispatcher, ChannelSettings()))
        finally:
            dispatcher.close()
            app.close()
    if summary.outcomes.get("sent") != n or provider.received != n:
        raise RuntimeError(f"dispatch did not send every message once: {summary.as_dict()}")
    return [
        _row(
            "dispatch_outbox SMS (SQLite, claim+send+record)",
            n,
            seconds,
            "gateway alone (per message)",
            (seconds / n) * http_rate,
            "the rate of `recoup channels dispatch`",
        )
    ]


def _letters(n: int) -> list[Letter]:
    entry = builtin_library().find("reminder_letter", "CN", "zh")
    assert entry is not None
    body = entry.compiled.render(sample_context("zh", "CN", "催收示例公司", "400-000-0000"))
    return [
        Letter(
            f"A-{i}",
            "张三",
            "北京市朝阳区建国路1号;100020",
            "zh",
            "2026年3月1日",
            body,
            "催收示例公司",
            "上海市浦东新区",
        )
        for i in range(n)
    ]


def _platypus(letters: list[Letter], font: str) -> int:
    style = ParagraphStyle("body", fontName=font, fontSize=10.5, leading=16, wordWrap="CJK")
    story: list[Any] = []
    for letter in letters:
        story += [Paragraph(p or "&nbsp;", style) for p in letter.body.split("\n")]
        story.append(PageBreak())
    with tempfile.TemporaryFile() as handle:
        SimpleDocTemplate(handle, pagesize=A4).build(story)
    return len(letters)


def _letter_rows(scale: float) -> list[dict[str, Any]]:
    n = max(int(LETTERS_AT_SCALE_1 * scale), 20)
    letters = _letters(n)
    font = register_font()
    baseline_n = max(n // 4, 10)
    _, baseline_seconds = _timed(lambda: _platypus(letters[:baseline_n], font))
    (_, pages), seconds = _timed(lambda: render_letters(letters))
    return [
        _row(
            "PDF Platypus CJK wrap",
            baseline_n,
            baseline_seconds,
            "Platypus Paragraph (per page)",
            1.0,
            "reference",
        ),
        _row(
            "PDF letters (canvas, TrueType CJK)",
            pages,
            seconds,
            "Platypus Paragraph (per page)",
            _per_message_ratio(pages, seconds, baseline_n, baseline_seconds),
            ">= 50 pages/s",
        ),
    ]


def _render_rows(scale: float) -> list[dict[str, Any]]:
    n = max(int(RENDER_AT_SCALE_1 * scale), 1000)
    frame = pl.DataFrame(
        {
            "template_id": ["reminder_sms", "reminder_email", "reminder_im", "reminder_sms"] * (n // 4),
            "jurisdiction": ["CN", "CN", "US", "UK"] * (n // 4),
            "language": ["zh", "zh", "en", "en"] * (n // 4),
        }
    ).with_columns(
        debtor_name=pl.lit("张三"),
        creditor_id=pl.lit("示例银行"),
        account_id=pl.format("62220200{}", pl.int_range(pl.len())),
        balance=pl.int_range(pl.len()) * 7 + 10_000,
        currency=pl.lit("CNY"),
    )
    library = builtin_library()
    column, seconds = _timed(
        lambda: render_messages(frame, library, agency="催收示例公司", phone="400-000-0000")
    )
    sample = frame.head(max(n // 20, 100))

    def per_row() -> list[str]:
        contexts = context_frame(sample, "催收示例公司", "400-000-0000").to_dicts()
        keys = sample.select("template_id", "jurisdiction", "language").rows()
        out = []
        for (template_id, jurisdiction, language), context in zip(keys, contexts, strict=True):
            entry = library.find(template_id, jurisdiction, language)
            assert entry is not None
            out.append(entry.compiled.render(context))
        return out

    rows_rendered, baseline_seconds = _timed(per_row)
    if rows_rendered != column.head(sample.height).to_list():
        raise RuntimeError("column rendering differs from rendering each row")
    baseline = "Jinja2 render per row (per message)"
    return [
        _row("render per row (Jinja2)", sample.height, baseline_seconds, baseline, 1.0, "reference"),
        _row(
            "render_messages (concat_str per template)",
            n,
            seconds,
            baseline,
            _per_message_ratio(n, seconds, sample.height, baseline_seconds),
            "columnar: no render per row for plain templates",
        ),
    ]


def run(scale: float = 1.0) -> list[dict[str, Any]]:
    rows = _http_rows(scale)
    http_rate = float(rows[1]["rate_per_s"] or 1)
    rows += _smtp_rows(scale)
    rows += _dispatch_rows(scale, http_rate)
    rows += _letter_rows(scale)
    rows += _render_rows(scale)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scale", type=float, default=1.0)
    args = parser.parse_args()
    from bench.__main__ import _print

    _print(run(args.scale))


if __name__ == "__main__":
    main()
