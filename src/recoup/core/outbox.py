"""What may still leave the outbox at the moment of sending, decided for whole columns.

The daily run checked every action when it queued it; by the time the dispatcher runs, the debtor may
have replied STOP, disputed the debt or paid in full, and the day's contact window may have closed. So
each claimed action gets a verdict:
- `send`: go ahead, to the recipient in `to`;
- `cancelled`: the account is no longer active, is on a collection hold, or opted out of the channel;
- `expired`: it is past the latest local send time of its scheduled day (the next run decides again);
- `failed`: there is no address for the channel.

Also here: the status every outbox action moves through, and the message texts a channel needs beyond
the body (email subject and HTML part).
"""

from __future__ import annotations

import html
from datetime import UTC, datetime, time
from typing import Final

import phonenumbers
import polars as pl

from recoup.core.accounts import COLLECTION_HOLDS
from recoup.core.templates.catalog import translate

# Outbox statuses: queued (decided) -> sending (claimed, idempotency key recorded) -> sent (provider
# accepted) -> delivered | failed | bounced; or cancelled | expired before sending; letters -> printed;
# calls, visits and legal reviews -> queued_for_agent (work queues, no dialer here).
STATUSES: Final = (
    "queued",
    "sending",
    "sent",
    "delivered",
    "failed",
    "bounced",
    "cancelled",
    "expired",
    "printed",
    "queued_for_agent",
)
AGENT_ACTIONS: Final = ("call", "visit", "legal_review")
SENT_ACTIONS: Final = ("sms", "email", "im", "offer")  # leave through a message gateway
ADDRESS_COLUMNS: Final = {"sms": "phone", "email": "email", "im": "im_handle", "letter": "address"}
LATEST_LOCAL_SEND: Final = time(20, 0)


def idempotency_key(action_key: int, prefix: str = "recoup") -> str:
    return f"{prefix}-{action_key}"


def first_address(channel: pl.Expr) -> pl.Expr:
    """The row's address for its channel: the first of several ';'-separated phones, else the column."""
    address = pl.lit(None, dtype=pl.String)
    for name, column in ADDRESS_COLUMNS.items():
        value = (
            pl.col(column).str.split(";").list.first().str.strip_chars() if name == "sms" else pl.col(column)
        )
        address = pl.when(channel == name).then(value).otherwise(address)
    return pl.when(address.str.strip_chars() != "").then(address.str.strip_chars())


REGIONS: Final = {"CN": "CN", "US": "US", "UK": "GB"}


def _e164(number: str, region: str | None) -> str:
    try:
        parsed = phonenumbers.parse(number, region)
    except phonenumbers.NumberParseException:
        return number
    if not phonenumbers.is_possible_number(parsed):
        return number
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def e164_column(frame: pl.DataFrame, phone: str, jurisdiction: str) -> pl.Expr:
    """Phone numbers as providers want them (+8613800138000), read in the jurisdiction's country when
    written without a country code; numbers that do not parse are passed on as written. Each distinct
    (number, jurisdiction) is parsed once."""
    distinct = frame.select(phone, jurisdiction).drop_nulls(phone).unique()
    mapping = {
        f"{number}\x1f{place}": _e164(number, REGIONS.get((place or "")[:2]))
        for number, place in distinct.iter_rows()
    }
    key = pl.concat_str([pl.col(phone), pl.lit("\x1f"), pl.col(jurisdiction).fill_null("")])
    return key.replace_strict(mapping, default=None, return_dtype=pl.String)


def _held(flags: pl.Expr) -> pl.Expr:
    items = flags.fill_null("").str.split(";")
    return items.list.set_intersection(pl.lit(sorted(COLLECTION_HOLDS))).list.len() > 0


def _stops(channel: pl.Expr) -> list[tuple[pl.Expr, str, pl.Expr]]:
    """(condition, verdict, reason) that keep a message from leaving, in order of precedence."""
    opted_out = pl.col("opted_out").fill_null("").str.split(";").list.contains(channel)
    return [
        (
            pl.col("account_status") != "active",
            "cancelled",
            pl.format("account is {}", pl.col("account_status")),
        ),
        (_held(pl.col("flags")), "cancelled", pl.format("collection hold: {}", pl.col("flags"))),
        (opted_out, "cancelled", pl.format("debtor opted out of {}", channel)),
    ]


def _decide(cases: list[tuple[pl.Expr, str, pl.Expr]]) -> tuple[pl.Expr, pl.Expr]:
    verdict: pl.Expr = pl.lit("send")
    reason: pl.Expr = pl.lit(None, dtype=pl.String)
    for condition, outcome, why in reversed(cases):
        verdict = pl.when(condition).then(pl.lit(outcome)).otherwise(verdict)
        reason = pl.when(condition).then(why).otherwise(reason)
    return verdict, reason


def verdicts(rows: pl.DataFrame, now: datetime, latest_local: time = LATEST_LOCAL_SEND) -> pl.DataFrame:
    """Add `verdict`, `reason` and `to` to claimed rows (columns channel, jurisdiction, scheduled_at,
    local_offset_minutes, account_status, flags, opted_out, phone, email, im_handle, address)."""
    offset = pl.duration(minutes=pl.col("local_offset_minutes").fill_null(0))
    local_now = pl.lit(now.astimezone(UTC).replace(tzinfo=None)) + offset
    local_scheduled = pl.col("scheduled_at").dt.replace_time_zone(None) + offset
    window_end = local_scheduled.dt.date().dt.combine(latest_local)
    addressed = rows.with_columns(to=first_address(pl.col("channel")))
    addressed = addressed.with_columns(
        to=pl.when(pl.col("channel") == "sms")
        .then(e164_column(addressed, "to", "jurisdiction"))
        .otherwise("to")
    )
    verdict, reason = _decide(
        [
            *_stops(pl.col("channel")),
            (
                local_now > window_end,
                "expired",
                pl.lit(f"past {latest_local:%H:%M} local time on the scheduled day"),
            ),
            (pl.col("to").is_null(), "failed", pl.format("no {} address", pl.col("channel"))),
        ]
    )
    return addressed.with_columns(verdict=verdict, reason=reason)


def letter_verdicts(rows: pl.DataFrame) -> pl.DataFrame:
    """Add `verdict`, `reason` and `to` to letter rows (columns account_status, flags, opted_out, address):
    letters have no send window, but holds, opt-outs and a missing address stop them as they stop messages."""
    address = pl.col("address").str.strip_chars()
    to = pl.when(address != "").then(address)
    verdict, reason = _decide(
        [*_stops(pl.lit("letter")), (to.is_null(), "failed", pl.lit("no postal address"))]
    )
    return rows.with_columns(verdict=verdict, reason=reason, to=to)


def email_subject(language: str, creditor: str) -> str:
    return translate("About your account with {creditor}", language, creditor=creditor)


def email_html(text: str, language: str) -> str:
    """The HTML part of an email: the same words as the text part, escaped, in paragraphs."""
    paragraphs = [p for p in text.split("\n\n") if p.strip()]
    body = "".join(f"<p>{html.escape(p).replace(chr(10), '<br>')}</p>" for p in paragraphs)
    lang = "zh-CN" if language == "zh" else "en"
    return f'<!DOCTYPE html><html lang="{lang}"><head><meta charset="utf-8"></head><body>{body}</body></html>'
