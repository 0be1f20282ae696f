"""`recoup payments ...`: reconcile payment files, installment plans, settlements, a strategy's offers,
remittance statements.

Mounted by the root app (`app.add_typer(payments.app, name="payments")`). Each command owns its
transaction: it commits what the use case did, or nothing when the use case refuses.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from recoup.adapters.files.readers import read_table
from recoup.adapters.files.statements import write_statement
from recoup.adapters.files.writers import write_table
from recoup.core.money import format_minor
from recoup.core.plans import FREQUENCIES
from recoup.entrypoints.cli.common import fail, globals_of, out, parse_date, progress, user_errors
from recoup.entrypoints.cli.imports import sha256_of
from recoup.services import payments

app = typer.Typer(
    help="Payments: reconcile payment files, installment plans, settlements, remittance statements.",
    no_args_is_help=True,
)
plan_app = typer.Typer(help="Installment plans on the debtor's business days.", no_args_is_help=True)
settlement_app = typer.Typer(help="Settlements: a lump sum in full settlement.", no_args_is_help=True)
offer_app = typer.Typer(help="Offers the strategy sent: book one the debtor accepted.", no_args_is_help=True)
app.add_typer(plan_app, name="plan")
app.add_typer(settlement_app, name="settlement")
app.add_typer(offer_app, name="offer")

JsonOption = Annotated[bool, typer.Option("--json", help="print the result as JSON")]
CreditorOption = Annotated[
    str | None,
    typer.Option("--creditor", help="the account's creditor, when two creditors use the account_id"),
]


def _print_json(data: dict[str, Any]) -> None:
    print(json.dumps(data, ensure_ascii=False, default=str))


def _report_path(file: Path) -> Path:
    return file.with_name(file.name + ".exceptions.csv")


@app.command("reconcile")
@user_errors
def reconcile(
    ctx: typer.Context,
    file: Annotated[
        Path, typer.Argument(help="payment file: payment_reference, account_id, amount, currency, paid_at")
    ],
    report: Annotated[
        Path | None,
        typer.Option("--out", help="exceptions report (.csv, .jsonl, .parquet); default FILE.exceptions.csv"),
    ] = None,
    partial: Annotated[
        bool, typer.Option("--partial", help="book the matched payments even when other rows are exceptions")
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Match a payment file to accounts and book the matches as payment events.

    All or nothing: when any row cannot be booked (unknown account, other currency, bad amount or time,
    repeated reference), nothing is booked unless --partial. Every exception is written to the report
    and kept in the database; payments booked before are reported, never booked twice.
    """
    g = globals_of(ctx)
    recoup = g.app()
    try:
        with progress(g.show_progress and not as_json, description=f"reconciling {file.name}"):
            raw = read_table(file, max_bytes=recoup.settings.max_upload_bytes)
            with recoup.db.engine.begin() as connection:
                result = payments.reconcile_payment_file(
                    connection,
                    recoup.db,
                    raw.frame,
                    file=file.name,
                    sha256=sha256_of(file),
                    now=recoup.clock(),
                    partial=partial,
                )
    finally:
        recoup.close()
    target = report or (_report_path(file) if not result.exceptions.is_empty() else None)
    if target is not None:
        # 'row' is reserved in input files; so named, a corrected report can be reconciled again as it is.
        write_table(result.exceptions.rename({"row": "file_row"}), target)
    if as_json:
        _print_json({**result.as_dict(), "report": str(target) if target else None})
    elif not g.quiet:
        _print_reconciliation(result, target)
    if result.status == "rejected":
        problems = {k: v for k, v in result.counts.items() if k not in ("matched", "duplicate_stored") and v}
        listed = ", ".join(f"{v} {k.replace('_', ' ')}" for k, v in problems.items())
        raise fail(
            f"{file.name}: {sum(problems.values())} of {result.rows} rows cannot be booked ({listed}); "
            f"nothing was booked; see {target} (or use --partial to book the matched rows)"
        )


def _print_reconciliation(result: payments.ReconciliationReport, report: Path | None) -> None:
    counts = ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in result.counts.items() if v)
    out.print(f"{result.file}: {result.rows} rows, {result.status}: {result.booked} booked ({counts})")
    if report is not None and not result.exceptions.is_empty():
        out.print(f"exceptions and reasons: {report}")


