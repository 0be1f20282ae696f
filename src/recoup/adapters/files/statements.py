"""Remittance statements as files: CSV for machines, PDF (ReportLab) for the creditor.

CSV: one row per account line, then one ``total`` row per currency (``row_type`` says which), money as
decimal text in the line's currency, the rate in basis points. UTF-8 with a header row.

PDF: A4, a title, the creditor, the period and the rate, then per currency a table of the account lines
and their total. Labels are Chinese (``zh``, the default) or English (``en``). Chinese names need a CJK
font: WenQuanYi Zen Hei (TrueType, embedded in the file) from Debian's fonts-wqy-zenhei; when it is not
installed, ReportLab's built-in CID font STSong-Light is used instead, which is not embedded: the PDF
viewer must supply the glyphs (Adobe Reader's Asian font pack does; most Linux viewers map it to an
installed CJK font). The writer reports which font it used. Output is deterministic: the same statement
gives the same bytes.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import polars as pl
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import LongTable, Paragraph, SimpleDocTemplate, Spacer, TableStyle

from recoup.adapters.files.writers import write_table
from recoup.core.errors import ValidationError
from recoup.core.money import format_minor_expr
from recoup.core.remittance import RemittanceStatement

CJK_FONT_PATH: Final = Path("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc")
EMBEDDED_FONT: Final = "WenQuanYiZenHei"
FALLBACK_FONT: Final = "STSong-Light"
WRITABLE: Final = (".csv", ".pdf")
CSV_COLUMNS: Final = (
    "row_type",
    "creditor_id",
    "period_start",
    "period_end",
    "currency",
    "account_id",
    "debtor_name",
    "payments",
    "collected",
    "commission_bps",
    "commission",
    "net_to_remit",
)
LABELS: Final[dict[str, dict[str, str]]] = {
    "zh": {
        "title": "回款结算单",
        "creditor": "委托方",
        "period": "结算期间",
        "rate": "佣金费率",
        "account": "案件编号",
        "debtor": "债务人",
        "payments": "笔数",
        "collected": "回款金额",
        "commission": "佣金",
        "net": "应汇付金额",
        "total": "合计",
        "currency": "币种",
        "none": "本期无回款。",
    },
    "en": {
        "title": "Remittance statement",
        "creditor": "Creditor",
        "period": "Period",
        "rate": "Commission rate",
        "account": "Account",
        "debtor": "Debtor",
        "payments": "Payments",
        "collected": "Collected",
        "commission": "Commission",
        "net": "Net to remit",
        "total": "Total",
        "currency": "Currency",
        "none": "Nothing was collected in this period.",
    },
}


@dataclass(frozen=True, slots=True)
class FontChoice:
    name: str
    embedded: bool
    source: str  # the TrueType file, or the built-in CID font's name


_fonts: dict[str, FontChoice] = {}
_font_lock = threading.Lock()


def cjk_font(path: Path = CJK_FONT_PATH) -> FontChoice:
    """Register the CJK font once: the TrueType file when it exists, else the built-in STSong-Light."""
    with _font_lock:
        found = _fonts.get(str(path))
        if found is not None:
            return found
        if path.is_file():
            name = f"{EMBEDDED_FONT}{len(_fonts)}"
            pdfmetrics.registerFont(TTFont(name, str(path), subfontIndex=0))
            choice = FontChoice(name, embedded=True, source=str(path))
        else:
            pdfmetrics.registerFont(UnicodeCIDFont(FALLBACK_FONT))
            choice = FontChoice(FALLBACK_FONT, embedded=False, source=FALLBACK_FONT)
        _fonts[str(path)] = choice
        return choice


def rate_text(commission_bps: int) -> str:
    """Basis points as a percentage with two decimals, in integers: 1234 -> '12.34%'."""
    return f"{commission_bps // 100}.{commission_bps % 100:02d}%"


def statement_frame(statement: RemittanceStatement) -> pl.DataFrame:
    """The CSV rows: the account lines, then one total per currency."""
    common = {
        "creditor_id": pl.lit(statement.creditor_id),
        "period_start": pl.lit(statement.period_start.isoformat()),
        "period_end": pl.lit(statement.period_end.isoformat()),
        "commission_bps": pl.lit(statement.commission_bps, dtype=pl.Int64),
    }
    lines = statement.lines.select(
        row_type=pl.lit("line"),
        **common,
        currency="currency",
        account_id="account_id",
        debtor_name="debtor_name",
        payments="payments",
        collected=format_minor_expr("collected", "currency"),
        commission=format_minor_expr("commission", "currency"),
        net_to_remit=format_minor_expr("net", "currency"),
    )
    totals = statement.totals.select(
        row_type=pl.lit("total"),
        **common,
        currency="currency",
        account_id=pl.lit(None, dtype=pl.String),
        debtor_name=pl.lit(None, dtype=pl.String),
        payments="payments",
        collected=format_minor_expr("collected", "currency"),
        commission=format_minor_expr("commission", "currency"),
        net_to_remit=format_minor_expr("net", "currency"),
    )
    return pl.concat([lines, totals]).select(CSV_COLUMNS)


def write_statement(
    statement: RemittanceStatement, path: Path, *, language: str = "zh", font_path: Path = CJK_FONT_PATH
) -> FontChoice | None:
    """Write the statement as CSV or PDF by ``path``'s extension; for a PDF, returns the font used."""
    suffix = path.suffix.lower()
    if suffix == ".csv":
        write_table(statement_frame(statement), path)
        return None
    if suffix == ".pdf":
        return write_statement_pdf(statement, path, language=language, font_path=font_path)
    raise ValidationError(
        f"cannot write a statement as {suffix or 'a file without an extension'!r}: use .csv or .pdf",
        file=path.name,
    )


