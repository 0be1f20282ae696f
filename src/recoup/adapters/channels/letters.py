"""Letters as one batch-printable PDF (ReportLab): each letter starts on a new A4 page, with the sender,
the date, the recipient's name and address where a window envelope shows it, a reference, the body and
"page x of y" per letter.

ReportLab embeds TrueType fonts only (not CFF/OpenType such as Noto Sans CJK), so Chinese is set in a
TrueType CJK font: WenQuanYi Zen Hei from Debian's fonts-wqy-zenhei by default (`.ci/system-deps.sh`
installs it), or the TrueType font named by RECOUP_LETTER_FONT. Output is deterministic (invariant
PDF): the same letters give the same bytes.
"""

from __future__ import annotations

import io
import os
import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

from recoup.core.templates.catalog import translate

FONT_CANDIDATES: Final = (
    Path("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"),
    Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"),
    Path("/usr/share/fonts/truetype/arphic/uming.ttc"),
)
FONT_NAME: Final = "RecoupLetter"
PAGE_WIDTH, PAGE_HEIGHT = A4
MARGIN: Final = 22 * mm
BODY_SIZE: Final = 10.5
LEADING: Final = 16.0
# Characters that must not begin a line (Chinese line-breaking rules, 避头点).
NO_LINE_START: Final = frozenset("，。、；：？！）》」』】〉”’,.;:?!)%")
_TOKENS: Final = re.compile(
    r"[\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef\u3000-\u303f]|[^\s\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef\u3000-\u303f]+\s*|\s+"
)


class FontMissing(RuntimeError):
    """No TrueType CJK font is installed (install fonts-wqy-zenhei or set RECOUP_LETTER_FONT)."""


@dataclass(frozen=True, slots=True)
class Letter:
    reference: str
    recipient_name: str
    address: str
    language: str
    date_text: str
    body: str
    sender_name: str
    sender_address: str = ""


_registered: dict[str, str] = {}
_register_lock = threading.Lock()


def find_font() -> Path:
    chosen = os.environ.get("RECOUP_LETTER_FONT")
    candidates = [Path(chosen)] if chosen else list(FONT_CANDIDATES)
    for path in candidates:
        if path.is_file():
            return path
    raise FontMissing(
        f"no TrueType CJK font found (looked for {', '.join(str(p) for p in candidates)}); "
        "install Debian's fonts-wqy-zenhei or set RECOUP_LETTER_FONT to a .ttf/.ttc file"
    )


def register_font(path: Path | None = None) -> str:
    """Register the letter font with ReportLab once; returns its name."""
    font_path = path or find_font()
    with _register_lock:
        name = _registered.get(str(font_path))
        if name is None:
            name = f"{FONT_NAME}{len(_registered)}"
            pdfmetrics.registerFont(TTFont(name, str(font_path), subfontIndex=0))
            _registered[str(font_path)] = name
    return name


def wrap(text: str, font: str, size: float, width: float) -> list[str]:
    """Lines of ``text`` no wider than ``width``: Chinese breaks between characters, other scripts
    between words, and closing punctuation never starts a line."""
    lines: list[str] = []
    for paragraph in text.split("\n"):
        line = ""
        used = 0.0
        for found in _TOKENS.findall(paragraph):
            token = found
            token_width = pdfmetrics.stringWidth(token, font, size)
            if line and used + token_width > width and token[0] not in NO_LINE_START:
                lines.append(line.rstrip())
                token = token.lstrip()
                line, used = "", 0.0
                token_width = pdfmetrics.stringWidth(token, font, size)
            line += token
            used += token_width
        lines.append(line.rstrip())
    return lines


@dataclass(frozen=True)
class _Layout:
    head: list[tuple[float, float, str, float, str]]  # x, y, text, size, align
    pages: list[list[str]]


def _layout(letter: Letter, font: str) -> _Layout:
    text_width = PAGE_WIDTH - 2 * MARGIN
    top = PAGE_HEIGHT - MARGIN
    head: list[tuple[float, float, str, float, str]] = [(MARGIN, top, letter.sender_name, 12, "left")]
    for i, line in enumerate(wrap(letter.sender_address, font, 8.5, text_width / 2)[:3]):
        head.append((MARGIN, top - 13 - i * 11, line, 8.5, "left"))
    date_line = translate("Date: {date}", letter.language, date=letter.date_text)
    head.append((PAGE_WIDTH - MARGIN, top, date_line, 9, "right"))
    reference = translate("Reference: {reference}", letter.language, reference=letter.reference)
    head.append((PAGE_WIDTH - MARGIN, top - 13, reference, 9, "right"))
    window_top = PAGE_HEIGHT - 50 * mm
    address_lines = [letter.recipient_name, *wrap(letter.address.replace(";", "\n"), font, 10.5, 85 * mm)]
    for i, line in enumerate(address_lines[:6]):
        head.append((MARGIN, window_top - i * 14, line, 10.5, "left"))
    title = translate("Notice about your account", letter.language)
    head.append((MARGIN, PAGE_HEIGHT - 100 * mm, title, 14, "left"))

    lines = wrap(letter.body, font, BODY_SIZE, text_width)
    first_page_lines = int((PAGE_HEIGHT - 110 * mm - MARGIN - 10 * mm) // LEADING)
    other_page_lines = int((PAGE_HEIGHT - 2 * MARGIN - 10 * mm) // LEADING)
    pages = [lines[:first_page_lines]]
    rest = lines[first_page_lines:]
    while rest:
        pages.append(rest[:other_page_lines])
        rest = rest[other_page_lines:]
    return _Layout(head, pages)


def _draw_letter(canvas: Canvas, letter: Letter, font: str) -> int:
    layout = _layout(letter, font)
    for number, lines in enumerate(layout.pages, start=1):
        if number == 1:
            for x, y, text, size, align in layout.head:
                canvas.setFont(font, size)
                if align == "right":
                    canvas.drawRightString(x, y, text)
                else:
                    canvas.drawString(x, y, text)
            y = PAGE_HEIGHT - 110 * mm
        else:
            y = PAGE_HEIGHT - MARGIN
        text = canvas.beginText(MARGIN, y)
        text.setFont(font, BODY_SIZE, LEADING)
        for line in lines:
            text.textLine(line)
        canvas.drawText(text)
        canvas.setFont(font, 8)
        footer = translate(
            "Page {page} of {pages}", letter.language, page=str(number), pages=str(len(layout.pages))
        )
        canvas.drawCentredString(PAGE_WIDTH / 2, MARGIN / 2, f"{letter.reference}  ·  {footer}")
        canvas.showPage()
    return len(layout.pages)


def render_letters(letters: Sequence[Letter], font_path: Path | None = None) -> tuple[bytes, int]:
    """One PDF holding every letter (each from a new page); returns the bytes and the page count."""
    font = register_font(font_path)
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=A4, invariant=1, pageCompression=1)
    canvas.setTitle("Recoup letters")
    canvas.setCreator("Recoup")
    pages = sum(_draw_letter(canvas, letter, font) for letter in letters)
    if pages == 0:
        canvas.showPage()
    canvas.save()
    return buffer.getvalue(), pages
