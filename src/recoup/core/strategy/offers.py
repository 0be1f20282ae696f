"""Offers: installment plans sized to what the debtor can afford, settlements priced to collect the most.

Amounts are integer minor units throughout; only acceptance probabilities are floats.

Installment plan (the whole balance, no discount):
- affordable monthly amount = (income - obligations) x affordability_pct / 100 when income is known;
- known income: the fewest months whose installment is affordable; if even the longest plan the
  guardrails allow is not affordable, no plan is offered (an unaffordable plan only sets up a default);
- unknown income: the plan length grows as ability falls: ceil(max_installments x (1 - ability));
- then capped so that every installment is at least the minimum (a balance below the minimum is one
  payment of the whole balance). The installments are ``Money.split(n)``: they sum exactly.

Settlement (one payment, part of the balance forgiven): among discounts 0, 5%, 10%, ... up to the
creditor's maximum, the one that maximises accepted amount x P(accept | discount), where
P(accept | d) = logistic(logit(p0) + elasticity x d) and p0 is the probability of paying without a
discount (from the scores and the uplift model). The discounted amount is rounded up, so the discount
actually given never exceeds the one chosen. Every offer expires ``offer_valid_days`` after the run date.

`installment_terms` / `settlement_terms` work on whole columns (NumPy); `installment_offer` /
`settlement_offer` are the single-account API and run the same code on one row.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Final

import numpy as np
import numpy.typing as npt

from recoup.core.errors import ValidationError
from recoup.core.money import Money
from recoup.core.strategy.paths import Guardrails

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

BASIS_POINTS: Final = 10_000
DISCOUNT_STEP_BP: Final = 500
# Integer arithmetic on balance x 10,000 must stay inside int64.
MAX_BALANCE: Final = 10**14
DEFAULT_ELASTICITY: Final = 4.0
_P_FLOOR: Final = 1e-6


@dataclass(frozen=True, slots=True)
class Offer:
    kind: str  # installment | settlement
    amount: int  # total the debtor pays under the offer, minor units
    installments: int
    expires_on: date
    currency: str
    discount_bp: int = 0
    p_accept: float | None = None

    def schedule(self) -> list[Money]:
        """The installment amounts: they differ by at most one minor unit and sum to ``amount``."""
        return Money(self.amount, self.currency).split(self.installments)


def _check_balances(balance: IntArray) -> None:
    if balance.size and int(balance.max()) > MAX_BALANCE:
        raise ValidationError(f"a balance above {MAX_BALANCE} minor units cannot be priced", field="balance")


def affordable_amount(income: IntArray, obligations: IntArray, affordability_pct: IntArray) -> IntArray:
    """Monthly amount an installment may take; -1 where income is unknown (given as a negative number)."""
    disposable = np.maximum(income - np.maximum(obligations, 0), 0)
    return np.where(income < 0, -1, disposable * affordability_pct // 100).astype(np.int64)


def _ceil_div(numerator: IntArray, denominator: IntArray | int) -> IntArray:
    return -(-numerator // denominator)


def installment_terms(
    balance: IntArray,
    affordable: IntArray,
    ability: FloatArray,
    max_installments: IntArray,
    min_installment: IntArray,
) -> tuple[IntArray, BoolArray]:
    """Number of monthly installments per row and whether a plan may be offered at all.

    ``affordable`` is -1 where unknown. A row is not offered a plan when its balance is not positive or
    when no plan within the guardrails is affordable.
    """
    _check_balances(balance)
    known = affordable >= 0
    positive = balance > 0
    safe_balance = np.maximum(balance, 1)
    by_income = _ceil_div(safe_balance, np.maximum(affordable, 1))
    score = np.nan_to_num(np.clip(ability, 0.0, 1.0), nan=0.0)
    by_ability = np.ceil(max_installments * (1.0 - score)).astype(np.int64)
    count = np.where(known, by_income, by_ability)
    count = np.minimum(np.maximum(count, 1), max_installments)
    count = np.minimum(count, np.maximum(safe_balance // np.maximum(min_installment, 1), 1))
    largest = _ceil_div(safe_balance, count)
    affordable_plan = ~known | ((affordable > 0) & (largest <= affordable))
    return count.astype(np.int64), positive & affordable_plan


def settlement_terms(
    balance: IntArray,
    p_zero: FloatArray,
    max_discount_bp: IntArray,
    elasticity: float = DEFAULT_ELASTICITY,
) -> tuple[IntArray, IntArray, FloatArray]:
    """Per row: the settlement amount, the discount in basis points, and the acceptance probability."""
    _check_balances(balance)
    cap = np.clip(max_discount_bp, 0, BASIS_POINTS)
    steps = np.arange(0, BASIS_POINTS + DISCOUNT_STEP_BP, DISCOUNT_STEP_BP, dtype=np.int64)
    # Steps capped at each row's maximum: ascending, and the maximum itself is always a choice.
    grid = np.minimum(steps[None, :], cap[:, None])
    amounts = _ceil_div(np.maximum(balance, 0)[:, None] * (BASIS_POINTS - grid), BASIS_POINTS)
    p = np.clip(np.nan_to_num(p_zero, nan=_P_FLOOR), _P_FLOOR, 1.0 - _P_FLOOR)
    logit = np.log(p / (1.0 - p))[:, None] + elasticity * grid / BASIS_POINTS
    accept = 1.0 / (1.0 + np.exp(-logit))
    # argmax takes the first maximum: equal expected amounts go to the smaller discount.
    pick = np.argmax(accept * amounts, axis=1)
    rows = np.arange(balance.size)
    return amounts[rows, pick], grid[rows, pick], accept[rows, pick]


def installment_offer(
    *,
    balance: int,
    currency: str,
    run_date: date,
    guardrails: Guardrails,
    ability: float | None = None,
    income_monthly: int | None = None,
    obligations_monthly: int | None = None,
) -> Offer | None:
    """The plan for one account, or None when no plan within the guardrails is affordable."""
    minimum = _min_installment(guardrails, currency)
    affordable = affordable_amount(
        np.array([-1 if income_monthly is None else income_monthly], dtype=np.int64),
        np.array([obligations_monthly or 0], dtype=np.int64),
        np.array([guardrails.affordability_pct], dtype=np.int64),
    )
    count, offered = installment_terms(
        np.array([balance], dtype=np.int64),
        affordable,
        np.array([np.nan if ability is None else ability], dtype=np.float64),
        np.array([guardrails.max_installments], dtype=np.int64),
        np.array([minimum], dtype=np.int64),
    )
    if not offered[0]:
        return None
    expires = run_date + timedelta(days=guardrails.offer_valid_days)
    return Offer("installment", balance, int(count[0]), expires, currency)


def settlement_offer(
    *,
    balance: int,
    currency: str,
    run_date: date,
    guardrails: Guardrails,
    p_zero: float,
    max_discount_pct: int | None = None,
    elasticity: float = DEFAULT_ELASTICITY,
) -> Offer | None:
    """The settlement for one account (None when the balance is not positive)."""
    if balance <= 0:
        return None
    cap_pct = min(guardrails.max_discount_pct, max_discount_pct if max_discount_pct is not None else 100)
    amount, discount, accept = settlement_terms(
        np.array([balance], dtype=np.int64),
        np.array([p_zero], dtype=np.float64),
        np.array([cap_pct * 100], dtype=np.int64),
        elasticity,
    )
    expires = run_date + timedelta(days=guardrails.offer_valid_days)
    return Offer("settlement", int(amount[0]), 1, expires, currency, int(discount[0]), float(accept[0]))


def _min_installment(guardrails: Guardrails, currency: str) -> int:
    try:
        return guardrails.min_installment[currency]
    except KeyError:
        raise ValidationError(
            f"the guardrails set no minimum installment for {currency}", field="currency"
        ) from None
