"""Letters as PDF: Chinese text really rendered (pdftotext reads it back, the rasterised page has ink)."""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import replace
from pathlib import Path

import pytest
from reportlab.pdfbase import pdfmetrics

from recoup.adapters.channels.letters import (
    NO_LINE_START,
    FontMissing,
    Letter,
    find_font,
    register_font,
    render_letters,
    wrap,
)
from recoup.core.templates import builtin_library, sample_context

try:
    FONT: Path | None = find_font()
except FontMissing:
    FONT = None
needs_font = pytest.mark.skipif(
    FONT is None, reason="no TrueType CJK font (install fonts-wqy-zenhei: .ci/system-deps.sh)"
)
needs_poppler = pytest.mark.skipif(
    shutil.which("pdftotext") is None or shutil.which("pdftoppm") is None,
    reason="poppler-utils (pdftotext, pdftoppm) not installed: .ci/system-deps.sh",
)


def _letter(name: str, jurisdiction: str, language: str, reference: str) -> Letter:
    entry = builtin_library().find("reminder_letter", jurisdiction, language)
    assert entry is not None
    body = entry.compiled.render(sample_context(language, jurisdiction, "催收示例公司", "400-000-0000"))
    return Letter(
        reference=reference,
        recipient_name=name,
        address="北京市朝阳区建国路1号;100020",
        language=language,
        date_text="2026年3月1日" if language == "zh" else "1 March 2026",
        body=body,
        sender_name="催收示例公司",
        sender_address="上海市浦东新区世纪大道100号",
    )


@needs_font
@needs_poppler
def test_chinese_letters_render_and_read_back(tmp_path: Path) -> None:
    letters = [_letter("欧阳娜娜", "CN", "zh", "A-1001"), _letter("Alex Sample", "UK", "en", "B-2002")]
    pdf, pages = render_letters(letters)
    path = tmp_path / "letters.pdf"
    path.write_bytes(pdf)
    assert pages == 2
    first = subprocess.run(
        ["pdftotext", "-f", "1", "-l", "1", str(path), "-"], capture_output=True, check=True
    )
    text = first.stdout.decode("utf-8")
    assert "欧阳娜娜" in text
    assert "北京市朝阳区建国路1号" in text
    assert "催收原因及依据" in text
    assert "编号：A-1001" in text
    second = subprocess.run(
        ["pdftotext", "-f", "2", "-l", "2", str(path), "-"], capture_output=True, check=True
    )
    assert "Private and confidential" in second.stdout.decode("utf-8")

    subprocess.run(
        ["pdftoppm", "-r", "40", "-gray", "-f", "1", "-l", "1", str(path), str(tmp_path / "page")], check=True
    )
    [image] = list(tmp_path.glob("page*.pgm"))
    raw = image.read_bytes()
    # PGM: "P5\n<w> <h>\n255\n" then one byte per pixel; a blank page is all white (255).
    header_end = raw.index(b"\n255\n") + 5
    pixels = raw[header_end:]
    dark = sum(1 for value in pixels if value < 128)
    assert dark > 0.002 * len(pixels)


@needs_font
def test_the_same_letters_give_the_same_bytes() -> None:
    letters = [_letter("张三", "CN", "zh", "A-1")]
    assert render_letters(letters)[0] == render_letters(letters)[0]


@needs_font
def test_each_letter_starts_on_a_new_page_and_long_letters_continue() -> None:
    short = _letter("张三", "CN", "zh", "A-1")
    longer = replace(short, reference="A-2", body=short.body * 6)
    assert render_letters([short])[1] == 1
    _, pages = render_letters([longer, short])
    assert pages >= 3


@needs_font
def test_wrapping_fits_the_width_and_keeps_closing_punctuation_off_line_starts() -> None:
    font = register_font()
    text = "您好，" * 60 + "\nThis is a communication from a debt collector, written in English words."
    width = 200.0
    lines = wrap(text, font, 10.5, width)
    assert all(line[0] not in NO_LINE_START for line in lines if line)
    overflowing = [line for line in lines if pdfmetrics.stringWidth(line, font, 10.5) > width]
    assert all(line[-1] in NO_LINE_START for line in overflowing)
    english = [line for line in lines if line.isascii()]
    assert english and all(not line.startswith(" ") for line in english)
    assert "".join(lines).replace(" ", "") == text.replace("\n", "").replace(" ", "")
