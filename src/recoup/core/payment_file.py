"""The cells of a payment file, parsed in columns: references, amounts and payment times.

Each parser adds typed columns and an ``ok`` flag for every row cheaply, and says *why* a value is wrong
only for the rows that are (the reasons are built on those rows alone). The rules are the portfolio
contract's: amounts are decimal text in the currency's minor units (no exponents, no thousands
separators, no more decimals than the currency has, at most 15 whole digits), and times are ISO 8601
with an offset (``2026-03-02T09:15:00+08:00``; ``Z``, ``+0800`` and ``+08`` too; a space for the ``T``;
fractions of a second beyond microseconds are cut).

Payment times in the layout nearly every file uses go through Polars' native parser; anything else goes
through a general regular-expression parser on those rows only. Both accept and refuse the same text.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Final

import polars as pl

from recoup.core.money import CURRENCY_EXPONENTS

ROW: Final = "row"
FIRST_DATA_ROW: Final = 2  # the header is row 1
REFERENCE_MAX_CHARS: Final = 100
MAX_WHOLE_DIGITS: Final = 15  # 10^15 major units: beyond any real payment, far inside Int64 minor units
MAX_OFFSET_MINUTES: Final = 14 * 60
SHOWN_CHARS: Final = 40

_CONTROL: Final = r"[\x00-\x1F\x7F-\x9F\u202A-\u202E\u2066-\u2069]"
_AMOUNT: Final = r"^[+-]?[0-9]+(\.[0-9]+)?$"
_FAST_INSTANT: Final = (
    r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]"
    r"(Z|[+-](0[0-9]|1[0-4]):[0-5][0-9])$"
)
_INSTANT: Final = (
    r"^(?P<date>[0-9]{4}-[0-9]{2}-[0-9]{2})[T ](?P<hour>[0-9]{2}):(?P<minute>[0-9]{2})"
    r"(?::(?P<second>[0-9]{2})(?:[.,](?P<fraction>[0-9]{1,9}))?)?"
    r"(?P<offset>[Zz]|(?P<sign>[+-])(?P<offset_hours>[0-9]{2})(?::?(?P<offset_minutes>[0-9]{2}))?)?$"
)


# --- cells ----------------------------------------------------------------------------------------


def cells(raw: pl.DataFrame, columns: Iterable[str]) -> pl.DataFrame:
    """Text cells with empty ones as null, a ``row`` number (kept when given), and every column of
    ``columns`` present."""
    frame = raw if ROW in raw.columns else raw.with_row_index(ROW, offset=FIRST_DATA_ROW)
    text_columns = [name for name in frame.columns if name != ROW]
    frame = frame.with_columns(
        pl.col(ROW).cast(pl.Int64),
        *[pl.col(name).cast(pl.String).replace("", None).alias(name) for name in text_columns],
    )
    absent = [name for name in columns if name not in frame.columns]
    return frame.with_columns([pl.lit(None, dtype=pl.String).alias(name) for name in absent])


def missing_columns(raw: pl.DataFrame, required: Sequence[str]) -> list[str]:
    return [name for name in required if name not in raw.columns]


def shown(value: pl.Expr) -> pl.Expr:
    """A cell as a message quotes it: control characters masked, long values cut."""
    masked = value.str.replace_all(_CONTROL, "?")
    cut = (
        pl.when(masked.str.len_chars() > SHOWN_CHARS)
        .then(pl.concat_str([masked.str.slice(0, SHOWN_CHARS), pl.lit("…")]))
        .otherwise(masked)
    )
    return pl.concat_str([pl.lit("'"), cut, pl.lit("'")])


def currency_digits(currency: pl.Expr) -> pl.Expr:
    """Minor-unit exponent of each row's currency code; null for a currency Recoup does not accept."""
    return currency.replace_strict(CURRENCY_EXPONENTS, default=None, return_dtype=pl.Int64)


# --- references -----------------------------------------------------------------------------------


def reference_bad(column: str) -> pl.Expr:
    value = pl.col(column)
    return value.is_null() | (value.str.len_chars() > REFERENCE_MAX_CHARS) | value.str.contains(_CONTROL)


