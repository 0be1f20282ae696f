"""Validate an events file (payments, contact results, promises, disputes, ...) as EVENT_SCHEMA."""

from __future__ import annotations

from typing import Final

import polars as pl

from recoup.core.intake.common import (
    ID_MAX_CHARS,
    NOTE_MAX_CHARS,
    ROW,
    Check,
    IntakeResult,
    Parsed,
    account_reference,
    attach_accounts,
    currency_digits,
    date,
    duplicate_key,
    enumeration,
    evaluate,
    instant,
    missing_columns,
    money,
    prepare,
    shown,
    text,
    typed_frame,
    with_required,
)
from recoup.core.schema import CHANNELS, DIRECTIONS, EVENT_SCHEMA, EVENT_TYPES, OUTCOMES

INPUT_COLUMNS: Final = tuple(name for name in EVENT_SCHEMA if name != "utc_offset_minutes")
REQUIRED_COLUMNS: Final = ("event_id", "account_id", "at", "type")
VALID_SCHEMA: Final[dict[str, pl.DataType]] = {**EVENT_SCHEMA, "account_key": pl.Int64(), ROW: pl.Int64()}

CHANNEL_TYPES: Final = ("contact", "opt_out", "opt_in")
AMOUNT_TYPES: Final = ("payment", "promise", "adjustment")
POSITIVE_AMOUNT_TYPES: Final = ("payment", "promise")


def validate_events(raw: pl.DataFrame, *, file: str, accounts: pl.DataFrame) -> IntakeResult:
    """Check every row of an events file against the accounts it names.

    ``accounts`` is the lookup (account_id, creditor_id, currency, account_key); amounts are read in the
    account's currency. An optional ``creditor_id`` column (an extension of the contract) picks the
    account when two creditors use the same account_id. Key: ``event_id``. Columns the contract does not
    name are ignored.
    """
    missing = missing_columns(raw, REQUIRED_COLUMNS)
    if not missing.is_empty():
        return IntakeResult(pl.DataFrame(schema=VALID_SCHEMA), missing, file)
    frame = attach_accounts(prepare(raw, INPUT_COLUMNS), accounts)
    at = instant("at")
    parsed = {
        "event_id": with_required(text("event_id", max_chars=ID_MAX_CHARS), "event_id"),
        "account_id": Parsed(
            pl.col("account_id"),
            [
                *with_required(text("account_id", max_chars=ID_MAX_CHARS), "account_id").checks,
                *account_reference(),
            ],
        ),
        "creditor_id": Parsed(pl.col("__creditor"), text("creditor_id", max_chars=ID_MAX_CHARS).checks),
        "at": with_required(Parsed(at.utc, at.checks), "at"),
        "utc_offset_minutes": Parsed(at.offset_minutes),
        "type": with_required(enumeration("type", EVENT_TYPES), "type"),
        "channel": _needed_for(enumeration("channel", CHANNELS), "channel", CHANNEL_TYPES),
        "direction": _needed_for(enumeration("direction", DIRECTIONS), "direction", ("contact",)),
        "outcome": _needed_for(enumeration("outcome", OUTCOMES), "outcome", ("contact",)),
        "amount": _amount(),
        "promise_due_on": _promise_due_on(
            local_day=(at.utc + pl.duration(minutes=at.offset_minutes)).dt.date()
        ),
        "note": text("note", max_chars=NOTE_MAX_CHARS, multiline=True),
        "account_key": Parsed(pl.col("__account_key")),
    }
    key = duplicate_key(("event_id",), column="event_id")
    typed, rejects = evaluate(frame, parsed, extra_checks=[key], column_order=[*raw.columns, *INPUT_COLUMNS])
    return IntakeResult(typed_frame(typed, EVENT_SCHEMA, "account_key", ROW), rejects, file)


def _type_in(types: tuple[str, ...]) -> pl.Expr:
    return pl.col("type").is_in(list(types))


def _types_text(types: tuple[str, ...]) -> str:
    return ", ".join(types[:-1]) + f" and {types[-1]}" if len(types) > 1 else types[0]


def _needed_for(parsed: Parsed, column: str, types: tuple[str, ...]) -> Parsed:
    needed = Check(
        column,
        _type_in(types) & pl.col(column).is_null(),
        pl.format("{} is required for {} events", pl.lit(column), pl.col("type")),
    )
    return Parsed(parsed.value, [needed, *parsed.checks])


def _only_for(column: str, types: tuple[str, ...]) -> Check:
    """A value given for an event type that takes none (only judged when the type itself is valid)."""
    return Check(
        column,
        pl.col(column).is_not_null() & pl.col("type").is_in(list(EVENT_TYPES)) & ~_type_in(types),
        pl.format(
            "{} is only for {} events, not {}", pl.lit(column), pl.lit(_types_text(types)), pl.col("type")
        ),
    )


def _amount() -> Parsed:
    parsed = money("amount", pl.col("__currency"), allow_negative=True)
    currency_unknown = Check(
        "amount",
        pl.col("amount").is_not_null()
        & pl.col("__currency").is_not_null()
        & currency_digits(pl.col("__currency")).is_null(),
        pl.format("the account's currency {} is not one Recoup accepts", shown(pl.col("__currency"))),
    )
    not_positive = Check(
        "amount",
        _type_in(POSITIVE_AMOUNT_TYPES) & (parsed.value <= 0),
        pl.format("{} must be greater than 0 for a {}", shown(pl.col("amount")), pl.col("type")),
    )
    return Parsed(
        parsed.value,
        [
            _needed_for(parsed, "amount", AMOUNT_TYPES).checks[0],
            _only_for("amount", AMOUNT_TYPES),
            currency_unknown,
            *parsed.checks,
            not_positive,
        ],
    )


def _promise_due_on(*, local_day: pl.Expr) -> Parsed:
    parsed = date("promise_due_on")
    before_promise = Check(
        "promise_due_on",
        (pl.col("type") == "promise") & (parsed.value < local_day),
        pl.format("{} is before the promise was made ({})", shown(pl.col("promise_due_on")), local_day),
    )
    return Parsed(
        parsed.value,
        [
            _needed_for(parsed, "promise_due_on", ("promise",)).checks[0],
            _only_for("promise_due_on", ("promise",)),
            *parsed.checks,
            before_promise,
        ],
    )
