"""What may still leave the outbox at the moment of sending, decided for whole columns.

The daily run checked every action when it queued it; by the time the dispatcher runs, the debtor may
have replied STOP, disputed the debt or paid in full, and the day's contact window may have closed. So
each claimed action gets a verdict, the first that applies:
- `cancelled`: the account is no longer active, is on a collection hold, or opted out of the channel;
- `expired`: the contact hours of its run date are over: no window the jurisdiction's hours rule allows
  for the channel in every candidate zone of the debtor is still to come that day (the next run decides
  again);
- `failed`: there is no address for the channel;
- `held`: the window is yet to open (`window_start`): the message stays queued until then;
- `send`: now is inside the window, go ahead, to the recipient in `to`.
The windows are `recoup.core.compliance.windows.contact_windows`, the same the work queues show and the
compliance evaluator applies, so a message leaves only when the rulebook lets it reach the debtor.

Also here: the status every outbox action moves through, and the message texts a channel needs beyond
the body (email subject and HTML part).
"""

from __future__ import annotations

import html
from datetime import UTC, datetime
from typing import Final

import phonenumbers
import polars as pl

from recoup.core.accounts import COLLECTION_HOLDS
from recoup.core.compliance.rulebook import RulebookSet
from recoup.core.compliance.windows import contact_windows
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
HELD: Final = "held"  # a verdict, never a status: the action stays queued


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


def _hours_rules(rows: pl.DataFrame, rulebooks: RulebookSet) -> pl.Expr:
    """Each row's hours rule id for its channel ("no hours rule" where its rulebook has none), looked up
    once per distinct (jurisdiction, channel)."""
    pairs = rows.select("jurisdiction", "channel").unique()
    names: dict[str, str] = {}
    for jurisdiction, channel in pairs.iter_rows():
        rule = rulebooks.get(jurisdiction).hours_rule(channel)
        ruled = rule is not None and rule.applies(channel, "debtor")
        names[f"{jurisdiction}\x1f{channel}"] = rule.id if ruled and rule is not None else "no hours rule"
    key = pl.concat_str([pl.col("jurisdiction"), pl.lit("\x1f"), pl.col("channel")])
    return key.replace_strict(names, default=None, return_dtype=pl.String)


def send_windows(rows: pl.DataFrame, now: datetime, rulebooks: RulebookSet) -> pl.DataFrame:
    """``rows`` with ``window_start`` and ``window_end``: the window the hours rule allows for the row's
    channel in every candidate zone of the debtor that contains ``now``, or else the next one of its
    ``run_date`` (both null when none is left). Zones come from ``timezone``, else ``phone`` (the first
    number) and ``region``, as the compliance evaluator derives them."""
    optional = {
        name: pl.col(name) if name in rows.columns else pl.lit(None) for name in ("timezone", "region")
    }
    located = contact_windows(
        rows.select(
            "jurisdiction",
            "channel",
            "run_date",
            scheduled_at=pl.lit(now.astimezone(UTC), dtype=pl.Datetime("us", "UTC")),
            timezones=optional["timezone"].cast(pl.String),
            phone=pl.col("phone").cast(pl.String).str.split(";").list.first().str.strip_chars(),
            region=optional["region"].cast(pl.String),
        ),
        rulebooks,
    )
    return rows.with_columns(located["window_start"], located["window_end"])


def verdicts(rows: pl.DataFrame, now: datetime, rulebooks: RulebookSet) -> pl.DataFrame:
    """Add `verdict`, `reason`, `to`, `window_start` and `window_end` to claimed rows (columns channel,
    jurisdiction, run_date, account_status, flags, opted_out, phone, email, im_handle, address; timezone
    and region when known)."""
    moment = pl.lit(now.astimezone(UTC), dtype=pl.Datetime("us", "UTC"))
    addressed = send_windows(rows, now, rulebooks).with_columns(
        to=first_address(pl.col("channel")), _rule=_hours_rules(rows, rulebooks)
    )
    addressed = addressed.with_columns(
        to=pl.when(pl.col("channel") == "sms")
        .then(e164_column(addressed, "to", "jurisdiction"))
        .otherwise("to")
    )
    verdict, reason = _decide(
        [
            *_stops(pl.col("channel")),
            (
                pl.col("window_end").is_null(),
                "expired",
                pl.format("the contact hours of its run date {} are over ({})", "run_date", "_rule"),
            ),
            (pl.col("to").is_null(), "failed", pl.format("no {} address", pl.col("channel"))),
            (
                pl.col("window_start") > moment,
                HELD,
                pl.format(
                    "outside the contact hours ({}) until {}",
                    "_rule",
                    pl.col("window_start").dt.strftime("%Y-%m-%dT%H:%M:%SZ"),
                ),
            ),
        ]
    )
    return addressed.with_columns(verdict=verdict, reason=reason).drop("_rule")


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
