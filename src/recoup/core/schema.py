"""The canonical columnar shapes that flow between import, storage, the daily run and the simulator.

Every batch step speaks these Polars schemas. Money columns are Int64 minor units of the row's
``currency``; instants are UTC ``Datetime("us", "UTC")``; dates are ``Date``. Vocabulary follows
contracts/portfolio.md.
"""

from __future__ import annotations

from typing import Final

import polars as pl

DEBTOR_TYPES: Final = ("individual", "sme", "enterprise")
PRODUCTS: Final = (
    "credit_card",
    "consumer_loan",
    "auto_loan",
    "mortgage",
    "sme_loan",
    "trade_receivable",
    "utility",
    "other",
)
JURISDICTIONS: Final = ("CN", "US", "UK", "EU")
LANGUAGES: Final = ("zh", "en")
EMPLOYMENT_STATUSES: Final = ("employed", "self_employed", "unemployed", "retired", "student", "unknown")
ACCOUNT_FLAGS: Final = (
    "dispute",
    "cease",
    "bankrupt",
    "deceased",
    "attorney",
    "vulnerable",
    "complaint",
    "military",
    "breathing_space",  # extension: UK Debt Respite Scheme; no collection while it lasts
)
CONTACT_ROLES: Final = ("guarantor", "officer", "emergency", "employer", "attorney")

EVENT_TYPES: Final = (
    "payment",
    "contact",
    "promise",
    "dispute",
    "dispute_resolved",
    "cease",
    "opt_out",
    "opt_in",
    "complaint",
    "bankrupt",
    "deceased",
    "attorney",
    "vulnerable",
    "recall",
    "adjustment",
)
CHANNELS: Final = ("call", "sms", "email", "im", "letter", "visit")
MESSAGE_CHANNELS: Final = ("sms", "email", "im", "letter")
DIRECTIONS: Final = ("outbound", "inbound")
OUTCOMES: Final = (
    "delivered",
    "failed",
    "bounced",
    "no_answer",
    "busy",
    "voicemail",
    "conversation",
    "wrong_party",
    "read",
    "replied",
)
ACTIONS: Final = ("sms", "email", "im", "letter", "call", "visit", "legal_review", "offer")
OFFER_KINDS: Final = ("none", "installment", "settlement")
ACCOUNT_STATUSES: Final = ("active", "paid", "recalled")

UTC_INSTANT: Final = pl.Datetime("us", "UTC")

# One placed account as the importer hands it on (the contract's columns, typed).
ACCOUNT_SCHEMA: Final[dict[str, pl.DataType]] = {
    "account_id": pl.String(),
    "creditor_id": pl.String(),
    "debtor_id": pl.String(),
    "debtor_type": pl.String(),
    "debtor_name": pl.String(),
    "product": pl.String(),
    "currency": pl.String(),
    "principal": pl.Int64(),
    "interest": pl.Int64(),
    "fees": pl.Int64(),
    "original_amount": pl.Int64(),
    "opened_on": pl.Date(),
    "due_on": pl.Date(),
    "last_payment_on": pl.Date(),
    "last_payment_amount": pl.Int64(),
    "jurisdiction": pl.String(),
    "region": pl.String(),
    "timezone": pl.String(),
    "language": pl.String(),
    "phone": pl.String(),
    "email": pl.String(),
    "im_handle": pl.String(),
    "address": pl.String(),
    "consent_sms": pl.Boolean(),
    "consent_email": pl.Boolean(),
    "consent_im": pl.Boolean(),
    "consent_call": pl.Boolean(),
    "income_monthly": pl.Int64(),
    "employment_status": pl.String(),
    "age": pl.Int64(),
    "statute_limit_on": pl.Date(),
    "flags": pl.String(),  # ';'-separated, sorted, deduplicated
    "attributes": pl.String(),  # JSON object of the unknown columns, kept as the creditor sent them
}

# State that the daily cycle keeps per account beside the placement data.
ACCOUNT_STATE_SCHEMA: Final[dict[str, pl.DataType]] = {
    "status": pl.String(),
    "credit": pl.Int64(),  # overpayment kept for the debtor, never lost
    "collected": pl.Int64(),  # payments received since placement
    "placed_on": pl.Date(),
    "opted_out": pl.String(),  # ';'-separated channels
}

CONTACT_SCHEMA: Final[dict[str, pl.DataType]] = {
    "account_id": pl.String(),
    "creditor_id": pl.String(),
    "contact_id": pl.String(),
    "role": pl.String(),
    "name": pl.String(),
    "phone": pl.String(),
    "email": pl.String(),
    "consent_to_discuss_debt": pl.Boolean(),
}

