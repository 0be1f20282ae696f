from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from recoup.core.errors import Conflict, ValidationError
from recoup.core.offer_acceptance import (
    NOT_SENT,
    StoredOffer,
    debtor_today,
    plan_count,
    require_offer,
    require_open,
    settlement_amount,
)
from recoup.core.outbox import STATUSES

EXPIRES = date(2026, 3, 16)
SETTLEMENT = StoredOffer(
    action_key=7,
    action="offer",
    kind="settlement",
    status="sent",
    currency="CNY",
    amount=85_000,
    installments=1,
    expires_on=EXPIRES,
    balance=100_000,
)
PLAN = replace(SETTLEMENT, kind="installment", amount=100_000, installments=6)


def test_only_complete_offers_pass() -> None:
    require_offer(SETTLEMENT)
    require_offer(PLAN)
    with pytest.raises(ValidationError, match="action 7 is a call action, not an offer"):
        require_offer(replace(SETTLEMENT, action="call", kind="none"))
    with pytest.raises(ValidationError, match="action 7 is an offer of kind 'none', not an installment"):
        require_offer(replace(SETTLEMENT, kind="none"))
    with pytest.raises(ValidationError, match="offers installment terms without offer_installments"):
        require_offer(replace(PLAN, installments=None))
    with pytest.raises(ValidationError, match="without offer_amount, offer_expires_on"):
        require_offer(replace(SETTLEMENT, amount=None, expires_on=None))


@pytest.mark.parametrize("status", STATUSES)
def test_an_offer_is_open_through_its_expiry_date_unless_it_never_went_out(status: str) -> None:
    offer = replace(SETTLEMENT, status=status)
    if status in NOT_SENT:
        with pytest.raises(Conflict, match=f"never sent \\(it is {status}\\)"):
            require_open(offer, EXPIRES)
        return
    require_open(offer, EXPIRES)
    with pytest.raises(Conflict, match="expired on 2026-03-16 \\(it is 2026-03-17 where the debtor lives\\)"):
        require_open(offer, date(2026, 3, 17))


def test_the_debtors_today_is_in_the_accounts_zone_else_the_jurisdictions() -> None:
    now = datetime(2026, 3, 16, 20, 0, tzinfo=UTC)
    assert debtor_today(now, None, "CN") == date(2026, 3, 17)  # Asia/Shanghai
    assert debtor_today(now, None, "US-NY") == date(2026, 3, 16)  # America/Chicago
    assert debtor_today(now, "Asia/Tokyo", "US-NY") == date(2026, 3, 17)
    assert debtor_today(now, None, "XX") == date(2026, 3, 16)  # no default zone: UTC
    with pytest.raises(ValidationError, match="unknown time zone 'Mars/Olympus'"):
        debtor_today(now, "Mars/Olympus", "CN")


def test_a_risen_balance_is_refused_and_an_unknown_one_too() -> None:
    with pytest.raises(Conflict, match=r"balance rose to 1000\.01 CNY since the offer of action 7"):
        plan_count(PLAN, 100_001)
    with pytest.raises(Conflict, match=r"rose from 1000\.00 CNY to 1000\.01 CNY"):
        settlement_amount(SETTLEMENT, 100_001)
    with pytest.raises(Conflict, match="records no balance at the decision"):
        settlement_amount(replace(SETTLEMENT, balance=None), 100_000)


@given(
    then=st.integers(min_value=1, max_value=10**14),
    offered=st.integers(min_value=1, max_value=10**14),
    now=st.integers(min_value=1, max_value=10**14),
)
def test_a_settlement_never_asks_more_than_offered_nor_forgives_more(
    then: int, offered: int, now: int
) -> None:
    offer = replace(SETTLEMENT, balance=max(then, offered), amount=offered)
    try:
        amount = settlement_amount(offer, now)
    except Conflict:
        assert now > max(then, offered)
        return
    assert 0 < amount <= offered and amount <= now
    assert now - amount <= max(then, offered) - offered