def reference_reason(column: str) -> pl.Expr:
    value = pl.col(column)
    return (
        pl.when(value.is_null())
        .then(pl.lit(f"{column} is required"))
        .when(value.str.len_chars() > REFERENCE_MAX_CHARS)
        .then(pl.format("is {} characters long; the limit is {}", value.str.len_chars(), REFERENCE_MAX_CHARS))
        .otherwise(pl.lit("contains control characters (it must be a single line)"))
    )


# --- amounts --------------------------------------------------------------------------------------


def with_amounts(frame: pl.DataFrame, column: str, digits: pl.Expr) -> pl.DataFrame:
    """Add ``__minor`` (Int64 minor units, integer arithmetic only) and ``__amount_ok`` (well formed and
    above zero), plus the helper columns `amount_reason` reads. ``digits``: each row's currency exponent."""
    value = pl.col(column).str.strip_chars()
    parts = value.str.strip_chars_start("+-").str.split_exact(".", 1)
    ten = pl.lit(10, dtype=pl.Int64)
    framed = frame.with_columns(
        __digits=digits,
        __shaped=value.str.contains(_AMOUNT).fill_null(False),
        __whole=parts.struct.field("field_0"),
        __fraction=parts.struct.field("field_1"),
    ).with_columns(
        __decimals=pl.col("__fraction").str.len_chars().fill_null(0).cast(pl.Int64),
        __whole_digits=pl.col("__whole").str.strip_chars_start("0").str.len_chars().cast(pl.Int64),
        __negative=value.str.starts_with("-").fill_null(False),
    )
    fits = (
        pl.col("__shaped")
        & (pl.col("__decimals") <= pl.col("__digits"))
        & (pl.col("__whole_digits") <= MAX_WHOLE_DIGITS)
    )
    magnitude = pl.col("__whole").cast(pl.Int64, strict=False) * ten.pow(pl.col("__digits")) + pl.col(
        "__fraction"
    ).cast(pl.Int64, strict=False).fill_null(0) * ten.pow((pl.col("__digits") - pl.col("__decimals")).clip(0))
    minor = pl.when(pl.col("__negative")).then(-magnitude).otherwise(magnitude)
    return framed.with_columns(__minor=pl.when(fits).then(minor)).with_columns(
        __amount_ok=(pl.col("__minor") > 0).fill_null(False)
    )


def amount_reason(column: str, currency: pl.Expr) -> pl.Expr:
    """Why ``column`` is not a payment amount (on rows where ``__amount_ok`` is false)."""
    value = pl.col(column)
    malformed = (
        pl.when(value.str.contains(r"[0-9][eE][+-]?[0-9]"))
        .then(pl.lit("scientific notation is not accepted"))
        .when(value.str.contains(r"[0-9],[0-9]"))
        .then(pl.lit("no thousands separators"))
        .otherwise(pl.lit("write digits with an optional '.' and decimals, e.g. 1234.50"))
    )
    return (
        pl.when(value.is_null())
        .then(pl.lit(f"{column} is required"))
        .when(~pl.col("__shaped"))
        .then(pl.format("{} is not a decimal amount ({})", shown(value), malformed))
        .when(pl.col("__decimals") > pl.col("__digits"))
        .then(
            pl.format(
                "{} has {} decimals; {} has {}",
                shown(value),
                pl.col("__decimals"),
                currency,
                pl.col("__digits"),
            )
        )
        .when(pl.col("__whole_digits") > MAX_WHOLE_DIGITS)
        .then(pl.format("{} is too large", shown(value)))
        .when(pl.col("__negative"))
        .then(pl.format("{} is negative", shown(value)))
        .otherwise(pl.format("{} must be above 0", shown(value)))
    )


# --- payment times --------------------------------------------------------------------------------


