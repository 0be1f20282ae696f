"""Synthetic decision inputs (DECISION_INPUT_SCHEMA) for the strategy tests."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import numpy as np
import polars as pl
import pytest

from recoup.core.accounts import bucket_expr
from recoup.core.schema import DECISION_INPUT_SCHEMA, conform

RUN_DATE = date(2026, 3, 2)
FLAG_CHOICES = ["", "", "", "", "", "", "vulnerable", "dispute", "cease", "complaint", "attorney"]


def make_inputs(n: int, seed: int = 7, currency: str = "CNY", creditors: int = 2) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    balance = rng.integers(5_000, 5_000_000, n)
    income = rng.integers(200_000, 3_000_000, n).astype(object)
    income[rng.random(n) < 0.4] = None
    since = rng.integers(0, 30, n).astype(object)
    since[rng.random(n) < 0.3] = None
    frame = pl.DataFrame(
        {
            "account_key": np.arange(n, dtype=np.int64),
            "account_id": [f"A{i:07d}" for i in range(n)],
            "creditor_id": [f"bank-{i % creditors}" for i in range(n)],
            "debtor_id": [f"D{i // 2:07d}" for i in range(n)],
            "debtor_type": rng.choice(["individual", "individual", "sme", "enterprise"], n).tolist(),
            "debtor_name": ["name"] * n,
            "product": rng.choice(["credit_card", "consumer_loan", "sme_loan"], n).tolist(),
            "currency": [currency] * n,
            "jurisdiction": ["CN"] * n,
            "language": ["zh"] * n,
            "principal": balance,
            "interest": np.zeros(n, dtype=np.int64),
            "fees": np.zeros(n, dtype=np.int64),
            "balance": balance,
            "dpd": rng.integers(1, 400, n),
            "flags": rng.choice(FLAG_CHOICES, n).tolist(),
            "opted_out": rng.choice(["", "", "", "sms", "email;im"], n).tolist(),
            "consent_sms": (rng.random(n) > 0.05).tolist(),
            "consent_email": (rng.random(n) > 0.05).tolist(),
            "consent_im": (rng.random(n) > 0.3).tolist(),
            "consent_call": (rng.random(n) > 0.05).tolist(),
            "has_phone": (rng.random(n) > 0.05).tolist(),
            "has_email": (rng.random(n) > 0.3).tolist(),
            "has_im": (rng.random(n) > 0.5).tolist(),
            "has_address": (rng.random(n) > 0.2).tolist(),
            "income_monthly": income.tolist(),
            "ability_score": rng.beta(2, 2, n),
            "willingness_score": rng.beta(2, 2, n),
            "days_since_last_contact": since.tolist(),
            "contacts_7d": rng.integers(0, 6, n),
            "open_promise": (rng.random(n) < 0.1).tolist(),
            "broken_promises_60d": rng.integers(0, 3, n),
            "on_plan": (rng.random(n) < 0.05).tolist(),
            "placed_on": [date(2025, 12, 1)] * n,
        },
        schema_overrides={"income_monthly": pl.Int64, "days_since_last_contact": pl.Int64},
    ).with_columns(bucket=bucket_expr(pl.col("dpd")))
    return conform(frame, DECISION_INPUT_SCHEMA)


@pytest.fixture(scope="session")
def inputs_factory() -> Callable[..., pl.DataFrame]:
    return make_inputs
