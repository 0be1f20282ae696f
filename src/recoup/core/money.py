"""Money in integer minor units with an ISO 4217 currency, and the allocation waterfall.

Money is never a float: amounts are parsed from decimal text straight into integer minor units
(fen, cents, pence) and every operation stays in integers.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

import polars as pl

from recoup.core.errors import ValidationError

# ISO 4217 minor-unit exponents for the currencies Recoup accepts. Kept explicit (not "all of ISO")
# so that an unknown currency is an error at the edge instead of a silent default exponent.
CURRENCY_EXPONENTS: dict[str, int] = {
    "CNY": 2,
    "USD": 2,
    "GBP": 2,
    "EUR": 2,
    "HKD": 2,
    "JPY": 0,
    "KRW": 0,
    "SGD": 2,
    "CHF": 2,
    "SEK": 2,
    "PLN": 2,
    "CZK": 2,
    "DKK": 2,
    "HUF": 2,
    "NOK": 2,
    "RON": 2,
    "BGN": 2,
}

DEFAULT_CURRENCY = "CNY"

_DECIMAL_TEXT = re.compile(r"^[+-]?(\d+)(\.(\d+))?$")


def exponent(currency: str) -> int:
    try:
        return CURRENCY_EXPONENTS[currency]
    except KeyError:
        raise ValidationError(f"unknown currency {currency!r}", field="currency") from None


def parse_minor(text: str, currency: str, *, allow_negative: bool = False) -> int:
    """Parse decimal text such as ``"1234.50"`` into minor units, refusing anything ambiguous.

    Refused: empty text, exponents (``1e3``), thousands separators, more decimals than the currency has,
    and negative amounts unless ``allow_negative``.
    """
    digits = exponent(currency)
    cleaned = text.strip()
    match = _DECIMAL_TEXT.match(cleaned)
    if match is None:
        raise ValidationError(f"{text!r} is not a decimal amount", field="amount")
    fraction = match.group(3) or ""
    if len(fraction) > digits:
        raise ValidationError(
            f"{text!r} has {len(fraction)} decimals; {currency} has {digits}", field="amount"
        )
    try:
        value = Decimal(cleaned)
    except InvalidOperation:  # pragma: no cover - the regex already guarantees a valid decimal
        raise ValidationError(f"{text!r} is not a decimal amount", field="amount") from None
    if value < 0 and not allow_negative:
        raise ValidationError(f"{text!r} is negative", field="amount")
    return int(value.scaleb(digits))


def format_minor(minor: int, currency: str) -> str:
    """Decimal text for minor units: ``format_minor(123450, "CNY") == "1234.50"``."""
    digits = exponent(currency)
    sign = "-" if minor < 0 else ""
    whole, frac = divmod(abs(minor), 10**digits)
    return f"{sign}{whole}.{frac:0{digits}d}" if digits else f"{sign}{whole}"


@dataclass(frozen=True, slots=True, order=True)
class Money:
    """An amount in minor units of one currency."""

    minor: int
    currency: str = DEFAULT_CURRENCY

    def __post_init__(self) -> None:
        exponent(self.currency)
        if not isinstance(self.minor, int) or isinstance(self.minor, bool):
            raise TypeError("Money.minor must be an int (minor units), never a float")

    @classmethod
    def parse(cls, text: str, currency: str = DEFAULT_CURRENCY, *, allow_negative: bool = False) -> Money:
        return cls(parse_minor(text, currency, allow_negative=allow_negative), currency)

    @classmethod
    def zero(cls, currency: str = DEFAULT_CURRENCY) -> Money:
        return cls(0, currency)

    def _same(self, other: Money) -> None:
        if other.currency != self.currency:
            raise ValueError(f"cannot combine {self.currency} with {other.currency}")

    def __add__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.minor + other.minor, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.minor - other.minor, self.currency)

    def __neg__(self) -> Money:
        return Money(-self.minor, self.currency)

    def times(self, numerator: int, denominator: int = 1) -> Money:
        """Multiply by a rational, rounding half away from zero to the minor unit."""
        if denominator <= 0:
            raise ValueError("denominator must be positive")
        quotient, remainder = divmod(abs(self.minor) * numerator, denominator)
        if 2 * remainder >= denominator:
            quotient += 1
        return Money(quotient if self.minor >= 0 else -quotient, self.currency)

    def split(self, parts: int) -> list[Money]:
        """Split into ``parts`` amounts that differ by at most one minor unit and sum exactly."""
        if parts <= 0:
            raise ValueError("parts must be positive")
        base, extra = divmod(self.minor, parts)
        return [Money(base + (1 if i < extra else 0), self.currency) for i in range(parts)]

    def __str__(self) -> str:
        return f"{format_minor(self.minor, self.currency)} {self.currency}"


# The default payment waterfall: fees first, then interest, then principal. What is left over is kept
# on the account as a credit, never dropped.
DEFAULT_WATERFALL: tuple[str, ...] = ("fees", "interest", "principal")


@dataclass(frozen=True, slots=True)
class Allocation:
    """How one payment was split over the balance parts, plus what was left over as credit."""

    parts: dict[str, int]
    credit: int

    @property
    def applied(self) -> int:
        return sum(self.parts.values())


def allocate(amount: int, balances: dict[str, int], order: Sequence[str] = DEFAULT_WATERFALL) -> Allocation:
    """Allocate ``amount`` minor units over ``balances`` in waterfall ``order``.

    Allocating a then b equals allocating a + b (the waterfall is greedy), which is what lets the batch
    path sum a day's payments per account before allocating.
    """
    if amount < 0:
        raise ValueError("a payment amount cannot be negative")
    if set(order) != set(balances):
        raise ValueError(f"waterfall {list(order)} does not name the parts {sorted(balances)}")
    remaining = amount
    parts: dict[str, int] = {}
    for part in order:
        take = min(remaining, max(balances[part], 0))
        parts[part] = take
        remaining -= take
    return Allocation(parts=parts, credit=remaining)


def format_minor_expr(minor: pl.Expr | str, currency: pl.Expr | str) -> pl.Expr:
    """The columnar twin of `format_minor`: decimal text of minor units in each row's currency (null
    stays null)."""
    amount = pl.col(minor) if isinstance(minor, str) else minor
    code = pl.col(currency) if isinstance(currency, str) else currency
    digits = code.replace_strict(CURRENCY_EXPONENTS, return_dtype=pl.Int64)
    scale = pl.lit(10, dtype=pl.Int64).pow(digits)
    magnitude = amount.abs()
    sign = pl.when(amount < 0).then(pl.lit("-")).otherwise(pl.lit(""))
    whole = (magnitude // scale).cast(pl.String)
    fraction = (magnitude % scale).cast(pl.String).str.zfill(digits)
    text = (
        pl.when(digits == 0)
        .then(pl.concat_str(sign, whole))
        .otherwise(pl.concat_str(sign, whole, pl.lit("."), fraction))
    )
    return pl.when(amount.is_not_null()).then(text)
