"""Which portfolio features each score uses by default, and the directions the business is sure of.

Age (and its band) is computed for the fairness report but left out of both scores: age is a protected
characteristic in the UK and EU, and a score that needs it to work is a score to look at twice.
Balances are in minor units of each account's currency, so they are used only through ratios here
(share paid, debt to income), which do not depend on the currency.
"""

from __future__ import annotations

from typing import Final

from recoup.core.scoring.scorer import FeatureSpec

ABILITY_SPEC: Final = FeatureSpec(
    features=(
        "debt_to_income",
        "employment_status",
        "debtor_type",
        "product",
        "industry",
        "employees",
        "interest_fees_share",
        "balance_to_original",
        "dpd",
        "loan_age_days",
        "payments_count",
        "paid_share",
        "days_since_last_payment",
        "promises_kept",
        "promises_broken",
        "plans_made",
    ),
    monotone={"debt_to_income": -1, "paid_share": 1, "promises_kept": 1, "promises_broken": -1},
)

WILLINGNESS_SPEC: Final = FeatureSpec(
    features=(
        "dpd",
        "broken_promises_60d",
        "promise_kept_rate",
        "promises_kept",
        "payments_count",
        "payments_90d",
        "days_since_last_payment",
        "paid_share",
        "rpc_count",
        "days_since_last_rpc",
        "call_rpc_rate",
        "sms_reply_rate",
        "im_reply_rate",
        "email_read_rate",
        "contacts_inbound",
        "wrong_party_count",
        "disputes_count",
        "dispute_open",
        "complaints_count",
        "debt_to_income",
        "interest_fees_share",
        "balance_to_original",
        "employment_status",
    ),
    monotone={"broken_promises_60d": -1, "payments_90d": 1, "complaints_count": -1},
)

PORTFOLIO_SPECS: Final = {"ability": ABILITY_SPEC, "willingness": WILLINGNESS_SPEC}