@plan_app.command("offer")
@user_errors
def offer_plan(
    ctx: typer.Context,
    account: Annotated[str, typer.Argument(help="account_id")],
    installments: Annotated[int, typer.Option("--installments", help="number of installments (1-60)")],
    first_due: Annotated[
        str | None, typer.Option("--first-due", help="first due date YYYY-MM-DD (default: in 7 days)")
    ] = None,
    frequency: Annotated[
        str, typer.Option("--frequency", help=f"one of {', '.join(FREQUENCIES)}")
    ] = "monthly",
    creditor: CreditorOption = None,
    as_json: JsonOption = False,
) -> None:
    """Offer to split the whole balance into installments due on the debtor's business days."""
    first = parse_date(first_due, "--first-due")
    if frequency not in FREQUENCIES:
        raise typer.BadParameter(
            f"{frequency!r} is not one of {', '.join(FREQUENCIES)}", param_hint="--frequency"
        )
    recoup = globals_of(ctx).app()
    try:
        with recoup.db.engine.begin() as connection:
            plan = payments.offer_plan(
                connection,
                recoup.db,
                account_id=account,
                creditor_id=creditor,
                installments=installments,
                first_due=first,
                frequency=frequency,
                now=recoup.clock(),
            )
    finally:
        recoup.close()
    _show_plan(ctx, plan, as_json)


@plan_app.command("accept")
@user_errors
def accept_plan(
    ctx: typer.Context,
    plan_key: Annotated[int, typer.Argument(help="the plan number printed by `plan offer`")],
    as_json: JsonOption = False,
) -> None:
    """Record that the debtor accepted an offered plan; payments from now on count against it."""
    recoup = globals_of(ctx).app()
    try:
        with recoup.db.engine.begin() as connection:
            plan = payments.accept_plan(connection, recoup.db, plan_key, recoup.clock())
    finally:
        recoup.close()
    _show_plan(ctx, plan, as_json)


def _show_plan(ctx: typer.Context, plan: payments.PlanView, as_json: bool) -> None:
    if as_json:
        _print_json(plan.as_dict())
        return
    if globals_of(ctx).quiet:
        return
    table = Table(
        title=f"plan {plan.plan_key} ({plan.status}): account {plan.account_id} of {plan.creditor_id}, "
        f"{format_minor(plan.total, plan.currency)} {plan.currency}, calendar {plan.calendar}"
        + _from_offer(plan.action_key)
    )
    table.add_column("#", justify="right")
    table.add_column("due on")
    table.add_column("amount", justify="right")
    for item in plan.installments:
        table.add_row(str(item.number), item.due_on.isoformat(), format_minor(item.amount, plan.currency))
    out.print(table)
    if plan.status == "offered":
        out.print(
            f"offer open until {plan.offer_expires_on}; "
            f"accept with: recoup payments plan accept {plan.plan_key}"
        )


@settlement_app.command("accept")
@user_errors
def accept_settlement(
    ctx: typer.Context,
    account: Annotated[str, typer.Argument(help="account_id")],
    due: Annotated[str, typer.Option("--due", help="date YYYY-MM-DD by which the amount must be paid")],
    amount: Annotated[str | None, typer.Option("--amount", help="settlement amount, e.g. 700.00")] = None,
    discount_bps: Annotated[
        int | None,
        typer.Option("--discount-bps", help="discount on the balance in basis points (rounded down)"),
    ] = None,
    creditor: CreditorOption = None,
    as_json: JsonOption = False,
) -> None:
    """Record a settlement the debtor accepted; paid in time, the rest of the balance is written off."""
    due_on = parse_date(due, "--due")
    assert due_on is not None
    if (amount is None) == (discount_bps is None):
        raise typer.BadParameter("give exactly one of --amount and --discount-bps", param_hint="--amount")
    recoup = globals_of(ctx).app()
    try:
        with recoup.db.engine.begin() as connection:
            settlement = payments.accept_settlement(
                connection,
                recoup.db,
                account_id=account,
                creditor_id=creditor,
                due_on=due_on,
                amount=amount,
                discount_bps=discount_bps,
                now=recoup.clock(),
            )
    finally:
        recoup.close()
    _show_settlement(ctx, settlement, as_json)


def _show_settlement(ctx: typer.Context, settlement: payments.SettlementView, as_json: bool) -> None:
    data = settlement.as_dict()
    if as_json:
        _print_json(data)
    elif not globals_of(ctx).quiet:
        out.print(
            f"settlement {data['settlement_key']}: account {data['account_id']} pays {data['amount']} "
            f"{data['currency']} by {data['due_on']}; {data['write_off']} is then written off"
            + _from_offer(settlement.action_key)
        )


def _from_offer(action_key: int | None) -> str:
    return "" if action_key is None else f" (the offer of action {action_key})"


