"""Scoring features per account as of a date, computed in columns, never looking past that date.

``accounts`` carry ACCOUNT_SCHEMA + ACCOUNT_STATE_SCHEMA columns and ``account_key``; ``events`` carry
EVENT_SCHEMA and ``account_key``. An event counts when its local date (its instant shifted by the
offset its source wrote) is on or before ``as_of``; everything later is dropped before any feature is
computed, so features at D are the same whatever happened after D.

``accounts`` are the account state as of ``as_of``: the daily run passes today's state; training on
history passes the state each labelled day had (`recoup.core.scoring.targets.features_at` derives it
from the placement with the account engine). Balance, share paid and the placed balance come from that
state, so a window of recent events (the daily run reads a year) is enough; event counts cover the
events given. Money columns stay integer minor units; ratios are floats. Balances in different
currencies are not comparable: a portfolio that mixes currencies should rely on ratios.
"""

from __future__ import annotations

from datetime import date
from typing import Final

import polars as pl

from recoup.core.accounts import bucket_expr
from recoup.core.promises import DEFAULT_GRACE_DAYS, promise_outcomes_batch

RECENT_DAYS: Final = 90
BROKEN_WINDOW_DAYS: Final = 60
AGE_BANDS: Final = ((25, "<25"), (35, "25-34"), (45, "35-44"), (55, "45-54"), (65, "55-64"))
OLDEST_BAND: Final = "65+"
DELIVERED: Final = ("delivered", "read", "replied", "conversation")
READ: Final = ("read", "replied")
# Rates that mean something for each channel: a letter is never "read" as far as we can know.
CHANNEL_RATES: Final[dict[str, tuple[str, ...]]] = {
    "call": ("rpc",),
    "visit": ("rpc",),
    "sms": ("delivery", "reply"),
    "email": ("delivery", "read", "reply"),
    "im": ("delivery", "read", "reply"),
    "letter": ("delivery",),
}
RATE_OUTCOMES: Final[dict[str, tuple[str, ...]]] = {
    "rpc": ("conversation",),
    "delivery": DELIVERED,
    "read": READ,
    "reply": ("replied",),
}
# Keys under which placements carry business facts in `attributes` (first present wins).
ATTRIBUTE_KEYS: Final[dict[str, tuple[str, ...]]] = {
    "industry": ("industry", "sector", "行业"),
    "employees": ("employees", "employee_count", "staff", "员工人数"),
    "annual_revenue": ("annual_revenue", "revenue", "年营业额"),
}

FEATURE_SCHEMA: Final[dict[str, pl.DataType]] = {
    "account_key": pl.Int64(),
    "debtor_type": pl.String(),
    "product": pl.String(),
    "employment_status": pl.String(),
    "age": pl.Int64(),
    "age_band": pl.String(),
    "industry": pl.String(),
    "employees": pl.Float64(),
    "annual_revenue": pl.Float64(),  # a size indicator as the creditor wrote it, never used as money
    "balance": pl.Int64(),
    "placed_balance": pl.Int64(),
    "interest_fees_share": pl.Float64(),
    "balance_to_original": pl.Float64(),
    "income_monthly": pl.Int64(),
    "debt_to_income": pl.Float64(),  # balance over a year's income
    "dpd": pl.Int64(),
    "bucket": pl.String(),
    "days_since_placement": pl.Int64(),
    "loan_age_days": pl.Int64(),
    "payments_count": pl.Int64(),
    "payments_amount": pl.Int64(),
    "payments_90d": pl.Int64(),
    "days_since_last_payment": pl.Int64(),
    "paid_share": pl.Float64(),
    "contacts_outbound": pl.Int64(),
    "contacts_inbound": pl.Int64(),
    "rpc_count": pl.Int64(),
    "wrong_party_count": pl.Int64(),
    "days_since_last_contact": pl.Int64(),
    "days_since_last_rpc": pl.Int64(),
    **{f"{channel}_attempts": pl.Int64() for channel in CHANNEL_RATES},
    **{f"{channel}_{rate}_rate": pl.Float64() for channel, rates in CHANNEL_RATES.items() for rate in rates},
    "promises_made": pl.Int64(),
    "promises_kept": pl.Int64(),
    "promises_broken": pl.Int64(),
    "promises_open": pl.Int64(),
    "broken_promises_60d": pl.Int64(),
    "promise_kept_rate": pl.Float64(),
    "plans_made": pl.Int64(),
    "disputes_count": pl.Int64(),
    "dispute_open": pl.Boolean(),
    "complaints_count": pl.Int64(),
}
# Counts are zero, not unknown, for an account with no such events.
COUNT_COLUMNS: Final = (
    "payments_count",
    "payments_amount",
    "payments_90d",
    "contacts_outbound",
    "contacts_inbound",
    "rpc_count",
    "wrong_party_count",
    *(f"{channel}_attempts" for channel in CHANNEL_RATES),
    "promises_made",
    "promises_kept",
    "promises_broken",
    "promises_open",
    "broken_promises_60d",
    "plans_made",
    "disputes_count",
    "complaints_count",
)


