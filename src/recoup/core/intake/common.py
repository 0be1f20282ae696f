"""Columnar parsers and the reject bookkeeping shared by the intake validators.

A validator describes each output column as a `Parsed` value: the typed value expression plus the
`Check`s that say which rows cannot become it. Checks run in two phases: a cheap boolean ``bad`` over the
whole frame, then the human-readable ``message`` only on the few rows that broke a rule, so a clean
million-row file never pays for building a million error strings.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Final

import polars as pl

from recoup.core.money import CURRENCY_EXPONENTS

REJECT_SCHEMA: Final[dict[str, pl.DataType]] = {
    "row": pl.Int64(),
    "column": pl.String(),
    "reason": pl.String(),
}
ROW: Final = "row"
FIRST_DATA_ROW: Final = 2  # the header is row 1

ID_MAX_CHARS: Final = 100
NAME_MAX_CHARS: Final = 200
ADDRESS_MAX_CHARS: Final = 500
NOTE_MAX_CHARS: Final = 2000
EMAIL_MAX_CHARS: Final = 254
MAX_WHOLE_DIGITS: Final = 15  # 10^15 major units: beyond any real balance, far inside Int64 minor units
EARLIEST_DATE: Final = "1900-01-01"
LATEST_DATE: Final = "2199-12-31"
MAX_OFFSET_MINUTES: Final = 14 * 60
SHOWN_CHARS: Final = 40

LIST_SEPARATORS: Final = r"[;；]"  # the contract's ';' and the full-width '；' a Chinese keyboard types
# Control characters, DEL, C1 controls and the bidirectional overrides that can disguise text.
_CONTROL: Final = r"[\x00-\x08\x0B-\x1F\x7F-\x9F\u202A-\u202E\u2066-\u2069]"
_CONTROL_SINGLE_LINE: Final = r"[\x00-\x1F\x7F-\x9F\u202A-\u202E\u2066-\u2069]"
_MONEY: Final = r"^(?P<sign>[+-]?)(?P<whole>[0-9]+)(?:\.(?P<fraction>[0-9]+))?$"
_DATE: Final = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
_INSTANT: Final = (
    r"^(?P<date>[0-9]{4}-[0-9]{2}-[0-9]{2})[T ](?P<hour>[0-9]{2}):(?P<minute>[0-9]{2})"
    r"(?::(?P<second>[0-9]{2})(?:[.,](?P<fraction>[0-9]{1,9}))?)?"
    r"(?P<offset>[Zz]|(?P<offset_sign>[+-])(?P<offset_hours>[0-9]{2})(?::?(?P<offset_minutes>[0-9]{2}))?)?$"
)
_EMAIL: Final = r"^[^@\s;,]+@[^@\s;,]+\.[^@\s;,]+$"
_PHONE: Final = r"^\+?[0-9][0-9 ()\-]{3,30}$"
_INTEGER: Final = r"^[0-9]{1,9}$"
_ZONE_NAME: Final = r"[A-Za-z][A-Za-z0-9_+\-]*(?:/[A-Za-z0-9_+\-]+){0,2}"


@dataclass(frozen=True, slots=True)
class IntakeResult:
    """What a validator hands back: the rows that conform, and one line per problem found."""

    valid: pl.DataFrame
    rejects: pl.DataFrame
    file: str

    @property
    def ok(self) -> bool:
        return self.rejects.is_empty()

    def messages(self) -> list[str]:
        """The rejects as lines a person reads (see `format_rejects`)."""
        return format_rejects(self.rejects, self.file)


@dataclass(frozen=True, slots=True)
class Check:
    """A rule on one column: ``bad`` marks the rows that break it, ``message`` says why (read only there).

    ``context`` holds named expressions that need the whole frame (a window over a key, say): they are
    computed before the bad rows are set apart, so a ``message`` may refer to them by name.
    """

    column: str
    bad: pl.Expr
    message: pl.Expr
    context: tuple[pl.Expr, ...] = ()


@dataclass(frozen=True, slots=True)
class Parsed:
    """An output column's typed value and the checks its source text must pass."""

    value: pl.Expr
    checks: list[Check] = field(default_factory=list)


# --- small expression helpers -------------------------------------------------------------------


def shown(text: pl.Expr) -> pl.Expr:
    """The value as it appears in a message: quoted, control characters masked, long values cut."""
    masked = text.str.replace_all(_CONTROL_SINGLE_LINE, "?")
    cut = (
        pl.when(masked.str.len_chars() > SHOWN_CHARS)
        .then(pl.concat_str([masked.str.slice(0, SHOWN_CHARS), pl.lit("…")]))
        .otherwise(masked)
    )
    return pl.concat_str([pl.lit("'"), cut, pl.lit("'")])


