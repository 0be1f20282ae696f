from __future__ import annotations

from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage

from hypothesis import given, settings
from hypothesis import strategies as st

from recoup.adapters.channels.gateway import OutboundMessage
from recoup.adapters.channels.smtp import SmtpConfig, build_email

CONFIG = SmtpConfig(
    host="localhost", port=25, mail_from="collections@agency.example", from_name="催收示例公司"
)
# Text as messages carry it: any printable characters and line breaks (no lone surrogates or NUL).
texts = st.text(
    st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="\x00") | st.sampled_from("\n"),
    max_size=400,
)
names = st.text(st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=40)


def _parse(raw: bytes) -> EmailMessage:
    parsed = message_from_bytes(raw, policy=policy.default)
    assert isinstance(parsed, EmailMessage)
    return parsed


@settings(max_examples=150, deadline=None)
@given(text=texts, html=st.one_of(st.none(), texts), subject=names, name=names)
def test_what_is_built_parses_back_to_the_same_message(
    text: str, html: str | None, subject: str, name: str
) -> None:
    message = OutboundMessage(
        "recoup-42", 42, 7, "email", "zhang@example.cn", "zh", text, subject, html, name
    )
    raw = build_email(message, CONFIG, datetime(2026, 3, 2, 3, 0, tzinfo=UTC))
    assert b"\r\n" in raw and b"\n" not in raw.replace(b"\r\n", b"")  # CRLF line ends only
    assert all(len(line) <= 998 for line in raw.split(b"\r\n"))
    email = _parse(raw)
    assert email["Subject"] == " ".join(subject.splitlines())
    assert email["To"].addresses[0].addr_spec == "zhang@example.cn"
    assert email["Message-ID"] == "<recoup-42@agency.example>"
    assert email["From"].addresses[0].display_name == "催收示例公司"
    plain = email.get_body(preferencelist=("plain",))
    assert plain is not None and plain.get_content() == text
    if html:  # an empty HTML part is left out
        rich = email.get_body(preferencelist=("html",))
        assert rich is not None and rich.get_content() == html


def test_a_line_break_in_a_name_cannot_inject_a_header() -> None:
    message = OutboundMessage(
        "recoup-1",
        1,
        1,
        "email",
        "a@example.com",
        "en",
        "hi",
        "Subject\r\nBcc: x@evil.example",
        None,
        "Alex\nBcc: y@evil.example",
    )
    email = _parse(build_email(message, CONFIG))
    assert email["Bcc"] is None
