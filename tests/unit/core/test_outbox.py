from __future__ import annotations

from datetime import UTC, datetime, time

import polars as pl

from recoup.core.outbox import email_html, email_subject, idempotency_key, letter_verdicts, verdicts

SCHEDULED = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai (+480)


def _rows(**overrides: list[object]) -> pl.DataFrame:
    base: dict[str, list[object]] = {
        "channel": ["sms"],
        "jurisdiction": ["CN"],
        "scheduled_at": [SCHEDULED],
        "local_offset_minutes": [480],
        "account_status": ["active"],
        "flags": [""],
        "opted_out": [""],
        "phone": ["+8613800138000;+8613900139000"],
        "email": ["a@example.cn"],
        "im_handle": ["wx"],
        "address": ["北京"],
    }
    base.update(overrides)
    return pl.DataFrame(base, schema_overrides={"scheduled_at": pl.Datetime("us", "UTC")})


def _verdict(
    now: datetime = datetime(2026, 3, 2, 3, 0, tzinfo=UTC), **overrides: list[object]
) -> tuple[str, str | None, str | None]:
    row = verdicts(_rows(**overrides), now).row(0, named=True)
    return row["verdict"], row["reason"], row["to"]


def test_a_due_message_is_sent_to_the_first_phone() -> None:
    assert _verdict() == ("send", None, "+8613800138000")
    assert _verdict(channel=["email"])[2] == "a@example.cn"


def test_what_stops_a_message_at_the_last_moment() -> None:
    assert _verdict(account_status=["paid"])[:2] == ("cancelled", "account is paid")
    assert _verdict(flags=["complaint;dispute"])[0] == "cancelled"
    assert _verdict(flags=["complaint"])[0] == "send"  # a complaint is not a collection hold
    assert _verdict(opted_out=["email;sms"])[:2] == ("cancelled", "debtor opted out of sms")
    assert _verdict(opted_out=["email"])[0] == "send"
    assert _verdict(phone=["  "])[:2] == ("failed", "no sms address")


def test_after_the_latest_local_send_time_a_message_expires() -> None:
    assert _verdict(now=datetime(2026, 3, 2, 11, 59, tzinfo=UTC))[0] == "send"  # 19:59 local
    assert _verdict(now=datetime(2026, 3, 2, 12, 1, tzinfo=UTC))[0] == "expired"  # 20:01 local
    later = verdicts(_rows(), datetime(2026, 3, 2, 13, 0, tzinfo=UTC), latest_local=time(21, 30)).row(
        0, named=True
    )
    assert later["verdict"] == "send"


def test_letters_stop_for_holds_opt_outs_and_missing_addresses() -> None:
    rows = _rows(
        channel=["letter"] * 4,
        jurisdiction=["CN"] * 4,
        scheduled_at=[SCHEDULED] * 4,
        local_offset_minutes=[480] * 4,
        account_status=["active"] * 4,
        flags=["", "cease", "", ""],
        opted_out=["", "", "letter", ""],
        phone=[None] * 4,
        email=[None] * 4,
        im_handle=[None] * 4,
        address=["北京", "北京", "北京", None],
    )
    assert letter_verdicts(rows)["verdict"].to_list() == ["send", "cancelled", "cancelled", "failed"]


def test_phone_numbers_leave_in_international_form() -> None:
    assert _verdict(phone=["138 0013 8000"])[2] == "+8613800138000"
    assert _verdict(phone=["+86 (138) 0013-8000"])[2] == "+8613800138000"
    assert _verdict(phone=["(212) 555-0100"], jurisdiction=["US"])[2] == "+12125550100"
    assert _verdict(phone=["12"])[2] == "12"  # not a possible number: passed on as written


def test_idempotency_keys_subjects_and_html() -> None:
    assert idempotency_key(42) == "recoup-42"
    assert email_subject("en", "Example Bank") == "About your account with Example Bank"
    html = email_html("Dear <you>,\n\nline one\nline two", "en")
    assert "<p>Dear &lt;you&gt;,</p><p>line one<br>line two</p>" in html
