"""Installment plans and settlements: schedules on business days, and where each stands given payments.

Schedules
    A plan of ``count`` installments splits the total exactly (integer minor units, `Money.split`: the
    first ``total % count`` installments carry one extra minor unit). The k-th nominal due date is the
    first due date plus k months (the day of month is kept, clamped to the month's end: 31 Jan, 28 Feb,
    31 Mar), or plus k x 14 or k x 7 days. A nominal date that is not a business day of the debtor's
    calendar rolls forward to the next business day (the "following" convention: the debtor never owes
    earlier than agreed).

Plan status (at the end of a local day ``as_of``)
    Payments count from the moment the plan was accepted, by the local date of each payment (its own
    offset), and pay the installments in order. With C(i) the cumulative amount due through installment i:
    - ``broken``: some installment's deadline (due date + grace days) has passed and the payments made by
      that deadline were below C(i); a broken plan stays broken;
    - ``kept``: otherwise, when the payments reach the plan's total;
    - ``late``: otherwise, when an installment's due date has passed and the payments are below C(i);
    - ``current``: otherwise.
    An installment is ``paid`` once the payments reach C(i), else ``missed`` after its deadline, ``late``
    after its due date, and ``due`` before.

Settlements
    A settlement accepts ``amount`` (at most the balance) in full settlement if paid by ``due_on`` plus the
    grace days; it is a promise with a write-off attached, so its status comes from `recoup.core.promises`
    (kept -> ``paid``, broken -> ``broken``, open -> ``accepted``). A discount in basis points is rounded
    down, so the debtor never gets more off than the rate says.

Every rule has a scalar function and a columnar batch twin; the property tests prove they agree.
"""

from __future__ import annotations

import calendar as gregorian
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Final

import numpy as np
import polars as pl

from recoup.core.money import Money
from recoup.core.promises import DEFAULT_GRACE_DAYS, Payment, Promise, promise_outcome, promise_outcomes_batch

FREQUENCIES: Final = ("monthly", "biweekly", "weekly")
FREQUENCY_DAYS: Final = {"biweekly": 14, "weekly": 7}
MAX_INSTALLMENTS: Final = 60
PLAN_STATUSES: Final = ("current", "late", "kept", "broken")
INSTALLMENT_STATUSES: Final = ("due", "paid", "late", "missed")
SETTLEMENT_STATUSES: Final = ("accepted", "paid", "broken")
BASIS_POINTS: Final = 10_000
SETTLEMENT_FROM_PROMISE: Final = {"open": "accepted", "kept": "paid", "broken": "broken"}

_EPOCH = date(1970, 1, 1)
_EPOCH_WEEKDAY = _EPOCH.weekday()
# The longest run of non-business days a calendar may have (CN Golden Week with weekends is 9-10 days).
_MAX_ROLL_DAYS = 31


# ---------------------------------------------------------------------------------------------------
# Business-day calendars


@dataclass(frozen=True, slots=True)
class BusinessCalendar:
    """A jurisdiction's business days as data: weekend weekdays (Monday = 0), public holidays, and the
    weekend days declared working days (China's adjusted working days, 调休). ``first_year``..``last_year``
    is the span the holidays cover; asking about a day outside it is an error, never a silent guess."""

    name: str
    first_year: int
    last_year: int
    holidays: frozenset[date] = field(default_factory=frozenset)
    weekend: frozenset[int] = frozenset({5, 6})
    workdays: frozenset[date] = field(default_factory=frozenset)

    def covers(self, day: date) -> bool:
        return self.first_year <= day.year <= self.last_year

    def require_covers(self, day: date) -> None:
        if not self.covers(day):
            raise ValueError(
                f"calendar {self.name} covers {self.first_year}-{self.last_year}, not {day.isoformat()}"
            )

    def is_business_day(self, day: date) -> bool:
        self.require_covers(day)
        if day in self.workdays:
            return True
        return day.weekday() not in self.weekend and day not in self.holidays

    def roll_forward(self, day: date) -> date:
        """``day`` itself when it is a business day, else the next one."""
        for offset in range(_MAX_ROLL_DAYS + 1):
            candidate = day + timedelta(days=offset)
            if self.is_business_day(candidate):
                return candidate
        raise ValueError(f"calendar {self.name} has no business day within {_MAX_ROLL_DAYS} days of {day}")


def _day_numbers(days: Sequence[date] | frozenset[date]) -> np.ndarray:
    return np.array(sorted((d - _EPOCH).days for d in days), dtype=np.int64)