def one_of(values: Iterable[str]) -> str:
    return ", ".join(values)


def currency_digits(currency: pl.Expr) -> pl.Expr:
    """Minor-unit exponent of each row's currency; null for a currency Recoup does not accept."""
    return currency.replace_strict(CURRENCY_EXPONENTS, default=None, return_dtype=pl.Int64)


def required(column: str) -> Check:
    return Check(column, pl.col(column).is_null(), pl.lit("a value is required"))


def with_required(parsed: Parsed, column: str) -> Parsed:
    return Parsed(parsed.value, [required(column), *parsed.checks])


# --- text ---------------------------------------------------------------------------------------


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
            Check(
                column,
                value.str.contains(control),
                pl.lit(f"contains control characters ({allowed})"),
            ),
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
            Check(
                column,
                ~value.str.contains(_EMAIL),
                pl.format("{} is not an email address", shown(value)),
            ),
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


def _items(value: pl.Expr) -> pl.Expr:
    """The non-empty, stripped items of a ';'-separated list."""
    stripped = pl.element().str.strip_chars()
    return value.str.split(LIST_SEPARATORS, literal=False).list.eval(stripped.filter(stripped != ""))


def phone_list(column: str) -> Parsed:
    """';'-separated phone numbers: each digits with optional '+', spaces, dashes and brackets; order
    kept, repeats dropped."""
    items = _items(pl.col(column))
    normalised = items.list.unique(maintain_order=True).list.join(";")
    bad_item = items.list.eval(~pl.element().str.contains(_PHONE)).list.any()
    return Parsed(
        pl.when(normalised != "").then(normalised),
        [
            Check(
                column,
                bad_item,
                pl.format("{} is not a ';'-separated list of phone numbers", shown(pl.col(column))),
            ),
            Check(
                column,
                pl.col(column).str.len_chars() > NAME_MAX_CHARS,
                pl.lit("is too long for a phone list"),
            ),
        ],
    )


def flag_list(column: str, vocabulary: Sequence[str]) -> Parsed:
    """';'-separated flags from ``vocabulary``: sorted and deduplicated."""
    items = _items(pl.col(column))
    normalised = items.list.unique().list.sort().list.join(";")
    unknown = items.list.eval(pl.element().filter(~pl.element().is_in(list(vocabulary)))).list.join(";")
    return Parsed(
        pl.when(normalised != "").then(normalised),
        [
            Check(
                column,
                unknown != "",
                pl.format("unknown flag {} (accepted: {})", shown(unknown), pl.lit(one_of(vocabulary))),
            )
        ],
    )


# --- numbers ------------------------------------------------------------------------------------


def money(column: str, currency_code: pl.Expr, *, allow_negative: bool = False) -> Parsed:
    """Decimal text to Int64 minor units with integer arithmetic only (the columnar twin of
    `recoup.core.money.parse_minor`) in each row's ``currency_code``. Where that currency is unknown it is
    reported elsewhere and the amount is not judged."""
    text_value = pl.col(column)
    digits = currency_digits(currency_code)
    parts = text_value.str.extract_groups(_MONEY)
    sign = parts.struct.field("sign")
    whole = parts.struct.field("whole")
    fraction = parts.struct.field("fraction")
    fraction_digits = fraction.str.len_chars().fill_null(0).cast(pl.Int64)
    scale = pl.lit(10, dtype=pl.Int64).pow(digits)
    pad = pl.lit(10, dtype=pl.Int64).pow((digits - fraction_digits).clip(lower_bound=0))
    magnitude = (
        whole.cast(pl.Int64, strict=False) * scale
        + fraction.fill_null("0").cast(pl.Int64, strict=False) * pad
    )
    minor = pl.when(sign == "-").then(-magnitude).otherwise(magnitude)
    judged = text_value.is_not_null() & digits.is_not_null()
    malformed = judged & whole.is_null()
    too_precise = judged & ~malformed & (fraction_digits > digits)
    too_large = judged & ~malformed & (whole.str.strip_chars_start("0").str.len_chars() > MAX_WHOLE_DIGITS)
    checks = [
        Check(column, malformed, _malformed_money_message(text_value)),
        Check(
            column,
            too_precise,
            pl.format(
                "{} has {} decimals; {} has {}", shown(text_value), fraction_digits, currency_code, digits
            ),
        ),
        Check(column, too_large, pl.format("{} is too large", shown(text_value))),
    ]
    if not allow_negative:
        checks.append(Check(column, judged & (minor < 0), pl.format("{} is negative", shown(text_value))))
    return Parsed(minor, checks)


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
    return Parsed(
        number,
        [
            Check(column, ~value.str.contains(_INTEGER), pl.format("{} is not a whole number", shown(value))),
            Check(
                column,
                value.str.contains(_INTEGER) & ((number < low) | (number > high)),
                pl.format("{} is outside {}..{}", shown(value), pl.lit(low), pl.lit(high)),
            ),
        ],
    )


