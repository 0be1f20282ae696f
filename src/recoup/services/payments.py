"""Payment use cases: offer and accept installment plans, accept settlements, book a strategy's offer on
its own terms, reconcile payment files, build remittance statements, and judge plans and settlements in
the daily run's update step.

Nothing here commits: the entry point owns the transaction, so a refused file or offer leaves no trace.

Every change appends an audit entry in that transaction (see docs/audit.md): `payment.plan_offered`,
`payment.plan_accepted`, `payment.settlement_accepted`, `payment.offer_accepted`, `payment.reconciled`,
`payment.commission_set`, `payment.remittance`. Covers vouch for the terms as booked (a plan's or
settlement's status, payments and resolution move on and are left out; the update step's entry vouches
for them once they are final).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any, Final

import polars as pl
from sqlalchemy import Connection, text

from recoup.adapters.calendars import attribute_country, calendar_for_years, calendar_key
from recoup.adapters.db import audit, offer_queries, payment_queries
from recoup.adapters.db.bulk import insert_frame, insert_new, update_rows
from recoup.adapters.db.engine import Database
from recoup.core import offer_acceptance
from recoup.core.accounts import COLLECTION_HOLDS, split_set
from recoup.core.audit import Cover, column_type, key_range_cover, rows_digest
from recoup.core.errors import Conflict, NotFound, ValidationError
from recoup.core.money import Money, format_minor, parse_minor
from recoup.core.offer_acceptance import StoredOffer
from recoup.core.plans import (
    Installment,
    SettlementTerms,
    installment_schedule,
    settlement_terms,
)
from recoup.core.reconciliation import reconcile
from recoup.core.remittance import RemittanceStatement, build_statement, check_rate
from recoup.services.importing import account_lookup, event_rows
from recoup.services.payment_update import update_plans

OFFER_DAYS: Final = 7  # an offer not accepted within this many days expires
FIRST_DUE_DAYS: Final = 7  # default first due date: a week after the offer
RECONCILIATION_STATUSES: Final = ("booked", "partial", "rejected")
# Columns that move on after booking (the update step, an acceptance): left out of the covers.
PLAN_MOVING: Final = ("status", "accepted_at", "paid", "resolved_on")
INSTALLMENT_MOVING: Final = ("status", "paid")
SETTLEMENT_MOVING: Final = ("status", "paid", "resolved_on", "write_off_event_id")


# --- accounts -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AccountRef:
    key: int
    account_id: str
    creditor_id: str
    debtor_name: str
    currency: str
    jurisdiction: str
    region: str | None
    attributes: str | None
    status: str
    flags: str
    balance: int


def find_account(connection: Connection, account_id: str, creditor_id: str | None = None) -> AccountRef:
    rows = payment_queries.accounts_named(connection, account_id, creditor_id)
    if not rows:
        whose = f" of creditor {creditor_id!r}" if creditor_id else ""
        raise NotFound(f"unknown account {account_id!r}{whose}")
    if len(rows) > 1:
        creditors = ", ".join(sorted(str(r["creditor_id"]) for r in rows))
        raise ValidationError(
            f"account {account_id!r} belongs to several creditors ({creditors}): name the creditor",
            field="creditor_id",
        )
    row = rows[0]
    return AccountRef(
        key=int(row["key"]),
        account_id=row["account_id"],
        creditor_id=row["creditor_id"],
        debtor_name=row["debtor_name"],
        currency=row["currency"],
        jurisdiction=row["jurisdiction"],
        region=row["region"],
        attributes=row["attributes"],
        status=row["status"],
        flags=row["flags"] or "",
        balance=int(row["principal"]) + int(row["interest"]) + int(row["fees"]),
    )


def _require_collectable(connection: Connection, account: AccountRef) -> None:
    """Plans and settlements are offered only on active accounts with no hold and nothing else open."""
    if account.status != "active":
        raise Conflict(f"account {account.account_id!r} is {account.status}: nothing can be offered")
    holds = sorted(split_set(account.flags) & COLLECTION_HOLDS)
    if holds:
        raise Conflict(
            f"account {account.account_id!r} is on hold ({', '.join(holds)}): nothing can be offered"
        )
    if account.balance <= 0:
        raise Conflict(f"account {account.account_id!r} owes nothing")
    open_now = payment_queries.open_arrangements(connection, account.key)
    if open_now["plans"] or open_now["settlements"]:
        raise Conflict(f"account {account.account_id!r} already has an open plan or settlement")


# --- plans ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PlanView:
    plan_key: int
    account_id: str
    creditor_id: str
    currency: str
    total: int
    frequency: str
    calendar: str
    status: str
    offer_expires_on: date
    installments: tuple[Installment, ...]
    action_key: int | None = None  # the stored action whose offer it was booked from

    def as_dict(self) -> dict[str, Any]:
        return {
            "plan_key": self.plan_key,
            "action_key": self.action_key,
            "account_id": self.account_id,
            "creditor_id": self.creditor_id,
            "currency": self.currency,
            "total": format_minor(self.total, self.currency),
            "frequency": self.frequency,
            "calendar": self.calendar,
            "status": self.status,
            "offer_expires_on": self.offer_expires_on.isoformat(),
            "installments": [
                {
                    "number": i.number,
                    "due_on": i.due_on.isoformat(),
                    "amount": format_minor(i.amount, self.currency),
                }
                for i in self.installments
            ],
        }


def offer_plan(
    connection: Connection,
    db: Database,
    *,
    account_id: str,
    installments: int,
    now: datetime,
    creditor_id: str | None = None,
    first_due: date | None = None,
    frequency: str = "monthly",
    offer_days: int = OFFER_DAYS,
) -> PlanView:
    """Record an offer to pay the whole balance in ``installments`` parts on the debtor's business days."""
    account = find_account(connection, account_id, creditor_id)
    _require_collectable(connection, account)
    today = now.astimezone(UTC).date()
    plan_key, covers = _insert_plan(
        connection,
        db,
        account,
        installments=installments,
        frequency=frequency,
        first_due=first_due,
        today=today,
        now=now,
        expires=today + timedelta(days=offer_days),
    )
    view = plan_view(connection, plan_key)
    audit.record(connection, "payment.plan_offered", _plan_content(view), now, covers)
    return view


