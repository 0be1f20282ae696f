from __future__ import annotations

import math
from datetime import date, timedelta

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from recoup.core.errors import ValidationError
from recoup.core.strategy.offers import (
    MAX_BALANCE,
    installment_offer,
    installment_terms,
    settlement_offer,
    settlement_terms,
)
from recoup.core.strategy.paths import Guardrails

RUN = date(2026, 3, 2)
guardrails = st.builds(
    Guardrails,
    max_discount_pct=st.integers(0, 100),
    max_installments=st.integers(1, 120),
    offer_valid_days=st.integers(1, 90),
    affordability_pct=st.integers(1, 100),
    min_installment=st.integers(1, 10**7).map(lambda m: {"CNY": m}),
)
balances = st.integers(-100, 10**12)
incomes = st.one_of(st.none(), st.integers(0, 10**9))
probabilities = st.floats(0.0, 1.0)


@settings(max_examples=300, deadline=None)
@given(
    balance=balances,
    income=incomes,
    obligations=st.one_of(st.none(), st.integers(0, 10**9)),
    ability=st.one_of(st.none(), probabilities),
    rails=guardrails,
)
def test_installment_plans_stay_inside_the_guardrails(
    balance: int, income: int | None, obligations: int | None, ability: float | None, rails: Guardrails
) -> None:
    offer = installment_offer(
        balance=balance,
        currency="CNY",
        run_date=RUN,
        guardrails=rails,
        ability=ability,
        income_monthly=income,
        obligations_monthly=obligations,
    )
    if offer is None:
        return
    parts = [money.minor for money in offer.schedule()]
    minimum = rails.min_installment["CNY"]
    assert balance > 0
    assert offer.amount == balance == sum(parts)
    assert 1 <= offer.installments <= rails.max_installments
    assert min(parts) >= minimum or (offer.installments == 1 and balance < minimum)
    assert offer.expires_on == RUN + timedelta(days=rails.offer_valid_days)
    if income is not None:
        affordable = max(income - (obligations or 0), 0) * rails.affordability_pct // 100
        assert max(parts) <= affordable


@settings(max_examples=300, deadline=None)
@given(
    balance=balances,
    p_zero=probabilities,
    rails=guardrails,
    step_cap=st.one_of(st.none(), st.integers(0, 100)),
    elasticity=st.floats(0.0, 20.0),
)
def test_settlements_never_exceed_the_maximum_discount(
    balance: int, p_zero: float, rails: Guardrails, step_cap: int | None, elasticity: float
) -> None:
    offer = settlement_offer(
        balance=balance,
        currency="CNY",
        run_date=RUN,
        guardrails=rails,
        p_zero=p_zero,
        max_discount_pct=step_cap,
        elasticity=elasticity,
    )
    if offer is None:
        assert balance <= 0
        return
    cap = min(rails.max_discount_pct, 100 if step_cap is None else step_cap)
    assert offer.installments == 1
    assert offer.amount <= balance
    # The discount actually given, in exact integers: forgiven / balance <= cap / 100.
    assert (balance - offer.amount) * 100 <= balance * cap
    assert offer.discount_bp <= cap * 100
    assert offer.expires_on == RUN + timedelta(days=rails.offer_valid_days)


def test_plan_length_follows_affordability_and_ability() -> None:
    rails = Guardrails(30, 24, 14, 30, {"CNY": 100_00})
    # 6,000.00 income -> 1,800.00 a month affordable -> 5,000.00 takes 3 months.
    assert (
        installment_offer(
            balance=5_000_00, currency="CNY", run_date=RUN, guardrails=rails, income_monthly=6_000_00
        ).installments
        == 3
    )  # type: ignore[union-attr]
    able = installment_offer(balance=5_000_00, currency="CNY", run_date=RUN, guardrails=rails, ability=0.9)
    unable = installment_offer(balance=5_000_00, currency="CNY", run_date=RUN, guardrails=rails, ability=0.1)
    assert able is not None and unable is not None and able.installments < unable.installments
    # No plan at all when even 24 months are unaffordable: an unaffordable plan only sets up a default.
    assert (
        installment_offer(
            balance=50_000_00, currency="CNY", run_date=RUN, guardrails=rails, income_monthly=3_000_00
        )
        is None
    )
    with pytest.raises(ValidationError, match="no minimum installment for USD"):
        installment_offer(balance=1, currency="USD", run_date=RUN, guardrails=rails)


def test_the_settlement_discount_maximises_the_expected_amount() -> None:
    balance = np.array([1_000_00, 1_000_00, 1_000_00], dtype=np.int64)
    p_zero = np.array([0.05, 0.5, 0.95])
    amount, discount, accept = settlement_terms(balance, p_zero, np.array([3000, 3000, 3000]), elasticity=4.0)
    for row in range(3):
        best = max(
            (1 / (1 + math.exp(-(math.log(p_zero[row] / (1 - p_zero[row])) + 4.0 * d / 10_000))))
            * math.ceil(1_000_00 * (10_000 - d) / 10_000)
            for d in range(0, 3001, 500)
        )
        assert accept[row] * amount[row] == pytest.approx(best)
    assert discount[0] >= discount[1] >= discount[2]  # the likelier payer needs less discount


@settings(max_examples=50, deadline=None)
@given(
    rows=st.lists(
        st.tuples(balances, incomes, st.one_of(st.none(), probabilities), probabilities),
        min_size=1,
        max_size=20,
    ),
    rails=guardrails,
)
def test_the_batch_path_gives_each_row_what_the_single_account_path_gives(
    rows: list[tuple[int, int | None, float | None, float]], rails: Guardrails
) -> None:
    n = len(rows)
    balance = np.array([r[0] for r in rows], dtype=np.int64)
    income = np.array([-1 if r[1] is None else r[1] for r in rows], dtype=np.int64)
    affordable = np.where(income < 0, -1, income * rails.affordability_pct // 100)
    ability = np.array([np.nan if r[2] is None else r[2] for r in rows])
    counts, offered = installment_terms(
        balance,
        affordable,
        ability,
        np.full(n, rails.max_installments),
        np.full(n, rails.min_installment["CNY"]),
    )
    amounts, _, _ = settlement_terms(
        balance, np.array([r[3] for r in rows]), np.full(n, rails.max_discount_pct * 100)
    )
    for i, (b, inc, abl, p) in enumerate(rows):
        plan = installment_offer(
            balance=b, currency="CNY", run_date=RUN, guardrails=rails, ability=abl, income_monthly=inc
        )
        assert (plan is not None) == bool(offered[i])
        if plan is not None:
            assert plan.installments == counts[i]
        deal = settlement_offer(balance=b, currency="CNY", run_date=RUN, guardrails=rails, p_zero=p)
        if deal is not None:
            assert deal.amount == amounts[i]


def test_balances_too_large_for_exact_integer_pricing_are_refused() -> None:
    with pytest.raises(ValidationError, match="cannot be priced"):
        settlement_terms(np.array([MAX_BALANCE + 1]), np.array([0.5]), np.array([1000]))
