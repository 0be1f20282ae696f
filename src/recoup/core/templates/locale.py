"""Money and dates written the way a reader of the message's locale expects, for one value or a column.

Both paths share one `MoneyStyle` per (locale, currency), read from Babel's CLDR data once: the scalar
`format_money` and the columnar `format_money_expr` apply the same prefix, grouping, decimal symbol and
suffix, and a property test proves they agree with each other and with Babel. The number of decimals is
always the currency's exponent in `recoup.core.money`: a message never rounds a debt.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import cache
from typing import Final

import polars as pl
from babel import Locale
from babel.dates import format_date as babel_format_date
from babel.numbers import get_currency_symbol

from recoup.core.errors import ValidationError
from recoup.core.money import exponent

# The locale a message is written in, by (language, jurisdiction). English outside the listed
# jurisdictions reads as US English; Chinese is always Simplified Chinese as used in mainland China.
LOCALES: Final[dict[tuple[str, str], str]] = {
    ("zh", "CN"): "zh_CN",
    ("zh", "US"): "zh_CN",
    ("zh", "UK"): "zh_CN",
    ("zh", "EU"): "zh_CN",
    ("en", "CN"): "en_US",
    ("en", "US"): "en_US",
    ("en", "UK"): "en_GB",
    ("en", "EU"): "en_IE",
}
DEFAULT_LOCALE: Final = "zh_CN"


def locale_for(language: str, jurisdiction: str) -> str:
    """The Babel locale of a message in ``language`` under ``jurisdiction`` (`US-NY` reads as `US`)."""
    return LOCALES.get((language, jurisdiction[:2]), "zh_CN" if language == "zh" else "en_US")


@dataclass(frozen=True, slots=True)
class MoneyStyle:
    """How one locale writes amounts of one currency: ``-¥1,234.50``, ``£1,234.50``, ``1.234,50 €``."""

    positive_prefix: str
    positive_suffix: str
    negative_prefix: str
    negative_suffix: str
    group: str
    decimal: str
    group_size: int
    digits: int


@cache
def money_style(locale: str, currency: str) -> MoneyStyle:
    try:
        parsed = Locale.parse(locale)
    except (ValueError, TypeError) as exc:
        raise ValidationError(f"unknown locale {locale!r}: {exc}", field="locale") from None
    pattern = parsed.currency_formats["standard"]
    symbol = get_currency_symbol(currency, locale=parsed)
    primary, secondary = pattern.grouping
    if primary != secondary:
        raise ValidationError(f"locale {locale!r} groups digits unevenly; not supported", field="locale")
    symbols = parsed.number_symbols["latn"]

    def fill(text: str) -> str:
        return text.replace("¤", symbol)

    return MoneyStyle(
        positive_prefix=fill(pattern.prefix[0]),
        positive_suffix=fill(pattern.suffix[0]),
        negative_prefix=fill(pattern.prefix[1]),
        negative_suffix=fill(pattern.suffix[1]),
        group=symbols["group"],
        decimal=symbols["decimal"],
        group_size=primary,
        digits=exponent(currency),
    )


def _grouped(whole: int, style: MoneyStyle) -> str:
    digits = str(whole)
    head = len(digits) % style.group_size or style.group_size
    groups = [digits[:head]] + [
        digits[i : i + style.group_size] for i in range(head, len(digits), style.group_size)
    ]
    return style.group.join(groups)


def format_money(minor: int, currency: str, locale: str) -> str:
    """``format_money(-123450, "CNY", "zh_CN") == "-¥1,234.50"``."""
    style = money_style(locale, currency)
    whole, fraction = divmod(abs(minor), 10**style.digits)
    number = _grouped(whole, style)
    if style.digits:
        number += f"{style.decimal}{fraction:0{style.digits}d}"
    if minor < 0:
        return f"{style.negative_prefix}{number}{style.negative_suffix}"
    return f"{style.positive_prefix}{number}{style.positive_suffix}"


def _grouped_expr(whole: pl.Expr, style: MoneyStyle) -> pl.Expr:
    # Reverse, put a separator after every full group, drop a trailing one, reverse back.
    size = style.group_size
    reversed_digits = whole.cast(pl.String).str.reverse()
    marked = reversed_digits.str.replace_all(f"([0-9]{{{size}}})", "${1}\x00").str.strip_suffix("\x00")
    return marked.str.reverse().str.replace_all("\x00", style.group, literal=True)


def _style_expr(minor: pl.Expr, style: MoneyStyle) -> pl.Expr:
    scale = 10**style.digits
    magnitude = minor.abs()
    number = _grouped_expr(magnitude // scale, style)
    if style.digits:
        fraction = (magnitude % scale).cast(pl.String).str.zfill(style.digits)
        number = pl.concat_str([number, pl.lit(style.decimal), fraction])
    negative = pl.concat_str([pl.lit(style.negative_prefix), number, pl.lit(style.negative_suffix)])
    positive = pl.concat_str([pl.lit(style.positive_prefix), number, pl.lit(style.positive_suffix)])
    return pl.when(minor < 0).then(negative).otherwise(positive)


def null_text(column: str) -> pl.Expr:
    """Null text as long as ``column`` (a bare literal would be one row long on its own)."""
    return pl.when(pl.lit(value=False)).then(pl.col(column).cast(pl.String))


def money_column(frame: pl.DataFrame, minor: str, currency: str, locale: str) -> pl.Expr:
    """`format_money` for whole columns of ``frame``: one expression per (locale, currency) pair present.
    A null amount, currency or locale gives null."""
    pairs = frame.select(locale, currency).drop_nulls().unique().sort([locale, currency])
    result = null_text(minor)
    for locale_name, currency_code in pairs.iter_rows():
        chosen = (pl.col(locale) == locale_name) & (pl.col(currency) == currency_code)
        style = money_style(str(locale_name), str(currency_code))
        result = pl.when(chosen).then(_style_expr(pl.col(minor), style)).otherwise(result)
    return result


@cache
def format_day(day: date, locale: str) -> str:
    """A date as the locale writes it in a letter: ``2026年3月2日``, ``March 2, 2026``, ``2 March 2026``."""
    return babel_format_date(day, format="long", locale=locale)


def day_column(frame: pl.DataFrame, day: str, locale: str) -> pl.Expr:
    """`format_day` for a column of ``frame``: each distinct (date, locale) is formatted once."""
    distinct = frame.select(day, locale).drop_nulls().unique()
    by_locale: dict[str, dict[date, str]] = {}
    for value, locale_name in distinct.iter_rows():
        by_locale.setdefault(str(locale_name), {})[value] = format_day(value, str(locale_name))
    result = null_text(day)
    for locale_name, mapping in sorted(by_locale.items()):
        mapped = pl.col(day).replace_strict(mapping, default=None, return_dtype=pl.String)
        result = pl.when(pl.col(locale) == locale_name).then(mapped).otherwise(result)
    return result