def _plan_content(plan: PlanView) -> dict[str, Any]:
    """A plan's terms for an audit entry: money in minor units, dates ISO."""
    return {
        "plan_key": plan.plan_key,
        "action_key": plan.action_key,
        "account_id": plan.account_id,
        "creditor_id": plan.creditor_id,
        "currency": plan.currency,
        "total": plan.total,
        "installments": len(plan.installments),
        "frequency": plan.frequency,
        "calendar": plan.calendar,
        "first_due": plan.installments[0].due_on if plan.installments else None,
        "offer_expires_on": plan.offer_expires_on,
        "status": plan.status,
    }


def _insert_plan(
    connection: Connection,
    db: Database,
    account: AccountRef,
    *,
    installments: int,
    frequency: str,
    first_due: date | None,
    today: date,
    now: datetime,
    expires: date,
    action_key: int | None = None,
) -> tuple[int, list[Cover]]:
    """Store an offered plan of the whole balance and its schedule; returns the plan's key and the covers
    of its terms and installments."""
    first = first_due or today + timedelta(days=FIRST_DUE_DAYS)
    if first < today:
        raise ValidationError(f"the first installment cannot be due in the past ({first})", field="first_due")
    try:
        key = calendar_key(account.jurisdiction, account.region, attribute_country(account.attributes))
        calendar = calendar_for_years(key, first.year)
        schedule = installment_schedule(
            Money(account.balance, account.currency), installments, first, calendar, frequency
        )
    except ValueError as exc:
        raise ValidationError(str(exc), field="installments") from None
    plan_key = payment_queries.next_key(connection, "plans")
    plan = pl.DataFrame(
        {
            "key": [plan_key],
            "account_key": [account.key],
            "currency": [account.currency],
            "total": [account.balance],
            "installments": [installments],
            "frequency": [frequency],
            "first_due": [first],
            "calendar": [key],
            "status": ["offered"],
            "offered_at": [now.astimezone(UTC)],
            "offer_expires_on": [expires],
            "accepted_at": pl.Series([None], dtype=pl.Datetime("us", "UTC")),
            "paid": [0],
            "resolved_on": pl.Series([None], dtype=pl.Date),
            "action_key": pl.Series([action_key], dtype=pl.Int64),
        }
    )
    insert_frame(connection, db, "plans", plan)
    first_key = payment_queries.next_key(connection, "plan_installments")
    rows = pl.DataFrame(
        {
            "key": list(range(first_key, first_key + len(schedule))),
            "plan_key": [plan_key] * len(schedule),
            "number": [i.number for i in schedule],
            "due_on": [i.due_on for i in schedule],
            "amount": [i.amount for i in schedule],
            "status": ["due"] * len(schedule),
            "paid": [0] * len(schedule),
        }
    )
    insert_frame(connection, db, "plan_installments", rows)
    covers = [
        key_range_cover("plans", plan, exclude=PLAN_MOVING),
        key_range_cover("plan_installments", rows, exclude=INSTALLMENT_MOVING),
    ]
    return plan_key, covers


