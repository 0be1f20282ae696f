"""Validate a placement (accounts) file against contracts/portfolio.md and type it as ACCOUNT_SCHEMA."""

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
    ADDRESS_MAX_CHARS,
    ID_MAX_CHARS,
    NAME_MAX_CHARS,
    NOTE_MAX_CHARS,
    boolean,
    currency,
    date,
    email,
    enumeration,
    flag_list,
    integer,
    money,
    phone_list,
    text,
    timezone,
)
from recoup.core.schema import (
    ACCOUNT_FLAGS,
    ACCOUNT_SCHEMA,
    DEBTOR_TYPES,
    EMPLOYMENT_STATUSES,
    JURISDICTIONS,
    LANGUAGES,
    PRODUCTS,
)

# The contract's columns; anything else in the file is kept in ``attributes``.
INPUT_COLUMNS: Final = tuple(name for name in ACCOUNT_SCHEMA if name != "attributes")
REQUIRED_COLUMNS: Final = (
    "account_id",
    "creditor_id",
    "debtor_id",
    "debtor_type",
    "debtor_name",
    "currency",
    "principal",
    "interest",
    "fees",
    "due_on",
    "jurisdiction",
)
KEY: Final = ("creditor_id", "account_id")
REGION_MAX_CHARS: Final = 100
MAX_AGE: Final = 150
_JURISDICTION: Final = rf"^({'|'.join(JURISDICTIONS)})(-[A-Z0-9]{{1,3}})?$"


def validate_accounts(raw: pl.DataFrame, *, file: str) -> IntakeResult:
    """Check every row of a placement file; type the good ones as ACCOUNT_SCHEMA plus ``row``.

    ``raw`` holds the file's text as read (`recoup.adapters.files.readers.read_table`): String columns
    and, optionally, ``row``. Key: ``account_id`` per ``creditor_id``; a repeated key rejects the later rows.
    """
    missing = missing_columns(raw, REQUIRED_COLUMNS)
    if not missing.is_empty():
        return IntakeResult(pl.DataFrame(schema={**ACCOUNT_SCHEMA, ROW: pl.Int64()}), missing, file)
    frame = prepare(raw, INPUT_COLUMNS)
    unknown = [name for name in raw.columns if name not in INPUT_COLUMNS and name != ROW]
    parsed = {**_contract_columns(frame), "attributes": _attributes(unknown)}
    typed, rejects = evaluate(
        frame,
        parsed,
        column_order=[*raw.columns, *INPUT_COLUMNS],
        rules=[duplicate_key(KEY, column="account_id", label="account_id for this creditor_id")],
    )
    return IntakeResult(typed_frame(typed, ACCOUNT_SCHEMA, ROW), rejects, file)


def _contract_columns(frame: pl.DataFrame) -> dict[str, Parsed]:
    parsed = {
        "account_id": text("account_id", max_chars=ID_MAX_CHARS).requiring("account_id"),
        "creditor_id": text("creditor_id", max_chars=ID_MAX_CHARS).requiring("creditor_id"),
        "debtor_id": text("debtor_id", max_chars=ID_MAX_CHARS).requiring("debtor_id"),
        "debtor_type": enumeration("debtor_type", DEBTOR_TYPES).requiring("debtor_type"),
        "debtor_name": text("debtor_name", max_chars=NAME_MAX_CHARS).requiring("debtor_name"),
        "product": enumeration("product", PRODUCTS),
        "currency": currency("currency").requiring("currency"),
        "original_amount": money("original_amount", "currency"),
        "opened_on": date("opened_on"),
        "due_on": date("due_on").requiring("due_on"),
        "last_payment_on": date("last_payment_on"),
        "last_payment_amount": money("last_payment_amount", "currency"),
        "jurisdiction": _jurisdiction().requiring("jurisdiction"),
        "region": text("region", max_chars=REGION_MAX_CHARS),
        "timezone": timezone("timezone", frame.get_column("timezone")),
        "language": enumeration("language", LANGUAGES),
        "phone": phone_list("phone"),
        "email": email("email"),
        "im_handle": text("im_handle", max_chars=ID_MAX_CHARS),
        "address": text("address", max_chars=ADDRESS_MAX_CHARS, multiline=True),
        "income_monthly": money("income_monthly", "currency"),
        "employment_status": enumeration("employment_status", EMPLOYMENT_STATUSES),
        "age": integer("age", low=0, high=MAX_AGE),
        "statute_limit_on": date("statute_limit_on"),
        "flags": flag_list("flags", ACCOUNT_FLAGS),
    }
    for part in ("principal", "interest", "fees"):
        parsed[part] = money(part, "currency").requiring(part)
    for channel in ("sms", "email", "im", "call"):
        parsed[f"consent_{channel}"] = boolean(f"consent_{channel}")
    return parsed


def _jurisdiction() -> Parsed:
    value = pl.col("jurisdiction")
    return Parsed(
        value,
        [
            Check(
                "jurisdiction",
                value.is_not_null() & ~value.str.contains(_JURISDICTION),
                pl.format(
                    "unknown jurisdiction {} (expected {}, optionally with a region such as US-NY)",
                    shown(value),
                    pl.lit(", ".join(JURISDICTIONS)),
                ),
            )
        ],
    )


def _attributes(unknown: list[str]) -> Parsed:
    """The columns the contract does not name, kept as a JSON object in the file's column order."""
    if not unknown:
        return Parsed(pl.lit(None, dtype=pl.String))
    checks = [
        check for name in unknown for check in text(name, max_chars=NOTE_MAX_CHARS, multiline=True).checks
    ]
    return Parsed(pl.struct([pl.col(name) for name in unknown]).struct.json_encode(), checks)
