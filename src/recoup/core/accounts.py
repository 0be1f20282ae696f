"""Accounts and what events do to them: balances, holds, opt-outs, days past due and buckets.

One account's state changes through `apply_events`; `apply_events_batch` does the same for a whole
portfolio in columns. Both implement one rule, written so that the order in which a day's events arrive
never matters:

- every charge (a positive adjustment) is booked to fees first;
- every reduction (payments, negative adjustments) and any credit already held are pooled and allocated
  over the parts by the waterfall; what is left over stays as a credit for the debtor, never lost;
- a flag switched on and off the same day (dispute / dispute_resolved, opt_out / opt_in) ends in the
  state of the latest event by (at, event_id);
- add-only holds (cease, bankrupt, deceased, attorney, vulnerable, complaint) are unions; recall ends
  collection.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime

import numpy as np
import polars as pl

from recoup.core.money import DEFAULT_WATERFALL, allocate

BUCKET_EDGES: tuple[int, ...] = (0, 30, 60, 90, 120, 150)
BUCKETS: tuple[str, ...] = ("M0", "M1", "M2", "M3", "M4", "M5", "M6+")

# Events that put a hold flag on (and never take it off by themselves).
HOLD_EVENTS: dict[str, str] = {
    "cease": "cease",
    "bankrupt": "bankrupt",
    "deceased": "deceased",
    "attorney": "attorney",
    "vulnerable": "vulnerable",
    "complaint": "complaint",
}
# Holds under which no collection contact may be proposed at all.
COLLECTION_HOLDS: frozenset[str] = frozenset(
    {"cease", "bankrupt", "deceased", "attorney", "dispute", "breathing_space"}
)


def bucket_of(dpd: int) -> str:
    """Delinquency bucket: M0 current, M1 1-30 days past due, ..., M6+ over 150."""
    for edge, name in zip(BUCKET_EDGES, BUCKETS, strict=False):
        if dpd <= edge:
            return name
    return BUCKETS[-1]


def bucket_expr(dpd: pl.Expr) -> pl.Expr:
    """The columnar twin of `bucket_of`."""
    expr: pl.Expr = pl.lit(BUCKETS[-1])
    for edge, name in reversed(list(zip(BUCKET_EDGES, BUCKETS, strict=False))):
        expr = pl.when(dpd <= edge).then(pl.lit(name)).otherwise(expr)
    return expr


def days_past_due(due_on: date, as_of: date) -> int:
    return max((as_of - due_on).days, 0)


def split_set(text: str | None) -> frozenset[str]:
    return frozenset(part for part in (text or "").split(";") if part)


def join_set(items: Iterable[str]) -> str:
    return ";".join(sorted(set(items)))


@dataclass(frozen=True, slots=True)
class Event:
    """One thing that happened to an account (contracts/portfolio.md, events)."""

    event_id: str
    at: datetime
    type: str
    amount: int | None = None  # minor units of the account's currency
    channel: str | None = None
    direction: str | None = None
    outcome: str | None = None
    promise_due_on: date | None = None

    def __post_init__(self) -> None:
        if self.at.tzinfo is None:
            raise ValueError(f"event {self.event_id}: time must carry a zone")


@dataclass(frozen=True, slots=True)
class AccountState:
    """The parts of an account that events change."""

    fees: int
    interest: int
    principal: int
    credit: int = 0
    collected: int = 0
    status: str = "active"
    flags: frozenset[str] = field(default_factory=frozenset)
    opted_out: frozenset[str] = field(default_factory=frozenset)

    @property
    def balance(self) -> int:
        return self.fees + self.interest + self.principal

    @property
    def on_hold(self) -> bool:
        return self.status != "active" or bool(self.flags & COLLECTION_HOLDS)


def _latest_toggle(events: Sequence[Event], on: str, off: str) -> bool | None:
    """True/False for the latest of the two toggling event types, None when neither happened."""
    relevant = [e for e in events if e.type in (on, off)]
    if not relevant:
        return None
    return max(relevant, key=lambda e: (e.at, e.event_id)).type == on


def _channel_toggles(events: Sequence[Event]) -> dict[str, bool]:
    latest: dict[str, Event] = {}
    for event in events:
        if event.type in ("opt_out", "opt_in") and event.channel:
            current = latest.get(event.channel)
            if current is None or (event.at, event.event_id) > (current.at, current.event_id):
                latest[event.channel] = event
    return {channel: event.type == "opt_out" for channel, event in latest.items()}


def apply_events(
    state: AccountState, events: Sequence[Event], waterfall: Sequence[str] = DEFAULT_WATERFALL
) -> AccountState:
    """The state after ``events`` (in any order) have been applied to ``state``."""
    charges = sum(e.amount or 0 for e in events if e.type == "adjustment" and (e.amount or 0) > 0)
    payments = sum(e.amount or 0 for e in events if e.type == "payment")
    write_downs = -sum(e.amount or 0 for e in events if e.type == "adjustment" and (e.amount or 0) < 0)
    parts = {"fees": state.fees + charges, "interest": state.interest, "principal": state.principal}
    allocation = allocate(payments + write_downs + state.credit, parts, waterfall)
    remaining = {part: parts[part] - allocation.parts[part] for part in parts}

    flags = set(state.flags) | {HOLD_EVENTS[e.type] for e in events if e.type in HOLD_EVENTS}
    disputed = _latest_toggle(events, "dispute", "dispute_resolved")
    if disputed is not None:
        flags.discard("dispute")
        if disputed:
            flags.add("dispute")
    opted_out = set(state.opted_out)
    for channel, out in _channel_toggles(events).items():
        opted_out.discard(channel)
        if out:
            opted_out.add(channel)

    status = state.status
    if any(e.type == "recall" for e in events):
        status = "recalled"
    elif status == "active" and sum(remaining.values()) == 0:
        status = "paid"
    elif status == "paid" and sum(remaining.values()) > 0:
        status = "active"
    return replace(
        state,
        fees=remaining["fees"],
        interest=remaining["interest"],
        principal=remaining["principal"],
        credit=allocation.credit,
        collected=state.collected + payments,
        status=status,
        flags=frozenset(flags),
        opted_out=frozenset(opted_out),
    )


# ---------------------------------------------------------------------------------------------------
# The batch path: the same rule over whole columns.

STATE_COLUMNS: tuple[str, ...] = (
    "account_key",
    "fees",
    "interest",
    "principal",
    "credit",
    "collected",
    "status",
    "flags",
    "opted_out",
)


def _allocate_columns(
    reduction: np.ndarray, parts: Sequence[np.ndarray]
) -> tuple[list[np.ndarray], np.ndarray]:
    remaining = reduction.copy()
    left: list[np.ndarray] = []
    for part in parts:
        take = np.minimum(remaining, np.maximum(part, 0))
        left.append(part - take)
        remaining -= take
    return left, remaining


def _money_sums(events: pl.DataFrame) -> pl.DataFrame:
    amount = pl.col("amount").fill_null(0)
    adjustment = pl.col("type") == "adjustment"
    return events.group_by("account_key").agg(
        charges=pl.when(adjustment & (amount > 0)).then(amount).otherwise(0).sum(),
        payments=pl.when(pl.col("type") == "payment").then(amount).otherwise(0).sum(),
        write_downs=pl.when(adjustment & (amount < 0)).then(-amount).otherwise(0).sum(),
        recalled=(pl.col("type") == "recall").any(),
        holds=pl.col("type").filter(pl.col("type").is_in(list(HOLD_EVENTS))).unique().sort(),
    )


def _latest_by(events: pl.DataFrame, types: tuple[str, str], key: list[str]) -> pl.DataFrame:
    return (
        events.filter(pl.col("type").is_in(list(types)))
        .sort(["at", "event_id"])
        .group_by(key)
        .agg(last=pl.col("type").last())
        .with_columns(on=pl.col("last") == types[0])
    )


def _merge_set(current: pl.Expr, add: pl.Expr, remove: pl.Expr) -> pl.Expr:
    """';'-joined set column: (current ∖ remove) ∪ add, sorted (as the scalar path discards, then adds)."""
    return (
        current.fill_null("")
        .str.split(";")
        .list.set_difference(remove.fill_null([]))
        .list.concat(add.fill_null([]))
        .list.eval(pl.element().filter(pl.element() != ""))
        .list.unique()
        .list.sort()
        .list.join(";")
    )


def apply_events_batch(
    states: pl.DataFrame, events: pl.DataFrame, waterfall: Sequence[str] = DEFAULT_WATERFALL
) -> pl.DataFrame:
    """`apply_events` for every account in ``states`` (STATE_COLUMNS) given ``events`` (EVENT_SCHEMA +
    account_key). Returns the changed rows only, with STATE_COLUMNS."""
    if events.is_empty():
        return states.clear()
    sums = _money_sums(events)
    disputes = _latest_by(events, ("dispute", "dispute_resolved"), ["account_key"])
    toggles = _latest_by(
        events.filter(pl.col("channel").is_not_null()), ("opt_out", "opt_in"), ["account_key", "channel"]
    )
    channel_sets = toggles.group_by("account_key").agg(
        out=pl.col("channel").filter(pl.col("on")).sort(),
        back_in=pl.col("channel").filter(~pl.col("on")).sort(),
    )
    frame = (
        states.join(sums, on="account_key", how="inner")
        .join(disputes.select("account_key", dispute_on="on"), on="account_key", how="left")
        .join(channel_sets, on="account_key", how="left")
    )
    parts = {
        "fees": frame["fees"].to_numpy() + frame["charges"].to_numpy(),
        "interest": frame["interest"].to_numpy(),
        "principal": frame["principal"].to_numpy(),
    }
    reduction = frame["payments"].to_numpy() + frame["write_downs"].to_numpy() + frame["credit"].to_numpy()
    left, credit = _allocate_columns(reduction, [parts[p] for p in waterfall])
    remaining = dict(zip(waterfall, left, strict=True))
    balance = remaining["fees"] + remaining["interest"] + remaining["principal"]

    dispute_add = (
        pl.when(pl.col("dispute_on").fill_null(False)).then(pl.lit(["dispute"])).otherwise(pl.lit([]))
    )
    dispute_remove = (
        pl.when(pl.col("dispute_on").is_not_null()).then(pl.lit(["dispute"])).otherwise(pl.lit([]))
    )
    status = pl.col("status")
    frame = frame.with_columns(
        fees=pl.Series(remaining["fees"]),
        interest=pl.Series(remaining["interest"]),
        principal=pl.Series(remaining["principal"]),
        credit=pl.Series(credit),
        balance=pl.Series(balance),
    )
    return frame.with_columns(
        collected=pl.col("collected") + pl.col("payments"),
        status=pl.when(pl.col("recalled"))
        .then(pl.lit("recalled"))
        .when((status == "active") & (pl.col("balance") == 0))
        .then(pl.lit("paid"))
        .when((status == "paid") & (pl.col("balance") > 0))
        .then(pl.lit("active"))
        .otherwise(status),
        flags=_merge_set(
            pl.col("flags"),
            pl.col("holds").cast(pl.List(pl.String)).list.concat(dispute_add.cast(pl.List(pl.String))),
            dispute_remove.cast(pl.List(pl.String)),
        ),
        opted_out=_merge_set(pl.col("opted_out"), pl.col("out"), pl.col("back_in")),
    ).select(STATE_COLUMNS)
