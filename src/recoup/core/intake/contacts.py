"""Validate a contacts file (guarantors, officers, emergency contacts, ...) and type it as CONTACT_SCHEMA."""

from __future__ import annotations

from typing import Final

import polars as pl

from recoup.core.intake.common import (
    ID_MAX_CHARS,
    NAME_MAX_CHARS,
    ROW,
    IntakeResult,
    Parsed,
    account_reference,
    attach_accounts,
    boolean,
    duplicate_key,
    email,
    enumeration,
    evaluate,
    missing_columns,
    phone_list,
    prepare,
    text,
    typed_frame,
    with_required,
)
from recoup.core.schema import CONTACT_ROLES, CONTACT_SCHEMA

# creditor_id is an extension: needed only when an account_id is used by two creditors.
INPUT_COLUMNS: Final = tuple(CONTACT_SCHEMA)
REQUIRED_COLUMNS: Final = ("account_id", "contact_id", "role", "name")
VALID_SCHEMA: Final[dict[str, pl.DataType]] = {**CONTACT_SCHEMA, "account_key": pl.Int64(), ROW: pl.Int64()}


def validate_contacts(raw: pl.DataFrame, *, file: str, accounts: pl.DataFrame) -> IntakeResult:
    """Check every row of a contacts file against the accounts it names.

    ``accounts`` is the lookup (account_id, creditor_id, currency, account_key): stored accounts and the
    same import's new ones. Valid rows carry the account's ``creditor_id`` and ``account_key``. Key:
    (creditor, account_id, contact_id). Columns the contract does not name are ignored.
    """
    missing = missing_columns(raw, REQUIRED_COLUMNS)
    if not missing.is_empty():
        return IntakeResult(pl.DataFrame(schema=VALID_SCHEMA), missing, file)
    frame = attach_accounts(prepare(raw, INPUT_COLUMNS), accounts)
    parsed = {
        "account_id": Parsed(
            pl.col("account_id"),
            [
                *with_required(text("account_id", max_chars=ID_MAX_CHARS), "account_id").checks,
                *account_reference(),
            ],
        ),
        "creditor_id": Parsed(pl.col("__creditor"), text("creditor_id", max_chars=ID_MAX_CHARS).checks),
        "contact_id": with_required(text("contact_id", max_chars=ID_MAX_CHARS), "contact_id"),
        "role": with_required(enumeration("role", CONTACT_ROLES), "role"),
        "name": with_required(text("name", max_chars=NAME_MAX_CHARS), "name"),
        "phone": phone_list("phone"),
        "email": email("email"),
        "consent_to_discuss_debt": boolean("consent_to_discuss_debt"),
        "account_key": Parsed(pl.col("__account_key")),
    }
    key = duplicate_key(
        ("__creditor", "account_id", "contact_id"), column="contact_id", label="contact_id for this account"
    )
    typed, rejects = evaluate(frame, parsed, extra_checks=[key], column_order=[*raw.columns, *INPUT_COLUMNS])
    return IntakeResult(typed_frame(typed, CONTACT_SCHEMA, "account_key", ROW), rejects, file)
