"""Payment files reconciled against accounts, in columns: every row lands in exactly one outcome.

A payment file (a bank or payment-provider statement) has one row per payment:
``payment_reference, account_id, creditor_id (optional), amount, currency, paid_at``. Each row is judged
by the first rule it breaks, in this order (so a row has one outcome and one reason):

1. ``bad_reference``     the reference is missing, too long or has control characters;
2. ``duplicate_stored``  the reference is already the id of a stored event (a payment booked before:
                         reconciling the same file twice books nothing twice);
3. ``duplicate_in_file`` an earlier row of the file has the same reference;
4. ``unknown_account``   no account has this account_id (for this creditor_id, when given);
5. ``ambiguous_account`` the account_id belongs to several creditors and the row names none;
6. ``unknown_currency``  the currency is missing or not one Recoup accepts;
7. ``currency_mismatch`` paid in another currency than the account's (convert before booking);
8. ``bad_amount``        missing, not a decimal, too many decimals for the currency, too large, or not
                         above zero;
9. ``bad_time``          missing, not ISO 8601 with an offset, impossible, or later than ``now``.

Rows that break none are ``matched`` and come back as payment events (EVENT_SCHEMA, the reference as
``event_id``) ready for the events table; the others come back as the exceptions report with the cells
exactly as the file had them. ``matched`` + exceptions = every row of the file, none twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Final

import polars as pl

from recoup.core.errors import ValidationError
from recoup.core.money import CURRENCY_EXPONENTS
from recoup.core.payment_file import (
    ROW,
    amount_reason,
    cells,
    currency_digits,
    missing_columns,
    reference_bad,
    reference_reason,
    shown,
    time_reason,
    with_amounts,
    with_times,
)
from recoup.core.schema import EVENT_SCHEMA

INPUT_COLUMNS: Final = ("payment_reference", "account_id", "creditor_id", "amount", "currency", "paid_at")
REQUIRED_COLUMNS: Final = ("payment_reference", "account_id", "amount", "currency", "paid_at")
OUTCOMES: Final = (
    "matched",
    "bad_reference",
    "duplicate_stored",
    "duplicate_in_file",
    "unknown_account",
    "ambiguous_account",
    "unknown_currency",
    "currency_mismatch",
    "bad_amount",
    "bad_time",
)
EXCEPTION_SCHEMA: Final[dict[str, pl.DataType]] = {
    ROW: pl.Int64(),
    "payment_reference": pl.String(),
    "account_id": pl.String(),
    "creditor_id": pl.String(),
    "amount": pl.String(),
    "currency": pl.String(),
    "paid_at": pl.String(),
    "outcome": pl.String(),
    "reason": pl.String(),
}
MATCHED_SCHEMA: Final[dict[str, pl.DataType]] = {**EVENT_SCHEMA, "account_key": pl.Int64(), ROW: pl.Int64()}
STORED_SCHEMA: Final[dict[str, pl.DataType]] = {"event_id": pl.String(), "type": pl.String()}

_CODE = "__currency_code"
LOOKUP_SCHEMA: Final[dict[str, pl.DataType]] = {
    "account_id": pl.String(),
    "creditor_id": pl.String(),
    "currency": pl.String(),
    "account_key": pl.Int64(),
}


@dataclass(frozen=True, slots=True)
class Reconciliation:
    """Matched payment events and the exceptions report; together they hold every row of the file."""

    matched: pl.DataFrame  # MATCHED_SCHEMA
    exceptions: pl.DataFrame  # EXCEPTION_SCHEMA
    rows: int
    file: str

    def counts(self) -> dict[str, int]:
        found = dict(self.exceptions.group_by("outcome").len().iter_rows())
        return {o: self.matched.height if o == "matched" else int(found.get(o, 0)) for o in OUTCOMES}

    @property
    def blocking(self) -> int:
        """Exceptions that need a person: everything but references already booked."""
        return int((self.exceptions.get_column("outcome") != "duplicate_stored").sum())


def reconcile(
    raw: pl.DataFrame,
    *,
    accounts: pl.DataFrame,
    stored: pl.DataFrame,
    file: str,
    now: datetime | None = None,
) -> Reconciliation:
    """Judge every row of a payment file.

    raw: the file's cells as text (a ``row`` column is added when absent: the header is row 1).
    accounts: account_id, creditor_id, currency, account_key of the stored accounts.
    stored: event_id, type of the stored events whose id equals a reference in the file (more is fine).
    now: payments later than this are refused (``bad_time``); None skips that check.
    A file without the required columns raises `ValidationError` naming them.
    """
    missing = missing_columns(raw, REQUIRED_COLUMNS)
    if missing:
        names = ", ".join(missing)
        raise ValidationError(f"required column(s) missing: {names}", file=file, field=names)
    lookup = _lookup(accounts)
    frame = cells(raw, INPUT_COLUMNS).with_columns(
        pl.col("currency").str.strip_chars().str.to_uppercase().alias(_CODE),
        (pl.col("payment_reference").is_not_null() & ~pl.col("payment_reference").is_first_distinct()).alias(
            "__repeat"
        ),
    )
    frame = _with_stored(_with_accounts(frame, lookup), stored)
    frame = with_amounts(with_times(frame, "paid_at"), "amount", currency_digits(pl.col(_CODE)))
    judged = frame.with_columns(outcome=_outcome(now))
    matched = judged.filter(pl.col("outcome") == "matched").select(
        event_id=pl.col("payment_reference"),
        account_id=pl.col("account_id"),
        creditor_id=pl.col("__creditor"),
        at=pl.col("__utc"),
        utc_offset_minutes=pl.col("__offset"),
        type=pl.lit("payment"),
        amount=pl.col("__minor"),
        account_key=pl.col("__account_key"),
        row=pl.col(ROW),
    )
    exceptions = _explain(judged.filter(pl.col("outcome") != "matched"), frame, lookup, now)
    return Reconciliation(
        matched=_conform(matched, MATCHED_SCHEMA),
        exceptions=_conform(exceptions, EXCEPTION_SCHEMA),
        rows=raw.height,
        file=file,
    )


# --- looking things up ---------------------------------------------------------------------------


def _lookup(accounts: pl.DataFrame) -> pl.DataFrame:
    """The stored accounts as typed lookup rows (account_id, creditor_id, currency, account_key)."""
    return accounts.select([pl.col(name).cast(dtype) for name, dtype in LOOKUP_SCHEMA.items()]).drop_nulls(
        ["account_id", "creditor_id"]
    )


def _with_accounts(frame: pl.DataFrame, lookup: pl.DataFrame) -> pl.DataFrame:
    """``__matches`` (how many creditors' accounts fit), ``__creditor``, ``__currency`` and
    ``__account_key`` for each row. A row with a creditor_id matches that creditor's account only;
    without one, the account_id must belong to exactly one creditor."""
    by_id = lookup.group_by("account_id").agg(
        __n_any=pl.col("creditor_id").n_unique().cast(pl.Int64),
        __creditor_any=pl.col("creditor_id").first(),
        __currency_any=pl.col("currency").first(),
        __key_any=pl.col("account_key").first(),
    )
    joined = frame.join(by_id, on="account_id", how="left")
    given = pl.col("creditor_id").is_not_null()
    if frame.get_column("creditor_id").null_count() < frame.height:
        exact = lookup.unique(["account_id", "creditor_id"], keep="first").select(
            "account_id",
            "creditor_id",
            __currency_exact="currency",
            __key_exact="account_key",
            __n_exact=pl.lit(1, dtype=pl.Int64),
        )
        joined = joined.join(exact, on=["account_id", "creditor_id"], how="left")
        matches = pl.when(given).then(pl.col("__n_exact")).otherwise(pl.col("__n_any"))
        chosen = {
            "__creditor": pl.when(given).then(pl.col("creditor_id")).otherwise(pl.col("__creditor_any")),
            "__currency": pl.when(given).then(pl.col("__currency_exact")).otherwise(pl.col("__currency_any")),
            "__account_key": pl.when(given).then(pl.col("__key_exact")).otherwise(pl.col("__key_any")),
        }
    else:
        matches = pl.col("__n_any")
        chosen = {"__creditor": pl.col("__creditor_any"), "__currency": pl.col("__currency_any")}
        chosen["__account_key"] = pl.col("__key_any")
    return joined.with_columns(__matches=matches.fill_null(0), **chosen)


def _with_stored(frame: pl.DataFrame, stored: pl.DataFrame) -> pl.DataFrame:
    ids = stored.select(
        pl.col("event_id").cast(pl.String).alias("payment_reference"),
        pl.col("type").cast(pl.String).alias("__stored_type"),
    ).unique("payment_reference", keep="any")
    return frame.join(ids, on="payment_reference", how="left")


# --- judging --------------------------------------------------------------------------------------


def _outcome(now: datetime | None) -> pl.Expr:
    """The first rule each row breaks (see the module docstring), from the columns computed above."""
    late = (pl.col("__utc") > pl.lit(now)) if now is not None else pl.lit(False)
    rules: list[tuple[str, pl.Expr]] = [
        ("bad_reference", reference_bad("payment_reference")),
        ("duplicate_stored", pl.col("__stored_type").is_not_null()),
        ("duplicate_in_file", pl.col("__repeat")),
        ("unknown_account", pl.col("account_id").is_null() | (pl.col("__matches") == 0)),
        ("ambiguous_account", pl.col("__matches") > 1),
        ("unknown_currency", currency_digits(pl.col(_CODE)).is_null()),
        ("currency_mismatch", pl.col(_CODE) != pl.col("__currency")),
        ("bad_amount", ~pl.col("__amount_ok")),
        ("bad_time", ~pl.col("__time_ok") | late),
    ]
    return pl.coalesce(
        [pl.when(bad.fill_null(False)).then(pl.lit(outcome)) for outcome, bad in rules] + [pl.lit("matched")]
    )


def _reasons(now: datetime | None) -> dict[str, pl.Expr]:
    """Why, per outcome (computed on the exception rows only)."""
    reference = shown(pl.col("payment_reference"))
    account = shown(pl.col("account_id"))
    accepted = ", ".join(CURRENCY_EXPONENTS)
    return {
        "bad_reference": reference_reason("payment_reference"),
        "duplicate_stored": pl.when(pl.col("__stored_type") == "payment")
        .then(pl.format("payment {} is already booked (nothing to do)", reference))
        .otherwise(
            pl.format("{} is already the id of a stored {} event", reference, pl.col("__stored_type"))
        ),
        "duplicate_in_file": pl.format("reference {} is already in row {}", reference, pl.col("__first_row")),
        "unknown_account": pl.when(pl.col("account_id").is_null())
        .then(pl.lit("account_id is required"))
        .when(pl.col("creditor_id").is_not_null())
        .then(pl.format("unknown account {} of creditor {}", account, shown(pl.col("creditor_id"))))
        .otherwise(pl.format("unknown account {}", account)),
        "ambiguous_account": pl.format(
            "account {} belongs to several creditors ({}): add a creditor_id column to say which",
            account,
            pl.col("__creditors"),
        ),
        "unknown_currency": pl.when(pl.col("currency").is_null())
        .then(pl.lit("currency is required"))
        .otherwise(
            pl.format("unknown currency {} (accepted: {})", shown(pl.col("currency")), pl.lit(accepted))
        ),
        "currency_mismatch": pl.format(
            "paid in {} but account {} is in {}: convert it before booking",
            pl.col(_CODE),
            account,
            pl.col("__currency"),
        ),
        "bad_amount": amount_reason("amount", pl.col(_CODE)),
        "bad_time": time_reason("paid_at", now),
    }


def _explain(
    exceptions: pl.DataFrame, frame: pl.DataFrame, lookup: pl.DataFrame, now: datetime | None
) -> pl.DataFrame:
    repeated = exceptions.filter(pl.col("outcome") == "duplicate_in_file").get_column("payment_reference")
    first_rows = (
        frame.filter(pl.col("payment_reference").is_in(repeated.implode()))
        .group_by("payment_reference")
        .agg(__first_row=pl.col(ROW).min())
    )
    ambiguous = exceptions.filter(pl.col("outcome") == "ambiguous_account").get_column("account_id")
    creditors = (
        lookup.filter(pl.col("account_id").is_in(ambiguous.implode()))
        .group_by("account_id")
        .agg(__creditors=pl.col("creditor_id").unique().sort().str.join(", "))
    )
    # Outcomes exclude one another, so the first non-null of these is the row's own reason.
    reason = pl.coalesce([pl.when(pl.col("outcome") == o).then(why) for o, why in _reasons(now).items()])
    return (
        exceptions.join(first_rows, on="payment_reference", how="left")
        .join(creditors, on="account_id", how="left")
        .with_columns(reason=reason)
    )


def _conform(frame: pl.DataFrame, schema: dict[str, pl.DataType]) -> pl.DataFrame:
    return frame.select(
        [
            (pl.col(name) if name in frame.columns else pl.lit(None)).cast(dtype).alias(name)
            for name, dtype in schema.items()
        ]
    ).sort(ROW)
