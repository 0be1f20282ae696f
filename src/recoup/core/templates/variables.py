"""The variables a message template may use, the sample account a preview renders, and the columnar
builder of every variable's text from the daily run's rows.

Every variable is text, already formatted for the message's locale (money with its symbol and grouping,
dates written out), so a template never formats anything itself. A missing value is empty text.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Final

import polars as pl

from recoup.core.templates.locale import LOCALES, day_column, format_day, format_money, money_column

VARIABLES: Final[dict[str, str]] = {
    "name": "the debtor's name",
    "creditor": "the creditor the agency collects for",
    "agency": "the agency's name (who the debtor hears from)",
    "phone": "the agency's number for the debtor to call",
    "amount": "the outstanding balance, formatted for the locale (e.g. ¥1,234.50)",
    "currency": "the ISO currency code (CNY, USD, ...)",
    "account_ref": "the last four characters of the creditor's account reference",
    "dpd": "days past due",
    "due_date": "the date of the oldest unpaid amount, written out for the locale",
    "today": "the date of the message, written out for the locale",
    "offer_amount": "the amount of a plan or settlement offer, formatted for the locale",
    "offer_installments": "the number of installments offered",
    "offer_expires_on": "the date the offer expires, written out for the locale",
}


@dataclass(frozen=True, slots=True)
class SampleAccount:
    """What a preview renders a template for: made-up, but shaped like a real account."""

    name: str
    creditor: str
    account_id: str = "6222020012345678"
    balance: int = 1_234_50
    currency: str = "CNY"
    dpd: int = 45
    due_on: date = date(2026, 1, 15)
    today: date = date(2026, 3, 1)
    offer_amount: int = 300_00
    offer_installments: int = 6
    offer_expires_on: date = date(2026, 3, 15)


SAMPLES: Final[dict[str, SampleAccount]] = {
    "zh": SampleAccount(name="张三", creditor="示例银行"),
    "en": SampleAccount(name="Alex Sample", creditor="Example Bank", currency="USD"),
}
SAMPLE_CURRENCY: Final[dict[str, str]] = {"CN": "CNY", "US": "USD", "UK": "GBP", "EU": "EUR"}


def sample_context(
    language: str, jurisdiction: str, agency: str, phone: str, sample: SampleAccount | None = None
) -> dict[str, str]:
    """The variables' text for the sample account of ``language`` under ``jurisdiction``."""
    base = sample or SAMPLES.get(language, SAMPLES["en"])
    currency = SAMPLE_CURRENCY.get(jurisdiction[:2], base.currency) if sample is None else base.currency
    locale = LOCALES.get((language, jurisdiction[:2]), "en_US")
    return {
        "name": base.name,
        "creditor": base.creditor,
        "agency": agency,
        "phone": phone,
        "amount": format_money(base.balance, currency, locale),
        "currency": currency,
        "account_ref": base.account_id[-4:],
        "dpd": str(base.dpd),
        "due_date": format_day(base.due_on, locale),
        "today": format_day(base.today, locale),
        "offer_amount": format_money(base.offer_amount, currency, locale),
        "offer_installments": str(base.offer_installments),
        "offer_expires_on": format_day(base.offer_expires_on, locale),
    }


def locale_expr() -> pl.Expr:
    """Each row's locale from its `language` and `jurisdiction` columns."""
    key = pl.concat_str([pl.col("language"), pl.lit("|"), pl.col("jurisdiction").str.slice(0, 2)])
    mapping = {f"{language}|{jurisdiction}": locale for (language, jurisdiction), locale in LOCALES.items()}
    fallback = pl.when(pl.col("language") == "zh").then(pl.lit("zh_CN")).otherwise(pl.lit("en_US"))
    return key.replace_strict(mapping, default=None, return_dtype=pl.String).fill_null(fallback)


def _text(frame: pl.DataFrame, column: str) -> pl.Expr:
    if column not in frame.columns:
        return pl.lit("")
    return pl.col(column).cast(pl.String).fill_null("")


def context_frame(frame: pl.DataFrame, agency: str, phone: str) -> pl.DataFrame:
    """One column per template variable (text, never null) for every row of ``frame``.

    ``frame`` needs language, jurisdiction, debtor_name, creditor_id, balance and currency; it may have
    creditor_name, account_id, dpd, due_on, run_date, offer_amount, offer_installments, offer_expires_on.
    """
    work = frame.with_columns(_locale=locale_expr())
    for column, dtype in (
        ("due_on", pl.Date()),
        ("run_date", pl.Date()),
        ("offer_expires_on", pl.Date()),
        ("offer_amount", pl.Int64()),
    ):
        if column not in work.columns:
            work = work.with_columns(pl.lit(None, dtype=dtype).alias(column))
    creditor = "creditor_name" if "creditor_name" in work.columns else "creditor_id"
    return work.select(
        name=_text(work, "debtor_name"),
        creditor=pl.coalesce(pl.col(creditor), pl.col("creditor_id")).fill_null(""),
        agency=pl.lit(agency),
        phone=pl.lit(phone),
        amount=money_column(work, "balance", "currency", "_locale").fill_null(""),
        currency=_text(work, "currency"),
        account_ref=_text(work, "account_id").str.slice(-4),
        dpd=_text(work, "dpd"),
        due_date=day_column(work, "due_on", "_locale").fill_null(""),
        today=day_column(work, "run_date", "_locale").fill_null(""),
        offer_amount=money_column(work, "offer_amount", "currency", "_locale").fill_null(""),
        offer_installments=_text(work, "offer_installments"),
        offer_expires_on=day_column(work, "offer_expires_on", "_locale").fill_null(""),
    )