def accept_plan(connection: Connection, db: Database, plan_key: int, now: datetime) -> PlanView:
    """The debtor accepts an offered plan: from now on its payments count against the schedule."""
    row = payment_queries.plan_row(connection, plan_key)
    if row is None:
        raise NotFound(f"no plan {plan_key}")
    if row["status"] != "offered":
        raise Conflict(f"plan {plan_key} is {row['status']}, not an open offer")
    expires = _as_date(row["offer_expires_on"])
    if now.astimezone(UTC).date() > expires:
        raise Conflict(f"the offer of plan {plan_key} expired on {expires}")
    account = _account_by_key(connection, int(row["account_key"]))
    _require_collectable(connection, account)
    _mark_accepted(connection, db, plan_key, now)
    view = plan_view(connection, plan_key)
    audit.record(connection, "payment.plan_accepted", _plan_content(view), now)
    return view


def _mark_accepted(connection: Connection, db: Database, plan_key: int, now: datetime) -> None:
    accepted = pl.DataFrame({"key": [plan_key], "status": ["current"], "accepted_at": [now.astimezone(UTC)]})
    update_plans(
        connection, db, accepted.with_columns(paid=pl.lit(0), resolved_on=pl.lit(None, dtype=pl.Date))
    )


def plan_view(connection: Connection, plan_key: int) -> PlanView:
    row = payment_queries.plan_row(connection, plan_key)
    if row is None:
        raise NotFound(f"no plan {plan_key}")
    account = _account_by_key(connection, int(row["account_key"]))
    schedule = tuple(
        Installment(int(i["number"]), _as_date(i["due_on"]), int(i["amount"]))
        for i in payment_queries.plan_installments(connection, plan_key)
    )
    return PlanView(
        plan_key=plan_key,
        account_id=account.account_id,
        creditor_id=account.creditor_id,
        currency=row["currency"],
        total=int(row["total"]),
        frequency=row["frequency"],
        calendar=row["calendar"],
        status=row["status"],
        offer_expires_on=_as_date(row["offer_expires_on"]),
        installments=schedule,
        action_key=_optional_int(row["action_key"]),
    )


def _account_by_key(connection: Connection, key: int) -> AccountRef:
    found = connection.execute(
        text('SELECT account_id, creditor_id FROM accounts WHERE "key" = :k'), {"k": key}
    ).one()
    return find_account(connection, found[0], found[1])


def _as_date(value: date | str) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