def write_statement_pdf(
    statement: RemittanceStatement, path: Path, *, language: str = "zh", font_path: Path = CJK_FONT_PATH
) -> FontChoice:
    if language not in LABELS:
        raise ValidationError(f"no statement wording for language {language!r} (zh or en)", field="language")
    font = cjk_font(font_path)
    words = LABELS[language]
    body = ParagraphStyle("body", fontName=font.name, fontSize=10, leading=14, wordWrap="CJK")
    title = ParagraphStyle("title", parent=body, fontSize=16, leading=22, spaceAfter=4 * mm)
    heading = ParagraphStyle("heading", parent=body, fontSize=11, leading=16, spaceBefore=4 * mm)
    period = f"{statement.period_start.isoformat()} – {statement.period_end.isoformat()}"
    story: list[object] = [
        Paragraph(words["title"], title),
        Paragraph(f"{words['creditor']}: {_escape(statement.creditor_id)}", body),
        Paragraph(f"{words['period']}: {period}", body),
        Paragraph(f"{words['rate']}: {rate_text(statement.commission_bps)}", body),
    ]
    if statement.totals.is_empty():
        story += [Spacer(1, 6 * mm), Paragraph(words["none"], body)]
    for currency in statement.totals.get_column("currency").to_list():
        story += [
            Paragraph(f"{words['currency']}: {currency}", heading),
            Spacer(1, 2 * mm),
            _table(statement, currency, words, body),
        ]
    document = SimpleDocTemplate(
        str(path),
        pagesize=A4,
        leftMargin=18 * mm,
        rightMargin=18 * mm,
        topMargin=18 * mm,
        bottomMargin=18 * mm,
        title=f"{words['title']} {statement.creditor_id} {period}",
        invariant=1,
    )
    document.build(story)
    return font


def _table(
    statement: RemittanceStatement, currency: str, words: dict[str, str], body: ParagraphStyle
) -> LongTable:
    money = [format_minor_expr(c, "currency").alias(c) for c in ("collected", "commission", "net")]
    lines = statement.lines.filter(pl.col("currency") == currency)
    shown = lines.select("account_id", "debtor_name", pl.col("payments").cast(pl.String), *money)
    total = statement.totals.filter(pl.col("currency") == currency).select(
        pl.lit(words["total"]).alias("account_id"),
        pl.lit("").alias("debtor_name"),
        pl.col("payments").cast(pl.String),
        *money,
    )
    header: list[object] = [
        words["account"],
        words["debtor"],
        words["payments"],
        words["collected"],
        words["commission"],
        words["net"],
    ]
    rows: list[list[object]] = [header]
    for account_id, debtor, *numbers in shown.iter_rows():
        rows.append([Paragraph(_escape(account_id), body), Paragraph(_escape(debtor or ""), body), *numbers])
    rows.append(list(total.row(0)))
    table = LongTable(rows, colWidths=[30 * mm, 42 * mm, 14 * mm, 30 * mm, 28 * mm, 30 * mm], repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("FONTNAME", (0, 0), (-1, -1), body.fontName),
                ("FONTSIZE", (0, 0), (-1, -1), 9),
                ("ALIGN", (2, 0), (-1, -1), "RIGHT"),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LINEBELOW", (0, 0), (-1, 0), 0.6, colors.black),
                ("LINEABOVE", (0, -1), (-1, -1), 0.6, colors.black),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#EEEEEE")),
            ]
        )
    )
    return table


def _escape(text: str) -> str:
    """Paragraph text is a small markup language: names must not be read as tags."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
