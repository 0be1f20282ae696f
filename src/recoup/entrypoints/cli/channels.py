"""`recoup channels ...`: send the outbox, manage and preview templates, print the day's letters.

recoup channels dispatch [--limit N] [--json]
recoup channels templates preview ID --account ACCOUNT_ID [--creditor C] [--tone T]
recoup channels templates check FILE --id ID --channel C --language L [--tone T] [--jurisdiction J]
recoup channels templates save FILE --id ID --channel C --language L [--tone ...] [--creditor C]
recoup channels templates list
recoup channels letters --date D --out FILE.pdf
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from recoup.adapters.channels.letters import find_font, render_letters
from recoup.adapters.channels.settings import ChannelSettings, build_dispatcher
from recoup.core.errors import ValidationError
from recoup.core.templates import TONES, TemplateRejected, TemplateSpec, check_template
from recoup.core.templates.linting import rulebook_linter
from recoup.entrypoints.cli.common import err, fail, globals_of, out, parse_date, progress, user_errors
from recoup.entrypoints.jobs.dispatch import dispatch_outbox
from recoup.services import letters, templates

app = typer.Typer(help="Send messages, manage templates and print letters.", no_args_is_help=True)
templates_app = typer.Typer(help="Check, save, list and preview message templates.", no_args_is_help=True)
app.add_typer(templates_app, name="templates")

IdOption = Annotated[str, typer.Option("--id", help="template id, e.g. reminder_sms")]
ChannelOption = Annotated[str, typer.Option("--channel", help="sms, email, im or letter")]
LanguageOption = Annotated[str, typer.Option("--language", help="zh or en")]
ToneOption = Annotated[str, typer.Option("--tone", help=f"one of {', '.join(TONES)}")]
JurisdictionOption = Annotated[str, typer.Option("--jurisdiction", help="CN, US, UK or EU")]
ProductOption = Annotated[str | None, typer.Option("--product", help="narrow the checks to a product")]
CreditorOption = Annotated[str | None, typer.Option("--creditor", help="a creditor's own template")]


def _settings() -> ChannelSettings:
    return ChannelSettings()


@app.command("dispatch")
@user_errors
def dispatch_command(
    ctx: typer.Context,
    limit: Annotated[int | None, typer.Option("--limit", min=1, help="send at most N actions")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print the summary as JSON")] = False,
) -> None:
    """Send the due messages of the outbox through the configured providers; route calls and visits
    to the agents' work queues."""
    g = globals_of(ctx)
    settings = _settings()
    recoup = g.app()
    dispatcher = build_dispatcher(settings)
    try:
        if not dispatcher.gateways and not g.quiet:
            err.print(
                "no channel is configured (RECOUP_SMTP_HOST, RECOUP_SMS_PROVIDER, RECOUP_IM_URL): "
                "only agent work is routed"
            )
        with progress(g.show_progress and not as_json, description="dispatching") as advance:
            summary = dispatch_outbox(recoup, dispatcher, settings, limit=limit, progress=advance)
    finally:
        dispatcher.close()
        recoup.close()
    if as_json:
        print(json.dumps(summary.as_dict()))
    elif not g.quiet:
        outcomes = ", ".join(f"{k}={v}" for k, v in sorted(summary.outcomes.items())) or "nothing due"
        out.print(f"{summary.claimed} messages in {summary.batches} batches: {outcomes}")
        if summary.held:
            out.print(f"{summary.held} held: their contact window has not opened yet (they stay queued)")
        out.print(f"{summary.agent_work} calls, visits and reviews routed to the agents' work queues")


def _spec(
    file: Path,
    template_id: str,
    channel: str,
    language: str,
    tone: str,
    jurisdiction: str,
    product: str | None,
    creditor: str | None,
) -> TemplateSpec:
    try:
        body = file.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise ValidationError(
            f"{file}: not UTF-8 text ({exc.reason} at byte {exc.start})", field="body"
        ) from None
    return TemplateSpec(template_id, channel, language, body, tone, jurisdiction, product, creditor)


def _print_check(problems: list[str], warnings: list[str], preview: str | None) -> None:
    if preview is not None:
        out.print(preview, markup=False, highlight=False)
    for warning in warnings:
        err.print(f"warning: {warning}", markup=False, highlight=False)
    for problem in problems:
        err.print(f"problem: {problem}", markup=False, highlight=False)


@templates_app.command("check")
@user_errors
def check_command(
    file: Annotated[Path, typer.Argument(help="template body (UTF-8 text)")],
    template_id: IdOption,
    channel: ChannelOption,
    language: LanguageOption,
    tone: ToneOption = "neutral",
    jurisdiction: JurisdictionOption = "CN",
    product: ProductOption = None,
    creditor: CreditorOption = None,
) -> None:
    """Check a template without saving it: print its sample rendering and every problem (exit 1 if any)."""
    spec = _spec(file, template_id, channel, language, tone, jurisdiction, product, creditor)
    settings = _settings()
    result = check_template(
        spec, linter=rulebook_linter(), agency=settings.agency_name, phone=settings.agency_phone
    )
    _print_check([str(p) for p in result.problems], [str(w) for w in result.warnings], result.preview)
    if not result.ok:
        raise typer.Exit(code=1)