def boolean(column: str) -> Parsed:
    value = pl.col(column)
    lowered = value.str.to_lowercase()
    return Parsed(
        lowered == "true",
        [
            Check(
                column,
                ~lowered.is_in(["true", "false"]),
                pl.format("{} is not true or false", shown(value)),
            )
        ],
    )


# --- dates and instants -------------------------------------------------------------------------


def date(column: str) -> Parsed:
    """Strict ``YYYY-MM-DD`` calendar dates between 1900 and 2199 (2026-02-30 is refused)."""
    value = pl.col(column)
    shaped = value.str.contains(_DATE)
    parsed = value.str.to_date("%Y-%m-%d", strict=False)
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
    )


@dataclass(frozen=True, slots=True)
class ParsedInstant:
    utc: pl.Expr
    offset_minutes: pl.Expr
    checks: list[Check]


def instant(column: str) -> ParsedInstant:
    """ISO 8601 date-time with a required offset (``Z``, ``+08:00``, ``+0800`` or ``+08``) to a UTC
    instant plus the offset the source wrote, in minutes. Fractions beyond microseconds are truncated."""
    value = pl.col(column)
    parts = value.str.extract_groups(_INSTANT)

    def part(name: str) -> pl.Expr:
        return parts.struct.field(name)

    day = part("date").str.to_date("%Y-%m-%d", strict=False)
    hour = part("hour").cast(pl.Int64, strict=False)
    minute = part("minute").cast(pl.Int64, strict=False)
    second = part("second").fill_null("0").cast(pl.Int64, strict=False)
    micros = part("fraction").str.slice(0, 6).str.pad_end(6, "0").fill_null("0").cast(pl.Int64, strict=False)
    offset_magnitude = part("offset_hours").cast(pl.Int64, strict=False) * 60 + part(
        "offset_minutes"
    ).fill_null("0").cast(pl.Int64, strict=False)
    offset = (
        pl.when(part("offset").str.to_uppercase() == "Z")
        .then(pl.lit(0, dtype=pl.Int64))
        .when(part("offset_sign") == "-")
        .then(-offset_magnitude)
        .otherwise(offset_magnitude)
    )
    local = day.cast(pl.Datetime("us")) + pl.duration(
        hours=hour, minutes=minute, seconds=second, microseconds=micros
    )
    utc = (local - pl.duration(minutes=offset)).dt.replace_time_zone("UTC")
    shaped = part("date").is_not_null()
    clock_ok = (hour <= 23) & (minute <= 59) & (second <= 59)
    offset_ok = (part("offset_minutes").fill_null("0").cast(pl.Int64, strict=False) <= 59) & (
        offset.abs() <= MAX_OFFSET_MINUTES
    )
    checks = [
        Check(
            column,
            ~shaped,
            pl.format("{} is not an ISO 8601 date-time such as 2026-03-02T09:15:00+08:00", shown(value)),
        ),
        Check(
            column,
            shaped & part("offset").is_null(),
            pl.format("{} has no UTC offset (add one, e.g. +08:00 or Z)", shown(value)),
        ),
        Check(
            column,
            shaped & part("offset").is_not_null() & (day.is_null() | ~clock_ok),
            pl.format("{} is not a real date and time", shown(value)),
        ),
        Check(
            column,
            shaped & part("offset").is_not_null() & day.is_not_null() & clock_ok & ~offset_ok,
            pl.format("{} has an impossible UTC offset", shown(value)),
        ),
    ]
    return ParsedInstant(utc, offset.cast(pl.Int32), checks)


# --- keys and accounts --------------------------------------------------------------------------