def with_times(frame: pl.DataFrame, column: str) -> pl.DataFrame:
    """Add ``__utc`` (UTC instant), ``__offset`` (the offset written, minutes), ``__time_ok`` and, on the
    rows that needed the general parser, ``__time_problem`` (why it is refused, null when it is not)."""
    value = pl.col(column)
    sign = pl.when(value.str.slice(19, 1) == "-").then(-1).otherwise(1)
    magnitude = value.str.slice(20, 2).cast(pl.Int64, strict=False) * 60 + value.str.slice(23, 2).cast(
        pl.Int64, strict=False
    )
    fast = frame.with_columns(
        __utc=value.str.replace(r"Z$", "+00:00").str.to_datetime(
            "%Y-%m-%dT%H:%M:%S%:z", strict=False, time_unit="us", time_zone="UTC"
        ),
        __offset=pl.when(value.str.slice(19, 1) == "Z").then(0).otherwise(sign * magnitude).cast(pl.Int32),
    ).with_columns(
        __time_ok=value.str.contains(_FAST_INSTANT).fill_null(False)
        & pl.col("__utc").is_not_null()
        & (pl.col("__offset").abs() <= MAX_OFFSET_MINUTES),
        __time_problem=pl.when(value.is_null()).then(pl.lit(f"{column} is required")),
    )
    general = _general_times(fast.filter(~pl.col("__time_ok") & value.is_not_null()), column)
    if not general.is_empty():
        fast = (
            fast.join(general, on=ROW, how="left")
            .with_columns(
                __utc=pl.when(pl.col("__time_ok")).then(pl.col("__utc")).otherwise(pl.col("__utc_general")),
                __offset=pl.when(pl.col("__time_ok"))
                .then(pl.col("__offset"))
                .otherwise(pl.col("__offset_general")),
                __time_problem=pl.coalesce("__time_problem", "__problem_general"),
            )
            .with_columns(__time_ok=pl.col("__utc").is_not_null())
            .drop("__utc_general", "__offset_general", "__problem_general")
        )
    ok = pl.col("__time_ok")
    return fast.with_columns(
        __utc=pl.when(ok).then(pl.col("__utc")), __offset=pl.when(ok).then(pl.col("__offset"))
    )


def _general_times(rows: pl.DataFrame, column: str) -> pl.DataFrame:
    value = pl.col(column)
    parts = value.str.extract_groups(_INSTANT)

    def part(name: str) -> pl.Expr:
        return parts.struct.field(name)

    day = part("date").str.to_date("%Y-%m-%d", strict=False)
    hour, minute = part("hour").cast(pl.Int64), part("minute").cast(pl.Int64)
    second = part("second").fill_null("0").cast(pl.Int64)
    micros = part("fraction").str.slice(0, 6).str.pad_end(6, "0").fill_null("0").cast(pl.Int64)
    offset_minutes = part("offset_minutes").fill_null("0").cast(pl.Int64)
    magnitude = part("offset_hours").cast(pl.Int64) * 60 + offset_minutes
    offset = (
        pl.when(part("offset").str.to_uppercase() == "Z")
        .then(pl.lit(0, dtype=pl.Int64))
        .when(part("sign") == "-")
        .then(-magnitude)
        .otherwise(magnitude)
    )
    local = day.cast(pl.Datetime("us")) + pl.duration(
        hours=hour, minutes=minute, seconds=second, microseconds=micros
    )
    shaped = part("date").is_not_null()
    real = day.is_not_null() & (hour <= 23) & (minute <= 59) & (second <= 59)
    possible = (offset_minutes <= 59) & (offset.abs() <= MAX_OFFSET_MINUTES)
    problem = (
        pl.when(~shaped)
        .then(pl.format("{} is not an ISO 8601 date-time such as 2026-03-02T09:15:00+08:00", shown(value)))
        .when(part("offset").is_null())
        .then(pl.format("{} has no UTC offset (add one, e.g. +08:00 or Z)", shown(value)))
        .when(~real)
        .then(pl.format("{} is not a real date and time", shown(value)))
        .when(~possible)
        .then(pl.format("{} has an impossible UTC offset", shown(value)))
    )
    ok = shaped & part("offset").is_not_null() & real & possible
    return rows.select(
        ROW,
        __utc_general=pl.when(ok).then((local - pl.duration(minutes=offset)).dt.replace_time_zone("UTC")),
        __offset_general=pl.when(ok).then(offset.cast(pl.Int32)),
        __problem_general=problem,
    )


def time_reason(column: str, now: datetime | None) -> pl.Expr:
    """Why ``column`` is not an acceptable payment time (on rows where ``__time_ok`` is false or the time
    is after ``now``)."""
    future = pl.format("{} is in the future", shown(pl.col(column)))
    return pl.coalesce(pl.col("__time_problem"), future if now is not None else pl.lit(None, dtype=pl.String))