def _optional_int(value: Any) -> int | None:
    return None if value is None else int(value)


# --- settlements ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SettlementView:
    settlement_key: int
    account_id: str
    creditor_id: str
    currency: str
    balance: int
    amount: int
    write_off: int
    due_on: date
    action_key: int | None = None  # the stored action whose offer it was booked from

    def as_dict(self) -> dict[str, Any]:
        def text_of(minor: int) -> str:
            return format_minor(minor, self.currency)

        return {
            "settlement_key": self.settlement_key,
            "action_key": self.action_key,
            "account_id": self.account_id,
            "creditor_id": self.creditor_id,
            "currency": self.currency,
            "balance": text_of(self.balance),
            "amount": text_of(self.amount),
            "write_off": text_of(self.write_off),
            "due_on": self.due_on.isoformat(),
        }


def accept_settlement(
    connection: Connection,
    db: Database,
    *,
    account_id: str,
    due_on: date,
    now: datetime,
    creditor_id: str | None = None,
    discount_bps: int | None = None,
    amount: str | None = None,
) -> SettlementView:
    """Record a settlement the debtor accepted: ``amount`` (decimal text) or the balance less
    ``discount_bps``, due by ``due_on``; when paid in time, the rest is written off."""
    account = find_account(connection, account_id, creditor_id)
    _require_collectable(connection, account)
    today = now.astimezone(UTC).date()
    minor = parse_minor(amount, account.currency) if amount is not None else None
    try:
        terms = settlement_terms(account.balance, due_on, today, discount_bps=discount_bps, amount=minor)
    except ValueError as exc:
        raise ValidationError(str(exc), field="amount" if amount is not None else "discount_bps") from None
    view, cover = _insert_settlement(connection, db, account, terms, now)
    content = {**_settlement_content(view), "discount_bps": discount_bps}
    audit.record(connection, "payment.settlement_accepted", content, now, [cover])
    return view


def _settlement_content(settlement: SettlementView) -> dict[str, Any]:
    return {
        "settlement_key": settlement.settlement_key,
        "action_key": settlement.action_key,
        "account_id": settlement.account_id,
        "creditor_id": settlement.creditor_id,
        "currency": settlement.currency,
        "balance": settlement.balance,
        "amount": settlement.amount,
        "write_off": settlement.write_off,
        "due_on": settlement.due_on,
    }


def _insert_settlement(
    connection: Connection,
    db: Database,
    account: AccountRef,
    terms: SettlementTerms,
    now: datetime,
    action_key: int | None = None,
) -> tuple[SettlementView, Cover]:
    """Store an accepted settlement; returns it and the cover of its terms."""
    key = payment_queries.next_key(connection, "settlements")
    row = pl.DataFrame(
        {
            "key": [key],
            "account_key": [account.key],
            "currency": [account.currency],
            "balance": [terms.balance],
            "amount": [terms.amount],
            "due_on": [terms.due_on],
            "accepted_at": [now.astimezone(UTC)],
            "status": ["accepted"],
            "paid": [0],
            "resolved_on": pl.Series([None], dtype=pl.Date),
            "write_off_event_id": pl.Series([None], dtype=pl.String),
            "action_key": pl.Series([action_key], dtype=pl.Int64),
        }
    )
    insert_frame(connection, db, "settlements", row)
    cover = key_range_cover("settlements", row, exclude=SETTLEMENT_MOVING)
    return _settlement_of(key, account, terms, action_key), cover


def settlement_view(connection: Connection, settlement_key: int) -> SettlementView:
    row = offer_queries.settlement_row(connection, settlement_key)
    if row is None:
        raise NotFound(f"no settlement {settlement_key}")
    terms = SettlementTerms(int(row["balance"]), int(row["amount"]), _as_date(row["due_on"]))
    account = _account_by_key(connection, int(row["account_key"]))
    return _settlement_of(settlement_key, account, terms, _optional_int(row["action_key"]))