def duplicate_key(keys: Sequence[str], *, column: str, label: str | None = None) -> Check:
    """Later rows whose key repeats an earlier row's (in file order); the message names the first row."""
    first_row = f"__first_row_{'_'.join(keys)}"
    present = pl.all_horizontal([pl.col(key).is_not_null() for key in keys])
    key_text = label or "/".join(keys)
    return Check(
        column,
        present & (pl.col(ROW) != pl.col(first_row)),
        pl.format("duplicate {}: row {} has the same one", pl.lit(key_text), pl.col(first_row)),
        context=(pl.col(ROW).min().over(list(keys)).alias(first_row),),
    )


LOOKUP_SCHEMA: Final[dict[str, pl.DataType]] = {
    "account_id": pl.String(),
    "creditor_id": pl.String(),
    "currency": pl.String(),
    "account_key": pl.Int64(),
}


def attach_accounts(frame: pl.DataFrame, accounts: pl.DataFrame) -> pl.DataFrame:
    """Add each row's account from the lookup: ``__account_key``, ``__creditor``, ``__currency`` and, for
    messages, ``__matches`` (how many accounts fit) and ``__creditors`` (whose they are).

    A row with a ``creditor_id`` matches that creditor's account only; without one, the ``account_id``
    must belong to exactly one creditor.
    """
    missing = [name for name in LOOKUP_SCHEMA if name not in accounts.columns]
    if missing:
        raise ValueError(f"the accounts lookup lacks columns {missing}")
    lookup = (
        accounts.select([pl.col(name).cast(dtype) for name, dtype in LOOKUP_SCHEMA.items()])
        .drop_nulls(["account_id", "creditor_id"])
        .sort("account_key", nulls_last=True)
        .unique(["account_id", "creditor_id"], keep="first", maintain_order=True)
    )
    by_account = lookup.group_by("account_id").agg(
        pl.len().alias("__n_any"),
        pl.col("creditor_id").sort().str.join(", ").alias("__creditors"),
        pl.col("creditor_id").first().alias("__creditor_any"),
        pl.col("currency").first().alias("__currency_any"),
        pl.col("account_key").first().alias("__key_any"),
    )
    exact = lookup.select(
        pl.col("account_id"),
        pl.col("creditor_id"),
        pl.col("currency").alias("__currency_exact"),
        pl.col("account_key").alias("__key_exact"),
        pl.lit(1, dtype=pl.UInt32).alias("__n_exact"),
    )
    joined = frame.join(by_account, on="account_id", how="left", maintain_order="left").join(
        exact, on=["account_id", "creditor_id"], how="left", maintain_order="left"
    )
    given = pl.col("creditor_id").is_not_null()
    return joined.with_columns(
        pl.when(given)
        .then(pl.col("__n_exact").fill_null(0))
        .otherwise(pl.col("__n_any").fill_null(0))
        .cast(pl.Int64)
        .alias("__matches"),
        pl.when(given).then(pl.col("creditor_id")).otherwise(pl.col("__creditor_any")).alias("__creditor"),
        pl.when(given)
        .then(pl.col("__currency_exact"))
        .otherwise(pl.col("__currency_any"))
        .alias("__currency"),
        pl.when(given).then(pl.col("__key_exact")).otherwise(pl.col("__key_any")).alias("__account_key"),
    ).drop(
        [
            "__n_any",
            "__creditor_any",
            "__currency_any",
            "__key_any",
            "__currency_exact",
            "__key_exact",
            "__n_exact",
        ]
    )


def account_reference(column: str = "account_id") -> list[Check]:
    """Checks that the row's account was found exactly once (needs `attach_accounts`)."""
    present = pl.col(column).is_not_null()
    given = pl.col("creditor_id").is_not_null()
    return [
        Check(
            column,
            present & (pl.col("__matches") == 0) & given,
            pl.format(
                "unknown account {} of creditor {}", shown(pl.col(column)), shown(pl.col("creditor_id"))
            ),
        ),
        Check(
            column,
            present & (pl.col("__matches") == 0) & ~given,
            pl.format("unknown account {}", shown(pl.col(column))),
        ),
        Check(
            column,
            present & (pl.col("__matches") > 1),
            pl.format(
                "account {} belongs to several creditors ({}): add a creditor_id column to say which",
                shown(pl.col(column)),
                pl.col("__creditors"),
            ),
        ),
    ]


# --- running the checks -------------------------------------------------------------------------