def business_day_mask(calendar: BusinessCalendar, first: date, last: date) -> np.ndarray:
    """Booleans for every day from ``first`` to ``last`` inclusive: True on business days (columnar twin
    of `BusinessCalendar.is_business_day`)."""
    calendar.require_covers(first)
    calendar.require_covers(last)
    numbers = np.arange((first - _EPOCH).days, (last - _EPOCH).days + 1, dtype=np.int64)
    weekdays = (numbers + _EPOCH_WEEKDAY) % 7
    open_day = ~np.isin(weekdays, list(calendar.weekend)) & ~np.isin(numbers, _day_numbers(calendar.holidays))
    return open_day | np.isin(numbers, _day_numbers(calendar.workdays))


def roll_forward_table(calendar: BusinessCalendar, first: date, last: date) -> pl.DataFrame:
    """``day`` -> ``rolled`` (the next business day) for every day from ``first`` to ``last``."""
    calendar.require_covers(last)
    end = last + timedelta(days=_MAX_ROLL_DAYS)
    if not calendar.covers(end):
        end = date(calendar.last_year, 12, 31)
    mask = business_day_mask(calendar, first, end)
    index = np.arange(mask.size)
    # For each day, the index of the first business day at or after it (size = none found).
    next_open = np.minimum.accumulate(np.where(mask, index, mask.size)[::-1])[::-1]
    count = (last - first).days + 1
    if count > 0 and next_open[count - 1] >= mask.size:
        raise ValueError(f"calendar {calendar.name} has no business day after {last} within its span")
    start = np.datetime64(first.isoformat(), "D")
    days = start + index[:count].astype("timedelta64[D]")
    rolled = start + next_open[:count].astype("timedelta64[D]")
    return pl.DataFrame({"day": days, "rolled": rolled}).with_columns(pl.col("day", "rolled").cast(pl.Date))


# ---------------------------------------------------------------------------------------------------
# Schedules


@dataclass(frozen=True, slots=True)
class Installment:
    number: int  # 1-based
    due_on: date
    amount: int  # minor units of the plan's currency


def add_months(day: date, months: int) -> date:
    """``day`` plus ``months``, the day of month clamped to the target month's length."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, gregorian.monthrange(year, month)[1]))


def nominal_due(first_due: date, index: int, frequency: str) -> date:
    """The unrolled due date of installment ``index`` (0-based)."""
    if frequency == "monthly":
        return add_months(first_due, index)
    return first_due + timedelta(days=FREQUENCY_DAYS[frequency] * index)


def check_plan_terms(total: int, count: int, frequency: str) -> None:
    if frequency not in FREQUENCIES:
        raise ValueError(f"unknown frequency {frequency!r} (known: {', '.join(FREQUENCIES)})")
    if not 1 <= count <= MAX_INSTALLMENTS:
        raise ValueError(f"a plan has 1 to {MAX_INSTALLMENTS} installments, not {count}")
    if total < count:
        raise ValueError(f"{total} minor units cannot be split into {count} installments of at least 1")


def installment_schedule(
    total: Money, count: int, first_due: date, calendar: BusinessCalendar, frequency: str = "monthly"
) -> tuple[Installment, ...]:
    """``count`` installments summing exactly to ``total``, each due on a business day."""
    check_plan_terms(total.minor, count, frequency)
    return tuple(
        Installment(index + 1, calendar.roll_forward(nominal_due(first_due, index, frequency)), part.minor)
        for index, part in enumerate(total.split(count))
    )


def schedules_batch(plans: pl.DataFrame, calendars: Mapping[str, BusinessCalendar]) -> pl.DataFrame:
    """`installment_schedule` for every plan.

    plans: plan_key, total (minor units), installments, first_due, frequency, calendar (a key of
    ``calendars``). Returns plan_key, number, due_on, amount, one row per installment, in plan order.
    """
    for row in plans.select("total", "installments", "frequency").unique().iter_rows():
        check_plan_terms(*row)
    unknown = set(plans.get_column("calendar").unique().to_list()) - set(calendars)
    if unknown:
        raise ValueError(f"no calendar for {sorted(unknown)}")
    index = pl.col("number") - 1
    exploded = plans.with_columns(number=pl.int_ranges(1, pl.col("installments") + 1)).explode("number")
    step_days = pl.col("frequency").replace_strict(FREQUENCY_DAYS, default=0, return_dtype=pl.Int64)
    base = pl.col("total") // pl.col("installments")
    extra = pl.col("total") % pl.col("installments")
    nominal = exploded.with_columns(
        nominal=pl.when(pl.col("frequency") == "monthly")
        .then(pl.col("first_due").dt.offset_by(pl.format("{}mo", index)))
        .otherwise(pl.col("first_due") + pl.duration(days=step_days * index)),
        amount=base + (pl.col("number") <= extra).cast(pl.Int64),
    )
    return _roll(nominal, calendars).select("plan_key", "number", "due_on", "amount")


def _roll(frame: pl.DataFrame, calendars: Mapping[str, BusinessCalendar]) -> pl.DataFrame:
    """Add ``due_on``: each row's ``nominal`` date rolled forward on its ``calendar``."""
    spans = frame.group_by("calendar").agg(first=pl.col("nominal").min(), last=pl.col("nominal").max())
    tables = [
        roll_forward_table(calendars[name], first, last).with_columns(calendar=pl.lit(name))
        for name, first, last in spans.iter_rows()
    ]
    lookup = pl.concat(tables) if tables else pl.DataFrame(schema={"day": pl.Date, "rolled": pl.Date})
    return frame.join(
        lookup.rename({"day": "nominal", "rolled": "due_on"}),
        on=["calendar", "nominal"],
        how="left",
        maintain_order="left",
    )