def _settlement_of(
    key: int, account: AccountRef, terms: SettlementTerms, action_key: int | None
) -> SettlementView:
    return SettlementView(
        settlement_key=key,
        account_id=account.account_id,
        creditor_id=account.creditor_id,
        currency=account.currency,
        balance=terms.balance,
        amount=terms.amount,
        write_off=terms.write_off,
        due_on=terms.due_on,
        action_key=action_key,
    )


# --- a strategy's offers ----------------------------------------------------------------------------

OFFER_FREQUENCY: Final = "monthly"  # the strategy sizes plans in months (core/strategy/offers.py)


def accept_offer(
    connection: Connection,
    db: Database,
    *,
    action_key: int,
    now: datetime,
    first_due: date | None = None,
) -> PlanView | SettlementView:
    """Book the offer the daily run stored as action ``action_key`` on the terms the debtor was given.

    An installment offer becomes an accepted (current) plan of the whole balance in the offered number of
    monthly installments, the first due on ``first_due`` (default: a week after the debtor's today); a
    settlement offer becomes an accepted settlement of min(offered amount, balance) due on the offer's
    expiry date. Either records the action it came from. `recoup.core.offer_acceptance` says when an offer
    is refused. Idempotent: accepting an offer again returns what its first acceptance booked, whatever
    became of it since; nothing new is written.
    """
    row = offer_queries.offer_action(connection, db, action_key)
    if row is None:
        raise NotFound(f"no action {action_key}")
    offer = _stored_offer(row)
    offer_acceptance.require_offer(offer)
    if offer.kind == "settlement" and first_due is not None:
        raise ValidationError(
            f"action {action_key} offers a settlement: a first due date is for installment plans",
            field="first_due",
        )
    booked = offer_queries.booked_from(connection, action_key)
    if booked is not None:
        kind, key = booked
        return plan_view(connection, key) if kind == "plan" else settlement_view(connection, key)
    today = offer_acceptance.debtor_today(now, row["timezone"], row["jurisdiction"])
    offer_acceptance.require_open(offer, today)
    account = _account_by_key(connection, int(row["account_key"]))
    try:
        _require_collectable(connection, account)
    except Conflict as exc:
        raise Conflict(f"the offer of action {action_key} cannot be accepted: {exc.message}") from None
    if offer.kind == "installment":
        plan, covers = _book_offered_plan(
            connection, db, offer, account, today=today, now=now, first_due=first_due
        )
        content = {**_offer_content(offer), "plan": _plan_content(plan)}
        audit.record(connection, "payment.offer_accepted", content, now, covers)
        return plan
    settlement, cover = _book_offered_settlement(connection, db, offer, account, today=today, now=now)
    content = {**_offer_content(offer), "settlement": _settlement_content(settlement)}
    audit.record(connection, "payment.offer_accepted", content, now, [cover])
    return settlement


def _offer_content(offer: StoredOffer) -> dict[str, Any]:
    """The offer as the strategy stored it (amount in minor units: a plan's total or the settlement)."""
    return {
        "action_key": offer.action_key,
        "kind": offer.kind,
        "currency": offer.currency,
        "offered_amount": offer.amount,
        "offered_installments": offer.installments,
        "expires_on": offer.expires_on,
    }


def _stored_offer(row: dict[str, Any]) -> StoredOffer:
    expires = row["offer_expires_on"]
    return StoredOffer(
        action_key=int(row["action_key"]),
        action=row["action"],
        kind=row["offer_kind"],
        status=row["status"],
        currency=row["currency"],
        amount=_optional_int(row["offer_amount"]),
        installments=_optional_int(row["offer_installments"]),
        expires_on=None if expires is None else _as_date(expires),
        balance=_optional_int(row["balance"]),
    )