EVENT_SCHEMA: Final[dict[str, pl.DataType]] = {
    "event_id": pl.String(),
    "account_id": pl.String(),
    "creditor_id": pl.String(),  # extension: needed only when an account_id is used by two creditors
    "at": UTC_INSTANT,
    "utc_offset_minutes": pl.Int32(),  # the offset the source wrote, kept for display
    "type": pl.String(),
    "channel": pl.String(),
    "direction": pl.String(),
    "outcome": pl.String(),
    "amount": pl.Int64(),
    "promise_due_on": pl.Date(),
    "note": pl.String(),
}

# The actions file of contracts/portfolio.md (money as minor units inside Recoup; the writer formats).
ACTION_SCHEMA: Final[dict[str, pl.DataType]] = {
    "account_id": pl.String(),
    "creditor_id": pl.String(),
    "run_date": pl.Date(),
    "action": pl.String(),
    "channel": pl.String(),
    "scheduled_at": UTC_INSTANT,
    "local_offset_minutes": pl.Int32(),  # offset of the debtor's local time at scheduled_at
    "priority": pl.Int64(),
    "template_id": pl.String(),
    "language": pl.String(),
    "message": pl.String(),
    "offer_kind": pl.String(),
    "offer_amount": pl.Int64(),
    "offer_installments": pl.Int64(),
    "offer_expires_on": pl.Date(),
    "segment": pl.String(),
    "ability_score": pl.Float64(),
    "willingness_score": pl.Float64(),
    "expected_recovery": pl.Int64(),
    "strategy": pl.String(),
    "variant": pl.String(),
    "reasons": pl.String(),
    "currency": pl.String(),
}


def empty(schema: dict[str, pl.DataType]) -> pl.DataFrame:
    return pl.DataFrame(schema=schema)


def conform(frame: pl.DataFrame, schema: dict[str, pl.DataType]) -> pl.DataFrame:
    """Select ``schema``'s columns in order, adding missing ones as nulls and casting to declared types."""
    columns = [
        (pl.col(name) if name in frame.columns else pl.lit(None)).cast(dtype).alias(name)
        for name, dtype in schema.items()
    ]
    return frame.select(columns)


# What the daily run hands the strategy: one row per active account, state as of the run date.
DECISION_INPUT_SCHEMA: Final[dict[str, pl.DataType]] = {
    "account_key": pl.Int64(),
    "account_id": pl.String(),
    "creditor_id": pl.String(),
    "debtor_id": pl.String(),
    "debtor_type": pl.String(),
    "debtor_name": pl.String(),
    "product": pl.String(),
    "currency": pl.String(),
    "jurisdiction": pl.String(),
    "language": pl.String(),
    "principal": pl.Int64(),
    "interest": pl.Int64(),
    "fees": pl.Int64(),
    "balance": pl.Int64(),
    "dpd": pl.Int64(),
    "bucket": pl.String(),
    "flags": pl.String(),
    "opted_out": pl.String(),
    "consent_sms": pl.Boolean(),
    "consent_email": pl.Boolean(),
    "consent_im": pl.Boolean(),
    "consent_call": pl.Boolean(),
    "has_phone": pl.Boolean(),
    "has_email": pl.Boolean(),
    "has_im": pl.Boolean(),
    "has_address": pl.Boolean(),
    "income_monthly": pl.Int64(),
    "ability_score": pl.Float64(),
    "willingness_score": pl.Float64(),
    "days_since_last_contact": pl.Int64(),  # null: never contacted
    "contacts_7d": pl.Int64(),
    "open_promise": pl.Boolean(),
    "broken_promises_60d": pl.Int64(),
    "on_plan": pl.Boolean(),
    "placed_on": pl.Date(),
}

# What a strategy proposes: zero or more candidate actions per account, before compliance and the optimiser.
CANDIDATE_SCHEMA: Final[dict[str, pl.DataType]] = {
    "account_key": pl.Int64(),
    "action": pl.String(),
    "channel": pl.String(),
    "template_id": pl.String(),
    "tone": pl.String(),  # neutral | empathetic | firm
    "offer_kind": pl.String(),
    "offer_amount": pl.Int64(),
    "offer_installments": pl.Int64(),
    "offer_expires_on": pl.Date(),
    "expected_recovery": pl.Int64(),  # minor units expected within 30 days if carried out
    "cost": pl.Int64(),  # minor units the action costs
    "value": pl.Float64(),  # what the optimiser maximises (expected net recovery, comparable across accounts)
    "segment": pl.String(),
    "strategy": pl.String(),
    "variant": pl.String(),
    "reasons": pl.String(),
}
