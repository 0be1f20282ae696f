"""Template use cases: save (only a template that passes every check), list, build the library the daily
run renders with, and preview a template for a real account. Nothing here commits.

A save appends a `template.saved` audit entry in the caller's transaction: the template's key, version
and the SHA-256 of its text, covering the stored row (all but `active` and `created_at`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import polars as pl
from sqlalchemy import Connection, text

from recoup.adapters.db import audit
from recoup.adapters.db.bulk import read_frame
from recoup.adapters.db.engine import Database
from recoup.core.audit import key_range_cover, sha256_hex
from recoup.core.errors import NotFound
from recoup.core.templates.check import Linter, TemplateCheck, check_template
from recoup.core.templates.library import TemplateLibrary, TemplateSpec, builtin_library
from recoup.core.templates.render import render_messages
from recoup.core.templates.variables import context_frame
from recoup.core.templates.wording import WordingFinding, required_wording

_TEMPLATE_SCHEMA: dict[str, pl.DataType] = {
    "template_id": pl.String(),
    "version": pl.Int64(),
    "channel": pl.String(),
    "language": pl.String(),
    "tone": pl.String(),
    "jurisdiction": pl.String(),
    "product": pl.String(),
    "creditor_id": pl.String(),
    "body": pl.String(),
}


_SAVED_COLUMNS = (
    "key",
    "template_id",
    "version",
    "channel",
    "language",
    "tone",
    "jurisdiction",
    "product",
    "creditor_id",
    "body",
)


@dataclass(frozen=True)
class Saved:
    check: TemplateCheck
    version: int


def save_template(
    connection: Connection,
    spec: TemplateSpec,
    *,
    linter: Linter | None,
    agency: str,
    phone: str,
    now: datetime,
) -> Saved:
    """Store ``spec`` as the newest version of its key. A template that fails any check raises
    `TemplateRejected` listing every problem, and nothing is stored."""
    checked = check_template(spec, linter=linter, agency=agency, phone=phone)
    checked.raise_if_rejected()
    creditor = spec.creditor_id or ""
    key = {
        "t": spec.template_id,
        "j": spec.jurisdiction,
        "l": spec.language,
        "tone": spec.tone,
        "c": creditor,
    }
    current = connection.execute(
        text(
            "SELECT COALESCE(MAX(version), 0) FROM templates WHERE template_id = :t AND jurisdiction = :j "
            "AND language = :l AND tone = :tone AND creditor_id = :c"
        ),
        key,
    ).scalar_one()
    version = int(current) + 1
    stored = connection.execute(
        text(
            "INSERT INTO templates (template_id, version, channel, language, tone, jurisdiction, product, "
            "creditor_id, body, active, created_at) VALUES (:t, :v, :ch, :l, :tone, :j, :p, :c, :b, :a, :at) "
            'RETURNING "key"'
        ),
        {**key, "v": version, "ch": spec.channel, "p": spec.product, "b": spec.body, "a": True, "at": now},
    ).scalar_one()
    _record_saved(connection, spec, int(stored), version, now)
    return Saved(checked, version)


def _record_saved(connection: Connection, spec: TemplateSpec, key: int, version: int, now: datetime) -> None:
    row = pl.DataFrame(
        {
            "key": [key],
            "template_id": [spec.template_id],
            "version": [version],
            "channel": [spec.channel],
            "language": [spec.language],
            "tone": [spec.tone],
            "jurisdiction": [spec.jurisdiction],
            "product": [spec.product],
            "creditor_id": [spec.creditor_id or ""],
            "body": [spec.body],
        },
        schema={name: pl.Int64() if name in ("key", "version") else pl.String() for name in _SAVED_COLUMNS},
    )
    content = {
        "template_key": key,
        "template_id": spec.template_id,
        "jurisdiction": spec.jurisdiction,
        "language": spec.language,
        "tone": spec.tone,
        "channel": spec.channel,
        "product": spec.product,
        "creditor_id": spec.creditor_id or "",
        "version": version,
        "sha256": sha256_hex(spec.body),
    }
    audit.record(connection, "template.saved", content, now, [key_range_cover("templates", row)])


def stored_templates(db: Database) -> pl.DataFrame:
    """The newest active version of every saved template key."""
    frame = read_frame(
        db,
        "SELECT template_id, version, channel, language, tone, jurisdiction, product, creditor_id, body "
        "FROM templates WHERE active",
        _TEMPLATE_SCHEMA,
    )
    keys = ["template_id", "jurisdiction", "language", "tone", "creditor_id"]
    return frame.sort("version").group_by(keys, maintain_order=True).last().sort(keys)


def stored_specs(db: Database) -> list[TemplateSpec]:
    return [
        TemplateSpec(
            template_id=row["template_id"],
            channel=row["channel"],
            language=row["language"],
            body=row["body"],
            tone=row["tone"],
            jurisdiction=row["jurisdiction"],
            product=row["product"],
            creditor_id=row["creditor_id"] or None,
        )
        for row in stored_templates(db).iter_rows(named=True)
    ]


def template_library(db: Database, *, linter: Linter | None, agency: str, phone: str) -> TemplateLibrary:
    """The built-in templates with the saved ones over them: what the daily run renders with. Saved
    templates are checked again as they load (a row written around `save_template`, or a template that
    a stricter rulebook no longer passes, is left out), so a template that fails cannot be sent."""
    passing = [
        spec
        for spec in stored_specs(db)
        if check_template(spec, linter=linter, agency=agency, phone=phone).ok
    ]
    return builtin_library().merged(passing)


@dataclass(frozen=True)
class Preview:
    account_id: str
    template_id: str
    jurisdiction: str
    language: str
    text: str
    wording: list[WordingFinding]


def preview_template(
    db: Database,
    template_id: str,
    account_id: str,
    *,
    agency: str,
    phone: str,
    today: date,
    creditor_id: str | None = None,
    tone: str | None = None,
    linter: Linter | None = None,
) -> Preview:
    """Render ``template_id`` for a stored account exactly as the daily run would, and say what wording
    the result lacks for that account's jurisdiction and product."""
    condition = f"account_id = '{account_id.replace(chr(39), chr(39) * 2)}'"
    if creditor_id:
        condition += f" AND creditor_id = '{creditor_id.replace(chr(39), chr(39) * 2)}'"
    account = read_frame(
        db,
        "SELECT account_id, creditor_id, debtor_name, currency, jurisdiction, language, product, due_on, "
        f"principal + interest + fees AS balance FROM accounts WHERE {condition}",
        {
            "account_id": pl.String(),
            "creditor_id": pl.String(),
            "debtor_name": pl.String(),
            "currency": pl.String(),
            "jurisdiction": pl.String(),
            "language": pl.String(),
            "product": pl.String(),
            "due_on": pl.Date(),
            "balance": pl.Int64(),
        },
    )
    if account.is_empty():
        raise NotFound(
            f"no account {account_id!r}" + (f" of creditor {creditor_id!r}" if creditor_id else "")
        )
    if account.height > 1:
        raise NotFound(f"account {account_id!r} exists for several creditors; name one with --creditor")
    row = account.with_columns(
        language=pl.coalesce(
            pl.col("language"),
            pl.when(pl.col("jurisdiction") == "CN").then(pl.lit("zh")).otherwise(pl.lit("en")),
        ),
        template_id=pl.lit(template_id),
        tone=pl.lit(tone),
        run_date=pl.lit(today),
        dpd=(pl.lit(today) - pl.col("due_on")).dt.total_days().clip(lower_bound=0),
    )
    library = template_library(db, linter=linter, agency=agency, phone=phone)
    rendered = render_messages(row, library, agency=agency, phone=phone)[0]
    first = row.row(0, named=True)
    if rendered is None:
        raise NotFound(
            f"no template {template_id!r} for {first['jurisdiction']}/{first['language']}"
            + (f" (tone {tone})" if tone else "")
        )
    entry = library.find(template_id, first["jurisdiction"], first["language"], tone, first["creditor_id"])
    assert entry is not None
    context = context_frame(row, agency, phone).row(0, named=True)
    wording = required_wording(
        rendered,
        language=first["language"],
        jurisdiction=first["jurisdiction"],
        channel=entry.spec.channel,
        product=first["product"],
        sample=context,
    )
    return Preview(
        first["account_id"], template_id, first["jurisdiction"], first["language"], rendered, wording
    )