# ---------------------------------------------------------------------------------------------------
# Plan status


@dataclass(frozen=True, slots=True)
class Plan:
    key: int
    accepted_at: datetime
    installments: tuple[Installment, ...]

    @property
    def total(self) -> int:
        return sum(i.amount for i in self.installments)


@dataclass(frozen=True, slots=True)
class InstallmentOutcome:
    number: int
    status: str
    paid: int


@dataclass(frozen=True, slots=True)
class PlanOutcome:
    key: int
    status: str
    paid: int
    installments: tuple[InstallmentOutcome, ...]


def plan_outcome(
    plan: Plan, payments: Sequence[Payment], as_of: date, *, grace_days: int = DEFAULT_GRACE_DAYS
) -> PlanOutcome:
    """Where ``plan`` stands at the end of ``as_of`` given the account's payments."""
    counted = [p for p in payments if p.at >= plan.accepted_at and p.local_date <= as_of]

    def paid_by(day: date) -> int:
        return sum(p.amount for p in counted if p.local_date <= day)

    total_paid = paid_by(as_of)
    grace = timedelta(days=grace_days)
    outcomes: list[InstallmentOutcome] = []
    broken = late = False
    due_before = 0
    for installment in plan.installments:
        due_through = due_before + installment.amount
        deadline = installment.due_on + grace
        broken = broken or (deadline < as_of and paid_by(deadline) < due_through)
        if total_paid >= due_through:
            status = "paid"
        elif deadline < as_of:
            status = "missed"
        elif installment.due_on < as_of:
            status, late = "late", True
        else:
            status = "due"
        paid = min(max(total_paid - due_before, 0), installment.amount)
        outcomes.append(InstallmentOutcome(installment.number, status, paid))
        due_before = due_through
    if broken:
        plan_status = "broken"
    elif total_paid >= due_before:
        plan_status = "kept"
    else:
        plan_status = "late" if late else "current"
    return PlanOutcome(plan.key, plan_status, total_paid, tuple(outcomes))


