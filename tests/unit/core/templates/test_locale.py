from __future__ import annotations

from datetime import date
from decimal import Decimal

import polars as pl
from babel.numbers import format_currency, get_currency_precision
from hypothesis import given, settings
from hypothesis import strategies as st

from recoup.core.money import CURRENCY_EXPONENTS
from recoup.core.templates.locale import (
    LOCALES,
    day_column,
    format_day,
    format_money,
    locale_for,
    money_column,
)

LOCALE_NAMES = sorted({*LOCALES.values(), "de_DE", "fr_FR"})
# Currencies whose CLDR precision is their ISO exponent: there Babel is an exact oracle.
ORACLE_CURRENCIES = sorted(c for c, e in CURRENCY_EXPONENTS.items() if get_currency_precision(c) == e)
amounts = st.integers(min_value=-(10**15), max_value=10**15)


def test_examples_per_locale() -> None:
    assert format_money(123450, "CNY", "zh_CN") == "¥1,234.50"
    assert format_money(-123450, "CNY", "zh_CN") == "-¥1,234.50"
    assert format_money(5, "USD", "en_US") == "$0.05"
    assert format_money(100000000, "GBP", "en_GB") == "£1,000,000.00"
    assert format_money(999, "EUR", "de_DE") == "9,99\xa0€"
    assert format_money(1234, "JPY", "en_US") == "¥1,234"
    assert format_day(date(2026, 3, 2), "zh_CN") == "2026年3月2日"
    assert format_day(date(2026, 3, 2), "en_US") == "March 2, 2026"
    assert format_day(date(2026, 3, 2), "en_GB") == "2 March 2026"


def test_locale_follows_language_and_jurisdiction() -> None:
    assert locale_for("zh", "CN") == "zh_CN"
    assert locale_for("en", "UK") == "en_GB"
    assert locale_for("en", "US-NY") == "en_US"
    assert locale_for("en", "EU") == "en_IE"


@settings(max_examples=300, deadline=None)
@given(minor=amounts, currency=st.sampled_from(ORACLE_CURRENCIES), locale=st.sampled_from(LOCALE_NAMES))
def test_the_scalar_path_writes_what_babel_writes(minor: int, currency: str, locale: str) -> None:
    exact = Decimal(minor).scaleb(-CURRENCY_EXPONENTS[currency])
    assert format_money(minor, currency, locale) == format_currency(exact, currency, locale=locale)


@settings(max_examples=60, deadline=None)
@given(
    rows=st.lists(
        st.tuples(
            st.one_of(st.none(), amounts),
            st.sampled_from(sorted(CURRENCY_EXPONENTS)),
            st.sampled_from(LOCALE_NAMES),
            st.dates(min_value=date(1990, 1, 1), max_value=date(2100, 12, 31)),
        ),
        max_size=40,
    )
)
def test_the_column_path_agrees_with_the_scalar_path(rows: list[tuple[int | None, str, str, date]]) -> None:
    frame = pl.DataFrame(
        rows,
        schema={"minor": pl.Int64, "currency": pl.String, "locale": pl.String, "day": pl.Date},
        orient="row",
    )
    out = frame.select(
        money=money_column(frame, "minor", "currency", "locale"), day=day_column(frame, "day", "locale")
    )
    expected_money = [None if m is None else format_money(m, c, loc) for m, c, loc, _ in rows]
    expected_days = [format_day(d, loc) for _, _, loc, d in rows]
    assert out["money"].to_list() == expected_money
    assert out["day"].to_list() == expected_days
