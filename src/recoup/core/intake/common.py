"""Columnar parsers for the portfolio files' text: money, dates, instants, booleans, vocabularies, lists.

Each returns a `Parsed` (see `recoup.core.intake.checks`). Money becomes Int64 minor units through a
regular expression and integer arithmetic, never a float; its scalar twin is
`recoup.core.money.parse_minor` and a property test holds the two to the same verdicts.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

import polars as pl

from recoup.core.intake.checks import Check, Parsed, one_of, shown
from recoup.core.money import CURRENCY_EXPONENTS

ID_MAX_CHARS: Final = 100
NAME_MAX_CHARS: Final = 200
ADDRESS_MAX_CHARS: Final = 500
NOTE_MAX_CHARS: Final = 2000
EMAIL_MAX_CHARS: Final = 254
MAX_WHOLE_DIGITS: Final = 15  # 10^15 major units: beyond any real balance, far inside Int64 minor units
EARLIEST_DATE: Final = "1900-01-01"
LATEST_DATE: Final = "2199-12-31"
MAX_OFFSET_MINUTES: Final = 14 * 60

LIST_SEPARATORS: Final = r"[;；]"  # the contract's ';' and the full-width '；' a Chinese keyboard types
# Control characters, DEL, C1 controls and the bidirectional overrides that can disguise text.
_CONTROL: Final = r"[\x00-\x08\x0B-\x1F\x7F-\x9F\u202A-\u202E\u2066-\u2069]"
_CONTROL_SINGLE_LINE: Final = r"[\x00-\x1F\x7F-\x9F\u202A-\u202E\u2066-\u2069]"
_MONEY: Final = r"^[+-]?[0-9]+(\.[0-9]+)?$"
_DATE: Final = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
_INSTANT: Final = (
    r"^(?P<date>[0-9]{4}-[0-9]{2}-[0-9]{2})[T ](?P<hour>[0-9]{2}):(?P<minute>[0-9]{2})"
    r"(?::(?P<second>[0-9]{2})(?:[.,](?P<fraction>[0-9]{1,9}))?)?"
    r"(?P<offset>[Zz]|(?P<offset_sign>[+-])(?P<offset_hours>[0-9]{2})(?::?(?P<offset_minutes>[0-9]{2}))?)?$"
)
_EMAIL: Final = r"^[^@\s;,]+@[^@\s;,]+\.[^@\s;,]+$"
_PHONE: Final = r"\+?[0-9][0-9 ()\-]{3,30}"
_INTEGER: Final = r"^[0-9]{1,9}$"
_ZONE_NAME: Final = r"[A-Za-z][A-Za-z0-9_+\-]*(?:/[A-Za-z0-9_+\-]+){0,2}"
_SEPARATOR_RUN: Final = r"\s*[;；][\s;；]*"  # one or more separators and the spaces around them


def helper(column: str, name: str) -> str:
    """The name of an intermediate column that belongs to ``column``."""
    return f"__{column}__{name}"


def currency_digits(currency: pl.Expr) -> pl.Expr:
    """Minor-unit exponent of each row's currency; null for a currency Recoup does not accept."""
    return currency.replace_strict(CURRENCY_EXPONENTS, default=None, return_dtype=pl.Int64)


# --- text and vocabularies ----------------------------------------------------------------------


def text(column: str, *, max_chars: int, multiline: bool = False) -> Parsed:
    """Free text: at most ``max_chars`` characters, no control characters (tab and newline only when
    ``multiline``)."""
    value = pl.col(column)
    control = _CONTROL if multiline else _CONTROL_SINGLE_LINE
    allowed = "only tab and newline are allowed" if multiline else "it must be a single line"
    return Parsed(
        value,
        [
            Check(
                column,
                value.str.len_chars() > max_chars,
                pl.format("is {} characters long; the limit is {}", value.str.len_chars(), pl.lit(max_chars)),
            ),
            Check(column, value.str.contains(control), pl.lit(f"contains control characters ({allowed})")),
        ],
    )


def enumeration(column: str, vocabulary: Sequence[str]) -> Parsed:
    value = pl.col(column)
    return Parsed(
        value,
        [
            Check(
                column,
                value.is_not_null() & ~value.is_in(list(vocabulary)),
                pl.format("{} is not one of {}", shown(value), pl.lit(one_of(vocabulary))),
            )
        ],
    )


