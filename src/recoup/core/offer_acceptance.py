"""Accepting a strategy's offer on its own terms: whether a stored offer may still be booked, and for what.

The daily run stored each offer with what the debtor was told: a plan of ``installments`` parts totalling
``amount`` (the whole balance at the decision; the wording quotes one part, rounded up) or a settlement
of ``amount``, valid through ``expires_on`` in the debtor's local dates. Accepted days later, the balance
may have moved:
- it fell (payments): a plan covers the balance now in the offered number of parts, none larger than the
  part the wording quoted; a settlement asks min(amount, balance now), so what it forgives (the balance
  now less the amount asked) never exceeds what the offer forgave (the balance then less the amount);
- it rose (a charge): booking would ask more per part than the wording quoted, or forgive more than was
  offered; the offer is refused and a new one has to be made.

An offer that never reached the debtor (cancelled, expired in the outbox, failed, bounced) cannot be
accepted; a queued offer can (the debtor may call in before it is sent, or an agent reads it out).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Final

import polars as pl

from recoup.core.compliance.localtime import local_parts
from recoup.core.errors import Conflict, ValidationError
from recoup.core.money import format_minor
from recoup.core.timezones import zone_column

OFFER_KINDS: Final = ("installment", "settlement")
NOT_SENT: Final = ("cancelled", "expired", "failed", "bounced")


@dataclass(frozen=True, slots=True)
class StoredOffer:
    """One stored action as the acceptance rules need it (amounts in minor units of ``currency``)."""

    action_key: int
    action: str
    kind: str
    status: str
    currency: str
    amount: int | None
    installments: int | None
    expires_on: date | None
    balance: int | None  # the account's balance at the decision

    def money(self, minor: int) -> str:
        return f"{format_minor(minor, self.currency)} {self.currency}"


def require_offer(offer: StoredOffer) -> None:
    """A ValidationError unless the action is an offer with complete terms."""
    if offer.action != "offer":
        raise ValidationError(
            f"action {offer.action_key} is a {offer.action} action, not an offer", field="action_key"
        )
    if offer.kind not in OFFER_KINDS:
        raise ValidationError(
            f"action {offer.action_key} is an offer of kind {offer.kind!r}, not an installment plan or a "
            "settlement",
            field="action_key",
        )
    terms = {"offer_amount": offer.amount, "offer_expires_on": offer.expires_on}
    if offer.kind == "installment":
        terms["offer_installments"] = offer.installments
    missing = [name for name, value in terms.items() if value is None]
    if missing:
        raise ValidationError(
            f"action {offer.action_key} offers {offer.kind} terms without {', '.join(missing)}",
            field="action_key",
        )


def require_open(offer: StoredOffer, today: date) -> None:
    """A Conflict when the offer never reached the debtor or expired before the debtor's ``today``."""
    if offer.status in NOT_SENT:
        raise Conflict(
            f"the offer of action {offer.action_key} was never sent (it is {offer.status}): there is "
            "nothing to accept"
        )
    assert offer.expires_on is not None
    if today > offer.expires_on:
        raise Conflict(
            f"the offer of action {offer.action_key} expired on {offer.expires_on} "
            f"(it is {today} where the debtor lives)"
        )


def plan_count(offer: StoredOffer, balance: int) -> int:
    """The number of installments of the plan to book on ``balance`` (the whole balance now)."""
    assert offer.amount is not None and offer.installments is not None
    if balance > offer.amount:
        raise Conflict(
            f"the balance rose to {offer.money(balance)} since the offer of action {offer.action_key} "
            f"(a plan of {offer.money(offer.amount)}): its installments would exceed the ones offered; "
            "make a new offer"
        )
    return offer.installments


def settlement_amount(offer: StoredOffer, balance: int) -> int:
    """The amount to settle ``balance`` for: min(offered amount, balance), forgiving no more than offered."""
    assert offer.amount is not None
    if offer.balance is None:
        raise Conflict(
            f"the offer of action {offer.action_key} records no balance at the decision, so the discount "
            "it offered is unknown; make a new offer"
        )
    if balance > offer.balance:
        raise Conflict(
            f"the balance rose from {offer.money(offer.balance)} to {offer.money(balance)} since the offer "
            f"of action {offer.action_key}: settling for {offer.money(offer.amount)} would forgive more "
            "than offered; make a new offer"
        )
    return min(offer.amount, balance)


def debtor_today(now: datetime, timezone: str | None, jurisdiction: str) -> date:
    """The debtor's local date at ``now``: in the account's own zone, else its jurisdiction's default (the
    zone the daily run schedules the debtor's contacts in)."""
    account = pl.DataFrame(
        {"timezone": [timezone], "jurisdiction": [jurisdiction]},
        schema={"timezone": pl.String(), "jurisdiction": pl.String()},
    )
    zone_name = account.select(zone_column(account)).item()
    return local_parts(now, str(zone_name))[0]