def local_date(events: pl.DataFrame) -> pl.Expr:
    """The date on which an event happened where it happened (UTC when the source gave no offset)."""
    offset = pl.duration(minutes=pl.col("utc_offset_minutes").fill_null(0))
    return (pl.col("at") + offset).dt.date().alias("local_date")


def events_until(events: pl.DataFrame, as_of: date) -> pl.DataFrame:
    return (
        events.filter(pl.col("account_key").is_not_null())
        .with_columns(local_date(events))
        .filter(pl.col("local_date") <= as_of)
    )


def _days_since(column: str, as_of: date) -> pl.Expr:
    return (pl.lit(as_of) - pl.col(column)).dt.total_days().cast(pl.Int64)


def _ratio(numerator: pl.Expr, denominator: pl.Expr) -> pl.Expr:
    return pl.when(denominator > 0).then(numerator.cast(pl.Float64) / denominator).otherwise(None)


def age_band_expr(age: pl.Expr) -> pl.Expr:
    band: pl.Expr = pl.lit(OLDEST_BAND)
    for upper, name in reversed(AGE_BANDS):
        band = pl.when(age < upper).then(pl.lit(name)).otherwise(band)
    return pl.when(age.is_null()).then(pl.lit(None, dtype=pl.String)).otherwise(band)


def _attribute(name: str) -> pl.Expr:
    paths = [pl.col("attributes").str.json_path_match(f"$['{key}']") for key in ATTRIBUTE_KEYS[name]]
    return pl.coalesce(paths)


def _payments(events: pl.DataFrame, as_of: date) -> pl.DataFrame:
    payments = events.filter(pl.col("type") == "payment")
    recent = pl.col("local_date") > pl.lit(as_of) - pl.duration(days=RECENT_DAYS)
    return payments.group_by("account_key").agg(
        payments_count=pl.len().cast(pl.Int64),
        payments_amount=pl.col("amount").fill_null(0).sum().cast(pl.Int64),
        payments_90d=recent.sum().cast(pl.Int64),
        last_paid_on=pl.col("local_date").max(),
    )


def _contacts(events: pl.DataFrame) -> pl.DataFrame:
    contacts = events.filter(pl.col("type") == "contact")
    outbound = pl.col("direction").fill_null("outbound") != "inbound"
    outcome = pl.col("outcome")
    aggregations: list[pl.Expr] = [
        outbound.sum().cast(pl.Int64).alias("contacts_outbound"),
        (~outbound).sum().cast(pl.Int64).alias("contacts_inbound"),
        (outcome == "conversation").sum().cast(pl.Int64).alias("rpc_count"),
        (outcome == "wrong_party").sum().cast(pl.Int64).alias("wrong_party_count"),
        pl.col("local_date").filter(outbound).max().alias("last_contact_on"),
        pl.col("local_date").filter(outcome == "conversation").max().alias("last_rpc_on"),
    ]
    for channel, rates in CHANNEL_RATES.items():
        attempt = outbound & (pl.col("channel") == channel)
        aggregations.append(attempt.sum().cast(pl.Int64).alias(f"{channel}_attempts"))
        aggregations.extend(
            _ratio((attempt & outcome.is_in(RATE_OUTCOMES[rate])).sum(), attempt.sum()).alias(
                f"{channel}_{rate}_rate"
            )
            for rate in rates
        )
    return contacts.group_by("account_key").agg(aggregations)


def _promises(events: pl.DataFrame, as_of: date) -> pl.DataFrame:
    promises = events.filter((pl.col("type") == "promise") & pl.col("promise_due_on").is_not_null()).select(
        "account_key",
        "event_id",
        made_at="at",
        amount=pl.col("amount").fill_null(1),
        due_on="promise_due_on",
    )
    payments = events.filter(pl.col("type") == "payment").select(
        "account_key", "at", "local_date", amount=pl.col("amount").fill_null(0)
    )
    outcomes = promise_outcomes_batch(promises, payments, as_of).join(
        promises.select("event_id", "account_key", "due_on", "made_at"), on="event_id"
    )
    status = pl.col("status")
    broken_lately = (status == "broken") & (
        pl.col("due_on") + pl.duration(days=DEFAULT_GRACE_DAYS)
        >= pl.lit(as_of) - pl.duration(days=BROKEN_WINDOW_DAYS)
    )
    # An instalment plan arrives as several promises made at the same instant.
    plans = (
        promises.group_by("account_key", "made_at")
        .agg(n=pl.len())
        .filter(pl.col("n") > 1)
        .group_by("account_key")
        .agg(plans_made=pl.len().cast(pl.Int64))
    )
    return (
        outcomes.group_by("account_key")
        .agg(
            promises_made=pl.len().cast(pl.Int64),
            promises_kept=(status == "kept").sum().cast(pl.Int64),
            promises_broken=(status == "broken").sum().cast(pl.Int64),
            promises_open=(status == "open").sum().cast(pl.Int64),
            broken_promises_60d=broken_lately.sum().cast(pl.Int64),
        )
        .join(plans, on="account_key", how="left")
    )