def currency(column: str) -> Parsed:
    value = pl.col(column)
    return Parsed(
        value,
        [
            Check(
                column,
                value.is_not_null() & currency_digits(value).is_null(),
                pl.format(
                    "unknown currency {} (accepted: {})", shown(value), pl.lit(one_of(CURRENCY_EXPONENTS))
                ),
            )
        ],
    )


def email(column: str) -> Parsed:
    value = pl.col(column)
    return Parsed(
        value,
        [
            Check(
                column,
                value.str.len_chars() > EMAIL_MAX_CHARS,
                pl.lit(f"is longer than {EMAIL_MAX_CHARS} characters"),
            ),
            Check(column, ~value.str.contains(_EMAIL), pl.format("{} is not an email address", shown(value))),
        ],
    )


def timezone(column: str, values: pl.Series) -> Parsed:
    """IANA zone names, checked against the zone database compiled into Polars (no file access). Each
    distinct name is tried once, so the cost follows the number of zones, not of rows."""
    known = [zone for zone in values.drop_nulls().unique().to_list() if _is_zone(zone)]
    value = pl.col(column)
    return Parsed(
        value,
        [
            Check(
                column,
                value.is_not_null() & ~value.is_in(known),
                pl.format("unknown time zone {} (expected an IANA name such as Asia/Shanghai)", shown(value)),
            )
        ],
    )


@functools.lru_cache(maxsize=4096)
def _is_zone(name: str) -> bool:
    if re.fullmatch(_ZONE_NAME, name) is None:
        return False
    try:
        pl.select(pl.lit(0).cast(pl.Datetime("us")).dt.replace_time_zone(name))
    except pl.exceptions.ComputeError:
        return False
    return True


# --- lists --------------------------------------------------------------------------------------


def _list_helper(column: str) -> tuple[pl.Expr, ...]:
    """The list with its separators normalised to a bare ';' and empty items dropped: regular
    expressions over this text judge every item at once, with no list column to build."""
    normalised = pl.col(column).str.replace_all(_SEPARATOR_RUN, ";").str.strip_chars(";")
    return (normalised.alias(helper(column, "list")),)


def _items(value: pl.Expr) -> pl.Expr:
    """The items of a ';'-separated list (read only where a message needs them)."""
    stripped = pl.element().str.strip_chars()
    return value.str.split(LIST_SEPARATORS, literal=False).list.eval(stripped.filter(stripped != ""))


def phone_list(column: str) -> Parsed:
    """';'-separated phone numbers: each digits with an optional '+', spaces, dashes and brackets.
    Written back ';'-joined without the spaces around separators, in the file's order."""
    listed = pl.col(helper(column, "list"))
    return Parsed(
        pl.when(listed != "").then(listed),
        [
            Check(
                column,
                (listed != "") & ~listed.str.contains(f"^{_PHONE}(;{_PHONE})*$"),
                pl.format("{} is not a ';'-separated list of phone numbers", shown(pl.col(column))),
            ),
            Check(
                column,
                pl.col(column).str.len_chars() > NAME_MAX_CHARS,
                pl.lit("is too long for a phone list"),
            ),
        ],
        (_list_helper(column),),
    )


def flag_list(column: str, vocabulary: Sequence[str]) -> Parsed:
    """';'-separated flags from ``vocabulary``: sorted and deduplicated."""
    listed = pl.col(helper(column, "list"))
    word = "(" + "|".join(re.escape(flag) for flag in vocabulary) + ")"
    present = [
        pl.when(listed.str.contains(f"(^|;){re.escape(flag)}(;|$)")).then(pl.lit(flag))
        for flag in sorted(vocabulary)
    ]
    normalised = pl.concat_str(present, separator=";", ignore_nulls=True)
    unknown = _items(pl.col(column)).list.eval(pl.element().filter(~pl.element().is_in(list(vocabulary))))
    return Parsed(
        pl.when(normalised != "").then(normalised),
        [
            Check(
                column,
                (listed != "") & ~listed.str.contains(f"^{word}(;{word})*$"),
                pl.format(
                    "unknown flag {} (accepted: {})",
                    shown(unknown.list.join(";")),
                    pl.lit(one_of(vocabulary)),
                ),
            )
        ],
        (_list_helper(column),),
    )


