"""Validate a contacts file (guarantors, officers, emergency contacts, ...) and type it as CONTACT_SCHEMA."""

from __future__ import annotations

from typing import Final

import polars as pl

from recoup.core.intake.checks import (
    ROW,
    IntakeResult,
    Parsed,
    duplicate_key,
    evaluate,
    missing_columns,
    prepare,
    typed_frame,
)
from recoup.core.intake.common import (
    ID_MAX_CHARS,
    NAME_MAX_CHARS,
    boolean,
    email,
    enumeration,
    phone_list,
    text,
)
from recoup.core.intake.lookup import account_reference, attach_accounts
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
        "account_id": text("account_id", max_chars=ID_MAX_CHARS)
        .requiring("account_id")
        .with_checks(*account_reference()),
        "creditor_id": Parsed(pl.col("__creditor"), text("creditor_id", max_chars=ID_MAX_CHARS).checks),
        "contact_id": text("contact_id", max_chars=ID_MAX_CHARS).requiring("contact_id"),
        "role": enumeration("role", CONTACT_ROLES).requiring("role"),
        "name": text("name", max_chars=NAME_MAX_CHARS).requiring("name"),
        "phone": phone_list("phone"),
        "email": email("email"),
        "consent_to_discuss_debt": boolean("consent_to_discuss_debt"),
        "account_key": Parsed(pl.col("__account_key")),
    }
    key = duplicate_key(
        ("__creditor", "account_id", "contact_id"), column="contact_id", label="contact_id for this account"
    )
    typed, rejects = evaluate(frame, parsed, column_order=[*raw.columns, *INPUT_COLUMNS], rules=[key])
    return IntakeResult(typed_frame(typed, CONTACT_SCHEMA, "account_key", ROW), rejects, file)