def plan_outcomes_batch(
    plans: pl.DataFrame,
    installments: pl.DataFrame,
    payments: pl.DataFrame,
    as_of: date,
    *,
    grace_days: int = DEFAULT_GRACE_DAYS,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """`plan_outcome` for every plan.

    plans: plan_key, account_key, accepted_at (UTC). installments: plan_key, number, due_on, amount.
    payments: account_key, at (UTC), local_date, amount.
    Returns (plan_key, status, paid) and (plan_key, number, status, paid).
    """
    counted = (
        plans.select("plan_key", "account_key", "accepted_at")
        .join(payments.select("account_key", "at", "local_date", "amount"), on="account_key", how="inner")
        .filter((pl.col("at") >= pl.col("accepted_at")) & (pl.col("local_date") <= as_of))
        .select("plan_key", "local_date", "amount")
    )
    totals = counted.group_by("plan_key").agg(total_paid=pl.col("amount").sum())
    due = (
        installments.select("plan_key", "number", "due_on", "amount")
        .sort("plan_key", "number")
        .with_columns(due_through=pl.col("amount").cum_sum().over("plan_key"))
        .with_columns(
            due_before=pl.col("due_through") - pl.col("amount"),
            deadline=pl.col("due_on") + pl.duration(days=grace_days),
        )
    )
    by_deadline = (
        due.select("plan_key", "number", "deadline")
        .join(counted, on="plan_key", how="inner")
        .filter(pl.col("local_date") <= pl.col("deadline"))
        .group_by("plan_key", "number")
        .agg(paid_by_deadline=pl.col("amount").sum())
    )
    judged = (
        due.join(totals, on="plan_key", how="left")
        .join(by_deadline, on=["plan_key", "number"], how="left")
        .with_columns(pl.col("total_paid", "paid_by_deadline").fill_null(0))
        .with_columns(
            broken=(pl.col("deadline") < as_of) & (pl.col("paid_by_deadline") < pl.col("due_through")),
            status=pl.when(pl.col("total_paid") >= pl.col("due_through"))
            .then(pl.lit("paid"))
            .when(pl.col("deadline") < as_of)
            .then(pl.lit("missed"))
            .when(pl.col("due_on") < as_of)
            .then(pl.lit("late"))
            .otherwise(pl.lit("due")),
            paid=(pl.col("total_paid") - pl.col("due_before")).clip(0, None).clip(None, pl.col("amount")),
        )
    )
    plan_rows = (
        judged.group_by("plan_key", maintain_order=True)
        .agg(
            broken=pl.col("broken").any(),
            late=(pl.col("status") == "late").any(),
            paid=pl.col("total_paid").first(),
            total=pl.col("amount").sum(),
        )
        .select(
            "plan_key",
            status=pl.when(pl.col("broken"))
            .then(pl.lit("broken"))
            .when(pl.col("paid") >= pl.col("total"))
            .then(pl.lit("kept"))
            .when(pl.col("late"))
            .then(pl.lit("late"))
            .otherwise(pl.lit("current")),
            paid="paid",
        )
    )
    return plan_rows, judged.select("plan_key", "number", "status", "paid")


# ---------------------------------------------------------------------------------------------------
# Settlements


@dataclass(frozen=True, slots=True)
class SettlementTerms:
    balance: int  # what was owed when the settlement was agreed
    amount: int  # what the debtor pays in full settlement
    due_on: date

    @property
    def write_off(self) -> int:
        return self.balance - self.amount


def settlement_terms(
    balance: int,
    due_on: date,
    offered_on: date,
    *,
    discount_bps: int | None = None,
    amount: int | None = None,
) -> SettlementTerms:
    """Terms from either a discount in basis points (the discount is rounded down) or an amount."""
    if (discount_bps is None) == (amount is None):
        raise ValueError("give either a discount in basis points or an amount, not both")
    if balance <= 0:
        raise ValueError("nothing is owed: a settlement needs a positive balance")
    if discount_bps is not None:
        if not 0 <= discount_bps < BASIS_POINTS:
            raise ValueError(f"a discount is 0 to {BASIS_POINTS - 1} basis points, not {discount_bps}")
        amount = balance - balance * discount_bps // BASIS_POINTS
    assert amount is not None
    if not 0 < amount <= balance:
        raise ValueError(f"a settlement amount must be above 0 and at most the balance ({balance})")
    if due_on < offered_on:
        raise ValueError(f"the settlement cannot be due ({due_on}) before it is offered ({offered_on})")
    return SettlementTerms(balance, amount, due_on)


@dataclass(frozen=True, slots=True)
class Settlement:
    key: int
    accepted_at: datetime
    amount: int
    due_on: date


@dataclass(frozen=True, slots=True)
class SettlementOutcome:
    key: int
    status: str
    paid: int


def settlement_outcome(
    settlement: Settlement, payments: Sequence[Payment], as_of: date, *, grace_days: int = DEFAULT_GRACE_DAYS
) -> SettlementOutcome:
    as_promise = Promise(str(settlement.key), settlement.accepted_at, settlement.amount, settlement.due_on)
    outcome = promise_outcome(as_promise, payments, as_of, grace_days=grace_days)
    return SettlementOutcome(settlement.key, SETTLEMENT_FROM_PROMISE[outcome.status], outcome.paid)


def settlement_outcomes_batch(
    settlements: pl.DataFrame, payments: pl.DataFrame, as_of: date, *, grace_days: int = DEFAULT_GRACE_DAYS
) -> pl.DataFrame:
    """`settlement_outcome` for every open settlement (at most one per account).

    settlements: settlement_key, account_key, accepted_at (UTC), amount, due_on.
    payments: account_key, at (UTC), local_date, amount. Returns settlement_key, status, paid.
    """
    if settlements.get_column("account_key").is_duplicated().any():
        raise ValueError("an account has at most one open settlement")
    as_promises = settlements.select(
        "account_key",
        event_id=pl.col("settlement_key").cast(pl.String),
        made_at="accepted_at",
        amount="amount",
        due_on="due_on",
    )
    outcomes = promise_outcomes_batch(as_promises, payments, as_of, grace_days=grace_days)
    return outcomes.select(
        settlement_key=pl.col("event_id").cast(pl.Int64),
        status=pl.col("status").replace_strict(SETTLEMENT_FROM_PROMISE),
        paid="paid",
    )