# --- numbers ------------------------------------------------------------------------------------


def money(column: str, currency_column: str, *, allow_negative: bool = False) -> Parsed:
    """Decimal text to Int64 minor units in the currency named by ``currency_column``, with integer
    arithmetic only: the digits without the point are one integer, scaled by the decimals it lacks.
    Where the currency is unknown it is reported elsewhere and the amount is not judged."""

    def own(name: str) -> pl.Expr:
        return pl.col(helper(column, name))

    value = pl.col(column)
    digits = pl.col(helper(currency_column, "digits"))
    ten = pl.lit(10, dtype=pl.Int64)
    read = (
        currency_digits(pl.col(currency_column)).alias(helper(currency_column, "digits")),
        value.str.contains(_MONEY).alias(helper(column, "shaped")),
        value.str.replace(".", "", literal=True)
        .cast(pl.Int64, strict=False)
        .alias(helper(column, "integer")),
        value.str.find(".", literal=True).cast(pl.Int64).alias(helper(column, "point")),
    )
    decimals = (
        pl.when(own("point").is_not_null())
        .then(value.str.len_bytes().cast(pl.Int64) - own("point") - 1)
        .otherwise(0)
        .alias(helper(column, "decimals")),
    )
    precise_enough = own("decimals") <= digits
    # |integer| < 10^(15 + decimals) is "at most 15 digits before the point", leading zeros aside
    small_enough = own("integer").is_not_null() & (
        own("integer").abs() < ten.pow(own("decimals").clip(0, 3) + MAX_WHOLE_DIGITS)
    )
    fits = own("shaped") & precise_enough & small_enough
    minor = (
        pl.when(fits)
        .then(own("integer") * ten.pow((digits - own("decimals")).clip(0)))
        .alias(helper(column, "minor")),
    )
    judged = value.is_not_null() & digits.is_not_null()
    checks = [
        Check(column, judged & ~own("shaped"), _malformed_money_message(value)),
        Check(
            column,
            judged & own("shaped") & ~precise_enough,
            pl.format(
                "{} has {} decimals; {} has {}",
                shown(value),
                own("decimals"),
                pl.col(currency_column),
                digits,
            ),
        ),
        Check(
            column,
            judged & own("shaped") & precise_enough & ~small_enough,
            pl.format("{} is too large", shown(value)),
        ),
    ]
    if not allow_negative:
        checks.append(Check(column, judged & (own("minor") < 0), pl.format("{} is negative", shown(value))))
    return Parsed(own("minor"), checks, (read, decimals, minor))


def _malformed_money_message(value: pl.Expr) -> pl.Expr:
    hint = (
        pl.when(value.str.contains(r"[0-9][eE][+-]?[0-9]"))
        .then(pl.lit("scientific notation is not accepted"))
        .when(value.str.contains(r"[0-9],[0-9]"))
        .then(pl.lit("no thousands separators"))
        .otherwise(pl.lit("write digits with an optional '.' and decimals, e.g. 1234.50"))
    )
    return pl.format("{} is not a decimal amount ({})", shown(value), hint)


def integer(column: str, *, low: int, high: int) -> Parsed:
    value = pl.col(column)
    number = value.cast(pl.Int64, strict=False)
    shaped = value.str.contains(_INTEGER)
    return Parsed(
        number,
        [
            Check(column, ~shaped, pl.format("{} is not a whole number", shown(value))),
            Check(
                column,
                shaped & ((number < low) | (number > high)),
                pl.format("{} is outside {}..{}", shown(value), pl.lit(low), pl.lit(high)),
            ),
        ],
    )


def boolean(column: str) -> Parsed:
    value = pl.col(column)
    lowered = pl.col(helper(column, "lowered"))
    return Parsed(
        lowered == "true",
        [
            Check(
                column, ~lowered.is_in(["true", "false"]), pl.format("{} is not true or false", shown(value))
            )
        ],
        ((value.str.to_lowercase().alias(helper(column, "lowered")),),),
    )


# --- dates and instants -------------------------------------------------------------------------