def prepare(raw: pl.DataFrame, columns: Iterable[str]) -> pl.DataFrame:
    """Text columns with empty cells as null, a ``row`` number, and every column in ``columns`` present."""
    frame = raw if ROW in raw.columns else raw.with_row_index(ROW, offset=FIRST_DATA_ROW)
    text_columns = [name for name in frame.columns if name != ROW]
    frame = frame.with_columns(
        pl.col(ROW).cast(pl.Int64),
        *[pl.col(name).cast(pl.String).replace("", None).alias(name) for name in text_columns],
    )
    absent = [name for name in columns if name not in frame.columns]
    return frame.with_columns([pl.lit(None, dtype=pl.String).alias(name) for name in absent])


def typed_frame(typed: pl.DataFrame, schema: Mapping[str, pl.DataType], *extra: str) -> pl.DataFrame:
    """``typed`` conformed to ``schema`` (absent columns as nulls), followed by the ``extra`` columns."""
    return typed.select(
        *[
            (pl.col(name) if name in typed.columns else pl.lit(None)).cast(dtype).alias(name)
            for name, dtype in schema.items()
        ],
        *[pl.col(name) for name in extra],
    )


def missing_columns(raw: pl.DataFrame, required_columns: Sequence[str]) -> pl.DataFrame:
    """One reject (row null) per required column the file lacks, with a hint when only case differs."""
    lowered = {name.lower(): name for name in raw.columns}
    lines = []
    for name in required_columns:
        if name in raw.columns:
            continue
        near = lowered.get(name.lower())
        hint = f" (found {near!r}: column names are case-sensitive)" if near else ""
        lines.append({"row": None, "column": name, "reason": f"required column is missing{hint}"})
    return pl.DataFrame(lines, schema=REJECT_SCHEMA)


def evaluate(
    frame: pl.DataFrame,
    parsed: Mapping[str, Parsed],
    *,
    extra_checks: Sequence[Check] = (),
    column_order: Sequence[str],
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Run every check and value over ``frame``; return (typed valid rows, rejects).

    The typed frame has one column per key of ``parsed`` plus ``row``; rejects are sorted by row and by
    the column's position in ``column_order``.
    """
    checks = [check for item in parsed.values() for check in item.checks] + list(extra_checks)
    flags = [f"__bad{i}" for i in range(len(checks))]
    context = [expr for check in checks for expr in check.context]
    worked = (
        frame.lazy()
        .with_columns(context)
        .select(
            pl.all(),
            *[item.value.alias(f"__value_{name}") for name, item in parsed.items()],
            *[check.bad.fill_null(False).alias(flag) for check, flag in zip(checks, flags, strict=True)],
        )
        .with_columns(
            pl.any_horizontal(flags).alias("__rejected") if flags else pl.lit(False).alias("__rejected")
        )
        .collect()
    )
    valid = worked.filter(~pl.col("__rejected")).select(
        *[pl.col(f"__value_{name}").alias(name) for name in parsed], pl.col(ROW)
    )
    return valid, _messages(worked.filter(pl.col("__rejected")), checks, flags, column_order)


def _messages(
    rejected: pl.DataFrame, checks: Sequence[Check], flags: Sequence[str], column_order: Sequence[str]
) -> pl.DataFrame:
    if rejected.is_empty():
        return pl.DataFrame(schema=REJECT_SCHEMA)
    by_column: dict[str, list[pl.Expr]] = {}
    for check, flag in zip(checks, flags, strict=True):
        by_column.setdefault(check.column, []).append(pl.when(pl.col(flag)).then(check.message))
    reasons = rejected.select(
        pl.col(ROW), *[pl.coalesce(messages).alias(column) for column, messages in by_column.items()]
    )
    position = {name: index for index, name in enumerate(column_order)}
    return (
        reasons.unpivot(index=ROW, variable_name="column", value_name="reason")
        .drop_nulls("reason")
        .with_columns(pl.col("column").replace_strict(position, default=len(position)).alias("__position"))
        .sort([ROW, "__position"])
        .select(list(REJECT_SCHEMA))
    )


def format_rejects(rejects: pl.DataFrame, file: str) -> list[str]:
    """Lines such as ``accounts.csv, row 7, column principal: '12.345' has 3 decimals; CNY has 2``."""
    where = pl.concat_str(
        [
            pl.lit(file),
            pl.when(pl.col("row").is_not_null())
            .then(pl.format(", row {}", pl.col("row")))
            .otherwise(pl.lit("")),
            pl.when(pl.col("column").is_not_null())
            .then(pl.format(", column {}", pl.col("column")))
            .otherwise(pl.lit("")),
        ]
    )
    return rejects.select(pl.format("{}: {}", where, pl.col("reason"))).to_series().to_list()