@templates_app.command("save")
@user_errors
def save_command(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="template body (UTF-8 text)")],
    template_id: IdOption,
    channel: ChannelOption,
    language: LanguageOption,
    tone: ToneOption = "neutral",
    jurisdiction: JurisdictionOption = "CN",
    product: ProductOption = None,
    creditor: CreditorOption = None,
) -> None:
    """Save a template as the newest version of its id; refused (nothing saved) if any check fails."""
    spec = _spec(file, template_id, channel, language, tone, jurisdiction, product, creditor)
    settings = _settings()
    recoup = globals_of(ctx).app()
    try:
        with recoup.db.engine.begin() as connection:
            saved = templates.save_template(
                connection,
                spec,
                linter=rulebook_linter(),
                agency=settings.agency_name,
                phone=settings.agency_phone,
                now=recoup.clock(),
            )
    except TemplateRejected as exc:
        raise fail(f"{file}: template refused, nothing saved: {exc.message}") from None
    finally:
        recoup.close()
    if not globals_of(ctx).quiet:
        out.print(f"saved {template_id} ({jurisdiction}/{language}/{tone}) version {saved.version}")


@templates_app.command("list")
@user_errors
def list_command(ctx: typer.Context) -> None:
    """The saved templates (newest versions); built-in ones are used where none is saved."""
    recoup = globals_of(ctx).app()
    try:
        frame = templates.stored_templates(recoup.db)
    finally:
        recoup.close()
    table = Table(title="saved templates")
    for column in ("template_id", "jurisdiction", "language", "tone", "creditor_id", "channel", "version"):
        table.add_column(column)
    for row in frame.iter_rows(named=True):
        table.add_row(
            *(
                str(row[c] or "")
                for c in (
                    "template_id",
                    "jurisdiction",
                    "language",
                    "tone",
                    "creditor_id",
                    "channel",
                    "version",
                )
            )
        )
    out.print(table)


@templates_app.command("preview")
@user_errors
def preview_command(
    ctx: typer.Context,
    template_id: Annotated[str, typer.Argument(help="template id, e.g. reminder_sms")],
    account: Annotated[str, typer.Option("--account", help="the account to render it for (account_id)")],
    creditor: CreditorOption = None,
    tone: Annotated[str | None, typer.Option("--tone", help="tone to prefer")] = None,
) -> None:
    """Render a template for a real account, as the daily run would, and list missing required wording."""
    settings = _settings()
    recoup = globals_of(ctx).app()
    try:
        shown = templates.preview_template(
            recoup.db,
            template_id,
            account,
            agency=settings.agency_name,
            phone=settings.agency_phone,
            today=recoup.clock().date(),
            creditor_id=creditor,
            tone=tone,
            linter=rulebook_linter(),
        )
    finally:
        recoup.close()
    out.print(shown.text, markup=False, highlight=False)
    for finding in shown.wording:
        err.print(f"problem: {finding.rule}: {finding.message}", markup=False, highlight=False)
    if shown.wording:
        raise typer.Exit(code=1)


@app.command("letters")
@user_errors
def letters_command(
    ctx: typer.Context,
    run_date: Annotated[str, typer.Option("--date", help="run date YYYY-MM-DD")],
    out_file: Annotated[Path, typer.Option("--out", help="PDF to write (all letters, each from a new page)")],
) -> None:
    """Print the letters decided for a date into one PDF and mark them printed. Letters to accounts now on
    hold, opted out of letters or without an address are cancelled or failed instead. Printing a date
    again gives the same letters."""
    day = parse_date(run_date)
    assert day is not None
    if out_file.suffix.lower() != ".pdf":
        raise typer.BadParameter(f"{out_file}: the output must be a .pdf file", param_hint="--out")
    settings = _settings()
    font = settings.letter_font or find_font()
    recoup = globals_of(ctx).app()
    try:
        batch = letters.letters_for(
            recoup.db, day, agency=settings.agency_name, agency_address=settings.agency_address
        )
        pdf, pages = render_letters(batch.letters, font)
        out_file.write_bytes(pdf)
        with recoup.db.engine.begin() as connection:
            counts = letters.record_printed(connection, recoup.db, batch)
    finally:
        recoup.close()
    if not globals_of(ctx).quiet:
        skipped = (
            f"; {counts['not_printed']} not printed (hold, opt-out or no address)"
            if counts["not_printed"]
            else ""
        )
        out.print(f"{counts['printed']} letters, {pages} pages written to {out_file}{skipped}")
