from __future__ import annotations

from datetime import UTC, date, datetime

import polars as pl
import pytest

from recoup.core.compliance import load_rulebooks
from recoup.core.outbox import email_html, email_subject, idempotency_key, letter_verdicts, verdicts

SCHEDULED = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai (+480)
RULEBOOKS = load_rulebooks()


def _rows(**overrides: list[object]) -> pl.DataFrame:
    base: dict[str, list[object]] = {
        "channel": ["sms"],
        "jurisdiction": ["CN"],
        "run_date": [date(2026, 3, 2)],
        "timezone": [None],
        "region": [None],
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
    return pl.DataFrame(
        base,
        schema_overrides={
            "scheduled_at": pl.Datetime("us", "UTC"),
            "timezone": pl.String,
            "region": pl.String,
        },
    )


def _verdict(
    now: datetime = datetime(2026, 3, 2, 3, 0, tzinfo=UTC), **overrides: list[object]
) -> tuple[str, str | None, str | None]:
    row = verdicts(_rows(**overrides), now, RULEBOOKS).row(0, named=True)
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


def test_the_rulebook_hours_decide_not_a_fixed_evening_cutoff() -> None:
    # CN.hours allows 08:00-22:00 in Shanghai: 21:30 is inside it (a fixed 20:00 cutoff expired it).
    assert _verdict(now=datetime(2026, 3, 2, 13, 30, tzinfo=UTC))[0] == "send"  # 21:30 local
    assert _verdict(now=datetime(2026, 3, 2, 14, 0, tzinfo=UTC))[0] == "send"  # 22:00, the last minute
    late = _verdict(now=datetime(2026, 3, 2, 14, 1, tzinfo=UTC))  # 22:01: the run date's hours are over
    assert late[:2] == ("expired", "the contact hours of its run date 2026-03-02 are over (CN.hours)")
    assert _verdict(now=datetime(2026, 3, 3, 2, 0, tzinfo=UTC))[0] == "expired"  # the next morning


def test_a_message_before_the_window_opens_is_held_until_it_does() -> None:
    early = _verdict(now=datetime(2026, 3, 1, 23, 30, tzinfo=UTC))  # 07:30 in Shanghai
    assert early[:2] == ("held", "outside the contact hours (CN.hours) until 2026-03-02T00:00:00Z")
    assert _verdict(now=datetime(2026, 3, 2, 0, 0, tzinfo=UTC))[0] == "send"  # 08:00
    # What stops a message for good is settled at once, window or not.
    assert _verdict(now=datetime(2026, 3, 1, 23, 30, tzinfo=UTC), opted_out=["sms"])[0] == "cancelled"
    assert _verdict(now=datetime(2026, 3, 1, 23, 30, tzinfo=UTC), phone=[" "])[0] == "failed"


US = {"jurisdiction": ["US"], "run_date": [date(2026, 3, 2)], "phone": ["+13125550100"]}


def test_a_us_message_may_leave_until_21_00_local() -> None:
    chicago = {**US, "timezone": ["America/Chicago"]}  # UTC-6 on 2 March
    assert _verdict(now=datetime(2026, 3, 3, 2, 30, tzinfo=UTC), **chicago)[0] == "send"  # 20:30
    late = _verdict(now=datetime(2026, 3, 3, 3, 1, tzinfo=UTC), **chicago)  # 21:01
    assert late[:2] == ("expired", "the contact hours of its run date 2026-03-02 are over (US.1006.6.b.1.i)")


def test_every_candidate_zone_must_allow_the_message() -> None:
    # A New York number of a debtor living in California: 08:00 in Los Angeles is 11:00 in New York, and
    # 21:00 in New York is 18:00 in Los Angeles; the message leaves only in between.
    both = {**US, "phone": ["+12125550100"], "region": ["CA"]}
    assert _verdict(now=datetime(2026, 3, 2, 15, 0, tzinfo=UTC), **both)[0] == "held"  # 10:00 NY, 07:00 LA
    assert _verdict(now=datetime(2026, 3, 2, 16, 0, tzinfo=UTC), **both)[0] == "send"  # 11:00 NY, 08:00 LA
    assert _verdict(now=datetime(2026, 3, 3, 2, 30, tzinfo=UTC), **both)[0] == "expired"  # 21:30 NY
    new_york_only = {**both, "region": [None]}
    assert _verdict(now=datetime(2026, 3, 2, 15, 0, tzinfo=UTC), **new_york_only)[0] == "send"


@pytest.mark.parametrize(
    ("now", "verdict"),
    [
        (datetime(2026, 3, 8, 11, 59, tzinfo=UTC), "held"),  # 07:59 EDT (06:59 by the winter offset)
        (datetime(2026, 3, 8, 12, 0, tzinfo=UTC), "send"),  # 08:00 EDT: clocks sprang forward at 02:00
        (datetime(2026, 3, 9, 1, 0, tzinfo=UTC), "send"),  # 21:00 EDT, the last minute
        (datetime(2026, 3, 9, 1, 1, tzinfo=UTC), "expired"),  # 21:01 EDT (20:01 by the winter offset)
    ],
)
def test_the_window_follows_the_clocks_on_the_day_they_change(now: datetime, verdict: str) -> None:
    new_york = {
        **US,
        "run_date": [date(2026, 3, 8)],
        "timezone": ["America/New_York"],
        "local_offset_minutes": [-300],  # as scheduled the evening before, in winter time
    }
    assert _verdict(now=now, **new_york)[0] == verdict


def test_letters_stop_for_holds_opt_outs_and_missing_addresses() -> None:
    rows = _rows(
        channel=["letter"] * 4,
        jurisdiction=["CN"] * 4,
        run_date=[date(2026, 3, 2)] * 4,
        timezone=[None] * 4,
        region=[None] * 4,
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
