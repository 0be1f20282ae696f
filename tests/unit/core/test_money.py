from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from recoup.core.errors import ValidationError
from recoup.core.money import CURRENCY_EXPONENTS, Money, allocate, format_minor, parse_minor

CURRENCIES = sorted(CURRENCY_EXPONENTS)


@pytest.mark.parametrize(
    ("text", "currency", "minor"),
    [
        ("1234.50", "CNY", 123450),
        ("0.01", "USD", 1),
        ("7", "JPY", 7),
        ("12", "GBP", 1200),
        (" 3.5 ", "EUR", 350),
    ],
)
def test_parse_decimal_text_into_minor_units(text: str, currency: str, minor: int) -> None:
    assert parse_minor(text, currency) == minor


@pytest.mark.parametrize(
    ("text", "currency", "why"),
    [
        ("12.345", "CNY", "3 decimals"),
        ("1.5", "JPY", "1 decimals"),
        ("1e3", "CNY", "not a decimal"),
        ("1,234.00", "CNY", "not a decimal"),
        ("", "CNY", "not a decimal"),
        ("-5.00", "CNY", "negative"),
        ("NaN", "USD", "not a decimal"),
        ("10.00", "XXX", "unknown currency"),
    ],
)
def test_ambiguous_or_wrong_money_is_refused(text: str, currency: str, why: str) -> None:
    with pytest.raises(ValidationError, match=why):
        parse_minor(text, currency)


def test_negative_allowed_only_when_asked() -> None:
    assert parse_minor("-5.00", "CNY", allow_negative=True) == -500


def test_money_refuses_floats_and_mixed_currencies() -> None:
    with pytest.raises(TypeError):
        Money(1.5, "CNY")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="cannot combine"):
        _ = Money(1, "CNY") + Money(1, "USD")


@given(st.integers(min_value=-(10**15), max_value=10**15), st.sampled_from(CURRENCIES))
def test_format_and_parse_round_trip(minor: int, currency: str) -> None:
    assert parse_minor(format_minor(minor, currency), currency, allow_negative=True) == minor


@given(st.integers(min_value=-(10**12), max_value=10**12), st.integers(min_value=1, max_value=60))
def test_split_sums_exactly_and_differs_by_at_most_one(minor: int, parts: int) -> None:
    pieces = Money(minor).split(parts)
    assert sum(p.minor for p in pieces) == minor
    assert max(p.minor for p in pieces) - min(p.minor for p in pieces) <= 1


def test_times_rounds_half_away_from_zero() -> None:
    assert Money(5).times(1, 2).minor == 3
    assert Money(-5).times(1, 2).minor == -3
    assert Money(1000).times(15, 100).minor == 150


balances = st.fixed_dictionaries(
    {p: st.integers(min_value=0, max_value=10**10) for p in ("fees", "interest", "principal")}
)


@given(st.integers(min_value=0, max_value=3 * 10**10), balances)
def test_allocation_never_creates_or_loses_money(amount: int, parts: dict[str, int]) -> None:
    result = allocate(amount, parts)
    assert result.applied + result.credit == amount
    assert all(0 <= result.parts[p] <= parts[p] for p in parts)


@given(st.integers(min_value=0, max_value=10**9), st.integers(min_value=0, max_value=10**9), balances)
def test_allocating_in_two_payments_equals_one(a: int, b: int, parts: dict[str, int]) -> None:
    first = allocate(a, parts)
    after = {p: parts[p] - first.parts[p] for p in parts}
    second = allocate(b, after)
    together = allocate(a + b, parts)
    assert {p: first.parts[p] + second.parts[p] for p in parts} == together.parts
    assert first.credit + second.credit == together.credit


def test_default_waterfall_is_fees_interest_principal_and_configurable() -> None:
    parts = {"fees": 10, "interest": 20, "principal": 100}
    assert allocate(25, parts).parts == {"fees": 10, "interest": 15, "principal": 0}
    assert allocate(25, parts, ("principal", "interest", "fees")).parts == {
        "principal": 25,
        "interest": 0,
        "fees": 0,
    }
    with pytest.raises(ValueError, match="waterfall"):
        allocate(1, parts, ("fees", "principal"))