def _book_offered_plan(
    connection: Connection,
    db: Database,
    offer: StoredOffer,
    account: AccountRef,
    *,
    today: date,
    now: datetime,
    first_due: date | None,
) -> tuple[PlanView, list[Cover]]:
    assert offer.expires_on is not None
    plan_key, covers = _insert_plan(
        connection,
        db,
        account,
        installments=offer_acceptance.plan_count(offer, account.balance),
        frequency=OFFER_FREQUENCY,
        first_due=first_due,
        today=today,
        now=now,
        expires=offer.expires_on,
        action_key=offer.action_key,
    )
    _mark_accepted(connection, db, plan_key, now)
    return plan_view(connection, plan_key), covers


def _book_offered_settlement(
    connection: Connection,
    db: Database,
    offer: StoredOffer,
    account: AccountRef,
    *,
    today: date,
    now: datetime,
) -> tuple[SettlementView, Cover]:
    assert offer.expires_on is not None
    amount = offer_acceptance.settlement_amount(offer, account.balance)
    try:
        terms = settlement_terms(account.balance, offer.expires_on, today, amount=amount)
    except ValueError as exc:
        raise ValidationError(f"the offer of action {offer.action_key}: {exc}", field="action_key") from None
    return _insert_settlement(connection, db, account, terms, now, offer.action_key)


# --- reconciliation -------------------------------------------------------------------------------


@dataclass
class ReconciliationReport:
    run_key: int
    file: str
    status: str  # booked | partial | rejected
    rows: int
    booked: int
    counts: dict[str, int]
    exceptions: pl.DataFrame = field(repr=False)

    def as_dict(self) -> dict[str, Any]:
        return {
            "run_key": self.run_key,
            "file": self.file,
            "status": self.status,
            "rows": self.rows,
            "booked": self.booked,
            "exceptions": self.exceptions.height,
            "outcomes": self.counts,
        }


def reconcile_payment_file(
    connection: Connection,
    db: Database,
    raw: pl.DataFrame,
    *,
    file: str,
    sha256: str,
    now: datetime,
    partial: bool = False,
) -> ReconciliationReport:
    """Match a payment file to accounts and book the matched rows as payment events.

    All or nothing by default: when any row is an exception (other than a payment booked before), nothing
    is booked. With ``partial`` the matched rows are booked anyway. Either way the run and every
    exception row (cells as in the file, outcome, reason) are stored, so nothing is lost.
    """
    if not db.is_sqlite:
        connection.execute(text('LOCK TABLE "events" IN SHARE ROW EXCLUSIVE MODE'))
    references = (
        raw.get_column("payment_reference").cast(pl.String).drop_nulls().unique().to_list()
        if "payment_reference" in raw.columns
        else []
    )
    stored = payment_queries.stored_event_ids(connection, references)
    result = reconcile(raw, accounts=account_lookup(db), stored=stored, file=file, now=now)
    status = "booked" if result.blocking == 0 else ("partial" if partial else "rejected")
    booked = 0
    events: Cover | None = None
    if status != "rejected" and not result.matched.is_empty():
        rows = event_rows(result.matched, payment_queries.next_key(connection, "events"))
        booked = insert_new(connection, db, "events", rows, ("event_id",))
        if booked != rows.height:
            raise Conflict(
                f"{file}: {rows.height - booked} payment reference(s) were stored by another import "
                "meanwhile; nothing was booked: reconcile the file again"
            )
        events = audit.written_cover(connection, "events", rows, booked, exclude=("applied_on",))
    run_key = payment_queries.next_key(connection, "reconciliation_runs")
    run = {
        "key": [run_key],
        "file_name": [file],
        "sha256": [sha256],
        "at": [now.astimezone(UTC)],
        "status": [status],
        "rows": [result.rows],
        "matched": [result.matched.height],
        "booked": [booked],
        "exceptions": [result.exceptions.height],
    }
    insert_frame(connection, db, "reconciliation_runs", pl.DataFrame(run))
    first = payment_queries.next_key(connection, "reconciliation_exceptions")
    exception_rows = result.exceptions.with_columns(
        key=pl.int_range(first, first + result.exceptions.height, dtype=pl.Int64), run_key=pl.lit(run_key)
    )
    insert_frame(connection, db, "reconciliation_exceptions", exception_rows)
    report = ReconciliationReport(
        run_key, file, status, result.rows, booked, result.counts(), result.exceptions
    )
    covers = [
        events,
        key_range_cover("reconciliation_runs", pl.DataFrame(run)),
        audit.written_cover(connection, "reconciliation_exceptions", exception_rows, exception_rows.height),
    ]
    content = {**report.as_dict(), "sha256": sha256, "matched": result.matched.height}
    audit.record(connection, "payment.reconciled", content, now, covers)
    return report


