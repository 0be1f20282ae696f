"""Validate an events file (payments, contact results, promises, disputes, ...) as EVENT_SCHEMA."""

from __future__ import annotations

from typing import Final

import polars as pl

from recoup.core.intake.checks import (
    ROW,
    Check,
    IntakeResult,
    Parsed,
    duplicate_key,
    evaluate,
    missing_columns,
    prepare,
    shown,
    typed_frame,
)
from recoup.core.intake.common import (
    ID_MAX_CHARS,
    NOTE_MAX_CHARS,
    date,
    enumeration,
    helper,
    instant,
    money,
    text,
)
from recoup.core.intake.lookup import account_reference, attach_accounts
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
        "event_id": text("event_id", max_chars=ID_MAX_CHARS).requiring("event_id"),
        "account_id": text("account_id", max_chars=ID_MAX_CHARS)
        .requiring("account_id")
        .with_checks(*account_reference()),
        "creditor_id": Parsed(pl.col("__creditor"), text("creditor_id", max_chars=ID_MAX_CHARS).checks),
        "at": at.utc.requiring("at"),
        "utc_offset_minutes": Parsed(at.offset_minutes),
        "type": enumeration("type", EVENT_TYPES).requiring("type"),
        "channel": enumeration("channel", CHANNELS).with_checks(
            first=[_needed_for("channel", CHANNEL_TYPES)]
        ),
        "direction": enumeration("direction", DIRECTIONS).with_checks(
            first=[_needed_for("direction", ("contact",))]
        ),
        "outcome": enumeration("outcome", OUTCOMES).with_checks(first=[_needed_for("outcome", ("contact",))]),
        "amount": _amount(),
        "promise_due_on": _promise_due_on(
            local_day=(at.utc.value + pl.duration(minutes=at.offset_minutes)).dt.date()
        ),
        "note": text("note", max_chars=NOTE_MAX_CHARS, multiline=True),
        "account_key": Parsed(pl.col("__account_key")),
    }
    key = duplicate_key(("event_id",), column="event_id")
    typed, rejects = evaluate(frame, parsed, column_order=[*raw.columns, *INPUT_COLUMNS], rules=[key])
    return IntakeResult(typed_frame(typed, EVENT_SCHEMA, "account_key", ROW), rejects, file)


def _type_in(types: tuple[str, ...]) -> pl.Expr:
    return pl.col("type").is_in(list(types))


def _types_text(types: tuple[str, ...]) -> str:
    return ", ".join(types[:-1]) + f" and {types[-1]}" if len(types) > 1 else types[0]


def _needed_for(column: str, types: tuple[str, ...]) -> Check:
    return Check(
        column,
        _type_in(types) & pl.col(column).is_null(),
        pl.format("{} is required for {} events", pl.lit(column), pl.col("type")),
    )


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
    """In the account's currency; required for payments, promises and adjustments and only there."""
    parsed = money("amount", "__currency", allow_negative=True)
    digits = pl.col(helper("__currency", "digits"))
    currency_unknown = Check(
        "amount",
        pl.col("amount").is_not_null() & pl.col("__currency").is_not_null() & digits.is_null(),
        pl.format("the account's currency {} is not one Recoup accepts", shown(pl.col("__currency"))),
    )
    not_positive = Check(
        "amount",
        _type_in(POSITIVE_AMOUNT_TYPES) & (parsed.value <= 0),
        pl.format("{} must be greater than 0 for a {}", shown(pl.col("amount")), pl.col("type")),
    )
    return parsed.with_checks(
        not_positive,
        first=[_needed_for("amount", AMOUNT_TYPES), _only_for("amount", AMOUNT_TYPES), currency_unknown],
    )


def _promise_due_on(*, local_day: pl.Expr) -> Parsed:
    parsed = date("promise_due_on")
    before_promise = Check(
        "promise_due_on",
        (pl.col("type") == "promise") & (parsed.value < local_day),
        pl.format("{} is before the promise was made ({})", shown(pl.col("promise_due_on")), local_day),
    )
    return parsed.with_checks(
        before_promise,
        first=[_needed_for("promise_due_on", ("promise",)), _only_for("promise_due_on", ("promise",))],
    )