def date(column: str) -> Parsed:
    """Strict ``YYYY-MM-DD`` calendar dates between 1900 and 2199 (2026-02-30 is refused)."""
    value = pl.col(column)
    shaped = pl.col(helper(column, "shaped"))
    parsed = pl.col(helper(column, "date"))
    in_range = parsed.is_between(pl.lit(EARLIEST_DATE).str.to_date(), pl.lit(LATEST_DATE).str.to_date())
    return Parsed(
        parsed,
        [
            Check(column, ~shaped, pl.format("{} is not a date (YYYY-MM-DD)", shown(value))),
            Check(
                column, shaped & parsed.is_null(), pl.format("{} is not a real calendar date", shown(value))
            ),
            Check(
                column,
                shaped & parsed.is_not_null() & ~in_range,
                pl.format("{} is outside {}..{}", shown(value), pl.lit(EARLIEST_DATE), pl.lit(LATEST_DATE)),
            ),
        ],
        (
            (
                value.str.contains(_DATE).alias(helper(column, "shaped")),
                value.str.to_date("%Y-%m-%d", strict=False).alias(helper(column, "date")),
            ),
        ),
    )


@dataclass(frozen=True, slots=True)
class ParsedInstant:
    """An instant column: the UTC value and the written offset share one parse (``utc.helpers``)."""

    utc: Parsed
    offset_minutes: pl.Expr


def instant(column: str) -> ParsedInstant:
    """ISO 8601 date-time with a required offset (``Z``, ``+08:00``, ``+0800`` or ``+08``) to a UTC
    instant plus the offset the source wrote, in minutes. Fractions beyond microseconds are truncated."""
    value = pl.col(column)
    parts = pl.col(helper(column, "parts"))

    def part(name: str) -> pl.Expr:
        return parts.struct.field(name)

    def whole(name: str) -> pl.Expr:
        return part(name).cast(pl.Int64, strict=False)

    def own(name: str) -> pl.Expr:
        return pl.col(helper(column, name))

    offset_size = whole("offset_hours") * 60 + whole("offset_minutes").fill_null(0)
    fields = (
        part("date").str.to_date("%Y-%m-%d", strict=False).alias(helper(column, "day")),
        whole("hour").alias(helper(column, "hour")),
        whole("minute").alias(helper(column, "minute")),
        whole("second").fill_null(0).alias(helper(column, "second")),
        part("fraction")
        .str.slice(0, 6)
        .str.pad_end(6, "0")
        .cast(pl.Int64, strict=False)
        .fill_null(0)
        .alias(helper(column, "micros")),
        pl.when(part("offset").str.to_uppercase() == "Z")
        .then(pl.lit(0, dtype=pl.Int64))
        .when(part("offset_sign") == "-")
        .then(-offset_size)
        .otherwise(offset_size)
        .alias(helper(column, "offset")),
        (whole("offset_minutes").fill_null(0) <= 59).alias(helper(column, "offset_minutes_ok")),
        part("date").is_not_null().alias(helper(column, "shaped")),
        part("offset").is_not_null().alias(helper(column, "has_offset")),
    )
    clock_ok = (own("hour") <= 23) & (own("minute") <= 59) & (own("second") <= 59)
    offset_ok = own("offset_minutes_ok") & (own("offset").abs() <= MAX_OFFSET_MINUTES)
    local = own("day").cast(pl.Datetime("us")) + pl.duration(
        hours=own("hour"), minutes=own("minute"), seconds=own("second"), microseconds=own("micros")
    )
    utc = (local - pl.duration(minutes=own("offset"))).dt.replace_time_zone("UTC")
    shaped, has_offset = own("shaped"), own("has_offset")
    checks = [
        Check(
            column,
            ~shaped,
            pl.format("{} is not an ISO 8601 date-time such as 2026-03-02T09:15:00+08:00", shown(value)),
        ),
        Check(
            column,
            shaped & ~has_offset,
            pl.format("{} has no UTC offset (add one, e.g. +08:00 or Z)", shown(value)),
        ),
        Check(
            column,
            shaped & has_offset & (own("day").is_null() | ~clock_ok),
            pl.format("{} is not a real date and time", shown(value)),
        ),
        Check(
            column,
            shaped & has_offset & own("day").is_not_null() & clock_ok & ~offset_ok,
            pl.format("{} has an impossible UTC offset", shown(value)),
        ),
    ]
    helpers = ((value.str.extract_groups(_INSTANT).alias(helper(column, "parts")),), fields)
    return ParsedInstant(Parsed(utc, checks, helpers), own("offset").cast(pl.Int32))