@offer_app.command("accept")
@user_errors
def accept_offer(
    ctx: typer.Context,
    action_key: Annotated[int, typer.Argument(help="the key of the offer action the daily run stored")],
    first_due: Annotated[
        str | None,
        typer.Option("--first-due", help="a plan's first due date YYYY-MM-DD (default: in 7 days)"),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Book a strategy's offer on its own terms: a plan (accepted) in the offered number of installments,
    or a settlement of the offered amount due when the offer expires. Accepting it again shows what the
    first acceptance booked."""
    first = parse_date(first_due, "--first-due")
    recoup = globals_of(ctx).app()
    try:
        with recoup.db.engine.begin() as connection:
            booked = payments.accept_offer(
                connection, recoup.db, action_key=action_key, first_due=first, now=recoup.clock()
            )
    finally:
        recoup.close()
    if isinstance(booked, payments.PlanView):
        _show_plan(ctx, booked, as_json)
    else:
        _show_settlement(ctx, booked, as_json)


@app.command("commission")
@user_errors
def commission(
    ctx: typer.Context,
    creditor: Annotated[str, typer.Argument(help="creditor_id")],
    bps: Annotated[
        int, typer.Option("--bps", help="commission on collections in basis points (1234 = 12.34%)")
    ],
) -> None:
    """Store the agency's commission rate for a creditor (used by remittance statements)."""
    recoup = globals_of(ctx).app()
    try:
        with recoup.db.engine.begin() as connection:
            payments.set_commission(connection, recoup.db, creditor, bps, recoup.clock())
    finally:
        recoup.close()
    if not globals_of(ctx).quiet:
        out.print(f"{creditor}: commission {bps} basis points")


@app.command("remittance")
@user_errors
def remittance(
    ctx: typer.Context,
    creditor: Annotated[str, typer.Option("--creditor", help="creditor_id")],
    start: Annotated[str, typer.Option("--from", help="first day YYYY-MM-DD (payment's local date)")],
    end: Annotated[str, typer.Option("--to", help="last day YYYY-MM-DD, included")],
    out_file: Annotated[Path, typer.Option("--out", help="statement file: .csv or .pdf")],
    commission_bps: Annotated[
        int | None, typer.Option("--commission-bps", help="rate in basis points (default: the stored one)")
    ] = None,
    language: Annotated[str, typer.Option("--language", help="PDF wording: zh or en")] = "zh",
    as_json: JsonOption = False,
) -> None:
    """Collected, commission and net to remit per account and in total for a creditor and period."""
    first, last = parse_date(start, "--from"), parse_date(end, "--to")
    assert first is not None and last is not None
    if last < first:
        raise typer.BadParameter(f"--to {last} is before --from {first}", param_hint="--to")
    if out_file.suffix.lower() not in (".csv", ".pdf"):
        raise typer.BadParameter("the statement is written as .csv or .pdf", param_hint="--out")
    recoup = globals_of(ctx).app()
    try:
        # The statement is written inside the transaction that records it: a file that could not be
        # written is not recorded, and one that is written is recorded as its bytes are.
        with recoup.db.engine.begin() as connection:
            statement = payments.remittance_statement(
                connection,
                creditor_id=creditor,
                period_start=first,
                period_end=last,
                commission_bps=commission_bps,
            )
            font = write_statement(statement, out_file, language=language)
            payments.record_remittance(
                connection, statement, file=out_file.name, file_sha256=sha256_of(out_file), now=recoup.clock()
            )
    finally:
        recoup.close()
    if font is not None and not font.embedded:
        print(
            f"warning: {font.source} used because the TrueType CJK font is missing "
            "(install fonts-wqy-zenhei); it is not embedded in the PDF",
            file=sys.stderr,
        )
    totals = [
        {
            "currency": currency,
            "accounts": accounts,
            "payments": count,
            "collected": format_minor(collected, currency),
            "commission": format_minor(charged, currency),
            "net": format_minor(net, currency),
        }
        for currency, accounts, count, collected, charged, net in statement.totals.iter_rows()
    ]
    if as_json:
        _print_json(
            {"creditor_id": creditor, "from": first, "to": last, "file": str(out_file), "totals": totals}
        )
    elif not globals_of(ctx).quiet:
        for total in totals:
            out.print(
                f"{creditor} {first}..{last} {total['currency']}: collected {total['collected']}, "
                f"commission {total['commission']}, net to remit {total['net']} "
                f"({total['accounts']} accounts)"
            )
        out.print(f"statement written to {out_file}")