def _disputes(events: pl.DataFrame) -> pl.DataFrame:
    toggles = events.filter(pl.col("type").is_in(["dispute", "dispute_resolved"])).sort("at", "event_id")
    return (
        events.filter(pl.col("type").is_in(["dispute", "dispute_resolved", "complaint"]))
        .group_by("account_key")
        .agg(
            disputes_count=(pl.col("type") == "dispute").sum().cast(pl.Int64),
            complaints_count=(pl.col("type") == "complaint").sum().cast(pl.Int64),
        )
        .join(
            toggles.group_by("account_key").agg(dispute_open=pl.col("type").last() == "dispute"),
            on="account_key",
            how="left",
        )
    )


def _state_column(accounts: pl.DataFrame, name: str) -> pl.Expr:
    return pl.col(name).fill_null(0) if name in accounts.columns else pl.lit(0, dtype=pl.Int64)


def build_features(accounts: pl.DataFrame, events: pl.DataFrame, as_of: date) -> pl.DataFrame:
    """FEATURE_SCHEMA, one row per account in ``accounts`` (same order), as of the end of ``as_of``."""
    history = events_until(events, as_of)
    parts = pl.col("principal").fill_null(0) + pl.col("interest").fill_null(0) + pl.col("fees").fill_null(0)
    frame = (
        accounts.with_columns(
            placed_balance=pl.max_horizontal(
                parts + _state_column(accounts, "collected") - _state_column(accounts, "credit"), parts
            ),
            interest_fees_share=_ratio(pl.col("interest").fill_null(0) + pl.col("fees").fill_null(0), parts),
        )
        .join(_payments(history, as_of), on="account_key", how="left", maintain_order="left")
        .join(_contacts(history), on="account_key", how="left", maintain_order="left")
        .join(_promises(history, as_of), on="account_key", how="left", maintain_order="left")
        .join(_disputes(history), on="account_key", how="left", maintain_order="left")
        .with_columns([pl.col(name).fill_null(0) for name in COUNT_COLUMNS])
        .with_columns(dispute_open=pl.col("dispute_open").fill_null(False))
    )
    if "placed_on" not in frame.columns:
        frame = frame.with_columns(placed_on=pl.lit(None, dtype=pl.Date))
    balance = parts
    dpd = pl.max_horizontal((pl.lit(as_of) - pl.col("due_on")).dt.total_days(), pl.lit(0)).cast(pl.Int64)
    last_paid = pl.max_horizontal(
        pl.col("last_paid_on"),
        pl.when(pl.col("last_payment_on") <= as_of).then(pl.col("last_payment_on")),
    )
    frame = frame.with_columns(
        balance=balance.cast(pl.Int64),
        dpd=dpd,
        age_band=age_band_expr(pl.col("age")),
        employment_status=pl.col("employment_status").fill_null("unknown"),
        industry=_attribute("industry"),
        employees=_attribute("employees").cast(pl.Float64, strict=False),
        annual_revenue=_attribute("annual_revenue").cast(pl.Float64, strict=False),
        days_since_placement=_days_since("placed_on", as_of),
        loan_age_days=_days_since("opened_on", as_of),
        days_since_last_payment=(pl.lit(as_of) - last_paid).dt.total_days().cast(pl.Int64),
        days_since_last_contact=_days_since("last_contact_on", as_of),
        days_since_last_rpc=_days_since("last_rpc_on", as_of),
        paid_share=_ratio(_state_column(accounts, "collected"), pl.col("placed_balance")),
        promise_kept_rate=_ratio(
            pl.col("promises_kept"), pl.col("promises_kept") + pl.col("promises_broken")
        ),
    ).with_columns(
        bucket=bucket_expr(pl.col("dpd")),
        balance_to_original=_ratio(pl.col("balance"), pl.col("original_amount")),
        debt_to_income=_ratio(pl.col("balance"), 12 * pl.col("income_monthly")),
    )
    return frame.select([pl.col(name).cast(dtype) for name, dtype in FEATURE_SCHEMA.items()])