# --- remittance -------------------------------------------------------------------------------------


def set_commission(
    connection: Connection, db: Database, creditor_id: str, commission_bps: int, now: datetime
) -> None:
    """Store the creditor's commission rate in basis points (replacing the one stored before)."""
    try:
        check_rate(commission_bps)
    except ValueError as exc:
        raise ValidationError(str(exc), field="commission_bps") from None
    terms = pl.DataFrame(
        {
            "creditor_id": [creditor_id],
            "commission_bps": [commission_bps],
            "updated_at": [now.astimezone(UTC)],
        }
    )
    previous = payment_queries.commission_bps(connection, creditor_id)
    if previous is None:
        insert_frame(connection, db, "creditor_terms", terms)
    else:
        update_rows(connection, db, "creditor_terms", terms, "creditor_id")
    content = {"creditor_id": creditor_id, "commission_bps": commission_bps, "previous_bps": previous}
    audit.record(connection, "payment.commission_set", content, now)


def remittance_statement(
    connection: Connection,
    *,
    creditor_id: str,
    period_start: date,
    period_end: date,
    commission_bps: int | None = None,
) -> RemittanceStatement:
    """What was collected for ``creditor_id`` in the period, the commission, and the net to remit."""
    known = connection.execute(
        text("SELECT 1 FROM accounts WHERE creditor_id = :c LIMIT 1"), {"c": creditor_id}
    ).first()
    if known is None:
        raise NotFound(f"no accounts of creditor {creditor_id!r}")
    rate = (
        commission_bps
        if commission_bps is not None
        else payment_queries.commission_bps(connection, creditor_id)
    )
    if rate is None:
        raise ValidationError(
            f"no commission rate for creditor {creditor_id!r}: give one in basis points or store it first",
            field="commission_bps",
        )
    payments = payment_queries.creditor_payments(connection, creditor_id, period_start, period_end)
    with_dates = payments.with_columns(
        local_date=(pl.col("at") + pl.duration(minutes=pl.col("utc_offset_minutes"))).dt.date()
    )
    try:
        return build_statement(
            with_dates,
            creditor_id=creditor_id,
            period_start=period_start,
            period_end=period_end,
            commission_bps=rate,
        )
    except ValueError as exc:
        raise ValidationError(str(exc)) from None


def record_remittance(
    connection: Connection, statement: RemittanceStatement, *, file: str, file_sha256: str, now: datetime
) -> None:
    """Record that ``statement`` was produced as ``file``: a `payment.remittance` entry with its period,
    rate, totals per currency (minor units) and the SHA-256 of its lines and of the file."""
    # Numbered in the statement's order, so the digest has the unique first column it sorts by.
    lines = statement.lines.sort("currency", "account_id", maintain_order=True).with_row_index("line")
    columns = [(name, column_type(dtype)) for name, dtype in lines.schema.items()]
    content = {
        "creditor_id": statement.creditor_id,
        "period_start": statement.period_start,
        "period_end": statement.period_end,
        "commission_bps": statement.commission_bps,
        "totals": statement.totals.to_dicts(),
        "lines": statement.lines.height,
        "lines_sha256": rows_digest(lines, columns),
        "file": file,
        "file_sha256": file_sha256,
    }
    audit.record(connection, "payment.remittance", content, now)
